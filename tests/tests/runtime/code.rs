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

/// Drives `run` until its session sleeps in a batch (`SELECT pg_sleep(60)`), terminates that
/// session from `watcher`, as a killed runner's would end, and returns what `run` returned.
async fn kill_in_sleep<T>(
    db: &migrations_runtime::testing::TestDatabase,
    watcher: &Client,
    run: impl std::future::Future<Output = Result<T, MigrateError>>,
) -> Result<T, MigrateError> {
    let kill = async {
        let pid = sleeping(db, watcher).await;
        watcher
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .expect("kill");
    };
    let (result, ()) = tokio::join!(run, kill);
    result
}

/// The backend pid of the session of `db` that sleeps in a batch (`SELECT pg_sleep(60)`), once
/// one does, as `watcher` sees it.
async fn sleeping(db: &migrations_runtime::testing::TestDatabase, watcher: &Client) -> i32 {
    let name = db.name().to_owned();
    common::wait_until("a batch waiting in pg_sleep", || async {
        watcher
            .query_opt(
                "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND query LIKE 'SELECT pg_sleep(60)%'",
                &[&name],
            )
            .await
            .expect("pg_stat_activity")
            .map(|r| r.get(0))
    })
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
    let killed = kill_in_sleep(&db, &watcher, migrator.upgrade(&mut client, "head")).await;
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

// Regressions found by an adversarial review of the first version: each doc comment says what
// that version did wrong.

static REVIEW: Migrations = migrations_runtime::embed_migrations!("fixtures/code_review");

/// A second copy of the glue's types, as a dependency graph holding two versions of
/// `migrations-runtime` has: the macro is pointed at it with `runtime = path`, and the runtime
/// that runs the table then cannot downcast the compiled function to its own `Code`.
pub(crate) mod foreign {
    pub(crate) use migrations_runtime::tokio_postgres;
    pub(crate) mod code {
        pub(crate) use migrations_runtime::code::{__once, Pending};
        use migrations_runtime::tokio_postgres::Transaction;

        type OnceFn = for<'a, 'b> fn(&'a mut Transaction<'b>) -> Pending<'a, ()>;

        #[derive(Clone, Copy)]
        pub(crate) struct Code(#[allow(dead_code)] OnceFn);

        impl Code {
            pub(crate) const fn __once(function: OnceFn) -> Self {
                Self(function)
            }
        }
    }
}

static FOREIGN: Migrations =
    migrations_macro::embed_migrations!("fixtures/code_foreign", runtime = crate::code::foreign);

async fn done(client: &Client) -> i64 {
    one(client, "SELECT count(*) FROM t WHERE done").await
}

/// `migrate --dir DIR resolve 003 --retry` on a half-done batched revision: the table was read
/// from files, so the program has no code for 003. `upgrade` refuses such a plan
/// (`NotCompiled`), but `resolve --retry` goes straight to the run, which finds no compiled
/// function, falls back to the SQL path, runs the (zero) statements of the Rust "script", and
/// records 003 as applied: the backfill is marked done with 15 of its 25 items untouched.
#[tokio::test]
async fn resolve_retry_from_a_directory_read_at_run_time_does_not_mark_a_half_done_backfill_applied(
) {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "002").await.expect("002");
    control(&client, "fail_at = 15").await;
    migrator
        .upgrade(&mut client, "head")
        .await
        .expect_err("batch 2 fails");
    control(&client, "fail_at = NULL").await;
    assert_eq!(processed(&client).await, (10, 10, 10));
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures/code");
    let loaded = common::load(&dir);
    let result = common::migrator(&loaded, &db)
        .resolve(&mut client, "003", Resolution::Retry)
        .await;
    let recorded = common::recorded(&client).await;
    let items = processed(&client).await;
    let rows = progress(&client).await;
    assert!(
        result.is_err(),
        "resolve --retry without the code must refuse, as upgrade does (NotCompiled); it returned {:?}, history is now {recorded:?}, items processed {items:?}, progress rows {rows:?}",
        result.map(|r| (r.version, r.duration_ms))
    );
    assert_eq!(recorded, ["001", "002"], "003 is not recorded as applied");
    assert_eq!(rows.len(), 1, "the half-done row is kept");
}

/// A compiled function the runner cannot downcast to its own `Code` (a `runtime = path` naming
/// another copy of the runtime, as two versions of migrations-runtime in one dependency graph
/// would) passes the plan's `NotCompiled` check, which looks at `script.code().is_some()`; then
/// `Code::of` returns `None` and `apply_in` falls back to `run_in_transaction`, which sends the
/// Rust *source* to the server as SQL: "syntax error at or near \"//\"" at line 1 of up.rs.
/// (The no-transaction path's fallback runs the Rust script's zero statements instead: see the
/// `resolve --retry` test above, where that records the revision.) A Rust script without usable
/// code should be refused as not compiled, never sent or skipped.
#[tokio::test]
async fn a_rust_revision_whose_code_the_runner_cannot_use_is_refused_not_sent_as_sql() {
    let (db, mut client) = common::fresh().await;
    assert!(FOREIGN
        .get("001")
        .is_some_and(|r| r.up().is_rust() && r.up().code().is_some()));
    let error = common::migrator(&FOREIGN, &db)
        .upgrade(&mut client, "head")
        .await
        .expect_err("the function cannot run");
    assert!(
        matches!(&error, MigrateError::Plan(PlanError::NotCompiled { .. })),
        "not refused as uncompiled code: {}",
        source_chain(&error)
    );
}

/// The progress table's `cursor` column is added with `ALTER TABLE ... ADD COLUMN IF NOT
/// EXISTS` before every batched run, even when the column is there. ALTER TABLE needs
/// ownership, so a deploy role with only row privileges on DBA-created history and progress
/// tables (the case `commands::a_role_with_only_row_privileges_can_migrate` protects) cannot run
/// any batched revision: "must be owner of table hist_progress".
#[tokio::test]
async fn a_role_with_only_row_privileges_can_run_a_batched_revision() {
    let (db, admin) = common::fresh().await;
    let role = format!("batcher_{}", db.name().trim_start_matches("test_"));
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; CREATE SCHEMA ops;
             CREATE TABLE ops.hist (version text PRIMARY KEY, name text NOT NULL, checksum bytea NOT NULL, checksum_algorithm smallint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms bigint, applied_by text NOT NULL DEFAULT current_user, method text NOT NULL DEFAULT 'upgrade');
             CREATE TABLE ops.hist_progress (version text PRIMARY KEY, direction text NOT NULL CHECK (direction IN ('up', 'down')), statement integer NOT NULL, total integer NOT NULL, prefix_checksum bytea NOT NULL, error text, cursor text, updated_at timestamptz NOT NULL DEFAULT now(), updated_by text NOT NULL DEFAULT current_user);
             GRANT USAGE, CREATE ON SCHEMA public TO {role}; GRANT USAGE ON SCHEMA ops TO {role};
             GRANT SELECT, INSERT, UPDATE, DELETE ON ops.hist, ops.hist_progress TO {role};"
        ))
        .await
        .expect("set up the role");
    let mut config = db.config().clone();
    config.user(&role);
    let mut deployer = common::connect(&config).await;
    let options = migrations_runtime::ConnectOptions::from_config(config.clone());
    let table = HistoryTable::parse("ops.hist").expect("name");
    let result = migrations_runtime::Migrator::new(&REVIEW, options)
        .with_table(table)
        .upgrade(&mut deployer, "head")
        .await;
    let message = result.as_ref().err().map(|e| source_chain(e));
    drop(deployer);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("clean up the role");
    assert!(
        message.is_none(),
        "a batched revision needs only row privileges on the progress table: {}",
        message.unwrap_or_default()
    );
}

/// A batch that commits its own work and then fails: the README says the failed batch "is
/// rolled back" and that "what is committed is always exactly what the progress row says".
/// The one-shot path compares `txid_current()` before and after and refuses
/// (`EndedTransaction`); the batched path has no such check, so batch 2's rows stay done while
/// the progress row says batch 2 is still to do (and the error advises `--retry`).
#[tokio::test]
async fn a_batch_that_commits_by_itself_is_detected_like_a_one_shot_function() {
    assert_batch_ended_by_itself("commit_then_fail").await;
}

/// Turns on `knob` of the review fixture, which makes 002's second batch end its transaction
/// itself and then fail, and checks that the run reports `EndedTransaction`.
async fn assert_batch_ended_by_itself(knob: &str) {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&REVIEW, &db);
    migrator.upgrade(&mut client, "001").await.expect("001");
    client
        .batch_execute(&format!("UPDATE knobs SET {knob} = true"))
        .await
        .expect("knob");
    let error = migrator
        .upgrade(&mut client, "002")
        .await
        .expect_err("batch 2 fails");
    let rows = progress(&client).await;
    let done = done(&client).await;
    assert!(
        matches!(
            &error,
            MigrateError::Apply(ApplyError::EndedTransaction { .. })
        ),
        "{knob}: not detected: {}; rows done {done} while the progress row says {rows:?}",
        source_chain(&error)
    );
}

/// A batched function that hands back the cursor it was given (a paging bug: the keyset
/// condition never advances) is called forever, each call committing another progress row,
/// with the session lock held: every other runner waits on it. A returned cursor equal to the
/// one passed in cannot make progress and could be refused as such.
#[tokio::test]
async fn a_batch_that_returns_the_cursor_it_was_given_is_refused_not_looped_on() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&REVIEW, &db);
    migrator.upgrade(&mut client, "001").await.expect("001");
    client
        .batch_execute("UPDATE knobs SET stall = true")
        .await
        .expect("knob");
    let run = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        migrator.upgrade(&mut client, "002"),
    )
    .await;
    let watcher = db.connect().await.expect("watcher");
    let batches: Option<i32> = watcher
        .query_opt(
            "SELECT statement FROM schema_revisions_progress WHERE version = '002'",
            &[],
        )
        .await
        .expect("progress")
        .map(|r| r.get(0));
    assert!(
        matches!(run, Ok(Err(_))),
        "still looping after 10 s (progress row at batch {batches:?}): {:?}",
        run.map(|r| r.map(|o| o.current_label()).map_err(|e| e.to_string()))
    );
    let Ok(Err(error)) = run else { return };
    assert!(
        source_chain(&error).contains("it returned the cursor it was given"),
        "{}",
        source_chain(&error)
    );
}

/// Review finding: rustfmt does more than whitespace: re-wrapping a list adds a trailing comma
/// (which the normal form now drops), a closure or match arm that no longer fits gets braces,
/// and style edition 2024 sorts imports differently. Re-wrapping (the revisions here, at a
/// narrower width) keeps the checksum; reordered imports are other tokens, an edit as the README
/// says.
#[test]
fn rustfmt_rewrapping_keeps_the_checksum_and_reordered_imports_do_not() {
    use migrations_core::rust::checksum;
    // What rustfmt does to a signature it wraps: one parameter a line, each with a comma.
    let one_line = "pub async fn up(tx: &mut Transaction<'_>, after: Option<i32>) -> Result<Option<i32>, Error> {\n    Ok(None)\n}\n";
    let wrapped = "pub async fn up(\n    tx: &mut Transaction<'_>,\n    after: Option<i32>,\n) -> Result<Option<i32>, Error> {\n    Ok(None)\n}\n";
    let mut failures = Vec::new();
    if checksum(one_line) != checksum(wrapped) {
        failures.push("a signature re-wrapped as rustfmt wraps it".to_owned());
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("workspace")
        .to_owned();
    for file in [
        "app-db/migrations/004_backfill_entities/up.rs",
        "tests/fixtures/code/002_shout/up.rs",
        "tests/fixtures/code/003_mark_done/up.rs",
    ] {
        let source = std::fs::read_to_string(root.join(file)).expect("read");
        let mut narrow = rustfmt(&source, &["--config", "max_width=60"]);
        // At that width rustfmt also puts 003's closure body in braces: other tokens, an edit.
        let braced =
            "let has = |at: Option<i32>| {\n        at.is_some_and(|at| ids.contains(&at))\n    };";
        if narrow.contains(braced) {
            assert_ne!(checksum(&narrow), checksum(&source), "braces are tokens");
            narrow = narrow.replace(
                braced,
                "let has =\n        |at: Option<i32>| at.is_some_and(|at| ids.contains(&at));",
            );
        }
        if checksum(&narrow) != checksum(&source) {
            failures.push(format!(
                "{file} re-wrapped by `rustfmt --config max_width=60`"
            ));
        }
    }
    let edition_2021 = "use migrations_runtime::tokio_postgres::{types::ToSql, Error, Transaction};\n\npub async fn up(tx: &mut Transaction<'_>) -> Result<(), Error> {\n    let p: &[&(dyn ToSql + Sync)] = &[];\n    tx.execute(\"SELECT 1\", p).await?;\n    Ok(())\n}\n";
    assert_eq!(
        rustfmt(edition_2021, &[]),
        edition_2021,
        "the file is rustfmt-clean"
    );
    // Reordered imports are other tokens: an edit, as the README says, recorded with `repair`.
    let edition_2024 = rustfmt(edition_2021, &["--style-edition", "2024"]);
    assert_ne!(
        checksum(&edition_2024),
        checksum(edition_2021),
        "{edition_2024}"
    );
    assert!(
        failures.is_empty(),
        "formatting changed the checksum:\n- {}",
        failures.join("\n- ")
    );
}

/// `rustfmt` (edition 2021, stdin to stdout) with `args`.
fn rustfmt(source: &str, args: &[&str]) -> String {
    use std::io::Write;
    let mut child = std::process::Command::new("rustfmt")
        .args(["--edition", "2021"])
        .args(args)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("rustfmt is installed (rustup component add rustfmt)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(source.as_bytes())
        .expect("write");
    let output = child.wait_with_output().expect("rustfmt runs");
    assert!(output.status.success(), "rustfmt failed");
    String::from_utf8(output.stdout).expect("utf-8")
}

/// Whitespace is dropped between any two non-word characters, but in Rust `& &` and `&&` are
/// different tokens: `a & &b()` (always calls `b`, a `BitAnd<&bool>`) and `a && b()`
/// (short-circuits) both compile, mean different things, and get one checksum.
#[test]
fn an_edit_that_changes_a_token_changes_the_checksum() {
    use migrations_core::rust::{checksum, normal_form};
    let short_circuit = "pub async fn up(tx: &mut Transaction<'_>) -> Result<(), Error> {\n    if stale(tx).await? && purge(tx).await? {}\n    Ok(())\n}\n";
    let always = short_circuit.replace("&& purge", "& &purge");
    assert_ne!(
        checksum(short_circuit),
        checksum(&always),
        "one normal form for both: {}",
        normal_form(&always)
    );
}

/// A batched run killed under an older build of the revision (here: one whose cursor was a
/// string) is resumed "without asking" by a build whose code changed: the progress row's
/// checksum is not compared on resume, only on `resolve --retry`. The new function cannot read
/// the stored cursor (`CursorMismatch`), the failure is recorded *with the new code's checksum*,
/// and so `resolve --retry` (which is meant to refuse when the code changed since) is accepted and
/// fails the same way again, while the error keeps advising "fix the cause, then --retry". A
/// resume under changed code should be refused as `--retry` is, naming the change.
#[tokio::test]
async fn a_killed_batched_run_is_not_resumed_by_changed_code() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "002").await.expect("002");
    // What an older build of 003 (cursor: String) left when it was killed after batch 1.
    client
        .batch_execute(
            "INSERT INTO schema_revisions_progress (version, direction, statement, total, prefix_checksum, error, cursor)
             VALUES ('003', 'up', 2, 0, '\\x00', NULL, '\"item-10\"')",
        )
        .await
        .expect("an older build's row");
    let first = migrator.upgrade(&mut client, "head").await;
    let after_first = progress(&client).await;
    let checksum: Vec<u8> = one(
        &client,
        "SELECT prefix_checksum FROM schema_revisions_progress WHERE version = '003'",
    )
    .await;
    let retry = migrator
        .resolve(&mut client, "003", Resolution::Retry)
        .await;
    let first = first
        .map(|o| o.current_label())
        .map_err(|e| source_chain(&e));
    let retry = retry.map(|r| r.duration_ms).map_err(|e| source_chain(&e));
    assert!(
        matches!(&first, Err(e) if e.contains("half done") && !e.contains("does not fit")),
        "the changed code was run on the old cursor:\n upgrade: {first:?}\n progress after: {after_first:?} (checksum now {checksum:02x?}, the old row had 00)\n resolve --retry: {retry:?}"
    );
}

/// A batched *down* script killed mid-run leaves the revision applied (its history row goes with
/// the last batch) and half undone. `State::plan` lets a resumable row pass when the plan is
/// empty, so `upgrade head` on that database succeeds and reports it at head: a deploy goes on
/// with a third of 004's rows deleted, and nothing but `current` tells. (A downgrade below it is
/// refused, and an upgrade with anything to run is refused; only the empty plan slips through.)
#[tokio::test]
async fn upgrade_does_not_report_head_over_a_half_done_downgrade() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&REVIEW, &db);
    migrator.upgrade(&mut client, "head").await.expect("head");
    client
        .batch_execute("UPDATE knobs SET sleep_down = true")
        .await
        .expect("knob");
    let watcher = db.connect().await.expect("watcher");
    let killed = kill_in_sleep(&db, &watcher, migrator.downgrade(&mut client, "-1")).await;
    assert!(killed.is_err(), "the downgrade lost its session");
    let marks: i64 = one(&watcher, "SELECT count(*) FROM marks").await;
    assert_eq!(marks, 20, "batch 1 of the down script is committed");
    assert_eq!(progress(&watcher).await.len(), 1);
    let mut again = db.connect().await.expect("connect");
    let upgraded = migrator.upgrade(&mut again, "head").await;
    assert!(
        upgraded.is_err(),
        "upgrade reported {:?} with 004's down script half done ({marks} of 30 marks left, progress {:?})",
        upgraded.map(|o| o.current_label()),
        progress(&watcher).await
    );
}

/// `Migrator::client_only` refuses plans with revisions that need a session of their own. For an
/// *upgrade* over 004, whose up script is plain SQL in a transaction and only whose *down*
/// script is batched, nothing needs such a session, yet `needs_connection` checks both scripts
/// whatever the direction and refuses ("needs a connection of its own"): a service that
/// migrates through a transaction pooler cannot upgrade past a revision with a batched down.
#[tokio::test]
async fn client_only_upgrades_over_a_revision_whose_down_alone_is_batched() {
    let (db, mut client) = common::fresh().await;
    common::migrator(&REVIEW, &db)
        .upgrade(&mut client, "003")
        .await
        .expect("003");
    let result = migrations_runtime::Migrator::client_only(&REVIEW)
        .upgrade(&mut client, "004")
        .await;
    assert!(
        result.is_ok(),
        "004 goes up with up.sql in a transaction: {}",
        result.err().map(|e| source_chain(&e)).unwrap_or_default()
    );
}

/// Second review: the txid check after a failure asks the transaction id only when the session
/// can still answer. A function that commits, opens a new transaction and then meets a server
/// error there (`COMMIT; BEGIN; SELECT 1 / 0`) leaves the session in an *aborted* transaction:
/// the question after it fails, so the batch is taken for an ordinary failure (`Batch`), while
/// its rows (11 to 20) are committed and the progress row says batch 2 is still to do: `--retry`
/// would run it again. `txid_status(before)` after the rollback would tell ('committed').
#[tokio::test]
async fn a_batch_that_commits_then_fails_in_a_new_transaction_is_detected() {
    assert_batch_ended_by_itself("commit_begin_fail").await;
}

/// Second review: a second replica that boots while the first is between batches (batch 2
/// sleeping, batch 1 committed, so the progress row is a resumable one) plans the half-done
/// revision first, waits for the lock, and once the first runner dies, finishes it. It must not
/// be refused by `State::plan`'s new rule.
#[tokio::test]
async fn a_second_replica_booting_mid_batches_waits_and_finishes_the_revision() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "002").await.expect("002");
    control(&client, "sleep_at = 15").await;
    let watcher = db.connect().await.expect("watcher");
    let mut second = db.connect().await.expect("second replica");
    let first_run = migrator.upgrade(&mut client, "head");
    let second_run = async {
        sleeping(&db, &watcher).await;
        migrator.upgrade(&mut second, "head").await
    };
    let killer = async {
        let pid = sleeping(&db, &watcher).await;
        // Time for the second replica to plan and start waiting for the lock.
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        control(&watcher, "sleep_at = NULL").await;
        watcher
            .execute("SELECT pg_terminate_backend($1)", &[&pid])
            .await
            .expect("terminate");
    };
    let (first, second_result, ()) = tokio::join!(first_run, second_run, killer);
    assert!(first.is_err(), "the first runner was killed");
    let second_result = second_result
        .map(|o| o.current_label())
        .map_err(|e| source_chain(&e));
    assert!(
        second_result.is_ok(),
        "the second replica was refused instead of waiting: {second_result:?}"
    );
    assert_eq!(processed(&watcher).await, (25, 25, 25));
    assert!(progress(&watcher).await.is_empty());
}

/// Second review: the one-shot path asks the transaction id after the function only when it
/// succeeded (`code.once(tx).await.map_err(failed)?` returns first). A function that runs COMMIT
/// and then returns an error leaves its work (items upper-cased) committed without a history
/// row, reported as an ordinary failure that "rolled back"; the batched path asks after an error
/// too.
#[tokio::test]
async fn a_one_shot_function_that_commits_then_fails_is_detected() {
    let (db, mut client) = common::fresh().await;
    let migrator = common::migrator(&CODE, &db);
    migrator.upgrade(&mut client, "001").await.expect("001");
    control(&client, "end_tx = true, fail_at = 1").await;
    let error = migrator
        .upgrade(&mut client, "002")
        .await
        .expect_err("002 fails");
    let upper: i64 = one(&client, "SELECT count(*) FROM items WHERE v = upper(v)").await;
    assert!(
        matches!(
            &error,
            MigrateError::Apply(ApplyError::EndedTransaction { .. })
        ),
        "not detected: {}; {upper} items upper-cased and committed, history {:?}",
        source_chain(&error),
        common::recorded(&client).await
    );
}
