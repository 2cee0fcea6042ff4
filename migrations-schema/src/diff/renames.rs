//! Renames a catalog does show: an index or a constraint whose definition is unchanged and whose
//! name is new is the same object renamed, not one to drop and build again (which, for an index
//! or a unique key on a big table, is a long lock and a full scan). Tables and columns renamed
//! look like a drop and an add and are not guessed: their data is at stake.

use std::collections::BTreeSet;

use migrations_core::quote;

use crate::change::{Action, Change, ObjectKind, Phase};
use crate::model::*;

/// Emits the renames and applies them to `from`, so the passes after this one see the objects
/// under their new names.
pub(super) fn same_definition(from: &mut Catalog, to: &Catalog, out: &mut Vec<Change>) {
    let mut taken = BTreeSet::new();
    let gone: Vec<Name> = from
        .indexes
        .keys()
        .filter(|n| !to.indexes.contains_key(*n))
        .cloned()
        .collect();
    for old in gone {
        let Some(index) = from.indexes.get(&old).cloned() else {
            continue;
        };
        let twin = to.indexes.iter().find(|(new, i)| {
            new.schema == old.schema
                && !from.indexes.contains_key(*new)
                && !taken.contains(*new)
                && (&i.table, i.unique, &i.definition)
                    == (&index.table, index.unique, &index.definition)
        });
        if let Some((new, _)) = twin {
            taken.insert(new.clone());
            out.push(
                Change::new(
                    ObjectKind::Index,
                    new.to_string(),
                    Action::Alter,
                    Phase::Rename,
                )
                .found(format!("named {}", quote::name(&old.name)))
                .expected(format!("named {}", quote::name(&new.name)))
                .sql(format!(
                    "ALTER INDEX {old} RENAME TO {}",
                    quote::name(&new.name)
                )),
            );
            from.indexes.remove(&old);
            from.indexes.insert(new.clone(), index);
        }
    }
    let mut taken = BTreeSet::new();
    let gone: Vec<(Name, String)> = from
        .constraints
        .keys()
        .filter(|k| !to.constraints.contains_key(*k))
        .cloned()
        .collect();
    for (table, old) in gone {
        let key = (table.clone(), old.clone());
        let Some(constraint) = from.constraints.get(&key).cloned() else {
            continue;
        };
        let twin = to.constraints.iter().find(|((t, new), c)| {
            *t == table
                && !from.constraints.contains_key(&(t.clone(), new.clone()))
                && !taken.contains(new)
                && (c.kind, &c.definition, c.validated)
                    == (
                        constraint.kind,
                        &constraint.definition,
                        constraint.validated,
                    )
        });
        if let Some(((_, new), _)) = twin {
            taken.insert(new.clone());
            let object = format!("{} on {table}", quote::name(new));
            out.push(
                Change::new(ObjectKind::Constraint, object, Action::Alter, Phase::Rename)
                    .found(format!("named {}", quote::name(&old)))
                    .expected(format!("named {}", quote::name(new)))
                    .sql(format!(
                        "ALTER TABLE {table} RENAME CONSTRAINT {} TO {}",
                        quote::name(&old),
                        quote::name(new)
                    )),
            );
            from.constraints.remove(&key);
            from.constraints.insert((table, new.clone()), constraint);
        }
    }
}
