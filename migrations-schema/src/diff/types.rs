//! User-defined types: enums, domains and composite types.

use migrations_core::quote;

use super::access::attributes;
use super::{split, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

fn kind_of(t: &Type) -> ObjectKind {
    match t.kind {
        TypeKind::Enum(_) => ObjectKind::Enum,
        TypeKind::Domain(_) => ObjectKind::Domain,
        TypeKind::Composite(_) => ObjectKind::CompositeType,
    }
}

/// `TYPE x` or `DOMAIN x`, for COMMENT and GRANT.
fn on(name: &Name, t: &Type) -> String {
    match t.kind {
        TypeKind::Domain(_) => format!("DOMAIN {name}"),
        _ => format!("TYPE {name}"),
    }
}

/// Enums before domains (which may be over them) before composites (which may use both).
/// How deep a type sits in the types it is built of (a domain over a domain, a composite with
/// a composite attribute): created in that order, dropped the other way.
fn rank(catalog: &Catalog, t: &Type) -> usize {
    fn depth(catalog: &Catalog, t: &Type, budget: usize) -> usize {
        let used: Vec<&str> = match &t.kind {
            TypeKind::Enum(_) => return 0,
            TypeKind::Domain(d) => vec![d.base.as_str()],
            TypeKind::Composite(attributes) => {
                attributes.iter().map(|a| a.data_type.as_str()).collect()
            }
        };
        let inner = used
            .iter()
            .filter_map(|spelled| lookup(catalog, spelled.trim_end_matches("[]")))
            .map(|u| {
                if budget == 0 {
                    0
                } else {
                    depth(catalog, u, budget - 1)
                }
            })
            .max()
            .unwrap_or(0);
        inner + 1
    }
    depth(catalog, t, 32)
}

/// The user type a `format_type` spelling names (read under `search_path = public`).
fn lookup<'c>(catalog: &'c Catalog, spelled: &str) -> Option<&'c Type> {
    catalog
        .types
        .iter()
        .find(|(name, _)| name.spellings().iter().any(|s| s == spelled))
        .map(|(_, t)| t)
}

fn describe(t: &Type) -> String {
    match &t.kind {
        TypeKind::Enum(labels) => {
            let labels: Vec<String> = labels.iter().map(|l| quote::literal(l)).collect();
            format!("enum ({})", labels.join(", "))
        }
        TypeKind::Domain(d) => {
            let mut text = format!("domain over {}", d.base);
            if d.not_null {
                text.push_str(" not null");
            }
            if let Some(default) = &d.default {
                text.push_str(&format!(" default {default}"));
            }
            for (name, check) in &d.checks {
                text.push_str(&format!(" constraint {name} {check}"));
            }
            text
        }
        TypeKind::Composite(attributes) => format!("({})", attribute_list(attributes)),
    }
}

fn attribute_list(attributes: &[Attribute]) -> String {
    let list: Vec<String> = attributes
        .iter()
        .map(|a| {
            let collate = a
                .collation
                .as_ref()
                .map_or(String::new(), |c| format!(" COLLATE {c}"));
            format!("{} {}{collate}", quote::name(&a.name), a.data_type)
        })
        .collect();
    list.join(", ")
}

fn create(name: &Name, t: &Type) -> Vec<String> {
    let mut sql = vec![match &t.kind {
        TypeKind::Enum(labels) => {
            let labels: Vec<String> = labels.iter().map(|l| quote::literal(l)).collect();
            format!("CREATE TYPE {name} AS ENUM ({})", labels.join(", "))
        }
        TypeKind::Domain(d) => {
            let mut text = format!("CREATE DOMAIN {name} AS {}", d.base);
            if let Some(c) = &d.collation {
                text.push_str(&format!(" COLLATE {c}"));
            }
            if let Some(default) = &d.default {
                text.push_str(&format!(" DEFAULT {default}"));
            }
            if d.not_null {
                text.push_str(" NOT NULL");
            }
            for (check, definition) in &d.checks {
                text.push_str(&format!(" CONSTRAINT {} {definition}", quote::name(check)));
            }
            text
        }
        TypeKind::Composite(attributes) => {
            format!("CREATE TYPE {name} AS ({})", attribute_list(attributes))
        }
    }];
    sql.extend(attributes(&on(name, t), None, (&t.comment, &t.access)));
    sql
}

pub(super) fn types(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.types, &to.types);
    for (name, t) in gone {
        let why = "drops the type; columns of this type must be gone first".to_owned();
        let word = if matches!(t.kind, TypeKind::Domain(_)) {
            "DOMAIN"
        } else {
            "TYPE"
        };
        // A domain whose check calls a user function goes before the functions, once the
        // tables using it are gone.
        let calls_routine = matches!(&t.kind, TypeKind::Domain(d) if d.checks.values().any(|check| {
            from.routines.keys().any(|id| super::around::calls(check, id))
        }));
        let (phase, at) = match calls_routine {
            true => (Phase::DropTable, usize::MAX),
            false => (Phase::DropType, 64 - rank(from, t)),
        };
        out.push(
            Change::new(kind_of(t), name.to_string(), Action::Drop, phase)
                .found(describe(t))
                .hazard(Hazard::Destructive(why))
                .sql(format!("DROP {word} {name}"))
                .rank(at),
        );
    }
    for (name, t) in new {
        // A domain whose check calls a user function waits for the functions.
        let calls_routine = matches!(&t.kind, TypeKind::Domain(d) if d.checks.values().any(|check| {
            to.routines.keys().any(|id| super::around::calls(check, id))
        }));
        let phase = if calls_routine {
            Phase::LateType
        } else {
            Phase::Type
        };
        out.push(
            Change::new(kind_of(t), name.to_string(), Action::Create, phase)
                .expected(describe(t))
                .sql_all(create(name, t))
                .rank(rank(to, t)),
        );
    }
    for (name, a, b) in both {
        if a == b {
            continue;
        }
        let change = Change::new(kind_of(b), name.to_string(), Action::Alter, Phase::Type)
            .found(describe(a))
            .expected(describe(b))
            .rank(rank(to, b));
        let change = match (&a.kind, &b.kind) {
            (TypeKind::Enum(old), TypeKind::Enum(new)) if old != new => {
                super::enums::enum_change(from, to, name, old, new, change)
            }
            (TypeKind::Domain(old), TypeKind::Domain(new)) if old != new => {
                domain(name, old, new, change)
            }
            (TypeKind::Composite(old), TypeKind::Composite(new)) if old != new => {
                let used: Vec<String> = super::enums::columns_of_type(from, name)
                    .iter()
                    .map(|(table, c)| format!("{table}.{}", quote::name(&c.name)))
                    .collect();
                if used.is_empty() {
                    composite(name, old, new, change)
                } else {
                    let why = format!(
                        "PostgreSQL cannot alter a composite type while columns use it ({}): add a new type, move the columns to it, then drop this one",
                        used.join(", ")
                    );
                    change.hazard(Hazard::Manual(why))
                }
            }
            (x, y) if std::mem::discriminant(x) != std::mem::discriminant(y) => {
                let why = format!(
                    "it changes kind; drop it (and what uses it) and create it as {}",
                    describe(b)
                );
                change.hazard(Hazard::Manual(why))
            }
            _ => change,
        };
        let sql = attributes(
            &on(name, b),
            Some((&a.comment, &a.access)),
            (&b.comment, &b.access),
        );
        let mut change = change.sql_all(sql);
        if a.kind == b.kind {
            // Only the comment or the privileges differ: say which.
            change.found = Some(super::access::describe_comment(&a.comment));
            change.expected = Some(super::access::describe_comment(&b.comment));
        }
        out.push(change);
    }
}

fn domain(name: &Name, old: &Domain, new: &Domain, change: Change) -> Change {
    if old.base != new.base || old.collation != new.collation {
        let why = "PostgreSQL cannot change a domain's base type: create a new domain, move the columns to it, and drop this one".to_owned();
        return change.hazard(Hazard::Manual(why));
    }
    let mut sql = Vec::new();
    for (check, _) in old
        .checks
        .iter()
        .filter(|(k, v)| new.checks.get(*k) != Some(v))
    {
        sql.push(format!(
            "ALTER DOMAIN {name} DROP CONSTRAINT {}",
            quote::name(check)
        ));
    }
    if old.default != new.default {
        sql.push(match &new.default {
            Some(d) => format!("ALTER DOMAIN {name} SET DEFAULT {d}"),
            None => format!("ALTER DOMAIN {name} DROP DEFAULT"),
        });
    }
    if old.not_null != new.not_null {
        let word = if new.not_null { "SET" } else { "DROP" };
        sql.push(format!("ALTER DOMAIN {name} {word} NOT NULL"));
    }
    for (check, definition) in new
        .checks
        .iter()
        .filter(|(k, v)| old.checks.get(*k) != Some(v))
    {
        sql.push(format!(
            "ALTER DOMAIN {name} ADD CONSTRAINT {} {definition}",
            quote::name(check)
        ));
    }
    let tightened =
        (new.not_null && !old.not_null) || new.checks.keys().any(|k| !old.checks.contains_key(k));
    let change = change.sql_all(sql);
    if tightened {
        change.hazard(Hazard::MayFail(
            "existing values must satisfy the new constraints".to_owned(),
        ))
    } else {
        change
    }
}

fn composite(name: &Name, old: &[Attribute], new: &[Attribute], change: Change) -> Change {
    let mut sql = Vec::new();
    let mut destroys = Vec::new();
    for a in old.iter().filter(|a| !new.iter().any(|b| b.name == a.name)) {
        sql.push(format!(
            "ALTER TYPE {name} DROP ATTRIBUTE {}",
            quote::name(&a.name)
        ));
        destroys.push(a.name.clone());
    }
    for b in new {
        let collate = b
            .collation
            .as_ref()
            .map_or(String::new(), |c| format!(" COLLATE {c}"));
        match old.iter().find(|a| a.name == b.name) {
            None => sql.push(format!(
                "ALTER TYPE {name} ADD ATTRIBUTE {} {}{collate}",
                quote::name(&b.name),
                b.data_type
            )),
            Some(a) if a != b => sql.push(format!(
                "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}{collate}",
                quote::name(&b.name),
                b.data_type
            )),
            Some(_) => {}
        }
    }
    let change = change.sql_all(sql);
    if destroys.is_empty() {
        change
    } else {
        let why = format!("drops attribute {}", destroys.join(", "));
        change.hazard(Hazard::Destructive(why))
    }
}
