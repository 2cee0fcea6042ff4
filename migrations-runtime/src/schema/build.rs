//! Building a schema somewhere it can be read and thrown away: a scratch database (created,
//! migrated or fed the declared SQL, read, dropped), or, for a role that may not create
//! databases, a private schema inside a savepoint of the caller's transaction, rolled back.

use std::time::{SystemTime, UNIX_EPOCH};

use migrations_core::TransactionMode;
use migrations_schema::{Catalog, ReadOptions};
use tokio_postgres::{Client, Transaction};

use super::{Method, Recipe, SchemaError};
use crate::quote;
use crate::ConnectOptions;

/// The private schema's name, first on the `search_path` while the scripts run.
pub(crate) const PRIVATE: &str = "migrations_expected";

/// A scratch database when the runner can connect to another database and the role may create
/// one; the private schema otherwise.
pub(super) async fn choose(
    client: &Client,
    options: Option<&ConnectOptions>,
) -> Result<Method, SchemaError> {
    let may_create: bool = client
        .query_one(
            "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user",
            &[],
        )
        .await
        .map_err(|source| SchemaError::Scratch {
            action: "checking whether the role may create databases".to_owned(),
            source,
        })?
        .get(0);
    Ok(match (options, may_create) {
        (Some(_), true) => Method::ScratchDatabase,
        (None, _) => Method::PrivateSchema {
            why: "the runner has no connection options to reach another database".to_owned(),
        },
        (Some(_), false) => Method::PrivateSchema {
            why: "the role may not create databases (CREATEDB)".to_owned(),
        },
    })
}

/// A database created next to the caller's for building schemas, dropped by [`Scratch::drop`]
/// (with `FORCE`, so a connection left behind does not keep it).
pub(crate) struct Scratch {
    name: String,
    options: ConnectOptions,
    client: Client,
}

impl Scratch {
    /// Creates an empty scratch database on `admin`'s server and connects to it.
    pub(crate) async fn create(
        admin: &Client,
        options: &ConnectOptions,
    ) -> Result<Scratch, SchemaError> {
        let stamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!(
            "migrations_scratch_{}_{:x}",
            std::process::id(),
            stamp & 0xffff_ffff_ffff
        );
        admin
            .batch_execute(&format!("CREATE DATABASE {}", quote::ident(&name)))
            .await
            .map_err(|source| SchemaError::Scratch {
                action: format!("creating the scratch database {name}"),
                source,
            })?;
        let options = options.with_dbname(&name);
        match options.connect().await {
            Ok(client) => Ok(Scratch {
                name,
                options,
                client,
            }),
            Err(e) => {
                drop_database(admin, &name).await.ok();
                Err(e.into())
            }
        }
    }

    /// Runs `recipe` in it.
    pub(crate) async fn build(&mut self, recipe: &Recipe<'_>) -> Result<(), SchemaError> {
        match recipe {
            Recipe::Revisions { migrator, level } => {
                let revisions = &migrator.migrations().as_slice()[..*level];
                let runner = (*migrator)
                    .clone()
                    .with_connect_options(self.options.clone());
                let failed = |what: String| {
                    move |source| SchemaError::Build {
                        what,
                        source: Box::new(source),
                    }
                };
                // A Rust revision read from files has no code to run: it is stamped, as
                // changing no schema (and `not_run` says so), and the rest run around it.
                let mut from = 0;
                for (i, revision) in revisions.iter().enumerate() {
                    if !uncompiled(revision) {
                        continue;
                    }
                    if let Some(before) = i.checked_sub(1).filter(|&b| b >= from) {
                        let before = &revisions[before];
                        runner
                            .upgrade(&mut self.client, before.version())
                            .await
                            .map_err(failed(format!("the revisions up to {}", before.label())))?;
                    }
                    runner
                        .stamp(&mut self.client, revision.version(), false)
                        .await
                        .map_err(failed(format!("stamping {}", revision.label())))?;
                    from = i + 1;
                }
                if let Some(last) = revisions.last().filter(|_| from < revisions.len()) {
                    runner
                        .upgrade(&mut self.client, last.version())
                        .await
                        .map_err(failed(format!("the revisions up to {}", last.label())))?;
                }
            }
            Recipe::Sql { scripts } => {
                for (what, sql) in scripts {
                    self.run(what, false, [sql.as_str()]).await?;
                }
            }
        }
        Ok(())
    }

    /// Runs `statements` in one transaction, or each on its own.
    pub(crate) async fn run<'s>(
        &mut self,
        what: &str,
        transactional: bool,
        statements: impl IntoIterator<Item = &'s str>,
    ) -> Result<(), SchemaError> {
        let fail = |source| SchemaError::Run {
            what: what.to_owned(),
            source,
        };
        if transactional {
            let tx = self.client.transaction().await.map_err(fail)?;
            for statement in statements {
                tx.batch_execute(statement).await.map_err(fail)?;
            }
            tx.commit().await.map_err(fail)
        } else {
            for statement in statements {
                self.client.batch_execute(statement).await.map_err(fail)?;
            }
            Ok(())
        }
    }

    /// Its connection.
    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    /// Reads its catalog.
    pub(crate) async fn read(&mut self, read: &ReadOptions) -> Result<Catalog, SchemaError> {
        Catalog::read(&mut self.client, read)
            .await
            .map_err(|source| SchemaError::Read {
                which: "the scratch database",
                source,
            })
    }

    /// Closes the connection and drops the database.
    pub(crate) async fn drop(self, admin: &Client) -> Result<(), SchemaError> {
        let Scratch { name, client, .. } = self;
        drop(client);
        drop_database(admin, &name).await
    }
}

async fn drop_database(admin: &Client, name: &str) -> Result<(), SchemaError> {
    admin
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote::ident(name)
        ))
        .await
        .map_err(|source| SchemaError::Scratch {
            action: format!("dropping the scratch database {name}"),
            source,
        })
}

/// Builds `recipe` in a scratch database next to `client`'s, reads it with `read`, drops it.
pub(super) async fn in_scratch(
    client: &Client,
    options: &ConnectOptions,
    recipe: &Recipe<'_>,
    read: &ReadOptions,
) -> Result<Catalog, SchemaError> {
    let mut scratch = Scratch::create(client, options).await?;
    let built = match scratch.build(recipe).await {
        Ok(()) => scratch.read(read).await,
        Err(e) => Err(e),
    };
    let dropped = scratch.drop(client).await;
    let catalog = built?;
    dropped?;
    Ok(catalog)
}

/// Builds `recipe` in the private schema inside a savepoint of `tx`, reads it as if it were
/// `public`, and rolls it back. `tx` is left as it was.
pub(super) async fn in_private_schema(
    tx: &Transaction<'_>,
    recipe: &Recipe<'_>,
    read: &ReadOptions,
) -> Result<Catalog, SchemaError> {
    let scripts: Vec<(String, &str)> = match recipe {
        Recipe::Revisions { migrator, level } => {
            let revisions = &migrator.migrations().as_slice()[..*level];
            if let Some(r) = revisions
                .iter()
                .find(|r| r.up().transaction() == TransactionMode::None)
            {
                let reason = format!(
                    "revision {} runs outside a transaction, so it cannot run in a private schema that is rolled back, and {}: grant the role CREATEDB (a scratch database is used then)",
                    r.label(),
                    "the role may not create a scratch database"
                );
                return Err(SchemaError::CannotBuild { reason });
            }
            // Rust revisions are not run here (`not_run` lists them).
            revisions
                .iter()
                .filter(|r| !r.up().is_rust())
                .map(|r| (format!("revision {}", r.label()), r.up().sql()))
                .collect()
        }
        Recipe::Sql { scripts } => scripts
            .iter()
            .map(|(w, s)| (w.clone(), s.as_str()))
            .collect(),
    };
    let prepare = format!(
        "SAVEPOINT migrations_expected; CREATE SCHEMA {PRIVATE}; SET LOCAL search_path = {PRIVATE}"
    );
    let run = |what: &str| {
        let what = what.to_owned();
        move |source| SchemaError::Run { what, source }
    };
    tx.batch_execute(&prepare)
        .await
        .map_err(run("preparing the private schema"))?;
    let mut built = Ok(());
    for (what, sql) in &scripts {
        if let Err(e) = tx.batch_execute(sql).await.map_err(run(what)) {
            built = Err(e);
            break;
        }
    }
    let private = ReadOptions {
        schemas: vec![PRIVATE.to_owned()],
        search_path: PRIVATE.to_owned(),
        ..read.clone()
    };
    let catalog = match built {
        Ok(()) => Catalog::read_in(tx, &private)
            .await
            .map_err(|source| SchemaError::Read {
                which: "the private schema",
                source,
            }),
        Err(e) => Err(e),
    };
    tx.batch_execute(
        "ROLLBACK TO SAVEPOINT migrations_expected; RELEASE SAVEPOINT migrations_expected",
    )
    .await
    .map_err(run("rolling back the private schema"))?;
    // The private schema cannot carry `public`'s own comment and owner: schemas themselves are
    // not compared this way (see `Method::PrivateSchema`).
    let mut catalog = catalog?.rename_schema(PRIVATE, "public");
    catalog.schemas.clear();
    Ok(catalog)
}

/// True for a Rust revision whose code this program does not have (read from files).
fn uncompiled(revision: &migrations_core::Revision) -> bool {
    revision.up().is_rust() && revision.up().code().is_none()
}

/// The Rust revisions a build of `recipe` by `method` does not run: without compiled code, or
/// any in a private schema (which runs SQL text in a savepoint). They are taken to change no
/// schema, and the caller says so.
pub(crate) fn not_run(recipe: &Recipe<'_>, method: &Method) -> Vec<String> {
    let Recipe::Revisions { migrator, level } = recipe else {
        return Vec::new();
    };
    let private = !matches!(method, Method::ScratchDatabase);
    migrator.migrations().as_slice()[..*level]
        .iter()
        .filter(|r| r.up().is_rust() && (private || uncompiled(r)))
        .map(|r| format!("{} (`{}`)", r.label(), r.up().file()))
        .collect()
}
