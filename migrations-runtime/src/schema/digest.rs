//! Comparing the data of two databases: a digest of every table's rows and every sequence, so
//! that a baseline is proven to hold the rows of the revisions it replaces.
//!
//! Some values depend on when the revisions ran, not on what they are: a seed row's
//! `created_at DEFAULT now()`, a `gen_random_uuid()` key, a timestamp a trigger set. Two runs
//! of the same chain disagree on them, so no baseline could equal "the" chain there. They are
//! found by building the chain twice, the second time in a time zone a day away (so that a
//! `current_date` differs too), and comparing column by column ([`varying`]); those
//! columns are left out of the comparison, and a baseline leaves the ones with a default to it,
//! so that a fresh database gets them as the chain would have given them.

use std::collections::{BTreeMap, BTreeSet};

use migrations_schema::ReadOptions;
use tokio_postgres::Client;

use super::rows::{columns, failed, readable, sequence_values, unforced};
use super::SchemaError;

/// Per table (quoted `schema.table`), the columns (quoted) whose values depend on the run.
pub(crate) type Varying = BTreeMap<String, BTreeSet<String>>;

/// Per table and column, a digest of the column's values, sorted.
pub(crate) async fn by_column(
    client: &Client,
    read: &ReadOptions,
) -> Result<BTreeMap<(String, String), String>, SchemaError> {
    let (all, forced) = readable(client, read).await?;
    let mut out = BTreeMap::new();
    for relation in all {
        if relation.view && !relation.populated {
            continue;
        }
        for column in columns(client, relation.oid).await? {
            let sql = format!(
                "SELECT md5(coalesce(string_agg(t.{0}::text, E'\\n' ORDER BY t.{0}::text), '')) FROM {1}{2} AS t",
                column.name, relation.only, relation.name
            );
            let digest: String = client
                .query_one(&sql, &[])
                .await
                .map_err(failed("digesting a column"))?
                .get(0);
            out.insert((relation.name.clone(), column.name), digest);
        }
    }
    unforced(client, &forced, false).await?;
    Ok(out)
}

/// The columns on which two builds of the same revisions disagree.
pub(crate) fn varying(
    first: &BTreeMap<(String, String), String>,
    second: &BTreeMap<(String, String), String>,
) -> Varying {
    let mut out = Varying::new();
    for (key, digest) in first {
        if second.get(key) != Some(digest) {
            out.entry(key.0.clone()).or_default().insert(key.1.clone());
        }
    }
    out
}

/// `table.column` of each varying column, for people.
pub(crate) fn listed(varying: &Varying) -> Vec<String> {
    varying
        .iter()
        .flat_map(|(table, columns)| columns.iter().map(move |c| format!("{table}.{c}")))
        .collect()
}

/// Each table's and materialized view's row count and a digest of its rows (the text of the
/// columns not in `varying`, sorted), and each sequence's state: equal for two databases holding
/// the same data.
pub(crate) async fn digests(
    client: &Client,
    read: &ReadOptions,
    varying: &Varying,
) -> Result<BTreeMap<String, String>, SchemaError> {
    let (all, forced) = readable(client, read).await?;
    let mut out = BTreeMap::new();
    for relation in all {
        if !relation.populated {
            out.insert(relation.name, "not populated".to_owned());
            continue;
        }
        let skipped = varying.get(&relation.name);
        let kept: Vec<String> = columns(client, relation.oid)
            .await?
            .into_iter()
            .filter(|c| !skipped.is_some_and(|s| s.contains(&c.name)))
            .map(|c| format!("t.{}", c.name))
            .collect();
        let row = match kept.is_empty() {
            true => "''".to_owned(),
            false => format!("ROW({})::text", kept.join(", ")),
        };
        let sql = format!(
            "SELECT count(*)::text || ' rows, md5 ' || md5(coalesce(string_agg({row}, E'\\n' ORDER BY {row}), '')) FROM {}{} AS t",
            relation.only, relation.name
        );
        let digest: String = client
            .query_one(&sql, &[])
            .await
            .map_err(failed("digesting a table's rows"))?
            .get(0);
        out.insert(relation.name, digest);
    }
    for sequence in sequence_values(client).await? {
        let state = format!("sequence at {}, called {}", sequence.value, sequence.called);
        out.insert(sequence.name, state);
    }
    unforced(client, &forced, false).await?;
    Ok(out)
}

/// The lines on which two digests differ.
pub(crate) fn differences(
    expected: &BTreeMap<String, String>,
    found: &BTreeMap<String, String>,
) -> Vec<String> {
    let names: BTreeSet<&String> = expected.keys().chain(found.keys()).collect();
    names
        .into_iter()
        .filter_map(|name| {
            let (e, f) = (expected.get(name), found.get(name));
            (e != f).then(|| {
                let show = |v: Option<&String>| v.map_or("nothing", |s| s.as_str()).to_owned();
                format!(
                    "{name}: the chain has {}, the baseline {}",
                    show(e),
                    show(f)
                )
            })
        })
        .collect()
}
