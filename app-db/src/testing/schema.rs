//! Schema snapshots, and the round-trip check every migration author wants: each revision's
//! down script must undo its up script exactly, and the up script must run again afterwards.

use std::collections::BTreeSet;
use std::fmt;

use migrations_core::Migrations;
use tokio_postgres::Client;

use super::{server, TestingError};
use crate::Migrator;

/// Everything migrations change in a database, one line per object: schemas, tables and other
/// relations with their privileges, columns with type, nullability and default, constraints,
/// indexes, functions (by body digest), views, triggers, types, extensions, and each table's
/// row count. The default history table (`public.schema_revisions`) is left out.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot {
    lines: BTreeSet<String>,
}

/// One line per object; `$1` is the history table to leave out. Objects are named by schema
/// and name, not by oid or column number, which a down-then-up legitimately changes.
const CATALOG: &[&str] = &[
    "SELECT 'schema ' || nspname FROM pg_namespace
     WHERE nspname !~ '^pg_' AND nspname <> 'information_schema'",
    "SELECT 'extension ' || extname FROM pg_extension",
    "SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind ' || c.relkind::text || coalesce(' acl ' || c.relacl::text, '')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
       AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND c.oid IS DISTINCT FROM to_regclass($1)",
    "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND c.oid IS DISTINCT FROM to_regclass($1)",
    "SELECT 'constraint ' || coalesce(k.conrelid::regclass::text, k.contypid::regtype::text) || '.' || k.conname
            || ' ' || pg_get_constraintdef(k.oid)
     FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND k.conrelid IS DISTINCT FROM to_regclass($1)",
    "SELECT 'index ' || pg_get_indexdef(i.indexrelid)
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND i.indrelid IS DISTINCT FROM to_regclass($1)",
    "SELECT 'function ' || p.oid::regprocedure::text || ' kind ' || p.prokind::text
            || CASE WHEN p.prokind IN ('f', 'p') THEN ' body md5 ' || md5(pg_get_functiondef(p.oid)) ELSE '' END
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'",
    "SELECT 'view ' || n.nspname || '.' || c.relname || ' definition md5 ' || md5(pg_get_viewdef(c.oid))
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'",
    "SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal",
    "SELECT 'type ' || t.oid::regtype::text || ' kind ' || t.typtype::text
            || coalesce(' over ' || format_type(t.typbasetype, t.typtypmod), '')
            || coalesce(' labels ' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
                                       FROM pg_enum e WHERE e.enumtypid = t.oid), '')
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE n.nspname !~ '^pg_' AND n.nspname <> 'information_schema' AND t.typtype IN ('e', 'd', 'r', 'm')",
    // One query for every table's row count, through query_to_xml.
    "SELECT 'rows ' || n.nspname || '.' || c.relname || ': '
            || (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %s', c.oid::regclass), false, true, '')))[1]::text
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'
       AND c.oid IS DISTINCT FROM to_regclass($1)",
];

impl Snapshot {
    /// Reads the snapshot of the database `client` is connected to.
    pub async fn take(client: &Client) -> Result<Self, tokio_postgres::Error> {
        let history = crate::history::DEFAULT_TABLE;
        let mut lines = BTreeSet::new();
        for query in CATALOG {
            let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] = match query.contains("$1") {
                true => &[&history],
                false => &[],
            };
            for row in client.query(*query, params).await? {
                lines.insert(row.get::<_, String>(0));
            }
        }
        Ok(Self { lines })
    }

    /// The lines, sorted.
    pub fn lines(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(String::as_str)
    }

    /// What `actual` lacks (`missing …`) and has in excess (`unexpected …`) against `self`.
    pub fn diff(&self, actual: &Snapshot) -> Vec<String> {
        let missing = self.lines.difference(&actual.lines);
        let extra = actual.lines.difference(&self.lines);
        let missing = missing.map(|line| format!("missing {line}"));
        missing
            .chain(extra.map(|line| format!("unexpected {line}")))
            .collect()
    }
}

impl fmt::Debug for Snapshot {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(&self.lines).finish()
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
        /// The server's error.
        source: tokio_postgres::Error,
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
    #[error("revision {revision}: down.sql does not undo up.sql; after downgrading:\n  {}", differences.join("\n  "))]
    DownDiffers {
        /// The revision.
        revision: String,
        /// The differences from the schema before the upgrade.
        differences: Vec<String>,
    },
    /// Running the up script again gave a different result from the first time.
    #[error("revision {revision}: up.sql gives another schema when run again after down.sql:\n  {}", differences.join("\n  "))]
    UpDiffers {
        /// The revision.
        revision: String,
        /// The differences from the schema after the first upgrade.
        differences: Vec<String>,
    },
}

/// Checks each revision of `migrations` in order, in a fresh database of the test server: up,
/// down, and up again, comparing [`Snapshot`]s, so that the down script restores exactly the
/// schema (and row counts) from before and the up script runs again to the same result.
/// Irreversible revisions are applied and not downgraded. Returns the revisions checked.
///
/// ```no_run
/// #[tokio::test]
/// async fn every_revision_round_trips() {
///     if let Err(error) = app_db::testing::round_trip(&app_db::MIGRATIONS).await {
///         panic!("{error}");
///     }
/// }
/// ```
pub async fn round_trip(migrations: &Migrations) -> Result<Vec<String>, RoundTripError> {
    let db = server().await?.create_database().await?;
    let mut client = db.connect().await?;
    let migrator = Migrator::new(migrations);
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
            if !differences.is_empty() {
                let revision = version.to_owned();
                return Err(RoundTripError::DownDiffers {
                    revision,
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
                    differences,
                });
            }
            checked.push(version.to_owned());
        }
        before = after;
    }
    Ok(checked)
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
