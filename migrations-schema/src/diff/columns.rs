//! Columns: added, dropped, or altered in place (type with `USING` where no assignment cast
//! exists, default, nullability, identity, generation, comment).

use std::collections::BTreeSet;

use migrations_core::quote;

use super::access::{attributes, describe_comment};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

/// A column's definition for `CREATE TABLE` and `ADD COLUMN`.
pub(super) fn column_sql(c: &Column) -> String {
    let mut text = format!("{} {}", quote::name(&c.name), c.data_type);
    if let Some(collation) = &c.collation {
        text.push_str(&format!(" COLLATE {collation}"));
    }
    if let Some(expression) = &c.generated {
        text.push_str(&format!(" GENERATED ALWAYS AS ({expression}) STORED"));
    } else if let Some(default) = &c.default {
        text.push_str(&format!(" DEFAULT {default}"));
    }
    if let Some(identity) = c.identity {
        text.push_str(&format!(" GENERATED {} AS IDENTITY", identity.keyword()));
        if let Some(options) = &c.identity_options {
            text.push_str(&format!(" ({options})"));
        }
    }
    if c.not_null {
        text.push_str(" NOT NULL");
    }
    text
}

pub(super) fn describe_column(c: &Column) -> String {
    let mut text = c.data_type.clone();
    if let Some(collation) = &c.collation {
        text.push_str(&format!(" collate {collation}"));
    }
    text.push_str(if c.not_null { " not null" } else { " null" });
    if let Some(default) = &c.default {
        text.push_str(&format!(" default {default}"));
    }
    if let Some(identity) = c.identity {
        text.push_str(&format!(
            " generated {} as identity",
            identity.keyword().to_lowercase()
        ));
    }
    if let Some(expression) = &c.generated {
        text.push_str(&format!(" generated always as ({expression})"));
    }
    text
}

pub(super) fn add_column(table: &Name, object: String, c: &Column) -> Change {
    let mut change = Change::new(
        ObjectKind::Column,
        object.clone(),
        Action::Create,
        Phase::AlterTable,
    )
    .expected(describe_column(c))
    .sql(format!("ALTER TABLE {table} ADD COLUMN {}", column_sql(c)));
    if c.comment.is_some() {
        let on = format!("COLUMN {object}");
        change = change.sql_all(attributes(&on, None, (&c.comment, &Access::default())));
    }
    change = change.sql_all(column_grants(table, &c.name, &BTreeSet::new(), &c.grants));
    if c.not_null && c.default.is_none() && c.identity.is_none() && c.generated.is_none() {
        let why = "a NOT NULL column without a default cannot be added to a table with rows: add a default, or add it nullable, fill it, then set NOT NULL".to_owned();
        change = change.hazard(Hazard::MayFail(why));
    }
    change
}

/// Types a value converts to by assignment, so that `ALTER COLUMN ... TYPE` needs no `USING`.
fn converts_without_using(from: &str, to: &str) -> bool {
    let family = |t: &str| {
        let base = t.split('(').next().unwrap_or(t).trim();
        match base {
            "smallint" | "integer" | "bigint" | "numeric" | "real" | "double precision" => 1,
            "text" | "character varying" | "character" | "name" => 2,
            "timestamp without time zone" | "timestamp with time zone" | "date" => 3,
            _ => 0,
        }
    };
    family(to) == 2 || (family(from) != 0 && family(from) == family(to))
}

/// Whether every value of `from` converts to `to` unchanged: otherwise values may be rounded
/// (`numeric(10,4)` to `numeric(10,2)`, `double precision` to `integer`), cut (`timestamptz` to
/// `date`, a shorter `varchar`) or refused.
fn lossless(from: &str, to: &str) -> bool {
    let length = |t: &str, prefix: &str| {
        t.strip_prefix(prefix)
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.parse::<u32>().ok())
    };
    let numeric = |t: &str| -> Option<(u32, u32)> {
        let inner = t.strip_prefix("numeric(")?.strip_suffix(')')?;
        let (p, s) = inner.split_once(',').unwrap_or((inner, "0"));
        Some((p.trim().parse().ok()?, s.trim().parse().ok()?))
    };
    if from == to || to == "text" {
        return true;
    }
    if let (Some(a), Some(b)) = (
        length(from, "character varying(").or(length(from, "character(")),
        length(to, "character varying("),
    ) {
        return b >= a;
    }
    if let (Some((p1, s1)), Some((p2, s2))) = (numeric(from), numeric(to)) {
        return s2 >= s1 && p2 - s2 >= p1 - s1;
    }
    matches!(
        (from, to),
        (
            "smallint",
            "integer" | "bigint" | "numeric" | "real" | "double precision"
        ) | ("integer", "bigint" | "numeric" | "double precision")
            | ("bigint", "numeric")
            | ("real", "double precision")
            | (
                "date",
                "timestamp without time zone" | "timestamp with time zone"
            )
            | ("timestamp without time zone", "timestamp with time zone")
            | ("character varying", "text")
    ) || (from.starts_with("character varying") && to == "character varying")
        || (from.starts_with("numeric(") && to == "numeric")
}

pub(super) fn column(table: &Name, object: String, a: &Column, b: &Column) -> Change {
    let at = format!("ALTER TABLE {table} ALTER COLUMN {}", quote::name(&b.name));
    let mut change = Change::new(
        ObjectKind::Column,
        object.clone(),
        Action::Alter,
        Phase::AlterTable,
    )
    .found(describe_column(a))
    .expected(describe_column(b));
    let mut default = a.default.clone();
    if a.generated != b.generated {
        if b.generated.is_none() {
            change = change.sql(format!("{at} DROP EXPRESSION"));
        } else {
            // An expression cannot be changed in place (before PostgreSQL 17).
            let name = quote::name(&b.name);
            let change = change
                .sql(format!("ALTER TABLE {table} DROP COLUMN {name}"))
                .sql(format!("ALTER TABLE {table} ADD COLUMN {}", column_sql(b)));
            // A plain column's own values are lost; a generated one's are computed again, and
            // its indexes and the views over it are rebuilt (see `rebuild`).
            return match a.generated {
                None => change.hazard(Hazard::Destructive(
                    "the column's values are replaced by the computed ones".to_owned(),
                )),
                Some(_) => change,
            };
        }
    }
    if a.data_type != b.data_type || a.collation != b.collation {
        if default.take().is_some() {
            change = change.sql(format!("{at} DROP DEFAULT"));
        }
        let collate = b
            .collation
            .as_ref()
            .map_or(String::new(), |c| format!(" COLLATE {c}"));
        let using = match converts_without_using(&a.data_type, &b.data_type) {
            true => String::new(),
            false => format!(" USING {}::{}", quote::name(&b.name), b.data_type),
        };
        change = change.sql(format!("{at} TYPE {}{collate}{using}", b.data_type));
        if !lossless(&a.data_type, &b.data_type) {
            let why = format!(
                "existing values must convert to {}: some may be rounded, cut or refused",
                b.data_type
            );
            change = change.hazard(Hazard::MayFail(why));
        }
    }
    match (a.identity, b.identity) {
        (Some(_), None) => change = change.sql(format!("{at} DROP IDENTITY")),
        (None, Some(identity)) => {
            if default.take().is_some() {
                change = change.sql(format!("{at} DROP DEFAULT"));
            }
            if !a.not_null {
                change = change.sql(format!("{at} SET NOT NULL"));
            }
            let options = b
                .identity_options
                .as_ref()
                .map_or(String::new(), |o| format!(" ({o})"));
            change = change.sql(format!(
                "{at} ADD GENERATED {} AS IDENTITY{options}",
                identity.keyword()
            ));
        }
        (Some(x), Some(y)) => {
            if x != y {
                change = change.sql(format!("{at} SET GENERATED {}", y.keyword()));
            }
            if let (Some(old), Some(new)) = (&a.identity_options, &b.identity_options) {
                if old != new {
                    change = change.sql(format!("{at} {}", set_options(new)));
                }
            }
        }
        _ => {}
    }
    if default != b.default && b.generated.is_none() {
        change = change.sql(match &b.default {
            Some(d) => format!("{at} SET DEFAULT {d}"),
            None => format!("{at} DROP DEFAULT"),
        });
    }
    if a.not_null != b.not_null && !(b.identity.is_some() && a.identity.is_none()) {
        if b.not_null {
            change = change.sql(format!("{at} SET NOT NULL"));
            if change.hazard.is_none() {
                let why = "fails while rows hold NULL in this column: fill them first".to_owned();
                change = change.hazard(Hazard::MayFail(why));
            }
        } else {
            change = change.sql(format!("{at} DROP NOT NULL"));
        }
    }
    if a.comment != b.comment {
        let on = format!("COLUMN {object}");
        change = change.sql_all(attributes(
            &on,
            Some((&a.comment, &Access::default())),
            (&b.comment, &Access::default()),
        ));
        if describe_column(a) == describe_column(b) {
            change.found = Some(describe_comment(&a.comment));
            change.expected = Some(describe_comment(&b.comment));
        }
    }
    change.sql_all(column_grants(table, &b.name, &a.grants, &b.grants))
}

/// `REVOKE` and `GRANT` of privileges on one column, from `before` to `after`.
pub(super) fn column_grants(
    table: &Name,
    column: &str,
    before: &BTreeSet<Grant>,
    after: &BTreeSet<Grant>,
) -> Vec<String> {
    let role = |r: &str| {
        if r == "PUBLIC" {
            r.to_owned()
        } else {
            quote::name(r)
        }
    };
    let column = quote::name(column);
    let revokes = before.difference(after).map(|g| {
        format!(
            "REVOKE {} ({column}) ON TABLE {table} FROM {}",
            g.privilege,
            role(&g.grantee)
        )
    });
    let grants = after.difference(before).map(|g| {
        let option = if g.grantable {
            " WITH GRANT OPTION"
        } else {
            ""
        };
        format!(
            "GRANT {} ({column}) ON TABLE {table} TO {}{option}",
            g.privilege,
            role(&g.grantee)
        )
    });
    revokes.chain(grants).collect()
}

/// `SET START WITH 1 SET INCREMENT BY 1 ...` from the options `CREATE SEQUENCE` writes.
fn set_options(options: &str) -> String {
    let words: Vec<&str> = options.split_whitespace().collect();
    let mut clauses = Vec::new();
    let mut i = 0;
    while i < words.len() {
        let (clause, used) = match words[i] {
            "START" | "INCREMENT" if i + 2 < words.len() => (words[i..i + 3].join(" "), 3),
            "NO" if i + 1 < words.len() => (words[i..i + 2].join(" "), 2),
            "CYCLE" => ("CYCLE".to_owned(), 1),
            _ if i + 1 < words.len() => (words[i..i + 2].join(" "), 2),
            _ => (words[i].to_owned(), 1),
        };
        clauses.push(format!("SET {clause}"));
        i += used;
    }
    clauses.join(" ")
}

#[cfg(test)]
mod tests {
    #[test]
    fn identity_options_become_set_clauses() {
        assert_eq!(
            super::set_options("START WITH 100 INCREMENT BY 10 MINVALUE 1 MAXVALUE 9 CACHE 1 NO CYCLE"),
            "SET START WITH 100 SET INCREMENT BY 10 SET MINVALUE 1 SET MAXVALUE 9 SET CACHE 1 SET NO CYCLE"
        );
    }
}
