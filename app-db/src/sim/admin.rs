//! The old `python -m app.db.utils` toolbox: `info`, `reset` and `seed`.

use migrations_core::Migrations;
use thiserror::Error;
use tokio_postgres::Client;

use crate::{MigrateError, Migrator};
use migrations_runtime::quote;
use migrations_runtime::HistoryTable;

/// The tables `info` counts, in dependency order.
pub const TABLES: [&str; 5] = [
    "training_scenarios",
    "call_sessions",
    "call_transcripts",
    "extracted_entities",
    "performance_metrics",
];

/// The revision whose up script is the scenario seed.
pub const SEED_REVISION: &str = "002";

/// Errors of the utilities.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum AdminError {
    /// A query failed.
    #[error("{action} failed")]
    Query {
        /// What was being done.
        action: &'static str,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// `reset` without `--yes`.
    #[error(
        "reset drops every table, type and row in database `{database}`: pass --yes to confirm"
    )]
    NotConfirmed {
        /// The database.
        database: String,
    },
    /// `seed` before the seed revision is applied.
    #[error("the database is not migrated to {SEED_REVISION} yet: run `simulator db upgrade head` first")]
    NotMigrated,
    /// Migrating failed.
    #[error(transparent)]
    Migrate(#[from] MigrateError),
}

fn query(action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> AdminError {
    move |source| AdminError::Query { action, source }
}

/// What `info` shows.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Info {
    /// `version()`.
    pub server: String,
    /// `current_database()`.
    pub database: String,
    /// The current revision (`base` when none).
    pub revision: String,
    /// Pending revisions of this binary.
    pub pending: usize,
    /// Row counts per table (`None`: the table does not exist).
    pub tables: Vec<(String, Option<i64>)>,
}

/// Server, revision and row counts. Read-only.
pub async fn info(client: &Client, migrator: &Migrator<'_>) -> Result<Info, AdminError> {
    let row = client
        .query_one("SELECT version(), current_database()", &[])
        .await
        .map_err(query("reading the server version"))?;
    let state = migrator.state(client).await?;
    let status = crate::status::Status::new(migrator.migrations(), &state);
    let mut tables = Vec::new();
    for table in TABLES
        .iter()
        .copied()
        .chain(std::iter::once("schema_revisions"))
    {
        let exists: bool = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
            .await
            .map_err(query("looking up a table"))?
            .get(0);
        let count = if exists {
            let sql = format!("SELECT count(*) FROM {}", quote::ident(table));
            Some(
                client
                    .query_one(&sql, &[])
                    .await
                    .map_err(query("counting rows"))?
                    .get(0),
            )
        } else {
            None
        };
        tables.push((table.to_owned(), count));
    }
    Ok(Info {
        server: row.get(0),
        database: row.get(1),
        revision: status.current,
        pending: status.pending.len(),
        tables,
    })
}

/// Drops everything in the `public` schema (and the history table's schema) and migrates to
/// head. Refuses unless `confirmed`.
pub async fn reset(
    client: &mut Client,
    migrator: &Migrator<'_>,
    table: &HistoryTable,
    confirmed: bool,
) -> Result<crate::Outcome, AdminError> {
    let database: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .map_err(query("reading the database name"))?
        .get(0);
    if !confirmed {
        return Err(AdminError::NotConfirmed { database });
    }
    let schema = table
        .qualified()
        .split('.')
        .next()
        .unwrap_or("\"public\"")
        .to_owned();
    let mut sql = String::from("DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public;");
    if schema != "\"public\"" {
        sql.push_str(&format!(" DROP SCHEMA IF EXISTS {schema} CASCADE;"));
    }
    client
        .batch_execute(&sql)
        .await
        .map_err(query("dropping the schema"))?;
    Ok(migrator.upgrade(client, "head").await?)
}

/// Re-applies the scenario seed: the seed revision's script upserts the five scenarios, so running
/// it again restores their seeded content and leaves sessions alone.
pub async fn seed(
    client: &mut Client,
    migrator: &Migrator<'_>,
    migrations: &Migrations,
) -> Result<usize, AdminError> {
    let state = migrator.state(&*client).await?;
    let index = migrations
        .position(SEED_REVISION)
        .ok_or(AdminError::NotMigrated)?;
    if state.rows[index].is_none() {
        return Err(AdminError::NotMigrated);
    }
    let tx = client
        .transaction()
        .await
        .map_err(query("starting the seed"))?;
    tx.batch_execute(migrations.as_slice()[index].up().sql())
        .await
        .map_err(query("applying the seed"))?;
    let count: i64 = tx
        .query_one("SELECT count(*) FROM training_scenarios", &[])
        .await
        .map_err(query("counting scenarios"))?
        .get(0);
    tx.commit().await.map_err(query("committing the seed"))?;
    Ok(count as usize)
}
