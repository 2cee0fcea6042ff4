//! `no-transaction` revisions: statements one by one, outside any transaction, under a
//! session-level advisory lock that every return path releases, on a dedicated connection when
//! the runner can open one. Progress is recorded statement by statement (see
//! [`crate::progress`]). Batched Rust revisions share the session, the lock and the progress
//! table, batch by batch ([`batches`]).

use migrations_core::Revision;
use tokio_postgres::types::Type;
use tokio_postgres::Client;

use super::{Migrator, Step};
use crate::apply::{self, ApplyError, Watch};
use crate::blockers::Side;
use crate::direction::Direction;
use crate::lock;
use crate::plan::State;
use crate::progress::{self, Interrupted};
use crate::timeouts::Timeouts;
use crate::MigrateError;

mod batches;
mod session;

/// Where a `no-transaction` run starts.
#[derive(Debug, Clone, Copy)]
pub(super) enum Start<'a> {
    /// A fresh run from statement 1, unless another runner did it meanwhile.
    Fresh,
    /// `migrate resolve --retry`: the interrupted run, and the statement to start from.
    Resume(&'a Interrupted, usize),
}

impl Migrator<'_> {
    /// A `no-transaction` revision: statements run one by one under a session-level lock, which
    /// is released on every return path. Returns `None` when another runner did it meanwhile.
    pub(super) async fn run_outside_transaction(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        start: Start<'_>,
    ) -> Result<Option<Step>, MigrateError> {
        let timeouts = self.timeouts.for_revision(revision);
        let Some(options) = &self.connect else {
            // Refused before the command ran anything (`Migrator::needs_connection`); this
            // keeps a caller of this function from reaching the statements without one.
            return Err(ApplyError::NeedsConnection {
                revision: revision.label(),
            }
            .into());
        };
        // A connection of our own: if this future is dropped, so is the connection, and the
        // server ends the session (statement and lock with it) once it notices. A plain Client
        // would keep its socket open while the statement is in flight; a dedicated connection
        // aborts its task, and so closes the socket, on drop.
        let mut own = session::open(options, &timeouts, revision).await?;
        // The caller's connection is idle meanwhile: it watches for blockers.
        let side = Side::Client(&*client);
        self.run_locked_on(own.client(), revision, direction, start, (timeouts, side))
            .await
    }

    /// Takes the session lock on `client`, runs the statements, releases the lock.
    async fn run_locked_on(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        start: Start<'_>,
        (timeouts, side): (Timeouts, Side<'_>),
    ) -> Result<Option<Step>, MigrateError> {
        let key = self.table.lock_key();
        let pid = wait_for_lock!(self, client, key, |client| {
            lock::try_take_session(client, key).await?
        });
        let watch = Watch {
            timeouts,
            pid,
            side,
        };
        let result = self
            .run_statements_locked(client, revision, direction, start, watch)
            .await;
        let unlocked = client
            .query_typed("SELECT pg_advisory_unlock($1)", &[(&key, Type::INT8)])
            .await;
        // A statement error is the one to report; if the unlock failed too, the connection is
        // broken, and the server releases the lock when it closes.
        let step = result?;
        unlocked.map_err(|source| lock::LockError::Query { source })?;
        Ok(step)
    }

    async fn run_statements_locked(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        start: Start<'_>,
        watch: Watch<'_>,
    ) -> Result<Option<Step>, MigrateError> {
        if !self.table.ensure(&*client).await? {
            self.table.ensure_progress(&*client).await?;
        }
        let applied = self.table.read_existing(&*client).await?;
        let mut interrupted = progress::read(&*client, &self.table).await?;
        let (from, cursor) = match start {
            Start::Fresh => match interrupted
                .iter()
                .position(|i| i.version == revision.version() && i.resumes())
            {
                // A batched run that stopped between batches: carry on after the last one, with
                // the code it ran with (other code could redo or skip work).
                Some(position) if interrupted[position].direction == direction => {
                    let stopped = interrupted.remove(position);
                    let script = apply::script(revision, direction);
                    if stopped.prefix_checksum != crate::code::checksum(script) {
                        return Err(crate::plan::PlanError::CodeChanged {
                            revision: revision.label(),
                            version: stopped.version,
                            file: script.file().to_owned(),
                            batch: stopped.statement,
                        }
                        .into());
                    }
                    (stopped.statement, stopped.cursor)
                }
                Some(position) => {
                    let stopped = &interrupted[position];
                    return Err(
                        crate::plan::PlanError::interrupted(self.migrations, stopped).into(),
                    );
                }
                None => (1, None),
            },
            Start::Resume(expected, from) => {
                // Under the lock: the row must still be the one the caller checked.
                let position = interrupted.iter().position(|i| i == expected);
                let Some(position) = position else {
                    return Err(crate::resolve::ResolveError::Changed {
                        version: expected.version.clone(),
                    }
                    .into());
                };
                (from, interrupted.remove(position).cursor)
            }
        };
        let state = State::new(self.migrations, applied).with_interrupted(interrupted);
        state.check(self.migrations, self.overrides)?;
        let index = self
            .migrations
            .position(revision.version())
            .expect("revision comes from this table");
        let is_applied = state.rows[index].is_some();
        if is_applied != (direction == Direction::Down) {
            return Ok(None);
        }
        if let Some(code) = crate::code::required(revision, direction)? {
            let resume = (from, cursor.as_deref().filter(|c| !c.is_empty()));
            let code = (revision, code);
            return self
                .run_batches(client, code, direction, resume)
                .await
                .map(Some);
        }
        let ms =
            match apply::run_statements(&*client, &self.table, revision, direction, from, watch)
                .await
            {
                Ok(ms) => ms,
                Err(error) => {
                    return Err(self
                        .record_failure(client, revision, direction, error)
                        .await)
                }
            };
        self.settle(client, revision, direction, Some(ms))
            .await
            .map_err(|source| ApplyError::NotRecorded {
                revision: revision.label(),
                source,
            })?;
        Ok(Some(Step::of(revision, direction, ms)))
    }

    /// Records (up) or removes (down) the history row of `revision` and clears its progress row,
    /// in one transaction.
    pub(super) async fn settle(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        ms: Option<i64>,
    ) -> Result<(), crate::history::HistoryError> {
        let query = |source| crate::history::HistoryError::Query {
            table: self.table.qualified(),
            source,
        };
        let tx = client.transaction().await.map_err(query)?;
        match (direction, ms) {
            (Direction::Up, Some(ms)) => self.record(&tx, revision, direction, ms).await?,
            (Direction::Up, None) => {
                let method = crate::history::Method::Stamp;
                self.table.insert(&tx, revision, None, method).await?
            }
            (Direction::Down, _) => self.record(&tx, revision, direction, 0).await?,
        }
        progress::clear(&tx, &self.table, revision.version()).await?;
        tx.commit().await.map_err(query)
    }

    /// After a statement failed: leaves the session usable and records where the script stopped
    /// and why, so the next run refuses until `migrate resolve` settles it. Returns `error`.
    async fn record_failure(
        &self,
        client: &Client,
        revision: &Revision,
        direction: Direction,
        error: ApplyError,
    ) -> MigrateError {
        let ApplyError::Statement {
            applied,
            total,
            ref source,
            ..
        } = error
        else {
            return error.into();
        };
        // The file may have opened its own transaction before failing; an aborted transaction
        // would refuse what follows (regression: the lock stayed held). Outside a transaction
        // this is a harmless warning.
        let _ = client.batch_execute("ROLLBACK").await;
        let message = progress::failure_text(source);
        let script = apply::script(revision, direction);
        let prefix = apply::prefix_checksum(script, applied + 1);
        let position = (applied + 1, total);
        // If this fails too the connection is gone; the "running" row written before the
        // statement still makes the next run refuse.
        let _ = progress::write(
            client,
            &self.table,
            revision.version(),
            direction,
            position,
            &prefix,
            Some(&message),
        )
        .await;
        error.into()
    }
}
