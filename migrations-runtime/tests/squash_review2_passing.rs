//! `squash` on what the second review of it (review 16b) tried and found working, kept so it
//! stays so: a baseline failing part way, owners and grants a revision gave (another owner,
//! column grants, a function revoked from PUBLIC), forced row security, runner paths around the
//! baseline (a `no-transaction` revision after it, an irreversible one, a history table whose
//! names need quoting, JSON output, the boot check), offline scripts run by psql, and 50 000
//! rows.

mod common;

use std::path::Path;

use common::database;
use common::squash::{compare, history, role, rows, run};

/// Three squashable revisions, then a `no-transaction` one.
fn runner_paths(after: &[(&str, &str)]) -> tempfile::TempDir {
    let mut files = vec![
        (
            "001_init/up.sql",
            "CREATE TABLE a_first (id int PRIMARY KEY);\nINSERT INTO a_first VALUES (1);\n",
        ),
        ("001_init/down.sql", "DROP TABLE a_first;\n"),
        (
            "002_second/up.sql",
            "CREATE TABLE b_second (id int PRIMARY KEY, a int REFERENCES a_first (id));\nINSERT INTO b_second VALUES (1, 1);\n",
        ),
        ("002_second/down.sql", "DROP TABLE b_second;\n"),
        (
            "003_third/up.sql",
            "ALTER TABLE b_second ADD COLUMN note text;\nUPDATE b_second SET note = 'x';\n",
        ),
        ("003_third/down.sql", "ALTER TABLE b_second DROP COLUMN note;\n"),
        (
            "004_index/up.sql",
            "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY b_second_note ON b_second (note);\n",
        ),
        ("004_index/down.sql", "DROP INDEX CONCURRENTLY b_second_note;\n"),
    ];
    files.extend_from_slice(after);
    history(&files)
}

/// The tables of `public`, or `none`.
const TABLES: &str = "SELECT coalesce(string_agg(relname, ',' ORDER BY relname), 'none') FROM pg_class WHERE relnamespace = 'public'::regnamespace AND relkind = 'r'";

// Probe (review 16b): a baseline whose up fails part way (a table it creates second is in the
// way) commits nothing: no first table, no history table.
#[tokio::test]
async fn a_baseline_that_fails_part_way_leaves_the_database_as_it_was() {
    let root = runner_paths(&[]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let client = fresh.connect().await.expect("connect");
    client
        .batch_execute("CREATE TABLE b_second (x int)")
        .await
        .expect("in the way");
    run(root.path(), fresh.url(), &["upgrade"], 1);
    assert_eq!(
        rows(&client, TABLES).await,
        ["b_second"],
        "no a_first, no history"
    );
}

// Probe (review 16b): a table given to another role, a column-level grant, a function revoked
// from PUBLIC and granted to a role: the baseline's catalog has them as the chain's does.
#[tokio::test]
async fn owners_column_grants_and_revoked_functions_are_carried() {
    let db = database().await;
    let (owner, reader) = (role(&db, "owner").await, role(&db, "reader").await);
    let up = format!(
        "CREATE TABLE people (id int PRIMARY KEY, name text, salary int);\n\
         INSERT INTO people VALUES (1, 'ada', 10);\n\
         ALTER TABLE people OWNER TO \"{owner}\";\n\
         GRANT SELECT (id, name) ON people TO \"{reader}\";\n\
         CREATE FUNCTION raise(int) RETURNS int LANGUAGE sql AS 'SELECT $1 + 1';\n\
         REVOKE EXECUTE ON FUNCTION raise(int) FROM PUBLIC;\n\
         GRANT EXECUTE ON FUNCTION raise(int) TO \"{reader}\";\n\
         CREATE SCHEMA reports AUTHORIZATION \"{owner}\";\n"
    );
    let root = history(&[
        ("001_init/up.sql", &up),
        (
            "001_init/down.sql",
            "DROP TABLE people;\nDROP FUNCTION raise(int);\nDROP SCHEMA reports;\n",
        ),
    ]);
    let queries = [
        "SELECT relowner::regrole::text || ' ' || coalesce(relacl::text, '') FROM pg_class WHERE relname = 'people'".to_owned(),
        "SELECT string_agg(attname || '=' || coalesce(attacl::text, ''), ',' ORDER BY attnum) FROM pg_attribute WHERE attrelid = 'people'::regclass AND attnum > 0".to_owned(),
        "SELECT proacl::text FROM pg_proc WHERE proname = 'raise'".to_owned(),
        "SELECT nspowner::regrole::text FROM pg_namespace WHERE nspname = 'reports'".to_owned(),
        format!("SELECT has_function_privilege('{reader}', 'raise(int)', 'EXECUTE')::text || has_column_privilege('{reader}', 'people', 'salary', 'SELECT')::text"),
    ];
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    let (baseline, chain) = compare(root.path(), "001", &[], &queries).await;
    assert_eq!(baseline, chain);
    assert_eq!(baseline[4], "truefalse");
}

// Probe (review 16b): a table with FORCE ROW LEVEL SECURITY and a policy hiding every row
// from its owner: its rows are copied and the flags and policy are as the chain left them.
#[tokio::test]
async fn forced_row_security_is_restored_with_the_rows() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE secrets (id int PRIMARY KEY, tenant text);\n\
             INSERT INTO secrets VALUES (1, 'a'), (2, 'b');\n\
             ALTER TABLE secrets ENABLE ROW LEVEL SECURITY;\n\
             ALTER TABLE secrets FORCE ROW LEVEL SECURITY;\n\
             CREATE POLICY own ON secrets USING (tenant = current_setting('app.tenant', true));\n",
        ),
        ("001_init/down.sql", "DROP TABLE secrets;\n"),
    ]);
    let (baseline, chain) = compare(
        root.path(),
        "001",
        &[],
        &[
            "SELECT relrowsecurity::text || relforcerowsecurity::text FROM pg_class WHERE relname = 'secrets'",
            "SELECT polname || ' ' || pg_get_expr(polqual, polrelid) FROM pg_policy",
            "SELECT count(*)::text FROM secrets",
        ],
    )
    .await;
    assert_eq!(baseline, chain);
    assert_eq!(baseline[0], "truetrue");
}

// Probe (review 16b): after the drop, an empty database runs the baseline then a
// `no-transaction` revision; `downgrade base` reverts it on its own session and then runs the
// baseline's down; an irreversible revision after the baseline refuses `downgrade base` before
// anything runs. The history table's names need quoting (`Meta Data.Hist Ory`), `--format json`
// marks the baseline's steps, and a second upgrade is the boot check's no-op.
#[tokio::test]
async fn runner_paths_around_a_dropped_chain() {
    let root = runner_paths(&[]);
    let (db, fresh) = (database().await, database().await);
    let table = ["--history-table", "Meta Data.Hist Ory"];
    fn with<'a>(table: &[&'a str], args: &[&'a str]) -> Vec<&'a str> {
        [table, args].concat()
    }
    run(
        root.path(),
        db.url(),
        &with(&table, &["squash", "--through", "003", "--no-test"]),
        0,
    );
    run(
        root.path(),
        db.url(),
        &with(&table, &["squash", "--drop"]),
        0,
    );
    let (out, _) = run(
        root.path(),
        fresh.url(),
        &with(&table, &["--format", "json", "upgrade"]),
        0,
    );
    let json: serde_json::Value = serde_json::from_str(&out).expect("json");
    let baseline: Vec<bool> = json["steps"]
        .as_array()
        .expect("steps")
        .iter()
        .map(|s| s["baseline"].as_bool().unwrap_or(false))
        .collect();
    assert_eq!(baseline, [true, true, true, false]);
    let (out, _) = run(root.path(), fresh.url(), &with(&table, &["upgrade"]), 0);
    assert!(out.contains("nothing to do"), "{out}");
    let (out, _) = run(
        root.path(),
        fresh.url(),
        &with(&table, &["history", "--verbose"]),
        0,
    );
    assert_eq!(out.matches("(baseline)").count(), 3, "{out}");
    run(root.path(), fresh.url(), &with(&table, &["check"]), 0);
    run(
        root.path(),
        fresh.url(),
        &with(&table, &["downgrade", "base"]),
        0,
    );
    let client = fresh.connect().await.expect("connect");
    assert_eq!(rows(&client, TABLES).await, ["none"]);
    assert_eq!(
        rows(
            &client,
            "SELECT count(*)::text FROM \"Meta Data\".\"Hist Ory\""
        )
        .await,
        ["0"]
    );
}

// Probe (review 16b): an irreversible revision after a dropped chain: `downgrade base` is
// refused before anything runs.
#[tokio::test]
async fn an_irreversible_revision_after_the_baseline_refuses_base_before_anything_runs() {
    let root = runner_paths(&[(
        "005_final/up.sql",
        "-- migrate: irreversible\nCREATE TABLE c_final (id int);\n",
    )]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    run(root.path(), db.url(), &["squash", "--drop"], 0);
    run(root.path(), fresh.url(), &["upgrade"], 0);
    let (_, err) = run(root.path(), fresh.url(), &["downgrade", "base"], 1);
    assert!(err.contains("005_final"), "{err}");
    let client = fresh.connect().await.expect("connect");
    assert_eq!(
        rows(&client, TABLES).await,
        ["a_first,b_second,c_final,schema_revisions,schema_revisions_progress"]
    );
    assert_eq!(
        rows(&client, "SELECT count(*)::text FROM schema_revisions").await,
        ["5"]
    );
}

// Probe (review 16b): `downgrade --sql head:base`, with the chain (its down scripts) and after
// the drop (the baseline's down), run by psql on a database the baseline built, empties it;
// `upgrade --sql base:head` run by psql builds it again.
#[tokio::test]
async fn offline_downgrades_to_base_run_with_psql() {
    let root = runner_paths(&[]);
    let (db, fresh) = (database().await, database().await);
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let client = fresh.connect().await.expect("connect");
    for drop in [false, true] {
        if drop {
            run(root.path(), db.url(), &["squash", "--drop"], 0);
        }
        run(root.path(), fresh.url(), &["upgrade"], 0);
        let (script, _) = run(
            root.path(),
            fresh.url(),
            &["downgrade", "--sql", "head:base"],
            0,
        );
        assert_eq!(script.contains("the baseline (down"), drop, "{script}");
        // psql -c runs one transaction: the script's own BEGIN/COMMIT and the concurrent
        // index need it fed as a file.
        let file = root.path().join("down.sql");
        std::fs::write(&file, &script).expect("write");
        psql_file(fresh.url(), &file);
        assert_eq!(
            rows(&client, TABLES).await,
            ["schema_revisions,schema_revisions_progress"]
        );
        let (script, _) = run(
            root.path(),
            fresh.url(),
            &["upgrade", "--sql", "base:head"],
            0,
        );
        std::fs::write(&file, &script).expect("write");
        psql_file(fresh.url(), &file);
        assert_eq!(
            rows(&client, "SELECT string_agg(version || ' ' || method, ',' ORDER BY version) FROM schema_revisions").await,
            ["001 offline,002 offline,003 offline,004 offline"]
        );
        run(root.path(), fresh.url(), &["downgrade", "base"], 0);
    }
}

/// Runs the file `path` with psql on `url`.
fn psql_file(url: &str, path: &Path) {
    let out = std::process::Command::new("/usr/lib/postgresql/15/bin/psql")
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", url, "-f"])
        .arg(path)
        .output()
        .expect("psql runs");
    assert!(
        out.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

// Probe (review 16b): 50 000 rows (and a table referencing them) squash, load in statements of
// at most a thousand rows, and come back equal.
#[tokio::test]
async fn fifty_thousand_rows_squash_in_bounded_statements() {
    let root = history(&[
        (
            "001_init/up.sql",
            "CREATE TABLE events (id bigint PRIMARY KEY, body text NOT NULL);\n\
             CREATE TABLE tags (event_id bigint REFERENCES events (id), tag text);\n\
             INSERT INTO events SELECT g, repeat('x', 40) || g FROM generate_series(1, 50000) g;\n\
             INSERT INTO tags SELECT g, 't' || (g % 7) FROM generate_series(1, 50000, 3) g;\n",
        ),
        ("001_init/down.sql", "DROP TABLE tags, events;\n"),
    ]);
    let started = std::time::Instant::now();
    let (baseline, chain) = compare(
        root.path(),
        "001",
        &[],
        &[
            "SELECT count(*)::text || ' ' || md5(string_agg(id || body, ',' ORDER BY id)) FROM events",
            "SELECT count(*)::text || ' ' || md5(string_agg(event_id || tag, ',' ORDER BY event_id)) FROM tags",
        ],
    )
    .await;
    assert_eq!(baseline, chain);
    let up = std::fs::read_to_string(root.path().join("m/baseline/up.sql")).expect("up");
    let longest = up.split(";\n").map(str::len).max().unwrap_or(0);
    assert!(longest < 200_000, "a statement of {longest} bytes");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(120),
        "{:?}",
        started.elapsed()
    );
}

// Probe (review 16b): a manifest saved with CRLF line ends and a byte order mark (an editor on
// Windows) reads as the one `squash` wrote.
#[tokio::test]
async fn a_manifest_with_crlf_and_a_bom_reads_as_written() {
    let root = runner_paths(&[]);
    let db = database().await;
    run(
        root.path(),
        db.url(),
        &["squash", "--through", "003", "--no-test"],
        0,
    );
    let dir = root.path().join("m");
    let as_written = migrations_core::load_dir(&dir, "m", Default::default()).expect("valid");
    let path = dir.join("baseline/squashed.list");
    let list = std::fs::read_to_string(&path).expect("list");
    std::fs::write(&path, format!("\u{feff}{}", list.replace('\n', "\r\n"))).expect("write");
    let edited = migrations_core::load_dir(&dir, "m", Default::default()).expect("still valid");
    assert!(edited == as_written);
}
