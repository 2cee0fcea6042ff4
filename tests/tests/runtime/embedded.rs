//! The macro's table equals the directory loaded at run time, and it runs end to end.

use migrations_core::{Migrations, TransactionMode};

use crate::common;

static BASIC: Migrations = migrations_macro::embed_migrations!("fixtures/basic");

#[test]
fn embedded_equals_loaded_from_disk() {
    let loaded =
        common::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/basic"));
    assert_eq!(BASIC, loaded);
    assert_eq!(BASIC.len(), 6);
    assert_eq!(
        BASIC.get("003").expect("present").up().transaction(),
        TransactionMode::None
    );
    assert_eq!(
        BASIC.get("004").expect("present").up().transaction(),
        TransactionMode::Own
    );
    assert!(BASIC.get("005").expect("present").is_irreversible());
}

#[tokio::test]
async fn every_transaction_mode_applies_and_reverts() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&BASIC, &db);
    let up = migrator
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    assert_eq!(up.steps.len(), 6);
    assert!(up.at_head);
    // The own-transaction file's trigger works, the concurrent index exists.
    client
        .execute("INSERT INTO users (id, name) VALUES (1, '  Ada ')", &[])
        .await
        .expect("insert");
    let name: String = client
        .query_one("SELECT name FROM users", &[])
        .await
        .expect("select")
        .get(0);
    assert_eq!(name, "Ada");
    let idx: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'users_email_idx'",
            &[],
        )
        .await
        .expect("q")
        .get(0);
    assert_eq!(idx, 1);
    // 005 is irreversible: base is refused before anything runs, 005 is as far as it goes.
    let before = common::snapshot(&client).await;
    assert!(migrator.downgrade(&mut client, "base").await.is_err());
    assert_eq!(common::snapshot(&client).await, before);
    let down = migrator
        .downgrade(&mut client, "005")
        .await
        .expect("downgrade to 005");
    assert_eq!(down.steps.len(), 1);
    assert_eq!(down.current_label(), "005_backfill_email");
}

/// The simulator's table, squashed through 003, embedded with its baseline: the packed form
/// carries the baseline as the directory read at run time does.
#[test]
fn the_simulators_squashed_table_equals_its_directory() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../app-db/migrations");
    let loaded = common::load(&dir);
    assert_eq!(app_db::MIGRATIONS, loaded);
    let baseline = app_db::MIGRATIONS.baseline().expect("app-db is squashed");
    assert_eq!(baseline.level(), 3);
    assert_eq!(baseline.up().file(), "baseline/up.sql");
    assert!(baseline
        .up()
        .sql()
        .contains("INSERT INTO public.training_scenarios"));
}
