//! The fast path's reads: what a command needs to know in one exchange, the no-op boot check,
//! and the history as the runner knows it between its writes (see [`super::pipeline`] for the
//! writes).

use migrations_core::{Migrations, Revision};
use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

use super::Migrator;
use crate::direction::Direction;
use crate::history::{AppliedRevision, Method};
use crate::plan::State;
use crate::MigrateError;

/// What a command starts from, read in one exchange.
#[derive(Debug)]
pub(super) struct Snapshot {
    /// The history and unfinished runs matched against the binary.
    pub state: State,
    /// The history rows as read (known and unknown revisions).
    pub applied: Vec<AppliedRevision>,
    /// The history table exists.
    pub history: bool,
    /// The progress table exists.
    pub progress: bool,
    /// Backend pid of the connection, for watching who blocks its statements.
    pub pid: i32,
}

/// The history as this runner knows it: the rows, and which revisions they apply (kept up to
/// date step by step, so a turn costs no pass over the rows).
pub(super) struct Known {
    pub rows: Vec<AppliedRevision>,
    pub applied: Vec<bool>,
}

impl Known {
    /// The history `rows` matched against `migrations`.
    pub(super) fn new(migrations: &Migrations, rows: Vec<AppliedRevision>) -> Self {
        let mut applied = vec![false; migrations.len()];
        for row in &rows {
            if let Some(i) = migrations.position(&row.version) {
                applied[i] = true;
            }
        }
        Self { rows, applied }
    }

    /// After this runner ran revision `index` of `migrations`.
    pub(super) fn step(
        mut self,
        migrations: &Migrations,
        index: usize,
        direction: Direction,
    ) -> Self {
        let revision = &migrations.as_slice()[index];
        self.applied[index] = direction == Direction::Up;
        self.rows = after(self.rows, revision, direction);
        self
    }
}

/// One turn of the fast path.
pub(super) enum Turn {
    /// Nothing left to do: the state at the end.
    Finished(State),
    /// Revisions were applied (or reverted): the history now.
    Stepped(Known),
    /// This turn needs the slow path (lock busy, history changed, a `no-transaction` or an
    /// irreversible revision next): the rows known to be current, or `None` when the history
    /// must be read afresh.
    Slow(Option<Vec<AppliedRevision>>),
}

impl Migrator<'_> {
    /// Reads the history, the unfinished runs and the connection's backend pid, pipelined in
    /// one exchange. A missing table reads as empty (a fresh database, or one from before the
    /// progress table).
    pub(super) async fn snapshot(
        &self,
        client: &impl GenericClient,
    ) -> Result<Snapshot, MigrateError> {
        let history_sql = self.table.select_sql();
        let progress_sql = crate::progress::select_sql(&self.table);
        let (history, progress, pid) = tokio::join!(
            client.query_typed(&history_sql, &[]),
            client.query_typed(&progress_sql, &[]),
            client.query_typed("SELECT pg_backend_pid()", &[]),
        );
        let missing = |e: &tokio_postgres::Error| {
            let code = e.code();
            code == Some(&SqlState::UNDEFINED_TABLE) || code == Some(&SqlState::INVALID_SCHEMA_NAME)
        };
        let (applied, history) = match history {
            Ok(rows) => (self.table.parse_rows(&rows)?, true),
            Err(e) if missing(&e) => (Vec::new(), false),
            Err(e) => return Err(self.table.query_error(e).into()),
        };
        let progress_table = self.table.progress();
        let (interrupted, progress) = match progress {
            Ok(rows) => (crate::progress::parse_rows(&self.table, &rows)?, true),
            Err(e) if missing(&e) => (Vec::new(), false),
            Err(e) => return Err(progress_table.query_error(e).into()),
        };
        let pid = pid
            .map_err(|source| crate::lock::LockError::Query { source })?
            .first()
            .map_or(0, |r| r.get(0));
        // Read without the lock: a "running" row may be a live runner's, mid-revision. Only if
        // nobody holds the lock is its runner gone (the locked paths re-read under the lock).
        let live = interrupted.iter().any(|i| !i.failed())
            && crate::lock::holder(client, self.table.lock_key())
                .await
                .map_err(|source| crate::lock::LockError::Query { source })?
                .is_some();
        let mut state = State::new(self.migrations, applied.clone()).with_interrupted(interrupted);
        if live {
            state = state.with_live_runner();
        }
        Ok(Snapshot {
            state,
            applied,
            history,
            progress,
            pid,
        })
    }

    /// The no-op boot check (public: a health check can call it): true when the database has
    /// exactly this binary's revisions with their checksums, and no unfinished run. One
    /// exchange, one statement, no lock: on a new connection the server's cost is mostly
    /// loading the history table's catalog entries, so the statement touches nothing else it
    /// can avoid (an aggregate hashing the rows on the server cost more than sending them: its
    /// functions, sort and collation are catalog lookups too). Anything else (a missing table
    /// included) is `false`, and the caller reads the whole history.
    pub async fn is_at_head(&self, client: &impl GenericClient) -> Result<bool, MigrateError> {
        let sql = format!(
            "SELECT version, checksum_algorithm, checksum, EXISTS (SELECT FROM {}) FROM {}",
            self.table.progress().qualified(),
            self.table.qualified()
        );
        let Ok(rows) = client.query_typed(&sql, &[]).await else {
            return Ok(false);
        };
        // Versions are the history's key: as many rows as revisions, each one of them with its
        // checksum, is all of them.
        if rows.len() != self.migrations.len() {
            return Ok(false);
        }
        let revisions = self.migrations.as_slice();
        let matches = |row: &tokio_postgres::Row| -> Option<bool> {
            let version: &str = row.try_get(0).ok()?;
            let algorithm: i16 = row.try_get(1).ok()?;
            let checksum: &[u8] = row.try_get(2).ok()?;
            let unfinished: bool = row.try_get(3).ok()?;
            let revision = &revisions[self.migrations.position(version)?];
            // Exactly the version this runner writes: `position` also accepts spellings of it
            // (`0-01` for `001`), and two rows spelling one revision must not stand in for a
            // missing one.
            Some(
                revision.version() == version
                    && !unfinished
                    && revision.checksum_algorithm().id() == algorithm
                    && revision.checksum().0 == checksum,
            )
        };
        Ok(rows.iter().all(|row| matches(row) == Some(true)))
    }
}

/// The cached history after a revision was applied or reverted by this runner.
pub(super) fn after(
    mut rows: Vec<AppliedRevision>,
    revision: &Revision,
    direction: Direction,
) -> Vec<AppliedRevision> {
    match direction {
        Direction::Up => rows.push(AppliedRevision {
            version: revision.version().to_owned(),
            name: revision.name().to_owned(),
            checksum: revision.checksum().0.to_vec(),
            checksum_algorithm: revision.checksum_algorithm().id(),
            applied_at: String::new(),
            duration_ms: None,
            applied_by: String::new(),
            method: Method::Upgrade.as_str().to_owned(),
        }),
        Direction::Down => rows.retain(|r| r.version != revision.version()),
    }
    rows
}
