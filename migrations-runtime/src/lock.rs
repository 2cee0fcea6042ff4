//! Serialising concurrent runners.
//!
//! Every write (one revision, one stamp) runs in a transaction that first takes a
//! transaction-scoped advisory lock (`pg_try_advisory_xact_lock`). The server releases it at
//! commit or rollback and when the connection drops, so no error, panic or cancelled future can
//! leak it, and it works through a transaction-pooling proxy. A runner that finds the lock taken
//! rolls back, pauses and tries again ([`Wait`]), never waiting inside the server (see
//! [`try_take`] for why); waiting is bounded, and a timeout names the holder.

use std::time::{Duration, Instant};

use thiserror::Error;
use tokio_postgres::types::Type;
use tokio_postgres::{Client, GenericClient, Transaction};

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another session held the lock for longer than the timeout.
    #[error("timed out after {waited:?} waiting for the migration lock{}: another runner is migrating; wait for it, or stop it (SELECT pg_terminate_backend(pid)) if it is stuck", holder.as_ref().map(|h| format!(" held by pid {} ({})", h.pid, h.describe())).unwrap_or_default())]
    Timeout {
        /// How long we waited.
        waited: Duration,
        /// Who holds it, if still held when we looked.
        holder: Option<LockHolder>,
    },
    /// The lock query itself failed.
    #[error("taking the migration lock failed")]
    Query {
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The server (or a proxy in front of it) answered something impossible.
    #[error("taking the migration lock failed: {detail}")]
    Protocol {
        /// What was wrong.
        detail: String,
    },
}

/// The session holding the lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockHolder {
    /// Backend pid.
    pub pid: i32,
    /// Seconds since its transaction started, or its session when it is in none. The lock is
    /// at most that old: runners take it at the start of their transaction (or, for a
    /// `no-transaction` revision, right after opening its session).
    pub held_for_secs: f64,
    /// Whether it is inside a transaction (a transaction-scoped lock, or a session lock taken
    /// in one).
    pub in_transaction: bool,
    /// `application_name`.
    pub application: String,
    /// Client address, if over TCP.
    pub client_addr: Option<String>,
    /// `pg_stat_activity.state`.
    pub state: String,
}

impl LockHolder {
    fn describe(&self) -> String {
        let app = if self.application.is_empty() {
            "no application_name"
        } else {
            &self.application
        };
        let scope = if self.in_transaction {
            "transaction"
        } else {
            "session"
        };
        let age = format!(
            "held at most {:.1}s: its {scope} began then",
            self.held_for_secs
        );
        match &self.client_addr {
            Some(addr) => format!("{app} from {addr}, {}, {age}", self.state),
            None => format!("{app}, {}, {age}", self.state),
        }
    }
}

/// Tries once to take the lock `key` inside the open transaction `tx`; `false` when another
/// session holds it. The caller rolls `tx` back before waiting (see [`Wait`]).
///
/// Runners never block inside the server waiting for the lock: a blocked statement holds a
/// snapshot, and `CREATE INDEX CONCURRENTLY` (run by the holder of the lock, in a
/// `no-transaction` revision) waits for every transaction holding an older snapshot to end. A
/// waiter blocked on the holder's lock and a holder waiting for the waiter deadlock (the server
/// then aborts one of them). A failed try ends its statement at once and its transaction is
/// rolled back, so a waiter never holds a snapshot for longer than one round trip.
///
/// Returns the backend pid of the transaction's session when the lock was taken (for looking up
/// who blocks the migration's statements later).
pub(crate) async fn try_take(tx: &Transaction<'_>, key: i64) -> Result<Option<i32>, LockError> {
    try_lock(
        tx,
        "SELECT pg_try_advisory_xact_lock($1), pg_backend_pid()",
        key,
    )
    .await
}

/// Tries once to take the lock `key` for the session of `client` (for work outside a
/// transaction); the caller releases it with `pg_advisory_unlock`.
pub(crate) async fn try_take_session(client: &Client, key: i64) -> Result<Option<i32>, LockError> {
    try_lock(
        client,
        "SELECT pg_try_advisory_lock($1), pg_backend_pid()",
        key,
    )
    .await
}

async fn try_lock(
    client: &impl GenericClient,
    sql: &str,
    key: i64,
) -> Result<Option<i32>, LockError> {
    // `query_typed`: one round trip with an unnamed statement, which also works through a
    // transaction-pooling proxy (a named statement prepared in one exchange may be gone in the
    // next, which the proxy can send to another server connection).
    let rows = client
        .query_typed(sql, &[(&key, Type::INT8)])
        .await
        .map_err(|source| LockError::Query { source })?;
    match rows.first() {
        Some(row) => Ok(row.get::<_, bool>(0).then(|| row.get(1))),
        // A SELECT of one function call returns one row; anything else is a broken proxy.
        None => Err(LockError::Protocol {
            detail: format!("`{sql}` returned no row"),
        }),
    }
}

/// The pauses between tries, up to a deadline.
#[derive(Debug)]
pub(crate) struct Wait {
    timeout: Duration,
    deadline: Instant,
    pause: Duration,
}

impl Wait {
    /// Starts waiting at most `timeout`.
    pub(crate) fn new(timeout: Duration) -> Self {
        Self {
            timeout,
            deadline: Instant::now() + timeout,
            pause: Duration::from_millis(2),
        }
    }

    /// Sleeps before the next try (2 ms, doubling to 100 ms, plus up to a millisecond of
    /// jitter so racing runners spread out); a [`LockError::Timeout`] without holder once the
    /// deadline has passed.
    pub(crate) async fn pause(&mut self) -> Result<(), LockError> {
        let now = Instant::now();
        if now >= self.deadline {
            return Err(LockError::Timeout {
                waited: self.timeout,
                holder: None,
            });
        }
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0);
        let jitter = Duration::from_micros(u64::from((nanos ^ std::process::id()) % 1000));
        let pause = (self.pause + jitter).min(self.deadline - now);
        tokio::time::sleep(pause).await;
        self.pause = (self.pause * 2).min(Duration::from_millis(100));
        Ok(())
    }
}

/// Adds the current holder to a [`LockError::Timeout`] (other errors pass through).
pub(crate) async fn identify_holder(error: LockError, client: &Client, key: i64) -> LockError {
    match error {
        LockError::Timeout {
            waited,
            holder: None,
        } => LockError::Timeout {
            waited,
            holder: holder(client, key).await.ok().flatten(),
        },
        other => other,
    }
}

/// The session currently holding advisory lock `key`, if any.
pub(crate) async fn holder(
    client: &impl GenericClient,
    key: i64,
) -> Result<Option<LockHolder>, tokio_postgres::Error> {
    // A bigint advisory key is stored as classid = high 32 bits, objid = low 32 bits. Advisory
    // locks are per database: the same key held in another database is not our holder
    // (regression: parallel tests named another database's runner).
    let classid = (key >> 32) & 0xffff_ffff;
    let objid = key & 0xffff_ffff;
    let row = client
        .query_typed_opt(
            "SELECT l.pid, EXTRACT(EPOCH FROM now() - COALESCE(a.xact_start, a.backend_start))::float8,
                    COALESCE(a.application_name, ''), host(a.client_addr), COALESCE(a.state, ''),
                    a.xact_start IS NOT NULL
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
             LIMIT 1",
            &[(&classid, Type::INT8), (&objid, Type::INT8)],
        )
        .await?;
    Ok(row.map(|r| LockHolder {
        pid: r.get(0),
        held_for_secs: r.get(1),
        application: r.get(2),
        client_addr: r.get(3),
        state: r.get(4),
        in_transaction: r.get(5),
    }))
}
