//! The text of one exchange: the lock statement, the history check, the script and the history
//! row (see [`super::pipeline`] for how exchanges are sent), and what its answer says.

use migrations_core::Script;
use tokio_postgres::SimpleQueryMessage;

use super::Migrator;
use crate::apply;
use crate::direction::Direction;
use crate::history::{Method, Values};

/// What the runner knows of the database when its fast path starts.
#[derive(Debug, Clone, Copy)]
pub(super) struct Context {
    /// The progress table exists.
    pub progress: bool,
    /// Backend pid of the connection, for watching who blocks its statements.
    pub pid: i32,
    /// The history table does not exist yet: the first exchange creates it (and its progress
    /// table) in the same transaction as the first revision.
    pub bootstrap: bool,
}

/// The markers of the two refusals (lock busy, history not as expected), in the error raised.
pub(super) const BUSY: &str = "app_db: migration lock busy";
pub(super) const STALE: &str = "app_db: history changed";

impl Migrator<'_> {
    /// The exchange running revision `index` as the `position`th of a chain starting from a
    /// history of `base` rows, whose previous revision is `previous`; and the number of
    /// characters before the script.
    pub(super) fn exchange(
        &self,
        index: usize,
        direction: Direction,
        base: usize,
        position: usize,
        previous: Option<usize>,
        context: Context,
    ) -> (usize, String) {
        let revision = &self.migrations.as_slice()[index];
        let history = self.table.qualified();
        let (rows, before) = match direction {
            Direction::Up => (base + position, "NOT EXISTS"),
            Direction::Down => (base.saturating_sub(position), "EXISTS"),
        };
        let mut stale = format!("(SELECT count(*) FROM {history}) <> {rows}");
        let mut ddl = String::new();
        // Once the first exchange of a fresh database committed, the progress table exists.
        let mut progress = context.progress || context.bootstrap;
        if let (true, 0, Some((exists, create))) =
            (context.bootstrap, position, self.table.bootstrap_sql())
        {
            (stale, ddl, progress) = (exists, format!("{create}\n"), false);
        }
        if let Some(previous) = previous {
            let version = self.migrations.as_slice()[previous].version();
            stale += &format!(
                " OR {before} (SELECT FROM {history} WHERE version = {})",
                crate::quote::escaped(version)
            );
        }
        if progress {
            let table = self.table.progress();
            stale += &format!(" OR EXISTS (SELECT FROM {})", table.qualified());
        }
        // Two statements: a statement reads with the snapshot taken when it starts, so a check
        // in the statement taking the lock could miss what the lock's previous holder committed
        // between that start and the lock. The error branches carry clock_timestamp() so that the planner
        // cannot fold them into an error raised whatever the condition.
        let guard = format!(
            "SELECT CASE WHEN pg_try_advisory_xact_lock({key}) THEN {limits} ELSE ('{BUSY} ' || clock_timestamp())::int END;\n\
             SELECT CASE WHEN {stale} THEN ('{STALE} ' || clock_timestamp())::int END;\n{ddl}",
            key = self.table.lock_key(),
            limits = self.timeouts.for_revision(revision).set_config_sql(),
        );
        // The whole exchange is one message, so statement_timestamp() is when the server
        // started on it: the history row carries the revision's duration as the server saw it.
        let elapsed_ms =
            "(EXTRACT(EPOCH FROM clock_timestamp() - statement_timestamp()) * 1000)::bigint";
        let values = Values::Literal {
            revision,
            method: Method::Upgrade,
            duration: elapsed_ms,
            escaped: true,
        };
        let record = match direction {
            Direction::Up => format!("{} RETURNING duration_ms;", self.table.insert_sql(values)),
            Direction::Down => format!("{} RETURNING {elapsed_ms};", self.table.delete_sql(values)),
        };
        let script = apply::script(revision, direction).sql();
        // The script's last statement may lack its `;` or end in a `--` comment.
        let sql = format!("{guard}{script}\n;\n{record}");
        (guard.chars().count(), sql)
    }
}

/// Whether `script` has a savepoint statement (`SAVEPOINT`, `RELEASE`, `ROLLBACK TO`), which
/// PostgreSQL refuses in an implicit transaction ("SAVEPOINT can only be used in transaction
/// blocks"); the slow path runs the revision in an explicit one. (A transactional revision has
/// no other `ROLLBACK`: the build refuses transaction control that does not wrap the file.)
pub(super) fn uses_savepoints(script: &Script) -> bool {
    script
        .statements()
        .iter()
        .any(|s| match s.keywords.as_slice() {
            [first, ..] if first == "SAVEPOINT" || first == "RELEASE" => true,
            [first, rest @ ..] => first == "ROLLBACK" && rest.iter().any(|w| w == "TO"),
            [] => false,
        })
}

/// The milliseconds the exchange's last statement returned (the history row's duration).
pub(super) fn returned_ms(messages: &[SimpleQueryMessage]) -> i64 {
    let last = messages.iter().rev().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0),
        _ => None,
    });
    last.and_then(|v| v.parse().ok()).unwrap_or(0)
}
