//! Tables and their columns.

use migrations_core::quote;

use super::access::{attributes, describe_comment};
use super::columns::{add_column, column, column_sql, describe_column};
use super::{split, Split};
use crate::change::{Action, Change, Hazard, ObjectKind, Phase};
use crate::model::*;

/// How many parents a partition has: parents are created before and dropped after it.
fn depth<'c>(catalog: &'c Catalog, mut name: &'c Name) -> usize {
    let mut depth = 0;
    while let Some((parent, _)) = catalog
        .tables
        .get(name)
        .and_then(|t| t.partition_of.as_ref())
    {
        depth += 1;
        name = parent;
        if depth > 64 {
            break;
        }
    }
    depth
}

fn describe_table(t: &Table) -> String {
    let mut text = format!("{} columns", t.columns.len());
    if t.unlogged {
        text.push_str(", unlogged");
    }
    if let Some(key) = &t.partition_by {
        text.push_str(&format!(", partition by {key}"));
    }
    if let Some((parent, bound)) = &t.partition_of {
        text.push_str(&format!(", partition of {parent} {bound}"));
    }
    if t.row_security {
        text.push_str(", row level security");
    }
    text
}

fn create_table(name: &Name, t: &Table) -> Vec<String> {
    let unlogged = if t.unlogged { "UNLOGGED " } else { "" };
    let mut sql = vec![match &t.partition_of {
        Some((parent, bound)) => {
            // A partition may itself be partitioned (a sub-partition tree).
            let partition = t
                .partition_by
                .as_ref()
                .map_or(String::new(), |k| format!(" PARTITION BY {k}"));
            format!("CREATE {unlogged}TABLE {name} PARTITION OF {parent} {bound}{partition}")
        }
        None => {
            let columns: Vec<String> = t
                .columns
                .iter()
                .map(|c| format!("    {}", column_sql(c)))
                .collect();
            let body = if columns.is_empty() {
                String::new()
            } else {
                format!("\n{}\n", columns.join(",\n"))
            };
            let partition = t
                .partition_by
                .as_ref()
                .map_or(String::new(), |k| format!(" PARTITION BY {k}"));
            format!("CREATE {unlogged}TABLE {name} ({body}){partition}")
        }
    }];
    sql.extend(row_security(name, None, t));
    sql.extend(attributes(
        &format!("TABLE {name}"),
        None,
        (&t.comment, &t.access),
    ));
    for c in t.columns.iter().filter(|c| c.comment.is_some()) {
        let on = format!("COLUMN {name}.{}", quote::name(&c.name));
        sql.extend(attributes(&on, None, (&c.comment, &Access::default())));
    }
    for c in &t.columns {
        sql.extend(super::columns::column_grants(
            name,
            &c.name,
            &Default::default(),
            &c.grants,
        ));
    }
    sql
}

fn row_security(name: &Name, from: Option<&Table>, to: &Table) -> Vec<String> {
    let mut sql = Vec::new();
    if to.row_security != from.is_some_and(|f| f.row_security) {
        let word = if to.row_security { "ENABLE" } else { "DISABLE" };
        sql.push(format!("ALTER TABLE {name} {word} ROW LEVEL SECURITY"));
    }
    if to.force_row_security != from.is_some_and(|f| f.force_row_security) {
        let word = if to.force_row_security {
            "FORCE"
        } else {
            "NO FORCE"
        };
        sql.push(format!("ALTER TABLE {name} {word} ROW LEVEL SECURITY"));
    }
    sql
}

pub(super) fn tables(from: &Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let Split { gone, new, both } = split(&from.tables, &to.tables);
    // Routines this diff drops: a dropped table's defaults and checks calling one are taken off
    // first (the routines go before the tables).
    let dropped: Vec<&RoutineId> = from
        .routines
        .keys()
        .filter(|id| !to.routines.contains_key(*id))
        .collect();
    let calls_dropped = |text: &str| dropped.iter().any(|id| super::around::calls(text, id));
    for (name, t) in gone.iter().filter(|_| !dropped.is_empty()) {
        for c in t
            .columns
            .iter()
            .filter(|c| c.default.as_deref().is_some_and(calls_dropped))
        {
            let sql = format!(
                "ALTER TABLE {name} ALTER COLUMN {} DROP DEFAULT",
                quote::name(&c.name)
            );
            out.push(
                Change::new(
                    ObjectKind::Column,
                    String::new(),
                    Action::Drop,
                    Phase::DropTrigger,
                )
                .continuation()
                .sql(sql),
            );
        }
        let checks = from.constraints.iter().filter(|((table, _), k)| {
            table == *name && k.kind == ConstraintKind::Check && calls_dropped(&k.definition)
        });
        for ((_, constraint), _) in checks {
            let sql = format!(
                "ALTER TABLE {name} DROP CONSTRAINT {}",
                quote::name(constraint)
            );
            out.push(
                Change::new(
                    ObjectKind::Constraint,
                    String::new(),
                    Action::Drop,
                    Phase::DropTrigger,
                )
                .continuation()
                .sql(sql),
            );
        }
    }
    for (name, t) in gone {
        let why = "drops the table and every row in it".to_owned();
        out.push(
            Change::new(
                ObjectKind::Table,
                name.to_string(),
                Action::Drop,
                Phase::DropTable,
            )
            .found(describe_table(t))
            .hazard(Hazard::Destructive(why))
            .sql(format!("DROP TABLE {name}"))
            .rank(64 - depth(from, name)),
        );
    }
    let late = super::around::late_routines(to);
    for (name, t) in new {
        // A default calling a routine created after the tables is set once it exists.
        let waits = |c: &Column| {
            c.default
                .as_deref()
                .is_some_and(|d| late.iter().any(|id| super::around::calls(d, id)))
        };
        let mut created = t.clone();
        for c in created.columns.iter_mut().filter(|c| waits(c)) {
            let default = c.default.take().unwrap_or_default();
            let sql = format!(
                "ALTER TABLE {name} ALTER COLUMN {} SET DEFAULT {default}",
                quote::name(&c.name)
            );
            out.push(
                Change::new(
                    ObjectKind::Column,
                    String::new(),
                    Action::Create,
                    Phase::Trigger,
                )
                .continuation()
                .sql(sql),
            );
        }
        out.push(
            Change::new(
                ObjectKind::Table,
                name.to_string(),
                Action::Create,
                Phase::CreateTable,
            )
            .expected(describe_table(t))
            .sql_all(create_table(name, &created))
            .rank(depth(to, name)),
        );
    }
    let references = super::persistence::foreign_keys(to);
    for (name, a, b) in both {
        table(name, a, b, out);
        if a.unlogged != b.unlogged
            && a.partition_by == b.partition_by
            && a.partition_of == b.partition_of
        {
            out.push(super::persistence::change(
                name,
                b.unlogged,
                &references,
                from,
                to,
            ));
        }
    }
}

fn table(name: &Name, a: &Table, b: &Table, out: &mut Vec<Change>) {
    let mut change = Change::new(
        ObjectKind::Table,
        name.to_string(),
        Action::Alter,
        Phase::AlterTable,
    )
    .found(describe_table(a))
    .expected(describe_table(b));
    if a.partition_by != b.partition_by || a.partition_of != b.partition_of {
        let why = "partitioning cannot be changed in place: create the new table, copy the rows, and swap the names".to_owned();
        change = change.hazard(Hazard::Manual(why));
    }
    change = change.sql_all(row_security(name, Some(a), b));
    let on = format!("TABLE {name}");
    change = change.sql_all(attributes(
        &on,
        Some((&a.comment, &a.access)),
        (&b.comment, &b.access),
    ));
    if !change.sql.is_empty() || change.hazard.is_some() {
        if a.comment != b.comment && describe_table(a) == describe_table(b) {
            change.found = Some(describe_comment(&a.comment));
            change.expected = Some(describe_comment(&b.comment));
        }
        out.push(change);
    }
    // Columns of a partition follow its parent's.
    let local = |t: &Table| {
        t.columns
            .iter()
            .filter(|c| !c.inherited)
            .cloned()
            .collect::<Vec<_>>()
    };
    let (before, after) = (local(a), local(b));
    for c in before.iter().filter(|c| b.column(&c.name).is_none()) {
        let object = format!("{name}.{}", quote::name(&c.name));
        out.push(
            Change::new(ObjectKind::Column, object, Action::Drop, Phase::DropColumn)
                .found(describe_column(c))
                .hazard(Hazard::Destructive(
                    "drops the column and its values".to_owned(),
                ))
                .sql(format!(
                    "ALTER TABLE {name} DROP COLUMN {}",
                    quote::name(&c.name)
                )),
        );
    }
    // Generated columns computed from a retyped column: PostgreSQL refuses the retype under
    // them, so they are dropped first and added again after (their values are computed again).
    let retyped: Vec<&str> = after
        .iter()
        .filter(|c| {
            a.column(&c.name)
                .is_some_and(|old| (&old.data_type, &old.collation) != (&c.data_type, &c.collation))
        })
        .map(|c| c.name.as_str())
        .collect();
    let recomputed: Vec<&Column> = after
        .iter()
        .filter(|c| {
            let same = a
                .column(&c.name)
                .is_some_and(|old| old.generated == c.generated);
            same && c
                .generated
                .as_deref()
                .is_some_and(|e| retyped.iter().any(|r| super::mentions(e, r)))
        })
        .collect();
    for c in &recomputed {
        let object = format!("{name}.{}", quote::name(&c.name));
        let drop = format!("ALTER TABLE {name} DROP COLUMN {}", quote::name(&c.name));
        out.push(
            Change::new(
                ObjectKind::Column,
                object.clone(),
                Action::Alter,
                Phase::DropColumn,
            )
            .continuation()
            .sql(drop),
        );
        let add = format!("ALTER TABLE {name} ADD COLUMN {}", column_sql(c));
        out.push(
            Change::new(ObjectKind::Column, object, Action::Alter, Phase::AlterTable)
                .continuation()
                .rank(1)
                .sql(add),
        );
    }
    for c in &after {
        let object = format!("{name}.{}", quote::name(&c.name));
        match a.column(&c.name) {
            None => out.push(add_column(name, object, c)),
            // Dropped and added again above, as `to` has it.
            Some(_) if recomputed.iter().any(|r| r.name == c.name) => {}
            Some(old) if old != c => {
                let mut change = column(name, object, old, c);
                let over: Vec<String> = recomputed
                    .iter()
                    .filter(|r| {
                        r.generated
                            .as_deref()
                            .is_some_and(|e| super::mentions(e, &c.name))
                    })
                    .map(|r| quote::name(&r.name))
                    .collect();
                if !over.is_empty() && change.hazard.is_none() {
                    let why = format!("generated column {} is dropped and added again around it: indexes and views on it are not kept", over.join(", "));
                    change.hazard = Some(Hazard::MayFail(why));
                }
                out.push(change)
            }
            Some(_) => {}
        }
    }
}
