//! Behind PgBouncer in transaction-pooling mode, started here (Debian's `pgbouncer` package):
//! transactional revisions serialise correctly through it, and a `no-transaction` revision,
//! which needs a server session of its own, is refused with guidance before anything runs.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use migrations_runtime::error::ApplyError;
use migrations_runtime::testing::TestDatabase;
use migrations_runtime::ConnectOptions;
use migrations_runtime::{MigrateError, Migrator};
use tokio_postgres::config::Host;

use crate::common;

/// A PgBouncer process in front of the test server, stopped on drop.
struct Bouncer {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn binary() -> PathBuf {
    let found = ["/usr/sbin/pgbouncer", "/usr/bin/pgbouncer"]
        .into_iter()
        .map(PathBuf::from)
        .find(|p| p.exists());
    found.unwrap_or_else(|| {
        panic!("pgbouncer is not installed: `apt-get install pgbouncer` (Debian's package; .ci/run installs it)")
    })
}

fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    listener.local_addr().expect("addr").port()
}

/// Starts PgBouncer in transaction mode for `db`, with fewer server connections than the
/// runners will open, so that they really share server sessions. `ignore` lists startup
/// parameters it drops instead of refusing.
async fn start(db: &TestDatabase, ignore: &str) -> Bouncer {
    let config = db.config();
    let host = match &config.get_hosts()[0] {
        Host::Unix(path) => path.display().to_string(),
        Host::Tcp(name) => name.clone(),
    };
    let server_port = config.get_ports().first().copied().unwrap_or(5432);
    let user = config.get_user().unwrap_or("postgres").to_owned();
    let dir = tempfile::tempdir().expect("tempdir");
    let port = free_port();
    let ini = format!(
        "[databases]\n* = host={host} port={server_port}\n\n[pgbouncer]\nlisten_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir =\nauth_type = trust\nauth_file = {users}\npool_mode = transaction\ndefault_pool_size = 3\nmax_client_conn = 200\nignore_startup_parameters = {ignore}\nlogfile = {log}\n",
        users = dir.path().join("users.txt").display(),
        log = dir.path().join("pgbouncer.log").display(),
    );
    std::fs::write(dir.path().join("users.txt"), format!("\"{user}\" \"\"\n")).expect("users");
    std::fs::write(dir.path().join("pgbouncer.ini"), ini).expect("ini");
    let mut command = Command::new(binary());
    // PgBouncer refuses to run as root, like PostgreSQL: as root, drop to `postgres`.
    if running_as_root() {
        make_readable(dir.path());
        command.arg("-u").arg("postgres");
    }
    // -q: its log goes to the file only.
    let child = command
        .arg("-q")
        .arg(dir.path().join("pgbouncer.ini"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start pgbouncer");
    let bouncer = Bouncer {
        child,
        port,
        _dir: dir,
    };
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "pgbouncer did not listen on {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    bouncer
}

fn running_as_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .map(|s| {
            s.lines()
                .any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn make_readable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt;
    for path in [dir.to_path_buf()].into_iter().chain(
        std::fs::read_dir(dir)
            .expect("dir")
            .map(|e| e.expect("entry").path()),
    ) {
        let mode = if path.is_dir() { 0o777 } else { 0o666 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).expect("chmod");
    }
}

/// The test database through the bouncer.
fn through(db: &TestDatabase, bouncer: &Bouncer) -> tokio_postgres::Config {
    let mut config = tokio_postgres::Config::new();
    config
        .host("127.0.0.1")
        .port(bouncer.port)
        .user(db.config().get_user().unwrap_or("postgres"))
        .dbname(db.name());
    config
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sixteen_runners_through_pgbouncer_apply_each_revision_once() {
    let (db, client) = common::fresh().await;
    let bouncer = start(&db, "extra_float_digits").await;
    let dir = common::tables(20);
    let m = Arc::new(common::load(dir.path()));
    let config = through(&db, &bouncer);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (m, config) = (m.clone(), config.clone());
        tasks.push(tokio::spawn(async move {
            let mut client = common::connect(&config).await;
            let outcome = Migrator::client_only(&m)
                .with_connect_options(ConnectOptions::from_config(config))
                .with_lock_timeout(Duration::from_secs(120))
                .upgrade(&mut client, "head")
                .await;
            outcome.map(|o| (o.at_head, o.steps.len()))
        }));
    }
    let mut applied = 0;
    for task in tasks {
        let (at_head, steps) = task
            .await
            .expect("task")
            .unwrap_or_else(|e| panic!("every runner succeeds: {e}"));
        assert!(at_head);
        applied += steps;
    }
    assert_eq!(applied, 20, "each revision applied by exactly one runner");
    assert_eq!(common::recorded(&client).await.len(), 20);
    let tables: i64 = client
        .query_one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename ~ '^t[0-9]+$'", &[])
        .await
        .expect("tables")
        .get(0);
    assert_eq!(tables, 20);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_transaction_revision_is_refused_through_pgbouncer() {
    let (db, mut direct) = common::fresh().await;
    let dir = common::concurrent_index();
    let m = common::load(dir.path());
    Migrator::client_only(&m)
        .upgrade(&mut direct, "001")
        .await
        .expect("001");
    // A bouncer that refuses the startup `options`, and one told to drop them silently.
    for (ignore, reason) in [
        ("extra_float_digits", "refused the session settings"),
        (
            "extra_float_digits, options",
            "dropped the session settings",
        ),
    ] {
        let bouncer = start(&db, ignore).await;
        let config = through(&db, &bouncer);
        let mut client = common::connect(&config).await;
        let migrator =
            Migrator::client_only(&m).with_connect_options(ConnectOptions::from_config(config));
        let before = common::snapshot(&direct).await;
        let err = migrator
            .upgrade(&mut client, "head")
            .await
            .expect_err("refused");
        let text = err.to_string();
        assert!(
            matches!(&err, MigrateError::Apply(ApplyError::NeedsSession { .. })),
            "{text}"
        );
        for part in [
            "revision 002_idx runs outside a transaction",
            reason,
            "Nothing of it was run",
            "direct connection",
        ] {
            assert!(text.contains(part), "missing {part:?} in {text}");
        }
        assert_eq!(common::snapshot(&direct).await, before, "nothing changed");
        assert_eq!(common::recorded(&direct).await, ["001"]);
    }
    let options = ConnectOptions::from_config(db.config().clone());
    Migrator::client_only(&m)
        .with_connect_options(options)
        .upgrade(&mut direct, "head")
        .await
        .expect("a direct connection runs it");
    assert_eq!(common::recorded(&direct).await, ["001", "002"]);
}
