//! Who blocks a migration statement: watched from a second session while the statement runs,
//! so that a lock timeout can name the session holding the lock (once the statement has given
//! up, the server no longer says what it was waiting for).

use std::future::Future;
use std::time::Duration;

use tokio_postgres::types::Type;
use tokio_postgres::Client;

use crate::connect::{ConnectOptions, DedicatedConnection};

/// A session that held a lock a migration statement waited for.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Blocker {
    /// Backend pid.
    pub pid: i32,
    /// `application_name` (empty when unset).
    pub application: String,
    /// `pg_stat_activity.state`, e.g. `idle in transaction`.
    pub state: String,
    /// Seconds since its transaction (or session) started.
    pub held_for_secs: f64,
    /// The start of its current or last query.
    pub query: String,
}

impl Blocker {
    /// "pid 123 (psql, idle in transaction, transaction open for 42.0s, last query `...`)".
    pub fn describe(&self) -> String {
        let app = match self.application.as_str() {
            "" => "no application_name",
            name => name,
        };
        let query = self.query.lines().next().unwrap_or_default().trim();
        format!(
            "pid {} ({app}, {}, transaction open for {:.1}s, last query `{query}`)",
            self.pid, self.state, self.held_for_secs
        )
    }
}

/// Where the watcher looks from.
#[derive(Clone, Copy)]
pub(crate) enum Side<'a> {
    /// An idle connection of the caller's.
    Client(&'a Client),
    /// Open a connection, but only once the statement has run for a while.
    Open(&'a ConnectOptions),
    /// No second session: blockers are not looked up.
    None,
}

/// Runs `work` (statements on the session with backend `pid`) while looking, from `side`, for
/// the sessions blocking it: first after `first`, then every `first`. Returns `work`'s output
/// and the blockers seen last (empty when nothing blocked it, or it finished before the
/// first look).
pub(crate) async fn watch<T>(
    work: impl Future<Output = T>,
    pid: i32,
    side: Side<'_>,
    first: Duration,
) -> (T, Vec<Blocker>) {
    if matches!(side, Side::None) {
        return (work.await, Vec::new());
    }
    tokio::pin!(work);
    let mut seen = Vec::new();
    let mut opened: Option<DedicatedConnection> = None;
    let mut tick = tokio::time::interval_at(tokio::time::Instant::now() + first, first);
    loop {
        tokio::select! {
            output = &mut work => return (output, seen),
            _ = tick.tick() => {
                let client = match (&side, &mut opened) {
                    (Side::Client(client), _) => Some(*client),
                    (Side::Open(_), Some(own)) => Some(own.client_ref()),
                    (Side::Open(options), None) => {
                        // A failure to connect only costs the blocker's name.
                        opened = options.connect_dedicated().await.ok();
                        opened.as_ref().map(DedicatedConnection::client_ref)
                    }
                    (Side::None, _) => None,
                };
                if let Some(client) = client {
                    if let Ok(now) = blockers(client, pid).await {
                        if !now.is_empty() {
                            seen = now;
                        }
                    }
                }
            }
        }
    }
}

/// The sessions blocking backend `pid` right now.
pub(crate) async fn blockers(
    client: &Client,
    pid: i32,
) -> Result<Vec<Blocker>, tokio_postgres::Error> {
    let rows = client
        .query_typed(
            "SELECT a.pid, COALESCE(a.application_name, ''), COALESCE(a.state, ''),
                    EXTRACT(EPOCH FROM now() - COALESCE(a.xact_start, a.backend_start))::float8,
                    left(COALESCE(a.query, ''), 200)
             FROM pg_stat_activity a WHERE a.pid = ANY (pg_blocking_pids($1)) ORDER BY a.pid",
            &[(&pid, Type::INT4)],
        )
        .await?;
    Ok(rows
        .iter()
        .map(|r| Blocker {
            pid: r.get(0),
            application: r.get(1),
            state: r.get(2),
            held_for_secs: r.get(3),
            query: r.get(4),
        })
        .collect())
}
