//! Comparing two catalogs: the changes that turn `from` into `to`, each with its SQL, in an
//! order PostgreSQL accepts. The reverse is `diff(to, from)`.
//!
//! Renames of tables and columns cannot be seen in catalogs: a renamed column looks like one
//! dropped and one added, and is diffed that way. An index or constraint whose definition is
//! unchanged under a new name is renamed (see `renames`).

use std::collections::{BTreeMap, BTreeSet};

use crate::change::Diff;
use crate::model::*;

mod access;
mod around;
mod code;
mod columns;
mod constraints;
mod enums;
mod parts;
mod persistence;
mod rebuild;
mod renames;
mod schemas;
mod sequences;
mod tables;
mod types;

/// The changes that turn `from` into `to`.
///
/// ```
/// use migrations_schema::{diff, Catalog};
/// let empty = Catalog::default();
/// assert!(diff(&empty, &empty).is_empty());
/// ```
pub fn diff(from: &Catalog, to: &Catalog) -> Diff {
    diff_renamed(from, to, &[]).expect("with no declared rename there is nothing to resolve")
}

/// [`diff`] after the declared renames (see [`crate::diff_with_renames`]).
pub(crate) fn diff_renamed(
    from: &Catalog,
    to: &Catalog,
    declared: &[crate::Rename],
) -> Result<Diff, crate::RenameError> {
    let drop_order = topological(&rebuild::graph(from));
    let mut from = from.clone();
    let mut out = Vec::new();
    crate::hints::apply(&mut from, to, declared, &mut out)?;
    renames::same_definition(&mut from, to, &mut out);
    let rebuilt = rebuild::rebuild(&mut from, to, &drop_order, &mut out);
    schemas::schemas(&from, to, &mut out);
    schemas::extensions(&from, to, &mut out);
    schemas::collations(&from, to, &mut out);
    types::types(&from, to, &mut out);
    sequences::sequences(&from, to, &mut out);
    tables::tables(&from, to, &mut out);
    constraints::constraints(&from, to, &mut out);
    parts::indexes(&from, to, &rebuilt, &mut out);
    parts::triggers(&from, to, &rebuilt, &mut out);
    parts::policies(&from, to, &rebuilt, &mut out);
    code::routines(&from, to, &rebuilt, &drop_order, &mut out);
    code::views(&from, to, &rebuilt, &drop_order, &mut out);
    out.sort_by_key(|c| (c.phase, c.rank));
    Ok(Diff { changes: out })
}

/// Entries of `from` only, of `to` only, and of both, each in key order.
struct Split<'a, K, V> {
    gone: Vec<(&'a K, &'a V)>,
    new: Vec<(&'a K, &'a V)>,
    both: Vec<(&'a K, &'a V, &'a V)>,
}

fn split<'a, K: Ord, V>(from: &'a BTreeMap<K, V>, to: &'a BTreeMap<K, V>) -> Split<'a, K, V> {
    let gone = from.iter().filter(|(k, _)| !to.contains_key(*k)).collect();
    let new = to.iter().filter(|(k, _)| !from.contains_key(*k)).collect();
    let both = from
        .iter()
        .filter_map(|(k, a)| to.get(k).map(|b| (k, a, b)))
        .collect();
    Split { gone, new, both }
}

/// Whether a definition or expression names column `column` as a whole identifier.
fn mentions(text: &str, column: &str) -> bool {
    let spelled = migrations_core::quote::name(column);
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    text.match_indices(&spelled).any(|(at, _)| {
        !text[..at].chars().next_back().is_some_and(word)
            && !text[at + spelled.len()..].chars().next().is_some_and(word)
    })
}

/// Positions in a dependency order.
type Order = BTreeMap<Dependency, usize>;

fn topological(nodes: &BTreeMap<Dependency, BTreeSet<Dependency>>) -> Order {
    let mut placed: BTreeMap<Dependency, usize> = BTreeMap::new();
    while placed.len() < nodes.len() {
        let ready: Vec<&Dependency> = nodes
            .iter()
            .filter(|(node, deps)| {
                !placed.contains_key(*node)
                    && deps
                        .iter()
                        .all(|d| d == *node || !nodes.contains_key(d) || placed.contains_key(d))
            })
            .map(|(node, _)| node)
            .collect();
        let batch = if ready.is_empty() {
            // A cycle: take the first unplaced node to break it.
            nodes
                .keys()
                .filter(|n| !placed.contains_key(*n))
                .take(1)
                .collect()
        } else {
            ready
        };
        for node in batch {
            let at = placed.len();
            placed.insert(node.clone(), at);
        }
    }
    placed
}

#[cfg(test)]
mod tests;
