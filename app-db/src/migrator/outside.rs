//! `no-transaction` revisions: statements one by one, outside any transaction, under a
//! session-level advisory lock that every return path releases, on a dedicated connection when
//! the runner can open one.

use migrations_core::Revision;
use tokio_postgres::Client;

use super::{Migrator, Step};
use crate::apply::{self, ApplyError, Direction};
use crate::lock;
use crate::plan::State;
use crate::MigrateError;

impl Migrator<'_> {
    /// A `no-transaction` revision: statements run one by one under a session-level lock, which
    /// is released on every return path. Returns `None` when another runner did it meanwhile.
    pub(super) async fn run_outside_transaction(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        key: i64,
    ) -> Result<Option<Step>, MigrateError> {
        match &self.connect {
            Some(options) => {
                // A connection of our own: if this future is dropped, so is the connection, and
                // the server ends the session (statement and lock with it) once it notices.
                // A plain Client would keep its socket open while the statement is in flight;
                // a dedicated connection aborts its task, and so closes the socket, on drop.
                let mut own = options.connect_dedicated().await?;
                // PostgreSQL 14+: notice a vanished client within a second even mid-statement.
                let _ = own
                    .client()
                    .batch_execute("SET client_connection_check_interval = '1s'")
                    .await;
                self.run_locked_on(own.client(), revision, direction, key)
                    .await
            }
            None => self.run_locked_on(client, revision, direction, key).await,
        }
    }

    /// Takes the session lock on `client`, runs the statements, releases the lock.
    async fn run_locked_on(
        &self,
        client: &mut Client,
        revision: &Revision,
        direction: Direction,
        key: i64,
    ) -> Result<Option<Step>, MigrateError> {
        let mut wait = lock::Wait::new(self.lock_timeout);
        while !lock::try_take_session(client, key).await? {
            if let Err(e) = wait.pause().await {
                return Err(lock::identify_holder(e, client, key).await.into());
            }
        }
        let result = self
            .run_statements_locked(client, revision, direction)
            .await;
        if result.is_err() {
            // The file may have opened its own transaction before failing; an aborted transaction
            // would refuse the unlock below (regression: the lock stayed held). Outside a
            // transaction this is a harmless warning.
            let _ = client.batch_execute("ROLLBACK").await;
        }
        let unlocked = client
            .query_one("SELECT pg_advisory_unlock($1)", &[&key])
            .await;
        // A statement error is the one to report; if the unlock failed too, the connection is
        // broken, and the server releases the lock when it closes.
        let step = result?;
        unlocked.map_err(|source| lock::LockError::Query { source })?;
        Ok(step)
    }

    async fn run_statements_locked(
        &self,
        client: &Client,
        revision: &Revision,
        direction: Direction,
    ) -> Result<Option<Step>, MigrateError> {
        self.table.ensure(client).await?;
        let state = State::new(self.migrations, self.table.read_existing(client).await?);
        let index = self
            .migrations
            .position(revision.version())
            .expect("revision comes from this table");
        let applied = state.rows[index].is_some();
        if applied != (direction == Direction::Down) {
            return Ok(None);
        }
        let ms = apply::run_statements(client, revision, direction).await?;
        self.record(client, revision, direction, ms)
            .await
            .map_err(|source| ApplyError::NotRecorded {
                revision: revision.label(),
                source,
            })?;
        Ok(Some(Step::of(revision, direction, ms)))
    }
}
