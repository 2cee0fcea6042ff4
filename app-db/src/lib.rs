//! The 911 operator training simulator's database layer: its revisions ([`MIGRATIONS`],
//! `app-db/migrations/`), the typed data layer ([`data`]), the simulation ([`sim`]) and the
//! takeover of the Alembic-era database ([`takeover`]), over the migration runtime, which this
//! crate re-exports whole so `app_db::Migrator` and `#[app_db::test]` name the runtime's items.
//!
//! ```no_run
//! use app_db::{ConnectOptions, Migrator, Target, MIGRATIONS};
//!
//! # async fn boot() -> Result<(), Box<dyn std::error::Error>> {
//! let options = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?;
//! let mut client = options.connect().await?;
//! let outcome = Migrator::new(&MIGRATIONS, options)
//!     .upgrade(&mut client, Target::Head)
//!     .await?;
//! println!("database at {}", outcome.current_label());
//! # Ok(()) }
//! ```

pub mod data;
pub mod sim;
pub mod takeover;

pub use migrations_runtime::*;

/// The simulator's revisions (`app-db/migrations/`), embedded at compile time.
pub static MIGRATIONS: Migrations = migrations_runtime::embed_migrations!("migrations");
