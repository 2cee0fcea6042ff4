//! The database and the binary disagree: refuse with a specific error, change nothing, and let
//! the named override proceed where that is safe.

use migrations_runtime::error::PlanError;
use migrations_runtime::Overrides;
use migrations_runtime::{MigrateError, Migrator};

use crate::common;

#[tokio::test]
async fn edited_applied_revision_is_refused() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(2);
    Migrator::client_only(&common::load(dir.path()))
        .upgrade(&mut client, "001")
        .await
        .expect("upgrade");
    common::write(
        dir.path(),
        &[(
            "001_t1/up.sql",
            "CREATE TABLE t1 (id int); -- edited after apply",
        )],
    );
    let edited = common::load(dir.path());
    let before = common::snapshot(&client).await;
    let err = Migrator::client_only(&edited)
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, MigrateError::Plan(PlanError::ChecksumMismatch { changes }) if changes[0].label == "001_t1"),
        "{err}"
    );
    assert!(
        err.to_string().contains("001_t1/up.sql") && err.to_string().contains("--ignore-checksums"),
        "{err}"
    );
    assert_eq!(common::snapshot(&client).await, before);
    let overrides = Overrides {
        ignore_checksums: true,
        ..Overrides::default()
    };
    Migrator::client_only(&edited)
        .with_overrides(overrides)
        .upgrade(&mut client, "head")
        .await
        .expect("override proceeds");
}

#[tokio::test]
async fn database_newer_than_binary_is_refused() {
    let (_db, mut client) = common::fresh().await;
    let newer = common::tables(3);
    Migrator::client_only(&common::load(newer.path()))
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    let older = common::tables(2);
    let m = common::load(older.path());
    let before = common::snapshot(&client).await;
    for result in [
        Migrator::client_only(&m).upgrade(&mut client, "head").await,
        Migrator::client_only(&m).downgrade(&mut client, "-1").await,
    ] {
        let err = result.expect_err("refused");
        assert!(
            matches!(&err, MigrateError::Plan(PlanError::UnknownApplied { versions }) if versions == &["003_t3"]),
            "{err}"
        );
    }
    assert_eq!(common::snapshot(&client).await, before);
    let allow = Overrides {
        allow_unknown: true,
        ..Overrides::default()
    };
    let outcome = Migrator::client_only(&m)
        .with_overrides(allow)
        .upgrade(&mut client, "head")
        .await
        .expect("allowed");
    assert!(outcome.steps.is_empty());
}

#[tokio::test]
async fn pending_revision_older_than_newest_applied_is_refused() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    std::fs::remove_dir_all(dir.path().join("002_t2")).expect("remove");
    Migrator::client_only(&common::load(dir.path()))
        .upgrade(&mut client, "head")
        .await
        .expect("001 and 003");
    // A branch merged 002 after 003 was deployed.
    common::write(
        dir.path(),
        &[
            ("002_t2/up.sql", "CREATE TABLE t2 (id int);"),
            ("002_t2/down.sql", "DROP TABLE t2;"),
        ],
    );
    let merged = common::load(dir.path());
    let err = Migrator::client_only(&merged)
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, MigrateError::Plan(PlanError::OutOfOrder { pending, newest }) if pending == &["002_t2"] && newest == "003_t3"),
        "{err}"
    );
    let allow = Overrides {
        allow_out_of_order: true,
        ..Overrides::default()
    };
    let outcome = Migrator::client_only(&merged)
        .with_overrides(allow)
        .upgrade(&mut client, "head")
        .await
        .expect("allowed");
    assert_eq!(outcome.steps.len(), 1);
    assert_eq!(common::recorded(&client).await, ["001", "002", "003"]);
}

#[tokio::test]
async fn irreversible_revision_blocks_a_downgrade_before_anything_runs() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (id int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_b/up.sql",
            "-- migrate: irreversible\nINSERT INTO a VALUES (1);",
        ),
        ("003_c/up.sql", "CREATE TABLE c (id int);"),
        ("003_c/down.sql", "DROP TABLE c;"),
    ]);
    let m = common::load(dir.path());
    Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    let before = common::snapshot(&client).await;
    let err = Migrator::client_only(&m)
        .downgrade(&mut client, "base")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, MigrateError::Plan(PlanError::Irreversible { revision, .. }) if revision == "002_b"),
        "{err}"
    );
    assert_eq!(
        common::snapshot(&client).await,
        before,
        "003 must not have been reverted"
    );
}

#[tokio::test]
async fn history_table_altered_by_hand_is_reported() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(1);
    let m = common::load(dir.path());
    Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    client
        .batch_execute("ALTER TABLE schema_revisions DROP COLUMN checksum_algorithm")
        .await
        .expect("alter");
    let err = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        err.to_string().contains("does not have the expected shape"),
        "{err}"
    );
}

/// The boot check of a database at head answers from a hash of the history: an edit to an
/// applied revision must still be refused when nothing is pending.
#[tokio::test]
async fn edited_revision_is_refused_even_when_nothing_is_pending() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(2);
    Migrator::client_only(&common::load(dir.path()))
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    let untouched = Migrator::client_only(&common::load(dir.path()))
        .upgrade(&mut client, "head")
        .await
        .expect("no-op");
    assert!(untouched.steps.is_empty() && untouched.at_head);
    assert_eq!(untouched.current_label(), "002_t2");
    let m = common::load(dir.path());
    assert!(
        Migrator::client_only(&m)
            .is_at_head(&client)
            .await
            .expect("check"),
        "the one-exchange check recognises head"
    );
    common::write(
        dir.path(),
        &[("002_t2/up.sql", "CREATE TABLE t2 (id int); -- edited")],
    );
    let edited = common::load(dir.path());
    assert!(!Migrator::client_only(&edited)
        .is_at_head(&client)
        .await
        .expect("check"));
    let err = Migrator::client_only(&edited)
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&err, MigrateError::Plan(PlanError::ChecksumMismatch { .. })),
        "{err}"
    );
}

/// The boot check compares every history row with the binary: each way the database can differ
/// from head (a row missing, an unknown row, another checksum or algorithm, an unfinished
/// `no-transaction` run) must make it answer "not at head", so the full checks run.
#[tokio::test]
async fn the_boot_check_sees_every_difference_in_the_history() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m);
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    assert!(migrator.is_at_head(&client).await.expect("check"));
    let changes = [
        (
            "a row missing",
            "DELETE FROM schema_revisions WHERE version = '002'",
        ),
        (
            "an unknown row",
            "INSERT INTO schema_revisions (version, name, checksum, checksum_algorithm) VALUES ('009', 'x', '\\x00', 1)",
        ),
        (
            "a row replaced by an unknown one",
            "DELETE FROM schema_revisions WHERE version = '002'; INSERT INTO schema_revisions (version, name, checksum, checksum_algorithm) VALUES ('009', 'x', '\\x00', 1)",
        ),
        (
            "another checksum",
            "UPDATE schema_revisions SET checksum = sha256(checksum) WHERE version = '001'",
        ),
        (
            "another algorithm",
            "UPDATE schema_revisions SET checksum_algorithm = 2 WHERE version = '003'",
        ),
        (
            "an unfinished run",
            "INSERT INTO schema_revisions_progress (version, direction, statement, total, prefix_checksum) VALUES ('003', 'up', 1, 1, '\\x00')",
        ),
    ];
    for (what, sql) in changes {
        // Each change is made and rolled back in a transaction the check reads inside.
        let tx = client.transaction().await.expect("begin");
        tx.batch_execute(sql).await.expect(what);
        assert!(
            !migrator.is_at_head(&tx).await.expect("check"),
            "{what} went unnoticed"
        );
        tx.rollback().await.expect("rollback");
    }
    assert!(migrator.is_at_head(&client).await.expect("check"));
}

/// The boot check matches each history row to the exact version this runner writes: a stray row
/// spelling an applied revision another way (`0-01` for `001`) must not stand in for a pending
/// one (review: the check said "at head" and `upgrade head` skipped 003).
#[tokio::test]
async fn the_boot_check_does_not_count_another_spelling_for_a_missing_revision() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m);
    migrator.upgrade(&mut client, "002").await.expect("002");
    client
        .batch_execute(
            "INSERT INTO schema_revisions (version, name, checksum, checksum_algorithm) \
             SELECT '0-01', name, checksum, checksum_algorithm FROM schema_revisions WHERE version = '001'",
        )
        .await
        .expect("stray row");
    assert!(!migrator.is_at_head(&client).await.expect("check"));
}
