//! Executing one revision's script and reporting failures at the file, line and column the
//! server pointed at.

use std::time::{Duration, Instant};

use migrations_core::{sql, Baseline, Revision, Script};
use tokio_postgres::error::{ErrorPosition, SqlState};
use tokio_postgres::GenericClient;

use crate::blockers::{self, Side};
use crate::direction::Direction;
use crate::history::HistoryTable;
use crate::progress;
use crate::timeouts::Timeouts;

mod code;
mod error;

pub(crate) use code::{run_code, transaction_id};
pub use error::{ApplyError, LockWait};

/// How a script runs: the limits for its statements, and how to find who blocks them.
#[derive(Clone, Copy)]
pub(crate) struct Watch<'a> {
    /// The revision's limits (already with its directives applied).
    pub timeouts: Timeouts,
    /// Backend pid of the session running the statements.
    pub pid: i32,
    /// Where to look for blockers from.
    pub side: Side<'a>,
}

impl Watch<'_> {
    /// Runs `work` (a statement of this session), watching for blockers while it waits. A lock
    /// timeout comes back with who held the lock, as far as the watcher saw.
    pub(crate) async fn run<T>(
        &self,
        work: impl std::future::Future<Output = Result<T, tokio_postgres::Error>>,
    ) -> (Result<T, tokio_postgres::Error>, Option<LockWait>) {
        // Look well before the limit, so the holder is still there to be named.
        let limit = self.timeouts.lock.filter(|d| !d.is_zero());
        let first = limit
            .map_or(Duration::from_millis(250), |d| d / 3)
            .clamp(Duration::from_millis(20), Duration::from_millis(250));
        let (result, seen) = blockers::watch(work, self.pid, self.side, first).await;
        let timed_out =
            matches!(&result, Err(e) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE));
        let wait = timed_out.then(|| LockWait {
            limit: self.timeouts.describe_lock(),
            blockers: seen,
        });
        (result, wait)
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

/// The script of `revision` for `direction`. Callers check reversibility before planning.
pub(crate) fn script(revision: &Revision, direction: Direction) -> &Script {
    match direction {
        Direction::Up => revision.up(),
        Direction::Down => revision.down().expect(
            "Plan::runnable refuses irreversible revisions before any down script is reached",
        ),
    }
}

/// The script of a squashed history's `baseline` for `direction`: `None` going down when it has
/// no down script.
pub(crate) fn baseline_script(baseline: &Baseline, direction: Direction) -> Option<&Script> {
    match direction {
        Direction::Up => Some(baseline.up()),
        Direction::Down => baseline.down(),
    }
}

/// Runs a transactional (or own-transaction) script on `client`, which is inside the caller's
/// transaction, with the revision's limits set for that transaction (`SET LOCAL`, sent in the
/// same exchange as the script). Returns the elapsed milliseconds.
pub(crate) async fn run_in_transaction(
    client: &impl GenericClient,
    revision: &Revision,
    direction: Direction,
    still_at: &str,
    watch: Watch<'_>,
) -> Result<i64, ApplyError> {
    let script = script(revision, direction);
    run_script(
        client,
        (&revision.label(), script),
        direction,
        still_at,
        watch,
    )
    .await
}

/// [`run_in_transaction`] for any script, named `label` in its errors (a revision, or the
/// baseline of a squashed history).
pub(crate) async fn run_script(
    client: &impl GenericClient,
    (label, script): (&str, &Script),
    direction: Direction,
    still_at: &str,
    watch: Watch<'_>,
) -> Result<i64, ApplyError> {
    let prefix = watch.timeouts.set_local_sql();
    let started = Instant::now();
    let (result, lock_wait) = watch
        .run(client.batch_execute(&format!("{prefix}{}", script.sql())))
        .await;
    result.map_err(|source| ApplyError::Script {
        revision: label.to_owned(),
        direction: direction.as_str(),
        file: script.file().to_owned(),
        location: locate_in(script.sql(), prefix.chars().count(), &source),
        still_at: still_at.to_owned(),
        lock_wait,
        source,
    })?;
    Ok(started.elapsed().as_millis() as i64)
}

/// Runs a non-transactional script one statement at a time from statement `from` (1-based),
/// each in autocommit mode, so `CREATE INDEX CONCURRENTLY` and friends work. Before each
/// statement its number is written to the progress table beside `table` (see
/// [`crate::progress`]), so a runner that dies mid-script leaves a record of where. Returns the
/// elapsed milliseconds.
pub(crate) async fn run_statements(
    client: &impl GenericClient,
    table: &HistoryTable,
    revision: &Revision,
    direction: Direction,
    from: usize,
    watch: Watch<'_>,
) -> Result<i64, ApplyError> {
    let script = script(revision, direction);
    let statements = script.statements();
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
        if let (Err(source), lock_wait) = watch.run(client.batch_execute(texts[index])).await {
            return Err(ApplyError::Statement {
                lock_wait,
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
pub(crate) fn quote_statement(script: &Script, number: usize) -> Option<String> {
    let statements = script.statements();
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

/// The statement (1-based) opening the file's own transaction block that statement `number`
/// belongs to (from its `BEGIN` to its `COMMIT` or `ROLLBACK`, both included), if any.
pub(crate) fn enclosing_block(script: &Script, number: usize) -> Option<usize> {
    let mut open: Option<usize> = None;
    for (index, stmt) in script.statements().iter().enumerate() {
        let control = sql::transaction_control(stmt);
        if matches!(
            control,
            Some(sql::TransactionControl::Begin | sql::TransactionControl::BeginWithOptions)
        ) {
            open = open.or(Some(index + 1));
        }
        if index + 1 == number {
            return open;
        }
        if matches!(
            control,
            Some(sql::TransactionControl::Commit | sql::TransactionControl::Rollback)
        ) {
            open = None;
        }
    }
    None
}

/// The statements of `script` before statement `number` (1-based), as the progress table's
/// `prefix_checksum` hashes them.
pub(crate) fn prefix_checksum(script: &Script, number: usize) -> Vec<u8> {
    let statements = script.statements();
    let end = number.saturating_sub(1).min(statements.len());
    progress::prefix_checksum(statements[..end].iter().map(|s| s.text(script.sql())))
}

/// [`locate`] for `text` sent after `skipped` characters of our own (the guard and the
/// `SET LOCAL` prefix), and possibly followed by more: `None` when the server pointed outside
/// `text`.
pub(crate) fn locate_in(
    text: &str,
    skipped: usize,
    error: &tokio_postgres::Error,
) -> Option<Location> {
    let position = match error.as_db_error()?.position()? {
        ErrorPosition::Original(p) => *p as usize,
        ErrorPosition::Internal { .. } => return None,
    };
    let in_text = position.checked_sub(skipped).filter(|&p| p > 0)?;
    (in_text <= text.chars().count()).then(|| line_column(text, in_text - 1))
}

/// Maps the server's error position (1-based characters into the text sent, which starts at byte
/// `offset` of `text`) to a line and column of `text`.
pub(crate) fn locate(text: &str, offset: usize, error: &tokio_postgres::Error) -> Option<Location> {
    let position = match error.as_db_error()?.position()? {
        ErrorPosition::Original(p) => *p as usize,
        // Errors inside a function body: the position is in the body; the server's context
        // (`where`) names the function, which is in the source chain.
        ErrorPosition::Internal { .. } => return None,
    };
    let chars_before = text[..offset].chars().count();
    Some(line_column(text, chars_before + position.saturating_sub(1)))
}

/// The 1-based line and column of character `target` of `text` (the end when past it).
fn line_column(text: &str, target: usize) -> Location {
    let mut line = 1;
    let mut column = 1;
    for (i, c) in text.chars().enumerate() {
        if i == target {
            return Location { line, column };
        }
        if c == '\n' {
            line += 1;
            column = 1;
        } else {
            column += 1;
        }
    }
    Location { line, column }
}
