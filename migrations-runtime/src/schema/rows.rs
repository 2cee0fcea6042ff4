//! The rows of a database as a script, and as digests to compare: what a squashed history's
//! baseline adds to the schema (a seed revision's rows are part of what the chain builds).
//!
//! The script inserts every table's rows as literals PostgreSQL itself spelled
//! (`quote_nullable` of each value's text form, which every type reads back), tables referenced
//! by a foreign key before the tables referencing them, with the tables' enabled triggers off
//! while it loads (the rows are already what the triggers made of them), then sets every
//! sequence where it was and refreshes the populated materialized views.

use std::collections::{BTreeMap, BTreeSet};

use migrations_schema::{Name, ReadOptions};
use tokio_postgres::Client;

use super::digest::Varying;
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
pub(super) async fn relations(
    client: &Client,
    read: &ReadOptions,
) -> Result<Vec<Relation>, SchemaError> {
    let rows = client
        .query(
            "SELECT c.oid, quote_ident(n.nspname) || '.' || quote_ident(c.relname), c.relkind::text, \
                    c.relispopulated, n.nspname, c.relname \
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
        });
    }
    Ok(out)
}

/// `relations`' tables ordered so that a table comes after every table it references (a
/// table referencing itself loads in one statement, which checks its keys at the end).
async fn in_key_order(
    client: &Client,
    tables: Vec<Relation>,
) -> Result<Vec<Relation>, SchemaError> {
    let edges = client
        .query(
            "SELECT conrelid, confrelid FROM pg_catalog.pg_constraint \
             WHERE contype = 'f' AND conparentid = 0 AND conrelid <> confrelid",
            &[],
        )
        .await
        .map_err(failed("reading the foreign keys"))?;
    let mut needs: BTreeMap<u32, BTreeSet<u32>> = BTreeMap::new();
    for edge in edges {
        needs.entry(edge.get(0)).or_default().insert(edge.get(1));
    }
    let mut pending = tables;
    let mut placed: BTreeSet<u32> = BTreeSet::new();
    let mut ordered = Vec::new();
    while !pending.is_empty() {
        let known: BTreeSet<u32> = pending.iter().map(|t| t.oid).collect();
        let (ready, rest): (Vec<Relation>, Vec<Relation>) = pending.into_iter().partition(|t| {
            needs
                .get(&t.oid)
                .is_none_or(|n| n.iter().all(|r| placed.contains(r) || !known.contains(r)))
        });
        if ready.is_empty() {
            let names: Vec<String> = rest.iter().map(|t| t.name.clone()).collect();
            return Err(SchemaError::CannotBuild {
                reason: format!("the tables {} reference each other in a cycle of foreign keys, so their rows cannot be loaded one table after another: squash through a revision before the cycle, or make one of the keys DEFERRABLE", names.join(", ")),
            });
        }
        placed.extend(ready.iter().map(|t| t.oid));
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
    let all = relations(client, read).await?;
    let (views, tables): (Vec<Relation>, Vec<Relation>) = all.into_iter().partition(|r| r.view);
    let mut script = String::new();
    let mut loaded = Vec::new();
    for table in in_key_order(client, tables).await? {
        let (copied, rows) = table_rows(client, &table, varying).await?;
        if rows > 0 {
            script.push_str(&copied);
            loaded.push(TableRows {
                table: table.name.clone(),
                rows,
            });
        }
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
}

/// The columns of the table `oid`, in order.
pub(super) async fn columns(client: &Client, oid: u32) -> Result<Vec<Column>, SchemaError> {
    let rows = client
        .query(
            "SELECT quote_ident(attname), attgenerated <> '', attidentity = 'a', atthasdef \
             FROM pg_catalog.pg_attribute WHERE attrelid = $1 AND attnum > 0 AND NOT attisdropped ORDER BY attnum",
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
        })
        .collect())
}

/// The statements inserting `table`'s rows (with its triggers off), and how many rows. The
/// columns in `varying` that have a default are left to it, as the revisions left them.
async fn table_rows(
    client: &Client,
    table: &Relation,
    varying: &Varying,
) -> Result<(String, i64), SchemaError> {
    let omitted = varying.get(&table.name);
    let columns: Vec<Column> = columns(client, table.oid)
        .await?
        .into_iter()
        .filter(|c| {
            // Computed, or left to a default that depends on the run.
            let left_out = c.default && omitted.is_some_and(|o| o.contains(&c.name));
            !c.generated && !left_out
        })
        .collect();
    if columns.is_empty() {
        return Ok((String::new(), 0));
    }
    let overriding = match columns.iter().any(|c| c.always_identity) {
        true => " OVERRIDING SYSTEM VALUE",
        false => "",
    };
    let names: Vec<&str> = columns.iter().map(|c| c.name.as_str()).collect();
    let quoted: Vec<String> = names
        .iter()
        .map(|c| format!("quote_nullable(t.{c})"))
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
    if rows.is_empty() {
        return Ok((String::new(), 0));
    }
    let triggers = client
        .query(
            "SELECT quote_ident(tgname), tgenabled::text FROM pg_catalog.pg_trigger WHERE tgrelid = $1 AND NOT tgisinternal AND tgenabled <> 'D' ORDER BY tgname",
            &[&table.oid],
        )
        .await
        .map_err(failed("reading a table's triggers"))?;
    let mut out = String::new();
    for trigger in &triggers {
        out.push_str(&format!(
            "ALTER TABLE {} DISABLE TRIGGER {};\n",
            table.name,
            trigger.get::<_, String>(0)
        ));
    }
    let values: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    for chunk in values.chunks(CHUNK) {
        out.push_str(&format!(
            "INSERT INTO {} ({}){overriding} VALUES\n    {};\n",
            table.name,
            names.join(", "),
            chunk.join(",\n    ")
        ));
    }
    for trigger in &triggers {
        let mode = match trigger.get::<_, String>(1).as_str() {
            "A" => "ALWAYS ",
            "R" => "REPLICA ",
            _ => "",
        };
        out.push_str(&format!(
            "ALTER TABLE {} ENABLE {mode}TRIGGER {};\n",
            table.name,
            trigger.get::<_, String>(0)
        ));
    }
    Ok((out, rows.len() as i64))
}

/// `setval` for every sequence that has been used.
async fn sequences(client: &Client) -> Result<String, SchemaError> {
    let mut out = String::new();
    for (name, value, called) in sequence_values(client).await? {
        if called {
            out.push_str(&format!(
                "SELECT pg_catalog.setval({}, {value}, true);\n",
                crate::quote::literal(&name)
            ));
        }
    }
    Ok(out)
}

/// Every sequence (not an extension's) with its value and whether it was used.
pub(super) async fn sequence_values(
    client: &Client,
) -> Result<Vec<(String, i64, bool)>, SchemaError> {
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
        let value = client
            .query_one(&format!("SELECT last_value, is_called FROM {name}"), &[])
            .await
            .map_err(failed("reading a sequence"))?;
        out.push((name, value.get(0), value.get(1)));
    }
    Ok(out)
}
