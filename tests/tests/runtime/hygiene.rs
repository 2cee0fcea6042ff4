//! `#[migrations_runtime::test]` and test-database hygiene, seen from outside: this binary runs some of its
//! own tests again as a child process pointed at the same server, then checks what the child
//! left behind. A failing test keeps its database (marked, named on stderr), a passing one drops
//! it, and a database abandoned by a crashed process is swept by the next one.

use std::process::{Command, Output};

use app_db::MIGRATIONS;
use migrations_runtime::testing::{self, TestDatabase};

/// Set in the child, so that the fixtures below only fail or crash when run from here.
const CHILD: &str = "APPDB_HYGIENE_CHILD";

#[migrations_runtime::test(migrations = MIGRATIONS)]
#[ignore = "a fixture: run by the hygiene tests in a child process"]
async fn child_returns_an_error(db: TestDatabase) -> Result<(), String> {
    println!("database: {}", db.name());
    match std::env::var_os(CHILD) {
        Some(_) => Err("deliberate failure".into()),
        None => Ok(()),
    }
}

#[migrations_runtime::test(migrations = MIGRATIONS, at = "001")]
#[ignore = "a fixture: run by the hygiene tests in a child process"]
async fn child_panics(db: TestDatabase) {
    println!("database: {}", db.name());
    assert!(std::env::var_os(CHILD).is_none(), "deliberate panic");
}

#[migrations_runtime::test(empty)]
#[ignore = "a fixture: run by the hygiene tests in a child process"]
async fn child_passes(db: TestDatabase) {
    println!("database: {}", db.name());
}

#[migrations_runtime::test(empty)]
#[ignore = "a fixture: run by the hygiene tests in a child process"]
async fn child_crashes(db: TestDatabase) {
    println!("database: {}", db.name());
    if std::env::var_os(CHILD).is_some() {
        // As a killed test process would: no destructor runs.
        std::process::exit(0);
    }
}

/// Runs the fixtures whose names contain `filter` in a child process on our server.
fn child(filter: &str, server: &testing::TestServer) -> (Output, Vec<String>) {
    let exe = std::env::current_exe().expect("the test binary");
    let output = Command::new(exe)
        .args([
            filter,
            "--include-ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env("TEST_DATABASE_URL", server.url("postgres"))
        .env(CHILD, "1")
        .output()
        .expect("the test binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let names = stdout
        .lines()
        // libtest prints `test <name> ... ` before the test runs, on the same line.
        .filter_map(|line| Some(line[line.find("database: ")? + 10..].trim().to_owned()))
        .collect();
    (output, names)
}

/// The database's comment, or `None` if the database does not exist.
async fn comment(admin: &tokio_postgres::Client, name: &str) -> Option<String> {
    let row = admin
        .query_opt(
            "SELECT coalesce(shobj_description(oid, 'pg_database'), '') FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .expect("pg_database");
    row.map(|row| row.get(0))
}

#[tokio::test]
async fn failing_tests_keep_their_database_passing_ones_drop_it_and_crashes_are_swept() {
    let server = testing::server().await.expect("server");
    let probe = server.create_database().await.expect("database");
    let admin = probe.connect().await.expect("connect");

    let (failed, kept) = child("hygiene::child_returns_an_error", server);
    let (panicked, kept_too) = child("hygiene::child_panics", server);
    for (output, names) in [(&failed, &kept), (&panicked, &kept_too)] {
        assert!(!output.status.success(), "the fixture fails in the child");
        let stderr = String::from_utf8_lossy(&output.stderr);
        let name = names.first().expect("the child printed its database");
        assert!(
            stderr.contains(&format!(
                "test database `{name}` kept for inspection: psql '"
            )),
            "{stderr}"
        );
        assert!(
            stderr.contains(&format!("DROP DATABASE \"{name}\"")),
            "{stderr}"
        );
        assert!(!stderr.contains("password"), "{stderr}");
        let comment = comment(&admin, name).await.expect("kept");
        assert!(
            comment.starts_with("app-db: kept for inspection"),
            "{comment}"
        );
    }
    assert!(String::from_utf8_lossy(&failed.stderr).contains("Error: \"deliberate failure\""));
    assert!(String::from_utf8_lossy(&panicked.stderr).contains("deliberate panic"));
    let kept_at: Vec<String> = {
        let url = server.url(&kept_too[0]);
        let client = tokio_postgres::connect(&url, tokio_postgres::NoTls).await;
        let (client, connection) = client.expect("the kept database accepts connections");
        tokio::spawn(connection);
        let rows = client
            .query("SELECT version FROM schema_revisions", &[])
            .await
            .expect("history");
        rows.iter().map(|row| row.get(0)).collect()
    };
    assert_eq!(kept_at, ["001"], "the fixture asked for revision 001");

    let (crashed, abandoned) = child("hygiene::child_crashes", server);
    assert!(crashed.status.success(), "exit(0) mid-test");
    let abandoned = abandoned.first().expect("the child printed its database");
    assert!(comment(&admin, abandoned).await.is_some(), "left behind");

    // The next process sweeps what the crashed one left, and only that.
    let (passed, dropped) = child("hygiene::child_passes", server);
    assert!(
        passed.status.success(),
        "{}",
        String::from_utf8_lossy(&passed.stderr)
    );
    assert_eq!(
        comment(&admin, &dropped[0]).await,
        None,
        "dropped on success"
    );
    assert_eq!(comment(&admin, abandoned).await, None, "swept");
    for name in kept.iter().chain(&kept_too) {
        assert!(
            comment(&admin, name).await.is_some(),
            "kept databases survive the sweep"
        );
        let sql = format!("DROP DATABASE \"{name}\" WITH (FORCE)");
        admin.batch_execute(&sql).await.expect("drop by hand");
    }
}

#[migrations_runtime::test(migrations = MIGRATIONS, at = "head-1")]
async fn the_attribute_gives_a_database_at_the_chosen_revision(db: TestDatabase) {
    let client = db.connect().await.expect("connect");
    let versions = crate::common::recorded(&client).await;
    assert_eq!(versions.len(), MIGRATIONS.len() - 1);
}

#[migrations_runtime::test(migrations = MIGRATIONS)]
#[should_panic(expected = "an expected panic")]
async fn a_should_panic_test_passes_by_panicking(db: TestDatabase) {
    println!("database: {}", db.name());
    panic!("an expected panic");
}

#[migrations_runtime::test(empty)]
#[ignore = "a fixture: run by the hygiene tests in a child process"]
async fn child_reports_its_server(_db: TestDatabase) {
    let server = testing::server().await.expect("server");
    println!("database: {}", server.url("postgres"));
}

#[tokio::test]
async fn processes_of_one_run_share_one_cluster_started_once() {
    let exe = std::env::current_exe().expect("the test binary");
    let me = std::process::id();
    // Three processes of one run start at once: one starts the cluster, the others wait for it.
    let children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(&exe)
                .args(["hygiene::child_reports_its_server", "--include-ignored"])
                .args(["--nocapture", "--exact"])
                .env("APPDB_TEST_RUN_OWNER", me.to_string())
                .env_remove("TEST_DATABASE_URL")
                .env_remove("DATABASE_URL")
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("the test binary runs")
        })
        .collect();
    let mut servers = Vec::new();
    for child in children {
        let output = child.wait_with_output().expect("the child finishes");
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{stdout}{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let line = stdout
            .lines()
            .find_map(|line| Some(&line[line.find("database: ")? + 10..]));
        servers.push(
            line.expect("the child printed its server")
                .trim()
                .to_owned(),
        );
    }
    assert!(servers.iter().all(|s| s == &servers[0]), "{servers:?}");
    assert!(
        servers[0].contains(&format!("/appdb-run-owner-{me}-")),
        "{}",
        servers[0]
    );
    // The children are gone; the cluster is ours until this process exits.
    let (client, connection) = tokio_postgres::connect(&servers[0], tokio_postgres::NoTls)
        .await
        .expect("the run's cluster outlives the processes that used it");
    tokio::spawn(connection);
    client.batch_execute("SELECT 1").await.expect("query");
}
