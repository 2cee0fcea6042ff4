//! What hangs off a table besides constraints: indexes, triggers and policies. Those of a table that is
//! dropped go with it and get no statement of their own; one whose definition changed is dropped
//! (early) and created again (late).

use migrations_core::quote;

use super::access::attributes;
use super::{split, Split};
use crate::change::{Action, Change, ObjectKind, Phase};
use crate::model::*;

/// Whether `to` still has the relation an object hangs off.
pub(super) fn kept(to: &Catalog, relation: &Name) -> bool {
    to.tables.contains_key(relation) || to.views.contains_key(relation)
}

fn index_sql(name: &Name, i: &Index) -> String {
    let unique = if i.unique { "UNIQUE " } else { "" };
    format!(
        "CREATE {unique}INDEX {} ON {} {}",
        quote::name(&name.name),
        i.table,
        i.definition
    )
}

fn describe_index(i: &Index) -> String {
    let unique = if i.unique { "unique " } else { "" };
    format!("{unique}on {} {}", i.table, i.definition)
}

/// A created object that was only dropped to be rebuilt, unchanged, is part of that rebuild.
fn rebuilt<T: PartialEq>(change: Change, before: Option<&T>, now: &T) -> Change {
    match before {
        Some(before) if before == now => change.continuation(),
        _ => change,
    }
}

pub(super) fn indexes(from: &Catalog, to: &Catalog, removed: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.indexes, &to.indexes);
    let phase = |i: &Index| match to.views.contains_key(&i.table) {
        true => Phase::DependentIndex,
        false => Phase::Index,
    };
    for (name, i) in gone.into_iter().filter(|(_, i)| kept(to, &i.table)) {
        out.push(
            Change::new(
                ObjectKind::Index,
                name.to_string(),
                Action::Drop,
                Phase::DropIndex,
            )
            .found(describe_index(i))
            .sql(format!("DROP INDEX {name}")),
        );
    }
    for (name, i) in new {
        let on = format!("INDEX {name}");
        let change = Change::new(
            ObjectKind::Index,
            name.to_string(),
            Action::Create,
            phase(i),
        )
        .expected(describe_index(i))
        .sql(index_sql(name, i))
        .sql_all(attributes(&on, None, (&i.comment, &Access::default())));
        out.push(rebuilt(change, removed.indexes.get(name), i));
    }
    for (name, a, b) in both {
        if a == b {
            continue;
        }
        let on = format!("INDEX {name}");
        let mut change = Change::new(ObjectKind::Index, name.to_string(), Action::Alter, phase(b))
            .found(describe_index(a))
            .expected(describe_index(b));
        let from_comment =
            if (&a.table, a.unique, &a.definition) == (&b.table, b.unique, &b.definition) {
                Some((&a.comment, &Access::default()))
            } else {
                out.push(
                    Change::new(
                        ObjectKind::Index,
                        name.to_string(),
                        Action::Alter,
                        Phase::DropIndex,
                    )
                    .continuation()
                    .sql(format!("DROP INDEX {name}")),
                );
                change = change.sql(index_sql(name, b));
                None
            };
        // `attributes` borrows the default access only for the call.
        let none = Access::default();
        let from_comment = from_comment.map(|(c, _)| (c, &none));
        out.push(change.sql_all(attributes(&on, from_comment, (&b.comment, &none))));
    }
}

fn enabled_sql(table: &Name, name: &str, state: char) -> Option<String> {
    let word = match state {
        'D' => "DISABLE",
        'R' => "ENABLE REPLICA",
        'A' => "ENABLE ALWAYS",
        _ => "ENABLE",
    };
    Some(format!(
        "ALTER TABLE {table} {word} TRIGGER {}",
        quote::name(name)
    ))
}

pub(super) fn triggers(from: &Catalog, to: &Catalog, removed: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.triggers, &to.triggers);
    let object = |table: &Name, name: &str| format!("{} on {table}", quote::name(name));
    let drop = |table: &Name, name: &str| format!("DROP TRIGGER {} ON {table}", quote::name(name));
    for ((table, name), t) in gone.into_iter().filter(|((t, _), _)| kept(to, t)) {
        out.push(
            Change::new(
                ObjectKind::Trigger,
                object(table, name),
                Action::Drop,
                Phase::DropTrigger,
            )
            .found(t.definition.clone())
            .sql(drop(table, name)),
        );
    }
    for ((table, name), t) in new {
        let on = format!("TRIGGER {} ON {table}", quote::name(name));
        let mut change = Change::new(
            ObjectKind::Trigger,
            object(table, name),
            Action::Create,
            Phase::Trigger,
        )
        .expected(t.definition.clone())
        .sql(t.definition.clone());
        if t.enabled != 'O' {
            change = change.sql_all(enabled_sql(table, name, t.enabled));
        }
        let change = change.sql_all(attributes(&on, None, (&t.comment, &Access::default())));
        let key = (table.clone(), name.clone());
        out.push(rebuilt(change, removed.triggers.get(&key), t));
    }
    for ((table, name), a, b) in both {
        if a == b {
            continue;
        }
        let on = format!("TRIGGER {} ON {table}", quote::name(name));
        let none = Access::default();
        let mut change = Change::new(
            ObjectKind::Trigger,
            object(table, name),
            Action::Alter,
            Phase::Trigger,
        )
        .found(format!("{} (enabled {})", a.definition, a.enabled))
        .expected(format!("{} (enabled {})", b.definition, b.enabled));
        let mut before = Some((&a.comment, &none));
        if a.definition != b.definition {
            out.push(
                Change::new(
                    ObjectKind::Trigger,
                    object(table, name),
                    Action::Alter,
                    Phase::DropTrigger,
                )
                .continuation()
                .sql(drop(table, name)),
            );
            change = change.sql(b.definition.clone());
            before = None;
            if b.enabled != 'O' {
                change = change.sql_all(enabled_sql(table, name, b.enabled));
            }
        } else if a.enabled != b.enabled {
            change = change.sql_all(enabled_sql(table, name, b.enabled));
        }
        out.push(change.sql_all(attributes(&on, before, (&b.comment, &none))));
    }
}

fn policy_sql(table: &Name, name: &str, p: &Policy) -> String {
    let kind = if p.permissive {
        "PERMISSIVE"
    } else {
        "RESTRICTIVE"
    };
    let roles: Vec<String> = p
        .roles
        .iter()
        .map(|r| {
            if r == "public" {
                "PUBLIC".to_owned()
            } else {
                quote::name(r)
            }
        })
        .collect();
    let mut sql = format!(
        "CREATE POLICY {} ON {table} AS {kind} FOR {} TO {}",
        quote::name(name),
        p.command,
        roles.join(", ")
    );
    if let Some(using) = &p.using {
        sql.push_str(&format!(" USING ({using})"));
    }
    if let Some(check) = &p.check {
        sql.push_str(&format!(" WITH CHECK ({check})"));
    }
    sql
}

pub(super) fn policies(from: &Catalog, to: &Catalog, removed: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.policies, &to.policies);
    let object = |table: &Name, name: &str| format!("{} on {table}", quote::name(name));
    let drop = |table: &Name, name: &str| format!("DROP POLICY {} ON {table}", quote::name(name));
    for ((table, name), p) in gone.into_iter().filter(|((t, _), _)| kept(to, t)) {
        out.push(
            Change::new(
                ObjectKind::Policy,
                object(table, name),
                Action::Drop,
                Phase::DropPolicy,
            )
            .found(policy_sql(table, name, p))
            .sql(drop(table, name)),
        );
    }
    for ((table, name), p) in new {
        let on = format!("POLICY {} ON {table}", quote::name(name));
        let change = Change::new(
            ObjectKind::Policy,
            object(table, name),
            Action::Create,
            Phase::Policy,
        )
        .expected(policy_sql(table, name, p))
        .sql(policy_sql(table, name, p))
        .sql_all(attributes(&on, None, (&p.comment, &Access::default())));
        let key = (table.clone(), name.clone());
        out.push(rebuilt(change, removed.policies.get(&key), p));
    }
    for ((table, name), a, b) in both {
        if a == b {
            continue;
        }
        let on = format!("POLICY {} ON {table}", quote::name(name));
        let none = Access::default();
        let mut change = Change::new(
            ObjectKind::Policy,
            object(table, name),
            Action::Alter,
            Phase::Policy,
        )
        .found(policy_sql(table, name, a))
        .expected(policy_sql(table, name, b));
        let mut before = Some((&a.comment, &none));
        if policy_sql(table, name, a) != policy_sql(table, name, b) {
            out.push(
                Change::new(
                    ObjectKind::Policy,
                    object(table, name),
                    Action::Alter,
                    Phase::DropPolicy,
                )
                .continuation()
                .sql(drop(table, name)),
            );
            change = change.sql(policy_sql(table, name, b));
            before = None;
        }
        out.push(change.sql_all(attributes(&on, before, (&b.comment, &none))));
    }
}
