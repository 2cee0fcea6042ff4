//! Enum label changes: added in place when every old label keeps its place, otherwise the type is
//! swapped and the columns of it converted through `text`.

use migrations_core::quote;

use crate::change::{Change, Hazard};
use crate::model::*;

/// Whether an enum's labels can change by `ADD VALUE` alone: every old label is kept, in order.
pub(super) fn labels_only_added(old: &[String], new: &[String]) -> bool {
    let mut kept = new.iter().filter(|l| old.contains(l));
    old.iter().all(|l| kept.next() == Some(l))
}

/// The columns of `catalog` whose type is the enum `name` or an array of it.
pub(super) fn enum_columns<'c>(catalog: &'c Catalog, name: &Name) -> Vec<(&'c Name, &'c Column)> {
    // Catalogs are read under `search_path = public`, so only a type in `public` is spelled
    // bare; a namesake in another schema is always qualified.
    let mut spellings = vec![name.to_string()];
    if name.schema == "public" {
        spellings.push(quote::name(&name.name));
    }
    let mut columns = Vec::new();
    for (table, t) in &catalog.tables {
        for c in t.columns.iter().filter(|c| !c.inherited) {
            let base = c.data_type.trim_end_matches("[]");
            if spellings.iter().any(|s| s == base) {
                columns.push((table, c));
            }
        }
    }
    columns
}

/// Labels added in place (`ADD VALUE ... BEFORE/AFTER`), or, when a label is removed or the order
/// changes, the type swapped: renamed aside, created anew, its columns converted through `text`,
/// the old type dropped at the end.
pub(super) fn enum_change(
    from: &Catalog,
    to: &Catalog,
    name: &Name,
    old: &[String],
    new: &[String],
    change: Change,
) -> Change {
    if labels_only_added(old, new) {
        let mut sql = Vec::new();
        for (i, label) in new.iter().enumerate().filter(|(_, l)| !old.contains(l)) {
            let place = match new[i + 1..].iter().find(|l| old.contains(l)) {
                Some(next) => format!(" BEFORE {}", quote::literal(next)),
                None => String::new(),
            };
            sql.push(format!(
                "ALTER TYPE {name} ADD VALUE {}{place}",
                quote::literal(label)
            ));
        }
        let why = "a label added in a transaction cannot be used before it commits: use it in a later revision".to_owned();
        return change.sql_all(sql).hazard(Hazard::MayFail(why));
    }
    let aside = Name::new(name.schema.clone(), format!("{}__old", name.name));
    let labels: Vec<String> = new.iter().map(|l| quote::literal(l)).collect();
    let mut change = change
        .sql(format!(
            "ALTER TYPE {name} RENAME TO {}",
            quote::name(&aside.name)
        ))
        .sql(format!(
            "CREATE TYPE {name} AS ENUM ({})",
            labels.join(", ")
        ));
    // Columns dropped by this diff are gone by now (drops run first).
    let kept = enum_columns(from, name).into_iter().filter(|(table, c)| {
        to.tables
            .get(*table)
            .and_then(|t| t.column(&c.name))
            .is_some()
    });
    for (table, c) in kept {
        let at = format!("ALTER TABLE {table} ALTER COLUMN {}", quote::name(&c.name));
        let array = if c.data_type.ends_with("[]") {
            "[]"
        } else {
            ""
        };
        if c.default.is_some() {
            change = change.sql(format!("{at} DROP DEFAULT"));
        }
        let column = quote::name(&c.name);
        change = change.sql(format!(
            "{at} TYPE {name}{array} USING {column}::text{array}::{name}{array}"
        ));
        if let Some(default) = &c.default {
            change = change.sql(format!("{at} SET DEFAULT {default}"));
        }
    }
    change = change.sql(format!("DROP TYPE {aside}"));
    let removed: Vec<&String> = old.iter().filter(|l| !new.contains(l)).collect();
    match removed.is_empty() {
        true => change,
        false => {
            let labels: Vec<String> = removed.iter().map(|l| quote::literal(l)).collect();
            let why = format!(
                "removes label {}: rows holding it make the conversion fail; update them first",
                labels.join(", ")
            );
            change.hazard(Hazard::Destructive(why))
        }
    }
}
