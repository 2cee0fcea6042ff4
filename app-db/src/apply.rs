//! Executing one revision's script and reporting failures at the file, line and column the
//! server pointed at.

use std::time::Instant;

use migrations_core::{sql, Revision, Script};
use thiserror::Error;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::GenericClient;

use crate::history::HistoryError;

/// Which way a revision is run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    /// `up.sql`.
    Up,
    /// `down.sql`.
    Down,
}

impl Direction {
    /// `up` or `down`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Up => "up",
            Self::Down => "down",
        }
    }
}

/// Where in a file the server reported an error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    /// 1-based line.
    pub line: usize,
    /// 1-based column (characters).
    pub column: usize,
}

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ApplyError {
    /// A transactional script failed; its transaction was rolled back.
    #[error("revision {revision} failed ({direction}) in `{file}`{}; it was rolled back, the database is still at {still_at}", at(location))]
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
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// A statement of a non-transactional script failed; `applied` earlier statements committed.
    #[error("revision {revision} failed ({direction}) at statement {statement} of {total} in `{file}`{}; it runs outside a transaction, so {} and the revision is not recorded: fix the statement, make the earlier ones safe to re-run (IF NOT EXISTS), and run again", at(location), stayed(*applied))]
    Statement {
        /// `version_name`.
        revision: String,
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
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
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
    #[error("commit of revision {revision} failed, so whether it was applied is unknown: run `current` to see")]
    Commit {
        /// `version_name`.
        revision: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
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

/// The script of `revision` for `direction`. Callers check reversibility before planning.
pub fn script(revision: &Revision, direction: Direction) -> &Script {
    match direction {
        Direction::Up => revision.up(),
        Direction::Down => revision
            .down()
            .expect("plan_downgrade refuses irreversible revisions"),
    }
}

/// Runs a transactional (or own-transaction) script on `client`, which is inside the caller's
/// transaction. Returns the elapsed milliseconds.
pub async fn run_in_transaction(
    client: &impl GenericClient,
    revision: &Revision,
    direction: Direction,
    still_at: &str,
) -> Result<i64, ApplyError> {
    let script = script(revision, direction);
    let started = Instant::now();
    client
        .batch_execute(script.sql())
        .await
        .map_err(|source| ApplyError::Script {
            revision: revision.label(),
            direction: direction.as_str(),
            file: script.file().to_owned(),
            location: locate(script.sql(), 0, &source),
            still_at: still_at.to_owned(),
            source,
        })?;
    Ok(started.elapsed().as_millis() as i64)
}

/// Runs a non-transactional script one statement at a time, each in autocommit mode, so
/// `CREATE INDEX CONCURRENTLY` and friends work. Returns the elapsed milliseconds.
pub async fn run_statements(
    client: &impl GenericClient,
    revision: &Revision,
    direction: Direction,
) -> Result<i64, ApplyError> {
    let script = script(revision, direction);
    let statements = sql::split(script.sql());
    let started = Instant::now();
    // Where the file's own open transaction began: a failure inside it aborts (and the runner
    // rolls back) everything from there.
    let mut open_since: Option<usize> = None;
    for (index, stmt) in statements.iter().enumerate() {
        let text = stmt.text(script.sql());
        if let Err(source) = client.batch_execute(text).await {
            return Err(ApplyError::Statement {
                revision: revision.label(),
                direction: direction.as_str(),
                file: script.file().to_owned(),
                statement: index + 1,
                total: statements.len(),
                applied: open_since.unwrap_or(index),
                location: locate(script.sql(), stmt.start, &source),
                source,
            });
        }
        match sql::transaction_control(stmt) {
            Some(sql::TransactionControl::Begin | sql::TransactionControl::BeginWithOptions) => {
                open_since = open_since.or(Some(index))
            }
            Some(sql::TransactionControl::Commit | sql::TransactionControl::Rollback) => {
                open_since = None
            }
            _ => {}
        }
    }
    Ok(started.elapsed().as_millis() as i64)
}

/// Maps the server's error position (1-based characters into the text sent, which starts at byte
/// `offset` of `text`) to a line and column of `text`.
pub fn locate(text: &str, offset: usize, error: &tokio_postgres::Error) -> Option<Location> {
    let position = match error.as_db_error()?.position()? {
        ErrorPosition::Original(p) => *p as usize,
        // Errors inside a function body: the position is in the body; the server's context
        // (`where`) names the function, which is in the source chain.
        ErrorPosition::Internal { .. } => return None,
    };
    let chars_before = text[..offset].chars().count();
    let target = chars_before + position.saturating_sub(1);
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.chars().enumerate() {
        if i == target {
            return Some(Location { line, column });
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Some(Location { line, column })
}
