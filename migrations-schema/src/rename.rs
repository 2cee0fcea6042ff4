//! Moving a catalog from one schema name to another, for a schema built under a private name
//! (rolled back afterwards) and compared with the real one. Definitions are left as they are:
//! read with the schema first on the `search_path`, they name its objects unqualified.

use std::collections::{BTreeMap, BTreeSet};

use crate::model::*;

impl Catalog {
    /// The same catalog with every object of schema `from` moved to `to`.
    pub fn rename_schema(self, from: &str, to: &str) -> Catalog {
        let name = |n: Name| match n.schema == from {
            true => Name::new(to, n.name),
            false => n,
        };
        let routine = |r: RoutineId| RoutineId {
            name: name(r.name),
            arguments: r.arguments,
        };
        let dependency = |d: Dependency| match d {
            Dependency::Relation(n) => Dependency::Relation(name(n)),
            Dependency::Routine(r) => Dependency::Routine(routine(r)),
        };
        let dependencies = |set: BTreeSet<Dependency>| set.into_iter().map(dependency).collect();
        let keyed = |(n, k): (Name, String)| (name(n), k);
        let mut schemas = self.schemas;
        if let Some(schema) = schemas.remove(from) {
            schemas.insert(to.to_owned(), schema);
        }
        let extensions = self
            .extensions
            .into_iter()
            .map(|(k, mut e)| {
                if e.schema == from {
                    e.schema = to.to_owned();
                }
                (k, e)
            })
            .collect();
        Catalog {
            schemas,
            extensions,
            collations: self
                .collations
                .into_iter()
                .map(|(n, c)| (name(n), c))
                .collect(),
            types: self.types.into_iter().map(|(n, t)| (name(n), t)).collect(),
            sequences: self
                .sequences
                .into_iter()
                .map(|(n, mut s)| {
                    s.owned_by = s.owned_by.map(keyed);
                    (name(n), s)
                })
                .collect(),
            tables: self
                .tables
                .into_iter()
                .map(|(n, mut t)| {
                    t.partition_of = t.partition_of.map(keyed);
                    (name(n), t)
                })
                .collect(),
            constraints: self
                .constraints
                .into_iter()
                .map(|(k, c)| (keyed(k), c))
                .collect(),
            indexes: self
                .indexes
                .into_iter()
                .map(|(n, mut i)| {
                    i.table = name(i.table);
                    (name(n), i)
                })
                .collect(),
            views: self
                .views
                .into_iter()
                .map(|(n, mut v)| {
                    v.depends_on = dependencies(v.depends_on);
                    (name(n), v)
                })
                .collect(),
            routines: self
                .routines
                .into_iter()
                .map(|(id, mut r)| {
                    r.depends_on = dependencies(r.depends_on);
                    (routine(id), r)
                })
                .collect(),
            triggers: self
                .triggers
                .into_iter()
                .map(|(k, mut t)| {
                    t.function = routine(t.function);
                    // `pg_get_triggerdef` names the table qualified whatever the search_path.
                    let (on_from, on_to) = (
                        format!(" ON {}.", migrations_core::quote::name(from)),
                        format!(" ON {}.", migrations_core::quote::name(to)),
                    );
                    t.definition = t.definition.replacen(&on_from, &on_to, 1);
                    (keyed(k), t)
                })
                .collect::<BTreeMap<_, _>>(),
            policies: self
                .policies
                .into_iter()
                .map(|(k, p)| (keyed(k), p))
                .collect(),
            privileges: self.privileges,
        }
    }
}
