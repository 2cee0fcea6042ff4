//! The `migrate` binary end to end: exit codes, human and JSON output, offline SQL, scaffolding,
//! and errors that name the problem without leaking the password.

mod common;

use common::database;
use std::path::Path;
use std::process::{Command, Output};

fn migrate(dir: &Path, url: Option<&str>, args: &[&str]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("--dir")
        .arg(dir)
        .args(args)
        .env_remove("DATABASE_URL");
    if let Some(url) = url {
        cmd.env("DATABASE_URL", url);
    }
    cmd.output().expect("migrate runs")
}

fn text(out: &Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn fixture() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (path, body) in [
        ("001_users/up.sql", "CREATE TABLE users (id int);"),
        ("001_users/down.sql", "DROP TABLE users;"),
        ("002_notes/up.sql", "CREATE TABLE notes (id int);"),
        ("002_notes/down.sql", "DROP TABLE notes;"),
    ] {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, body).expect("write");
    }
    dir
}

#[tokio::test]
async fn upgrade_check_current_history_downgrade() {
    let db = database().await;
    let dir = fixture();
    let url = Some(db.url());
    let (out, _, code) = text(&migrate(dir.path(), url, &["check"]));
    assert_eq!(code, 1, "pending revisions fail the check: {out}");
    assert!(out.contains("pending: 001_users, 002_notes"), "{out}");
    let (out, err, code) = text(&migrate(dir.path(), url, &["upgrade", "+1"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("applied 001_users") && out.contains("database at 001_users"),
        "{out}"
    );
    let (out, _, _) = text(&migrate(dir.path(), url, &["upgrade"]));
    assert!(out.contains("database at 002_notes (head)"), "{out}");
    let (out, _, code) = text(&migrate(dir.path(), url, &["check"]));
    assert_eq!(code, 0);
    assert!(out.starts_with("ok: database at 002_notes (head)"), "{out}");
    let (out, _, _) = text(&migrate(dir.path(), url, &["current", "--verbose"]));
    assert!(
        out.starts_with("002_notes (head)\n  applied ") && out.contains("checksum matches"),
        "{out}"
    );
    let (out, _, _) = text(&migrate(dir.path(), url, &["history", "-r", "base:001"]));
    assert_eq!(out.lines().count(), 1, "{out}");
    let (out, err, code) = text(&migrate(dir.path(), url, &["downgrade", "-1"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("reverted 002_notes"), "{out}");
    let (_, err, code) = text(&migrate(dir.path(), url, &["downgrade", "+1"]));
    assert_eq!(code, 1);
    assert!(err.contains("use `upgrade +1`"), "{err}");
}

#[tokio::test]
async fn json_output_of_read_only_commands() {
    let db = database().await;
    let dir = fixture();
    let url = Some(db.url());
    assert_eq!(text(&migrate(dir.path(), url, &["upgrade", "001"])).2, 0);
    for command in ["current", "history", "heads", "check", "show"] {
        let mut args = vec![command, "--format", "json"];
        if command == "show" {
            args.push("001");
        }
        let (out, err, _) = text(&migrate(dir.path(), url, &args));
        let value: serde_json::Value =
            serde_json::from_str(&out).unwrap_or_else(|e| panic!("{command}: {e}\n{out}\n{err}"));
        assert!(!value.is_null(), "{command}");
    }
    let (out, _, _) = text(&migrate(dir.path(), url, &["current", "--format", "json"]));
    let value: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(value["current"], "001_users");
    assert_eq!(value["pending"][0], "002_notes");
}

#[test]
fn usage_errors_exit_2_and_runtime_errors_exit_1() {
    let dir = fixture();
    assert_eq!(text(&migrate(dir.path(), None, &[])).2, 2);
    assert_eq!(text(&migrate(dir.path(), None, &["frobnicate"])).2, 2);
    let (_, err, code) = text(&migrate(
        dir.path(),
        None,
        &["--lock-timeout", "5 seconds", "current"],
    ));
    assert_eq!(code, 2);
    assert!(err.contains("is not a duration"), "{err}");
    let (_, err, code) = text(&migrate(dir.path(), None, &["current"]));
    assert_eq!(code, 1);
    assert!(err.contains("set DATABASE_URL"), "{err}");
    let (_, err, code) = text(&migrate(
        &dir.path().join("missing"),
        None,
        &["upgrade", "--sql"],
    ));
    assert_eq!(code, 1);
    assert!(err.contains("does not exist"), "{err}");
}

#[test]
fn connection_errors_never_print_the_password() {
    let dir = fixture();
    for url in [
        "postgres://app:hunter2@127.0.0.1:1/db",
        "host=127.0.0.1 port=1 user=app password=hunter2 dbname=db",
        "postgresql+asyncpg://app:hunter2@127.0.0.1:1/911_training",
    ] {
        let (out, err, code) = text(&migrate(dir.path(), Some(url), &["current"]));
        assert_eq!(code, 1);
        assert!(
            err.contains("cannot connect") && err.contains("***"),
            "{err}"
        );
        assert!(
            !out.contains("hunter2") && !err.contains("hunter2"),
            "{err}"
        );
        if url.starts_with("postgresql+asyncpg") {
            assert!(
                err.contains("SQLAlchemy driver URL"),
                "the old Alembic URL is accepted with a note: {err}"
            );
        }
    }
}

#[test]
fn offline_sql_needs_no_database() {
    let dir = fixture();
    let (out, err, code) = text(&migrate(dir.path(), None, &["upgrade", "--sql", "head"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("CREATE TABLE IF NOT EXISTS \"public\".\"schema_revisions\""),
        "{out}"
    );
    assert_eq!(out.matches("BEGIN;").count(), 2);
    assert!(out.contains("VALUES ('002', 'notes', decode('"), "{out}");
    let (out, _, code) = text(&migrate(
        dir.path(),
        None,
        &["downgrade", "--sql", "head:base"],
    ));
    assert_eq!(code, 0);
    assert!(
        out.find("DROP TABLE notes").expect("notes") < out.find("DROP TABLE users").expect("users")
    );
}

#[test]
fn revision_creates_the_next_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (out, err, code) = text(&migrate(
        dir.path(),
        None,
        &["revision", "-m", "Create users"],
    ));
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("001_create_users"), "{out}");
    std::fs::write(
        dir.path().join("001_create_users/up.sql"),
        "CREATE TABLE users (id int);",
    )
    .expect("write");
    text(&migrate(dir.path(), None, &["revision", "-m", "add notes"]));
    assert!(
        dir.path().join("002_add_notes/up.sql").is_file()
            && dir.path().join("002_add_notes/down.sql").is_file()
    );
}

#[test]
fn revision_writes_rust_scripts_when_asked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_, err, code) = text(&migrate(
        dir.path(),
        None,
        &["revision", "-m", "shout", "--rust"],
    ));
    assert_eq!(code, 0, "{err}");
    let (_, err, code) = text(&migrate(
        dir.path(),
        None,
        &["revision", "-m", "backfill", "--rust", "--batched"],
    ));
    assert_eq!(code, 0, "{err}");
    let once = std::fs::read_to_string(dir.path().join("001_shout/up.rs")).expect("up.rs");
    assert!(
        once.contains("pub async fn up(tx: &mut Transaction<'_>) -> Result<(), Error>"),
        "{once}"
    );
    let batched =
        std::fs::read_to_string(dir.path().join("002_backfill/down.rs")).expect("down.rs");
    assert!(
        batched.contains("pub async fn down(tx: &mut Transaction<'_>, after: Option<i64>)"),
        "{batched}"
    );
    let loaded = migrations_core::load_dir(dir.path(), "m", Default::default()).expect("valid");
    assert!(loaded
        .iter()
        .all(|r| r.up().is_rust() && r.down().is_some_and(|d| d.is_rust())));
    // sqlx's flat layout has no place for Rust.
    let flat = tempfile::tempdir().expect("tempdir");
    std::fs::write(flat.path().join("1_a.up.sql"), "SELECT 1;").expect("write");
    std::fs::write(flat.path().join("1_a.down.sql"), "SELECT 1;").expect("write");
    let (_, err, code) = text(&migrate(
        flat.path(),
        None,
        &["revision", "-m", "b", "--rust"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("revisions in Rust need the directory layout"),
        "{err}"
    );
}

#[test]
fn invalid_directory_lists_every_problem() {
    let dir = fixture();
    std::fs::remove_file(dir.path().join("002_notes/down.sql")).expect("rm");
    std::fs::write(dir.path().join("001_users/upp.sql"), "SELECT 1;").expect("write");
    let (_, err, code) = text(&migrate(dir.path(), None, &["upgrade", "--sql"]));
    assert_eq!(code, 1);
    assert!(
        err.contains("2 problems") && err.contains("upp.sql") && err.contains("002_notes/down.sql"),
        "{err}"
    );
}

/// The real histories of other projects (`MIGRATIONS_CORPORA`) through the binary, as an
/// operator would run them.
#[tokio::test]
async fn corpora_through_the_binary() {
    let Some(corpora) = migrations_core::corpora::dir("corpora_through_the_binary") else {
        return;
    };
    let db = database().await;
    let url = Some(db.url());
    let docsrs = corpora.join("docsrs");
    let (out, err, code) = text(&migrate(&docsrs, url, &["upgrade", "head"]));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.ends_with("database at 20260811210608_remove-release-files-archive (head)\n"),
        "{out}"
    );
    assert_eq!(text(&migrate(&docsrs, url, &["check"])).2, 0);
    let (out, err, code) = text(&migrate(&docsrs, url, &["downgrade", "base"]));
    assert_eq!(code, 0, "{err}");
    assert!(out.ends_with("database at base\n"), "{out}");

    let zksync = corpora.join("zksync-era");
    let (_, err, code) = text(&migrate(&zksync, None, &["upgrade", "--sql"]));
    assert_eq!(code, 1, "strict loading refuses the up-only files");
    assert!(
        err.contains("3 problems")
            && err.contains("--allow-up-only")
            && err.contains("20241812144402_create_index_data_availability"),
        "{err}"
    );
    let db = database().await;
    let url = Some(db.url());
    assert_eq!(
        text(&migrate(&zksync, url, &["--allow-up-only", "upgrade"])).2,
        0
    );
    let before = text(&migrate(
        &zksync,
        url,
        &["--allow-up-only", "history", "--format", "json"],
    ))
    .0;
    let (_, err, code) = text(&migrate(
        &zksync,
        url,
        &["--allow-up-only", "downgrade", "base"],
    ));
    assert_eq!(code, 1);
    assert!(
        err.contains("irreversible") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(
        text(&migrate(
            &zksync,
            url,
            &["--allow-up-only", "history", "--format", "json"]
        ))
        .0,
        before
    );
}

/// Every history row and audit row, as text: equal strings mean nothing changed.
async fn recorded(client: &tokio_postgres::Client) -> String {
    let rows = client
        .query("SELECT version || ' ' || encode(checksum, 'hex') FROM schema_revisions ORDER BY version", &[])
        .await
        .expect("history");
    let audit = client
        .query(
            "SELECT count(*)::text FROM pg_tables WHERE tablename = 'schema_revisions_repairs'",
            &[],
        )
        .await
        .expect("catalog");
    let mut text: Vec<String> = rows.iter().map(|r| r.get(0)).collect();
    text.push(format!("audit tables: {}", audit[0].get::<_, String>(0)));
    text.join("\n")
}

#[tokio::test]
async fn repair_re_records_only_the_named_edited_revisions_with_an_audit_row() {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    let dir = fixture();
    let url = Some(db.url());
    assert_eq!(text(&migrate(dir.path(), url, &["upgrade"])).2, 0);
    let up = dir.path().join("002_notes/up.sql");
    std::fs::write(&up, "-- notes, one per user\nCREATE TABLE notes (id int);").expect("edit");
    let (_, err, code) = text(&migrate(dir.path(), url, &["upgrade"]));
    assert_eq!(code, 1, "an edited applied revision is refused: {err}");
    assert!(
        err.contains("re-record it with `migrate repair 002`"),
        "{err}"
    );
    let before = recorded(&client).await;

    let (out, err, code) = text(&migrate(dir.path(), url, &["repair", "002", "--dry-run"]));
    assert_eq!(code, 0, "{err}");
    let old = before.lines().nth(1).expect("002's row")[4..].to_owned();
    assert!(
        out.contains("would repair 002_notes") && out.contains(&old),
        "{out}"
    );
    assert!(out.contains("dry run: nothing was changed"), "{out}");
    for (args, message) in [
        (
            &["repair", "002", "001"][..],
            "revision 001's recorded checksum already matches its file: nothing to repair",
        ),
        (
            &["repair", "003"][..],
            "`003` is not a revision of this binary",
        ),
        (
            &["repair", "00"][..],
            "`00` is not a revision of this binary",
        ),
    ] {
        let (_, err, code) = text(&migrate(dir.path(), url, args));
        assert_eq!(code, 1, "{args:?}: {err}");
        assert!(err.contains(message), "{args:?}: {err}");
    }
    assert_eq!(
        recorded(&client).await,
        before,
        "refusals and the dry run change nothing"
    );

    let args = ["repair", "002_notes", "--reason", "added a comment"];
    let (out, err, code) = text(&migrate(dir.path(), url, &args));
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("audit rows written to \"public\".\"schema_revisions_repairs\""),
        "{out}"
    );
    let audit = client
        .query_one(
            "SELECT version, encode(old_checksum, 'hex'), encode(new_checksum, 'hex'), repaired_by = current_user, reason, repaired_at <= now() FROM schema_revisions_repairs",
            &[],
        )
        .await
        .expect("one audit row");
    assert_eq!(audit.get::<_, String>(0), "002");
    assert_eq!(audit.get::<_, String>(1), old);
    let new: String = audit.get(2);
    assert!(before
        .lines()
        .next()
        .is_some_and(|first| !first.contains(&new)));
    assert!(audit.get::<_, bool>(3) && audit.get::<_, bool>(5));
    assert_eq!(
        audit.get::<_, Option<String>>(4).as_deref(),
        Some("added a comment")
    );
    let after = recorded(&client).await;
    assert!(after.contains(&format!("002 {new}")), "{after}");
    assert_eq!(after.lines().next(), before.lines().next(), "001 untouched");
    let (out, err, code) = text(&migrate(dir.path(), url, &["check"]));
    assert_eq!(code, 0, "nothing edited any more: {out}{err}");
}

#[tokio::test]
async fn insufficient_privilege_is_named_and_changes_nothing() {
    let db = database().await;
    let client = db.connect().await.expect("connect");
    let role = format!("reader_{}", &db.name()[db.name().len() - 12..]);
    client
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {role}"
        ))
        .await
        .expect("a role that may not create tables");
    let dir = fixture();
    let url = format!("{} user={role}", db.url());
    let (out, err, code) = text(&migrate(dir.path(), Some(&url), &["upgrade"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("the connecting role lacks a privilege on history table \"public\".\"schema_revisions\"")
            && err.contains("grant it")
            && err.contains("nothing was changed")
            && err.contains("permission denied for schema public"),
        "{err}"
    );
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .expect("catalog")
        .get(0);
    assert_eq!(tables, 0, "nothing was created");
    let cleanup = format!("DROP OWNED BY {role}; DROP ROLE {role}");
    client.batch_execute(&cleanup).await.expect("cleanup");
}

/// Runs `migrate args` and asserts the syntax refusal: exit code 1, `scripts` (`1 up script(s)`)
/// do not parse, the error names `place` (`file:line:`), and nothing is printed or run.
fn refused_for_syntax(dir: &Path, url: Option<&str>, args: &[&str], scripts: &str, place: &str) {
    let (out, err, code) = text(&migrate(dir, url, args));
    assert_eq!(code, 1, "{args:?}: {out}{err}");
    let command = format!("`{}` ran nothing", args[0]);
    assert!(
        err.contains(&format!("{scripts} do not parse"))
            && err.contains(place)
            && err.contains(&command),
        "{args:?}: {err}"
    );
    assert!(out.is_empty(), "{args:?}: nothing printed or run: {out}");
}

/// An upgrade from a directory whose second up script does not parse is refused before anything
/// connects or runs, naming the file, line and column; the first revision is not applied alone.
/// A broken down script does not block an upgrade (imported histories carry some).
#[tokio::test]
async fn upgrade_refuses_an_up_script_that_does_not_parse_before_running_anything() {
    let db = database().await;
    let dir = fixture();
    std::fs::write(
        dir.path().join("002_notes/up.sql"),
        "CREATE TABLE notes (id int);\nALTER TABLE notes ADD COLUMN body text NOT NUL;\n",
    )
    .expect("write");
    let url = Some(db.url());
    for args in [&["upgrade"][..], &["upgrade", "--sql"][..]] {
        refused_for_syntax(
            dir.path(),
            url,
            args,
            "1 up script(s)",
            "002_notes/up.sql:2:",
        );
    }
    let client = db.connect().await.expect("connect");
    let history: bool = client
        .query_one("SELECT to_regclass('schema_revisions') IS NOT NULL", &[])
        .await
        .expect("query")
        .get(0);
    assert!(
        !history,
        "nothing ran, not even the history table's creation"
    );

    std::fs::write(
        dir.path().join("002_notes/up.sql"),
        "CREATE TABLE notes (id int);",
    )
    .expect("write");
    std::fs::write(dir.path().join("001_users/down.sql"), "DROP TABLEE users;").expect("write");
    let (_, err, code) = text(&migrate(dir.path(), url, &["upgrade"]));
    assert_eq!(
        code, 0,
        "a broken down script does not block an upgrade: {err}"
    );
}

/// `downgrade` (and `downgrade --sql`) refuses when a down script it would run does not parse,
/// before reverting anything: the revisions after the broken one stay applied. A broken down
/// script the target does not reach blocks nothing.
#[tokio::test]
async fn downgrade_refuses_a_down_script_it_would_run_that_does_not_parse() {
    let db = database().await;
    let dir = fixture();
    let url = Some(db.url());
    let (_, err, code) = text(&migrate(dir.path(), url, &["upgrade"]));
    assert_eq!(code, 0, "{err}");
    std::fs::write(dir.path().join("001_users/down.sql"), "DROP TABLEE users;").expect("write");

    for args in [
        &["downgrade", "base"][..],
        &["downgrade", "--sql", "head:base"][..],
    ] {
        refused_for_syntax(
            dir.path(),
            url,
            args,
            "1 down script(s)",
            "001_users/down.sql:1:",
        );
    }
    let (out, _, code) = text(&migrate(
        dir.path(),
        url,
        &["downgrade", "--sql", "head:-1"],
    ));
    assert!(code == 0 && out.contains("DROP TABLE notes"), "{out}");
    let client = db.connect().await.expect("connect");
    let state: (i64, bool) = {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM schema_revisions), to_regclass('notes') IS NOT NULL",
                &[],
            )
            .await
            .expect("query");
        (row.get(0), row.get(1))
    };
    assert_eq!(state, (2, true), "002 was not reverted before the refusal");

    let (_, err, code) = text(&migrate(dir.path(), url, &["downgrade", "-1"]));
    assert_eq!(code, 0, "001's down script is not run by `-1`: {err}");
    let remaining: i64 = client
        .query_one("SELECT count(*) FROM schema_revisions", &[])
        .await
        .expect("query")
        .get(0);
    assert_eq!(remaining, 1);
}

/// Regression (found in review): an offline range on the wrong side advised the online command
/// (`use downgrade 001`), which would run against DATABASE_URL instead of printing a script, and
/// the irreversible refusal named only the range's end.
#[test]
fn offline_refusals_name_the_range_and_the_offline_command() {
    let dir = fixture();
    let (out, err, code) = text(&migrate(dir.path(), None, &["upgrade", "--sql", "002:001"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(err.contains("use `downgrade --sql 002:001`"), "{err}");
    std::fs::remove_file(dir.path().join("001_users/down.sql")).expect("rm");
    std::fs::write(
        dir.path().join("001_users/up.sql"),
        "-- migrate: irreversible\nCREATE TABLE users (id int);",
    )
    .expect("write");
    let (out, err, code) = text(&migrate(
        dir.path(),
        None,
        &["downgrade", "--sql", "head:base"],
    ));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("downgrade to head:base must revert 001_users"),
        "{err}"
    );
}

/// The simulator's directory read at run time: `migrate` lists its Rust revision 004, runs the
/// SQL ones before it, and refuses 004 (online and offline) before anything runs, naming the
/// binary that carries its code.
#[tokio::test]
async fn a_directory_with_a_rust_revision_is_listed_and_its_code_refused() {
    let db = database().await;
    let url = Some(db.url());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app-db/migrations");
    let (out, err, code) = text(&migrate(&dir, url, &["upgrade", "head"]));
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.contains("004_backfill_entities (`004_backfill_entities/up.rs`) is written in Rust"),
        "{err}"
    );
    assert!(
        err.contains("whose binaries carry its compiled code: migrate with `simulator`"),
        "{err}"
    );
    assert!(err.contains("nothing was run"), "{err}");
    let client = db.connect().await.expect("connect");
    let tables: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'",
            &[],
        )
        .await
        .expect("tables")
        .get(0);
    assert_eq!(tables, 0, "the database is as it was");
    let (out, err, code) = text(&migrate(&dir, url, &["upgrade", "003"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, _, code) = text(&migrate(&dir, url, &["current", "--verbose"]));
    assert_eq!(code, 0);
    assert!(out.contains("004_backfill_entities"), "listed: {out}");
    // Recorded without running it (as after the simulator ran it): drift builds the expected
    // schema without its code, and says so.
    let (out, err, code) = text(&migrate(&dir, url, &["stamp", "004"]));
    assert_eq!(code, 0, "{out}{err}");
    let (out, err, code) = text(&migrate(&dir, url, &["drift"]));
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("note: 004_backfill_entities (`004_backfill_entities/up.rs`) is Rust and was not run to build the expected schema"),
        "{out}"
    );
    assert!(
        out.contains("ok: the database matches its revisions at 004_backfill_entities"),
        "{out}"
    );
    let (out, err, code) = text(&migrate(&dir, None, &["upgrade", "--sql", "003:head"]));
    assert_eq!(code, 1, "{out}");
    assert!(err.contains("revision 004_backfill_entities is Rust (`004_backfill_entities/up.rs`): an offline script holds SQL only"), "{err}");
}

/// Regression: the refusal of a half-done batched revision says "`migrate resolve 004 --retry`
/// resumes with batch N". Run with `migrate --dir` (no compiled code), that command does not
/// refuse as `upgrade` does: `resolve` never builds a plan, so the `NotCompiled` check is
/// skipped, the run finds no function, takes the `no-transaction` SQL path with the Rust
/// script's zero statements, and records 004 as applied with exit 0: the simulator's backfill
/// is marked done after one batch of its lines (here: after none).
#[tokio::test]
async fn resolve_retry_from_a_directory_refuses_a_half_done_rust_revision() {
    let db = database().await;
    let url = Some(db.url());
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app-db/migrations");
    let (out, err, code) = text(&migrate(&dir, url, &["upgrade", "003"]));
    assert_eq!(code, 0, "{out}{err}");
    // What `simulator db upgrade` leaves when it is killed after 004's first batch: the row of
    // the committed batch, with the checksum of the script that runs and the cursor it returned.
    let source = std::fs::read_to_string(dir.join("004_backfill_entities/up.rs")).expect("read");
    let checksum = migrations_runtime::migrations_core::rust::checksum(&source).0;
    let client = db.connect().await.expect("connect");
    client
        .execute(
            "INSERT INTO schema_revisions_progress (version, direction, statement, total, prefix_checksum, error, cursor)
             VALUES ('004', 'up', 2, 0, $1, NULL, '\"00000000-0000-0000-0000-000000000001\"')",
            &[&checksum.as_slice()],
        )
        .await
        .expect("the killed run's row");
    let (out, err, code) = text(&migrate(&dir, url, &["resolve", "004", "--retry"]));
    let recorded: i64 = client
        .query_one(
            "SELECT count(*) FROM schema_revisions WHERE version = '004'",
            &[],
        )
        .await
        .expect("history")
        .get(0);
    assert!(
        code == 1 && recorded == 0,
        "`migrate --dir resolve 004 --retry` exited {code} and 004 is recorded {recorded} time(s), its backfill not run:\n{out}{err}"
    );
}
