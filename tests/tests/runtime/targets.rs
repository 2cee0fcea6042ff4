//! Every target form, and the impossible ones refused before anything runs.

use app_db::plan::PlanError;
use app_db::target::TargetError;
use app_db::{MigrateError, Migrator};

use crate::common;

async fn level(client: &tokio_postgres::Client) -> Vec<String> {
    common::recorded(client).await
}

#[tokio::test]
async fn relative_absolute_and_prefix_targets() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(6);
    let m = common::load(dir.path());
    let mg = Migrator::new(&m);
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
    let mg = Migrator::new(&m);
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
                    other: "upgrade", ..
                }),
            ) => {}
            ("+2", MigrateError::Plan(PlanError::Target(TargetError::PastHead { .. }))) => {}
            ("-3", MigrateError::Plan(PlanError::Target(TargetError::PastBase { .. }))) => {}
            (
                "001",
                MigrateError::Plan(PlanError::WrongDirection {
                    other: "downgrade", ..
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
