//! Fault injection (issue "Reliability under concurrency, faults"): the `migrate` binary is
//! SIGKILLed at random moments, its backend is terminated, or the server restarts, in the
//! middle of an upgrade. After every fault the history table and the schema must agree (the
//! recorded versions are a prefix of the revisions, and exactly their tables exist), no advisory
//! lock may outlive the runner, and the next `migrate upgrade head` must reach head.
//!
//! `FAULT_TRIALS` sets the number of SIGKILL trials (default 12; the full run uses 50) and
//! `FAULT_SEED` the first trial's seed (`FAULT_SEED=<seed> FAULT_TRIALS=1` replays a trial's
//! kill delay; the timing of the run itself cannot be replayed).

mod common;
#[path = "faults/outside.rs"]
mod outside;

use std::path::{Path, PathBuf};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use common::database;
use migrations_runtime::testing::LocalCluster;
use tokio::io::AsyncReadExt;
use tokio::process::Command;
use tokio_postgres::{Client, Config, NoTls};

/// Sleep (ms) before each revision's DDL in the SIGKILL fixture: a mix of slow and instant
/// revisions, so kills land inside scripts, between revisions, and around commits.
const RANDOM_SLEEPS: [u32; 8] = [0, 50, 0, 50, 50, 0, 50, 0];
/// The fixture for a fault at a known moment: revision 3 sleeps long enough for the test to
/// see it running and strike while its transaction is open.
const STAGED_SLEEPS: [u32; 4] = [50, 50, 1000, 50];
/// The revision of `STAGED_SLEEPS` that the staged faults interrupt, and its table.
const STAGED_VICTIM: (&str, &str) = ("003_t3", "t3");
/// How long a killed runner's backend may take to notice and end its session.
const GONE_TIMEOUT: Duration = Duration::from_secs(5);

/// SIGKILL can strike anywhere: before connecting, inside a script, between a script and its
/// commit, between revisions, after the last commit.
#[tokio::test]
async fn sigkill_at_random_moments_leaves_history_and_schema_agreeing() {
    let dir = fixture(&RANDOM_SLEEPS);
    let span = calibrate(dir.path()).await;
    let (base, trials) = (
        env_number("FAULT_SEED", 0x5eed),
        env_number("FAULT_TRIALS", 12),
    );
    let started = Instant::now();
    // How many trials ended at each level: shows the kills were spread over the run.
    let mut levels = [0u64; RANDOM_SLEEPS.len() + 1];
    for seed in base..base + trials {
        levels[kill_trial(dir.path(), seed, span).await] += 1;
    }
    println!(
        "{trials} SIGKILL trials (seeds {base}..{}) in {:?}; a full run takes {span:?}; \
         trials per level at the kill: {levels:?}",
        base + trials,
        started.elapsed()
    );
    // Without this the test could pass while never killing a runner mid-upgrade. A handful of
    // trials may all miss the middle by chance, so it holds from 4 trials on.
    let interrupted: u64 = levels[1..RANDOM_SLEEPS.len()].iter().sum();
    assert!(
        trials < 4 || interrupted > 0,
        "no trial killed the runner between its first and last revision: {levels:?}"
    );
}

/// `pg_terminate_backend` on the runner's session while revision 3's script runs.
#[tokio::test]
async fn terminated_backend_fails_the_run_cleanly_and_rerun_completes() {
    let db = database().await;
    let dir = fixture(&STAGED_SLEEPS);
    let child = migrate(dir.path(), db.url(), &["upgrade", "head"])
        .spawn()
        .expect("migrate starts");
    let client = db
        .connect()
        .await
        .expect("test database accepts connections");
    let pid = await_running(&client, STAGED_VICTIM.1).await;
    let row = client
        .query_one("SELECT pg_terminate_backend($1)", &[&pid])
        .await
        .expect("pg_terminate_backend runs");
    assert!(row.get::<_, bool>(0), "backend {pid} was not terminated");
    let output = child.wait_with_output().await.expect("migrate exits");
    assert_failed_in(&output, STAGED_VICTIM.0, "terminated backend");
    let level = check_after_fault(&client, dir.path(), db.url(), "terminated backend").await;
    assert_eq!(
        level, 2,
        "only the revisions before the terminated one stay applied"
    );
}

/// `pg_ctl restart -m fast` while revision 3's script runs.
#[tokio::test]
async fn server_restart_fails_the_run_cleanly_and_rerun_completes() {
    // A cluster of this test's own: restarting the shared one would break the other tests.
    let cluster = LocalCluster::start_throwaway()
        .await
        .expect("private cluster starts");
    let admin = connect(&cluster.config("postgres")).await;
    admin
        .batch_execute("CREATE DATABASE faults")
        .await
        .expect("create database");
    let (url, dir) = (cluster.url("faults"), fixture(&STAGED_SLEEPS));
    let child = migrate(dir.path(), &url, &["upgrade", "head"])
        .spawn()
        .expect("migrate starts");
    let client = connect(&cluster.config("faults")).await;
    await_running(&client, STAGED_VICTIM.1).await;
    restart(cluster.data_dir()).await;
    let output = child.wait_with_output().await.expect("migrate exits");
    assert_failed_in(&output, STAGED_VICTIM.0, "server restart");
    let client = connect(&cluster.config("faults")).await;
    let level = check_after_fault(&client, dir.path(), &url, "server restart").await;
    assert_eq!(
        level, 2,
        "only the revisions before the interrupted one stay applied"
    );
}

/// One SIGKILL trial on a fresh database: starts an upgrade, kills it after a delay drawn from
/// `seed` in 0..1.2 × `span`, and checks the aftermath. Returns the level the runner reached.
async fn kill_trial(dir: &Path, seed: u64, span: Duration) -> usize {
    let db = database().await;
    let client = db
        .connect()
        .await
        .expect("test database accepts connections");
    let limit = span.as_micros() as u64 * 6 / 5;
    let delay = Duration::from_micros(Rng::new(seed).below(limit));
    let context = format!("seed {seed}, SIGKILL after {delay:?}");
    let mut child = migrate(dir, db.url(), &["upgrade", "head"]);
    let mut child = child.stdout(Stdio::null()).spawn().expect("migrate starts");
    let finished = tokio::select! {
        status = child.wait() => Some(status.expect("migrate is waited for")),
        () = tokio::time::sleep(delay) => None,
    };
    match finished {
        // A long delay may outlast the run: then it must simply have succeeded.
        Some(status) if !status.success() => {
            let mut stderr = String::new();
            let pipe = child.stderr.as_mut().expect("stderr is piped");
            pipe.read_to_string(&mut stderr).await.expect("read stderr");
            panic!("{context}: the upgrade failed before the kill ({status}): {stderr}");
        }
        Some(_) => {}
        None => child.kill().await.expect("SIGKILL is delivered"),
    }
    check_after_fault(&client, dir, db.url(), &context).await
}

/// Times one uninterrupted upgrade of `dir` on a fresh database, to spread the kills over it.
async fn calibrate(dir: &Path) -> Duration {
    let db = database().await;
    let started = Instant::now();
    let output = migrate(dir, db.url(), &["upgrade", "head"])
        .output()
        .await
        .expect("migrate runs");
    let span = started.elapsed();
    assert_success(&output, "calibration run");
    span
}

/// The checks after a fault, on `client` connected to the faulty run's database: the lock is
/// released and the runner's session gone, history and schema agree, and a rerun reaches head.
/// Returns the number of revisions the faulty run left applied.
async fn check_after_fault(client: &Client, dir: &Path, url: &str, context: &str) -> usize {
    let total = revisions(dir);
    await_zero(
        client,
        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' \
         AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
        "an advisory lock is still held",
        context,
    )
    .await;
    // A runner killed while its COMMIT was in flight may still commit: read only once it is gone.
    await_zero(
        client,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() \
         AND pid <> pg_backend_pid() AND backend_type = 'client backend'",
        "the runner's session is still connected",
        context,
    )
    .await;
    let level = assert_consistent(client, total, context).await;
    let output = migrate(dir, url, &["upgrade", "head"])
        .output()
        .await
        .expect("migrate runs");
    assert_success(&output, &format!("{context}: rerun"));
    let rerun = format!("{context}: after the rerun");
    assert_eq!(
        assert_consistent(client, total, &rerun).await,
        total,
        "{rerun}"
    );
    level
}

/// Asserts that the recorded versions are exactly the revisions whose table exists, and a prefix
/// of the revisions in order. Returns how many are applied.
async fn assert_consistent(client: &Client, total: usize, context: &str) -> usize {
    let exists: Option<String> = client
        .query_one("SELECT to_regclass('public.schema_revisions')::text", &[])
        .await
        .expect("look up the history table")
        .get(0);
    // A run killed before its first commit leaves no history table: nothing is recorded.
    let recorded: Vec<String> = match exists {
        None => Vec::new(),
        Some(_) => client
            .query(
                "SELECT version FROM public.schema_revisions ORDER BY version",
                &[],
            )
            .await
            .expect("read the history")
            .iter()
            .map(|row| row.get(0))
            .collect(),
    };
    let present: Vec<String> = client
        .query(
            "SELECT i FROM generate_series(1, $1::int) AS i \
             WHERE to_regclass(format('public.t%s', i)) IS NOT NULL ORDER BY i",
            &[&(total as i32)],
        )
        .await
        .expect("look up the revisions' tables")
        .iter()
        .map(|row| version(row.get::<_, i32>(0) as usize))
        .collect();
    assert_eq!(
        recorded, present,
        "{context}: history (left) and tables (right) disagree"
    );
    let prefix: Vec<String> = (1..=recorded.len()).map(version).collect();
    assert_eq!(
        recorded, prefix,
        "{context}: the history is not a prefix of the revisions"
    );
    recorded.len()
}

/// Polls the count query `sql` until it gives 0; after `GONE_TIMEOUT` fails with `problem` and
/// the sessions connected to the database.
async fn await_zero(client: &Client, sql: &str, problem: &str, context: &str) {
    let deadline = Instant::now() + GONE_TIMEOUT;
    loop {
        let row = client.query_one(sql, &[]).await.expect("poll the server");
        if row.get::<_, i64>(0) == 0 {
            return;
        }
        if Instant::now() > deadline {
            let sessions: Option<String> = client
                .query_one(
                    "SELECT string_agg(format('pid %s (%s): %s', pid, state, left(query, 80)), '; ') \
                     FROM pg_stat_activity WHERE datname = current_database() \
                     AND pid <> pg_backend_pid()",
                    &[],
                )
                .await
                .expect("list sessions")
                .get(0);
            panic!("{context}: {problem} after {GONE_TIMEOUT:?}; sessions: {sessions:?}");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Waits until another session of the database is running the script that creates `table`, and
/// returns its pid.
async fn await_running(client: &Client, table: &str) -> i32 {
    let pattern = format!("%CREATE TABLE {table} (%");
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        let rows = client
            .query(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database() \
                 AND pid <> pg_backend_pid() AND state = 'active' AND query LIKE $1",
                &[&pattern],
            )
            .await
            .expect("poll pg_stat_activity");
        if let Some(row) = rows.first() {
            return row.get(0);
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("no session ran the script creating {table} within 30s");
}

/// Restarts the server of `data_dir` with a fast shutdown, which ends every session and rolls
/// back its open transaction, as a deploy or a failover would.
async fn restart(data_dir: &Path) {
    let pg_ctl = server_bin_dir(data_dir).join("pg_ctl");
    // Postgres refuses to run as root; the throwaway cluster runs as the postgres user then.
    let root = std::process::Command::new("id").arg("-u").output();
    let mut cmd = match root.is_ok_and(|out| out.stdout.trim_ascii() == b"0") {
        true => {
            let mut cmd = Command::new("runuser");
            cmd.args(["-u", "postgres", "--"]).arg(pg_ctl);
            cmd
        }
        false => Command::new(pg_ctl),
    };
    // With a log file the server does not inherit our pipes, which would keep output() waiting.
    cmd.arg("-D")
        .arg(data_dir)
        .arg("-l")
        .arg(data_dir.join("restart.log"));
    cmd.args(["-m", "fast", "-w", "-t", "60", "restart"]);
    let output = cmd.current_dir("/").output().await.expect("pg_ctl runs");
    assert_success(&output, "pg_ctl restart");
}

/// The directory of the running server's binaries, from the command line it recorded in
/// `postmaster.opts`: the `pg_ctl` beside it is the one that matches its major version.
fn server_bin_dir(data_dir: &Path) -> PathBuf {
    let opts = std::fs::read_to_string(data_dir.join("postmaster.opts"))
        .expect("a running server has postmaster.opts");
    // The first word is the server binary, quoted when it has spaces.
    let first = opts
        .split_whitespace()
        .next()
        .expect("postmaster.opts is not empty");
    let postgres = PathBuf::from(first.trim_matches('"'));
    postgres
        .parent()
        .expect("the server binary has a directory")
        .to_owned()
}

/// Asserts that a faulty run exited with status 1 and named the revision it was running.
fn assert_failed_in(output: &Output, revision: &str, context: &str) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{context}: {stderr}");
    assert!(
        stderr.contains(revision),
        "{context}: error does not name {revision}: {stderr}"
    );
}

/// Asserts that a command succeeded, showing its output otherwise.
fn assert_success(output: &Output, context: &str) {
    assert!(
        output.status.success(),
        "{context} failed ({}): {}{}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
}

/// `migrate --dir <dir> <args>` against `url`, its output piped, killed if the test panics.
fn migrate(dir: &Path, url: &str, args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_migrate"));
    cmd.arg("--dir")
        .arg(dir)
        .args(args)
        .env("DATABASE_URL", url);
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd.kill_on_drop(true);
    cmd
}

/// A migrations directory whose revision `i` (from 1) sleeps `sleeps[i - 1]` ms and then creates
/// table `t<i>`; each down script drops it.
fn fixture(sleeps: &[u32]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("tempdir");
    for (i, &ms) in (1..).zip(sleeps) {
        let revision = dir.path().join(format!("{}_t{i}", version(i)));
        std::fs::create_dir(&revision).expect("mkdir");
        let sleep = match ms {
            0 => String::new(),
            ms => format!("SELECT pg_sleep({});\n", f64::from(ms) / 1000.0),
        };
        let up = format!("{sleep}CREATE TABLE t{i} (id int);\n");
        std::fs::write(revision.join("up.sql"), up).expect("write up.sql");
        std::fs::write(revision.join("down.sql"), format!("DROP TABLE t{i};\n"))
            .expect("write down.sql");
    }
    dir
}

/// The number of revisions in a fixture directory.
fn revisions(dir: &Path) -> usize {
    std::fs::read_dir(dir).expect("read fixture").count()
}

/// The version of revision `i` (from 1) of a fixture.
fn version(i: usize) -> String {
    format!("{i:03}")
}

/// Opens a connection, driving it on a spawned task.
async fn connect(config: &Config) -> Client {
    let (client, connection) = config.connect(NoTls).await.expect("connect");
    tokio::spawn(connection);
    client
}

/// A number from the environment, or `default`.
fn env_number(name: &str, default: u64) -> u64 {
    match std::env::var(name) {
        Ok(text) => text
            .parse()
            .unwrap_or_else(|_| panic!("{name}={text} is not a number")),
        Err(_) => default,
    }
}

/// xorshift64*: deterministic for a seed, so a trial's delay can be replayed without a crate.
struct Rng(u64);

impl Rng {
    /// Mixes `seed` (splitmix64's finaliser) so that consecutive seeds give unrelated streams,
    /// and keeps the state non-zero, which xorshift requires.
    fn new(seed: u64) -> Self {
        let mut z = seed.wrapping_add(0x9e37_79b9_7f4a_7c15);
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        Self((z ^ (z >> 31)) | 1)
    }

    /// The next number.
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A number in `0..bound` (`bound` > 0); the modulo bias is irrelevant here.
    fn below(&mut self, bound: u64) -> u64 {
        self.next() % bound.max(1)
    }
}
