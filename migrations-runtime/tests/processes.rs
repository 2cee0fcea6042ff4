//! Separate `migrate` processes: sixteen booting against one empty database at once, and a
//! `no-transaction` revision that fails, refuses every later run, and is settled with `resolve`.

mod common;

use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use common::database;

fn command(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("--dir")
        .arg(dir)
        .args(args)
        .env("DATABASE_URL", url);
    cmd
}

fn run(dir: &Path, url: &str, args: &[&str]) -> (String, String, i32) {
    let out = command(dir, url, args).output().expect("migrate runs");
    text(&out)
}

fn text(out: &Output) -> (String, String, i32) {
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
        out.status.code().unwrap_or(-1),
    )
}

fn write(root: &Path, files: &[(&str, String)]) {
    for (path, body) in files {
        let full = root.join(path);
        std::fs::create_dir_all(full.parent().expect("parent")).expect("mkdir");
        std::fs::write(full, body).expect("write");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sixteen_processes_boot_against_one_empty_database() {
    let db = database().await;
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for i in 1..=12 {
        files.push((
            format!("{i:03}_t{i}/up.sql"),
            format!("CREATE TABLE t{i} (id int);\nINSERT INTO t{i} VALUES ({i});"),
        ));
        files.push((format!("{i:03}_t{i}/down.sql"), format!("DROP TABLE t{i};")));
    }
    // One revision outside a transaction, in the middle, as deploys have them.
    files.push((
        "013_idx/up.sql".into(),
        "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY t1_id ON t1 (id);".into(),
    ));
    files.push((
        "013_idx/down.sql".into(),
        "DROP INDEX CONCURRENTLY t1_id;".into(),
    ));
    files.push(("014_t14/up.sql".into(), "CREATE TABLE t14 (id int);".into()));
    files.push(("014_t14/down.sql".into(), "DROP TABLE t14;".into()));
    let files: Vec<(&str, String)> = files.iter().map(|(p, b)| (p.as_str(), b.clone())).collect();
    write(dir.path(), &files);
    let children: Vec<Child> = (0..16)
        .map(|_| {
            command(dir.path(), db.url(), &["upgrade", "head"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .expect("spawn migrate")
        })
        .collect();
    let mut applied = Vec::new();
    for child in children {
        let (out, err, code) = text(&child.wait_with_output().expect("wait"));
        assert_eq!(code, 0, "every runner succeeds: {err}");
        assert!(
            !err.contains("already exists") && !err.contains("duplicate key"),
            "{err}"
        );
        assert!(
            out.contains("database at 014_t14 (head)"),
            "every runner reports head: {out}"
        );
        applied.extend(
            out.lines()
                .filter(|l| l.starts_with("applied "))
                .map(|l| l.split(' ').nth(1).unwrap_or_default().to_owned()),
        );
    }
    applied.sort();
    let expected: Vec<String> = (1..=14)
        .map(|i| match i {
            13 => "013_idx".to_owned(),
            i => format!("{i:03}_t{i}"),
        })
        .collect();
    assert_eq!(
        applied, expected,
        "each revision applied by exactly one process"
    );
    let client = db.connect().await.expect("connect");
    let rows: i64 = client
        .query_one("SELECT count(*) FROM schema_revisions", &[])
        .await
        .expect("history")
        .get(0);
    assert_eq!(rows, 14);
}

#[tokio::test]
async fn failed_no_transaction_revision_through_the_binary() {
    let db = database().await;
    let url = db.url();
    let dir = tempfile::tempdir().expect("tempdir");
    write(
        dir.path(),
        &[
            ("001_a/up.sql", "CREATE TABLE a (x int);".into()),
            ("001_a/down.sql", "DROP TABLE a;".into()),
            (
                "002_idx/up.sql",
                "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);\nCREATE INDEX CONCURRENTLY a_y ON a (y);\n".into(),
            ),
            ("002_idx/down.sql", "DROP INDEX CONCURRENTLY a_y;\nDROP INDEX CONCURRENTLY a_x;\n".into()),
        ],
    );
    let (_, err, code) = run(dir.path(), url, &["upgrade"]);
    assert_eq!(code, 1, "{err}");
    assert!(
        err.contains("at statement 2 of 2") && err.contains("migrate resolve 002 --retry"),
        "{err}"
    );
    let (_, err, code) = run(dir.path(), url, &["upgrade"]);
    assert_eq!(code, 1);
    assert!(
        err.contains("revision 002_idx did not finish (up)") && err.contains("Nothing was run"),
        "{err}"
    );
    let (out, _, code) = run(dir.path(), url, &["check"]);
    assert_eq!(code, 1);
    assert!(
        out.contains("unfinished: revision 002_idx did not finish"),
        "{out}"
    );
    let (out, _, _) = run(dir.path(), url, &["current"]);
    assert!(out.starts_with("001_a\n  unfinished: "), "{out}");
    let (_, err, code) = run(dir.path(), url, &["resolve", "002"]);
    assert_eq!(
        code, 2,
        "one of --retry, --mark-completed, --mark-rolled-back is required: {err}"
    );
    let (_, err, code) = run(dir.path(), url, &["resolve", "002", "--from", "2"]);
    assert_eq!(code, 2, "--from needs --retry: {err}");
    let (_, err, code) = run(
        dir.path(),
        url,
        &["resolve", "002", "--retry", "--from", "3"],
    );
    assert_eq!(code, 1);
    assert!(
        err.contains("`--from 3` is outside statements 2 to 2"),
        "{err}"
    );
    let (_, err, code) = run(dir.path(), url, &["resolve", "001", "--retry"]);
    assert_eq!(code, 1);
    assert!(err.contains("revision 001 has no unfinished run"), "{err}");
    let client = db.connect().await.expect("connect");
    client
        .batch_execute("ALTER TABLE a ADD COLUMN y int")
        .await
        .expect("fix");
    let (out, err, code) = run(dir.path(), url, &["resolve", "002_idx", "--retry"]);
    assert_eq!(code, 0, "{err}");
    assert!(
        out.contains("resolved 002_idx: ran up statements 2 to 2"),
        "{out}"
    );
    let (out, _, code) = run(dir.path(), url, &["check"]);
    assert_eq!(code, 0, "{out}");
}
