//! `lock_timeout` and `statement_timeout` of the revisions' statements: a default for all,
//! overridden per revision by directive; a lock timeout names the session that held the lock.

use std::time::{Duration, Instant};

use migrations_runtime::error::ApplyError;
use migrations_runtime::ConnectOptions;
use migrations_runtime::Timeouts;
use migrations_runtime::{MigrateError, Migrator};

use crate::common;

fn set(second: (&'static str, &'static str)) -> tempfile::TempDir {
    common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (x int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        ("002_b/up.sql", second.0),
        ("002_b/down.sql", second.1),
    ])
}

/// The pids a lock-timeout error names as blockers (panics on any other error).
fn blocker_pids(err: &MigrateError) -> Vec<i32> {
    let wait = match err {
        MigrateError::Apply(ApplyError::Script { lock_wait, .. })
        | MigrateError::Apply(ApplyError::Statement { lock_wait, .. }) => lock_wait.as_ref(),
        _ => None,
    };
    let wait = wait.unwrap_or_else(|| panic!("not a lock timeout: {err}"));
    wait.blockers.iter().map(|b| b.pid).collect()
}

/// Another session holding a lock on `a` (idle in transaction, as a forgotten psql would),
/// and its pid.
async fn hold(
    db: &migrations_runtime::testing::TestDatabase,
    mode: &str,
) -> (tokio_postgres::Client, i32) {
    let holder = db.connect().await.expect("holder");
    holder
        .batch_execute(&format!(
            "SET application_name = 'report-job'; BEGIN; LOCK TABLE a IN {mode} MODE"
        ))
        .await
        .expect("lock a");
    let pid = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    (holder, pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lock_timeout_directive_names_the_blocking_session() {
    let (db, mut client) = common::fresh().await;
    let dir = set((
        "-- migrate: lock-timeout=400ms\nALTER TABLE a ADD COLUMN y int;",
        "ALTER TABLE a DROP COLUMN y;",
    ));
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m)
        .with_connect_options(ConnectOptions::from_config(db.config().clone()));
    migrator.upgrade(&mut client, "001").await.expect("001");
    let (holder, pid) = hold(&db, "ACCESS SHARE").await;
    let before = common::snapshot(&client).await;
    let started = Instant::now();
    let err = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("times out");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "the directive's 400ms, not the 10s default"
    );
    let text = err.to_string();
    assert!(
        matches!(&err, MigrateError::Apply(ApplyError::Script { .. })),
        "{text}"
    );
    assert_eq!(blocker_pids(&err), [pid], "{text}");
    for part in [
        "revision 002_b failed (up) in `002_b/up.sql`",
        "timed out waiting for a lock (lock_timeout 400ms) held by pid",
        "report-job, idle in transaction",
        "last query `SELECT pg_backend_pid()`",
        &format!("SELECT pg_terminate_backend({pid})"),
        "the database is still at 001_a",
    ] {
        assert!(text.contains(part), "missing {part:?} in {text}");
    }
    assert_eq!(common::snapshot(&client).await, before, "rolled back");
    holder.batch_execute("ROLLBACK").await.expect("release");
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect("proceeds once released");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_lock_timeout_applies_outside_a_transaction_too() {
    let (db, mut client) = common::fresh().await;
    let dir = set((
        "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);",
        "DROP INDEX CONCURRENTLY a_x;",
    ));
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m)
        .with_connect_options(ConnectOptions::from_config(db.config().clone()))
        .with_timeouts(Timeouts {
            lock: Some(Duration::from_millis(500)),
            statement: None,
        });
    migrator.upgrade(&mut client, "001").await.expect("001");
    let (holder, pid) = hold(&db, "SHARE UPDATE EXCLUSIVE").await;
    let err = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("times out");
    let text = err.to_string();
    assert!(
        matches!(
            &err,
            MigrateError::Apply(ApplyError::Statement { statement: 1, .. })
        ),
        "{text}"
    );
    assert_eq!(blocker_pids(&err), [pid], "{text}");
    assert!(
        text.contains("timed out waiting for a lock (lock_timeout 500ms) held by pid"),
        "{text}"
    );
    holder.batch_execute("ROLLBACK").await.expect("release");
    // The failure was recorded; resolve retries it now that the lock is free.
    migrator
        .resolve(&mut client, "002", migrations_runtime::Resolution::Retry)
        .await
        .expect("retry");
    assert_eq!(common::recorded(&client).await, ["001", "002"]);
}

#[tokio::test]
async fn statement_timeout_directive_stops_a_long_statement() {
    let (_db, mut client) = common::fresh().await;
    let dir = set((
        "-- migrate: statement-timeout=300ms\nCREATE TABLE b (id int);\nSELECT pg_sleep(5);",
        "DROP TABLE b;",
    ));
    let m = common::load(dir.path());
    let started = Instant::now();
    let err = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect_err("cancelled");
    assert!(started.elapsed() < Duration::from_secs(4));
    match &err {
        MigrateError::Apply(ApplyError::Script { source, .. }) => {
            let message = source
                .as_db_error()
                .map(|e| e.message())
                .unwrap_or_default();
            assert!(message.contains("statement timeout"), "{message}");
        }
        other => panic!("unexpected {other}"),
    }
    assert_eq!(
        common::recorded(&client).await,
        ["001"],
        "002 rolled back, 001 kept"
    );
    let none: Option<String> = client
        .query_one("SELECT to_regclass('b')::text", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(none, None);
}
