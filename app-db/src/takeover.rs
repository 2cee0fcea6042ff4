//! Taking over a database managed by the old Alembic setup: it has an `alembic_version` table and
//! no history table of ours. Under the migration lock, in one transaction, the schema is compared
//! with what our revisions up to Alembic's revision produce (`Migrator::drift_in`: built inside a
//! savepoint, in a private schema that is rolled back, so no CREATEDB is needed and nothing is
//! left behind); if they match, those revisions are recorded as applied without running them,
//! and migrating carries on from there.
//!
//! A database the real Python setup built (SQLAlchemy's types, names and defaults) differs from
//! ours in many small ways, so it is refused on boot with the differences and the command to
//! run: [`plan`] (`simulator db takeover --plan`) shows the reconciliation, [`apply`]
//! (`--apply`) runs it together with the stamps in one transaction under the lock (see
//! `reconcile`).
//!
//! `alembic_version` is left in place and no longer updated: the old Python deployment can still
//! read which revision it knew, and the table can be dropped once that deployment is retired.

mod reconcile;
mod rows;

pub use reconcile::{Blocker, Choices, Fill, Reconciliation};

use thiserror::Error;
use tokio_postgres::{Client, GenericClient, Transaction};

use migrations_runtime::migrations_schema::{Catalog, Name};
use migrations_runtime::schema::SchemaError;
use migrations_runtime::status::Method;

use crate::{MigrateError, Migrator};

/// The table the Alembic setup records its revision in, kept after the takeover, as
/// `Migrator::ignoring_tables` takes it (the takeover itself looks for it in `public`).
pub const ALEMBIC_TABLE: &str = "public.alembic_version";

/// Errors of the takeover. Nothing has been recorded when one is returned.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TakeoverError {
    /// `alembic_version` holds something other than one known revision.
    #[error("alembic_version holds {found}, but the takeover needs exactly one revision this binary knows ({known}): fix alembic_version, or migrate with the Python setup first")]
    UnknownRevision {
        /// What the table holds.
        found: String,
        /// Revisions this binary has.
        known: String,
    },
    /// The schema is not what our revisions produce.
    #[error("the database says Alembic revision {revision}, but its schema differs from what revisions up to {revision} produce; nothing was recorded. Differences:\n  - {}\nrun `simulator db takeover --plan` to see the SQL that reconciles it keeping every row, and `simulator db takeover --apply` to run it", differences.join("\n  - "))]
    SchemaMismatch {
        /// The Alembic revision.
        revision: String,
        /// One line per difference.
        differences: Vec<String>,
    },
    /// The schema our revisions produce could not be built for the comparison (e.g. a revision
    /// up to Alembic's runs outside a transaction).
    #[error("the takeover cannot compare the schema with revision {revision}'s")]
    CannotVerify {
        /// The Alembic revision.
        revision: String,
        /// Why.
        #[source]
        source: SchemaError,
    },
    /// The reconciliation has steps that need the rows fixed or a decision first.
    #[error("the takeover at revision {revision} cannot run as planned; nothing was changed:\n  - {}\nsee `simulator db takeover --plan`", blockers.join("\n  - "))]
    Blocked {
        /// The Alembic revision.
        revision: String,
        /// One line per blocker, with its choices.
        blockers: Vec<String>,
    },
    /// After the reconciliation the schema still differs (a bug): rolled back.
    #[error("the reconciliation of revision {revision} left differences, so it was rolled back (please report this):\n  - {}", differences.join("\n  - "))]
    Unreconciled {
        /// The Alembic revision.
        revision: String,
        /// What still differs.
        differences: Vec<String>,
    },
    /// A query failed.
    #[error("{action} failed")]
    Query {
        /// What was being done.
        action: &'static str,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Migrating the scratch database or recording the revisions failed.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

fn query(action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> TakeoverError {
    move |source| TakeoverError::Query { action, source }
}

/// What [`take_over`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Takeover {
    /// Not an Alembic database, or already ours.
    NotNeeded,
    /// The revisions up to `revision` were recorded as applied.
    Recorded {
        /// The Alembic revision taken over.
        revision: String,
    },
}

/// Takes over an Alembic-managed database if `client`'s is one (see the module docs). Safe with
/// many replicas booting at once: the first takes it over under the lock, the others find the
/// history table when they get the lock.
pub async fn take_over(
    client: &mut Client,
    migrator: &Migrator<'_>,
) -> Result<Takeover, TakeoverError> {
    if !is_alembic(&*client, migrator).await? {
        return Ok(Takeover::NotNeeded);
    }
    migrator
        .locked(client, |migrator, tx| {
            Box::pin(async move {
                // Another replica may have taken it over while we waited for the lock.
                let Some(revision) = still_alembic(tx, migrator).await? else {
                    return Ok(Takeover::NotNeeded);
                };
                let differences: Vec<String> = compare(tx, migrator, &revision)
                    .await
                    .map(|(found, expected)| {
                        migrations_runtime::migrations_schema::diff(&found, &expected)
                    })?
                    .differences()
                    .map(ToString::to_string)
                    .collect();
                if !differences.is_empty() {
                    return Err(TakeoverError::SchemaMismatch {
                        revision,
                        differences,
                    });
                }
                record(tx, migrator, &revision).await?;
                Ok(Takeover::Recorded { revision })
            })
        })
        .await
}

/// The tables the comparison leaves out: `alembic_version`, which the takeover keeps.
fn alembic_table() -> [Name; 1] {
    [Name::new("public", "alembic_version")]
}

/// Whether `client` sees an Alembic database (`alembic_version`) without a history of ours.
async fn is_alembic(
    client: &impl GenericClient,
    migrator: &Migrator<'_>,
) -> Result<bool, TakeoverError> {
    let alembic: bool = client
        .query_one("SELECT to_regclass('alembic_version') IS NOT NULL", &[])
        .await
        .map_err(query("looking for alembic_version"))?
        .get(0);
    Ok(alembic
        && !migrator
            .table()
            .exists(client)
            .await
            .map_err(MigrateError::from)?)
}

/// Whether `tx` still sees an Alembic database without a history of ours, and its revision.
async fn still_alembic(
    tx: &Transaction<'_>,
    migrator: &Migrator<'_>,
) -> Result<Option<String>, TakeoverError> {
    match is_alembic(tx, migrator).await? {
        true => alembic_revision(tx, migrator).await.map(Some),
        false => Ok(None),
    }
}

/// The database as it is and as our revisions up to `revision` build it.
async fn compare(
    tx: &Transaction<'_>,
    migrator: &Migrator<'_>,
    revision: &str,
) -> Result<(Catalog, Catalog), TakeoverError> {
    migrator
        .catalogs_in(tx, revision, &alembic_table())
        .await
        .map_err(|source| TakeoverError::CannotVerify {
            revision: revision.to_owned(),
            source,
        })
}

/// The reconciliation `--apply` would run, with the rows behind each step looked at; `None`
/// when the database is not an Alembic one (or is ours already). Changes nothing: it runs in a
/// transaction that is rolled back, and takes no lock.
pub async fn plan(
    client: &mut Client,
    migrator: &Migrator<'_>,
    choices: &Choices,
) -> Result<Option<Reconciliation>, TakeoverError> {
    let tx = client
        .transaction()
        .await
        .map_err(query("starting the plan"))?;
    let Some(revision) = still_alembic(&tx, migrator).await? else {
        return Ok(None);
    };
    let (found, expected) = compare(&tx, migrator, &revision).await?;
    let plan = reconcile::reconcile(&tx, &revision, &found, &expected, choices).await?;
    tx.rollback().await.map_err(query("ending the plan"))?;
    Ok(Some(plan))
}

/// Runs the reconciliation and the stamps in one transaction under the migration lock: planned
/// again there, refused if anything blocks it, checked afterwards (the schema must then be what
/// our revisions produce, or everything is rolled back). Migrating on is the caller's next step.
pub async fn apply(
    client: &mut Client,
    migrator: &Migrator<'_>,
    choices: &Choices,
) -> Result<Option<Reconciliation>, TakeoverError> {
    migrator
        .locked(client, |migrator, tx| {
            Box::pin(async move {
                let Some(revision) = still_alembic(tx, migrator).await? else {
                    return Ok(None);
                };
                let (found, expected) = compare(tx, migrator, &revision).await?;
                let plan = reconcile::reconcile(tx, &revision, &found, &expected, choices).await?;
                if !plan.blockers.is_empty() {
                    let blockers = plan.blockers.iter().map(ToString::to_string).collect();
                    return Err(TakeoverError::Blocked { revision, blockers });
                }
                tx.batch_execute(&plan.sql())
                    .await
                    .map_err(query("running the reconciliation"))?;
                let (now, expected) = compare(tx, migrator, &revision).await?;
                let left = migrations_runtime::migrations_schema::diff(&now, &expected);
                if !left.is_empty() {
                    let differences = left.differences().map(ToString::to_string).collect();
                    return Err(TakeoverError::Unreconciled {
                        revision,
                        differences,
                    });
                }
                record(tx, migrator, &revision).await?;
                Ok(Some(plan))
            })
        })
        .await
}

/// The one revision `alembic_version` holds, if this binary knows it.
async fn alembic_revision(
    tx: &Transaction<'_>,
    migrator: &Migrator<'_>,
) -> Result<String, TakeoverError> {
    let rows = tx
        .query("SELECT version_num::text FROM alembic_version", &[])
        .await
        .map_err(query("reading alembic_version"))?;
    let versions: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let migrations = migrator.migrations();
    match versions.as_slice() {
        [one] if migrations.get(one).is_some() => Ok(one.clone()),
        _ => {
            let known = migrations
                .iter()
                .map(|r| r.version().to_owned())
                .collect::<Vec<_>>()
                .join(", ");
            let found = if versions.is_empty() {
                "no row".to_owned()
            } else {
                versions.join(", ")
            };
            Err(TakeoverError::UnknownRevision { found, known })
        }
    }
}

/// Records the revisions up to `revision` as applied (`stamp`), inserting only what is missing.
async fn record(
    tx: &Transaction<'_>,
    migrator: &Migrator<'_>,
    revision: &str,
) -> Result<(), TakeoverError> {
    let table = migrator.table();
    table.ensure(tx).await.map_err(MigrateError::from)?;
    let level = migrator
        .migrations()
        .position(revision)
        .map_or(0, |i| i + 1);
    for r in &migrator.migrations().as_slice()[..level] {
        table
            .insert(tx, r, None, Method::Stamp)
            .await
            .map_err(MigrateError::from)?;
    }
    Ok(())
}
