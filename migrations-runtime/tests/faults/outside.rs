//! SIGKILL during a `no-transaction` revision: its statements commit one by one, so a kill
//! leaves part of it applied. The progress row must say exactly how far it got (every statement
//! before the recorded one took effect), every later run must refuse, and `resolve --retry`
//! after the documented clean-up must complete it.

use super::*;

/// The statements of revision 002, outside a transaction, each safe to re-run from the
/// statement a stop records; `t2` (its last statement) marks a complete run.
const OUTSIDE: &str = "-- migrate: no-transaction
CREATE TABLE IF NOT EXISTS t2_data (id int);
INSERT INTO t2_data SELECT g FROM generate_series(1, 20000) g WHERE NOT EXISTS (SELECT 1 FROM t2_data);
SELECT pg_sleep(0.05);
CREATE INDEX CONCURRENTLY t2_data_id ON t2_data (id);
SELECT pg_sleep(0.05);
CREATE TABLE t2 (id int);
";

#[tokio::test]
async fn sigkill_inside_a_no_transaction_revision_is_recorded_and_resolvable() {
    let dir = fixture(&[0, 0, 20]);
    std::fs::write(dir.path().join("002_t2/up.sql"), OUTSIDE).expect("write 002");
    std::fs::write(
        dir.path().join("002_t2/down.sql"),
        "DROP TABLE t2;\nDROP TABLE t2_data;\n",
    )
    .expect("write 002 down");
    let span = calibrate(dir.path()).await;
    let (base, trials) = (
        env_number("FAULT_SEED", 0x5eed),
        env_number("FAULT_TRIALS", 12),
    );
    let mut stopped_at = Vec::new();
    for seed in base..base + trials {
        if let Some(statement) = outside_trial(dir.path(), seed, span).await {
            stopped_at.push(statement);
        }
    }
    println!("{trials} SIGKILL trials; stops recorded inside 002 at statements {stopped_at:?}");
    assert!(
        trials < 4 || !stopped_at.is_empty(),
        "no trial killed the runner inside the no-transaction revision"
    );
}

/// One trial; returns the statement a recorded stop names, if the kill landed inside 002.
async fn outside_trial(dir: &Path, seed: u64, span: Duration) -> Option<i32> {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    let delay = Duration::from_micros(Rng::new(seed).below(span.as_micros() as u64 * 6 / 5));
    let context = format!("seed {seed}, SIGKILL after {delay:?}");
    let mut child = migrate(dir, db.url(), &["upgrade", "head"])
        .spawn()
        .expect("migrate starts");
    tokio::select! {
        status = child.wait() => assert!(status.expect("wait").success(), "{context}: failed before the kill"),
        () = tokio::time::sleep(delay) => child.kill().await.expect("SIGKILL"),
    }
    await_zero(
        &client,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        "the runner's sessions are still connected",
        &context,
    )
    .await;
    let stop = stop(&client).await;
    if let Some(statement) = stop {
        check_stop(&client, dir, db.url(), statement, &context).await;
    }
    let output = migrate(dir, db.url(), &["upgrade", "head"])
        .output()
        .await
        .expect("rerun");
    assert_success(&output, &format!("{context}: rerun"));
    let recorded: i64 = client
        .query_one("SELECT count(*) FROM schema_revisions", &[])
        .await
        .expect("history")
        .get(0);
    assert_eq!(recorded, 3, "{context}: at head after the rerun");
    let valid: bool = client
        .query_one(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = 't2_data_id'::regclass",
            &[],
        )
        .await
        .expect("index")
        .get(0);
    assert!(valid, "{context}: the index is valid");
    stop
}

/// The statement a stop of 002 recorded, if there is one.
async fn stop(client: &Client) -> Option<i32> {
    let table: Option<String> = client
        .query_one("SELECT to_regclass('schema_revisions_progress')::text", &[])
        .await
        .expect("lookup")
        .get(0);
    table?;
    client
        .query_opt(
            "SELECT statement FROM schema_revisions_progress WHERE version = '002'",
            &[],
        )
        .await
        .expect("progress")
        .map(|r| r.get(0))
}

/// After a stop at `statement`: 002 is not recorded, every statement before it took effect, the
/// next upgrade refuses naming it, and the documented clean-up plus `resolve --retry` finish it.
async fn check_stop(client: &Client, dir: &Path, url: &str, statement: i32, context: &str) {
    let recorded: Vec<String> = client
        .query("SELECT version FROM schema_revisions ORDER BY version", &[])
        .await
        .expect("history")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(
        recorded,
        ["001"],
        "{context}: 002 is not recorded while stopped"
    );
    let exists = |name: &'static str| async move {
        client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&name])
            .await
            .expect("lookup")
            .get::<_, bool>(0)
    };
    if statement > 1 {
        assert!(
            exists("t2_data").await,
            "{context}: statement 1 ran before the stop at {statement}"
        );
    }
    if statement > 2 {
        let rows: i64 = client
            .query_one("SELECT count(*) FROM t2_data", &[])
            .await
            .expect("rows")
            .get(0);
        assert_eq!(
            rows, 20000,
            "{context}: statement 2 ran before the stop at {statement}"
        );
    }
    if statement > 4 {
        assert!(
            exists("t2_data_id").await,
            "{context}: statement 4 ran before the stop at {statement}"
        );
    }
    let refused = migrate(dir, url, &["upgrade", "head"])
        .output()
        .await
        .expect("upgrade");
    assert_failed_in(&refused, &format!("statement {statement} of 6"), context);
    // What the message tells the operator: a statement stopped mid-way may or may not have taken
    // effect. Check it; an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index to drop.
    let valid_index: Option<bool> = client
        .query_opt(
            "SELECT indisvalid FROM pg_index WHERE indexrelid = to_regclass('t2_data_id')",
            &[],
        )
        .await
        .expect("index")
        .map(|r| r.get(0));
    if valid_index == Some(false) {
        client
            .batch_execute("DROP INDEX t2_data_id")
            .await
            .expect("drop the invalid index");
    }
    let took_effect = match statement {
        4 => valid_index == Some(true),
        6 => exists("t2").await,
        _ => false,
    };
    let args: Vec<String> = match (took_effect, statement) {
        (true, 6) => vec!["--mark-completed".into()],
        (true, k) => vec!["--retry".into(), "--from".into(), (k + 1).to_string()],
        (false, _) => vec!["--retry".into()],
    };
    let mut command = vec!["resolve", "002"];
    command.extend(args.iter().map(String::as_str));
    let resolved = migrate(dir, url, &command).output().await.expect("resolve");
    assert_success(
        &resolved,
        &format!("{context}: resolve {args:?} after a stop at statement {statement}"),
    );
}
