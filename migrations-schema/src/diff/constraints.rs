//! Table constraints: primary keys, unique, check, exclusion and foreign keys. Foreign keys are
//! created after every table and dropped before any; `NOT VALID` is state, changed by
//! `VALIDATE CONSTRAINT`.

use migrations_core::quote;

use super::access::attributes;
use super::parts::kept;
use super::{split, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

fn constraint_sql(table: &Name, name: &str, c: &Constraint) -> String {
    let not_valid = if c.validated { "" } else { " NOT VALID" };
    format!(
        "ALTER TABLE {table} ADD CONSTRAINT {} {}{not_valid}",
        quote::name(name),
        c.definition
    )
}

fn describe_constraint(c: &Constraint) -> String {
    let state = if c.validated { "" } else { " (not valid)" };
    format!("{}{state}", c.definition)
}

fn constraint_phases(c: &Constraint) -> (Phase, Phase) {
    match c.kind {
        ConstraintKind::ForeignKey => (Phase::DropForeignKey, Phase::ForeignKey),
        _ => (Phase::DropConstraint, Phase::Constraint),
    }
}

fn constraint_hazard(c: &Constraint) -> Option<Hazard> {
    let why = match c.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
            "fails while rows hold duplicates; it also locks the table while its index builds"
        }
        ConstraintKind::Exclusion => {
            "fails while rows conflict; it also locks the table while its index builds"
        }
        _ if !c.validated => return None,
        ConstraintKind::Check => {
            "fails while rows violate it: add it NOT VALID, then VALIDATE CONSTRAINT"
        }
        ConstraintKind::ForeignKey => {
            "fails while rows reference missing keys: add it NOT VALID, then VALIDATE CONSTRAINT"
        }
    };
    Some(Hazard::MayFail(why.to_owned()))
}

pub(super) fn constraints(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.constraints, &to.constraints);
    let object = |table: &Name, name: &str| format!("{} on {table}", quote::name(name));
    for ((table, name), c) in gone {
        let change = drop_constraint(table, name, c, Action::Drop).found(describe_constraint(c));
        if kept(to, table) {
            out.push(change);
        } else if c.kind == ConstraintKind::ForeignKey {
            // Its table goes, but the table it references may go first.
            out.push(change.continuation());
        }
    }
    let late = super::around::late_routines(to);
    for ((table, name), c) in new {
        // A check calling a routine created after the tables waits for it.
        let waits = c.kind == ConstraintKind::Check
            && late
                .iter()
                .any(|id| super::around::calls(&c.definition, id));
        let phase = if waits {
            Phase::Trigger
        } else {
            constraint_phases(c).1
        };
        let mut change = Change::new(
            ObjectKind::Constraint,
            object(table, name),
            Action::Create,
            phase,
        )
        .expected(describe_constraint(c))
        .sql(constraint_sql(table, name, c));
        if let Some(hazard) = constraint_hazard(c).filter(|_| from.tables.contains_key(table)) {
            change = change.hazard(hazard);
        }
        let on = format!("CONSTRAINT {} ON {table}", quote::name(name));
        out.push(change.sql_all(attributes(&on, None, (&c.comment, &Access::default()))));
    }
    // Keys dropped or redefined on a kept table take the foreign keys referencing them along
    // (PostgreSQL refuses to drop the index under them): those are dropped first and added back.
    let rekeyed: Vec<&Name> = from
        .constraints
        .iter()
        .filter(|((table, _), c)| {
            matches!(c.kind, ConstraintKind::PrimaryKey | ConstraintKind::Unique) && kept(to, table)
        })
        .filter(|(key, c)| {
            to.constraints
                .get(*key)
                .is_none_or(|d| d.definition != c.definition)
        })
        .map(|((table, _), _)| table)
        .collect();
    let references = |c: &Constraint| rekeyed.iter().any(|t| c.references(t));
    for ((table, name), a, b) in both {
        if a == b {
            if references(a) {
                out.push(drop_constraint(table, name, a, Action::Alter).continuation());
                out.push(
                    Change::new(
                        ObjectKind::Constraint,
                        object(table, name),
                        Action::Alter,
                        Phase::ForeignKey,
                    )
                    .continuation()
                    .sql(constraint_sql(table, name, b)),
                );
            }
            continue;
        }
        let on = format!("CONSTRAINT {} ON {table}", quote::name(name));
        let comment = attributes(
            &on,
            Some((&a.comment, &Access::default())),
            (&b.comment, &Access::default()),
        );
        let mut change = Change::new(
            ObjectKind::Constraint,
            object(table, name),
            Action::Alter,
            constraint_phases(b).1,
        )
        .found(describe_constraint(a))
        .expected(describe_constraint(b));
        if a.kind == b.kind && a.definition == b.definition && a.validated == b.validated {
            out.push(change.sql_all(comment));
            continue;
        }
        if a.kind == b.kind && a.definition == b.definition && b.validated {
            change = change.sql(format!(
                "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                quote::name(name)
            ));
            let why = "fails while rows violate it".to_owned();
            out.push(change.hazard(Hazard::MayFail(why)).sql_all(comment));
            continue;
        }
        out.push(drop_constraint(table, name, a, Action::Alter).continuation());
        change = change.sql(constraint_sql(table, name, b));
        if let Some(hazard) = constraint_hazard(b) {
            change = change.hazard(hazard);
        }
        let comment = attributes(&on, None, (&b.comment, &Access::default()));
        out.push(change.sql_all(comment));
    }
}

fn drop_constraint(table: &Name, name: &str, c: &Constraint, action: Action) -> Change {
    let object = format!("{} on {table}", quote::name(name));
    Change::new(
        ObjectKind::Constraint,
        object,
        action,
        constraint_phases(c).0,
    )
    .sql(format!(
        "ALTER TABLE {table} DROP CONSTRAINT {}",
        quote::name(name)
    ))
}
