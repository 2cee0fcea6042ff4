//! Dropping the test databases that crashed test processes left behind.
//!
//! A test database is named `appdb_test_<pid>_<random>` after the process that made it. When
//! that process no longer exists, nobody has it open and no failing test asked to keep it, it
//! is dropped. Only on a server on this machine: a pid means nothing on another host.

use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config};

/// True when `config` reaches a server on this machine (a Unix socket or a loopback address).
pub(super) fn is_local(config: &Config) -> bool {
    let hosts = config.get_hosts();
    !hosts.is_empty()
        && hosts.iter().all(|host| match host {
            Host::Unix(_) => true,
            Host::Tcp(name) => matches!(name.as_str(), "localhost" | "127.0.0.1" | "::1"),
        })
}

/// Drops every abandoned test database. Best effort: a database that cannot be dropped now is
/// tried again by the next run.
pub(super) async fn abandoned_databases(client: &Client) {
    // One sweeper at a time: processes starting together would race to drop the same list,
    // and every DROP DATABASE forces a checkpoint. The lock goes with the connection.
    let sweeper = client
        .query_one(
            "SELECT pg_try_advisory_lock(hashtext('app-db test sweep'))",
            &[],
        )
        .await;
    if !sweeper.is_ok_and(|row| row.get::<_, bool>(0)) {
        return;
    }
    let rows = client
        .query(
            "SELECT d.datname::text FROM pg_database d
             WHERE d.datname ~ '^appdb_test_[0-9]+_'
               AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datid = d.oid)
               AND coalesce(shobj_description(d.oid, 'pg_database'), '') NOT LIKE 'app-db: kept%'",
            &[],
        )
        .await;
    let Ok(rows) = rows else { return };
    for row in rows {
        let name: String = row.get(0);
        if creator(&name).is_some_and(|pid| !process_exists(pid)) {
            let sql = format!("DROP DATABASE IF EXISTS {}", crate::quote::ident(&name));
            let _ = client.batch_execute(&sql).await;
        }
    }
}

/// The pid in a test database's name.
fn creator(name: &str) -> Option<u32> {
    name.strip_prefix("appdb_test_")?
        .split('_')
        .next()?
        .parse()
        .ok()
}

fn process_exists(pid: u32) -> bool {
    std::path::Path::new(&format!("/proc/{pid}")).exists()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_creator_is_read_from_the_name() {
        assert_eq!(creator("appdb_test_4242_0123456789ab"), Some(4242));
        assert_eq!(creator("appdb_test_x_0123"), None);
        assert_eq!(creator("test_4242"), None);
    }

    #[test]
    fn only_sockets_and_loopback_are_local() {
        let local: Config = "host=/tmp,localhost user=u".parse().expect("parses");
        assert!(is_local(&local));
        let remote: Config = "postgres://u@db.example.com/x".parse().expect("parses");
        assert!(!is_local(&remote));
        assert!(process_exists(std::process::id()));
    }
}
