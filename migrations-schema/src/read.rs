//! Reading a [`Catalog`] from a live database: eleven catalog queries sent together (tokio-postgres
//! pipelines them, so the read costs about one round trip), inside one snapshot, under a fixed
//! `search_path` so that the server deparses every definition the same way whoever reads it.

use std::collections::BTreeSet;

use futures_util::future::try_join_all;
use tokio_postgres::types::{Json, ToSql};
use tokio_postgres::{Client, GenericClient, Row, Transaction};

use crate::model::*;
use crate::ReadError;

mod queries;

/// What to read and how.
#[derive(Debug, Clone)]
pub struct ReadOptions {
    /// The schemas to read; empty reads every user schema (all but `pg_*` and
    /// `information_schema`).
    pub schemas: Vec<String>,
    /// Tables to leave out, such as the migration history and its companions.
    pub exclude: Vec<Name>,
    /// The `search_path` the definitions are deparsed under: objects in these schemas are
    /// written unqualified, others with their schema. Both sides of a comparison must use the
    /// same one.
    pub search_path: String,
    /// Read owners and grants too (otherwise they are left empty and never differ).
    pub privileges: bool,
}

impl Default for ReadOptions {
    fn default() -> Self {
        Self {
            schemas: Vec::new(),
            exclude: Vec::new(),
            search_path: "public".to_owned(),
            privileges: false,
        }
    }
}

impl Catalog {
    /// Reads the catalog of `client`'s database in a read-only, repeatable-read transaction of its
    /// own: no lock taken, nothing written, so it works on a standby and beside a running
    /// migration.
    pub async fn read(client: &mut Client, options: &ReadOptions) -> Result<Catalog, ReadError> {
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|source| ReadError::Query {
                what: "starting the read",
                source,
            })?;
        let catalog = Self::read_in(&tx, options).await?;
        tx.commit().await.map_err(|source| ReadError::Query {
            what: "ending the read",
            source,
        })?;
        Ok(catalog)
    }

    /// Reads the catalog inside a transaction the caller holds (to see its own uncommitted
    /// objects). The transaction's `search_path` is restored afterwards.
    pub async fn read_in(
        tx: &Transaction<'_>,
        options: &ReadOptions,
    ) -> Result<Catalog, ReadError> {
        let set = "SELECT current_setting('search_path'), set_config('search_path', $1, true)";
        let previous: String = tx
            .query_one(set, &[&options.search_path])
            .await
            .map_err(|source| ReadError::Query {
                what: "setting the search_path",
                source,
            })?
            .get(0);
        let result = read_all(tx, options).await;
        tx.execute("SELECT set_config('search_path', $1, true)", &[&previous])
            .await
            .map_err(|source| ReadError::Query {
                what: "restoring the search_path",
                source,
            })?;
        result
    }
}

/// Every query at once; the results are assembled in a fixed order.
async fn read_all(
    client: &impl GenericClient,
    options: &ReadOptions,
) -> Result<Catalog, ReadError> {
    let schemas = &options.schemas;
    let exclude: Vec<String> = options
        .exclude
        .iter()
        .map(|n| format!("{}.{}", n.schema, n.name))
        .collect();
    use queries::*;
    let kinds: [(&'static str, &str, bool); 11] = [
        ("schemas", SCHEMAS, false),
        ("extensions", EXTENSIONS, false),
        ("types", TYPES, false),
        ("domain constraints", DOMAIN_CHECKS, false),
        ("sequences", SEQUENCES, false),
        ("tables", TABLES, true),
        ("constraints", CONSTRAINTS, true),
        ("indexes", INDEXES, true),
        ("views", VIEWS, true),
        ("routines", ROUTINES, false),
        ("triggers", TRIGGERS, true),
    ];
    let policies = [("policies", POLICIES, true)];
    let texts: Vec<(&'static str, String, bool)> = kinds
        .iter()
        .chain(&policies)
        .map(|(what, sql, relations)| (*what, expand(sql), *relations))
        .collect();
    let exclude = &exclude;
    let results = try_join_all(texts.iter().map(|(what, sql, relations)| async move {
        let params: Vec<&(dyn ToSql + Sync)> = match relations {
            true => vec![schemas, exclude],
            false => vec![schemas],
        };
        client
            .query(sql.as_str(), &params)
            .await
            .map_err(|source| ReadError::Query { what, source })
    }))
    .await?;
    let mut rows = results.into_iter();
    let mut next = || rows.next().unwrap_or_default();
    let mut catalog = Catalog::default();
    let (schemas, extensions, types, checks) = (next(), next(), next(), next());
    let (sequences, tables, constraints, indexes) = (next(), next(), next(), next());
    let (views, routines, triggers, policies) = (next(), next(), next(), next());
    for row in &schemas {
        let access = access(row, 2, options);
        let schema = Schema {
            comment: row.get(1),
            access,
        };
        catalog.schemas.insert(row.get(0), schema);
    }
    for row in &extensions {
        let (schema, version) = (row.get(1), row.get(2));
        catalog
            .extensions
            .insert(row.get(0), Extension { schema, version });
    }
    for row in &types {
        catalog.types.insert(name(row, 0), type_from(row, options)?);
    }
    for row in &checks {
        if let Some(Type {
            kind: TypeKind::Domain(domain),
            ..
        }) = catalog.types.get_mut(&name(row, 0))
        {
            domain.checks.insert(row.get(2), row.get(3));
        }
    }
    for row in &sequences {
        catalog
            .sequences
            .insert(name(row, 0), sequence(row, options));
    }
    for row in &tables {
        catalog.tables.insert(name(row, 0), table(row, options)?);
    }
    for row in &constraints {
        let key = (name(row, 0), row.get(2));
        catalog.constraints.insert(key, constraint(row)?);
    }
    for row in &indexes {
        catalog.indexes.insert(name(row, 0), index(row)?);
    }
    for row in &views {
        catalog.views.insert(name(row, 0), view(row, options)?);
    }
    for row in &routines {
        let (id, routine) = routine(row, options)?;
        catalog.routines.insert(id, routine);
    }
    for row in &triggers {
        let key = (name(row, 0), row.get(2));
        let enabled: String = row.get(4);
        let trigger = Trigger {
            definition: row.get(3),
            enabled: enabled.chars().next().unwrap_or('O'),
            function: RoutineId {
                name: name(row, 6),
                arguments: row.get(8),
            },
            comment: row.get(5),
        };
        catalog.triggers.insert(key, trigger);
    }
    for row in &policies {
        let key = (name(row, 0), row.get(2));
        let policy = Policy {
            permissive: row.get(3),
            command: row.get(4),
            roles: row.get(5),
            using: row.get(6),
            check: row.get(7),
            comment: row.get(8),
        };
        catalog.policies.insert(key, policy);
    }
    Ok(catalog)
}

/// The name in columns `at` (schema) and `at + 1`.
fn name(row: &Row, at: usize) -> Name {
    Name::new(row.get::<_, String>(at), row.get::<_, String>(at + 1))
}

/// Owner (column `at`) and grants (`at + 1`), when asked for.
fn access(row: &Row, at: usize, options: &ReadOptions) -> Access {
    if !options.privileges {
        return Access::default();
    }
    let Json(grants): Json<Vec<Grant>> = row.get(at + 1);
    Access {
        owner: row.get(at),
        grants: grants.into_iter().collect(),
    }
}

fn json<T: serde::de::DeserializeOwned>(
    row: &Row,
    at: usize,
    what: &'static str,
) -> Result<T, ReadError> {
    let Json(value): Json<serde_json::Value> = row.get(at);
    serde_json::from_value(value).map_err(|source| ReadError::Shape { what, source })
}

fn type_from(row: &Row, options: &ReadOptions) -> Result<Type, ReadError> {
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

fn sequence(row: &Row, options: &ReadOptions) -> Sequence {
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

fn table(row: &Row, options: &ReadOptions) -> Result<Table, ReadError> {
    let partition_of = row
        .get::<_, Option<String>>(4)
        .map(|schema| (Name::new(schema, row.get::<_, String>(5)), row.get(6)));
    Ok(Table {
        unlogged: row.get(2),
        partition_by: row.get(3),
        partition_of,
        row_security: row.get(7),
        force_row_security: row.get(8),
        columns: json(row, 9, "columns")?,
        comment: row.get(10),
        access: access(row, 11, options),
    })
}

fn constraint(row: &Row) -> Result<Constraint, ReadError> {
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

fn index(row: &Row) -> Result<Index, ReadError> {
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

fn relations(row: &Row, at: usize) -> Result<BTreeSet<Dependency>, ReadError> {
    let pairs: Vec<(String, String)> = json(row, at, "dependencies")?;
    Ok(pairs
        .into_iter()
        .map(|(schema, name)| Dependency::Relation(Name::new(schema, name)))
        .collect())
}

fn view(row: &Row, options: &ReadOptions) -> Result<View, ReadError> {
    let mut depends_on = relations(row, 5)?;
    depends_on.extend(routines_used(row, 6)?);
    Ok(View {
        materialized: row.get(2),
        definition: row.get(3),
        options: row.get(4),
        depends_on,
        comment: row.get(7),
        access: access(row, 8, options),
    })
}

fn routines_used(row: &Row, at: usize) -> Result<BTreeSet<Dependency>, ReadError> {
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

fn routine(row: &Row, options: &ReadOptions) -> Result<(RoutineId, Routine), ReadError> {
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
