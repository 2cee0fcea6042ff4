//! Rust revisions (`fixtures/code`): a one-shot function in the transaction of its history row,
//! a batched one committing batch by batch; errors and panics roll back and release the lock;
//! a failed batch is resolved, a killed one resumes; a directory read at run time and offline
//! scripts refuse them; checksums ignore formatting but not edits.

use migrations_runtime::code::Panicked;
use migrations_runtime::error::{ApplyError, PlanError};
use migrations_runtime::{
    offline, Direction, HistoryTable, MigrateError, Migrations, Resolution, Status,
};
use tokio_postgres::Client;

use crate::common;

static CODE: Migrations = migrations_runtime::embed_migrations!("fixtures/code");

async fn control(client: &Client, set: &str) {
    client
        .batch_execute(&format!("UPDATE control SET {set}"))
        .await
        .expect("control");
}

async fn one<T: for<'a> tokio_postgres::types::FromSql<'a>>(client: &Client, sql: &str) -> T {
    client.query_one(sql, &[]).await.expect(sql).get(0)
}

/// (rows in `seen`, distinct items in it, items done).
async fn processed(client: &Client) -> (i64, i64, i64) {
    let seen = one(client, "SELECT count(*) FROM seen").await;
    let distinct = one(client, "SELECT count(DISTINCT id) FROM seen").await;
    let done = one(client, "SELECT count(*) FROM items WHERE done").await;
    (seen, distinct, done)
}

async fn progress(client: &Client) -> Vec<(String, i32, Option<String>, Option<String>)> {
    client
        .query(
            "SELECT version, statement, cursor, error FROM schema_revisions_progress",
            &[],
        )
        .await
        .expect("progress")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2), r.get(3)))
        .collect()
}

async fn advisory_locks(client: &Client) -> i64 {
    one(
        client,
        // Locks are per cluster, and other tests run beside this one.
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
         WHERE l.locktype = 'advisory' AND d.datname = current_database()",
    )
    .await
}

fn source_chain(error: &dyn std::error::Error) -> String {
    let mut chain = error.to_string();
    let mut cause = error.source();
    while let Some(c) = cause {
        chain.push_str(&format!(": {c}"));
        cause = c.source();
    }
    chain
}

#[tokio::test]
async fn code_revisions_run_both_ways_with_their_history_rows() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator
        .upgrade(&mut client, "002")
        .await
        .expect("up to 002");
    let first: String = one(&client, "SELECT v FROM items WHERE id = 1").await;
    assert_eq!(first, "ITEM 1", "002/up.rs ran");
    let algorithm: i16 = one(
        &client,
        "SELECT checksum_algorithm FROM schema_revisions WHERE version = '002'",
    )
    .await;
    assert_eq!(
        algorithm, 2,
        "a Rust revision's checksum is of its own kind"
    );
    migrator.downgrade(&mut client, "-1").await.expect("down");
    let first: String = one(&client, "SELECT v FROM items WHERE id = 1").await;
    assert_eq!(first, "item 1", "002/down.rs ran");
    let outcome = migrator.upgrade(&mut client, "head").await.expect("head");
    assert_eq!(outcome.steps.len(), 2);
    assert_eq!(
        processed(&client).await,
        (25, 25, 25),
        "three batches of 10"
    );
    assert!(
        progress(&client).await.is_empty(),
        "the last batch cleared its row"
    );
    let limits: Vec<(String, String, String)> = client
        .query(
            "SELECT DISTINCT revision, lock_timeout, statement_timeout FROM limits ORDER BY 1",
            &[],
        )
        .await
        .expect("limits")
        .iter()
        .map(|r| (r.get(0), r.get(1), r.get(2)))
        .collect();
    let expected = [("002", "3s", "20s"), ("003", "4s", "2min")]
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()));
    assert_eq!(
        limits, expected,
        "each revision's directives, in both modes"
    );
    assert_eq!(common::recorded(&client).await, ["001", "002", "003"]);
    migrator.downgrade(&mut client, "base").await.expect("base");
    assert!(common::recorded(&client).await.is_empty());
}

#[tokio::test]
async fn a_panic_or_an_error_rolls_the_revision_back_and_releases_the_lock() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "001").await.expect("001");
    for (set, said) in [
        (
            "panic_at = 1",
            "it panicked: told to panic by the control table",
        ),
        ("fail_at = 1", "told to fail by the control table"),
    ] {
        control(&client, set).await;
        let error = migrator
            .upgrade(&mut client, "head")
            .await
            .expect_err("002 fails");
        let MigrateError::Apply(ApplyError::Code {
            revision, source, ..
        }) = &error
        else {
            panic!("not a code failure: {error}");
        };
        assert_eq!(revision, "002_shout");
        assert_eq!(source.is::<Panicked>(), set.starts_with("panic"));
        let chain = source_chain(&error);
        assert!(
            chain.contains(
                "in `002_shout/up.rs`; it was rolled back, the database is still at 001_items"
            ),
            "{chain}"
        );
        assert!(chain.contains(said), "{chain}");
        let first: String = one(&client, "SELECT v FROM items WHERE id = 1").await;
        assert_eq!(first, "item 1", "its update was rolled back");
        assert_eq!(common::recorded(&client).await, ["001"]);
        assert_eq!(advisory_locks(&client).await, 0, "the lock went with it");
        control(&client, "panic_at = NULL, fail_at = NULL").await;
    }
    // A function that commits by itself leaves its work without its history row: refused.
    control(&client, "end_tx = true").await;
    let error = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, MigrateError::Apply(ApplyError::EndedTransaction { revision, .. }) if revision == "002_shout"),
        "{error}"
    );
    assert!(
        error
            .to_string()
            .contains("may be committed without its history row"),
        "{error}"
    );
    assert_eq!(common::recorded(&client).await, ["001"]);
    let first: String = one(&client, "SELECT v FROM items WHERE id = 1").await;
    assert_eq!(
        first, "ITEM 1",
        "what it committed stays, as the message says"
    );
    client
        .batch_execute("UPDATE control SET end_tx = false; UPDATE items SET v = lower(v)")
        .await
        .expect("undo by hand");
    // The same process, runner and connection carry on.
    migrator.upgrade(&mut client, "head").await.expect("head");
    assert_eq!(processed(&client).await, (25, 25, 25));
}

#[tokio::test]
async fn a_failed_batch_keeps_the_batches_before_it_and_resolve_resumes_after_them() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "002").await.expect("002");
    control(&client, "fail_at = 15").await;
    let failed = migrator.upgrade(&mut client, "head").await.map(drop);
    assert_failed_at(&client, failed, 2, "division by zero").await;
    let refused = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&refused, MigrateError::Plan(PlanError::HalfDone { .. })),
        "{refused}"
    );
    assert!(refused.to_string().contains("batch 2 failed"), "{refused}");
    let status = Status::new(&CODE, &migrator.state(&client).await.expect("state"));
    assert!(
        status
            .unfinished
            .iter()
            .any(|u| u.contains("003_mark_done is half done (up)")),
        "{:?}",
        status.unfinished
    );
    // The retry resumes with batch 2, and this time a panic stops it in batch 3.
    control(&client, "fail_at = NULL, panic_at = 22").await;
    let panicked = migrator
        .resolve(&mut client, "003", Resolution::Retry)
        .await
        .map(drop);
    assert_failed_at(
        &client,
        panicked,
        3,
        "it panicked: told to panic at item 22",
    )
    .await;
    control(&client, "panic_at = NULL").await;
    migrator
        .resolve(&mut client, "003", Resolution::Retry)
        .await
        .expect("retry resumes");
    assert_eq!(processed(&client).await, (25, 25, 25), "no item twice");
    assert!(progress(&client).await.is_empty());
    assert_eq!(common::recorded(&client).await, ["001", "002", "003"]);
}

/// `result` is the failure of batch `batch` of 003, saying `said`, with the batches before it
/// committed, recorded, and the lock released.
async fn assert_failed_at(
    client: &Client,
    result: Result<(), MigrateError>,
    batch: usize,
    said: &str,
) {
    let error = result.expect_err("a batch fails");
    assert!(
        matches!(&error, MigrateError::Apply(ApplyError::Batch { batch: b, .. }) if *b == batch),
        "{error}"
    );
    let chain = source_chain(&error);
    assert!(chain.contains(said), "{chain}");
    assert!(
        chain.contains(&format!(
            "`migrate resolve 003 --retry` resumes with batch {batch}"
        )),
        "{chain}"
    );
    let committed = (batch as i64 - 1) * 10;
    assert_eq!(processed(client).await, (committed, committed, committed));
    let rows = progress(client).await;
    assert_eq!(rows.len(), 1);
    let cursor = committed.to_string();
    assert_eq!(
        (rows[0].1, rows[0].2.as_deref()),
        (batch as i32, Some(cursor.as_str()))
    );
    let recorded = said.trim_start_matches("it panicked: ");
    assert!(
        rows[0].3.as_deref().is_some_and(|e| e.contains(recorded)),
        "{rows:?}"
    );
    assert_eq!(
        advisory_locks(client).await,
        0,
        "the lock went with the run"
    );
}

#[tokio::test]
async fn a_runner_killed_mid_batch_resumes_after_the_last_committed_batch() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "002").await.expect("002");
    control(&client, "sleep_at = 15").await;
    let watcher = db.connect().await.expect("watcher");
    let name = db.name().to_owned();
    let killed = {
        let run = migrator.upgrade(&mut client, "head");
        let kill = async {
            let pid: i32 = common::wait_until("batch 2 waiting in pg_sleep", || async {
                watcher
                    .query_opt(
                        "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(60)%'",
                        &[&name],
                    )
                    .await
                    .expect("pg_stat_activity")
                    .map(|r| r.get(0))
            })
            .await;
            watcher
                .execute("SELECT pg_terminate_backend($1)", &[&pid])
                .await
                .expect("kill");
        };
        let (result, ()) = tokio::join!(run, kill);
        result
    };
    assert!(killed.is_err(), "the run lost its session mid-batch");
    // The killed batch rolled back; the first is committed and its row says where to go on.
    assert_eq!(processed(&watcher).await, (10, 10, 10));
    let rows = progress(&watcher).await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    assert_eq!(
        (rows[0].1, rows[0].2.as_deref(), rows[0].3.as_deref()),
        (2, Some("10"), None)
    );
    assert_eq!(common::recorded(&watcher).await, ["001", "002"]);
    let status = Status::new(&CODE, &migrator.state(&watcher).await.expect("state"));
    assert!(
        status
            .unfinished
            .iter()
            .any(|u| u.contains("batches 1 to 1 committed (cursor 10)")),
        "{:?}",
        status.unfinished
    );
    control(&watcher, "sleep_at = NULL").await;
    let mut again = db.connect().await.expect("connect");
    // Nothing else runs before it is finished: a downgrade below it would run on half its work.
    let refused = migrator
        .downgrade(&mut again, "001")
        .await
        .expect_err("refused");
    assert!(
        refused
            .to_string()
            .contains("Run `upgrade` again to finish it first (it resumes with batch 2)"),
        "{refused}"
    );
    assert_eq!(
        common::recorded(&watcher).await,
        ["001", "002"],
        "nothing ran"
    );
    let outcome = migrator.upgrade(&mut again, "head").await.expect("resumes");
    assert_eq!(outcome.steps.len(), 1);
    assert_eq!(
        processed(&again).await,
        (25, 25, 25),
        "every item exactly once"
    );
    let first: i32 = one(
        &again,
        "SELECT min(id) FROM seen WHERE at > (SELECT min(at) FROM seen WHERE id = 11)",
    )
    .await;
    assert!(first >= 11, "items 1 to 10 were not processed again");
}

#[tokio::test]
async fn a_directory_read_at_run_time_lists_code_revisions_but_cannot_run_them() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code");
    let loaded = common::load(&dir);
    assert_eq!(loaded, CODE, "the same revisions and checksums as embedded");
    assert!(loaded
        .get("002")
        .is_some_and(|r| r.up().is_rust() && r.up().code().is_none()));
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&loaded, &db);
    let error = migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("refused");
    assert!(
        matches!(&error, MigrateError::Plan(PlanError::NotCompiled { .. })),
        "{error}"
    );
    let message = error.to_string();
    assert!(
        message.contains("002_shout (`002_shout/up.rs`), 003_mark_done (`003_mark_done/up.rs`) are written in Rust"),
        "{message}"
    );
    assert!(message.contains("nothing was run"), "{message}");
    assert!(
        !common::history_exists(&client, "schema_revisions").await,
        "nothing ran, not even 001"
    );
    migrator
        .upgrade(&mut client, "001")
        .await
        .expect("SQL revisions still run");
}

#[tokio::test]
async fn an_offline_script_refuses_a_code_revision_and_renders_around_it() {
    let table = HistoryTable::default();
    let error = offline::render(&CODE, &table, Direction::Up, "head").expect_err("refused");
    let message = error.to_string();
    assert!(
        message.contains("revision 002_shout is Rust (`002_shout/up.rs`)"),
        "{message}"
    );
    assert!(
        message.contains("up to 001_items, and from 002_shout on"),
        "{message}"
    );
    let before = offline::render(&CODE, &table, Direction::Up, "001").expect("up to 001");
    assert!(before.contains("CREATE TABLE items"));
    // 003 goes down with SQL; 002 needs its down.rs.
    offline::render(&CODE, &table, Direction::Down, "head:002").expect("003/down.sql");
    let down = offline::render(&CODE, &table, Direction::Down, "head:001").expect_err("002 down");
    assert!(
        down.to_string()
            .contains("revision 002_shout is Rust (`002_shout/down.rs`)"),
        "{down}"
    );
}

#[tokio::test]
async fn reformatting_a_code_revision_keeps_its_checksum_and_editing_it_does_not() {
    let source = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code/002_shout/up.rs"),
    )
    .expect("read");
    let copy = |up: &str| {
        let dir = tempfile::tempdir().expect("tempdir");
        let original = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code");
        for entry in [
            "001_items/up.sql",
            "001_items/down.sql",
            "002_shout/down.rs",
            "003_mark_done/up.rs",
            "003_mark_done/down.sql",
        ] {
            let text = std::fs::read_to_string(original.join(entry)).expect("fixture");
            common::write(dir.path(), &[(entry, &text)]);
        }
        common::write(dir.path(), &[("002_shout/up.rs", up)]);
        dir
    };
    let checksum =
        |dir: &tempfile::TempDir| common::load(dir.path()).get("002").map(|r| r.checksum());
    let embedded = CODE.get("002").map(|r| r.checksum());
    let reformatted = source
        .replace("    ", "\t")
        .replace("// A one-shot", "// Reworded: a one-shot")
        .replace(") -> Result", ")\n    -> Result");
    assert_eq!(
        checksum(&copy(&reformatted)),
        embedded,
        "layout and comments do not count"
    );
    let edited = source.replace("upper(v)", "upper(v) || '!'");
    let dir = copy(&edited);
    assert_ne!(checksum(&dir), embedded, "an edit does");
    // Applied from the binary, then seen from the edited directory: refused as edited, repaired.
    let (db, mut client) = common::fresh().await;
    common::migrator(&CODE, &db)
        .upgrade(&mut client, "002")
        .await
        .expect("002");
    let edited = common::load(dir.path());
    let migrator = common::migrator(&edited, &db);
    let state = migrator.state(&client).await.expect("state");
    let changes = state.checksum_changes(&edited);
    assert_eq!(changes.len(), 1, "{changes:?}");
    assert_eq!(changes[0].label, "002_shout");
    let repaired = migrator
        .repair(&mut client, &["002".to_owned()], Some("reworded"), false)
        .await
        .expect("repair");
    assert_eq!(repaired.len(), 1);
    let state = migrator.state(&client).await.expect("state");
    assert!(state.checksum_changes(&edited).is_empty());
}

#[tokio::test]
async fn round_trip_runs_rust_revisions_both_ways() {
    let (db, _client) = common::fresh().await;
    let checked = migrations_runtime::testing::round_trip(&db, &CODE)
        .await
        .unwrap_or_else(|e| panic!("{}", source_chain(&e)));
    assert_eq!(checked, ["001", "002", "003"]);
}
