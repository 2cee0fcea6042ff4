//! Schema snapshots, and the round-trip check every migration author wants: each revision's
//! down script must undo its up script exactly, and the up script must run again afterwards.

use std::collections::BTreeMap;

use migrations_core::Migrations;
use migrations_schema::{Catalog, Name, ReadError, ReadOptions};
use tokio_postgres::Client;

use super::{TestDatabase, TestingError};
use crate::Migrator;

/// Everything migrations change in a database: its [`Catalog`] (every object kind the schema
/// model covers, owners and grants included) and each table's row count. Objects that belong to
/// an extension are represented by the extension alone; the default history table
/// (`public.schema_revisions`) and its progress and audit tables are left out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Snapshot {
    catalog: Catalog,
    rows: BTreeMap<Name, i64>,
}

impl Snapshot {
    /// Reads the snapshot of the database `client` is connected to.
    pub async fn take(client: &Client) -> Result<Self, ReadError> {
        let options = ReadOptions {
            exclude: crate::HistoryTable::default().tracking(),
            privileges: true,
            ..ReadOptions::default()
        };
        let catalog = Catalog::read_in(client, &options).await?;
        let mut rows = BTreeMap::new();
        for name in catalog.tables.keys() {
            let count = format!("SELECT count(*) FROM {name}");
            let counted = client.query_one(&count, &[]).await;
            let counted = counted.map_err(|source| ReadError::Query {
                what: "counting rows",
                source,
            })?;
            rows.insert(name.clone(), counted.get(0));
        }
        Ok(Self { catalog, rows })
    }

    /// The schema.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Each table's row count.
    pub fn rows(&self) -> &BTreeMap<Name, i64> {
        &self.rows
    }

    /// How `actual` differs from `self`, one line per object (`table public.t: missing ...`,
    /// `column ...: expected ..., found ...`) and per row count.
    pub fn diff(&self, actual: &Snapshot) -> Vec<String> {
        let schema = migrations_schema::diff(&actual.catalog, &self.catalog);
        let mut lines: Vec<String> = schema.differences().map(ToString::to_string).collect();
        for (table, expected) in &self.rows {
            let found = actual.rows.get(table);
            if found != Some(expected) {
                let found = found.map_or("no table".to_owned(), ToString::to_string);
                lines.push(format!(
                    "rows of {table}: expected {expected}, found {found}"
                ));
            }
        }
        lines
    }
}

/// Why a revision set does not round-trip.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RoundTripError {
    /// No database to run in.
    #[error(transparent)]
    Testing(#[from] TestingError),
    /// Reading a snapshot failed.
    #[error("could not read the schema after {step}")]
    Snapshot {
        /// What had just run.
        step: String,
        /// The reader's error.
        source: ReadError,
    },
    /// A script failed to run.
    #[error("{step} failed")]
    Migrate {
        /// What was running.
        step: String,
        /// The migration error (boxed: it is large).
        source: Box<crate::MigrateError>,
    },
    /// A down script left the database different from before its up script.
    #[error("revision {revision}: `{down}` does not undo `{up}`; after downgrading:\n  {}", differences.join("\n  "))]
    DownDiffers {
        /// The revision.
        revision: String,
        /// The up script's file (`003_x/up.sql`, `004_y/up.rs`).
        up: String,
        /// The down script's file.
        down: String,
        /// The differences from the schema before the upgrade.
        differences: Vec<String>,
    },
    /// Running the up script again gave a different result from the first time.
    #[error("revision {revision}: `{up}` gives another schema when run again after `{down}`:\n  {}", differences.join("\n  "))]
    UpDiffers {
        /// The revision.
        revision: String,
        /// The up script's file.
        up: String,
        /// The down script's file.
        down: String,
        /// The differences from the schema after the first upgrade.
        differences: Vec<String>,
    },
}

/// Checks each revision of `migrations` in order, in the empty database `db`: up, down, and up
/// again, comparing [`Snapshot`]s, so that the down script restores exactly the schema (and row
/// counts) from before and the up script runs again to the same result. Irreversible revisions
/// are applied and not downgraded. Returns the revisions checked. On failure `db` is left as
/// the failing step left it, and a failing `#[migrations_runtime::test]` keeps it for inspection.
///
/// ```no_run
/// # use migrations_runtime::migrations_core::{Layout, Migrations};
/// # static MIGRATIONS: Migrations = Migrations::__embedded(Layout::Directories, &[]);
/// #[migrations_runtime::test(empty)]
/// async fn every_revision_round_trips(db: migrations_runtime::testing::TestDatabase) -> Result<(), migrations_runtime::testing::RoundTripError> {
///     migrations_runtime::testing::round_trip(&db, &MIGRATIONS).await?;
///     Ok(())
/// }
/// ```
pub async fn round_trip(
    db: &TestDatabase,
    migrations: &Migrations,
) -> Result<Vec<String>, RoundTripError> {
    let mut client = db.connect().await?;
    let options = crate::connect::ConnectOptions::from_config(db.config().clone());
    let migrator = Migrator::new(migrations, options);
    let mut before = snapshot(&client, "creating the database").await?;
    let mut checked = Vec::new();
    for revision in migrations.iter() {
        let version = revision.version();
        let up = format!("upgrading to {version}");
        run(migrator.upgrade(&mut client, version).await, &up)?;
        let after = snapshot(&client, &up).await?;
        if !revision.is_irreversible() {
            let down = format!("downgrading {version}");
            run(migrator.downgrade(&mut client, "-1").await, &down)?;
            let differences = before.diff(&snapshot(&client, &down).await?);
            let (up, down) = files(revision);
            if !differences.is_empty() {
                let revision = version.to_owned();
                return Err(RoundTripError::DownDiffers {
                    revision,
                    up,
                    down,
                    differences,
                });
            }
            let again = format!("upgrading to {version} again");
            run(migrator.upgrade(&mut client, version).await, &again)?;
            let differences = after.diff(&snapshot(&client, &again).await?);
            if !differences.is_empty() {
                let revision = version.to_owned();
                return Err(RoundTripError::UpDiffers {
                    revision,
                    up,
                    down,
                    differences,
                });
            }
            checked.push(version.to_owned());
        }
        before = after;
    }
    Ok(checked)
}

/// The files of a reversible revision's scripts, for messages.
fn files(revision: &migrations_core::Revision) -> (String, String) {
    let down = revision
        .down()
        .map_or_else(String::new, |d| d.file().to_owned());
    (revision.up().file().to_owned(), down)
}

async fn snapshot(client: &Client, step: &str) -> Result<Snapshot, RoundTripError> {
    Snapshot::take(client)
        .await
        .map_err(|source| RoundTripError::Snapshot {
            step: step.to_owned(),
            source,
        })
}

fn run<T>(result: Result<T, crate::MigrateError>, step: &str) -> Result<T, RoundTripError> {
    result.map_err(|source| RoundTripError::Migrate {
        step: step.to_owned(),
        source: Box::new(source),
    })
}
