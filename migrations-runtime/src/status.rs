//! The read-only view behind `current`, `history`, `heads`, `show` and `check`: every revision of
//! the binary with its state in the database, and the database's unknown revisions; and the
//! records the commands hand back (history rows, unfinished runs, repairs, resolutions).

use migrations_core::{Migrations, Revision, TransactionMode};
use serde::Serialize;

pub use crate::history::{AppliedRevision, Method};
pub use crate::progress::Interrupted;
pub use crate::repair::Repair;
pub use crate::resolve::Resolved;

mod parting;

pub use parting::{Agreement, Parting};

use crate::plan::State;
use crate::target::describe_level;

/// Where one revision of the binary stands in the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionState {
    /// Recorded, with the binary's checksum.
    Applied,
    /// Not recorded.
    Pending,
    /// Recorded, but the binary's file changed since.
    Changed,
}

impl std::fmt::Display for RevisionState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::Applied => "applied",
            Self::Pending => "pending",
            Self::Changed => "changed",
        })
    }
}

/// One revision's state.
#[derive(Debug, Clone, Serialize)]
pub struct RevisionStatus {
    /// Canonical version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Up file relative to the migrations directory.
    pub file: String,
    /// Checksum of the binary's up script (hex).
    pub checksum: String,
    /// Applied, pending, or changed since it was applied.
    pub state: RevisionState,
    /// The history row, if applied.
    pub applied: Option<AppliedRevision>,
    /// No down script.
    pub irreversible: bool,
    /// `wrapped`, `own` or `none`.
    pub transaction: &'static str,
    /// Last revision of the binary.
    pub is_head: bool,
    /// Newest applied revision.
    pub is_current: bool,
}

/// The whole picture.
#[derive(Debug, Clone, Serialize)]
pub struct Status {
    /// Newest applied revision, or `base`.
    pub current: String,
    /// The binary's head, or `base` when it has no revisions.
    pub head: String,
    /// Everything applied and nothing unknown.
    pub up_to_date: bool,
    /// Revisions in order.
    pub revisions: Vec<RevisionStatus>,
    /// Rows for revisions the binary does not have.
    pub unknown: Vec<AppliedRevision>,
    /// Labels of pending revisions.
    pub pending: Vec<String>,
    /// Labels of applied revisions whose file changed.
    pub changed: Vec<String>,
    /// Labels of pending revisions older than the current one.
    pub out_of_order: Vec<String>,
    /// `no-transaction` revisions whose run did not finish, each as the refusal runners give
    /// (where it stopped and how to resolve it).
    pub unfinished: Vec<String>,
    /// `no-transaction` revisions another runner is running now, e.g. `002_idx (up): statement
    /// 2 of 3`, and batched Rust ones, e.g. `004_backfill (up): batch 37 (after cursor 36000)`.
    pub in_progress: Vec<String>,
    /// The first revision at which the database's history stops being a prefix of this
    /// binary's, if it does.
    pub parted_at: Option<Parting>,
}

impl Status {
    /// Builds the view from a state.
    pub fn new(migrations: &Migrations, state: &State) -> Self {
        let changed: Vec<String> = state
            .checksum_changes(migrations)
            .into_iter()
            .map(|c| c.label)
            .collect();
        let current_level = state.current_level();
        let revisions: Vec<RevisionStatus> = migrations
            .iter()
            .zip(&state.rows)
            .enumerate()
            .map(|(i, (r, row))| {
                revision_status(
                    r,
                    row,
                    &changed,
                    i + 1 == migrations.len(),
                    i + 1 == current_level,
                )
            })
            .collect();
        let labels = |ix: Vec<usize>| {
            ix.into_iter()
                .map(|i| migrations.as_slice()[i].label())
                .collect::<Vec<_>>()
        };
        let pending = labels(state.pending());
        Self {
            current: describe_level(migrations, current_level),
            head: describe_level(migrations, migrations.len()),
            up_to_date: pending.is_empty()
                && state.unknown.is_empty()
                && changed.is_empty()
                && state.interrupted.is_empty(),
            unfinished: state
                .interrupted
                .iter()
                .map(|i| crate::plan::PlanError::interrupted(migrations, i).to_string())
                .collect(),
            in_progress: state
                .running
                .iter()
                .map(|r| {
                    let label = migrations
                        .get(&r.version)
                        .map_or_else(|| r.version.clone(), |v| v.label());
                    let at = match r.resume_cursor() {
                        Some(cursor) => format!("batch {} (after cursor {cursor})", r.statement),
                        None if r.is_batched() => "batch 1".to_owned(),
                        None => format!("statement {} of {}", r.statement, r.total),
                    };
                    format!(
                        "{label} ({}): {at}, since {} by {}",
                        r.direction.as_str(),
                        r.updated_at,
                        r.updated_by
                    )
                })
                .collect(),
            parted_at: parting::find(migrations, &revisions, &state.unknown),
            revisions,
            unknown: state.unknown.clone(),
            out_of_order: labels(state.out_of_order()),
            pending,
            changed,
        }
    }
}

fn revision_status(
    r: &Revision,
    row: &Option<AppliedRevision>,
    changed: &[String],
    is_head: bool,
    is_current: bool,
) -> RevisionStatus {
    let label = r.label();
    let state = match row {
        None => RevisionState::Pending,
        Some(_) if changed.contains(&label) => RevisionState::Changed,
        Some(_) => RevisionState::Applied,
    };
    RevisionStatus {
        version: r.version().to_owned(),
        name: r.name().to_owned(),
        file: r.up().file().to_owned(),
        checksum: r.checksum().to_hex(),
        state,
        applied: row.clone(),
        irreversible: r.is_irreversible(),
        transaction: transaction_name(r.up().transaction()),
        is_head,
        is_current,
    }
}

/// The name of a transaction mode, as shown and serialised.
pub fn transaction_name(mode: TransactionMode) -> &'static str {
    match mode {
        TransactionMode::Wrapped => "wrapped",
        TransactionMode::Own => "own",
        TransactionMode::None => "none",
    }
}
