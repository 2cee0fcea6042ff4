//! A failing revision names the file, line and column, and leaves the previous revision in place.

use migrations_runtime::error::{ApplyError, Location};
use migrations_runtime::{MigrateError, Migrator};

use crate::common;

#[tokio::test]
async fn sql_error_reports_file_line_column_and_rolls_back() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (id int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        // An error only the server finds (the grammar accepts it; a script it rejects is refused
        // before anything runs): a column that does not exist, on line 4.
        ("002_b/up.sql", "CREATE TABLE b (id int);\n-- a wrong column on line 4:\nINSERT INTO b VALUES (1);\nSELECT nope FROM b;\n"),
        ("002_b/down.sql", "DROP TABLE b;"),
    ]);
    let m = common::load(dir.path());
    let err = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails");
    match &err {
        MigrateError::Apply(ApplyError::Script {
            revision,
            file,
            location,
            still_at,
            ..
        }) => {
            assert_eq!(
                (revision.as_str(), file.as_str(), still_at.as_str()),
                ("002_b", "002_b/up.sql", "001_a")
            );
            assert_eq!(location, &Some(Location { line: 4, column: 8 }));
        }
        other => panic!("unexpected {other}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("line 4, column 8") && text.contains("still at 001_a"),
        "{text}"
    );
    assert_eq!(common::recorded(&client).await, ["001"]);
    let b: bool = client
        .query_one("SELECT to_regclass('b') IS NOT NULL", &[])
        .await
        .expect("q")
        .get(0);
    assert!(!b, "002's table must have been rolled back with it");
}

#[tokio::test]
async fn failing_non_transactional_statement_is_located() {
    let (db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "-- migrate: no-transaction\nCREATE TABLE a (id int);\nCREATE INDEX CONCURRENTLY a_idx ON a (id) WHERE nope > 0;\n"),
        ("001_a/down.sql", "DROP TABLE a;"),
    ]);
    let m = common::load(dir.path());
    let err = common::migrator(&m, &db)
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails");
    match &err {
        MigrateError::Apply(ApplyError::Statement {
            statement,
            total,
            location,
            ..
        }) => {
            assert_eq!((*statement, *total), (2, 2));
            assert_eq!(location.as_ref().map(|l| (l.line, l.column)), Some((3, 49)));
        }
        other => panic!("unexpected {other}"),
    }
    assert!(!common::recorded(&client).await.contains(&"001".to_owned()));
}

/// Regression: a `no-transaction` file that opens its own transaction and fails left the
/// session in an aborted transaction, so the lock could not be released, and the message claimed
/// the statements inside that transaction stayed applied.
#[tokio::test]
async fn failed_own_transaction_in_no_transaction_file_releases_the_lock() {
    let (db, mut client) = common::fresh().await;
    let dir = common::dir(&[(
        "001_a/up.sql",
        "-- migrate: no-transaction, irreversible\nCREATE TABLE kept (id int);\nBEGIN ISOLATION LEVEL SERIALIZABLE;\nCREATE TABLE a (x int);\nSELECT nope FROM a;\nCOMMIT;\n",
    )]);
    let m = common::load(dir.path());
    let err = common::migrator(&m, &db)
        .upgrade(&mut client, "head")
        .await
        .expect_err("fails");
    match &err {
        MigrateError::Apply(ApplyError::Statement {
            statement, applied, ..
        }) => assert_eq!((*statement, *applied), (4, 1)),
        other => panic!("unexpected {other}"),
    }
    assert!(
        err.to_string().contains("statement 1 stays applied"),
        "{err}"
    );
    let idle: String = client
        .query_one(
            "SELECT state FROM pg_stat_activity WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .expect("q")
        .get(0);
    assert_eq!(
        idle, "active",
        "the connection is usable, not in an aborted transaction"
    );
    let other = db.connect().await.expect("second connection");
    let free: bool = other
        .query_one(
            "SELECT pg_try_advisory_lock($1)",
            &[&Migrator::client_only(&m).table().lock_key()],
        )
        .await
        .expect("q")
        .get(0);
    assert!(free, "the migration lock was released");
    let a: bool = other
        .query_one(
            "SELECT to_regclass('a') IS NULL AND to_regclass('kept') IS NOT NULL",
            &[],
        )
        .await
        .expect("q")
        .get(0);
    assert!(
        a,
        "the file's own transaction was rolled back, the statement before it kept"
    );
}

/// A `no-transaction` revision runs on a connection of the runner's own; a runner given only a
/// client refuses the whole plan before running anything (regression: it used to take a session
/// lock on the caller's client, which a cancelled future or a transaction pooler leaked).
#[tokio::test]
async fn no_transaction_revision_without_connect_options_is_refused_before_anything_runs() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::concurrent_index();
    let m = common::load(dir.path());
    let before = common::snapshot(&client).await;
    let err = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, MigrateError::Apply(ApplyError::NeedsConnection { revision }) if revision == "002_idx"),
        "{err}"
    );
    assert!(err.to_string().contains("with_connect_options"), "{err}");
    assert_eq!(common::snapshot(&client).await, before, "not even 001 ran");
    Migrator::client_only(&m)
        .upgrade(&mut client, "001")
        .await
        .expect("a plan without it runs");
}

/// The tables `t1` .. `t<n>` that exist.
async fn existing_tables(client: &tokio_postgres::Client, n: usize) -> Vec<usize> {
    let mut found = Vec::new();
    for i in 1..=n {
        let sql = format!("SELECT to_regclass('t{i}') IS NOT NULL");
        let exists: bool = client.query_one(&sql, &[]).await.expect("q").get(0);
        if exists {
            found.push(i);
        }
    }
    found
}

/// The fast path sends several revisions before it hears back from the first: a failure in the
/// middle of such a run must still stop every revision after it, with the error naming the one
/// that failed and the history ending just before it.
#[tokio::test]
async fn failure_in_the_middle_of_a_pipelined_run_stops_every_later_revision() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(30);
    // The first revision creates the history table, so 002.. go through the fast path.
    Migrator::client_only(&common::load(dir.path()))
        .upgrade(&mut client, "001")
        .await
        .expect("001");
    common::write(
        dir.path(),
        &[(
            "015_t15/up.sql",
            "CREATE TABLE t15 (id int);\nSELECT nope FROM t15;\n",
        )],
    );
    let m = common::load(dir.path());
    let err = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect_err("015 fails");
    match &err {
        MigrateError::Apply(ApplyError::Script {
            revision,
            location,
            still_at,
            ..
        }) => {
            assert_eq!(
                (revision.as_str(), still_at.as_str()),
                ("015_t15", "014_t14")
            );
            assert_eq!(location, &Some(Location { line: 2, column: 8 }));
        }
        other => panic!("unexpected {other}"),
    }
    let expected: Vec<String> = (1..=14).map(|i| format!("{i:03}")).collect();
    assert_eq!(common::recorded(&client).await, expected);
    assert_eq!(
        existing_tables(&client, 30).await,
        (1..=14).collect::<Vec<_>>()
    );

    // Going down, a failing down script in the middle stops the run the same way.
    common::write(
        dir.path(),
        &[("005_t5/down.sql", "DROP TABLE t5;\nSELECT 1/0;\n")],
    );
    let m = common::load(dir.path());
    let err = Migrator::client_only(&m)
        .downgrade(&mut client, "base")
        .await
        .expect_err("005's down fails");
    assert!(
        matches!(&err, MigrateError::Apply(ApplyError::Script { revision, still_at, .. })
            if revision == "005_t5" && still_at == "005_t5"),
        "{err}"
    );
    let expected: Vec<String> = (1..=5).map(|i| format!("{i:03}")).collect();
    assert_eq!(common::recorded(&client).await, expected);
    assert_eq!(
        existing_tables(&client, 30).await,
        (1..=5).collect::<Vec<_>>()
    );
}

/// PostgreSQL refuses `SAVEPOINT` in the implicit transaction of a one-exchange revision: such a
/// revision runs in an explicit transaction instead, and its savepoints work (review).
#[tokio::test]
async fn a_transactional_revision_may_use_savepoints() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (id int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_b/up.sql",
            "CREATE TABLE b (id int);\n-- a savepoint\nSAVEPOINT s;\nINSERT INTO b VALUES (1);\nROLLBACK TO SAVEPOINT s;\nRELEASE SAVEPOINT s;",
        ),
        ("002_b/down.sql", "SAVEPOINT s;\nDROP TABLE b;\nRELEASE s;"),
        ("003_c/up.sql", "CREATE TABLE c (id int);"),
        ("003_c/down.sql", "DROP TABLE c;"),
    ]);
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m);
    let outcome = migrator
        .upgrade(&mut client, "head")
        .await
        .expect("savepoints in a transactional revision");
    assert_eq!(outcome.steps.len(), 3);
    let rows: i64 = client
        .query_one("SELECT count(*) FROM b", &[])
        .await
        .expect("b")
        .get(0);
    assert_eq!(rows, 0, "the rolled-back savepoint's row is gone");
    migrator
        .downgrade(&mut client, "base")
        .await
        .expect("and in a down script");
    assert!(common::recorded(&client).await.is_empty());
}
