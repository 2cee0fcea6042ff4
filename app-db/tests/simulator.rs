//! The `simulator` binary end to end: boot migration, a scripted and an interactive call landing
//! in all five tables, the `db` commands on the embedded revisions, and a single-file deploy.

mod common;

use common::database;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use app_db::testing::TestDatabase;

fn simulator(binary: &Path, cwd: &Path, url: &str, args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(binary)
        .args(args)
        .current_dir(cwd)
        .env("DATABASE_URL", url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("simulator starts");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    child.wait_with_output().expect("simulator runs")
}

fn run(db: &TestDatabase, args: &[&str], stdin: &str) -> (String, String, i32) {
    let out = simulator(
        Path::new(env!("CARGO_BIN_EXE_simulator")),
        Path::new(env!("CARGO_MANIFEST_DIR")),
        db.url(),
        args,
        stdin,
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

async fn count(db: &TestDatabase, table: &str) -> i64 {
    let client = db.connect().await.expect("connect");
    client
        .query_one(&format!("SELECT count(*) FROM {table}"), &[])
        .await
        .expect("count")
        .get(0)
}

#[tokio::test]
async fn a_scripted_call_migrates_plays_and_reports() {
    let db = database().await;
    let (out, err, code) = run(
        &db,
        &[
            "--scenario",
            "Car Accident - Minor Injuries",
            "--operator",
            "op-42",
        ],
        "",
    );
    assert_eq!(code, 0, "{err}");
    assert!(err.contains("migrated: applied"), "boot migrates: {err}");
    assert!(
        out.contains("TRAINING CALL REPORT — Car Accident - Minor Injuries"),
        "{out}"
    );
    for section in [
        "WHAT WAS CAPTURED",
        "KEY QUESTIONS",
        "METRICS",
        "Key questions asked (share)",
    ] {
        assert!(out.contains(section), "{section} missing:\n{out}");
    }
    for table in [
        "call_sessions",
        "call_transcripts",
        "extracted_entities",
        "performance_metrics",
    ] {
        assert!(count(&db, table).await > 0, "{table} is empty");
    }
    let client = db.connect().await.expect("connect");
    let row = client
        .query_one("SELECT operator_id, status::text FROM call_sessions", &[])
        .await
        .expect("q");
    assert_eq!(
        (row.get::<_, String>(0), row.get::<_, String>(1)),
        ("op-42".to_owned(), "completed".to_owned())
    );
}

#[tokio::test]
async fn an_interactive_call_takes_the_operators_lines() {
    let db = database().await;
    let (out, err, code) = run(
        &db,
        &["--interactive", "--scenario", "burglary in progress"],
        "911, what is the address of the emergency?\n\n/quit\n",
    );
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("operator: 911, what is the address of the emergency?"),
        "{out}"
    );
    let client = db.connect().await.expect("connect");
    let status: String = client
        .query_one("SELECT status::text FROM call_sessions", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(status, "terminated", "/quit hangs up");
    let typed: i64 = client.query_one("SELECT count(*) FROM call_transcripts WHERE text = '911, what is the address of the emergency?'", &[]).await.expect("q").get(0);
    assert_eq!(typed, 1);
}

#[tokio::test]
async fn db_commands_on_the_embedded_revisions() {
    let db = database().await;
    let (out, err, code) = run(&db, &["db", "check"], "");
    assert_eq!(code, 1, "pending before the first upgrade: {out}{err}");
    assert!(out.contains("connected to"), "{out}");
    assert_eq!(run(&db, &["db", "upgrade", "head"], "").2, 0);
    let (out, _, code) = run(&db, &["db", "check"], "");
    assert_eq!(code, 0, "{out}");
    let (out, _, _) = run(&db, &["db", "info"], "");
    assert!(
        out.contains("training_scenarios") && out.contains("5 rows"),
        "{out}"
    );
    let (out, _, code) = run(&db, &["db", "history"], "");
    assert_eq!(code, 0);
    assert!(
        out.contains("004_backfill_entities (head, current)"),
        "{out}"
    );
    // Seed again after editing a scenario: restored, idempotent.
    db.connect()
        .await
        .expect("c")
        .batch_execute("UPDATE training_scenarios SET is_active = false")
        .await
        .expect("edit");
    let (out, err, code) = run(&db, &["db", "seed"], "");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("seeded: 5"), "{out}");
    let (_, err, code) = run(&db, &["db", "reset"], "");
    assert_eq!(code, 1);
    assert!(err.contains("pass --yes"), "{err}");
    assert_eq!(run(&db, &["db", "reset", "--yes"], "").2, 0);
    assert_eq!(count(&db, "call_sessions").await, 0);
    assert_eq!(run(&db, &["db", "downgrade", "base"], "").2, 0);
}

/// The binary alone, in an empty directory: the revisions travel inside it.
#[tokio::test]
async fn a_single_binary_migrates_with_no_files_beside_it() {
    let db = database().await;
    let empty = tempfile::tempdir().expect("tempdir");
    let binary = empty.path().join("simulator");
    std::fs::copy(env!("CARGO_BIN_EXE_simulator"), &binary).expect("copy the binary");
    assert_eq!(
        std::fs::read_dir(empty.path()).expect("ls").count(),
        1,
        "nothing but the binary"
    );
    let out = simulator(
        &binary,
        empty.path(),
        db.url(),
        &["db", "upgrade", "head"],
        "",
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        count(&db, "schema_revisions").await as usize,
        app_db::MIGRATIONS.len()
    );
}

/// A database the old Alembic setup left at 002: the binary takes it over on `db upgrade head`
/// (recording 001 and 002 without running them) and migrates on.
#[tokio::test]
async fn the_binary_takes_over_an_alembic_database() {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    for revision in &app_db::MIGRATIONS.as_slice()[..2] {
        client
            .batch_execute(revision.up().sql())
            .await
            .expect("the Alembic-era schema");
    }
    client
        .batch_execute("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('002');")
        .await
        .expect("alembic_version");
    let (out, err, code) = run(&db, &["db", "upgrade", "head"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        err.contains("took over the Alembic-managed database at revision 002"),
        "{err}"
    );
    let rows = client
        .query(
            "SELECT version, method FROM schema_revisions ORDER BY version",
            &[],
        )
        .await
        .expect("history");
    let history: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    assert_eq!(
        history[..2],
        [
            ("001".to_owned(), "stamp".to_owned()),
            ("002".to_owned(), "stamp".to_owned())
        ]
    );
    assert!(
        history[2..].iter().all(|(_, m)| m == "upgrade"),
        "later revisions ran: {history:?}"
    );
    // What the revisions produce, `alembic_version` (kept for the old deployment) aside.
    let (out, err, code) = run(&db, &["db", "drift"], "");
    assert_eq!(code, 0, "no drift after the takeover: {out}{err}");
    assert!(
        out.contains("ok: the database matches its revisions"),
        "{out}"
    );
    // The binary has 004's code: it runs in the scratch database too, so there is no note.
    assert!(!out.contains("was not run"), "{out}");
    client
        .batch_execute("ALTER TABLE call_sessions ADD COLUMN stray text")
        .await
        .expect("drift by hand");
    let (out, _, code) = run(&db, &["db", "drift"], "");
    assert_eq!(code, 1, "{out}");
    assert!(
        out.contains("column public.call_sessions.stray: unexpected"),
        "{out}"
    );
}

/// Regression: the simulator accepted the migration options and ignored them when it migrated
/// on boot (its own refusal told the user to pass `--allow-unknown`, which then did nothing,
/// and `--lock-wait` always waited 300 s).
#[tokio::test]
async fn the_migration_options_hold_on_boot() {
    let db = database().await;
    let (_, err, code) = run(&db, &["db", "upgrade"], "");
    assert_eq!(code, 0, "{err}");
    let client = db.connect().await.expect("connect");
    client
        .batch_execute(
            "INSERT INTO schema_revisions (version, name, checksum, checksum_algorithm) \
             VALUES ('999', 'from_a_newer_binary', '\\x00', 1)",
        )
        .await
        .expect("an unknown revision");
    let (_, err, code) = run(&db, &["scenarios"], "");
    assert_eq!(code, 1, "a revision unknown to the binary is refused");
    assert!(err.contains("--allow-unknown"), "{err}");
    let (out, err, code) = run(&db, &["--allow-unknown", "scenarios"], "");
    assert_eq!(code, 0, "--allow-unknown is honoured on boot: {err}");
    assert!(out.contains(DEFAULT_SCENARIO_NAME), "{out}");

    let fresh = database().await;
    let holder = fresh.connect().await.expect("connect");
    let key = app_db::HistoryTable::default().lock_key();
    holder
        .execute("SELECT pg_advisory_lock($1)", &[&key])
        .await
        .expect("hold the migration lock");
    let (_, err, code) = run(&fresh, &["--lock-wait", "1", "scenarios"], "");
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("timed out after 1s waiting for the migration lock"),
        "--lock-wait is honoured on boot: {err}"
    );
}

const DEFAULT_SCENARIO_NAME: &str = "Domestic Violence Call";

/// A database the real Python setup built (SQLAlchemy's DDL, `tests/fixtures/alembic`): boot
/// refuses it naming the command; `db takeover --plan` shows the reconciliation, `--apply` runs
/// it and migrates on; `db drift` is then clean and the rows are all there.
#[tokio::test]
async fn the_binary_reconciles_a_database_built_by_sqlalchemy() {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/fixtures/alembic");
    let schema =
        std::fs::read_to_string(format!("{fixtures}/sqlalchemy_002.sql")).expect("fixture");
    client
        .batch_execute(&schema)
        .await
        .expect("the SQLAlchemy schema");
    client
        .batch_execute(app_db::MIGRATIONS.get("002").expect("002").up().sql())
        .await
        .expect("the seed");
    let rows = std::fs::read_to_string(format!("{fixtures}/sqlalchemy_rows.sql")).expect("fixture");
    client.batch_execute(&rows).await.expect("rows");
    let (out, err, code) = run(&db, &["db", "upgrade", "head"], "");
    assert_ne!(code, 0, "{out}");
    assert!(err.contains("simulator db takeover --plan"), "{err}");
    let (out, err, code) = run(&db, &["db", "takeover", "--plan"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("takeover of the Alembic database at revision 002"),
        "{out}"
    );
    assert!(
        out.contains("public.training_scenarios.is_active: 5 row(s) set to true"),
        "{out}"
    );
    let (out, err, code) = run(&db, &["db", "takeover", "--apply"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("database at 004_backfill_entities (head)"),
        "{out}"
    );
    let (out, err, code) = run(&db, &["db", "drift"], "");
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(count(&db, "call_transcripts").await, 2);
    assert_eq!(count(&db, "training_scenarios").await, 5);
    let (out, _, code) = run(&db, &["db", "takeover", "--plan"], "");
    assert_eq!(code, 0);
    assert!(out.contains("nothing to take over"), "{out}");
}

/// Scenario documents the Python setup wrote in its own shape: listed, played as far as they go
/// with a note naming every field that did not fit, or refused naming what is missing; never a
/// panic.
#[tokio::test]
async fn scenarios_in_another_shape_are_played_as_far_as_they_go() {
    let db = database().await;
    assert_eq!(run(&db, &["db", "upgrade"], "").2, 0);
    let client = db.connect().await.expect("connect");
    client
        .batch_execute(
            r#"INSERT INTO training_scenarios (name, description, caller_profile, scenario_script, difficulty_level) VALUES
               ('Kitchen Fire', 'written by the Python setup',
                '{"name": "Sam", "age": "40", "emotional_state": "anxious", "phone": "555-0100"}',
                '{"initial_conditions": "Smoke in a kitchen", "key_entities": ["smoke", "Elm Street"],
                  "dialogue": [{"speaker": "caller", "text": "There is smoke everywhere on Elm Street"},
                               {"role": "operator", "text": "no speaker key"},
                               {"speaker": "operator", "text": "What is the address of the fire?"}],
                  "notes": "v1"}',
                'easy'),
               ('Steps Only', 'no dialogue at all', '{}', '{"steps": ["answer", "dispatch"]}', 'easy');"#,
        )
        .await
        .expect("scenarios in another shape");
    let (out, err, code) = run(&db, &["scenarios"], "");
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("Kitchen Fire") && out.contains("(not in the scenario format"),
        "{out}"
    );
    assert!(
        out.contains("Domestic Violence Call"),
        "the seeded ones are listed too: {out}"
    );

    let (out, err, code) = run(&db, &["--scenario", "Kitchen Fire"], "");
    assert_eq!(code, 0, "{out}{err}");
    for gap in [
        "scenario_script.initial_conditions is text, not an object: used as its summary",
        "scenario_script.key_questions is missing",
        "scenario_script.dialogue[1].speaker `` is neither caller nor operator: line left out",
        "caller_profile.phone is not part of the format (ignored)",
    ] {
        assert!(err.contains(gap), "`{gap}` in:\n{err}");
    }
    assert!(out.contains("TRAINING CALL REPORT — Kitchen Fire"), "{out}");

    let (out, err, code) = run(&db, &["--scenario", "Steps Only"], "");
    assert_ne!(code, 0, "{out}");
    assert!(
        err.contains(
            "scenario `Steps Only` cannot be played: its script has no dialogue line to play"
        ),
        "{err}"
    );
    assert!(err.contains("scenario_script.dialogue is missing"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

/// Revision 004 backfills entities in batches: a `simulator db upgrade` killed with SIGKILL in the
/// middle of it loses only the batch in flight, and the next one resumes after the last committed
/// batch, so every line is extracted exactly once.
#[tokio::test]
async fn a_backfill_killed_mid_run_resumes_and_extracts_every_line_once() {
    let db = database().await;
    assert_eq!(run(&db, &["db", "upgrade", "003"], "").2, 0);
    let client = db.connect().await.expect("connect");
    let texts = [
        "He has a knife, we're at 1432 Maple Street, apartment 3B.",
        "My husband Daniel is bleeding from his arm.",
        "Okay, stay on the line.",
    ];
    client
        .execute(
            "WITH s AS (INSERT INTO call_sessions (operator_id, scenario_name) VALUES ('op', 'ad hoc') RETURNING id)
             INSERT INTO call_transcripts (session_id, timestamp_ms, speaker, text)
             SELECT s.id, g, 'caller', ($1::text[])[1 + g % 3] FROM s, generate_series(0, 19999) g",
            &[&texts.to_vec()],
        )
        .await
        .expect("20,000 lines from before extraction");
    // Each batch's insert waits a little, so the kill lands between batches 3 and 10 of 10.
    client
        .batch_execute(
            "CREATE FUNCTION slow() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.3); RETURN NULL; END $$;
             CREATE TRIGGER slow AFTER INSERT ON extracted_entities FOR EACH STATEMENT EXECUTE FUNCTION slow();",
        )
        .await
        .expect("slow batches");
    let mut child = Command::new(env!("CARGO_BIN_EXE_simulator"))
        .args(["db", "upgrade", "head"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env("DATABASE_URL", db.url())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("simulator starts");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let batch = loop {
        let row = client
            .query_opt(
                "SELECT statement FROM schema_revisions_progress WHERE version = '004'",
                &[],
            )
            .await
            .ok()
            .flatten();
        if let Some(batch) = row.map(|r| r.get::<_, i32>(0)).filter(|&b| b >= 3) {
            break batch;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the run ended before the kill"
        );
        assert!(
            std::time::Instant::now() < deadline,
            "batch 3 never started"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    };
    child.kill().expect("SIGKILL");
    let status = child.wait().expect("reaped");
    assert!(!status.success(), "killed, not finished");
    let recorded: i64 = client
        .query_one(
            "SELECT count(*) FROM schema_revisions WHERE version = '004'",
            &[],
        )
        .await
        .expect("history")
        .get(0);
    assert_eq!(recorded, 0, "killed at batch {batch}, before the end");
    client
        .batch_execute("DROP TRIGGER slow ON extracted_entities")
        .await
        .expect("full speed");
    let (out, err, code) = run(&db, &["db", "upgrade", "head"], "");
    assert_eq!(code, 0, "{out}{err}");
    let per_text: Vec<(String, i64)> = client
        .query(
            "SELECT t.text, count(e.id) FROM call_transcripts t
             LEFT JOIN extracted_entities e ON e.transcript_id = t.id GROUP BY t.id, t.text",
            &[],
        )
        .await
        .expect("per line")
        .iter()
        .map(|r| (r.get(0), r.get(1)))
        .collect();
    assert_eq!(per_text.len(), 20_000);
    for (text, count) in &per_text {
        let expected = app_db::sim::extract::extract(text).len() as i64;
        assert_eq!(*count, expected, "{text}: extracted once, none missing");
    }
    let progress: i64 = client
        .query_one("SELECT count(*) FROM schema_revisions_progress", &[])
        .await
        .expect("progress")
        .get(0);
    assert_eq!(progress, 0);
}
