//! The fast path's writes: each transactional revision in one exchange, and several exchanges
//! in flight at once.
//!
//! A revision goes to the server as one multi-statement simple query, which PostgreSQL runs as
//! one implicit transaction: a statement taking the runners' lock with
//! `pg_try_advisory_xact_lock` and making the revision's limits (`set_config(..., true)` is
//! `SET LOCAL`), a statement checking that the history is the one this runner expects at that
//! point, the script, and the history row. If the lock is busy or the history is not as
//! expected, the statement raises, the server skips the rest of the exchange and rolls it back,
//! and the runner takes the slow path. If the script fails, the whole exchange rolls back with it.
//! A revision using savepoints takes the slow path: PostgreSQL refuses `SAVEPOINT` in an
//! implicit transaction.
//!
//! The runner does not wait for one exchange's answer before sending the next: [`DEPTH`] are in
//! flight, and the server runs them in order, each its own transaction. Each check expects the
//! history as it will be once every earlier exchange has committed: the row count, and the
//! previous revision of the chain present (going up) or absent (going down). So when one
//! exchange fails, every later one finds the history short of what it expects and rolls back
//! before its script runs, and nothing runs out of order. Each exchange already sent commits
//! whole on the server or rolls back, even if the future is dropped: dropping an upgrade can
//! leave the revision running and the one queued behind it applied, never more.

use std::collections::VecDeque;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

use futures_util::future::{maybe_done, MaybeDone};
use migrations_core::{Revision, Script, TransactionMode};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::fast::{Known, Turn};
use super::run::next_step;
use super::{Migrator, Step};
use crate::apply::{self, ApplyError, Direction, Watch};
use crate::blockers::Side;
use crate::history::quote_escaped;
use crate::plan::State;
use crate::target::describe_level;
use crate::MigrateError;

/// How many exchanges a runner keeps in flight: one running and one queued behind it is enough
/// that the server does not wait for the runner between two trivial revisions (measured: 2, 4
/// and 16 in flight apply 500 trivial revisions in the same time), and bounds what a dropped
/// upgrade leaves running on the server to those two.
const DEPTH: usize = 2;

/// The markers of the guard's two failures, in the error they raise.
const BUSY: &str = "app_db: migration lock busy";
const STALE: &str = "app_db: history changed";

type Exchange<'c> = Pin<
    Box<dyn Future<Output = Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>> + Send + 'c>,
>;

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

/// One exchange sent: which revision it runs and where its script starts.
struct Sent {
    index: usize,
    /// Its place in the chain.
    position: usize,
    /// Characters before the script, to place a script error's position in its file.
    prefix: usize,
}

/// What a failed exchange means for the run.
enum Failure {
    /// The lock was busy or the history not as expected: the slow path decides.
    Slow,
    /// The revision failed: the run stops with this error.
    Fatal(Box<MigrateError>),
}

impl Migrator<'_> {
    /// Applies (or reverts) the revisions towards `level` that can go fast, in a row, from the
    /// history `known`; the steps taken are added to `steps`.
    pub(super) async fn fast_run(
        &self,
        client: &Client,
        known: Known,
        context: Context,
        direction: Direction,
        level: usize,
        steps: &mut Vec<Step>,
    ) -> Result<Turn, MigrateError> {
        let chain = self.fast_chain(&known.applied, direction, level);
        if chain.is_empty() {
            return Ok(match next_step(&known.applied, direction, level) {
                None => Turn::Finished(State::new(self.migrations, known.rows)),
                // Rows read from a history that does not exist yet are not worth keeping.
                Some(_) => Turn::Slow((!context.bootstrap).then_some(known.rows)),
            });
        }
        let base = known.rows.len();
        let mut known = known;
        let mut queue: VecDeque<(Sent, MaybeDone<Exchange<'_>>)> = VecDeque::new();
        let mut failure = None;
        let mut sent = 0;
        loop {
            while queue.len() < DEPTH && sent < chain.len() && failure.is_none() {
                let previous = sent.checked_sub(1).map(|p| chain[p]);
                let (prefix, sql) =
                    self.exchange(chain[sent], direction, base, sent, previous, context);
                let work: Exchange<'_> = Box::pin(async move { client.simple_query(&sql).await });
                let head = Sent {
                    index: chain[sent],
                    position: sent,
                    prefix,
                };
                queue.push_back((head, maybe_done(work)));
                sent += 1;
            }
            if queue.is_empty() {
                break;
            }
            let revision = &self.migrations.as_slice()[queue[0].0.index];
            let watch = Watch {
                timeouts: self.timeouts.for_revision(revision),
                pid: context.pid,
                side: self.connect.as_ref().map_or(Side::None, Side::Open),
            };
            let (result, lock_wait) = watch.run(head(&mut queue)).await;
            let Some((head, _)) = queue.pop_front() else {
                break;
            };
            match result {
                Ok(messages) => {
                    let ms = returned_ms(&messages);
                    known = known.step(self.migrations, head.index, direction);
                    steps.push(Step::of(revision, direction, ms));
                }
                // Only the first failure counts: the exchanges after it fail their guards.
                // Creating the history may have met another runner's, or a missing privilege:
                // the slow path creates it step by step, with its own errors.
                Err(_) if failure.is_none() && context.bootstrap && head.position == 0 => {
                    failure = Some(Failure::Slow);
                }
                Err(source) if failure.is_none() => {
                    let current = known.applied.iter().rposition(|&a| a).map_or(0, |i| i + 1);
                    let still_at = describe_level(self.migrations, current);
                    failure = Some(failed(
                        revision, direction, &head, still_at, lock_wait, source,
                    ));
                }
                Err(_) => {}
            }
        }
        match failure {
            None => Ok(Turn::Stepped(known)),
            // Exchanges after the failed one may still have committed (another runner can
            // have applied the revision that failed here): the slow path reads afresh.
            Some(Failure::Slow) => Ok(Turn::Slow(None)),
            Some(Failure::Fatal(error)) => Err(*error),
        }
    }

    /// The revisions the fast path runs next, in order, from the applied flags `applied`: the
    /// steps towards `level` up to the first that needs the slow path (a `no-transaction`
    /// revision, or an irreversible one going down).
    fn fast_chain(&self, applied: &[bool], direction: Direction, level: usize) -> Vec<usize> {
        let mut flags = applied.to_vec();
        let mut chain = Vec::new();
        while let Some(index) = next_step(&flags, direction, level) {
            let revision = &self.migrations.as_slice()[index];
            let slow = revision.up().transaction() == TransactionMode::None
                || (direction == Direction::Down && revision.is_irreversible())
                || uses_savepoints(apply::script(revision, direction));
            if slow {
                break;
            }
            flags[index] = direction == Direction::Up;
            chain.push(index);
        }
        chain
    }

    /// The exchange running revision `index` as the `position`th of a chain starting from a
    /// history of `base` rows, whose previous revision is `previous`; and the number of
    /// characters before the script.
    fn exchange(
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
                quote_escaped(version)
            );
        }
        if progress {
            let table = crate::progress::table(&self.table);
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
        let record = match direction {
            Direction::Up => format!(
                "INSERT INTO {history} (version, name, checksum, checksum_algorithm, duration_ms, method) \
                 VALUES ({}, {}, decode('{}', 'hex'), {}, {elapsed_ms}, 'upgrade') RETURNING duration_ms;",
                quote_escaped(revision.version()),
                quote_escaped(revision.name()),
                revision.checksum().to_hex(),
                revision.checksum_algorithm().id(),
            ),
            Direction::Down => format!(
                "DELETE FROM {history} WHERE version = {} RETURNING {elapsed_ms};",
                quote_escaped(revision.version())
            ),
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
fn uses_savepoints(script: &Script) -> bool {
    script
        .statements()
        .iter()
        .any(|s| match s.keywords.as_slice() {
            [first, ..] if first == "SAVEPOINT" || first == "RELEASE" => true,
            [first, rest @ ..] => first == "ROLLBACK" && rest.iter().any(|w| w == "TO"),
            [] => false,
        })
}

/// Waits for the oldest exchange in flight, polling the later ones too (in order, so each is
/// sent as soon as it is queued, and the server receives them in chain order).
async fn head<'c>(
    queue: &mut VecDeque<(Sent, MaybeDone<Exchange<'c>>)>,
) -> Result<Vec<SimpleQueryMessage>, tokio_postgres::Error> {
    std::future::poll_fn(|cx| {
        for (_, work) in queue.iter_mut() {
            let _ = Pin::new(work).poll(cx);
        }
        match queue
            .front_mut()
            .map(|(_, work)| Pin::new(work).take_output())
        {
            Some(Some(output)) => Poll::Ready(output),
            Some(None) => Poll::Pending,
            // The caller only waits on a non-empty queue.
            None => Poll::Ready(Ok(Vec::new())),
        }
    })
    .await
}

/// The milliseconds the exchange's last statement returned (the history row's duration).
fn returned_ms(messages: &[SimpleQueryMessage]) -> i64 {
    let last = messages.iter().rev().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0),
        _ => None,
    });
    last.and_then(|v| v.parse().ok()).unwrap_or(0)
}

/// What the failure `source` of `revision`'s exchange means.
fn failed(
    revision: &Revision,
    direction: Direction,
    sent: &Sent,
    still_at: String,
    lock_wait: Option<apply::LockWait>,
    source: tokio_postgres::Error,
) -> Failure {
    let message = source
        .as_db_error()
        .map(|e| e.message())
        .unwrap_or_default();
    if message.contains(BUSY) || message.contains(STALE) {
        return Failure::Slow;
    }
    let error = match source.as_db_error() {
        // The connection failed with the exchange in flight: it may have committed.
        None => ApplyError::Commit {
            revision: revision.label(),
            source,
        },
        Some(_) => {
            let script = apply::script(revision, direction);
            ApplyError::Script {
                revision: revision.label(),
                direction: direction.as_str(),
                file: script.file().to_owned(),
                location: apply::locate_in(script.sql(), sent.prefix, &source),
                still_at,
                lock_wait,
                source,
            }
        }
    };
    Failure::Fatal(Box::new(error.into()))
}
