//! Reading a scratch database's rows as a baseline needs them: its tables and materialized
//! views, their columns, its sequences, in a session whose text forms any session reads back,
//! with row security out of the way ([`super::load`] writes the script, [`super::digest`]
//! compares).

use migrations_schema::{Name, ReadOptions};
use tokio_postgres::Client;

use super::SchemaError;

/// One table or materialized view, as the queries below name it.
pub(super) struct Relation {
    /// Its `pg_class` oid.
    pub oid: u32,
    /// Quoted `schema.table`.
    pub name: String,
    /// `ONLY` for a plain table (its inheritance children load on their own), empty for a
    /// partitioned one (read and written through the parent).
    pub only: &'static str,
    /// A materialized view.
    pub view: bool,
    /// Holds rows (a materialized view created `WITH NO DATA` does not).
    pub populated: bool,
    /// `FORCE ROW LEVEL SECURITY`: its policies apply to its owner too, and would hide rows
    /// from the reading and refuse them to the loading (see [`unforced`]).
    pub forced: bool,
}

/// The error of a query on the scratch database, saying what it was for.
pub(super) fn failed(action: &str) -> impl Fn(tokio_postgres::Error) -> SchemaError + '_ {
    move |source| SchemaError::Scratch {
        action: action.to_owned(),
        source,
    }
}

/// The tables (not partitions, not an extension's, not those `read` leaves out) and
/// materialized views of `client`'s database, in creation order.
async fn relations(client: &Client, read: &ReadOptions) -> Result<Vec<Relation>, SchemaError> {
    let rows = client
        .query(
            "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, \
                    c.relispopulated, n.nspname, c.relname, c.relforcerowsecurity \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind IN ('r', 'p', 'm') AND NOT c.relispartition \
               AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg\\_%' \
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') \
             ORDER BY c.oid",
            &[],
        )
        .await
        .map_err(failed("listing the tables"))?;
    let mut out = Vec::new();
    for row in rows {
        let name = Name::new(row.get::<_, &str>(4), row.get::<_, &str>(5));
        if read.exclude.contains(&name) {
            continue;
        }
        let kind: String = row.get(2);
        out.push(Relation {
            oid: row.get(0),
            name: row.get(1),
            only: if kind == "r" { "ONLY " } else { "" },
            view: kind == "m",
            populated: row.get(3),
            forced: row.get(6),
        });
    }
    Ok(out)
}

/// The session pinned ([`pin`]) and the relations `read` covers, every row of them readable:
/// with the names of those whose `FORCE ROW LEVEL SECURITY` was lifted, to put back with
/// [`unforced`] once read.
pub(super) async fn readable(
    client: &Client,
    read: &ReadOptions,
) -> Result<(Vec<Relation>, Vec<String>), SchemaError> {
    pin(client).await?;
    let all = relations(client, read).await?;
    let forced = forced(&all);
    unforced(client, &forced, true).await?;
    Ok((all, forced))
}

/// The relations of `all` whose policies apply to their owner.
fn forced(all: &[Relation]) -> Vec<String> {
    all.iter()
        .filter(|r| r.forced)
        .map(|r| r.name.clone())
        .collect()
}

/// Takes `FORCE ROW LEVEL SECURITY` off `tables` (`off`), or puts it back, in a scratch
/// database: their owner, the reading role, then reads every row (a query a policy would still
/// filter, for a role that does not own the table, fails rather than loses rows).
pub(super) async fn unforced(
    client: &Client,
    tables: &[String],
    off: bool,
) -> Result<(), SchemaError> {
    let word = if off { "NO FORCE" } else { "FORCE" };
    for table in tables {
        client
            .batch_execute(&format!("ALTER TABLE {table} {word} ROW LEVEL SECURITY"))
            .await
            .map_err(failed("setting a table's row security for reading"))?;
    }
    Ok(())
}

/// A column of a table, as the dump and the digests need it.
pub(super) struct Column {
    /// Quoted.
    pub name: String,
    /// Computed (`GENERATED ALWAYS AS ... STORED`): read, never written.
    pub generated: bool,
    /// `GENERATED ALWAYS AS IDENTITY`: written with `OVERRIDING SYSTEM VALUE`.
    pub always_identity: bool,
    /// Has a default, which an INSERT leaving it out computes.
    pub default: bool,
    /// Part of a foreign key, or referenced by one: its values tie rows together, so they are
    /// copied even when they depend on the run (a `gen_random_uuid()` key).
    pub keyed: bool,
}

/// The columns of the table `oid`, in order.
pub(super) async fn columns(client: &Client, oid: u32) -> Result<Vec<Column>, SchemaError> {
    let rows = client
        .query(
            "SELECT quote_ident(a.attname), a.attgenerated <> '', a.attidentity = 'a', a.atthasdef, \
                    EXISTS (SELECT FROM pg_catalog.pg_constraint k WHERE k.contype = 'f' \
                            AND ((k.conrelid = a.attrelid AND a.attnum = ANY (k.conkey)) \
                              OR (k.confrelid = a.attrelid AND a.attnum = ANY (k.confkey)))) \
             FROM pg_catalog.pg_attribute a WHERE a.attrelid = $1 AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum",
            &[&oid],
        )
        .await
        .map_err(failed("reading a table's columns"))?;
    Ok(rows
        .iter()
        .map(|r| Column {
            name: r.get(0),
            generated: r.get(1),
            always_identity: r.get(2),
            default: r.get(3),
            keyed: r.get(4),
        })
        .collect())
}

/// A sequence's state.
pub(super) struct SequenceValue {
    /// Quoted `schema.sequence`.
    pub name: String,
    /// `last_value`.
    pub value: i64,
    /// `is_called`: whether `nextval` returns the value after it.
    pub called: bool,
    /// Where a new one starts.
    pub start: i64,
}

/// Every sequence (not an extension's) with its state.
pub(super) async fn sequence_values(client: &Client) -> Result<Vec<SequenceValue>, SchemaError> {
    let names = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname) \
             FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE c.relkind = 'S' AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
               AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend d WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e') \
             ORDER BY 1",
            &[],
        )
        .await
        .map_err(failed("listing the sequences"))?;
    let mut out = Vec::new();
    for row in names {
        let name: String = row.get(0);
        let sql = format!(
            "SELECT last_value, is_called, (SELECT seqstart FROM pg_catalog.pg_sequence WHERE seqrelid = {}::regclass) FROM {name}",
            crate::quote::literal(&name)
        );
        let value = client
            .query_one(&sql, &[])
            .await
            .map_err(failed("reading a sequence"))?;
        out.push(SequenceValue {
            name,
            value: value.get(0),
            called: value.get(1),
            start: value.get(2),
        });
    }
    Ok(out)
}

/// Sets the reading session so that every value's text is the one any session reads back
/// (ISO dates, every float digit, postgres intervals, UTC) and no row is hidden by row security
/// (a query a policy would filter fails instead): the scratch connection carries the user's
/// options, whose `DateStyle` may be `SQL, DMY`.
async fn pin(client: &Client) -> Result<(), SchemaError> {
    client
        .batch_execute(
            "SET DateStyle = ISO, MDY; SET IntervalStyle = postgres; SET extra_float_digits = 3; \
             SET TimeZone = 'UTC'; SET row_security = off; SET xmloption = content",
        )
        .await
        .map_err(failed("setting the session to read rows"))
}
