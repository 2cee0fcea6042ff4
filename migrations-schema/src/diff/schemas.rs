//! Schemas, extensions and collations: what everything else is created in or with.

use migrations_core::quote;

use super::access::{attributes, describe_comment};
use super::{split, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

pub(super) fn schemas(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.schemas, &to.schemas);
    for (name, _) in gone {
        let why = "drops the schema (everything in it is dropped above)".to_owned();
        out.push(
            Change::new(
                ObjectKind::Schema,
                quote::name(name),
                Action::Drop,
                Phase::DropSchema,
            )
            .found("a schema")
            .hazard(Hazard::Destructive(why))
            .sql(format!("DROP SCHEMA {}", quote::name(name))),
        );
    }
    for (name, schema) in new {
        let on = format!("SCHEMA {}", quote::name(name));
        out.push(
            Change::new(
                ObjectKind::Schema,
                quote::name(name),
                Action::Create,
                Phase::CreateSchema,
            )
            .expected("a schema")
            .sql(format!("CREATE SCHEMA {}", quote::name(name)))
            .sql_all(attributes(&on, None, (&schema.comment, &schema.access))),
        );
    }
    for (name, a, b) in both {
        let on = format!("SCHEMA {}", quote::name(name));
        let sql = attributes(&on, Some((&a.comment, &a.access)), (&b.comment, &b.access));
        if !sql.is_empty() {
            out.push(
                Change::new(
                    ObjectKind::Schema,
                    quote::name(name),
                    Action::Alter,
                    Phase::Ownership,
                )
                .found(describe_comment(&a.comment))
                .expected(describe_comment(&b.comment))
                .sql_all(sql),
            );
        }
    }
}

pub(super) fn extensions(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.extensions, &to.extensions);
    let object = |name: &str| quote::name(name);
    for (name, e) in gone {
        let why = "drops the extension and every object it provides".to_owned();
        out.push(
            Change::new(
                ObjectKind::Extension,
                object(name),
                Action::Drop,
                Phase::DropExtension,
            )
            .found(format!("version {} in schema {}", e.version, e.schema))
            .hazard(Hazard::Destructive(why))
            .sql(format!("DROP EXTENSION {}", object(name))),
        );
    }
    for (name, e) in new {
        let schema = quote::name(&e.schema);
        out.push(
            Change::new(
                ObjectKind::Extension,
                object(name),
                Action::Create,
                Phase::CreateExtension,
            )
            .expected(format!("in schema {}", e.schema))
            .sql(format!(
                "CREATE EXTENSION IF NOT EXISTS {} WITH SCHEMA {schema}",
                object(name)
            )),
        );
    }
    for (name, a, b) in both {
        if a.schema != b.schema {
            let schema = quote::name(&b.schema);
            out.push(
                Change::new(
                    ObjectKind::Extension,
                    object(name),
                    Action::Alter,
                    Phase::CreateExtension,
                )
                .found(format!("in schema {}", a.schema))
                .expected(format!("in schema {}", b.schema))
                .sql(format!(
                    "ALTER EXTENSION {} SET SCHEMA {schema}",
                    object(name)
                )),
            );
        }
    }
}

fn collation_sql(name: &Name, c: &Collation) -> String {
    let mut options = vec![format!("provider = {}", c.provider)];
    if let Some(locale) = &c.locale {
        options.push(format!("locale = {}", quote::literal(locale)));
    }
    if c.provider == "libc" {
        if let Some(collate) = &c.lc_collate {
            options.push(format!("lc_collate = {}", quote::literal(collate)));
        }
        if let Some(ctype) = &c.lc_ctype {
            options.push(format!("lc_ctype = {}", quote::literal(ctype)));
        }
    }
    if !c.deterministic {
        options.push("deterministic = false".to_owned());
    }
    format!("CREATE COLLATION {name} ({})", options.join(", "))
}

pub(super) fn collations(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.collations, &to.collations);
    let kind = ObjectKind::Collation;
    for (name, c) in gone {
        out.push(
            Change::new(kind, name.to_string(), Action::Drop, Phase::DropType)
                .found(collation_sql(name, c))
                .rank(usize::MAX)
                .sql(format!("DROP COLLATION {name}")),
        );
    }
    for (name, c) in new {
        let on = format!("COLLATION {name}");
        out.push(
            Change::new(
                kind,
                name.to_string(),
                Action::Create,
                Phase::CreateExtension,
            )
            .expected(collation_sql(name, c))
            .rank(1)
            .sql(collation_sql(name, c))
            .sql_all(attributes(&on, None, (&c.comment, &Access::default()))),
        );
    }
    for (name, a, b) in both {
        if a == b {
            continue;
        }
        let on = format!("COLLATION {name}");
        let change = Change::new(
            kind,
            name.to_string(),
            Action::Alter,
            Phase::CreateExtension,
        )
        .found(collation_sql(name, a))
        .expected(collation_sql(name, b))
        .rank(1);
        let change = if collation_sql(name, a) != collation_sql(name, b) {
            let why = "a collation cannot be changed in place: create a new one, move the columns and indexes to it, and drop this one".to_owned();
            change.hazard(Hazard::Manual(why))
        } else {
            change.sql_all(attributes(
                &on,
                Some((&a.comment, &Access::default())),
                (&b.comment, &Access::default()),
            ))
        };
        out.push(change);
    }
}
