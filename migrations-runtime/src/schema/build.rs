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

/// Builds `recipe` in a scratch database next to `client`'s and reads it with `read`.
pub(super) async fn in_scratch(
    client: &Client,
    options: &ConnectOptions,
    recipe: &Recipe<'_>,
    read: &ReadOptions,
) -> Result<Catalog, SchemaError> {
    let stamp = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!(
        "migrations_scratch_{}_{:x}",
        std::process::id(),
        stamp & 0xffff_ffff_ffff
    );
    let scratch = |action: &str| {
        let action = format!("{action} the scratch database {name}");
        move |source| SchemaError::Scratch { action, source }
    };
    client
        .batch_execute(&format!("CREATE DATABASE {}", quote::ident(&name)))
        .await
        .map_err(scratch("creating"))?;
    let built = build_and_read(options.with_dbname(&name), recipe, read).await;
    // Dropped whatever happened; FORCE ends a connection the build may have left behind.
    let dropped = client
        .batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote::ident(&name)
        ))
        .await
        .map_err(scratch("dropping"));
    let catalog = built?;
    dropped?;
    Ok(catalog)
}

async fn build_and_read(
    options: ConnectOptions,
    recipe: &Recipe<'_>,
    read: &ReadOptions,
) -> Result<Catalog, SchemaError> {
    let mut client = options.connect().await?;
    match recipe {
        Recipe::Revisions { migrator, level } => {
            if let Some(last) = migrator.migrations().as_slice()[..*level].last() {
                let runner = (*migrator).clone().with_connect_options(options.clone());
                runner
                    .upgrade(&mut client, last.version())
                    .await
                    .map_err(|source| SchemaError::Build {
                        what: format!("the revisions up to {}", last.label()),
                        source: Box::new(source),
                    })?;
            }
        }
        Recipe::Sql { scripts } => {
            for (what, sql) in scripts {
                client
                    .batch_execute(sql)
                    .await
                    .map_err(|source| SchemaError::Run {
                        what: what.clone(),
                        source,
                    })?;
            }
        }
    }
    Catalog::read(&mut client, read)
        .await
        .map_err(|source| SchemaError::Read {
            which: "the scratch database",
            source,
        })
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
            revisions
                .iter()
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
