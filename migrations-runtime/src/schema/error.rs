//! Errors of building and comparing schemas. Nothing in the compared database was changed when
//! one is returned: the builds run in a scratch database or in a savepoint rolled back.

use thiserror::Error;

use crate::connect::ConnectError;
use crate::MigrateError;

/// Building an expected schema or comparing one failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum SchemaError {
    /// Reading a catalog failed.
    #[error("reading the schema of {which} failed")]
    Read {
        /// Which side: `the database`, `the scratch database`, ...
        which: &'static str,
        /// The reader's error.
        #[source]
        source: migrations_schema::ReadError,
    },
    /// Reading the history failed.
    #[error("reading the history failed")]
    History(#[source] Box<MigrateError>),
    /// The applied revisions are not the first revisions of the binary, in order, so no build of
    /// the binary's revisions reproduces them.
    #[error("the database has applied {applied} but not {missing}, which comes before it: the expected schema is built from the first revisions in order; apply {missing} (`upgrade`) or stamp the history first")]
    Gap {
        /// A revision applied after the gap.
        applied: String,
        /// The first revision missing before it.
        missing: String,
    },
    /// The history has revisions this binary does not know.
    #[error("the database has revision {versions} that this binary does not know, so what it should look like is unknown: run this with the binary that applied it")]
    Unknown {
        /// The versions.
        versions: String,
    },
    /// No way to build the expected schema is open to this role.
    #[error("cannot build the schema of the revisions to compare with: {reason}")]
    CannotBuild {
        /// Why, and what to do.
        reason: String,
    },
    /// Running the revisions (or the declared schema) in the scratch place failed.
    #[error("building {what} failed")]
    Build {
        /// What was built: `the revisions up to 002_x`, `schema.sql`.
        what: String,
        /// The error.
        #[source]
        source: Box<MigrateError>,
    },
    /// A script of the revisions (in a private schema) or of a declared schema failed.
    #[error("building {what} failed")]
    Run {
        /// What was built: `revision 002_x`, `schema.sql`.
        what: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A generated revision did not do what it should in the scratch database: nothing written.
    #[error("the generated revisions were not written: after {step} in a scratch database, the schema still differs:\n  - {}\nthis is a bug in the diff; please report it, and write this revision by hand", differences.join("\n  - "))]
    Unproven {
        /// Which scripts, compared with what.
        step: String,
        /// What differs.
        differences: Vec<String>,
    },
    /// The revisions to squash hold what a baseline cannot reproduce: nothing written.
    #[error("cannot squash: {reason}")]
    CannotSquash {
        /// What, and what to do.
        reason: String,
    },
    /// A baseline's rows differ from those of the revisions it replaces: nothing written.
    #[error("the baseline does not hold the rows of the revisions it replaces: after {step} in a scratch database:\n  - {}\n(a trigger or a volatile default that the chain ran and the copy cannot, or a type whose text form does not read back): nothing was written; squash through another revision, or report it", differences.join("\n  - "))]
    RowsDiffer {
        /// Which scripts, compared with what.
        step: String,
        /// Each table or sequence that differs.
        differences: Vec<String>,
    },
    /// Some changes cannot be generated (the diff says why for each): nothing written.
    #[error("nothing was written: these changes cannot be generated, write them by hand (or in steps the diff can take):\n  - {}", changes.join("\n  - "))]
    Manual {
        /// One line per change, with its reason.
        changes: Vec<String>,
    },
    /// A declared schema file could not be read.
    #[error("cannot read the declared schema `{path}`: {reason}")]
    Declared {
        /// The file or directory.
        path: String,
        /// What went wrong.
        reason: String,
    },
    /// Creating, connecting to or dropping the scratch database failed.
    #[error("{action} failed")]
    Scratch {
        /// What was being done.
        action: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A declared rename does not name what the schemas hold.
    #[error(transparent)]
    Rename(#[from] migrations_schema::RenameError),
    /// The target does not name a revision.
    #[error(transparent)]
    Target(#[from] crate::error::TargetError),
    /// Connecting to the scratch database failed.
    #[error(transparent)]
    Connect(#[from] ConnectError),
}

impl From<MigrateError> for SchemaError {
    fn from(e: MigrateError) -> Self {
        SchemaError::History(Box::new(e))
    }
}
