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
    /// A command that writes files (`revision`, `lock`, `rebase`) without a directory.
    #[error("`{command}` writes files, so it needs the migrations directory: run it through `migrate --dir <dir>`")]
    NoDirectory {
        /// The command.
        command: &'static str,
    },
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
    /// `squash --drop` in a directory without a baseline.
    #[error("`{dir}` has no baseline to drop revisions for: write one first with `migrate --dir {dir} squash --through REV`")]
    NoBaseline {
        /// The directory.
        dir: String,
    },
    /// `squash --drop` while the database given is inside the squashed range.
    #[error("the connected database has not applied {revision}, which the baseline replaces, but has applied others: once the squashed revisions are dropped, nothing could bring it to {last}; upgrade it to {last} or beyond first, then drop. Nothing was removed")]
    BelowBaseline {
        /// The first squashed revision it lacks.
        revision: String,
        /// The last squashed revision.
        last: String,
    },
    /// `rebase` of a revision the directory does not have.
    #[error("`{dir}` has no revision `{revision}`: name it by its directory (or file) name or its version, as `history` lists them")]
    RebaseUnknown {
        /// The revision as given.
        revision: String,
        /// The directory.
        dir: String,
    },
    /// `rebase` of a version several revisions share.
    #[error("several revisions have version `{revision}` ({}): name the one to renumber by its name on disk (its directory, or its file without `.up.sql`)", candidates.join(", "))]
    RebaseAmbiguous {
        /// The version as given.
        revision: String,
        /// The revisions that have it.
        candidates: Vec<String>,
    },
    /// `rebase` of a revision the connected database applied.
    #[error("revision `{revision}` is applied in the connected database, which would then know it by a version the directory no longer has: revert it there first (`downgrade {version}-1`, from a checkout before the merge while the lock file is conflicted), then rebase; nothing was renamed")]
    RebaseApplied {
        /// The revision's name on disk.
        revision: String,
        /// Its version.
        version: String,
    },
    /// `rebase` of a revision a baseline replaces.
    #[error("revision `{revision}` is squashed into the baseline (`{list}` lists it): renumbered, it would run again after the baseline, which already holds what it does; nothing was renamed. Rebase the revisions after the baseline only")]
    RebaseSquashed {
        /// The revision's name on disk.
        revision: String,
        /// The baseline's manifest.
        list: String,
    },
    /// `rebase` cannot number a revision after the head in the directory's order.
    #[error("`{version}`, the next number for `{revision}`, does not sort after `{head}`: revision directories are ordered as text (as diesel orders them), so the deploy would refuse it as out of order; nothing was renamed. Pad the versions to one width (e.g. `010`), or rename the revision by hand to a version that sorts last")]
    RebaseOrder {
        /// The revision's name on disk.
        revision: String,
        /// The number it would get.
        version: String,
        /// The head's version as written.
        head: String,
    },
    /// `rebase` would rename onto a name in use.
    #[error("`{path}` is in the way, so nothing was renamed: {why}")]
    RebaseTaken {
        /// The name in use.
        path: String,
        /// Whose it is and what to do.
        why: &'static str,
    },
    /// A rename of `rebase` failed; those before it were undone.
    #[error("cannot rename `{from}` to `{to}`; what had moved was moved back")]
    Rename {
        /// The old name.
        from: String,
        /// The new name.
        to: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// Reading the migrations directory failed (`rebase`).
    #[error("cannot read `{path}`")]
    Read {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
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
