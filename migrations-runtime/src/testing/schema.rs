//! Schema snapshots, and the round-trip check every migration author wants: each revision's
//! down script must undo its up script exactly, and the up script must run again afterwards.

use std::collections::BTreeSet;
use std::fmt;

use migrations_core::Migrations;
use tokio_postgres::Client;

use super::{TestDatabase, TestingError};
use crate::Migrator;

/// Everything migrations change in a database, one line per object: schemas, tables and other
/// relations (partition bounds, sequence parameters), columns with type, nullability and
/// default, constraints (of tables and domains), indexes, functions (by body digest), views,
/// triggers, types (enum labels, domain base, nullability and default), extensions, the access
/// privileges of schemas, relations, functions and types, and each table's row count. Objects
/// that belong to an extension are represented by the extension alone. The default history table
/// (`public.schema_revisions`) and its progress and audit tables are left out.
#[derive(Clone, PartialEq, Eq)]
pub struct Snapshot {
    lines: BTreeSet<String>,
}

/// User schemas, for the queries below.
const USER: &str = "n.nspname !~ '^pg_' AND n.nspname <> 'information_schema'";

/// One line per object; `$1` lists the tracking tables to leave out. Objects are named by schema
/// and name, not by oid or column number, which a down-then-up legitimately changes. `USER`
/// and `NOT_EXTENSION(x)` are filled in by `queries`.
const CATALOG: &[&str] = &[
    "SELECT 'schema ' || n.nspname || coalesce(' acl ' || n.nspacl::text, '') FROM pg_namespace n WHERE USER",
    "SELECT 'extension ' || extname FROM pg_extension",
    "SELECT 'relation ' || n.nspname || '.' || c.relname || ' kind ' || c.relkind::text
            || coalesce(' partition ' || pg_get_expr(c.relpartbound, c.oid), '') || coalesce(' acl ' || c.relacl::text, '')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE USER AND c.relkind IN ('r', 'p', 'v', 'm', 'S', 'f', 'c') AND c.oid <> ALL (TRACKING)
       AND NOT_EXTENSION(c.oid)",
    "SELECT 'sequence ' || n.nspname || '.' || c.relname || ' ' || format_type(s.seqtypid, NULL) || ' start ' || s.seqstart
            || ' increment ' || s.seqincrement || ' min ' || s.seqmin || ' max ' || s.seqmax || ' cache ' || s.seqcache
            || CASE WHEN s.seqcycle THEN ' cycle' ELSE '' END
     FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE USER AND NOT_EXTENSION(c.oid)",
    "SELECT 'column ' || n.nspname || '.' || c.relname || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
            || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
            || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
     FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE USER AND a.attnum > 0 AND NOT a.attisdropped
       AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'c') AND c.oid <> ALL (TRACKING) AND NOT_EXTENSION(c.oid)",
    "SELECT 'constraint ' || CASE WHEN k.conrelid <> 0 THEN k.conrelid::regclass::text ELSE 'domain ' || k.contypid::regtype::text END
            || '.' || k.conname || ' ' || pg_get_constraintdef(k.oid)
     FROM pg_constraint k JOIN pg_namespace n ON n.oid = k.connamespace
     WHERE USER AND k.conrelid <> ALL (TRACKING) AND NOT_EXTENSION(k.oid)",
    "SELECT 'index ' || pg_get_indexdef(i.indexrelid)
     FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE USER AND i.indrelid <> ALL (TRACKING) AND NOT_EXTENSION(c.oid)",
    "SELECT 'function ' || p.oid::regprocedure::text || ' kind ' || p.prokind::text
            || CASE WHEN p.prokind IN ('f', 'p')
                    THEN ' body sha256 ' || encode(sha256(convert_to(pg_get_functiondef(p.oid), 'UTF8')), 'hex') ELSE '' END
            || coalesce(' acl ' || p.proacl::text, '')
     FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE USER AND NOT_EXTENSION(p.oid)",
    "SELECT 'view ' || n.nspname || '.' || c.relname || ' definition sha256 '
            || encode(sha256(convert_to(pg_get_viewdef(c.oid), 'UTF8')), 'hex')
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('v', 'm') AND USER AND NOT_EXTENSION(c.oid)",
    "SELECT 'trigger ' || pg_get_triggerdef(t.oid) FROM pg_trigger t WHERE NOT t.tgisinternal AND NOT_EXTENSION(t.oid)",
    "SELECT 'type ' || t.oid::regtype::text || ' kind ' || t.typtype::text
            || coalesce(' over ' || format_type(t.typbasetype, t.typtypmod), '')
            || CASE WHEN t.typnotnull THEN ' not null' ELSE '' END || coalesce(' default ' || t.typdefault, '')
            || coalesce(' labels ' || (SELECT string_agg(e.enumlabel, ', ' ORDER BY e.enumsortorder)
                                       FROM pg_enum e WHERE e.enumtypid = t.oid), '')
            || coalesce(' acl ' || t.typacl::text, '')
     FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace
     WHERE USER AND t.typtype IN ('e', 'd', 'r', 'm') AND NOT_EXTENSION(t.oid)",
];

/// The tables whose rows are counted, quoted for a query, with their names for the line.
const TABLES: &str = "SELECT format('%I.%I', n.nspname, c.relname), n.nspname || '.' || c.relname
     FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
     WHERE c.relkind IN ('r', 'p') AND USER AND c.oid <> ALL (TRACKING) AND NOT_EXTENSION(c.oid)";

/// `query` with its placeholders filled in.
fn expand(query: &str) -> String {
    // TRACKING: the oids of the tracking tables named in `$1` that exist.
    let tracking = "ARRAY(SELECT to_regclass(t)::oid FROM unnest($1::text[]) t WHERE to_regclass(t) IS NOT NULL)";
    let mut query = query.replace("USER", USER).replace("TRACKING", tracking);
    // NOT_EXTENSION(x): x is not a member of an extension.
    while let Some(at) = query.find("NOT_EXTENSION(") {
        let end = at + query[at..].find(')').unwrap_or(query.len() - at);
        let object = query[at + "NOT_EXTENSION(".len()..end].to_owned();
        let test = format!(
            "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.objid = {object} AND dep.deptype = 'e')"
        );
        query.replace_range(at..=end, &test);
    }
    query
}

impl Snapshot {
    /// Reads the snapshot of the database `client` is connected to.
    pub async fn take(client: &Client) -> Result<Self, tokio_postgres::Error> {
        let history = crate::history::HistoryTable::default();
        let tracking: Vec<String> = [history.clone(), history.progress(), history.audit()]
            .iter()
            .map(|t| t.qualified())
            .collect();
        let mut lines = BTreeSet::new();
        for query in CATALOG {
            let query = expand(query);
            let params: &[&(dyn tokio_postgres::types::ToSql + Sync)] = match query.contains("$1") {
                true => &[&tracking],
                false => &[],
            };
            for row in client.query(&query, params).await? {
                lines.insert(row.get::<_, String>(0));
            }
        }
        // Counted one table at a time from here, rather than in SQL, which would need libxml.
        for table in client.query(&expand(TABLES), &[&tracking]).await? {
            let (quoted, name): (String, String) = (table.get(0), table.get(1));
            let count = format!("SELECT count(*) FROM {quoted}");
            let rows: i64 = client.query_one(&count, &[]).await?.get(0);
            lines.insert(format!("rows {name}: {rows}"));
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
