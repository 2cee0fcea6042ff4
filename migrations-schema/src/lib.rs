//! What a PostgreSQL schema is, and what separates two of them.
//!
//! [`Catalog::read`] reads schemas, extensions, enum, domain and composite types, sequences,
//! tables (partitioned, unlogged) with their columns, constraints and indexes, views and
//! materialized views, functions and procedures, triggers, row-level security policies, comments,
//! and (when asked) owners and grants, in one snapshot and about one round trip. [`diff`] lists
//! what turns one catalog into another, each difference with its SQL, in an order PostgreSQL
//! accepts; `diff(b, a)` is the reverse.
//!
//! ```no_run
//! use migrations_schema::{diff, Catalog, ReadOptions};
//!
//! # async fn drift(live: &mut tokio_postgres::Client, built: &mut tokio_postgres::Client) -> Result<(), migrations_schema::ReadError> {
//! let found = Catalog::read(live, &ReadOptions::default()).await?;
//! let expected = Catalog::read(built, &ReadOptions::default()).await?;
//! let changes = diff(&found, &expected);
//! for difference in changes.differences() {
//!     println!("{difference}");
//! }
//! print!("{}", changes.script());
//! # Ok(()) }
//! ```
//!
//! What a catalog cannot tell: renames of tables and columns (a renamed column reads as one
//! dropped and one added, unless declared: [`diff_with_renames`]), the data in tables, and what
//! this model does not cover (range types, operators, casts, foreign tables,
//! publications, event triggers, table inheritance outside partitioning, partitions' own
//! defaults); those are neither read nor compared.

mod change;
mod diff;
mod error;
mod hints;
mod model;
mod read;
mod rename;
mod stage;

pub use change::{Action, Change, Diff, Hazard, ObjectKind};
pub use diff::diff;
pub use error::ReadError;
pub use hints::{diff_with_renames, Rename, RenameError};
pub use model::*;
pub use read::ReadOptions;
pub use stage::{concurrent_index_changes, stages, Purpose, Stage};
