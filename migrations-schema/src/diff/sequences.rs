//! Sequences: options, and the table column that owns one (a `serial`).

use migrations_core::quote;

use super::access::attributes;
use super::{split, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

fn describe_sequence(s: &Sequence) -> String {
    let mut text = format!(
        "{} start {} increment {} min {} max {} cache {}",
        s.data_type, s.start, s.increment, s.min, s.max, s.cache
    );
    if s.cycle {
        text.push_str(" cycle");
    }
    if let Some((table, column)) = &s.owned_by {
        text.push_str(&format!(" owned by {table}.{}", quote::name(column)));
    }
    text
}

fn sequence_options(s: &Sequence) -> String {
    let cycle = if s.cycle { "CYCLE" } else { "NO CYCLE" };
    format!(
        "AS {} INCREMENT BY {} MINVALUE {} MAXVALUE {} START WITH {} CACHE {} {cycle}",
        s.data_type, s.increment, s.min, s.max, s.start, s.cache
    )
}

fn owned_by(s: &Sequence) -> String {
    match &s.owned_by {
        Some((table, column)) => format!("{table}.{}", quote::name(column)),
        None => "NONE".to_owned(),
    }
}

pub(super) fn sequences(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.sequences, &to.sequences);
    let kind = ObjectKind::Sequence;
    for (name, s) in gone {
        // A sequence owned by a column goes with its column or table.
        let owner_goes = s.owned_by.as_ref().is_some_and(|(table, column)| {
            to.tables
                .get(table)
                .and_then(|t| t.column(column))
                .is_none()
        });
        // A sequence whose column stays (a `serial` turned identity) goes once the column's
        // default no longer uses it.
        let phase = match s.owned_by {
            Some(_) => Phase::Ownership,
            None => Phase::DropSequence,
        };
        let change = Change::new(kind, name.to_string(), Action::Drop, phase)
            .found(describe_sequence(s))
            .hazard(Hazard::Destructive(
                "drops the sequence and its current value".to_owned(),
            ));
        out.push(match owner_goes {
            true => change,
            false => change.sql(format!("DROP SEQUENCE {name}")),
        });
    }
    for (name, s) in new {
        let change = Change::new(kind, name.to_string(), Action::Create, Phase::Sequence)
            .expected(describe_sequence(s))
            .sql(format!("CREATE SEQUENCE {name} {}", sequence_options(s)))
            .sql_all(attributes(
                &format!("SEQUENCE {name}"),
                None,
                (&s.comment, &s.access),
            ));
        if s.owned_by.is_some() {
            // After the table it belongs to.
            out.push(
                Change::new(kind, name.to_string(), Action::Create, Phase::Ownership)
                    .continuation()
                    .sql(format!("ALTER SEQUENCE {name} OWNED BY {}", owned_by(s))),
            );
        }
        out.push(change);
    }
    for (name, a, b) in both {
        if a == b {
            continue;
        }
        let mut change = Change::new(kind, name.to_string(), Action::Alter, Phase::Ownership)
            .found(describe_sequence(a))
            .expected(describe_sequence(b));
        let owner_goes = a.owned_by.as_ref().is_some_and(|(table, column)| {
            to.tables
                .get(table)
                .and_then(|t| t.column(column))
                .is_none()
        });
        if owner_goes {
            // Released first: dropping the owning column would drop the sequence with it.
            out.push(
                Change::new(kind, name.to_string(), Action::Alter, Phase::Rename)
                    .continuation()
                    .sql(format!("ALTER SEQUENCE {name} OWNED BY NONE")),
            );
        }
        if sequence_options(a) != sequence_options(b) {
            change = change.sql(format!("ALTER SEQUENCE {name} {}", sequence_options(b)));
        }
        if a.owned_by != b.owned_by {
            change = change.sql(format!("ALTER SEQUENCE {name} OWNED BY {}", owned_by(b)));
        }
        let on = format!("SEQUENCE {name}");
        out.push(change.sql_all(attributes(
            &on,
            Some((&a.comment, &a.access)),
            (&b.comment, &b.access),
        )));
    }
}
