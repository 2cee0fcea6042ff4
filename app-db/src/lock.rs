//! Serialising concurrent runners.
//!
//! Every write (one revision, one stamp) runs in a transaction that first takes a
//! transaction-scoped advisory lock (`pg_advisory_xact_lock`). The server releases it at commit
//! or rollback and when the connection drops, so no error, panic or cancelled future can leak it,
//! and it works through a transaction-pooling proxy. Waiting is bounded by `lock_timeout`; a
//! timeout names the holder.

use std::time::Duration;

use thiserror::Error;
use tokio_postgres::error::SqlState;
use tokio_postgres::{Client, GenericClient, Transaction};

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum LockError {
    /// Another session held the lock for longer than the timeout.
    #[error("timed out after {waited:?} waiting for the migration lock{}: another runner is migrating; wait for it, or stop it (SELECT pg_terminate_backend(pid)) if it is stuck", holder.as_ref().map(|h| format!(" held by pid {} for {:.1}s ({})", h.pid, h.held_for_secs, h.describe())).unwrap_or_default())]
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
}

/// The session holding the lock.
#[derive(Debug, Clone, PartialEq)]
pub struct LockHolder {
    /// Backend pid.
    pub pid: i32,
    /// Seconds since its transaction (or session) started.
    pub held_for_secs: f64,
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
        match &self.client_addr {
            Some(addr) => format!("{app} from {addr}, {}", self.state),
            None => format!("{app}, {}", self.state),
        }
    }
}

/// Takes the lock `key` inside the open transaction `tx`, waiting at most `timeout`.
/// `session_lock_timeout` is the session's own `lock_timeout`, restored for the statements that
/// follow so the lock wait limit does not leak into the migration's SQL.
///
/// A [`LockError::Timeout`] returned here has no holder yet: the caller drops `tx` (rolling it
/// back) and completes the error with [`identify_holder`] on the freed client.
pub async fn take(
    tx: &Transaction<'_>,
    key: i64,
    timeout: Duration,
    session_lock_timeout: &str,
) -> Result<(), LockError> {
    acquire(tx, Scope::Transaction, key, timeout, session_lock_timeout).await
}

/// Takes the lock `key` for the session of `client` (for work outside a transaction); the caller
/// releases it with `pg_advisory_unlock`. Errors as [`take`]; on an error the lock is not held.
pub async fn take_session(
    client: &Client,
    key: i64,
    timeout: Duration,
    session_lock_timeout: &str,
) -> Result<(), LockError> {
    acquire(client, Scope::Session, key, timeout, session_lock_timeout).await
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Scope {
    Transaction,
    Session,
}

async fn acquire(
    client: &impl GenericClient,
    scope: Scope,
    key: i64,
    timeout: Duration,
    session_lock_timeout: &str,
) -> Result<(), LockError> {
    let (local, lock) = match scope {
        Scope::Transaction => (true, "SELECT pg_advisory_xact_lock($1)::text"),
        Scope::Session => (false, "SELECT pg_advisory_lock($1)::text"),
    };
    let set = "SELECT set_config('lock_timeout', $1, $2)";
    let millis = timeout.as_millis().max(1).to_string();
    client
        .query_one(set, &[&millis, &local])
        .await
        .map_err(|source| LockError::Query { source })?;
    let locked = client.query_one(lock, &[&key]).await;
    // After a timeout inside a transaction this fails too (the transaction is aborted); the
    // rollback that follows restores the setting anyway.
    let restored = client
        .query_one(set, &[&session_lock_timeout, &local])
        .await;
    match (locked, restored) {
        (Err(e), _) if e.code() == Some(&SqlState::LOCK_NOT_AVAILABLE) => Err(LockError::Timeout {
            waited: timeout,
            holder: None,
        }),
        (Err(source), _) => Err(LockError::Query { source }),
        (Ok(_), Err(source)) => {
            // Locked, but the caller will not get to unlock: a session lock must not stay behind
            // (a transaction lock goes with the rollback).
            if scope == Scope::Session {
                let _ = client
                    .query_one("SELECT pg_advisory_unlock($1)", &[&key])
                    .await;
            }
            Err(LockError::Query { source })
        }
        (Ok(_), Ok(_)) => Ok(()),
    }
}

/// The session's own `lock_timeout`, which [`take`] restores after waiting for the lock.
pub async fn session_lock_timeout(client: &Client) -> Result<String, LockError> {
    let row = client
        .query_one("SELECT current_setting('lock_timeout')", &[])
        .await
        .map_err(|source| LockError::Query { source })?;
    Ok(row.get(0))
}

/// Adds the current holder to a [`LockError::Timeout`] (other errors pass through).
pub async fn identify_holder(error: LockError, client: &Client, key: i64) -> LockError {
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
pub async fn holder(
    client: &Client,
    key: i64,
) -> Result<Option<LockHolder>, tokio_postgres::Error> {
    // A bigint advisory key is stored as classid = high 32 bits, objid = low 32 bits. Advisory
    // locks are per database: the same key held in another database is not our holder
    // (regression: parallel tests named another database's runner).
    let classid = (key >> 32) & 0xffff_ffff;
    let objid = key & 0xffff_ffff;
    let row = client
        .query_opt(
            "SELECT l.pid, EXTRACT(EPOCH FROM now() - COALESCE(a.xact_start, a.backend_start))::float8,
                    COALESCE(a.application_name, ''), host(a.client_addr), COALESCE(a.state, '')
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
               AND l.classid = $1::bigint::oid AND l.objid = $2::bigint::oid
             LIMIT 1",
            &[&classid, &objid],
        )
        .await?;
    Ok(row.map(|r| LockHolder {
        pid: r.get(0),
        held_for_secs: r.get(1),
        application: r.get(2),
        client_addr: r.get(3),
        state: r.get(4),
    }))
}
