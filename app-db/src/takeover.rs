//! Taking over a database managed by the old Alembic setup: it has an `alembic_version` table and
//! no history table of ours. The schema is compared with what our revisions up to Alembic's
//! revision produce (built in a scratch database); if they match, those revisions are recorded as
//! applied without running them, and migrating carries on from there.
//!
//! `alembic_version` is left in place and no longer updated: the old Python deployment can still
//! read which revision it knew, and the table can be dropped once that deployment is retired.

use std::collections::BTreeSet;

use thiserror::Error;
use tokio_postgres::{Client, GenericClient};

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
    /// The runner has no way to open the scratch database.
    #[error("taking over from Alembic needs connect options to build a scratch database: use Migrator::with_connect_options")]
    NoConnectOptions,
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

/// Takes over an Alembic-managed database if `client`'s is one (see the module docs).
pub async fn take_over(
    client: &mut Client,
    migrator: &Migrator<'_>,
) -> Result<Takeover, TakeoverError> {
    let exists = |name: &str| format!("SELECT to_regclass('{name}') IS NOT NULL");
    let alembic: bool = client
        .query_one(&exists("alembic_version"), &[])
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
    let rows = client
        .query("SELECT version_num::text FROM alembic_version", &[])
        .await
        .map_err(query("reading alembic_version"))?;
    let versions: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let migrations = migrator.migrations();
    let revision = match versions.as_slice() {
        [one] if migrations.get(one).is_some() => one.clone(),
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
            return Err(TakeoverError::UnknownRevision { found, known });
        }
    };
    let expected = expected_schema(client, migrator, &revision).await?;
    let actual = schema(&*client).await?;
    let differences = diff(&expected, &actual);
    if !differences.is_empty() {
        return Err(TakeoverError::SchemaMismatch {
            revision,
            differences,
        });
    }
    migrator.stamp(client, &revision, false).await?;
    Ok(Takeover::Recorded { revision })
}

/// The schema our revisions up to `revision` produce, built in a scratch database on the same
/// server and dropped again.
async fn expected_schema(
    client: &Client,
    migrator: &Migrator<'_>,
    revision: &str,
) -> Result<BTreeSet<String>, TakeoverError> {
    let options = migrator
        .connect_options()
        .ok_or(TakeoverError::NoConnectOptions)?;
    let name = format!("takeover_{}", uuid::Uuid::new_v4().simple());
    let quoted = crate::history::quote_ident(&name);
    client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await
        .map_err(query("creating the scratch database"))?;
    let built = async {
        let mut scratch = options
            .with_dbname(&name)
            .connect()
            .await
            .map_err(MigrateError::from)?;
        Migrator::new(migrator.migrations())
            .upgrade(&mut scratch, revision)
            .await?;
        schema(&scratch).await
    }
    .await;
    let dropped = client
        .batch_execute(&format!("DROP DATABASE IF EXISTS {quoted} WITH (FORCE)"))
        .await;
    let expected = built?;
    dropped.map_err(query("dropping the scratch database"))?;
    Ok(expected)
}

/// Tables, columns with their types, and enum types with their labels, one line each.
async fn schema(client: &impl GenericClient) -> Result<BTreeSet<String>, TakeoverError> {
    let columns = client
        .query(
            "SELECT 'table ' || c.table_name || ': column ' || c.column_name || ' ' || c.udt_name
             FROM information_schema.columns c JOIN information_schema.tables t USING (table_schema, table_name)
             WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'
               AND c.table_name NOT IN ('alembic_version', 'schema_revisions')",
            &[],
        )
        .await
        .map_err(query("reading columns"))?;
    let enums = client
        .query(
            "SELECT 'type ' || t.typname || ' (' || string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder) || ')'
             FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace
             WHERE n.nspname = 'public' GROUP BY t.typname",
            &[],
        )
        .await
        .map_err(query("reading enum types"))?;
    Ok(columns
        .iter()
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
