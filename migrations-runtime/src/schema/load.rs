//! The rows of a database as a script: what a squashed history's baseline adds to the schema
//! (a seed revision's rows are part of what the chain builds).
//!
//! The script inserts every table's rows as literals PostgreSQL itself spelled
//! (`quote_nullable` of each value's text form, which every type reads back), tables referenced
//! by a foreign key before the tables referencing them, with the tables' enabled triggers off
//! while it loads (the rows are already what the triggers made of them), then sets every
//! sequence where it was and refreshes the populated materialized views.

use std::collections::{BTreeMap, BTreeSet};

use migrations_schema::ReadOptions;
use tokio_postgres::Client;

use super::digest::Varying;
use super::rows::{columns, failed, readable, sequence_values, unforced, Column, Relation};
use super::SchemaError;

/// Rows a statement inserts at most, so that no statement grows without bound.
const CHUNK: usize = 1000;

/// A table with rows to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableRows {
    /// `schema.table`, quoted as needed.
    pub table: String,
    /// How many rows.
    pub rows: i64,
}

/// The script that puts `client`'s rows back into an empty copy of its schema, and what it
/// copies.
pub(crate) struct Dump {
    /// The statements.
    pub script: String,
    /// The tables with rows, in the order they load.
    pub tables: Vec<TableRows>,
}

/// Each foreign key checked at once (not deferrable), as (referencing, referenced) tables.
async fn immediate_keys(client: &Client) -> Result<Vec<(u32, u32)>, SchemaError> {
    let rows = client
        .query(
            "SELECT conrelid, confrelid FROM pg_catalog.pg_constraint \
             WHERE contype = 'f' AND conparentid = 0 AND NOT condeferrable",
            &[],
        )
        .await
        .map_err(failed("reading the foreign keys"))?;
    Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
}

/// `tables` (those with rows) ordered so that a table comes after every table it references
/// through a key checked at once: a deferrable key is checked at commit (the load defers them
/// all), and a table referencing itself loads in one statement, which checks its keys at the
/// end.
fn in_key_order(
    keys: &[(u32, u32)],
    tables: Vec<(Relation, String, i64)>,
) -> Result<Vec<(Relation, String, i64)>, SchemaError> {
    let mut needs: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for &(from, to) in keys.iter().filter(|(from, to)| from != to) {
        needs.entry(from).or_default().insert(to);
    }
    let mut pending = tables;
    let mut placed: BTreeSet<u32> = BTreeSet::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let known: BTreeSet<u32> = pending.iter().map(|t| t.0.oid).collect();
        let (ready, rest): (Vec<_>, Vec<_>) = pending.into_iter().partition(|(t, ..)| {
            needs
                .get(&t.oid)
                .is_none_or(|n| n.iter().all(|r| placed.contains(r) || !known.contains(r)))
        });
        if ready.is_empty() {
            let names: Vec<String> = rest.iter().map(|t| t.0.name.clone()).collect();
            return Err(SchemaError::CannotSquash {
                reason: format!("the tables {} hold rows and reference each other in a cycle of foreign keys checked at once, so their rows cannot be loaded one table after another: squash through a revision before the cycle, or make one of the keys DEFERRABLE in a revision before the squash", names.join(", ")),
            });
        }
        placed.extend(ready.iter().map(|t| t.0.oid));
        ordered.extend(ready);
        pending = rest;
    }
    Ok(ordered)
}

/// The script loading `client`'s rows, sequences and materialized views; `varying` are the
/// columns whose values depend on when the revisions ran ([`super::digest`]).
pub(crate) async fn dump(
    client: &Client,
    read: &ReadOptions,
    varying: &Varying,
) -> Result<Dump, SchemaError> {
    let (all, forced) = readable(client, read).await?;
    let dumped = dump_relations(client, all, varying).await;
    unforced(client, &forced, false).await?;
    dumped
}

/// [`dump`] of `all`, read in full.
async fn dump_relations(
    client: &Client,
    all: Vec<Relation>,
    varying: &Varying,
) -> Result<Dump, SchemaError> {
    let (views, tables): (Vec<Relation>, Vec<Relation>) = all.into_iter().partition(|r| r.view);
    let keys = immediate_keys(client).await?;
    // A table referencing itself loads in one statement.
    let whole: BTreeSet<u32> = keys.iter().filter(|(a, b)| a == b).map(|k| k.0).collect();
    let mut with_rows = Vec::new();
    for table in tables {
        let (copied, rows) =
            table_rows(client, &table, varying, whole.contains(&table.oid)).await?;
        if rows > 0 {
            with_rows.push((table, copied, rows));
        }
    }
    // Keys that may be deferred are checked at the end of the baseline's transaction; the
    // rows as literals need the XML option they were read with.
    let mut script =
        String::from("SET CONSTRAINTS ALL DEFERRED;\nSET LOCAL xmloption = content;\n");
    let mut loaded = Vec::new();
    for (table, copied, rows) in in_key_order(&keys, with_rows)? {
        script.push_str(&copied);
        loaded.push(TableRows {
            table: table.name.clone(),
            rows,
        });
    }
    script.push_str(&sequences(client).await?);
    for view in views.iter().filter(|v| v.populated) {
        script.push_str(&format!("REFRESH MATERIALIZED VIEW {};\n", view.name));
    }
    Ok(Dump {
        script,
        tables: loaded,
    })
}

/// The statements inserting `table`'s rows (with its triggers and its partitions' off), and
/// how many rows: in one statement when `whole` (a table referencing itself, whose keys are
/// checked at the end of each statement), else a statement per [`CHUNK`] rows. The columns in
/// `varying` that have a default are left to it, as the revisions left them.
async fn table_rows(
    client: &Client,
    table: &Relation,
    varying: &Varying,
    whole: bool,
) -> Result<(String, i64), SchemaError> {
    let omitted = varying.get(&table.name);
    let columns: Vec<Column> = columns(client, table.oid)
        .await?
        .into_iter()
        .filter(|c| {
            // Computed, or left to a default that depends on the run (unless a key ties rows
            // to it: then the squash's values are copied, as a dump would).
            let left_out = c.default && !c.keyed && omitted.is_some_and(|o| o.contains(&c.name));
            !c.generated && !left_out
        })
        .collect();
    let (inserts, rows) = match columns.is_empty() {
        true => defaults_only(client, table).await?,
        false => inserts(client, table, &columns, whole).await?,
    };
    if rows == 0 {
        return Ok((String::new(), 0));
    }
    Ok((with_triggers_off(client, table, &inserts).await?, rows))
}

/// The rows of a table none of whose columns is copied (every one computed or left to its
/// default): as many rows of defaults.
async fn defaults_only(client: &Client, table: &Relation) -> Result<(String, i64), SchemaError> {
    let sql = format!("SELECT count(*) FROM {}{}", table.only, table.name);
    let rows: i64 = client
        .query_one(&sql, &[])
        .await
        .map_err(failed("counting a table's rows"))?
        .get(0);
    // A query of no columns fills none: every column takes its default.
    let insert = format!(
        "INSERT INTO {} SELECT FROM pg_catalog.generate_series(1, {rows});\n",
        table.name
    );
    Ok((insert, rows))
}

/// The INSERTs of `table`'s values in `columns`, in one statement when `whole`, else a statement
/// per [`CHUNK`] rows, and how many rows.
async fn inserts(
    client: &Client,
    table: &Relation,
    columns: &[Column],
    whole: bool,
) -> Result<(String, i64), SchemaError> {
    let overriding = match columns.iter().any(|c| c.always_identity) {
        true => " OVERRIDING SYSTEM VALUE",
        false => "",
    };
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let quoted: Vec<String> = names
        .iter()
        // Through text: `quote_nullable` has no unambiguous form for some types (`"char"`).
        .map(|c| format!("quote_nullable(t.{c}::text)"))
        .collect();
    let select = format!(
        "SELECT '(' || concat_ws(', ', {}) || ')' FROM {}{} AS t ORDER BY t.ctid",
        quoted.join(", "),
        table.only,
        table.name
    );
    let rows = client
        .query(&select, &[])
        .await
        .map_err(failed("reading a table's rows"))?;
    let values: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    let size = if whole { values.len() } else { CHUNK }.max(1);
    let mut out = String::new();
    for chunk in values.chunks(size) {
        out.push_str(&format!(
            "INSERT INTO {} ({}){overriding} VALUES\n    {};\n",
            table.name,
            names.join(", "),
            chunk.join(",\n    ")
        ));
    }
    Ok((out, values.len() as i64))
}

/// `inserts` with `table`'s enabled triggers (and its partitions') off around them, and its
/// `FORCE ROW LEVEL SECURITY` too: it is loaded as its owner, whom its policies would hold.
async fn with_triggers_off(
    client: &Client,
    table: &Relation,
    inserts: &str,
) -> Result<String, SchemaError> {
    let triggers = client
        .query(
            "SELECT quote_ident(n.nspname) || '.' || quote_ident(c.relname), quote_ident(t.tgname), t.tgenabled::text \
             FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE (t.tgrelid = $1 OR t.tgrelid IN (SELECT relid FROM pg_catalog.pg_partition_tree($1))) \
               AND NOT t.tgisinternal AND t.tgenabled <> 'D' AND t.tgparentid = 0 ORDER BY 1, 2",
            &[&table.oid],
        )
        .await
        .map_err(failed("reading a table's triggers"))?;
    let trigger = |row: &tokio_postgres::Row, enable: bool| {
        let (on, name, mode): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let mode = match (enable, mode.as_str()) {
            (false, _) => "DISABLE",
            (true, "A") => "ENABLE ALWAYS",
            (true, "R") => "ENABLE REPLICA",
            (true, _) => "ENABLE",
        };
        format!("ALTER TABLE {on} {mode} TRIGGER {name};\n")
    };
    let force = |word: &str| match table.forced {
        true => format!("ALTER TABLE {} {word} ROW LEVEL SECURITY;\n", table.name),
        false => String::new(),
    };
    let mut out: String = triggers.iter().map(|t| trigger(t, false)).collect();
    out.push_str(&force("NO FORCE"));
    out.push_str(inserts);
    out.extend(triggers.iter().map(|t| trigger(t, true)));
    out.push_str(&force("FORCE"));
    Ok(out)
}

/// `setval` for every sequence not where a new one starts: used, or restarted elsewhere.
async fn sequences(client: &Client) -> Result<String, SchemaError> {
    let mut out = String::new();
    for sequence in sequence_values(client).await? {
        if sequence.called || sequence.value != sequence.start {
            out.push_str(&format!(
                "SELECT pg_catalog.setval({}, {}, {});\n",
                crate::quote::literal(&sequence.name),
                sequence.value,
                sequence.called
            ));
        }
    }
    Ok(out)
}
