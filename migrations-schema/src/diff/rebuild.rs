//! What must be dropped and created again because it cannot change in place, or because something
//! it uses changes under it: views over a retyped column, routines with a new signature, and what
//! uses those.

use std::collections::{BTreeMap, BTreeSet};

use super::code::{drop_routine, drop_view};
use super::enums::{columns_of_type, labels_only_added};
use super::Order;
use crate::change::{Action, Change, ObjectKind, Phase};
use crate::model::*;

/// Views, aggregates, and routines that use a relation or another routine, as graph nodes with
/// what they use.
pub(super) fn graph(catalog: &Catalog) -> BTreeMap<Dependency, BTreeSet<Dependency>> {
    let views = catalog
        .views
        .iter()
        .map(|(n, v)| (Dependency::Relation(n.clone()), v.depends_on.clone()));
    let routines = catalog
        .routines
        .iter()
        .filter(|(_, r)| !r.depends_on.is_empty() || r.kind == RoutineKind::Aggregate)
        .map(|(id, r)| (Dependency::Routine(id.clone()), r.depends_on.clone()));
    views.chain(routines).collect()
}

fn replaceable(a: &Routine, b: &Routine) -> bool {
    (a.kind, &a.arguments, &a.result) == (b.kind, &b.arguments, &b.result)
}

fn same_view(a: &View, b: &View) -> bool {
    (a.materialized, &a.definition, &a.options) == (b.materialized, &b.definition, &b.options)
}

/// Drops, in `out`, the views and routines that cannot be altered in place or that use something
/// changing under them, and removes them (with their indexes and triggers) from `from`, so that
/// the passes after this one create them again. The drops and the re-creations of unchanged
/// objects are marked as continuations: the difference is the change that caused them.
pub(super) fn rebuild(
    from: &mut Catalog,
    to: &Catalog,
    order: &Order,
    out: &mut Vec<Change>,
) -> Catalog {
    let mut disturbed: BTreeSet<Dependency> = BTreeSet::new();
    // Tables kept with a column retyped: PostgreSQL refuses to retype a column a trigger
    // (`UPDATE OF`) or a policy names, so those are dropped first and created again after.
    let mut retyped: BTreeSet<Name> = BTreeSet::new();
    // Columns whose generation expression changes are dropped and added again (PostgreSQL 15
    // cannot change one in place), taking their indexes along: those are created again after.
    let mut regenerated: Vec<(Name, String)> = Vec::new();
    for (name, a) in &from.tables {
        if let Some(b) = to.tables.get(name) {
            for c in &a.columns {
                if b.column(&c.name)
                    .is_some_and(|d| d.generated.is_some() && d.generated != c.generated)
                {
                    regenerated.push((name.clone(), c.name.clone()));
                }
            }
        }
        let changed = match to.tables.get(name) {
            None => true,
            Some(b) => a.columns.iter().any(|c| {
                b.column(&c.name).is_none_or(|d| {
                    (&c.data_type, &c.collation, &c.generated)
                        != (&d.data_type, &d.collation, &d.generated)
                })
            }),
        };
        if changed {
            disturbed.insert(Dependency::Relation(name.clone()));
            if to.tables.contains_key(name) {
                retyped.insert(name.clone());
            }
        }
    }
    for (name, a) in &from.types {
        if let (TypeKind::Enum(old), Some(TypeKind::Enum(new))) =
            (&a.kind, to.types.get(name).map(|t| &t.kind))
        {
            if !labels_only_added(old, new) {
                for (table, _) in columns_of_type(from, name) {
                    disturbed.insert(Dependency::Relation(table.clone()));
                    if to.tables.contains_key(table) {
                        retyped.insert(table.clone());
                    }
                }
            }
        }
    }
    let mut routines: BTreeSet<RoutineId> = BTreeSet::new();
    for (id, a) in &from.routines {
        if to.routines.get(id).is_none_or(|b| !replaceable(a, b)) {
            disturbed.insert(Dependency::Routine(id.clone()));
            if to.routines.contains_key(id) {
                routines.insert(id.clone());
            }
        }
    }
    let mut views: BTreeSet<Name> = BTreeSet::new();
    for (name, a) in &from.views {
        match to.views.get(name) {
            None => {
                disturbed.insert(Dependency::Relation(name.clone()));
            }
            Some(b) if !same_view(a, b) => {
                disturbed.insert(Dependency::Relation(name.clone()));
                views.insert(name.clone());
            }
            Some(_) => {}
        }
    }
    loop {
        let more: Vec<Name> = from
            .views
            .iter()
            .filter(|(n, v)| {
                !views.contains(*n)
                    && to.views.contains_key(*n)
                    && v.depends_on.iter().any(|d| disturbed.contains(d))
            })
            .map(|(n, _)| n.clone())
            .collect();
        // Routines whose signature or SQL-standard body uses what is rebuilt or retyped
        // (`RETURNS SETOF v`, `BEGIN ATOMIC SELECT ... FROM t`) are rebuilt with it.
        let more_routines: Vec<RoutineId> = from
            .routines
            .iter()
            .filter(|(id, r)| {
                !routines.contains(*id)
                    && to.routines.contains_key(*id)
                    && r.depends_on.iter().any(|d| disturbed.contains(d))
            })
            .map(|(id, _)| id.clone())
            .collect();
        if more.is_empty() && more_routines.is_empty() {
            break;
        }
        for name in more {
            disturbed.insert(Dependency::Relation(name.clone()));
            views.insert(name);
        }
        for id in more_routines {
            disturbed.insert(Dependency::Routine(id.clone()));
            routines.insert(id);
        }
    }
    super::around::recreated_routines(from, to, &routines, out);
    let removed = remove(from, &views, &routines, &retyped, &regenerated);
    for (name, v) in &removed.views {
        let rank = order
            .get(&Dependency::Relation(name.clone()))
            .copied()
            .unwrap_or(0);
        out.push(drop_view(name, v).continuation().rank(usize::MAX - rank));
    }
    for (id, r) in &removed.routines {
        let (phase, rank) = match order.get(&Dependency::Routine(id.clone())) {
            Some(rank) => (Phase::DropDependent, usize::MAX - rank),
            None => (Phase::DropRoutine, 0),
        };
        out.push(drop_routine(id, r, phase).continuation().rank(rank));
    }
    for (table, name) in removed.triggers.keys() {
        let sql = format!(
            "DROP TRIGGER {} ON {table}",
            migrations_core::quote::name(name)
        );
        let change = Change::new(
            ObjectKind::Trigger,
            String::new(),
            Action::Drop,
            Phase::DropTrigger,
        );
        out.push(change.continuation().sql(sql));
    }
    for (table, name) in removed.policies.keys() {
        let sql = format!(
            "DROP POLICY {} ON {table}",
            migrations_core::quote::name(name)
        );
        let change = Change::new(
            ObjectKind::Policy,
            String::new(),
            Action::Drop,
            Phase::DropPolicy,
        );
        out.push(change.continuation().sql(sql));
    }
    removed
}

/// Takes the given views and routines out of `from`, with the indexes and triggers on those
/// views, the triggers calling those routines, and the triggers and policies of the `retyped`
/// tables, and returns them as a catalog.
fn remove(
    from: &mut Catalog,
    views: &BTreeSet<Name>,
    routines: &BTreeSet<RoutineId>,
    retyped: &BTreeSet<Name>,
    regenerated: &[(Name, String)],
) -> Catalog {
    let mut removed = Catalog::default();
    for name in views {
        if let Some(v) = from.views.remove(name) {
            removed.views.insert(name.clone(), v);
        }
    }
    for id in routines {
        if let Some(r) = from.routines.remove(id) {
            removed.routines.insert(id.clone(), r);
        }
    }
    let indexes: Vec<Name> = from
        .indexes
        .iter()
        .filter(|(_, i)| {
            views.contains(&i.table)
                || regenerated
                    .iter()
                    .any(|(t, c)| *t == i.table && super::mentions(&i.definition, c))
        })
        .map(|(n, _)| n.clone())
        .collect();
    for name in indexes {
        if let Some(i) = from.indexes.remove(&name) {
            removed.indexes.insert(name, i);
        }
    }
    let triggers: Vec<(Name, String)> = from
        .triggers
        .iter()
        .filter(|((table, _), t)| {
            views.contains(table) || retyped.contains(table) || routines.contains(&t.function)
        })
        .map(|(k, _)| k.clone())
        .collect();
    for key in triggers {
        if let Some(t) = from.triggers.remove(&key) {
            removed.triggers.insert(key, t);
        }
    }
    let policies: Vec<(Name, String)> = from
        .policies
        .keys()
        .filter(|(table, _)| retyped.contains(table))
        .cloned()
        .collect();
    for key in policies {
        if let Some(p) = from.policies.remove(&key) {
            removed.policies.insert(key, p);
        }
    }
    removed
}
