//! Applies a table of PostgreSQL revisions (from `embed_migrations!` or
//! [`migrations_core::load_dir`]) through tokio-postgres: a checksummed history, a lock that
//! serialises replicas, Alembic-style targets and offline SQL. The command line sits behind the
//! `cli` feature, private clusters and a database per test behind `testing`, and
//! `embed_migrations!` (checked with PostgreSQL's grammar at compile time) behind `macros`.
//!
//! ```no_run
//! use migrations_runtime::connect::ConnectOptions;
//! use migrations_runtime::{Migrations, Migrator};
//!
//! # async fn boot(migrations: &Migrations) -> Result<(), Box<dyn std::error::Error>> {
//! let options = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?;
//! let mut client = options.connect().await?;
//! let outcome = Migrator::new(migrations)
//!     .with_connect_options(options)
//!     .upgrade(&mut client, "head")
//!     .await?;
//! println!("database at {}", outcome.current);
//! # Ok(()) }
//! ```

pub mod apply;
pub mod blockers;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(any(feature = "cli", feature = "testing"))]
pub mod cluster;
pub mod connect;
pub mod history;
pub mod lock;
mod migrator;
pub mod offline;
pub mod plan;
pub mod progress;
pub mod repair;
pub mod resolve;
pub mod status;
pub mod target;
#[cfg(feature = "testing")]
pub mod testing;
pub mod timeouts;

pub use migrations_core::{self, Migrations};
/// The PostgreSQL client the runtime and `testing` hand out, for naming its types.
pub use tokio_postgres;

/// A test that receives its own database (the `testing` feature): see `testing`.
#[cfg(feature = "testing")]
pub use migrations_macro::test;

#[cfg(feature = "macros")]
#[doc(hidden)]
pub use migrations_macro::embed_migrations as __embed_migrations;

/// `migrations_macro::embed_migrations!`, reaching `migrations_core` through this crate, so that
/// a crate depending only on `migrations-runtime` (feature `macros`) can embed its directory:
/// `static MIGRATIONS: migrations_runtime::Migrations = migrations_runtime::embed_migrations!("migrations");`.
/// The same arguments are accepted, except `crate`.
#[cfg(feature = "macros")]
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
