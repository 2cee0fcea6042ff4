//! Rows of the catalog queries turned into the model.

use std::collections::BTreeSet;

use tokio_postgres::types::Json;
use tokio_postgres::Row;

use super::ReadOptions;
use crate::model::*;
use crate::ReadError;

/// The name in columns `at` (schema) and `at + 1`.
pub(super) fn name(row: &Row, at: usize) -> Name {
    Name::new(row.get::<_, String>(at), row.get::<_, String>(at + 1))
}

/// Owner (column `at`) and grants (`at + 1`), when asked for.
pub(super) fn access(row: &Row, at: usize, options: &ReadOptions) -> Access {
    if !options.privileges {
        return Access::default();
    }
    let Json(grants): Json<Vec<Grant>> = row.get(at + 1);
    Access {
        owner: row.get(at),
        grants: grants.into_iter().collect(),
    }
}

pub(super) fn json<T: serde::de::DeserializeOwned>(
    row: &Row,
    at: usize,
    what: &'static str,
) -> Result<T, ReadError> {
    let Json(value): Json<serde_json::Value> = row.get(at);
    serde_json::from_value(value).map_err(|source| ReadError::Shape { what, source })
}

pub(super) fn type_from(row: &Row, options: &ReadOptions) -> Result<Type, ReadError> {
    let kind = match row.get::<_, &str>(2) {
        "e" => TypeKind::Enum(row.get(3)),
        "d" => TypeKind::Domain(Domain {
            base: row.get(4),
            collation: row.get(5),
            not_null: row.get(6),
            default: row.get(7),
            checks: Default::default(),
        }),
        _ => TypeKind::Composite(json(row, 8, "composite attributes")?),
    };
    Ok(Type {
        kind,
        comment: row.get(9),
        access: access(row, 10, options),
    })
}

pub(super) fn sequence(row: &Row, options: &ReadOptions) -> Sequence {
    let owned_by = row
        .get::<_, Option<String>>(9)
        .map(|schema| (Name::new(schema, row.get::<_, String>(10)), row.get(11)));
    Sequence {
        data_type: row.get(2),
        start: row.get(3),
        increment: row.get(4),
        min: row.get(5),
        max: row.get(6),
        cache: row.get(7),
        cycle: row.get(8),
        owned_by,
        comment: row.get(12),
        access: access(row, 13, options),
    }
}

pub(super) fn table(row: &Row, options: &ReadOptions) -> Result<Table, ReadError> {
    let partition_of = row
        .get::<_, Option<String>>(4)
        .map(|schema| (Name::new(schema, row.get::<_, String>(5)), row.get(6)));
    let mut columns: Vec<Column> = json(row, 9, "columns")?;
    if !options.privileges {
        columns.iter_mut().for_each(|c| c.grants.clear());
    }
    Ok(Table {
        unlogged: row.get(2),
        partition_by: row.get(3),
        partition_of,
        row_security: row.get(7),
        force_row_security: row.get(8),
        columns,
        comment: row.get(10),
        access: access(row, 11, options),
    })
}

pub(super) fn constraint(row: &Row) -> Result<Constraint, ReadError> {
    let kind = match row.get::<_, &str>(3) {
        "p" => ConstraintKind::PrimaryKey,
        "u" => ConstraintKind::Unique,
        "c" => ConstraintKind::Check,
        "x" => ConstraintKind::Exclusion,
        _ => ConstraintKind::ForeignKey,
    };
    let definition: String = row.get(4);
    // `NOT VALID` is state, not definition: it can be changed by `VALIDATE CONSTRAINT`.
    let definition = definition
        .strip_suffix(" NOT VALID")
        .map_or(definition.clone(), str::to_owned);
    Ok(Constraint {
        kind,
        definition,
        validated: row.get(5),
        comment: row.get(6),
    })
}

pub(super) fn index(row: &Row) -> Result<Index, ReadError> {
    let full: String = row.get(4);
    let prefix: String = row.get(5);
    let definition = full
        .strip_prefix(&prefix)
        .ok_or_else(|| ReadError::Unexpected {
            object: format!("index {}", name(row, 0)),
            text: full.clone(),
        })?
        .to_owned();
    Ok(Index {
        table: Name::new(row.get::<_, String>(0), row.get::<_, String>(2)),
        unique: row.get(3),
        definition,
        comment: row.get(6),
    })
}

pub(super) fn relations(row: &Row, at: usize) -> Result<BTreeSet<Dependency>, ReadError> {
    let pairs: Vec<(String, String)> = json(row, at, "dependencies")?;
    Ok(pairs
        .into_iter()
        .map(|(schema, name)| Dependency::Relation(Name::new(schema, name)))
        .collect())
}

pub(super) fn view(row: &Row, options: &ReadOptions) -> Result<View, ReadError> {
    let mut depends_on = relations(row, 5)?;
    depends_on.extend(routines_used(row, 6)?);
    Ok(View {
        materialized: row.get(2),
        definition: row.get(3),
        options: row.get(4),
        depends_on,
        comment: row.get(7),
        access: access(row, 8, options),
        column_comments: json(row, 10, "view column comments")?,
    })
}

pub(super) fn routines_used(row: &Row, at: usize) -> Result<BTreeSet<Dependency>, ReadError> {
    let triples: Vec<(String, String, String)> = json(row, at, "dependencies")?;
    Ok(triples
        .into_iter()
        .map(|(schema, name, arguments)| {
            Dependency::Routine(RoutineId {
                name: Name::new(schema, name),
                arguments,
            })
        })
        .collect())
}

pub(super) fn routine(row: &Row, options: &ReadOptions) -> Result<(RoutineId, Routine), ReadError> {
    let id = RoutineId {
        name: name(row, 0),
        arguments: row.get(2),
    };
    let kind = match row.get::<_, &str>(3) {
        "p" => RoutineKind::Procedure,
        "a" => RoutineKind::Aggregate,
        _ => RoutineKind::Function,
    };
    let full: String = row.get(6);
    // A function's first line is `CREATE OR REPLACE FUNCTION schema.name(arguments)`, always
    // qualified; DDL writes its own from the name and arguments.
    let definition = match kind {
        RoutineKind::Aggregate => full,
        _ => full
            .split_once('\n')
            .map(|(_, rest)| rest.to_owned())
            .ok_or_else(|| ReadError::Unexpected {
                object: format!("routine {id}"),
                text: full.clone(),
            })?,
    };
    let mut depends_on = relations(row, 7)?;
    depends_on.extend(routines_used(row, 8)?);
    let routine = Routine {
        kind,
        arguments: row.get(4),
        result: row.get(5),
        definition,
        depends_on,
        comment: row.get(9),
        access: access(row, 10, options),
    };
    Ok((id, routine))
}
