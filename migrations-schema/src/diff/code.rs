//! Views and routines: objects defined by a query or a body, created in dependency order, and
//! rebuilt (dropped first, created again last) when something they use changes under them.

use std::collections::{BTreeMap, BTreeSet};

use super::access::attributes;
use super::tables::labels_only_added;
use super::{split, topological, Order, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
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
    for (name, a) in &from.tables {
        let changed = match to.tables.get(name) {
            None => true,
            Some(b) => a.columns.iter().any(|c| {
                b.column(&c.name)
                    .is_none_or(|d| (&c.data_type, &c.collation) != (&d.data_type, &d.collation))
            }),
        };
        if changed {
            disturbed.insert(Dependency::Relation(name.clone()));
        }
    }
    for (name, a) in &from.types {
        if let (TypeKind::Enum(old), Some(TypeKind::Enum(new))) =
            (&a.kind, to.types.get(name).map(|t| &t.kind))
        {
            if !labels_only_added(old, new) {
                for (table, _) in super::tables::enum_columns(from, name) {
                    disturbed.insert(Dependency::Relation(table.clone()));
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
        if more.is_empty() {
            break;
        }
        for name in more {
            disturbed.insert(Dependency::Relation(name.clone()));
            views.insert(name);
        }
    }
    let removed = remove(from, &views, &routines);
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
    removed
}

/// Takes the given views and routines out of `from`, with the indexes and triggers on those
/// views and the triggers calling those routines, and returns them as a catalog.
fn remove(from: &mut Catalog, views: &BTreeSet<Name>, routines: &BTreeSet<RoutineId>) -> Catalog {
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
        .filter(|(_, i)| views.contains(&i.table))
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
        .filter(|((table, _), t)| views.contains(table) || routines.contains(&t.function))
        .map(|(k, _)| k.clone())
        .collect();
    for key in triggers {
        if let Some(t) = from.triggers.remove(&key) {
            removed.triggers.insert(key, t);
        }
    }
    removed
}

fn view_kind(v: &View) -> ObjectKind {
    if v.materialized {
        ObjectKind::MaterializedView
    } else {
        ObjectKind::View
    }
}

fn view_word(v: &View) -> &'static str {
    if v.materialized {
        "MATERIALIZED VIEW"
    } else {
        "VIEW"
    }
}

fn drop_view(name: &Name, v: &View) -> Change {
    Change::new(
        view_kind(v),
        name.to_string(),
        Action::Drop,
        Phase::DropDependent,
    )
    .sql(format!("DROP {} {name}", view_word(v)))
}

fn create_view(name: &Name, v: &View) -> Vec<String> {
    let query = v.definition.trim().trim_end_matches(';');
    let options = match v.options.is_empty() {
        true => String::new(),
        false => format!(" WITH ({})", v.options.join(", ")),
    };
    let mut sql = vec![format!(
        "CREATE {} {name}{options} AS\n{query}",
        view_word(v)
    )];
    let on = format!("{} {name}", view_word(v));
    sql.extend(attributes(&on, None, (&v.comment, &v.access)));
    sql
}

pub(super) fn views(
    from: &Catalog,
    to: &Catalog,
    rebuilt: &Catalog,
    drops: &Order,
    out: &mut Vec<Change>,
) {
    let Split { gone, new, both } = split(&from.views, &to.views);
    let creates = topological(&graph(to));
    let rank = |order: &Order, name: &Name| {
        order
            .get(&Dependency::Relation(name.clone()))
            .copied()
            .unwrap_or(0)
    };
    for (name, v) in gone {
        let hazard = v
            .materialized
            .then(|| Hazard::Destructive("drops the materialized view's rows".to_owned()));
        let mut change = drop_view(name, v)
            .found(v.definition.trim().to_owned())
            .rank(usize::MAX - rank(drops, name));
        change.hazard = hazard;
        out.push(change);
    }
    for (name, v) in new {
        let change = Change::new(
            view_kind(v),
            name.to_string(),
            Action::Create,
            Phase::Dependent,
        )
        .expected(v.definition.trim().to_owned())
        .sql_all(create_view(name, v))
        .rank(rank(&creates, name));
        out.push(match rebuilt.views.get(name) {
            Some(old) if old == v => change.continuation(),
            Some(old) => {
                let mut change = change.found(old.definition.trim().to_owned());
                change.action = Action::Alter;
                change
            }
            None => change,
        });
    }
    for (name, a, b) in both {
        let on = format!("{} {name}", view_word(b));
        let sql = attributes(&on, Some((&a.comment, &a.access)), (&b.comment, &b.access));
        if !sql.is_empty() {
            let change = Change::new(
                view_kind(b),
                name.to_string(),
                Action::Alter,
                Phase::Ownership,
            );
            out.push(
                change
                    .found("other comment or privileges")
                    .expected("these")
                    .sql_all(sql),
            );
        }
    }
}

fn routine_kind(r: &Routine) -> ObjectKind {
    match r.kind {
        RoutineKind::Function => ObjectKind::Function,
        RoutineKind::Procedure => ObjectKind::Procedure,
        RoutineKind::Aggregate => ObjectKind::Aggregate,
    }
}

fn routine_word(r: &Routine) -> &'static str {
    r.kind.keyword()
}

fn drop_routine(id: &RoutineId, r: &Routine, phase: Phase) -> Change {
    Change::new(routine_kind(r), id.to_string(), Action::Drop, phase)
        .sql(format!("DROP {} {id}", routine_word(r)))
}

fn create_routine(id: &RoutineId, r: &Routine) -> String {
    let definition = r.definition.trim_end();
    let separator = if r.kind == RoutineKind::Aggregate {
        " "
    } else {
        "\n"
    };
    format!(
        "CREATE OR REPLACE {} {}({}){separator}{definition}",
        routine_word(r),
        id.name,
        r.arguments
    )
}

fn describe_routine(r: &Routine) -> String {
    let result = r
        .result
        .as_deref()
        .map_or(String::new(), |r| format!(" returns {r}"));
    format!(
        "({}){result}, body of {} lines",
        r.arguments,
        r.definition.lines().count()
    )
}

pub(super) fn routines(
    from: &Catalog,
    to: &Catalog,
    rebuilt: &Catalog,
    drops: &Order,
    out: &mut Vec<Change>,
) {
    let Split { gone, new, both } = split(&from.routines, &to.routines);
    let creates = topological(&graph(to));
    let place = |order: &Order, id: &RoutineId, drop: bool| match (
        order.get(&Dependency::Routine(id.clone())),
        drop,
    ) {
        (Some(rank), true) => (Phase::DropDependent, usize::MAX - rank),
        (Some(rank), false) => (Phase::Dependent, *rank),
        (None, true) => (Phase::DropRoutine, 0),
        (None, false) => (Phase::Routine, 0),
    };
    for (id, r) in gone {
        let (phase, rank) = place(drops, id, true);
        out.push(
            drop_routine(id, r, phase)
                .found(describe_routine(r))
                .rank(rank),
        );
    }
    for (id, r) in new {
        let (phase, rank) = place(&creates, id, false);
        let on = format!("{} {id}", routine_word(r));
        let change = Change::new(routine_kind(r), id.to_string(), Action::Create, phase)
            .expected(describe_routine(r))
            .sql(create_routine(id, r))
            .sql_all(attributes(&on, None, (&r.comment, &r.access)))
            .rank(rank);
        out.push(match rebuilt.routines.get(id) {
            Some(old) => {
                let mut change = change.found(describe_routine(old));
                change.action = Action::Alter;
                change
            }
            None => change,
        });
    }
    for (id, a, b) in both {
        if a == b {
            continue;
        }
        let (phase, rank) = place(&creates, id, false);
        let on = format!("{} {id}", routine_word(b));
        let mut change = Change::new(routine_kind(b), id.to_string(), Action::Alter, phase)
            .found(describe_routine(a))
            .expected(describe_routine(b))
            .rank(rank);
        if a.definition != b.definition {
            change = change.sql(create_routine(id, b));
        }
        out.push(change.sql_all(attributes(
            &on,
            Some((&a.comment, &a.access)),
            (&b.comment, &b.access),
        )));
    }
}
