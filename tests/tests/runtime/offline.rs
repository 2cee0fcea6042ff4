//! Offline scripts are the same SQL, bookkeeping included: running one gives the same database.

use migrations_runtime::apply::Direction;
use migrations_runtime::history::HistoryTable;
use migrations_runtime::offline;

use crate::common;

static BASIC: migrations_core::Migrations = migrations_macro::embed_migrations!("fixtures/basic");

#[tokio::test]
async fn offline_upgrade_script_matches_online_upgrade() {
    let (a, mut online) = common::fresh().await;
    let (_b, offline_db) = common::fresh().await;
    common::migrator(&BASIC, &a)
        .upgrade(&mut online, "head")
        .await
        .expect("online");
    let sql =
        offline::render(&BASIC, &HistoryTable::default(), Direction::Up, "head").expect("render");
    // CREATE INDEX CONCURRENTLY cannot run in the implicit transaction of a multi-statement
    // string, so send the script the way psql does: statement by statement.
    for stmt in migrations_core::sql::split(&sql) {
        offline_db
            .batch_execute(stmt.text(&sql))
            .await
            .unwrap_or_else(|e| panic!("{e}: {}", stmt.text(&sql)));
    }
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
    let (_db, client) = common::fresh().await;
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
    client
        .batch_execute(&sql)
        .await
        .unwrap_or_else(|e| panic!("{e}\n{sql}"));
    assert_eq!(common::recorded(&client).await, ["001", "002"]);
    let n: i64 = client
        .query_one("SELECT count(*) FROM a", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(n, 1);
}
