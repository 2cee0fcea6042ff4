//! What the revisions produce, compared with what a database is (the `schema` feature):
//! [`Migrator::expected_schema`] builds the schema at a revision, [`Migrator::drift`] compares a
//! live database with the schema its recorded revision produces, and [`Migrator::schema_of`]
//! reads any [`SchemaSource`] for `diff`. The catalog model and the diff are
//! [`migrations_schema`]'s.
//!
//! ```no_run
//! # async fn check(migrations: &migrations_runtime::Migrations) -> Result<(), Box<dyn std::error::Error>> {
//! use migrations_runtime::{ConnectOptions, Migrator};
//!
//! let options = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?;
//! let mut client = options.connect().await?;
//! let drift = Migrator::new(migrations, options).drift(&mut client).await?;
//! for difference in drift.diff.differences() {
//!     eprintln!("{difference}");
//! }
//! # Ok(()) }
//! ```

use std::fmt;

use migrations_schema::{Catalog, Name, ReadOptions};
use tokio_postgres::Client;

use crate::{IntoTarget, Migrator};

mod build;
mod digest;
mod drift;
mod error;
mod files;
mod generate;
mod load;
mod rows;
mod settle;
mod source;
mod squash;
mod uncopyable;

use build::in_private_schema;
pub use drift::Drift;
pub use error::SchemaError;
pub use files::BaselineFiles;
pub use generate::{Generated, GeneratedRevision};
pub use load::TableRows;
pub(crate) use source::declared_scripts;
pub use source::SchemaSource;
pub use squash::{BaselineProof, Squash};

/// Where an expected schema was built.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "method")]
pub enum Method {
    /// In a scratch database, created next to the compared one and dropped afterwards: every
    /// schema is compared.
    ScratchDatabase,
    /// In a private schema inside a transaction, rolled back: only the objects in `public` are
    /// compared (not the schema's own comment and owner), and a revision that names `public.`
    /// explicitly or creates an extension that exists cannot be rebuilt this way.
    PrivateSchema {
        /// Why no scratch database was used.
        why: String,
    },
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Method::ScratchDatabase => {
                f.write_str("built in a scratch database, all schemas compared")
            }
            Method::PrivateSchema { why } => {
                write!(
                    f,
                    "built in a private schema rolled back, only `public` compared ({why})"
                )
            }
        }
    }
}

impl Method {
    /// How the other side of a comparison must be read to match this build.
    fn read_options(&self, base: ReadOptions) -> ReadOptions {
        match self {
            Method::ScratchDatabase => base,
            Method::PrivateSchema { .. } => ReadOptions {
                schemas: vec!["public".to_owned()],
                ..base
            },
        }
    }
}

/// What to build.
pub(crate) enum Recipe<'a> {
    /// The first `level` revisions of a runner.
    Revisions {
        /// The runner (its revisions, history table and options).
        migrator: &'a Migrator<'a>,
        /// How many revisions.
        level: usize,
    },
    /// SQL scripts, each named for errors, run in order.
    Sql {
        /// `(name, sql)`.
        scripts: Vec<(String, String)>,
    },
}

/// A schema built from revisions or declared SQL.
#[derive(Debug, Clone)]
pub struct Expected {
    /// What it contains.
    pub catalog: Catalog,
    /// Where it was built.
    pub method: Method,
    /// Rust revisions the build did not run, assumed to change no schema: those read from files
    /// (no compiled code) and, in a private schema, every one.
    pub not_run: Vec<String>,
}

impl Migrator<'_> {
    /// What catalogs are read with: every user schema, without this runner's history table and
    /// its companions, nor the tables it was told to ignore.
    pub fn read_options(&self) -> ReadOptions {
        let ignored = self.ignored_tables().iter().map(|(s, t)| Name::new(s, t));
        ReadOptions {
            exclude: self.table().tracking().into_iter().chain(ignored).collect(),
            ..ReadOptions::default()
        }
    }

    /// The schema this runner's revisions produce at `target` (`head`, a version, `base`, ...),
    /// built next to `client`'s database: in a scratch database when the runner has connection
    /// options and the role may create databases, otherwise in a private schema rolled back.
    /// `client`'s database is not changed.
    pub async fn expected_schema(
        &self,
        client: &mut Client,
        target: impl IntoTarget,
    ) -> Result<Expected, SchemaError> {
        let target = target.into_target()?;
        let state = self.state(&*client).await?;
        let level = target.level(self.migrations(), state.current_level())?;
        self.build(
            client,
            &Recipe::Revisions {
                migrator: self,
                level,
            },
        )
        .await
    }

    /// Builds `recipe` and reads it.
    pub(crate) async fn build(
        &self,
        client: &mut Client,
        recipe: &Recipe<'_>,
    ) -> Result<Expected, SchemaError> {
        let method = build::choose(client, self.connect_options()).await?;
        let read = self.read_options();
        let catalog = match (&method, self.connect_options()) {
            (Method::ScratchDatabase, Some(options)) => {
                build::in_scratch(client, options, recipe, &read).await?
            }
            _ => {
                let tx = client
                    .transaction()
                    .await
                    .map_err(|source| SchemaError::Scratch {
                        action: "starting the private schema's transaction".to_owned(),
                        source,
                    })?;
                let catalog = in_private_schema(&tx, recipe, &read).await?;
                tx.rollback().await.map_err(|source| SchemaError::Scratch {
                    action: "ending the private schema's transaction".to_owned(),
                    source,
                })?;
                catalog
            }
        };
        let not_run = build::not_run(recipe, &method);
        Ok(Expected {
            catalog,
            method,
            not_run,
        })
    }

    /// The connected database's catalog, read to compare with a build made by `method`.
    pub(crate) async fn read(
        &self,
        client: &mut Client,
        method: &Method,
    ) -> Result<Catalog, SchemaError> {
        let options = method.read_options(self.read_options());
        let mut catalog =
            Catalog::read(client, &options)
                .await
                .map_err(|source| SchemaError::Read {
                    which: "the database",
                    source,
                })?;
        if matches!(method, Method::PrivateSchema { .. }) {
            catalog.schemas.clear();
        }
        Ok(catalog)
    }

    /// The schema `source` names, for `diff`: built (revisions, declared SQL) or read (the
    /// database). Returns how a build was made, so that the other side is read to match.
    pub async fn schema_of(
        &self,
        client: &mut Client,
        source: &SchemaSource,
    ) -> Result<Expected, SchemaError> {
        match source {
            SchemaSource::Migrations(None) => {
                self.expected_schema(client, crate::Target::Head).await
            }
            SchemaSource::Migrations(Some(rev)) => self.expected_schema(client, rev).await,
            SchemaSource::Declared(path) => {
                let scripts = declared_scripts(path)?;
                self.build(client, &Recipe::Sql { scripts }).await
            }
            SchemaSource::Database => {
                let method = build::choose(client, self.connect_options()).await?;
                let catalog = self.read(client, &method).await?;
                Ok(Expected {
                    catalog,
                    method,
                    not_run: Vec::new(),
                })
            }
        }
    }
}

/// Names for [`ReadOptions::exclude`].
impl crate::HistoryTable {
    /// This table and its companions (progress, repairs), which a schema comparison leaves out.
    pub fn tracking(&self) -> Vec<Name> {
        [self.clone(), self.progress(), self.audit()]
            .into_iter()
            .map(|t| Name::new(t.schema(), t.name()))
            .collect()
    }
}
