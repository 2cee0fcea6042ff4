//! Every target form, and the impossible ones refused before anything runs.

use migrations_runtime::error::PlanError;
use migrations_runtime::error::TargetError;
use migrations_runtime::Direction;
use migrations_runtime::{MigrateError, Migrator};

use crate::common;

async fn level(client: &tokio_postgres::Client) -> Vec<String> {
    common::recorded(client).await
}

#[tokio::test]
async fn relative_absolute_and_prefix_targets() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(6);
    let m = common::load(dir.path());
    let mg = Migrator::client_only(&m);
    mg.upgrade(&mut client, "+1").await.expect("+1");
    assert_eq!(level(&client).await, ["001"]);
    mg.upgrade(&mut client, "003").await.expect("version");
    assert_eq!(level(&client).await.len(), 3);
    mg.upgrade(&mut client, "003+2").await.expect("rev+N");
    assert_eq!(level(&client).await.len(), 5);
    mg.downgrade(&mut client, "-2").await.expect("-N");
    assert_eq!(level(&client).await.len(), 3);
    mg.upgrade(&mut client, "head-1").await.expect("head-N");
    assert_eq!(level(&client).await.len(), 5);
    mg.downgrade(&mut client, "005-3").await.expect("rev-N");
    assert_eq!(level(&client).await.len(), 2);
    mg.upgrade(&mut client, "00")
        .await
        .expect_err("00 is ambiguous");
    mg.upgrade(&mut client, "heads").await.expect("heads");
    assert_eq!(level(&client).await.len(), 6);
    mg.downgrade(&mut client, "base").await.expect("base");
    assert!(level(&client).await.is_empty());
}

#[tokio::test]
async fn impossible_targets_say_why_and_change_nothing() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let mg = Migrator::client_only(&m);
    mg.upgrade(&mut client, "002").await.expect("upgrade");
    let before = common::snapshot(&client).await;
    let cases: Vec<(&str, bool)> = vec![
        ("+1", false),
        ("+2", true),
        ("-3", false),
        ("001", true),
        ("9", true),
        ("01", true),
        ("", true),
    ];
    for (target, upgrade) in cases {
        let err = if upgrade {
            mg.upgrade(&mut client, target).await
        } else {
            mg.downgrade(&mut client, target).await
        }
        .expect_err(target);
        let message = err.to_string();
        assert!(!message.is_empty());
        match (target, &err) {
            (
                "+1",
                MigrateError::Plan(PlanError::WrongDirection {
                    direction: Direction::Down,
                    ..
                }),
            ) => {}
            ("+2", MigrateError::Plan(PlanError::Target(TargetError::PastHead { .. }))) => {}
            ("-3", MigrateError::Plan(PlanError::Target(TargetError::PastBase { .. }))) => {}
            (
                "001",
                MigrateError::Plan(PlanError::WrongDirection {
                    direction: Direction::Up,
                    ..
                }),
            ) => {}
            ("9", MigrateError::Plan(PlanError::Target(TargetError::Unknown { .. }))) => {}
            ("01", MigrateError::Plan(PlanError::Target(TargetError::Unknown { .. }))) => {}
            ("", MigrateError::Plan(PlanError::Target(TargetError::Empty))) => {}
            other => panic!("unexpected error for {other:?}: {message}"),
        }
        assert_eq!(
            common::snapshot(&client).await,
            before,
            "{target} changed the database"
        );
    }
}

/// Regression: with flat integer versions `1`, `2`, `3`, `downgrade -1` resolved `-1` as version
/// `1` and reverted two revisions.
#[tokio::test]
async fn minus_one_is_one_step_with_small_integer_versions() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::dir(&[
        ("1_t1.up.sql", "CREATE TABLE t1 (id int);"),
        ("1_t1.down.sql", "DROP TABLE t1;"),
        ("2_t2.up.sql", "CREATE TABLE t2 (id int);"),
        ("2_t2.down.sql", "DROP TABLE t2;"),
        ("3_t3.up.sql", "CREATE TABLE t3 (id int);"),
        ("3_t3.down.sql", "DROP TABLE t3;"),
    ]);
    let m = common::load(dir.path());
    let mg = Migrator::client_only(&m);
    mg.upgrade(&mut client, "head").await.expect("upgrade");
    let down = mg
        .downgrade(&mut client, "-1")
        .await
        .expect("one step down");
    assert_eq!(down.steps.len(), 1);
    assert_eq!(level(&client).await, ["1", "2"]);
}
