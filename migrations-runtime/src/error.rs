//! Every phase's error, and the details they carry. [`MigrateError`] is what the library's
//! commands return: one variant per phase, the cause in each.

pub use crate::apply::{ApplyError, Location, LockWait};
pub use crate::blockers::Blocker;
#[cfg(any(feature = "cli", feature = "testing"))]
pub use crate::cluster::ClusterError;
pub use crate::connect::ConnectError;
pub use crate::history::HistoryError;
pub use crate::lock::{LockError, LockHolder};
pub use crate::plan::{ChecksumChange, PlanError};
pub use crate::repair::RepairError;
pub use crate::resolve::ResolveError;
pub use crate::target::TargetError;

/// Any failure of a migration command, by phase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// Connecting.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// Reading or writing the history table.
    #[error(transparent)]
    History(#[from] HistoryError),
    /// Taking the lock.
    #[error(transparent)]
    Lock(#[from] LockError),
    /// Refusals and impossible targets (nothing was run).
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Running a script.
    #[error(transparent)]
    Apply(#[from] ApplyError),
    /// `repair` refused (nothing was changed).
    #[error(transparent)]
    Repair(#[from] RepairError),
    /// `resolve` refused (nothing was changed).
    #[error(transparent)]
    Resolve(#[from] ResolveError),
}
