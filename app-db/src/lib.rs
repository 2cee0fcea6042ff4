//! Runtime for embedded PostgreSQL migrations: applies a [`Migrations`] table (from
//! `embed_migrations!` or [`migrations_core::load_dir`]) to PostgreSQL through tokio-postgres,
//! with checksummed history, a lock that serialises replicas, Alembic-style targets, offline SQL
//! and the `migrate` CLI.
//!
//! ```no_run
//! use app_db::{connect::ConnectOptions, Migrator};
//! use migrations_core::Migrations;
//!
//! static MIGRATIONS: Migrations = migrations_macro::embed_migrations!("../migrations");
//!
//! # async fn boot() -> Result<(), Box<dyn std::error::Error>> {
//! let mut client = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?.connect().await?;
//! let outcome = Migrator::new(&MIGRATIONS).upgrade(&mut client, "head").await?;
//! println!("database at {}", outcome.current);
//! # Ok(()) }
//! ```

pub mod apply;
pub mod blockers;
pub mod cli;
pub mod cluster;
pub mod connect;
pub mod data;
pub mod history;
pub mod lock;
mod migrator;
pub mod offline;
pub mod plan;
pub mod progress;
pub mod repair;
pub mod resolve;
pub mod sim;
pub mod status;
pub mod takeover;
pub mod target;
pub mod testing;
pub mod timeouts;

pub use migrations_core::{self, Migrations};
/// The PostgreSQL client the runtime and [`testing`] hand out, for naming its types.
pub use tokio_postgres;

/// The simulator's revisions (`migrations/` at the workspace root), embedded at compile time.
pub static MIGRATIONS: Migrations = migrations_macro::embed_migrations!("../migrations");
pub use migrations_macro::test;

#[doc(hidden)]
pub use migrations_macro::embed_migrations as __embed_migrations;

/// `migrations_macro::embed_migrations!`, reaching `migrations_core` through this crate, so that
/// a crate depending only on `app-db` can embed its directory:
/// `static MIGRATIONS: app_db::Migrations = app_db::embed_migrations!("migrations");`.
/// The same arguments are accepted, except `crate`.
#[macro_export]
macro_rules! embed_migrations {
    ($path:literal $(, $($argument:tt)*)?) => {
        $crate::__embed_migrations!($path, crate = $crate::migrations_core $(, $($argument)*)?)
    };
}

pub use migrator::{Migrator, Outcome, Step, DEFAULT_LOCK_TIMEOUT};

/// Any failure of a migration command, by phase.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MigrateError {
    /// Connecting.
    #[error(transparent)]
    Connect(#[from] connect::ConnectError),
    /// Reading or writing the history table.
    #[error(transparent)]
    History(#[from] history::HistoryError),
    /// Taking the lock.
    #[error(transparent)]
    Lock(#[from] lock::LockError),
    /// Refusals and impossible targets (nothing was run).
    #[error(transparent)]
    Plan(#[from] plan::PlanError),
    /// Running a script.
    #[error(transparent)]
    Apply(#[from] apply::ApplyError),
    /// `repair` refused (nothing was changed).
    #[error(transparent)]
    Repair(#[from] repair::RepairError),
    /// `resolve` refused (nothing was changed).
    #[error(transparent)]
    Resolve(#[from] resolve::ResolveError),
}
