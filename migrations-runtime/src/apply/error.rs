//! The errors of running a script, and their wording.

use thiserror::Error;

use super::Location;
use crate::blockers::Blocker;
use crate::history::HistoryError;

/// A statement that gave up waiting for a lock (`lock_timeout`), and who held it.
#[derive(Debug, Clone, PartialEq)]
pub struct LockWait {
    /// The limit it ran with, as shown (`lock_timeout 10000ms`).
    pub limit: String,
    /// The sessions that blocked it when last looked at (empty if none was seen).
    pub blockers: Vec<Blocker>,
}

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// A transactional script failed; its transaction was rolled back.
    #[error("revision {revision} failed ({direction}) in `{file}`{}{}; it was rolled back, the database is still at {still_at}", at(location), waited(lock_wait))]
    Script {
        /// `version_name`.
        revision: String,
        /// `up` or `down`.
        direction: &'static str,
        /// The file, relative to the migrations directory.
        file: String,
        /// Where the server pointed, if it did.
        location: Option<Location>,
        /// The revision the database is still at.
        still_at: String,
        /// Set when the statement timed out waiting for a lock.
        lock_wait: Option<LockWait>,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A Rust revision's function returned an error or panicked; its transaction was rolled
    /// back.
    #[error("revision {revision} failed ({direction}) in `{file}`; it was rolled back, the database is still at {still_at}")]
    Code {
        /// `version_name`.
        revision: String,
        /// `up` or `down`.
        direction: &'static str,
        /// The file, relative to the migrations directory.
        file: String,
        /// The revision the database is still at.
        still_at: String,
        /// What the function returned, or its panic.
        #[source]
        source: crate::code::BoxError,
    },
    /// A Rust revision's function ran `COMMIT` or `ROLLBACK` itself.
    #[error("revision {revision} ended the runner's transaction itself (COMMIT or ROLLBACK in `{file}`), so what it did before may be committed without {}: the function runs inside the transaction that records it; remove the transaction control, check the database, then {}", record(*batch), settle(*batch))]
    EndedTransaction {
        /// `version_name`.
        revision: String,
        /// The file.
        file: String,
        /// For a batched function, the batch (1-based) that did it.
        batch: Option<usize>,
    },
    /// A batch of a batched Rust revision failed (returned an error or panicked); earlier
    /// batches stay committed.
    #[error("revision {revision} failed ({direction}) in batch {batch} of `{file}`; the batch was rolled back, {} and the failure is recorded: fix the cause, then `migrate resolve {version} --retry` resumes with batch {batch} (or see `migrate resolve --help`)", batches_stay(*batch))]
    Batch {
        /// `version_name`.
        revision: String,
        /// The version, as `migrate resolve` takes it.
        version: String,
        /// `up` or `down`.
        direction: &'static str,
        /// The file.
        file: String,
        /// The 1-based batch that failed.
        batch: usize,
        /// What the function returned, or its panic.
        #[source]
        source: crate::code::BoxError,
    },
    /// A statement of a non-transactional script failed; `applied` earlier statements committed.
    #[error("revision {revision} failed ({direction}) at statement {statement} of {total} in `{file}`{}{}; it runs outside a transaction, so {} and the failure is recorded: fix the cause, then `migrate resolve {} --retry` runs it from statement {} (or see `migrate resolve --help`)", at(location), waited(lock_wait), stayed(*applied), version, applied + 1)]
    Statement {
        /// `version_name`.
        revision: String,
        /// The version, as `migrate resolve` takes it.
        version: String,
        /// `up` or `down`.
        direction: &'static str,
        /// The file.
        file: String,
        /// 1-based statement index.
        statement: usize,
        /// Statements in the file.
        total: usize,
        /// How many statements before it stay committed (statements inside the file's own
        /// transaction that the failure aborted do not count).
        applied: usize,
        /// Where the server pointed.
        location: Option<Location>,
        /// Set when the statement timed out waiting for a lock.
        lock_wait: Option<LockWait>,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// Writing the progress of a non-transactional revision failed (before its next statement
    /// ran).
    #[error("revision {revision} stopped: its progress could not be recorded, so its next statement was not run")]
    Progress {
        /// `version_name`.
        revision: String,
        /// The cause.
        #[source]
        source: HistoryError,
    },
    /// A `no-transaction` (or batched Rust) revision is to run, and the runner cannot open
    /// connections.
    #[error("revision {revision} runs outside a single transaction (`no-transaction`, or a batched Rust function), on a connection of the runner's own (so that a cancelled or crashed run cannot keep its lock and its statements stay in one server session), and this runner was given no way to open one: call `Migrator::with_connect_options` (the `migrate` binary and the test helpers always do); nothing was run")]
    NeedsConnection {
        /// `version_name`.
        revision: String,
    },
    /// A `no-transaction` revision needs a server session of its own, and the connection goes
    /// through a transaction-pooling proxy. Nothing of the revision ran.
    #[error("revision {revision} runs outside a transaction, which needs a database session of its own for all its statements, but the connection goes through a transaction-pooling proxy (PgBouncer in transaction mode?): {reason}. Nothing of it was run. Run the migration with a direct connection to PostgreSQL (a DATABASE_URL naming the server, not the pooler); transactional revisions are safe through the pooler")]
    NeedsSession {
        /// `version_name`.
        revision: String,
        /// What gave the proxy away.
        reason: String,
    },
    /// Recording a transactional revision failed; the transaction was rolled back.
    #[error("revision {revision} could not be recorded; it was rolled back")]
    Record {
        /// `version_name`.
        revision: String,
        /// The cause.
        #[source]
        source: HistoryError,
    },
    /// A `no-transaction` revision ran, but its history row could not be written.
    #[error("revision {revision} ran (outside a transaction) but could not be recorded: check the schema, then record it with `stamp {revision}`")]
    NotRecorded {
        /// `version_name`.
        revision: String,
        /// The cause.
        #[source]
        source: HistoryError,
    },
    /// The commit failed, so whether the revision was applied is unknown (e.g. the connection
    /// dropped while committing).
    #[error("commit of revision {revision} failed, so whether it was applied is unknown (and the next revision's, which may have been sent behind it): run `current` to see")]
    Commit {
        /// `version_name`.
        revision: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

fn record(batch: Option<usize>) -> String {
    match batch {
        None => "its history row".to_owned(),
        Some(n) => format!("the progress row of batch {n} (the failure is recorded)"),
    }
}

fn settle(batch: Option<usize>) -> &'static str {
    match batch {
        None => "run it again or `stamp` it",
        Some(_) => "`migrate resolve --retry` it (which runs that batch again) or settle it with `--mark-completed` / `--mark-rolled-back`",
    }
}

fn batches_stay(batch: usize) -> String {
    match batch {
        1 => "no batch of it is committed".to_owned(),
        2 => "batch 1 stays committed".to_owned(),
        n => format!("batches 1 to {} stay committed", n - 1),
    }
}

fn stayed(applied: usize) -> String {
    match applied {
        0 => "nothing of it stays applied".to_owned(),
        1 => "statement 1 stays applied".to_owned(),
        n => format!("statements 1 to {n} stay applied"),
    }
}

fn at(location: &Option<Location>) -> String {
    location
        .as_ref()
        .map(|l| format!(" at line {}, column {}", l.line, l.column))
        .unwrap_or_default()
}

fn waited(wait: &Option<LockWait>) -> String {
    let Some(wait) = wait else {
        return String::new();
    };
    let raise =
        "or raise the limit (`-- migrate: lock-timeout=30s` on the revision, or --lock-timeout)";
    match wait.blockers.first() {
        Some(first) => format!(
            "; it timed out waiting for a lock ({}) held by {}: let that finish, stop it (SELECT pg_terminate_backend({})), {raise}",
            wait.limit,
            wait.blockers.iter().map(Blocker::describe).collect::<Vec<_>>().join(" and "),
            first.pid
        ),
        None => format!(
            "; it timed out waiting for a lock ({}), and the holder was gone when looked up: retry, {raise}",
            wait.limit
        ),
    }
}
