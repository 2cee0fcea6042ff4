//! `SET UNLOGGED` and `SET LOGGED`, ordered along the foreign keys between the tables that change.

use crate::change::{Action, Change, ObjectKind, Phase};
use crate::model::*;

/// `(referencing, referenced)` for every foreign key of `catalog` between two of its tables.
pub(super) fn foreign_keys(catalog: &Catalog) -> Vec<(Name, Name)> {
    let mut pairs = Vec::new();
    for ((table, _), c) in &catalog.constraints {
        for target in catalog.tables.keys().filter(|t| c.references(t)) {
            pairs.push((table.clone(), target.clone()));
        }
    }
    pairs
}

/// `SET UNLOGGED` or `SET LOGGED`, ordered so that no step leaves a logged table referencing an
/// unlogged one or the other way round (PostgreSQL refuses both): for `UNLOGGED` the tables that
/// reference a table go first, for `LOGGED` the tables it references.
pub(super) fn change(
    name: &Name,
    unlogged: bool,
    references: &[(Name, Name)],
    from: &Catalog,
    to: &Catalog,
) -> Change {
    let changing = |t: &Name| {
        from.tables
            .get(t)
            .zip(to.tables.get(t))
            .is_some_and(|(a, b)| a.unlogged != b.unlogged)
    };
    // The longest chain of changing tables that must go before `t`.
    fn depth(t: &Name, before: &dyn Fn(&Name) -> Vec<Name>, budget: usize) -> usize {
        let first = before(t);
        match (first.is_empty(), budget) {
            (true, _) | (_, 0) => 0,
            _ => {
                1 + first
                    .iter()
                    .map(|u| depth(u, before, budget - 1))
                    .max()
                    .unwrap_or(0)
            }
        }
    }
    let before = |t: &Name| -> Vec<Name> {
        references
            .iter()
            .filter_map(|(referencing, referenced)| match unlogged {
                true if referenced == t && referencing != t => Some(referencing.clone()),
                false if referencing == t && referenced != t => Some(referenced.clone()),
                _ => None,
            })
            .filter(|u| changing(u))
            .collect()
    };
    let word = if unlogged { "UNLOGGED" } else { "LOGGED" };
    Change::new(
        ObjectKind::Table,
        name.to_string(),
        Action::Alter,
        Phase::AlterTable,
    )
    .found(if unlogged { "logged" } else { "unlogged" })
    .expected(if unlogged { "unlogged" } else { "logged" })
    .sql(format!("ALTER TABLE {name} SET {word}"))
    .rank(1 + depth(name, &before, 32))
}
