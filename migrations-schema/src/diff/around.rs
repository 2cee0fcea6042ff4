//! What hangs on a routine that is dropped and created again (a new result type): column
//! defaults and check constraints calling it, taken off before the drop and put back after.

use std::collections::BTreeSet;

use crate::change::{Action, Change, ObjectKind, Phase};
use crate::model::*;

/// Whether `text` calls the routine `id` (`f(` as `format_type`-style spelling gives it, under
/// `search_path = public`).
pub(super) fn calls(text: &str, id: &RoutineId) -> bool {
    id.name.spellings().iter().any(|s| {
        let needle = format!("{s}(");
        text.match_indices(&needle).any(|(at, _)| {
            !text[..at]
                .chars()
                .next_back()
                .is_some_and(|c| c.is_alphanumeric() || c == '_' || c == '.' || c == '"')
        })
    })
}

/// Column defaults and check constraints that call a routine dropped and created again (a new
/// result type): PostgreSQL refuses to drop it under them, so they are taken off before the drop
/// and put back once the routine exists again.
pub(super) fn recreated_routines(
    from: &mut Catalog,
    to: &Catalog,
    routines: &BTreeSet<RoutineId>,
    out: &mut Vec<Change>,
) {
    if routines.is_empty() {
        return;
    }
    let uses = |text: &str| routines.iter().any(|id| calls(text, id));
    for (name, table) in &from.tables {
        let Some(kept) = to.tables.get(name) else {
            continue;
        };
        for column in &table.columns {
            let (Some(old), Some(new)) = (
                column.default.as_deref(),
                kept.column(&column.name).and_then(|c| c.default.as_deref()),
            ) else {
                continue;
            };
            if old == new && uses(old) {
                let at = format!(
                    "ALTER TABLE {name} ALTER COLUMN {}",
                    migrations_core::quote::name(&column.name)
                );
                out.push(
                    Change::new(
                        ObjectKind::Column,
                        String::new(),
                        Action::Alter,
                        Phase::DropConstraint,
                    )
                    .continuation()
                    .sql(format!("{at} DROP DEFAULT")),
                );
                out.push(
                    Change::new(
                        ObjectKind::Column,
                        String::new(),
                        Action::Alter,
                        Phase::Trigger,
                    )
                    .continuation()
                    .sql(format!("{at} SET DEFAULT {new}")),
                );
            }
        }
    }
    let checks = from.constraints.iter().filter(|(key, c)| {
        c.kind == ConstraintKind::Check
            && to.constraints.get(*key) == Some(*c)
            && uses(&c.definition)
    });
    for ((table, name), c) in checks {
        let constraint = migrations_core::quote::name(name);
        let drop = format!("ALTER TABLE {table} DROP CONSTRAINT {constraint}");
        out.push(
            Change::new(
                ObjectKind::Constraint,
                String::new(),
                Action::Alter,
                Phase::DropConstraint,
            )
            .continuation()
            .sql(drop),
        );
        let not_valid = if c.validated { "" } else { " NOT VALID" };
        let add = format!(
            "ALTER TABLE {table} ADD CONSTRAINT {constraint} {}{not_valid}",
            c.definition
        );
        out.push(
            Change::new(
                ObjectKind::Constraint,
                String::new(),
                Action::Alter,
                Phase::Trigger,
            )
            .continuation()
            .sql(add),
        );
    }
}

/// The routines of `catalog` created after the tables (they use a relation, or are aggregates):
/// a default or check calling one must wait for it.
pub(super) fn late_routines(catalog: &Catalog) -> Vec<&RoutineId> {
    catalog
        .routines
        .iter()
        .filter(|(_, r)| !r.depends_on.is_empty() || r.kind == RoutineKind::Aggregate)
        .map(|(id, _)| id)
        .collect()
}
