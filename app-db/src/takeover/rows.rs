//! The rows behind each difference of a reconciliation: NULLs under a new NOT NULL, values a
//! narrower type would refuse, duplicates under a new unique key, rows a new check or foreign
//! key would reject. Each is one `count(*)`, run in a savepoint so that a query the server cannot
//! answer before the change (a check over a column not yet converted) becomes a note, not a
//! failure.

use migrations_runtime::migrations_schema::{Column, Constraint, ConstraintKind, Name};
use migrations_runtime::quote;
use tokio_postgres::Transaction;

use super::reconcile::{Blocker, Choices, Fill, Reconciliation};
use super::{query, TakeoverError};

/// One number from `sql`, or `None` with a note when the server cannot answer before applying
/// (the query runs in a savepoint, so `tx` survives its failure).
async fn count(
    tx: &Transaction<'_>,
    sql: &str,
    what: &str,
    plan: &mut Reconciliation,
) -> Result<Option<i64>, TakeoverError> {
    tx.batch_execute("SAVEPOINT takeover_count")
        .await
        .map_err(query("checking the rows"))?;
    match tx.query_one(sql, &[]).await {
        Ok(row) => {
            tx.batch_execute("RELEASE SAVEPOINT takeover_count")
                .await
                .map_err(query("checking the rows"))?;
            plan.checked.push(what.to_owned());
            Ok(Some(row.get(0)))
        }
        Err(e) => {
            tx.batch_execute(
                "ROLLBACK TO SAVEPOINT takeover_count; RELEASE SAVEPOINT takeover_count",
            )
            .await
            .map_err(query("checking the rows"))?;
            let reason = e
                .as_db_error()
                .map_or(e.to_string(), |d| d.message().to_owned());
            plan.notes.push(format!(
                "{what}: not checked before applying ({reason}); the apply rolls back if it fails"
            ));
            plan.unchecked.push(what.to_owned());
            Ok(None)
        }
    }
}

pub(super) async fn columns(
    tx: &Transaction<'_>,
    table: &Name,
    old: &Column,
    new: &Column,
    choices: &Choices,
    plan: &mut Reconciliation,
) -> Result<(), TakeoverError> {
    let object = format!("column {table}.{}", quote::name(&new.name));
    let column = quote::name(&new.name);
    if new.not_null && !old.not_null {
        let sql = format!("SELECT count(*) FROM {table} WHERE {column} IS NULL");
        if let Some(rows) = count(tx, &sql, &object, plan).await?.filter(|n| *n > 0) {
            let chosen = choices
                .fill
                .iter()
                .find(|(t, c, _)| {
                    (t == &table.name || *t == format!("{}.{}", table.schema, table.name))
                        && c == &new.name
                })
                .map(|(_, _, value)| value.clone());
            match chosen.or_else(|| new.default.clone()) {
                Some(value) => plan.fills.push(Fill {
                    table: table.clone(),
                    column: new.name.clone(),
                    value,
                    rows,
                }),
                None => plan.blockers.push(Blocker {
                    object: object.clone(),
                    problem: format!("{rows} row(s) hold NULL, our revision declares it NOT NULL and has no default"),
                    choices: format!("fill them (--fill {}.{}=EXPRESSION), or update those rows first", table.name, new.name),
                }),
            }
        }
    }
    if old.data_type != new.data_type {
        let target = &new.data_type;
        let check = if let Some(limit) = varchar_limit(target) {
            Some((
                format!("length({column}) > {limit}"),
                format!("longer than {limit} characters"),
            ))
        } else {
            integer_range(target).map(|(min, max)| {
                (
                    format!("{column} NOT BETWEEN {min} AND {max}"),
                    format!("outside the range of {target}"),
                )
            })
        };
        if let Some((condition, what)) = check {
            let sql = format!("SELECT count(*) FROM {table} WHERE {condition}");
            if let Some(rows) = count(tx, &sql, &object, plan).await?.filter(|n| *n > 0) {
                plan.blockers.push(Blocker {
                    object,
                    problem: format!("{rows} row(s) hold values {what}, so {} would lose or refuse them", old.data_type),
                    choices: format!("shorten or fix those rows first, or widen the column in our revision (`SELECT * FROM {table} WHERE {condition}` lists them)"),
                });
            }
        } else if !widens(&old.data_type, target) {
            plan.notes.push(format!("{object}: {} to {target} is converted when applied; a value that does not convert rolls the whole takeover back", old.data_type));
            plan.unchecked.push(object);
        }
    }
    Ok(())
}

fn varchar_limit(data_type: &str) -> Option<u32> {
    data_type
        .strip_prefix("character varying(")?
        .strip_suffix(')')?
        .parse()
        .ok()
}

fn integer_range(data_type: &str) -> Option<(i64, i64)> {
    match data_type {
        "smallint" => Some((i16::MIN.into(), i16::MAX.into())),
        "integer" => Some((i32::MIN.into(), i32::MAX.into())),
        _ => None,
    }
}

/// Conversions that cannot fail on any value (every type has a text form).
fn widens(from: &str, to: &str) -> bool {
    to == "text"
        || matches!(
            (from, to),
            (
                "smallint",
                "integer" | "bigint" | "numeric" | "double precision"
            ) | ("integer", "bigint" | "numeric" | "double precision")
                | ("bigint", "numeric")
                | ("real", "double precision")
                | ("timestamp without time zone", "timestamp with time zone")
        )
}

/// The columns between the first parentheses of a constraint definition: `UNIQUE (a, b)`.
fn key_columns(definition: &str) -> Option<&str> {
    let open = definition.find('(')?;
    let close = open + definition[open..].find(')')?;
    Some(&definition[open + 1..close])
}

/// Rows that a constraint our revisions add would reject.
pub(super) async fn rows_against(
    tx: &Transaction<'_>,
    table: &Name,
    name: &str,
    constraint: &Constraint,
    plan: &mut Reconciliation,
) -> Result<(), TakeoverError> {
    let object = format!("constraint {} on {table}", quote::name(name));
    let definition = &constraint.definition;
    let (sql, problem, choices) = match constraint.kind {
        ConstraintKind::PrimaryKey | ConstraintKind::Unique => {
            let Some(columns) = key_columns(definition) else {
                return Ok(());
            };
            let sql = format!(
                "SELECT count(*) FROM (SELECT 1 FROM {table} GROUP BY {columns} HAVING count(*) > 1 AND bool_and(ROW({columns}) IS NOT NULL)) duplicates"
            );
            let choices = format!("remove or merge the duplicates first (`SELECT {columns}, count(*) FROM {table} GROUP BY {columns} HAVING count(*) > 1`)");
            (sql, "value(s) occur more than once", choices)
        }
        ConstraintKind::Check => {
            let Some(condition) = definition.strip_prefix("CHECK ") else {
                return Ok(());
            };
            let sql = format!("SELECT count(*) FROM {table} WHERE NOT {condition}");
            let choices =
                format!("fix those rows first (`SELECT * FROM {table} WHERE NOT {condition}`)");
            (sql, "row(s) violate it", choices)
        }
        ConstraintKind::ForeignKey => {
            let Some(columns) = key_columns(definition) else {
                return Ok(());
            };
            let Some(reference) = definition.split_once(" REFERENCES ").map(|(_, r)| r) else {
                return Ok(());
            };
            let Some(open) = reference.find('(') else {
                return Ok(());
            };
            let target = &reference[..open];
            let Some(target_columns) = key_columns(reference) else {
                return Ok(());
            };
            let qualified = |alias: &str, list: &str| {
                list.split(',')
                    .map(|c| format!("{alias}.{}", c.trim()))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            let (mine, theirs) = (qualified("t", columns), qualified("r", target_columns));
            let sql = format!(
                "SELECT count(*) FROM {table} t WHERE ROW({mine}) IS NOT NULL AND NOT EXISTS (SELECT 1 FROM {target} r WHERE ROW({theirs}) = ROW({mine}))"
            );
            let choices = "delete those rows or point them at existing rows first".to_owned();
            (sql, "row(s) reference rows that do not exist", choices)
        }
        ConstraintKind::Exclusion => return Ok(()),
    };
    if let Some(rows) = count(tx, &sql, &object, plan).await?.filter(|n| *n > 0) {
        plan.blockers.push(Blocker {
            object,
            problem: format!("{rows} {problem}"),
            choices,
        });
    }
    Ok(())
}
