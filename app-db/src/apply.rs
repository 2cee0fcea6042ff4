//! Executing one revision's script and reporting failures at the file, line and column the
//! server pointed at.

use std::time::Instant;

use migrations_core::{sql, Revision, Script};
use thiserror::Error;
use tokio_postgres::error::ErrorPosition;
use tokio_postgres::GenericClient;

use crate::history::{HistoryError, HistoryTable};
use crate::progress;

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
    #[error("revision {revision} failed ({direction}) at statement {statement} of {total} in `{file}`{}; it runs outside a transaction, so {} and the failure is recorded: fix the cause, then `migrate resolve {} --retry` runs it from statement {} (or see `migrate resolve --help`)", at(location), stayed(*applied), version, applied + 1)]
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

/// Runs a non-transactional script one statement at a time from statement `from` (1-based),
/// each in autocommit mode, so `CREATE INDEX CONCURRENTLY` and friends work. Before each
/// statement its number is written to the progress table beside `table` (see
/// [`crate::progress`]), so a runner that dies mid-script leaves a record of where. Returns the
/// elapsed milliseconds.
pub async fn run_statements(
    client: &impl GenericClient,
    table: &HistoryTable,
    revision: &Revision,
    direction: Direction,
    from: usize,
) -> Result<i64, ApplyError> {
    let script = script(revision, direction);
    let statements = sql::split(script.sql());
    let texts: Vec<&str> = statements.iter().map(|s| s.text(script.sql())).collect();
    let started = Instant::now();
    // Where the file's own open transaction began: a failure inside it aborts (and the runner
    // rolls back) everything from there, progress rows written inside it included.
    let mut open_since: Option<usize> = None;
    for (index, stmt) in statements.iter().enumerate().skip(from.saturating_sub(1)) {
        let prefix = progress::prefix_checksum(texts[..index].iter().copied());
        let position = (index + 1, statements.len());
        progress::write(
            client,
            table,
            revision.version(),
            direction,
            position,
            &prefix,
            None,
        )
        .await
        .map_err(|source| ApplyError::Progress {
            revision: revision.label(),
            source,
        })?;
        if let Err(source) = client.batch_execute(texts[index]).await {
            return Err(ApplyError::Statement {
                revision: revision.label(),
                version: revision.version().to_owned(),
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

/// " (`file` line N: `first line of the statement`)" for statement `number` (1-based) of
/// `script`; `None` when the script has fewer statements.
pub fn quote_statement(script: &Script, number: usize) -> Option<String> {
    let statements = sql::split(script.sql());
    let stmt = statements.get(number.checked_sub(1)?)?;
    let text = stmt.text(script.sql());
    let first = text.lines().next().unwrap_or_default().trim();
    let more = if text.trim_end().contains('\n') {
        " …"
    } else {
        ""
    };
    Some(format!(
        " (`{}` line {}: `{first}{more}`)",
        script.file(),
        stmt.line
    ))
}

/// The statements of `script` before statement `number` (1-based), as the progress table's
/// `prefix_checksum` hashes them.
pub fn prefix_checksum(script: &Script, number: usize) -> Vec<u8> {
    let statements = sql::split(script.sql());
    let end = number.saturating_sub(1).min(statements.len());
    progress::prefix_checksum(statements[..end].iter().map(|s| s.text(script.sql())))
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
