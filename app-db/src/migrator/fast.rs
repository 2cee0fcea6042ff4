//! The fast path: what a command needs to know read in one exchange, and each transactional
//! revision applied in one exchange.
//!
//! A revision goes to the server as one multi-statement simple query, which PostgreSQL runs as
//! one implicit transaction: a guard statement that takes the runners' lock with
//! `pg_try_advisory_xact_lock` and checks that the history still has the rows this runner knows
//! of, the revision's `SET LOCAL` limits, the script, and the history row. If the guard fails
//! (the lock is busy, or another runner changed the history), it raises an error, the server
//! skips the rest and rolls back, and the runner takes the slow path (a transaction of its own,
//! waiting for the lock and re-reading the history). If the script fails, the whole exchange
//! rolls back with it. Nothing is left open when the future is dropped mid-exchange: the server
//! finishes or rolls back the implicit transaction on its own.

use std::time::Instant;

use migrations_core::{Migrations, Revision, TransactionMode};
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient};

use super::{after, next_step, Migrator, Step};
use crate::apply::{self, ApplyError, Direction, Watch};
use crate::blockers::Side;
use crate::history::{quote_escaped, AppliedRevision};
use crate::plan::State;
use crate::target::describe_level;
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

/// The markers of the guard's two failures, in the error they raise.
const BUSY: &str = "app_db: migration lock busy";
const STALE: &str = "app_db: history changed";

/// The history as this runner knows it: the rows, and which revisions they apply (kept up to
/// date step by step, so a turn costs no pass over the rows).
pub(super) struct Known {
    rows: Vec<AppliedRevision>,
    applied: Vec<bool>,
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
    fn step(mut self, migrations: &Migrations, index: usize, direction: Direction) -> Self {
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
    /// A revision was applied (or reverted): the step and the history now.
    Stepped(Step, Known),
    /// This turn needs the slow path (lock busy, history changed, a `no-transaction` or an
    /// irreversible revision next): the rows as known before it.
    Slow(Vec<AppliedRevision>),
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

    /// One turn towards `level` from the history rows `rows`, which this runner knows to be
    /// current unless the guard finds otherwise.
    pub(super) async fn fast_turn(
        &self,
        client: &Client,
        known: Known,
        (progress, pid): (bool, i32),
        direction: Direction,
        level: usize,
    ) -> Result<Turn, MigrateError> {
        let Some(index) = next_step(&known.applied, direction, level) else {
            return Ok(Turn::Finished(State::new(self.migrations, known.rows)));
        };
        let revision = &self.migrations.as_slice()[index];
        let slow = revision.up().transaction() == TransactionMode::None
            || (direction == Direction::Down && revision.is_irreversible());
        if slow {
            return Ok(Turn::Slow(known.rows));
        }
        let current = known.applied.iter().rposition(|&a| a).map_or(0, |i| i + 1);
        let still_at = describe_level(self.migrations, current);
        let rows = known.rows.len();
        let watch = Watch {
            timeouts: self.timeouts.for_revision(revision),
            pid,
            side: self.connect.as_ref().map_or(Side::None, Side::Open),
        };
        let (prefix, sql) = self.one_exchange(revision, direction, rows, progress, &watch);
        let started = Instant::now();
        let (result, lock_wait) = watch.run(client.batch_execute(&sql)).await;
        let Err(source) = result else {
            let ms = started.elapsed().as_millis() as i64;
            let known = known.step(self.migrations, index, direction);
            return Ok(Turn::Stepped(Step::of(revision, direction, ms), known));
        };
        let message = source
            .as_db_error()
            .map(|e| e.message())
            .unwrap_or_default();
        if message.contains(BUSY) || message.contains(STALE) {
            return Ok(Turn::Slow(known.rows));
        }
        let script = apply::script(revision, direction);
        if source.as_db_error().is_none() {
            // The connection failed with the exchange in flight: it may have committed.
            return Err(ApplyError::Commit {
                revision: revision.label(),
                source,
            }
            .into());
        }
        Err(ApplyError::Script {
            revision: revision.label(),
            direction: direction.as_str(),
            file: script.file().to_owned(),
            location: apply::locate_in(script.sql(), prefix, &source),
            still_at,
            lock_wait,
            source,
        }
        .into())
    }

    /// The exchange applying `revision`, and the number of characters before the script.
    fn one_exchange(
        &self,
        revision: &Revision,
        direction: Direction,
        rows: usize,
        progress: bool,
        watch: &Watch<'_>,
    ) -> (usize, String) {
        let history = self.table.qualified();
        let unfinished = match progress {
            true => format!(
                " OR EXISTS (SELECT FROM {})",
                crate::progress::table(&self.table).qualified()
            ),
            false => String::new(),
        };
        // The error branches carry clock_timestamp() so that the planner cannot fold them into
        // an error raised whatever the condition.
        let guard = format!(
            "SELECT CASE WHEN NOT pg_try_advisory_xact_lock({key}) THEN ('{BUSY} ' || clock_timestamp())::int \
             WHEN (SELECT count(*) FROM {history}) <> {rows}{unfinished} THEN ('{STALE} ' || clock_timestamp())::int \
             ELSE length(set_config('app_db.started', clock_timestamp()::text, true)) END;\n{limits}",
            key = self.table.lock_key(),
            limits = watch.timeouts.set_local_sql(),
        );
        let record = match direction {
            Direction::Up => format!(
                "INSERT INTO {history} (version, name, checksum, checksum_algorithm, duration_ms, method) \
                 VALUES ({}, {}, decode('{}', 'hex'), {}, \
                 (EXTRACT(EPOCH FROM clock_timestamp() - current_setting('app_db.started')::timestamptz) * 1000)::bigint, 'upgrade');",
                quote_escaped(revision.version()),
                quote_escaped(revision.name()),
                revision.checksum().to_hex(),
                revision.checksum_algorithm().id(),
            ),
            Direction::Down => format!(
                "DELETE FROM {history} WHERE version = {};",
                quote_escaped(revision.version())
            ),
        };
        let script = apply::script(revision, direction).sql();
        // The script's last statement may lack its `;` or end in a `--` comment.
        let sql = format!("{guard}{script}\n;\n{record}");
        (guard.chars().count(), sql)
    }
}
