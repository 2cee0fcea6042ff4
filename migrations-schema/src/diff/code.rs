//! Views and routines: objects defined by a query or a body, created in dependency order, and
//! rebuilt (dropped first, created again last) when something they use changes under them.

use std::collections::{BTreeMap, BTreeSet};

use super::access::{attributes, describe_comment};
use super::rebuild::graph;
use super::{split, topological, Order, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

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

pub(super) fn drop_view(name: &Name, v: &View) -> Change {
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
    sql.extend(column_comments(name, &BTreeMap::new(), &v.column_comments));
    sql
}

/// `COMMENT ON COLUMN` for a view's columns, from `before` to `after`.
fn column_comments(
    name: &Name,
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
) -> Vec<String> {
    let columns: BTreeSet<&String> = before.keys().chain(after.keys()).collect();
    columns
        .into_iter()
        .filter(|c| before.get(*c) != after.get(*c))
        .map(|c| {
            let text = after
                .get(c)
                .map_or("NULL".to_owned(), |t| migrations_core::quote::literal(t));
            format!(
                "COMMENT ON COLUMN {name}.{} IS {text}",
                migrations_core::quote::name(c)
            )
        })
        .collect()
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
            // Grants that were not read cannot be given again: say so, as a difference.
            Some(old) if old == v && !from.privileges => {
                let why = "rebuilt for a change under it; its grants were not read, so give them again (or compare with privileges)";
                let mut change = change
                    .found("the view as it is")
                    .expected("the same view, dropped and created again")
                    .hazard(Hazard::Destructive(why.to_owned()));
                change.action = Action::Alter;
                change
            }
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
        let mut sql = attributes(&on, Some((&a.comment, &a.access)), (&b.comment, &b.access));
        sql.extend(column_comments(
            name,
            &a.column_comments,
            &b.column_comments,
        ));
        if !sql.is_empty() {
            let change = Change::new(
                view_kind(b),
                name.to_string(),
                Action::Alter,
                Phase::Ownership,
            );
            // Only comments or privileges differ here (a changed query is rebuilt above).
            let (found, expected) = match a.comment != b.comment {
                true => (describe_comment(&a.comment), describe_comment(&b.comment)),
                false => (
                    "other column comments or privileges".to_owned(),
                    "these".to_owned(),
                ),
            };
            out.push(change.found(found).expected(expected).sql_all(sql));
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

pub(super) fn drop_routine(id: &RoutineId, r: &Routine, phase: Phase) -> Change {
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
            // Rebuilt, unchanged, for what it uses: part of that change.
            Some(old) if old == r => change.continuation(),
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
