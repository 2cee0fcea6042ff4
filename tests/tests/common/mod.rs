//! Helpers shared by the integration test binaries.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::Path;

use migrations_core::{load_dir, Migrations, ScanOptions};
use migrations_runtime::testing::{self, TestDatabase};
use tokio_postgres::Client;

/// A fresh database on the shared test server, and a connection to it.
pub async fn fresh() -> (TestDatabase, Client) {
    let server = testing::server().await.expect("test server starts");
    let db = server
        .create_database()
        .await
        .expect("test database is created");
    let client = db
        .connect()
        .await
        .expect("test database accepts connections");
    (db, client)
}

/// Writes `files` (path, contents) into a temporary migrations directory.
pub fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), files);
    dir
}

/// Writes `files` below `root`, creating directories.
pub fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, body) in files {
        let full = root.join(path);
        fs::create_dir_all(full.parent().expect("file has a parent")).expect("mkdir");
        fs::write(full, body).expect("write fixture");
    }
}

/// Loads a directory strictly.
pub fn load(dir: &Path) -> Migrations {
    load_dir(dir, "migrations", ScanOptions::default()).expect("fixture directory is valid")
}

/// `n` trivial revisions `001_t1` .. each creating table `t<i>`.
pub fn tables(n: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for i in 1..=n {
        write(
            dir.path(),
            &[
                (
                    &format!("{i:03}_t{i}/up.sql"),
                    &format!("CREATE TABLE t{i} (id int);"),
                ),
                (
                    &format!("{i:03}_t{i}/down.sql"),
                    &format!("DROP TABLE t{i};"),
                ),
            ],
        );
    }
    dir
}

/// Two revisions: `001_a` creates table `a`, `002_idx` builds an index on it with
/// `CREATE INDEX CONCURRENTLY` in a `no-transaction` revision.
pub fn concurrent_index() -> tempfile::TempDir {
    dir(&[
        ("001_a/up.sql", "CREATE TABLE a (x int);"),
        ("001_a/down.sql", "DROP TABLE a;"),
        (
            "002_idx/up.sql",
            "-- migrate: no-transaction\nCREATE INDEX CONCURRENTLY a_x ON a (x);",
        ),
        ("002_idx/down.sql", "DROP INDEX CONCURRENTLY a_x;"),
    ])
}

/// Everything a migration could change, as text: the runtime's catalog snapshot
/// (`migrations_runtime::testing::Snapshot`), plus the default history table's columns and rows (without
/// timestamps), which that snapshot leaves out. Equal snapshots mean nothing changed.
pub async fn snapshot(client: &Client) -> String {
    let catalog = migrations_runtime::testing::Snapshot::take(client)
        .await
        .expect("catalog snapshot");
    let mut out: String = catalog.lines().map(|line| format!("{line}\n")).collect();
    let history = [
        "SELECT 'history column ' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema = 'public' AND table_name = 'schema_revisions' ORDER BY 1",
        "SELECT version || ' ' || name || ' ' || encode(checksum, 'hex') || ' ' || method FROM schema_revisions ORDER BY version",
    ];
    let exists = history_exists(client, "public.schema_revisions").await;
    for query in &history[..if exists { 2 } else { 1 }] {
        for row in client.query(*query, &[]).await.expect("history") {
            out.push_str(row.get::<_, &str>(0));
            out.push('\n');
        }
    }
    out
}

/// True when the table exists.
pub async fn history_exists(client: &Client, table: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .expect("to_regclass")
        .get(0)
}

/// Versions recorded in the default history table.
pub async fn recorded(client: &Client) -> Vec<String> {
    client
        .query("SELECT version FROM schema_revisions ORDER BY version", &[])
        .await
        .expect("history readable")
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// A runner for `m` on `db` that can open connections of its own (for `no-transaction`
/// revisions), as the `migrate` binary is.
pub fn migrator<'m>(m: &'m Migrations, db: &TestDatabase) -> migrations_runtime::Migrator<'m> {
    let options = migrations_runtime::connect::ConnectOptions::from_config(db.config().clone());
    migrations_runtime::Migrator::new(m).with_connect_options(options)
}

/// A connection made with `config`, its connection task spawned.
pub async fn connect(config: &tokio_postgres::Config) -> Client {
    let (client, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// How many valid indexes table `table` has.
pub async fn valid_indexes(client: &Client, table: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_index WHERE indrelid = $1::text::regclass AND indisvalid",
            &[&table],
        )
        .await
        .expect("indexes")
        .get(0)
}
