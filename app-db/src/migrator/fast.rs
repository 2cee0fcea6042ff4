//! The fast path's reads: what a command needs to know in one exchange, the no-op boot check,
//! and the history as the runner knows it between its writes (see [`super::pipeline`] for the
//! writes).

use migrations_core::{Migrations, Revision};
use tokio_postgres::error::SqlState;
use tokio_postgres::GenericClient;

use super::{after, Migrator};
use crate::apply::Direction;
use crate::history::AppliedRevision;
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
    pub fn new(migrations: &Migrations, rows: Vec<AppliedRevision>) -> Self {
        let mut applied = vec![false; migrations.len()];
        for row in &rows {
            if let Some(i) = migrations.position(&row.version) {
                applied[i] = true;
            }
        }
        Self { rows, applied }
    }

    /// After this runner ran revision `index` of `migrations`.
    pub fn step(mut self, migrations: &Migrations, index: usize, direction: Direction) -> Self {
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
        let progress_table = crate::progress::table(&self.table);
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
    /// exactly this binary's revisions with
    /// their checksums, and no unfinished run, which one exchange answers without sending the
    /// history over: the server hashes its rows, and the runner compares with the hash of its
    /// own table. Anything else (a missing table included) is `false`, and the caller reads the
    /// whole history.
    pub async fn is_at_head(&self, client: &impl GenericClient) -> Result<bool, MigrateError> {
        let digest_sql = format!(
            "SELECT count(*), sha256(COALESCE(string_agg(convert_to(version, 'UTF8') || '\\x3a'::bytea || int2send(checksum_algorithm) || checksum, '\\x2c'::bytea ORDER BY version COLLATE \"C\"), ''::bytea)) FROM {}",
            self.table.qualified()
        );
        let unfinished_sql = format!(
            "SELECT EXISTS (SELECT FROM {})",
            crate::progress::table(&self.table).qualified()
        );
        let (digest, unfinished) = tokio::join!(
            client.query_typed(&digest_sql, &[]),
            client.query_typed(&unfinished_sql, &[]),
        );
        let (Ok(digest), Ok(unfinished)) = (digest, unfinished) else {
            return Ok(false);
        };
        let (Some(digest), Some(unfinished)) = (digest.first(), unfinished.first()) else {
            return Ok(false);
        };
        let (rows, hash): (i64, Vec<u8>) = (digest.get(0), digest.get(1));
        let clean = !unfinished.get::<_, bool>(0);
        Ok(clean && rows == self.migrations.len() as i64 && hash == self.expected_digest())
    }

    /// The hash [`Migrator::is_at_head`] expects: sha256 over every revision as the bytes
    /// `version`, `:`, the algorithm id (2 bytes, big-endian), the checksum, ordered by version
    /// bytes (`COLLATE "C"`) and joined by `,`. Binary, so no hex formatting on either side.
    fn expected_digest(&self) -> Vec<u8> {
        let mut revisions: Vec<&Revision> = self.migrations.iter().collect();
        revisions.sort_unstable_by(|a, b| a.version().as_bytes().cmp(b.version().as_bytes()));
        let mut bytes = Vec::with_capacity(revisions.len() * 64);
        for (i, r) in revisions.iter().enumerate() {
            if i > 0 {
                bytes.push(b',');
            }
            bytes.extend_from_slice(r.version().as_bytes());
            bytes.push(b':');
            bytes.extend_from_slice(&r.checksum_algorithm().id().to_be_bytes());
            bytes.extend_from_slice(&r.checksum().0);
        }
        migrations_core::source::checksum_bytes(&bytes).0.to_vec()
    }
}
