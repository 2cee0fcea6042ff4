//! Helpers of the squash tests: a crate holding a migrations directory `m/`, `migrate` on it,
//! the directory as the runtime loads it, and rows as text.

use std::path::Path;

use migrations_runtime::testing::TestDatabase;
use migrations_runtime::{ConnectOptions, Migrator};
use tokio_postgres::Client;

use super::{database, migrate, write};

/// `migrate` on `root/m` with `url`, asserting its exit code.
pub(crate) fn run(root: &Path, url: &str, args: &[&str], code: i32) -> (String, String) {
    let (out, err, got) = migrate(&root.join("m"), url, args);
    assert_eq!(got, code, "migrate {args:?}:\n{out}\n{err}");
    (out, err)
}

/// A crate (its `Cargo.toml`, so `squash` writes its test) with the migrations `files` (paths
/// below `m/`).
pub(crate) fn history(files: &[(&str, &str)]) -> tempfile::TempDir {
    let root = tempfile::tempdir().expect("tempdir");
    write(
        root.path(),
        &[(
            "Cargo.toml",
            "[package]\nname = \"squashed\"\nversion = \"0.1.0\"\n",
        )],
    );
    let files: Vec<(String, &str)> = files.iter().map(|(p, b)| (format!("m/{p}"), *b)).collect();
    let files: Vec<(&str, &str)> = files.iter().map(|(p, b)| (p.as_str(), *b)).collect();
    write(root.path(), &files);
    root
}

/// The directory read as the runtime reads it.
pub(crate) fn loaded(root: &Path) -> migrations_runtime::Migrations {
    migrations_core::load_dir(&root.join("m"), "m", Default::default()).expect("valid directory")
}

/// A runner for `db`.
pub(crate) fn runner<'m>(
    migrations: &'m migrations_runtime::Migrations,
    db: &TestDatabase,
) -> Migrator<'m> {
    Migrator::new(migrations, ConnectOptions::from_config(db.config().clone()))
}

/// `sql`'s rows, each as text.
pub(crate) async fn rows(client: &Client, sql: &str) -> Vec<String> {
    client
        .query(sql, &[])
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
        .iter()
        .map(|r| r.get(0))
        .collect()
}

/// Squashes `root/m` through `through` on one database, upgrades a fresh one (through the
/// baseline) and another (revision by revision) to head, and returns each one's rows of
/// `tables`: the baseline's first, the chain's second.
pub(crate) async fn both_ways(
    root: &Path,
    through: &str,
    tables: &[&str],
) -> (Vec<String>, Vec<String>) {
    let (db, fresh, chain) = (database().await, database().await, database().await);
    run(
        root,
        db.url(),
        &["squash", "--through", through, "--no-test"],
        0,
    );
    run(root, fresh.url(), &["upgrade"], 0);
    let migrations = loaded(root);
    let mut client = chain.connect().await.expect("connect");
    runner(&migrations, &chain)
        .without_baseline()
        .upgrade(&mut client, "head")
        .await
        .expect("the chain runs");
    let fresh = fresh.connect().await.expect("connect");
    let mut out = (Vec::new(), Vec::new());
    for table in tables {
        let sql = format!(
            "SELECT coalesce(string_agg(t::text, ' | ' ORDER BY t::text), '') FROM {table} t"
        );
        let label = |r: String| format!("{table}: {r}");
        out.0
            .extend(rows(&fresh, &sql).await.into_iter().map(label));
        out.1
            .extend(rows(&client, &sql).await.into_iter().map(label));
    }
    out
}

/// Squashes `root/m` through `through` (with `args` before the command, e.g. a history table),
/// upgrades a fresh database through the baseline and another through the chain
/// (`--no-baseline`), and returns each one's answers to `queries` (one text column each): the
/// baseline's first, the chain's second.
pub(crate) async fn compare(
    root: &Path,
    through: &str,
    args: &[&str],
    queries: &[&str],
) -> (Vec<String>, Vec<String>) {
    let (db, fresh, chain) = (database().await, database().await, database().await);
    let squash = [args, &["squash", "--through", through, "--no-test"]].concat();
    run(root, db.url(), &squash, 0);
    run(root, fresh.url(), &[args, &["upgrade"]].concat(), 0);
    run(
        root,
        chain.url(),
        &[args, &["upgrade", "--no-baseline"]].concat(),
        0,
    );
    let (fresh, chain) = (
        fresh.connect().await.expect("connect"),
        chain.connect().await.expect("connect"),
    );
    let mut out = (Vec::new(), Vec::new());
    for sql in queries {
        out.0.extend(rows(&fresh, sql).await);
        out.1.extend(rows(&chain, sql).await);
    }
    out
}

/// A role of the test's own, named after `db` (roles are the cluster's, shared by every test
/// database).
pub(crate) async fn role(db: &TestDatabase, tag: &str) -> String {
    let name = format!("{}_{tag}", db.name());
    let client = db.connect().await.expect("connect");
    client
        .batch_execute(&format!("CREATE ROLE \"{name}\" NOLOGIN"))
        .await
        .expect("create role");
    name
}

/// Squashes `root/m` through `through` (no test written) on a database of its own, and gives a
/// fresh database upgraded through the baseline, with a connection to it (the database is kept
/// as long as the caller holds it).
pub(crate) async fn through_baseline(root: &Path, through: &str) -> (TestDatabase, Client) {
    let (db, fresh) = (database().await, database().await);
    run(
        root,
        db.url(),
        &["squash", "--through", through, "--no-test"],
        0,
    );
    run(root, fresh.url(), &["upgrade"], 0);
    let client = fresh.connect().await.expect("connect");
    (fresh, client)
}
