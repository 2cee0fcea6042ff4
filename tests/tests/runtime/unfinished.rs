//! `no-transaction` revisions that stop part-way: the failure (or the interruption) is recorded
//! statement by statement, every later run refuses with the statement and the choices, and
//! `resolve` settles it.

use std::time::Duration;

use migrations_runtime::error::ApplyError;
use migrations_runtime::error::PlanError;
use migrations_runtime::error::ResolveError;
use migrations_runtime::ConnectOptions;
use migrations_runtime::Direction;
use migrations_runtime::Resolution;
use migrations_runtime::{MigrateError, Migrator};
use tokio_postgres::Client;

use crate::common::{self, Gate};

/// 001 runs outside a transaction; its second statement needs a column nobody created yet.
fn failing_set() -> tempfile::TempDir {
    common::dir(&[
        (
            "001_idx/up.sql",
            "-- migrate: no-transaction\nCREATE TABLE a (x int);\n\nCREATE INDEX CONCURRENTLY a_y\n    ON a (y);\nCREATE INDEX CONCURRENTLY a_x ON a (x);\n",
        ),
        ("001_idx/down.sql", "DROP TABLE a;\n"),
        ("002_b/up.sql", "CREATE TABLE b (id int);"),
        ("002_b/down.sql", "DROP TABLE b;"),
    ])
}

async fn progress_rows(client: &Client) -> Vec<(String, i32, Option<String>)> {
    client
        .query(
            "SELECT version, statement, error FROM schema_revisions_progress ORDER BY version",
            &[],
        )
        .await
        .expect("progress table")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect()
}

#[tokio::test]
async fn failed_statement_is_recorded_refused_and_retried_from_there() {
    let (db, mut client) = common::fresh().await;
    let dir = failing_set();
    let m = common::load(dir.path());
    let migrator = common::migrator(&m, &db);
    let err = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("statement 2 fails");
    assert!(
        matches!(
            &err,
            MigrateError::Apply(ApplyError::Statement {
                statement: 2,
                total: 3,
                applied: 1,
                ..
            })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("`migrate resolve 001 --retry` runs it from statement 2"),
        "{err}"
    );
    let rows = progress_rows(&client).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].0.as_str(), rows[0].1), ("001", 2));
    assert!(
        rows[0]
            .2
            .as_deref()
            .is_some_and(|e| e.contains("\"y\" does not exist")),
        "{rows:?}"
    );

    // Every later run refuses before running anything, quoting the statement and the choices.
    let before = common::snapshot(&client).await;
    let refused = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    let text = refused.to_string();
    assert!(
        matches!(
            &refused,
            MigrateError::Plan(PlanError::Interrupted {
                statement: 2,
                total: 3,
                ..
            })
        ),
        "{text}"
    );
    for part in [
        "revision 001_idx did not finish (up)",
        "it failed at statement 2 of 3 (`001_idx/up.sql` line 4: `CREATE INDEX CONCURRENTLY a_y …`)",
        "\"y\" does not exist",
        "migrate resolve 001 --retry",
        "--mark-completed",
        "--mark-rolled-back",
    ] {
        assert!(text.contains(part), "missing {part:?} in {text}");
    }
    assert_eq!(common::snapshot(&client).await, before, "nothing changed");
    let state = migrator.state(&client).await.expect("state");
    let status = migrations_runtime::status::Status::new(&m, &state);
    assert!(!status.up_to_date);
    assert_eq!(status.unfinished, [text]);

    // Fix the cause by hand, then retry from statement 2.
    client
        .batch_execute("ALTER TABLE a ADD COLUMN y int")
        .await
        .expect("fix");
    let resolved = migrator
        .resolve(&mut client, "001", Resolution::Retry)
        .await
        .expect("retry");
    assert_eq!(
        (resolved.statement, resolved.total, resolved.direction),
        (2, 3, Direction::Up)
    );
    assert!(resolved.duration_ms.is_some());
    assert!(progress_rows(&client).await.is_empty());
    assert_eq!(common::recorded(&client).await, ["001"]);
    let outcome = migrator
        .upgrade(&mut client, "head")
        .await
        .expect("continues");
    assert_eq!(outcome.steps.len(), 1);
    let indexes = common::valid_indexes(&client, "a").await;
    assert_eq!(indexes, 2);
}

#[tokio::test]
async fn marks_record_what_was_done_by_hand() {
    let (db, mut client) = common::fresh().await;
    let dir = failing_set();
    let m = common::load(dir.path());
    let migrator = common::migrator(&m, &db);
    let not_yet = migrator
        .resolve(&mut client, "001", Resolution::MarkCompleted)
        .await;
    assert!(
        matches!(
            not_yet,
            Err(MigrateError::Resolve(ResolveError::NotInterrupted { .. }))
        ),
        "{not_yet:?}"
    );
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails");

    // Undone by hand: forget the run; the next upgrade starts from statement 1.
    client.batch_execute("DROP TABLE a").await.expect("undo");
    migrator
        .resolve(&mut client, "001_idx", Resolution::MarkRolledBack)
        .await
        .expect("rolled back");
    assert!(progress_rows(&client).await.is_empty());
    assert!(common::recorded(&client).await.is_empty());
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails again at statement 2");

    // Completed by hand: recorded without running anything, as a stamp.
    client
        .batch_execute(
            "ALTER TABLE a ADD COLUMN y int; CREATE INDEX a_y ON a (y); CREATE INDEX a_x ON a (x)",
        )
        .await
        .expect("by hand");
    migrator
        .resolve(&mut client, "001", Resolution::MarkCompleted)
        .await
        .expect("completed");
    let method: String = client
        .query_one(
            "SELECT method FROM schema_revisions WHERE version = '001'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert_eq!(method, "stamp");
    assert!(progress_rows(&client).await.is_empty());
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect("continues");
    assert_eq!(common::recorded(&client).await, ["001", "002"]);
}

#[tokio::test]
async fn retry_refuses_when_the_statements_that_ran_changed() {
    let (db, mut client) = common::fresh().await;
    let dir = failing_set();
    common::migrator(&common::load(dir.path()), &db)
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails");
    common::write(
        dir.path(),
        &[(
            "001_idx/up.sql",
            "-- migrate: no-transaction\nCREATE TABLE a (x int, y int);\nCREATE INDEX CONCURRENTLY a_y ON a (y);\n",
        )],
    );
    let edited = common::load(dir.path());
    let before = common::snapshot(&client).await;
    let err = common::migrator(&edited, &db)
        .resolve(&mut client, "001", Resolution::Retry)
        .await
        .expect_err("refused");
    assert!(
        matches!(
            &err,
            MigrateError::Resolve(ResolveError::ChangedPrefix { statement: 2, .. })
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("statements 1 to 1 of `001_idx/up.sql` changed"),
        "{err}"
    );
    assert_eq!(common::snapshot(&client).await, before);
}

/// A runner that stops mid-statement (its connection gone, as when the process is killed)
/// leaves the "running" row it wrote before the statement: the next run says the statement may
/// or may not have taken effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_statement_is_reported_as_such() {
    let (db, mut client) = common::fresh().await;
    let slow = format!(
        "-- migrate: no-transaction\nCREATE TABLE a (x int);\n{}\nCREATE INDEX CONCURRENTLY a_x ON a (x);\n",
        Gate::wait_sql()
    );
    let dir = common::dir(&[
        ("001_slow/up.sql", &slow),
        ("001_slow/down.sql", "DROP TABLE a;\n"),
    ]);
    let m = common::load(dir.path());
    let options = ConnectOptions::from_config(db.config().clone());
    let migrator = Migrator::client_only(&m).with_connect_options(options);
    let gate = Gate::closed(&db).await;
    let observer = db.connect().await.expect("observer");
    let waiter = common::cancel_when(
        migrator.upgrade(&mut client, "head"),
        "statement 2 of 001 to stop at the gate",
        || gate.waiter(),
    )
    .await;
    let holder = migrator.lock_holder(&observer).await.expect("pg_locks");
    assert_eq!(
        holder.map(|h| h.pid),
        Some(waiter),
        "stopped inside statement 2, under the migration lock"
    );
    let rows = progress_rows(&observer).await;
    assert_eq!(rows, [("001".to_owned(), 2, None)]);
    gate.open().await;
    let err = common::migrator(&m, &db)
        .with_lock_timeout(Duration::from_secs(10))
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(
        text.contains("the runner stopped during statement 2 of 3"),
        "{text}"
    );
    assert!(text.contains("may or may not have taken effect"), "{text}");
    // Waiting at the gate has no effect to undo: retry from statement 2.
    let resolved = common::migrator(&m, &db)
        .with_lock_timeout(Duration::from_secs(10))
        .resolve(&mut client, "001", Resolution::Retry)
        .await;
    assert!(resolved.is_ok(), "{resolved:?}");
}

/// A runner that starts while another is in the middle of a `no-transaction` revision sees its
/// "running" row, but the lock is held: the other runner is alive, so it waits instead of
/// refusing (regression: replicas booting during a long CREATE INDEX CONCURRENTLY crash-looped
/// on "did not finish").
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_live_run_is_waited_for_not_refused() {
    let (db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (x int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_idx/up.sql",
            "-- migrate: no-transaction\nCREATE TABLE IF NOT EXISTS b (x int);\nSELECT pg_sleep(2);\nCREATE INDEX CONCURRENTLY a_x ON a (x);\n",
        ),
        ("002_idx/down.sql", "DROP INDEX CONCURRENTLY a_x;\nDROP TABLE b;\n"),
        ("003_c/up.sql", "CREATE TABLE c (x int);"),
        ("003_c/down.sql", "DROP TABLE c;"),
    ]);
    let m = std::sync::Arc::new(common::load(dir.path()));
    let first = {
        let (m, config) = (m.clone(), db.config().clone());
        tokio::spawn(async move {
            let mut client = common::connect(&config).await;
            Migrator::client_only(&m)
                .with_connect_options(ConnectOptions::from_config(config))
                .upgrade(&mut client, "head")
                .await
                .map(|o| o.steps.len())
        })
    };
    // Wait until the first runner is inside 002's sleep.
    let observer = &client;
    common::wait_until(
        "the first runner to start 002's statement 2",
        || async move { (!progress_rows_if_any(observer).await.is_empty()).then_some(()) },
    )
    .await;
    let migrator = common::migrator(&m, &db).with_lock_timeout(Duration::from_secs(30));
    let status =
        migrations_runtime::status::Status::new(&m, &migrator.state(&client).await.expect("state"));
    assert!(status.unfinished.is_empty(), "{:?}", status.unfinished);
    assert_eq!(status.in_progress.len(), 1, "{:?}", status.in_progress);
    assert!(
        status.in_progress[0].starts_with("002_idx (up): statement 2 of 3"),
        "{:?}",
        status.in_progress
    );
    let second = migrator
        .upgrade(&mut client, "head")
        .await
        .expect("waits, then finishes");
    assert!(second.at_head);
    let first = first
        .await
        .expect("task")
        .expect("the first runner finishes");
    assert_eq!(first + second.steps.len(), 3, "each revision once");
    assert_eq!(common::recorded(&client).await, ["001", "002", "003"]);
}

async fn progress_rows_if_any(client: &Client) -> Vec<String> {
    let exists: bool = client
        .query_one(
            "SELECT to_regclass('schema_revisions_progress') IS NOT NULL",
            &[],
        )
        .await
        .expect("lookup")
        .get(0);
    if !exists {
        return Vec::new();
    }
    client
        .query(
            "SELECT version FROM schema_revisions_progress WHERE statement >= 2",
            &[],
        )
        .await
        .expect("progress")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// `--from` cannot start inside the file's own BEGIN ... COMMIT: the block is atomic.
#[tokio::test]
async fn retry_from_inside_the_files_own_transaction_is_refused() {
    let (db, mut client) = common::fresh().await;
    let dir = common::dir(&[(
        "001_a/up.sql",
        "-- migrate: no-transaction, irreversible\nCREATE TABLE k1 (x int);\nBEGIN;\nCREATE TABLE k2 (x int);\nSELECT nope FROM k2;\nCOMMIT;\n",
    )]);
    let m = common::load(dir.path());
    let migrator = common::migrator(&m, &db);
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("statement 4 fails");
    assert_eq!(
        progress_rows(&client).await[0].1,
        2,
        "recorded at the block's BEGIN"
    );
    let err = migrator
        .resolve(&mut client, "001", Resolution::RetryFrom(3))
        .await
        .expect_err("inside the block");
    assert!(
        matches!(
            &err,
            MigrateError::Resolve(ResolveError::FromInsideBlock { from: 3, begin: 2 })
        ),
        "{err}"
    );
}
