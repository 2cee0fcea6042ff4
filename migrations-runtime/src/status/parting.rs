//! Where a database and a binary part ways: the first revision, in the binary's order, at which
//! the database's applied history stops being a prefix of the binary's. The lock file's chain
//! ([`migrations_core::lock`]) through the last revision they share is part of the answer, so
//! the line of `migrations.lock` up to which a database agrees can be found in it.

use migrations_core::{lock, Migrations};
use serde::Serialize;

use super::{RevisionState, RevisionStatus};
use crate::history::AppliedRevision;

/// The first disagreement between a database's history and the binary's revisions.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Parting {
    /// The revision (`version_name`) at which they part ways.
    pub revision: String,
    /// Why, for people.
    pub reason: String,
    /// The last revision both have; `None` when they differ from the first revision on.
    pub agree_through: Option<Agreement>,
}

/// The last revision a database and a binary share.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Agreement {
    /// Its name on disk, as the lock file's line starts.
    pub revision: String,
    /// The lock file's chain after it (16 hex digits), whether or not the directory has one.
    pub chain: String,
}

/// What stands at one place of the merged order.
enum Item<'a> {
    /// The binary's revision `index`.
    Known(usize),
    /// A row the binary does not know.
    Unknown(&'a AppliedRevision),
}

/// The parting of a database with `states` (the binary's revisions, in order, with their state)
/// and `unknown` rows; `None` when the database's history is a prefix of the binary's.
pub(super) fn find(
    migrations: &Migrations,
    states: &[RevisionStatus],
    unknown: &[AppliedRevision],
) -> Option<Parting> {
    let revisions = migrations.as_slice();
    let mut items: Vec<(&str, Item<'_>)> = revisions
        .iter()
        .enumerate()
        .map(|(i, r)| (r.version(), Item::Known(i)))
        .collect();
    items.extend(
        unknown
            .iter()
            .map(|u| (u.version.as_str(), Item::Unknown(u))),
    );
    items.sort_by(|a, b| migrations.layout().compare(a.0, b.0));
    let applied = |item: &Item<'_>| match item {
        Item::Known(i) => states[*i].state != RevisionState::Pending,
        Item::Unknown(_) => true,
    };
    let mut agreed: Option<usize> = None;
    for (place, (_, item)) in items.iter().enumerate() {
        let (revision, reason) = match item {
            Item::Unknown(row) => (
                format!("{}_{}", row.version, row.name),
                "the database applied it; this binary does not have it".to_owned(),
            ),
            Item::Known(i) => match states[*i].state {
                RevisionState::Applied => {
                    agreed = Some(*i);
                    continue;
                }
                RevisionState::Changed => (
                    revisions[*i].label(),
                    match &states[*i].applied {
                        // Sequential numbers from two branches: the other one was applied.
                        Some(row) if row.name != revisions[*i].name() => format!(
                            "the database applied `{}_{}` under its version",
                            row.version, row.name
                        ),
                        _ => "the database applied it with another checksum, so it was edited since (`repair REV` records an edit that is meant)"
                            .to_owned(),
                    },
                ),
                RevisionState::Pending => {
                    let Some((_, later)) = items[place..].iter().find(|(_, it)| applied(it)) else {
                        // Nothing applied after it: the database is behind, not apart.
                        return None;
                    };
                    let later = match later {
                        Item::Known(j) => revisions[*j].label(),
                        Item::Unknown(row) => format!("{}_{}", row.version, row.name),
                    };
                    (
                        revisions[*i].label(),
                        format!("this binary has it before `{later}`, which the database applied without it"),
                    )
                }
            },
        };
        return Some(Parting {
            revision,
            reason,
            // Only now: the chain costs a hash per revision, and most statuses have no parting.
            agree_through: agreed.map(|i| Agreement {
                revision: revisions[i].source().to_owned(),
                chain: lock::short(lock::chain(&revisions[..=i])[i]),
            }),
        });
    }
    None
}
