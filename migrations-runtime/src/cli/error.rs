//! The errors of the command line.

use migrations_core::InvalidDirectory;
use thiserror::Error;

use crate::history::HistoryError;
use crate::MigrateError;

/// Errors of the command line.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CliError {
    /// A migration command failed (boxed: it is large, and errors are the cold path).
    #[error(transparent)]
    Migrate(Box<MigrateError>),
    /// Rust revisions of a directory read at run time, with the crate that embeds it.
    #[error("`{dir}` is embedded by the crate at `{krate}`, whose binaries carry its compiled code: migrate with `{binaries}`")]
    NotCompiled {
        /// The directory as given.
        dir: String,
        /// The embedding crate's directory.
        krate: String,
        /// Its binaries, joined.
        binaries: String,
        /// The refusal.
        #[source]
        source: Box<MigrateError>,
    },
    /// Building or comparing schemas failed (`drift`, `diff`).
    #[error(transparent)]
    Schema(#[from] crate::schema::SchemaError),
    /// The directory is invalid.
    #[error(transparent)]
    Directory(#[from] InvalidDirectory),
    /// A bad `--history-table`.
    #[error(transparent)]
    Table(#[from] HistoryError),
    /// No database configured.
    #[error("no database: set DATABASE_URL (e.g. postgres://user:password@localhost:5432/911_training), pass --database-url, or pass --local for a development cluster")]
    NoDatabase,
    /// The local development cluster failed.
    #[error("the local development cluster is not available")]
    Local {
        /// The cause.
        #[source]
        source: crate::cluster::ClusterError,
    },
    /// Creating the development database failed.
    #[error("cannot create the development database `{name}`")]
    LocalDatabase {
        /// The database.
        name: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// `revision --rust` in a flat (sqlx) directory.
    #[error("`{dir}` holds flat SQL files (sqlx's layout), which have no place for Rust: revisions in Rust need the directory layout (`<version>_<name>/up.rs`)")]
    FlatRust {
        /// The directory.
        dir: String,
    },
    /// `revision` without a directory.
    #[error("`revision` writes files, so it needs a migrations directory: run it through `migrate --dir <dir>`")]
    NoDirectory,
    /// No declared schema where `revision --autogenerate` looks by default.
    #[error("no declared schema: looked for {looked}; write one, or pass --schema PATH")]
    NoSchema {
        /// The paths looked at.
        looked: String,
    },
    /// A generated revision fails the build's checks: removed again.
    #[error("the generated revision fails the checks a build makes, so it was removed again (please report this):\n  - {}", errors.join("\n  - "))]
    Generated {
        /// The errors.
        errors: Vec<String>,
    },
    /// Writing a new revision failed.
    #[error("cannot create `{path}`")]
    Write {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

impl From<MigrateError> for CliError {
    fn from(error: MigrateError) -> Self {
        Self::Migrate(Box::new(error))
    }
}
