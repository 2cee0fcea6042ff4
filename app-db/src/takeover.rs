//! Taking over a database managed by the old Alembic setup: it has an `alembic_version` table and
//! no history table of ours. Under the migration lock, in one transaction, the schema is compared
//! with what our revisions up to Alembic's revision produce (run inside a savepoint, in a private
//! schema that is rolled back: no CREATEDB needed, nothing left behind); if they match, those
//! revisions are recorded as applied without running them, and migrating carries on from there.
//!
//! `alembic_version` is left in place and no longer updated: the old Python deployment can still
//! read which revision it knew, and the table can be dropped once that deployment is retired.

use std::collections::BTreeSet;

use migrations_core::TransactionMode;
use thiserror::Error;
use tokio_postgres::{Client, GenericClient, Transaction};

use migrations_runtime::status::Method;

use crate::{MigrateError, Migrator};

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
    #[error("the database says Alembic revision {revision}, but its schema differs from what revisions up to {revision} produce; nothing was recorded. Differences:\n  - {}", differences.join("\n  - "))]
    SchemaMismatch {
        /// The Alembic revision.
        revision: String,
        /// One line per difference.
        differences: Vec<String>,
    },
    /// A revision up to Alembic's cannot run inside the comparison's transaction.
    #[error("revision {revision} runs outside a transaction, so the takeover cannot rebuild it for comparison: stamp the database by hand after checking its schema")]
    CannotVerify {
        /// The revision.
        revision: String,
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
    let alembic: bool = client
        .query_one("SELECT to_regclass('alembic_version') IS NOT NULL", &[])
        .await
        .map_err(query("looking for alembic_version"))?
        .get(0);
    if !alembic
        || migrator
            .table()
            .exists(&*client)
            .await
            .map_err(MigrateError::from)?
    {
        return Ok(Takeover::NotNeeded);
    }
    migrator
        .locked(client, |migrator, tx| {
            Box::pin(async move {
                // Another replica may have taken it over while we waited for the lock.
                if migrator
                    .table()
                    .exists(tx)
                    .await
                    .map_err(MigrateError::from)?
                {
                    return Ok(Takeover::NotNeeded);
                }
                let revision = alembic_revision(tx, migrator).await?;
                let expected = expected_schema(tx, migrator, &revision).await?;
                let differences = diff(&expected, &schema(tx, "public").await?);
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

/// The schema our revisions up to `revision` produce: their scripts run inside a savepoint, in
/// a private schema first on the search path, then rolled back.
async fn expected_schema(
    tx: &Transaction<'_>,
    migrator: &Migrator<'_>,
    revision: &str,
) -> Result<BTreeSet<String>, TakeoverError> {
    let level = migrator
        .migrations()
        .position(revision)
        .map_or(0, |i| i + 1);
    let revisions = &migrator.migrations().as_slice()[..level];
    if let Some(r) = revisions
        .iter()
        .find(|r| r.up().transaction() == TransactionMode::None)
    {
        return Err(TakeoverError::CannotVerify {
            revision: r.label(),
        });
    }
    tx.batch_execute("SAVEPOINT takeover_check; CREATE SCHEMA takeover_check; SET LOCAL search_path = takeover_check, public;")
        .await
        .map_err(query("preparing the comparison"))?;
    let mut built = Ok(());
    for r in revisions {
        if let Err(source) = tx.batch_execute(r.up().sql()).await {
            built = Err(TakeoverError::Query {
                action: "running the revisions for comparison",
                source,
            });
            break;
        }
    }
    let expected = match built {
        Ok(()) => schema(tx, "takeover_check").await,
        Err(e) => Err(e),
    };
    tx.batch_execute("ROLLBACK TO SAVEPOINT takeover_check; RESET search_path;")
        .await
        .map_err(query("rolling back the comparison"))?;
    expected
}

/// Tables, columns with their types and nullability, foreign keys with their delete actions,
/// and enum types with their labels, one line each, for the tables in `schema`.
async fn schema(
    client: &impl GenericClient,
    schema: &str,
) -> Result<BTreeSet<String>, TakeoverError> {
    let columns = client
        .query(
            "SELECT 'table ' || c.relname || ': column ' || a.attname || ' ' || t.typname || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
             FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_type t ON t.oid = a.atttypid
             WHERE n.nspname = $1 AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
               AND c.relname NOT IN ('alembic_version', 'schema_revisions')",
            &[&schema],
        )
        .await
        .map_err(query("reading columns"))?;
    let foreign_keys = client
        .query(
            "SELECT 'table ' || c.relname || ': foreign key (' || array_to_string(ARRAY(SELECT attname FROM pg_attribute WHERE attrelid = k.conrelid AND attnum = ANY (k.conkey)), ', ')
                    || ') references ' || r.relname || ' on delete ' || CASE k.confdeltype WHEN 'c' THEN 'cascade' WHEN 'n' THEN 'set null' WHEN 'd' THEN 'set default' WHEN 'r' THEN 'restrict' ELSE 'no action' END
             FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class r ON r.oid = k.confrelid JOIN pg_namespace n ON n.oid = c.relnamespace
             WHERE k.contype = 'f' AND n.nspname = $1",
            &[&schema],
        )
        .await
        .map_err(query("reading foreign keys"))?;
    let enums = client
        .query(
            "SELECT 'type ' || t.typname || ' (' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) || ')'
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = $1 GROUP BY t.typname",
            &[&schema],
        )
        .await
        .map_err(query("reading enum types"))?;
    Ok(columns
        .iter()
        .chain(&foreign_keys)
        .chain(&enums)
        .map(|r| r.get::<_, String>(0))
        .collect())
}

fn diff(expected: &BTreeSet<String>, actual: &BTreeSet<String>) -> Vec<String> {
    let missing = expected.difference(actual).map(|l| format!("missing {l}"));
    let extra = actual
        .difference(expected)
        .map(|l| format!("unexpected {l}"));
    missing.chain(extra).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diff_names_missing_and_unexpected_lines() {
        let expected: BTreeSet<String> = [
            "table a: column x int4".into(),
            "table a: column y text".into(),
        ]
        .into();
        let actual: BTreeSet<String> = [
            "table a: column x int8".into(),
            "table a: column y text".into(),
        ]
        .into();
        assert_eq!(
            diff(&expected, &actual),
            [
                "missing table a: column x int4",
                "unexpected table a: column x int8"
            ]
        );
    }
}
