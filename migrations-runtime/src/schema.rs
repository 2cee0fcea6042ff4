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
use std::path::{Path, PathBuf};
use std::str::FromStr;

use migrations_schema::{diff, Catalog, Diff, Name, ReadOptions};
use tokio_postgres::Client;

use crate::{IntoTarget, Migrator, RevisionId};

mod build;
mod error;

use build::in_private_schema;
pub use error::SchemaError;

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
}

/// A live database compared with what its recorded revision produces.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Drift {
    /// The revision the history records, `None` at base.
    #[serde(serialize_with = "label")]
    pub at: Option<RevisionId>,
    /// How the expected schema was built.
    pub method: Method,
    /// From the database (found) to the revisions' schema (expected): its SQL would remove the
    /// drift.
    pub diff: Diff,
}

fn label<S: serde::Serializer>(at: &Option<RevisionId>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(id) => s.collect_str(id),
        None => s.serialize_str("base"),
    }
}

impl Drift {
    /// No difference.
    pub fn is_clean(&self) -> bool {
        self.diff.is_empty()
    }
}

/// A schema to compare, as `diff --from/--to` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSource {
    /// `migrations`: the revisions at head; `migrations@REV`: at a target.
    Migrations(Option<String>),
    /// `database`: the connected database as it is.
    Database,
    /// `schema:PATH`: a declared schema, one `.sql` file or a directory of them (run in name
    /// order).
    Declared(PathBuf),
}

impl FromStr for SchemaSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "migrations" => Ok(SchemaSource::Migrations(None)),
            "database" => Ok(SchemaSource::Database),
            _ => {
                if let Some(rev) = s.strip_prefix("migrations@").filter(|r| !r.is_empty()) {
                    Ok(SchemaSource::Migrations(Some(rev.to_owned())))
                } else if let Some(path) = s.strip_prefix("schema:").filter(|p| !p.is_empty()) {
                    Ok(SchemaSource::Declared(PathBuf::from(path)))
                } else {
                    Err(format!(
                        "`{s}` is no schema source: use `migrations`, `migrations@REV`, `database` or `schema:PATH`"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for SchemaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaSource::Migrations(None) => f.write_str("migrations"),
            SchemaSource::Migrations(Some(rev)) => write!(f, "migrations@{rev}"),
            SchemaSource::Database => f.write_str("database"),
            SchemaSource::Declared(path) => write!(f, "schema:{}", path.display()),
        }
    }
}

/// The `.sql` scripts of a declared schema, named by path.
pub(crate) fn declared_scripts(path: &Path) -> Result<Vec<(String, String)>, SchemaError> {
    let fail = |reason: String| SchemaError::Declared {
        path: path.display().to_string(),
        reason,
    };
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| fail(e.to_string()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(fail("the directory has no .sql file".to_owned()));
        }
        files
    } else {
        vec![path.to_owned()]
    };
    files
        .into_iter()
        .map(|file| {
            let sql = std::fs::read_to_string(&file)
                .map_err(|e| fail(format!("{}: {e}", file.display())))?;
            Ok((file.display().to_string(), sql))
        })
        .collect()
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
        Ok(Expected { catalog, method })
    }

    /// Compares the connected database with the schema its recorded revisions produce. Reads
    /// only: no lock, no history table created, nothing changed in the database (the expected
    /// schema is built in a scratch database or a rolled-back private schema).
    pub async fn drift(&self, client: &mut Client) -> Result<Drift, SchemaError> {
        let state = self.state(&*client).await?;
        if !state.unknown.is_empty() {
            let versions: Vec<&str> = state.unknown.iter().map(|u| u.version.as_str()).collect();
            let versions = versions.join(", ");
            return Err(SchemaError::Unknown { versions });
        }
        let level = state.current_level();
        let revisions = self.migrations().as_slice();
        if let Some(missing) = state.rows[..level].iter().position(Option::is_none) {
            return Err(SchemaError::Gap {
                applied: revisions[level - 1].label(),
                missing: revisions[missing].label(),
            });
        }
        let expected = self
            .build(
                client,
                &Recipe::Revisions {
                    migrator: self,
                    level,
                },
            )
            .await?;
        let found = self.read(client, &expected.method).await?;
        Ok(Drift {
            at: level.checked_sub(1).map(|i| RevisionId::of(&revisions[i])),
            method: expected.method,
            diff: diff(&found, &expected.catalog),
        })
    }

    /// Compares `public` in the caller's transaction with what the revisions up to `target`
    /// produce, built in a private schema inside a savepoint of `tx` and rolled back (see
    /// [`Method::PrivateSchema`]): for a check made under the migration lock, such as a takeover,
    /// before anything is recorded. `ignore` names tables the comparison leaves out besides the
    /// history's. `tx` is left as it was.
    pub async fn drift_in(
        &self,
        tx: &tokio_postgres::Transaction<'_>,
        target: impl IntoTarget,
        ignore: &[Name],
    ) -> Result<Diff, SchemaError> {
        let target = target.into_target()?;
        // Looked up first: reading a missing history would abort the caller's transaction.
        let current = match self
            .table()
            .exists(tx)
            .await
            .map_err(crate::MigrateError::from)?
        {
            true => self.state(tx).await?.current_level(),
            false => 0,
        };
        let level = target.level(self.migrations(), current)?;
        let mut read = self.read_options();
        read.exclude.extend_from_slice(ignore);
        let expected = in_private_schema(
            tx,
            &Recipe::Revisions {
                migrator: self,
                level,
            },
            &read,
        )
        .await?;
        read.schemas = vec!["public".to_owned()];
        let mut found = Catalog::read_in(tx, &read)
            .await
            .map_err(|source| SchemaError::Read {
                which: "the database",
                source,
            })?;
        found.schemas.clear();
        Ok(diff(&found, &expected))
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
                Ok(Expected { catalog, method })
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
