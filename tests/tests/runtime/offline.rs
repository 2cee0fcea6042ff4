//! Offline scripts are the same SQL, bookkeeping included: running one gives the same database.

use migrations_runtime::offline;
use migrations_runtime::Direction;
use migrations_runtime::HistoryTable;

use crate::common;

static BASIC: migrations_core::Migrations = migrations_macro::embed_migrations!("fixtures/basic");

#[tokio::test]
async fn offline_upgrade_script_matches_online_upgrade() {
    let (a, mut online) = common::fresh().await;
    let (b, offline_db) = common::fresh().await;
    common::migrator(&BASIC, &a)
        .upgrade(&mut online, "head")
        .await
        .expect("online");
    let sql =
        offline::render(&BASIC, &HistoryTable::default(), Direction::Up, "head").expect("render");
    run_with_psql(&b, &sql).await;
    let strip = |s: String| s.replace(" offline", " upgrade");
    assert_eq!(
        strip(common::snapshot(&offline_db).await),
        common::snapshot(&online).await
    );
}

#[tokio::test]
async fn offline_downgrade_needs_a_start_and_respects_irreversible() {
    assert!(offline::render(&BASIC, &HistoryTable::default(), Direction::Down, "-1").is_err());
    let sql = offline::render(
        &BASIC,
        &HistoryTable::default(),
        Direction::Down,
        "head:005",
    )
    .expect("render");
    assert!(
        sql.contains("DROP TABLE notes;")
            && sql.contains("DELETE FROM \"public\".\"schema_revisions\" WHERE version = '006';"),
        "{sql}"
    );
    let err = offline::render(
        &BASIC,
        &HistoryTable::default(),
        Direction::Down,
        "head:base",
    )
    .expect_err("irreversible");
    assert!(err.to_string().contains("005_backfill_email"), "{err}");
}

/// Regression: a body without its final `;`, or ending in a `--` comment, swallowed the history
/// INSERT that the offline script appends after it.
#[tokio::test]
async fn offline_script_survives_unterminated_bodies() {
    let (db, client) = common::fresh().await;
    let dir = common::dir(&[
        ("001_a/up.sql", "CREATE TABLE a (x int)"),
        ("001_a/down.sql", "DROP TABLE a"),
        (
            "002_b/up.sql",
            "INSERT INTO a VALUES (1) -- trailing comment",
        ),
        ("002_b/down.sql", "DELETE FROM a"),
    ]);
    let m = common::load(dir.path());
    let sql = offline::render(&m, &HistoryTable::default(), Direction::Up, "head").expect("render");
    run_with_psql(&db, &sql).await;
    assert_eq!(common::recorded(&client).await, ["001", "002"]);
    let n: i64 = client
        .query_one("SELECT count(*) FROM a", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(n, 1);
}

/// Runs the offline script `sql` on `db` the way its header says to, with `psql -v
/// ON_ERROR_STOP=1`, and fails the test unless psql ran all of it without an error.
async fn run_with_psql(db: &migrations_runtime::testing::TestDatabase, sql: &str) {
    let out = common::psql(db.url(), sql).await;
    assert!(
        out.status.success(),
        "psql -v ON_ERROR_STOP=1 stopped ({}):\n{}\nthe script:\n{sql}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}
