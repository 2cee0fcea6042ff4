//! Helpers shared by the integration test binaries.
#![allow(dead_code)] // each test binary uses a different subset

use std::fmt::Debug;
use std::fs;
use std::future::Future;
use std::path::Path;
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use migrations_core::{load_dir, Migrations, ScanOptions};
use migrations_runtime::testing::{self, TestDatabase};
use tokio_postgres::Client;

/// A fresh database on the shared test server, and a connection to it.
pub(crate) async fn fresh() -> (TestDatabase, Client) {
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
pub(crate) fn dir(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), files);
    dir
}

/// Writes `files` below `root`, creating directories.
pub(crate) fn write(root: &Path, files: &[(&str, &str)]) {
    for (path, body) in files {
        let full = root.join(path);
        fs::create_dir_all(full.parent().expect("file has a parent")).expect("mkdir");
        fs::write(full, body).expect("write fixture");
    }
}

/// Loads a directory strictly.
pub(crate) fn load(dir: &Path) -> Migrations {
    load_dir(dir, "migrations", ScanOptions::default()).expect("fixture directory is valid")
}

/// `n` trivial revisions `001_t1` .. each creating table `t<i>`.
pub(crate) fn tables(n: usize) -> tempfile::TempDir {
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
pub(crate) fn concurrent_index() -> tempfile::TempDir {
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
pub(crate) async fn snapshot(client: &Client) -> String {
    let catalog = migrations_runtime::testing::Snapshot::take(client)
        .await
        .expect("catalog snapshot");
    let mut out = format!("{catalog:#?}\n");
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
pub(crate) async fn history_exists(client: &Client, table: &str) -> bool {
    client
        .query_one("SELECT to_regclass($1) IS NOT NULL", &[&table])
        .await
        .expect("to_regclass")
        .get(0)
}

/// Versions recorded in the default history table.
pub(crate) async fn recorded(client: &Client) -> Vec<String> {
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
pub(crate) fn migrator<'m>(
    m: &'m Migrations,
    db: &TestDatabase,
) -> migrations_runtime::Migrator<'m> {
    let options = migrations_runtime::ConnectOptions::from_config(db.config().clone());
    migrations_runtime::Migrator::client_only(m).with_connect_options(options)
}

/// A connection made with `config`, its connection task spawned.
pub(crate) async fn connect(config: &tokio_postgres::Config) -> Client {
    let (client, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(conn);
    client
}

/// How many valid indexes table `table` has.
pub(crate) async fn valid_indexes(client: &Client, table: &str) -> i64 {
    client
        .query_one(
            "SELECT count(*) FROM pg_index WHERE indrelid = $1::text::regclass AND indisvalid",
            &[&table],
        )
        .await
        .expect("indexes")
        .get(0)
}

/// The backend pid of `client`'s session.
pub(crate) async fn backend_pid(client: &Client) -> i32 {
    client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .expect("pg_backend_pid")
        .get(0)
}

/// How long a test waits for a state it expects before failing: generous, since tests run in
/// parallel on a busy machine. A wait ends as soon as the state shows, so a passing test never
/// waits this long.
pub(crate) const PATIENCE: Duration = Duration::from_secs(30);

/// Polls `probe` every 20 ms until it returns `Some`, and returns that; fails the test, saying
/// that `what` never happened, after [`PATIENCE`].
pub(crate) async fn wait_until<T, Fut>(what: &str, mut probe: impl FnMut() -> Fut) -> T
where
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(seen) = probe().await {
            return seen;
        }
        assert!(
            Instant::now() < deadline,
            "waited {PATIENCE:?} for {what}, which never happened"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Drives `run` until `probe` (polled as by [`wait_until`]) sees the database reach the point to
/// cancel at, then drops `run`, as a caller's timeout or a `select!` on Ctrl-C would; returns
/// what `probe` saw. Fails the test if `run` finishes first: a cancellation that did not land
/// mid-run proves nothing.
pub(crate) async fn cancel_when<R: Debug, T, Fut>(
    run: impl Future<Output = R>,
    what: &str,
    probe: impl FnMut() -> Fut,
) -> T
where
    Fut: Future<Output = Option<T>>,
{
    tokio::select! {
        biased;
        seen = wait_until(what, probe) => seen,
        finished = run => panic!("the run finished before {what}, so it was not cancelled mid-run: {finished:?}"),
    }
}

/// A point where a revision's script stops until the test lets it go: the script waits for an
/// advisory lock ([`Gate::wait_sql`]) that the gate's own session holds. A session waiting there
/// shows in `pg_locks` ([`Gate::waiter`]), so a test can cancel a run at a known statement, on
/// what the server says, instead of after a guess at how long the run takes. Advisory locks are
/// per database, so tests running in parallel do not share gates.
pub(crate) struct Gate {
    session: Client,
}

impl Gate {
    const KEY: i64 = 7_306_001;

    /// The statement to put in a fixture script where it is to wait.
    pub(crate) fn wait_sql() -> String {
        format!("SELECT pg_advisory_xact_lock({});", Self::KEY)
    }

    /// A gate on `db`, closed until [`Gate::open`].
    pub(crate) async fn closed(db: &TestDatabase) -> Self {
        let session = db.connect().await.expect("gate session");
        session
            .batch_execute(&format!("SELECT pg_advisory_lock({})", Self::KEY))
            .await
            .expect("close the gate");
        Self { session }
    }

    /// The backend pid of the session waiting at the gate, if one is.
    pub(crate) async fn waiter(&self) -> Option<i32> {
        self.session
            .query_opt(
                "SELECT pid FROM pg_locks
                 WHERE locktype = 'advisory' AND NOT granted
                   AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
                   AND classid = 0 AND objid = $1::bigint::oid AND objsubid = 1",
                &[&Self::KEY],
            )
            .await
            .expect("pg_locks")
            .map(|row| row.get(0))
    }

    /// Lets the waiter, and everyone after it, through.
    pub(crate) async fn open(self) {
        let released: bool = self
            .session
            .query_one("SELECT pg_advisory_unlock($1)", &[&Self::KEY])
            .await
            .expect("open the gate")
            .get(0);
        assert!(released, "the gate's session held the gate");
    }
}

/// Runs `script` with `psql -v ON_ERROR_STOP=1` (as the offline scripts tell a DBA to) on the
/// database at connection string `url`, fed on stdin: the scripts' real consumer, whose own
/// lexer splits the statements. Returns psql's exit status and output.
pub(crate) async fn psql(url: &str, script: &str) -> Output {
    use tokio::io::AsyncWriteExt;

    let mut child = tokio::process::Command::new("psql")
        .args(["--no-psqlrc", "--quiet", "-v", "ON_ERROR_STOP=1", "-f", "-"])
        .arg("-d")
        .arg(url)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                panic!("psql is not on PATH: install postgresql-client (scripts/dev installs it)")
            }
            _ => panic!("psql does not start: {e}"),
        });
    let mut stdin = child.stdin.take().expect("stdin is piped");
    // Written while the output is read, so that neither pipe can fill up and stall psql. A
    // failed write is psql having stopped at an error: its status and stderr say which.
    let feed = async move {
        let _ = stdin.write_all(script.as_bytes()).await;
    };
    let ((), output) = tokio::join!(feed, child.wait_with_output());
    output.expect("psql runs")
}
