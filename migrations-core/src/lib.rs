//! Migration sources shared by `embed_migrations!` (at compile time) and the `migrations-runtime` runtime
//! (at run time): name parsing, directory scanning and validation, text normalisation,
//! checksums, statement splitting, and the revision table types.
//!
//! Both sides call [`scan`], so a directory embedded by the macro and the same directory loaded
//! by `migrate --dir` produce equal [`Migrations`].
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir(dir.path().join("001_users")).unwrap();
//! std::fs::write(dir.path().join("001_users/up.sql"), "CREATE TABLE users (id int);\r\n").unwrap();
//! std::fs::write(dir.path().join("001_users/down.sql"), "DROP TABLE users;").unwrap();
//!
//! let migrations = migrations_core::load_dir(dir.path(), "migrations", Default::default()).unwrap();
//! let first = migrations.get("001").unwrap();
//! assert_eq!(first.name(), "users");
//! assert_eq!(first.up().sql(), "CREATE TABLE users (id int);\n"); // CRLF normalised
//! ```

mod assemble;
pub mod baseline;
pub mod build;
mod cache;
#[doc(hidden)]
pub mod corpora;
mod flat;
#[cfg(feature = "parse")]
pub mod lint;
pub mod lock;
mod locked;
mod metadata;
pub mod name;
pub mod packed;
#[cfg(feature = "parse")]
pub mod parse;
mod problem;
pub mod quote;
mod report;
mod revision;
pub mod rust;
mod scan;
pub mod source;
pub mod sql;
mod squashed;
pub mod syntax;
mod table;

pub use baseline::Baseline;
pub use cache::Cache;
pub use problem::SyntaxError;
pub use problem::{Ignored, Note, Problem, Warning};
pub use revision::{
    checksum_of, Checksum, ChecksumAlgorithm, Code, Language, Layout, Revision, Script,
    TransactionMode,
};
pub use scan::{scan, scan_cached, ScanOptions, ScanReport};
pub use table::Migrations;

use std::path::Path;

/// A directory that failed validation, with every problem found.
#[derive(Debug, Clone, thiserror::Error)]
#[error("migrations directory `{dir}` is invalid ({} problem{}):\n  - {}", problems.len(), if problems.len() == 1 { "" } else { "s" }, problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n  - "))]
pub struct InvalidDirectory {
    /// The directory as given.
    pub dir: String,
    /// Every problem.
    pub problems: Vec<Problem>,
}

/// Scans `dir` and returns its revisions, or every problem found.
/// `display` names the directory in messages.
pub fn load_dir(
    dir: &Path,
    display: &str,
    options: ScanOptions,
) -> Result<Migrations, InvalidDirectory> {
    scan(dir, display, options)
        .into_migrations()
        .map_err(|problems| InvalidDirectory {
            dir: display.to_owned(),
            problems,
        })
}
