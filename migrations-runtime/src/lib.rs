//! Applies a table of PostgreSQL revisions (from `embed_migrations!` or
//! [`migrations_core::load_dir`]) through tokio-postgres: a checksummed history, a lock that
//! serialises replicas, Alembic-style targets and offline SQL. The command line sits behind the
//! `cli` feature, private clusters and a database per test behind `testing`, and
//! `embed_migrations!` (checked with PostgreSQL's grammar at compile time) behind `macros`.
//!
//! ```no_run
//! use migrations_runtime::{ConnectOptions, Migrations, Migrator, Target};
//!
//! # async fn boot(migrations: &Migrations) -> Result<(), Box<dyn std::error::Error>> {
//! let options = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?;
//! let mut client = options.connect().await?;
//! let outcome = Migrator::new(migrations, options)
//!     .upgrade(&mut client, Target::Head)
//!     .await?;
//! println!("database at {}", outcome.current_label());
//! # Ok(()) }
//! ```

mod apply;
mod blockers;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(any(feature = "cli", feature = "testing"))]
mod cluster;
pub mod code;
mod connect;
mod direction;
pub mod error;
mod history;
mod lock;
mod migrator;
pub mod offline;
mod plan;
mod progress;
mod repair;
mod resolve;
#[cfg(feature = "schema")]
pub mod schema;
pub mod status;
mod target;
#[cfg(feature = "testing")]
pub mod testing;
mod timeouts;

pub use connect::{ConnectOptions, TlsMode};
pub use direction::Direction;
pub use error::MigrateError;
pub use history::HistoryTable;
pub use migrations_core::{self, quote, Migrations};
/// The schema model and diff (the `schema` feature).
#[cfg(feature = "schema")]
pub use migrations_schema;
pub use migrator::{Migrator, Outcome, RevisionId, Step, DEFAULT_LOCK_TIMEOUT};
pub use plan::{Overrides, Plan, State};
pub use resolve::Resolution;
pub use status::Status;
pub use target::{Anchor, IntoTarget, Target};
pub use timeouts::Timeouts;
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
/// The same arguments are accepted, except `crate` and `runtime`.
#[cfg(feature = "macros")]
#[macro_export]
macro_rules! embed_migrations {
    ($path:literal $(, $($argument:tt)*)?) => {
        $crate::__embed_migrations!($path, crate = $crate::migrations_core, runtime = $crate $(, $($argument)*)?)
    };
}
