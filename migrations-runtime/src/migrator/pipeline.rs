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
use migrations_core::{Revision, TransactionMode};
use tokio_postgres::{Client, SimpleQueryMessage};

use super::exchange::{returned_ms, uses_savepoints, Context, BUSY, STALE};
use super::fast::{Known, Turn};
use super::{Migrator, Step};
use crate::apply::{self, ApplyError, Watch};
use crate::blockers::Side;
use crate::direction::Direction;
use crate::plan::{self, State};
use crate::target::describe_level;
use crate::MigrateError;

/// How many exchanges a runner keeps in flight: one running and one queued behind it is enough
/// that the server does not wait for the runner between two trivial revisions (measured: 2, 4
/// and 16 in flight apply 500 trivial revisions in the same time), and bounds what a dropped
/// upgrade leaves running on the server to those two.
const DEPTH: usize = 2;

type Exchange<'c> = Pin<
    Box<dyn Future<Output = Result<Vec<SimpleQueryMessage>, tokio_postgres::Error>> + Send + 'c>,
>;

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
        let plan = self.plan_to(&known.applied, direction, level);
        let chain = self.fast_chain(&plan);
        if chain.is_empty() {
            return Ok(match plan.revisions.is_empty() {
                true => Turn::Finished(State::new(self.migrations, known.rows)),
                // Rows read from a history that does not exist yet are not worth keeping.
                false => Turn::Slow((!context.bootstrap).then_some(known.rows)),
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
                let sent_one = Sent {
                    index: chain[sent],
                    position: sent,
                    prefix,
                };
                queue.push_back((sent_one, maybe_done(work)));
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
                // Only the first failure counts: the exchanges after it fail their checks.
                Err(source) if failure.is_none() => {
                    let failed = Failed {
                        sent: &head,
                        direction,
                        lock_wait,
                        source,
                    };
                    failure = Some(self.failure(failed, context, &known));
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

    /// The revisions the fast path runs next, in order: the plan's up to the first that needs
    /// the slow path (a `no-transaction` revision, an irreversible one going down, one using
    /// savepoints, Rust code, which is not a text to send, or one the baseline replaces).
    fn fast_chain(&self, plan: &plan::Plan) -> Vec<usize> {
        let direction = plan.direction;
        // The baseline runs on the slow path, and a squashed revision not at all.
        let covered = plan.covered(self.migrations);
        let fast = |&index: &usize| {
            let revision = &self.migrations.as_slice()[index];
            !(index < covered
                || revision.is_squashed()
                || revision.up().transaction() == TransactionMode::None
                || (direction == Direction::Down && revision.is_irreversible())
                || apply::script(revision, direction).is_rust()
                || uses_savepoints(apply::script(revision, direction)))
        };
        plan.revisions
            .iter()
            .copied()
            .take_while(|i| fast(i))
            .collect()
    }
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

/// An exchange that failed, and how.
struct Failed<'s> {
    sent: &'s Sent,
    direction: Direction,
    lock_wait: Option<apply::LockWait>,
    source: tokio_postgres::Error,
}

impl Migrator<'_> {
    /// What the failure of an exchange means for the run, given the history `known` as the
    /// exchanges before it left it.
    fn failure(&self, failed: Failed<'_>, context: Context, known: &Known) -> Failure {
        // Creating the history may have met another runner's, or a missing privilege: the slow
        // path creates it step by step, with its own errors.
        if context.bootstrap && failed.sent.position == 0 {
            return Failure::Slow;
        }
        let current = known.applied.iter().rposition(|&a| a).map_or(0, |i| i + 1);
        let still_at = describe_level(self.migrations, current);
        let revision = &self.migrations.as_slice()[failed.sent.index];
        classify(revision, failed, still_at)
    }
}

/// What the failure of `revision`'s exchange means: the slow path for a busy lock or a changed
/// history, else the error to report.
fn classify(revision: &Revision, failed: Failed<'_>, still_at: String) -> Failure {
    let Failed {
        sent,
        direction,
        lock_wait,
        source,
    } = failed;
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
