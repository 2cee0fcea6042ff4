//! The runner's loop: the fast path while the history is known ([`super::pipeline`]), and
//! otherwise a transaction of its own that waits for the lock and reads the history.

use migrations_core::Revision;
use tokio_postgres::{Client, GenericClient, Transaction};

use super::fast::{after, Known, Snapshot, Turn};
use super::{exchange, outside, Migrator, Outcome, Step};
use crate::apply::{self, ApplyError};
use crate::blockers::Side;
use crate::direction::Direction;
use crate::history::{AppliedRevision, HistoryError, Method};
use crate::lock;
use crate::plan::State;
use crate::progress::Interrupted;
use crate::target::describe_level;
use crate::MigrateError;

impl Migrator<'_> {
    /// Steps until the database is at `level`, checking the history under the lock before every
    /// revision so concurrent runners cooperate instead of colliding. While the history is
    /// known, a transactional revision takes one exchange ([`fast`]); otherwise, or when the
    /// lock is busy or the history changed, the turn opens a transaction, waits for the lock and
    /// re-reads the history.
    pub(super) async fn run(
        &self,
        client: &mut Client,
        direction: Direction,
        level: usize,
        start: Snapshot,
    ) -> Result<Outcome, MigrateError> {
        let key = self.table.lock_key();
        // What a refusal on the way names as the goal.
        let goal = describe_level(self.migrations, level);
        let mut steps = Vec::new();
        let mut cache = None;
        let (mut progress, pid) = (start.progress, start.pid);
        // A fresh database: the first exchange creates the history with the first revision.
        let mut bootstrap = !start.history && self.table.bootstrap_sql().is_some();
        // The rows known to be current: the start's when the history table exists (or is
        // about to be created).
        let mut known =
            (start.history || bootstrap).then(|| Known::new(self.migrations, start.applied));
        loop {
            if let Some(rows) = known.take() {
                let context = exchange::Context {
                    progress,
                    pid,
                    bootstrap,
                };
                let turn = self
                    .fast_run(client, rows, context, direction, level, &mut steps)
                    .await?;
                bootstrap = false;
                match turn {
                    Turn::Finished(state) => return Ok(self.outcome(steps, &state)),
                    Turn::Stepped(rows) => {
                        // The first exchange created the progress table with the history.
                        progress |= context.bootstrap;
                        known = Some(rows);
                        continue;
                    }
                    Turn::Slow(rows) => cache = rows.map(|rows| (rows, progress)),
                }
            }
            let (tx, pid) = locked_transaction!(self, client, key);
            let (applied, interrupted, has_progress) =
                self.locked_history(&tx, cache.take()).await?;
            progress = has_progress;
            let state = State::new(self.migrations, applied.clone()).with_interrupted(interrupted);
            state.check(self.migrations, self.overrides)?;
            // The plan again, from the history read under the lock, towards the level resolved at
            // the start: another runner may have moved the database since.
            let plan = self
                .plan_to(&state.applied(), direction, level)
                .runnable(self.migrations, &goal)?;
            let Some(&index) = plan.revisions.first() else {
                tx.commit()
                    .await
                    .map_err(|source| lock::LockError::Query { source })?;
                return Ok(self.outcome(steps, &state));
            };
            if let Some(baseline) = self.migrations.baseline() {
                if index < plan.covered(self.migrations) {
                    let still_at = describe_level(self.migrations, state.current_level());
                    let ran = self
                        .apply_baseline(tx, pid, baseline, direction, &still_at)
                        .await?;
                    steps.extend(ran);
                    // The next turn reads the history it wrote, under the lock.
                    continue;
                }
            }
            let revision = &self.migrations.as_slice()[index];
            if crate::code::own_session(revision, direction) {
                tx.commit()
                    .await
                    .map_err(|source| lock::LockError::Query { source })?;
                let step = self
                    .run_outside_transaction(client, revision, direction, outside::Start::Fresh)
                    .await?;
                steps.extend(step);
                continue;
            }
            let still_at = describe_level(self.migrations, state.current_level());
            let step = self
                .apply_in(tx, pid, revision, direction, &still_at)
                .await?;
            known = Some(Known::new(
                self.migrations,
                after(applied, revision, direction),
            ));
            steps.push(step);
        }
    }

    /// The history and the unfinished runs, read under the lock: the cached rows when the row
    /// counts show no other runner changed them since, else read afresh (creating the tables on
    /// the first write). The cache is the rows and whether the progress table exists.
    async fn locked_history(
        &self,
        tx: &Transaction<'_>,
        cache: Option<(Vec<AppliedRevision>, bool)>,
    ) -> Result<(Vec<AppliedRevision>, Vec<Interrupted>, bool), MigrateError> {
        if let Some((rows, progress)) = cache {
            if self.table.counts(tx, progress).await? == (rows.len() as i64, 0) {
                return Ok((rows, Vec::new(), progress));
            }
        }
        let progress = self.table.ensure(tx).await?;
        let applied = self.table.read_existing(tx).await?;
        let interrupted = crate::progress::read(tx, &self.table).await?;
        Ok((applied, interrupted, progress))
    }

    /// Runs one revision in `tx` together with its history row, and commits.
    async fn apply_in(
        &self,
        mut tx: Transaction<'_>,
        pid: i32,
        revision: &Revision,
        direction: Direction,
        still_at: &str,
    ) -> Result<Step, MigrateError> {
        let watch = apply::Watch {
            timeouts: self.timeouts.for_revision(revision),
            pid,
            // The caller's session is busy with the transaction: a second one is opened only
            // if a statement runs long enough to be worth watching.
            side: match &self.connect {
                Some(options) => Side::Open(options),
                None => Side::None,
            },
        };
        let ms = match crate::code::required(revision, direction)? {
            Some(code) => {
                apply::run_code(&mut tx, (revision, code), direction, still_at, watch).await?
            }
            None => apply::run_in_transaction(&tx, revision, direction, still_at, watch).await?,
        };
        self.commit_recorded(tx, revision, direction, ms).await?;
        Ok(Step::of(revision, direction, ms))
    }

    /// Writes (up) or deletes (down) the history row of `revision` in `tx`, clears its progress
    /// row if it has one (a batched revision's last batch), and commits.
    pub(super) async fn commit_recorded(
        &self,
        tx: Transaction<'_>,
        revision: &Revision,
        direction: Direction,
        ms: i64,
    ) -> Result<(), ApplyError> {
        let recorded = async {
            self.record(&tx, revision, direction, ms).await?;
            match crate::code::is_batched(apply::script(revision, direction)) {
                true => crate::progress::clear(&tx, &self.table, revision.version()).await,
                false => Ok(()),
            }
        };
        recorded.await.map_err(|source| ApplyError::Record {
            revision: revision.label(),
            source,
        })?;
        tx.commit().await.map_err(|source| ApplyError::Commit {
            revision: revision.label(),
            source,
        })
    }

    /// Writes (up) or deletes (down) the history row of `revision`.
    pub(crate) async fn record(
        &self,
        client: &impl GenericClient,
        revision: &Revision,
        direction: Direction,
        ms: i64,
    ) -> Result<(), HistoryError> {
        match direction {
            Direction::Up => {
                self.table
                    .insert(client, revision, Some(ms), Method::Upgrade)
                    .await
            }
            Direction::Down => self
                .table
                .delete(client, revision.version())
                .await
                .map(drop),
        }
    }
}
