//! Many runners at once, and a lock held by someone else.

use std::time::Duration;

use migrations_runtime::error::LockError;
use migrations_runtime::{MigrateError, Migrator};
use tokio_postgres::Client;

use crate::common::{self, Gate};

/// Runners on one empty database, where each one's first exchange also creates the history
/// table: every revision is applied and reported exactly once, every runner ends at head.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_runners_apply_each_revision_once() {
    for round in 0..3 {
        let (db, client) = common::fresh().await;
        let dir = common::tables(20);
        let m = std::sync::Arc::new(common::load(dir.path()));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (m, config) = (m.clone(), db.config().clone());
            tasks.push(tokio::spawn(async move {
                let mut client = common::connect(&config).await;
                Migrator::client_only(&m).upgrade(&mut client, "head").await
            }));
        }
        let mut steps = Vec::new();
        for task in tasks {
            let outcome = task
                .await
                .expect("task")
                .unwrap_or_else(|e| panic!("round {round}: every runner succeeds: {e}"));
            assert!(outcome.at_head, "round {round}");
            steps.extend(outcome.steps.into_iter().map(|s| s.version));
        }
        steps.sort();
        let expected: Vec<String> = (1..=20).map(|i| format!("{i:03}")).collect();
        assert_eq!(
            steps, expected,
            "round {round}: each revision applied by exactly one runner"
        );
        assert_eq!(common::recorded(&client).await, expected, "round {round}");
    }
}

#[tokio::test]
async fn lock_timeout_names_the_holder() {
    let (db, mut client) = common::fresh().await;
    let dir = common::tables(1);
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m).with_lock_timeout(Duration::from_millis(300));
    let holder = db.connect().await.expect("second connection");
    holder.batch_execute("BEGIN").await.expect("begin");
    let pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pid")
        .get(0);
    holder
        .query_one(
            "SELECT pg_advisory_xact_lock($1)::text",
            &[&migrator.table().lock_key()],
        )
        .await
        .expect("lock");
    let err = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("times out");
    match &err {
        MigrateError::Lock(LockError::Timeout {
            holder: Some(h), ..
        }) => assert_eq!(h.pid, pid),
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
    assert!(
        !common::history_exists(&client, "public.schema_revisions").await,
        "nothing ran"
    );
    holder.batch_execute("ROLLBACK").await.expect("release");
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect("proceeds once released");
}

/// Regression guard for lock leaks: an upgrade cancelled mid-revision (its future dropped, as a
/// timeout or a panicking task would) must not keep the lock, and must not leave half a revision.
/// The revision in flight was sent as one exchange, which the server finishes on its own: it
/// commits whole (script and history row) or not at all, and the next runner completes the rest.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_upgrade_leaks_no_lock_and_no_partial_revision() {
    let (db, mut client) = common::fresh().await;
    let slow = format!("CREATE TABLE slow (id int);\n{}", Gate::wait_sql());
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (id int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        ("002_slow/up.sql", &slow),
        ("002_slow/down.sql", "DROP TABLE slow;"),
    ]);
    let m = common::load(dir.path());
    let gate = Gate::closed(&db).await;
    let observer = db.connect().await.expect("observer");
    let runner = common::backend_pid(&client).await;
    let waiter = common::cancel_when(
        Migrator::client_only(&m).upgrade(&mut client, "head"),
        "the upgrade to stop at the gate inside 002",
        || gate.waiter(),
    )
    .await;
    assert_eq!(waiter, runner, "the runner's session waits inside 002");
    assert_eq!(
        common::recorded(&observer).await,
        ["001"],
        "cancelled after 001 committed, with 002 in flight"
    );
    drop(client);
    gate.open().await;
    let mut other = db.connect().await.expect("second runner");
    let outcome = Migrator::client_only(&m)
        .with_lock_timeout(Duration::from_secs(30))
        .upgrade(&mut other, "head")
        .await
        .expect("the lock was released");
    let ran: Vec<&str> = outcome.steps.iter().map(|s| s.version.as_str()).collect();
    assert!(
        ran.is_empty() || ran == ["002"],
        "001 committed; 002 committed whole by the cancelled exchange, or not at all: {ran:?}"
    );
    assert_eq!(common::recorded(&other).await, ["001", "002"]);
    let slow: Option<String> = other
        .query_one("SELECT to_regclass('slow')::text", &[])
        .await
        .expect("lookup")
        .get(0);
    assert_eq!(slow.as_deref(), Some("slow"));
}

/// Regression (review H3): cancelling an upgrade in the middle of a `no-transaction` revision
/// left the session lock with the caller's connection. With connect options the revision runs on
/// a connection of the runner's own, which the cancellation closes: the server cancels the
/// statement and releases the lock, and the history does not claim the revision.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cancelled_no_transaction_revision_releases_the_lock() {
    let (db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (x int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_idx/up.sql",
            "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);",
        ),
        ("002_idx/down.sql", "-- drop it by hand\n"),
    ]);
    let m = common::load(dir.path());
    let options = migrations_runtime::ConnectOptions::from_config(db.config().clone());
    Migrator::client_only(&m)
        .upgrade(&mut client, "001")
        .await
        .expect("001");
    // Block the concurrent index build behind another session's table lock.
    let blocker = db.connect().await.expect("blocker");
    blocker
        .batch_execute("BEGIN; LOCK TABLE a IN SHARE UPDATE EXCLUSIVE MODE")
        .await
        .expect("lock a");
    let observer = db.connect().await.expect("observer");
    let runner = Migrator::client_only(&m).with_connect_options(options);
    common::cancel_when(
        runner.upgrade(&mut client, "head"),
        "002's index build to wait for table a while holding the migration lock",
        || index_build_waits_under_the_lock(&observer, &runner),
    )
    .await;
    common::wait_until(
        "the migration lock to be released after the cancellation",
        || async { holder(&observer, &runner).await.is_none().then_some(()) },
    )
    .await;
    blocker.batch_execute("ROLLBACK").await.expect("release a");
    assert_eq!(
        common::recorded(&client).await,
        ["001"],
        "002 is not claimed"
    );
}

/// The pid of the session whose index build waits for a lock on table `a` while it holds
/// `runner`'s migration lock, if there is one.
async fn index_build_waits_under_the_lock(observer: &Client, runner: &Migrator<'_>) -> Option<i32> {
    let waiting: Option<i32> = observer
        .query_opt(
            "SELECT pid FROM pg_locks WHERE relation = 'a'::regclass AND NOT granted",
            &[],
        )
        .await
        .expect("pg_locks")
        .map(|row| row.get(0));
    let holding = holder(observer, runner).await;
    waiting.filter(|&pid| holding == Some(pid))
}

/// The pid of the session holding `runner`'s migration lock, if one does.
async fn holder(observer: &Client, runner: &Migrator<'_>) -> Option<i32> {
    runner
        .lock_holder(observer)
        .await
        .expect("pg_locks")
        .map(|h| h.pid)
}

/// `CREATE INDEX CONCURRENTLY` waits for every transaction holding an older snapshot to end.
/// Runners waiting for the lock inside the server (blocked in `pg_advisory_xact_lock`, snapshot
/// held) and the runner building the index under that lock would wait for each other; the
/// server then aborts one with "deadlock detected". Waiters poll with `pg_try_advisory_xact_lock`
/// in short transactions instead, so every runner finishes.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn waiting_runners_do_not_deadlock_create_index_concurrently() {
    let (db, client) = common::fresh().await;
    let dir = common::dir(&[
        (
            "001_a/up.sql",
            "CREATE TABLE a (x int);\nINSERT INTO a SELECT g FROM generate_series(1, 200000) g;",
        ),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_idx/up.sql",
            "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);\nCREATE INDEX CONCURRENTLY a_x2 ON a ((x * 2));",
        ),
        (
            "002_idx/down.sql",
            "DROP INDEX CONCURRENTLY a_x2;\nDROP INDEX CONCURRENTLY a_x;",
        ),
        ("003_b/up.sql", "CREATE TABLE b (id int);"),
        ("003_b/down.sql", "DROP TABLE b;"),
    ]);
    let m = std::sync::Arc::new(common::load(dir.path()));
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (m, config) = (m.clone(), db.config().clone());
        tasks.push(tokio::spawn(async move {
            let mut client = common::connect(&config).await;
            let options = migrations_runtime::ConnectOptions::from_config(config);
            Migrator::client_only(&m)
                .with_connect_options(options)
                .with_lock_timeout(Duration::from_secs(120))
                .upgrade(&mut client, "head")
                .await
        }));
    }
    let mut applied = Vec::new();
    for task in tasks {
        let outcome = task
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("every runner succeeds: {e}"));
        assert!(outcome.at_head);
        applied.extend(outcome.steps.into_iter().map(|s| s.version));
    }
    applied.sort();
    assert_eq!(applied, ["001", "002", "003"], "each revision ran once");
    let valid = common::valid_indexes(&client, "a").await;
    assert_eq!(valid, 2, "both indexes were built and are valid");
}

/// The fast path keeps one exchange queued behind the one running. Dropping the upgrade future
/// (a caller's timeout, a `select!` on Ctrl-C) can therefore leave at most those two to commit on
/// the server, never the rest of the run (review: with 16 in flight, 16 revisions committed
/// after the drop).
#[tokio::test]
async fn a_dropped_upgrade_leaves_at_most_two_revisions_committing() {
    let (db, mut client) = common::fresh().await;
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 1..=12 {
        // 004 stops at the gate: the run is dropped there, with 002 and 003 committed.
        let wait = if i == 4 {
            Gate::wait_sql()
        } else {
            String::new()
        };
        common::write(
            dir.path(),
            &[
                (
                    &format!("{i:03}_t{i}/up.sql"),
                    &format!("{wait}\nCREATE TABLE t{i} (id int);"),
                ),
                (
                    &format!("{i:03}_t{i}/down.sql"),
                    &format!("DROP TABLE t{i};"),
                ),
            ],
        );
    }
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m);
    migrator.upgrade(&mut client, "001").await.expect("001");
    let gate = Gate::closed(&db).await;
    let observer = db.connect().await.expect("observer");
    let runner = common::backend_pid(&client).await;
    let waiter = common::cancel_when(
        migrator.upgrade(&mut client, "head"),
        "the upgrade to stop at the gate inside 004",
        || gate.waiter(),
    )
    .await;
    assert_eq!(waiter, runner, "the runner's session waits inside 004");
    let at_cancel = common::recorded(&observer).await;
    assert_eq!(
        at_cancel,
        ["001", "002", "003"],
        "dropped mid-run: 002 and 003 committed, 004 in flight"
    );
    gate.open().await;
    // The server answers a connection's queries in the order they came: once this round trip
    // is answered, every exchange the dropped upgrade sent before it has committed or rolled back.
    client
        .simple_query("SELECT 1")
        .await
        .expect("the runner's connection is still open");
    assert_eq!(
        holder(&observer, &migrator).await,
        None,
        "nothing of the dropped run holds the migration lock"
    );
    let later = common::recorded(&observer).await.len();
    assert!(
        later <= at_cancel.len() + 2,
        "{} revisions committed after the upgrade future was dropped",
        later - at_cancel.len()
    );
}
