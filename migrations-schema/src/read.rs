//! Reading a [`Catalog`] from a live database: thirteen catalog queries sent together (tokio-postgres
//! pipelines them, so the read costs about one round trip), inside one snapshot, under a fixed
//! `search_path` so that the server deparses every definition the same way whoever reads it.

use futures_util::future::try_join_all;
use tokio_postgres::types::ToSql;
use tokio_postgres::{Client, GenericClient};

use crate::model::*;
use crate::ReadError;

mod queries;
mod rows;

use rows::{access, constraint, index, name, routine, sequence, table, type_from, view};

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

    /// Reads the catalog on the caller's connection, inside its transaction if it holds one (to
    /// see its own uncommitted objects). The `search_path` is set for the read, JIT compilation
    /// turned off (the routines query is estimated over the JIT threshold and would spend tens
    /// of milliseconds compiling a query that runs in a few), and both are restored afterwards,
    /// also when the read fails.
    pub async fn read_in(
        client: &impl GenericClient,
        options: &ReadOptions,
    ) -> Result<Catalog, ReadError> {
        let set = "SELECT current_setting('search_path'), current_setting('jit'),
                          set_config('search_path', $1, false), set_config('jit', 'off', false)";
        let row = client
            .query_one(set, &[&options.search_path])
            .await
            .map_err(|source| ReadError::Query {
                what: "setting the search_path",
                source,
            })?;
        let (path, jit): (String, String) = (row.get(0), row.get(1));
        let result = read_all(client, options).await;
        let restore = "SELECT set_config('search_path', $1, false), set_config('jit', $2, false)";
        client
            .execute(restore, &[&path, &jit])
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
    let kinds: [(&'static str, &str, bool); 12] = [
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
        ("policies", POLICIES, true),
    ];
    let collations = [("collations", COLLATIONS, false)];
    let texts: Vec<(&'static str, String, bool)> = kinds
        .iter()
        .chain(&collations)
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
    let mut catalog = Catalog {
        privileges: options.privileges,
        ..Catalog::default()
    };
    let (schemas, extensions, types, checks) = (next(), next(), next(), next());
    let (sequences, tables, constraints, indexes) = (next(), next(), next(), next());
    let (views, routines, triggers, policies) = (next(), next(), next(), next());
    let collations = next();
    for row in &collations {
        let collation = Collation {
            provider: row.get(2),
            locale: row.get(3),
            lc_collate: row.get(4),
            lc_ctype: row.get(5),
            deterministic: row.get(6),
            comment: row.get(7),
        };
        catalog.collations.insert(name(row, 0), collation);
    }
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
