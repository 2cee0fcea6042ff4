//! Helpers shared by the integration test binaries.
#![allow(dead_code)] // each test binary uses a different subset

use std::fs;
use std::path::Path;

use app_db::testing::{self, TestDatabase};
use migrations_core::{load_dir, Migrations, ScanOptions};
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

/// Everything a migration could change, as text: tables, columns, indexes, functions, triggers,
/// types and the history rows (without timestamps). Equal snapshots mean nothing changed.
pub async fn snapshot(client: &Client) -> String {
    let queries = [
        "SELECT table_schema || '.' || table_name || '.' || column_name || ':' || data_type FROM information_schema.columns WHERE table_schema NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        "SELECT schemaname || '.' || indexname || ':' || indexdef FROM pg_indexes WHERE schemaname NOT IN ('pg_catalog') ORDER BY 1",
        "SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema') ORDER BY 1",
        "SELECT tgname::text FROM pg_trigger WHERE NOT tgisinternal ORDER BY 1",
        "SELECT t.typname::text FROM pg_type t JOIN pg_namespace n ON n.oid = t.typnamespace WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'pg_toast') AND t.typtype IN ('e', 'd', 'c') ORDER BY 1",
        "SELECT nspname::text FROM pg_namespace WHERE nspname NOT LIKE 'pg_%' AND nspname <> 'information_schema' ORDER BY 1",
    ];
    let mut out = String::new();
    for q in queries {
        for row in client.query(q, &[]).await.expect("catalog query") {
            out.push_str(row.get::<_, &str>(0));
            out.push('\n');
        }
    }
    if history_exists(client, "public.schema_revisions").await {
        for row in client.query("SELECT version || ' ' || name || ' ' || encode(checksum, 'hex') || ' ' || method FROM schema_revisions ORDER BY version", &[]).await.expect("history") {
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
