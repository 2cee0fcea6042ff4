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
pub(super) fn columns_of_type<'c>(
    catalog: &'c Catalog,
    name: &Name,
) -> Vec<(&'c Name, &'c Column)> {
    // Only a type in `public` is spelled bare; a namesake in another schema is qualified.
    let spellings = name.spellings();
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
    // Columns dropped by this diff are gone by now (drops run first).
    let kept: Vec<(&Name, &Column)> = columns_of_type(from, name)
        .into_iter()
        .filter(|(table, c)| {
            to.tables
                .get(*table)
                .and_then(|t| t.column(&c.name))
                .is_some()
        })
        .collect();
    let tables: Vec<&Name> = kept.iter().map(|(t, _)| *t).collect();
    let users = swap_blockers(from, name, &tables);
    if !users.is_empty() {
        let why = format!(
            "the labels cannot be swapped while {} use the type: change or drop those first (or swap by hand: rename the type aside, create the new one, convert each use, drop the old)",
            users.join(", ")
        );
        return change.hazard(Hazard::Manual(why));
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
    let (before, after) = rebuilt_around(from, name, &tables);
    change = change.sql_all(before);
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
    change = change.sql_all(after).sql(format!("DROP TYPE {aside}"));
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

/// Whether `text` casts to the type spelled `spelled` (`'a'::state`), the spelling not being
/// the start of a longer name.
fn casts_to(text: &str, spelled: &str) -> bool {
    let needle = format!("::{spelled}");
    text.match_indices(&needle).any(|(at, _)| {
        !text[at + needle.len()..]
            .chars()
            .next()
            .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '$')
    })
}

/// Whether `text` has `word` as a whole identifier.
fn has_word(text: &str, word: &str) -> bool {
    text.split(|c: char| !(c.is_alphanumeric() || c == '_' || c == '$' || c == '"' || c == '.'))
        .any(|token| token == word)
}

/// The indexes and check constraints on the tables being converted that compare with the
/// type's labels (a partial index `WHERE state <> 'closed'`): PostgreSQL would compare the new
/// type with the old one, so they are dropped before the conversion and created again after.
fn rebuilt_around(from: &Catalog, name: &Name, tables: &[&Name]) -> (Vec<String>, Vec<String>) {
    let spellings = name.spellings();
    let named = |text: &str| spellings.iter().any(|s| casts_to(text, s));
    let (mut before, mut after) = (Vec::new(), Vec::new());
    for (index, i) in from
        .indexes
        .iter()
        .filter(|(_, i)| tables.contains(&&i.table) && named(&i.definition))
    {
        let unique = if i.unique { "UNIQUE " } else { "" };
        before.push(format!("DROP INDEX {index}"));
        after.push(format!(
            "CREATE {unique}INDEX {} ON {} {}",
            quote::name(&index.name),
            i.table,
            i.definition
        ));
    }
    for ((table, constraint), c) in &from.constraints {
        if tables.contains(&table) && c.kind == ConstraintKind::Check && named(&c.definition) {
            let constraint = quote::name(constraint);
            before.push(format!("ALTER TABLE {table} DROP CONSTRAINT {constraint}"));
            let not_valid = if c.validated { "" } else { " NOT VALID" };
            after.push(format!(
                "ALTER TABLE {table} ADD CONSTRAINT {constraint} {}{not_valid}",
                c.definition
            ));
        }
    }
    (before, after)
}

/// What a swap cannot convert: domains and composite types over the enum, views that name it
/// but are not rebuilt with a converted table, and routines whose signatures use it.
fn swap_blockers(from: &Catalog, name: &Name, tables: &[&Name]) -> Vec<String> {
    let spellings = name.spellings();
    let is_it = |t: &str| spellings.iter().any(|s| s == t.trim_end_matches("[]"));
    let mut users = Vec::new();
    for (other, t) in &from.types {
        let uses = match &t.kind {
            TypeKind::Domain(d) => is_it(&d.base),
            TypeKind::Composite(attributes) => attributes.iter().any(|a| is_it(&a.data_type)),
            TypeKind::Enum(_) => false,
        };
        if uses {
            users.push(format!("type {other}"));
        }
    }
    for (view, v) in &from.views {
        let rebuilt = v
            .depends_on
            .iter()
            .any(|d| matches!(d, Dependency::Relation(r) if tables.contains(&r)));
        if !rebuilt && spellings.iter().any(|s| casts_to(&v.definition, s)) {
            users.push(format!("view {view}"));
        }
    }
    for (id, r) in &from.routines {
        let signature = format!(
            "{} {}",
            id.arguments,
            r.result.as_deref().unwrap_or_default()
        );
        if spellings.iter().any(|s| has_word(&signature, s)) {
            users.push(format!("routine {id}"));
        }
    }
    users
}
