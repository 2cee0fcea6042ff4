//! `resolve`: settling a `no-transaction` revision whose run did not finish (see
//! [`crate::progress`]): run it again from the statement that failed, or record that it was
//! completed or rolled back by hand.

use crate::direction::Direction;

/// How to settle an unfinished run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Resolution {
    /// Run the script again from the recorded statement (after fixing the cause), then record
    /// the revision as usual.
    Retry,
    /// Run the script from statement N (1-based), at or after the recorded one: the statements
    /// before N took effect (for a runner killed just after a statement completed, which the
    /// record cannot tell), then record the revision.
    RetryFrom(usize),
    /// The rest was done by hand: record the revision as applied (up) or reverted (down)
    /// without running anything.
    MarkCompleted,
    /// The committed statements were undone by hand: forget the run, leaving the revision
    /// pending (up) or applied (down), so the next run starts from statement 1.
    MarkRolledBack,
}

impl Resolution {
    /// The option naming it.
    pub fn flag(self) -> &'static str {
        match self {
            Self::Retry => "--retry",
            Self::RetryFrom(_) => "--retry --from",
            Self::MarkCompleted => "--mark-completed",
            Self::MarkRolledBack => "--mark-rolled-back",
        }
    }
}

/// Why `resolve` refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ResolveError {
    /// The revision has no unfinished run.
    #[error("revision {version} has no unfinished run: nothing to resolve (`migrate current` shows unfinished runs)")]
    NotInterrupted {
        /// The revision.
        version: String,
    },
    /// The statements before the recorded one are not the ones that ran.
    #[error("statements 1 to {} of `{file}` changed since the unfinished run of {version}, so retrying from statement {statement} would not complete the script that ran: check the database by hand, then `migrate resolve {version} --mark-completed` or `--mark-rolled-back`", statement - 1)]
    ChangedPrefix {
        /// The revision.
        version: String,
        /// The file.
        file: String,
        /// The statement the retry would start from.
        statement: usize,
    },
    /// `--from` outside the statements that may still be pending.
    #[error("`--from {from}` is outside statements {statement} to {total} of the unfinished run of {version}: the statements before {statement} are known to have run; to record the whole script as done use `--mark-completed`")]
    FromOutOfRange {
        /// The revision.
        version: String,
        /// As given.
        from: usize,
        /// The recorded statement.
        statement: usize,
        /// Statements in the script.
        total: usize,
    },
    /// `--from` inside the file's own transaction block.
    #[error("`--from {from}` is inside the transaction block that statement {begin} of the script opens: that block commits whole or not at all, so start at its BEGIN (`--from {begin}`) or after its COMMIT")]
    FromInsideBlock {
        /// As given.
        from: usize,
        /// The block's BEGIN.
        begin: usize,
    },
    /// Another session changed the unfinished run while this one waited for the lock.
    #[error("the unfinished run of {version} changed while waiting for the lock (another runner resolved it?): look again with `migrate current`; nothing was changed")]
    Changed {
        /// The revision.
        version: String,
    },
}

/// What `resolve` did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Resolved {
    /// The revision's version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// The script that had stopped.
    pub direction: Direction,
    /// How it was settled.
    pub resolution: Resolution,
    /// The statement it had stopped at, and the script's length.
    pub statement: usize,
    /// Statements in the script.
    pub total: usize,
    /// With `--retry`, how long the remaining statements took.
    pub duration_ms: Option<i64>,
}
