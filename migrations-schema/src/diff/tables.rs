//! Tables and their columns, and the column rewrites an enum change needs.

use migrations_core::quote;

use super::access::{attributes, describe_comment};
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
    }
    if c.not_null {
        text.push_str(" NOT NULL");
    }
    text
}

fn describe_column(c: &Column) -> String {
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
            format!("CREATE {unlogged}TABLE {name} PARTITION OF {parent} {bound}")
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
    for (name, t) in new {
        out.push(
            Change::new(
                ObjectKind::Table,
                name.to_string(),
                Action::Create,
                Phase::CreateTable,
            )
            .expected(describe_table(t))
            .sql_all(create_table(name, t))
            .rank(depth(to, name)),
        );
    }
    for (name, a, b) in both {
        table(name, a, b, out);
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
    } else if a.unlogged != b.unlogged {
        let word = if b.unlogged { "UNLOGGED" } else { "LOGGED" };
        change = change.sql(format!("ALTER TABLE {name} SET {word}"));
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
    for c in &after {
        let object = format!("{name}.{}", quote::name(&c.name));
        match a.column(&c.name) {
            None => out.push(add_column(name, object, c)),
            Some(old) if old != c => out.push(column(name, object, old, c)),
            Some(_) => {}
        }
    }
}

fn add_column(table: &Name, object: String, c: &Column) -> Change {
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

/// Whether `to` may not hold every value of `from`.
fn narrows(from: &str, to: &str) -> bool {
    let rank = |t: &str| match t {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        "text" => Some(10),
        _ => None,
    };
    let length = |t: &str| {
        t.strip_prefix("character varying(")
            .and_then(|rest| rest.strip_suffix(')'))
            .and_then(|n| n.parse::<u32>().ok())
    };
    match (rank(from), rank(to), length(from), length(to)) {
        (Some(a), Some(b), _, _) => b < a,
        (Some(10), None, _, Some(_)) => true,
        (_, _, Some(a), Some(b)) => b < a,
        (None, Some(10), Some(_), None) => false,
        _ => !converts_without_using(from, to),
    }
}

fn column(table: &Name, object: String, a: &Column, b: &Column) -> Change {
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
            // An expression cannot be changed in place; the values are computed again.
            let name = quote::name(&b.name);
            return change
                .sql(format!("ALTER TABLE {table} DROP COLUMN {name}"))
                .sql(format!("ALTER TABLE {table} ADD COLUMN {}", column_sql(b)));
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
        if narrows(&a.data_type, &b.data_type) {
            let why = format!("existing values must fit {}", b.data_type);
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
            change = change.sql(format!(
                "{at} ADD GENERATED {} AS IDENTITY",
                identity.keyword()
            ));
        }
        (Some(x), Some(y)) if x != y => {
            change = change.sql(format!("{at} SET GENERATED {}", y.keyword()))
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
    change
}

/// Whether an enum's labels can change by `ADD VALUE` alone: every old label is kept, in order.
pub(super) fn labels_only_added(old: &[String], new: &[String]) -> bool {
    let mut kept = new.iter().filter(|l| old.contains(l));
    old.iter().all(|l| kept.next() == Some(l))
}

/// The columns of `catalog` whose type is the enum `name` or an array of it.
pub(super) fn enum_columns<'c>(catalog: &'c Catalog, name: &Name) -> Vec<(&'c Name, &'c Column)> {
    let spellings = [quote::name(&name.name), name.to_string()];
    let mut columns = Vec::new();
    for (table, t) in &catalog.tables {
        for c in t.columns.iter().filter(|c| !c.inherited) {
            let base = c.data_type.trim_end_matches("[]");
            if spellings.iter().any(|s| s == base) {
                columns.push((table, c));
            }
        }
    }
    columns
}

/// Labels added in place (`ADD VALUE ... BEFORE/AFTER`), or, when a label is removed or the order
/// changes, the type swapped: renamed aside, created anew, its columns converted through `text`,
/// the old type dropped at the end.
pub(super) fn enum_change(
    from: &Catalog,
    to: &Catalog,
    name: &Name,
    old: &[String],
    new: &[String],
    change: Change,
) -> Change {
    if labels_only_added(old, new) {
        let mut sql = Vec::new();
        for (i, label) in new.iter().enumerate().filter(|(_, l)| !old.contains(l)) {
            let place = match new[i + 1..].iter().find(|l| old.contains(l)) {
                Some(next) => format!(" BEFORE {}", quote::literal(next)),
                None => String::new(),
            };
            sql.push(format!(
                "ALTER TYPE {name} ADD VALUE {}{place}",
                quote::literal(label)
            ));
        }
        let why = "a label added in a transaction cannot be used before it commits: use it in a later revision".to_owned();
        return change.sql_all(sql).hazard(Hazard::MayFail(why));
    }
    let aside = Name::new(name.schema.clone(), format!("{}__old", name.name));
    let labels: Vec<String> = new.iter().map(|l| quote::literal(l)).collect();
    let mut change = change
        .sql(format!(
            "ALTER TYPE {name} RENAME TO {}",
            quote::name(&aside.name)
        ))
        .sql(format!(
            "CREATE TYPE {name} AS ENUM ({})",
            labels.join(", ")
        ));
    // Columns dropped by this diff are gone by now (drops run first).
    let kept = enum_columns(from, name).into_iter().filter(|(table, c)| {
        to.tables
            .get(*table)
            .and_then(|t| t.column(&c.name))
            .is_some()
    });
    for (table, c) in kept {
        let at = format!("ALTER TABLE {table} ALTER COLUMN {}", quote::name(&c.name));
        let array = if c.data_type.ends_with("[]") {
            "[]"
        } else {
            ""
        };
        if c.default.is_some() {
            change = change.sql(format!("{at} DROP DEFAULT"));
        }
        let column = quote::name(&c.name);
        change = change.sql(format!(
            "{at} TYPE {name}{array} USING {column}::text{array}::{name}{array}"
        ));
        if let Some(default) = &c.default {
            change = change.sql(format!("{at} SET DEFAULT {default}"));
        }
    }
    change = change.sql(format!("DROP TYPE {aside}"));
    let removed: Vec<&String> = old.iter().filter(|l| !new.contains(l)).collect();
    match removed.is_empty() {
        true => change,
        false => {
            let labels: Vec<String> = removed.iter().map(|l| quote::literal(l)).collect();
            let why = format!(
                "removes label {}: rows holding it make the conversion fail; update them first",
                labels.join(", ")
            );
            change.hazard(Hazard::Destructive(why))
        }
    }
}
