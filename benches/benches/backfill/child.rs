//! One `simulator db upgrade head` as production runs it: a child process with `DATABASE_URL`,
//! timed from spawn to exit, its peak resident memory read from `/proc`, optionally watched
//! through the progress row and killed with SIGKILL after a delay.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use tokio_postgres::Client;

use super::Fallible;

/// How often the child's `VmHWM` and the progress row are read.
const SAMPLE_EVERY: Duration = Duration::from_millis(20);
/// How often the bench checks whether the child exited: finer than [`SAMPLE_EVERY`], so the wall
/// time is within 2 ms of the exit; a `waitpid` every 2 ms costs the machine nothing measurable.
const EXIT_POLL: Duration = Duration::from_millis(2);

/// What to run and how.
pub(super) struct Launch<'a> {
    /// The release-built `simulator`.
    pub(super) binary: &'a Path,
    /// `DATABASE_URL` for it.
    pub(super) url: String,
    /// Send SIGKILL this long after the spawn, unless it exited before.
    pub(super) kill_after: Option<Duration>,
    /// A connection to the same database, to see when batches commit.
    pub(super) watch: Option<&'a Client>,
}

/// How the child ended.
#[derive(Debug)]
pub(super) enum End {
    /// On its own.
    Exited(ExitStatus),
    /// Killed this long after the spawn.
    Killed(Duration),
}

/// One run of the child.
#[derive(Debug)]
pub(super) struct Run {
    /// Spawn to exit (for a killed child: to its reaping, right after the kill).
    pub(super) wall: Duration,
    /// The last `VmHWM` read before it exited, in KiB.
    pub(super) peak_kib: Option<u64>,
    /// Its CPU time, user and system, as last read before it exited: the rest of the wall time
    /// it spent waiting, on the server or on the socket, since it works on one connection.
    pub(super) cpu: Option<Duration>,
    pub(super) end: End,
    /// When the watched progress row first changed, after the spawn. `None` if it never did.
    pub(super) first_commit: Option<Duration>,
    /// When the watched progress row last changed, after the spawn: the last commit the poll
    /// saw, up to [`SAMPLE_EVERY`] after it happened. `None` if it never changed.
    pub(super) last_commit: Option<Duration>,
    /// Its stdout, then its stderr.
    pub(super) output: String,
}

impl Run {
    /// Whether it ran to the end and succeeded.
    pub(super) fn succeeded(&self) -> bool {
        matches!(self.end, End::Exited(status) if status.success())
    }
}

/// The progress row of revision 004: the batch that runs next, the cursor the last committed
/// batch returned (the id of its last line), and a failed batch's error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Progress {
    pub(super) batch: u32,
    pub(super) cursor: Option<String>,
    pub(super) error: Option<String>,
}

/// The row, `None` when there is none (nothing committed yet, or the revision finished).
pub(super) async fn progress(client: &Client) -> Fallible<Option<Progress>> {
    let table: Option<String> = client
        .query_one("SELECT to_regclass('schema_revisions_progress')::text", &[])
        .await?
        .get(0);
    if table.is_none() {
        return Ok(None);
    }
    let row = client
        .query_opt(
            "SELECT statement, cursor, error FROM schema_revisions_progress WHERE version = '004'",
            &[],
        )
        .await?;
    let Some(row) = row else { return Ok(None) };
    // The cursor is the JSON the revision's `Option<Uuid>` serialises to: a quoted uuid.
    let cursor = match row.get::<_, Option<String>>(1).filter(|c| !c.is_empty()) {
        Some(json) => Some(serde_json::from_str::<String>(&json)?),
        None => None,
    };
    Ok(Some(Progress {
        batch: u32::try_from(row.get::<_, i32>(0))?,
        cursor,
        error: row.get(2),
    }))
}

/// Runs `simulator db upgrade head` to its end or to the kill.
pub(super) async fn run(launch: Launch<'_>) -> Fallible<Run> {
    let dir = tempfile::tempdir()?;
    let (out, err) = (dir.path().join("stdout"), dir.path().join("stderr"));
    let mut command = Command::new(launch.binary);
    command
        .args(["db", "upgrade", "head"])
        .env("DATABASE_URL", &launch.url)
        .current_dir(dir.path())
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out)?)
        .stderr(std::fs::File::create(&err)?);
    let mut seen = match launch.watch {
        Some(client) => progress(client).await?,
        None => None,
    };
    let start = Instant::now();
    let mut child = command.spawn()?;
    let pid = child.id();
    let (mut peak_kib, mut cpu) = (None, None);
    let (mut first_commit, mut last_commit) = (None, None);
    let mut next_sample = start;
    let end = loop {
        if Instant::now() >= next_sample {
            // A zombie has no VmHWM line: the last value read stays.
            peak_kib = vm_hwm_kib(pid).or(peak_kib);
            cpu = cpu_time(pid).or(cpu);
            if let Some(client) = launch.watch {
                let now = progress(client).await?;
                if now != seen {
                    (seen, last_commit) = (now, Some(start.elapsed()));
                    first_commit = first_commit.or(last_commit);
                }
            }
            next_sample += SAMPLE_EVERY;
        }
        if let Some(status) = child.try_wait()? {
            break End::Exited(status);
        }
        let deadline = launch.kill_after.map(|after| start + after);
        if deadline.is_some_and(|d| Instant::now() >= d) {
            let at = start.elapsed();
            child.kill()?;
            child.wait()?;
            break End::Killed(at);
        }
        let mut wake = Instant::now() + EXIT_POLL;
        if let Some(deadline) = deadline {
            wake = wake.min(deadline);
        }
        tokio::time::sleep_until(wake.into()).await;
    };
    let wall = start.elapsed();
    let output = std::fs::read_to_string(out)? + &std::fs::read_to_string(err)?;
    Ok(Run {
        wall,
        peak_kib,
        cpu,
        end,
        first_commit,
        last_commit,
        output,
    })
}

/// `VmHWM` of process `pid` in KiB: the peak resident set size so far.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find_map(|l| l.strip_prefix("VmHWM:"))?;
    line.trim().strip_suffix("kB")?.trim().parse().ok()
}

/// User plus system CPU time of process `pid`: fields 14 and 15 of `/proc/<pid>/stat`, in clock
/// ticks, counted after the parenthesised command name (which may hold spaces).
fn cpu_time(pid: u32) -> Option<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let fields: Vec<&str> = stat
        .get(stat.rfind(')')? + 1..)?
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(Duration::from_secs_f64(ticks as f64 / *CLOCK_TICKS as f64))
}

/// Clock ticks per second (`getconf CLK_TCK`; 100 on Linux when it cannot be asked).
static CLOCK_TICKS: std::sync::LazyLock<u64> = std::sync::LazyLock::new(|| {
    let output = Command::new("getconf").arg("CLK_TCK").output();
    output
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100)
});

/// The release-built `simulator`: `W8_SIMULATOR`, else `cargo build --release -p app-db --bin
/// simulator` in the main workspace, into a target directory of its own under this one (the
/// running `cargo bench` holds this one's lock).
pub(super) fn simulator() -> Fallible<PathBuf> {
    if let Some(path) = std::env::var_os("W8_SIMULATOR") {
        return Ok(path.into());
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => Path::new(env!("CARGO_MANIFEST_DIR")).join("target"),
    };
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    // What `cargo bench` set for this process describes the bench package; build scripts that
    // watch such variables (ring's) would otherwise rebuild, and differ from a build by hand.
    let described = [
        "CARGO_PKG_",
        "CARGO_MANIFEST_",
        "CARGO_CRATE_",
        "CARGO_BIN_",
        "CARGO_PRIMARY_",
    ];
    for (key, _) in std::env::vars_os() {
        let name = key.to_string_lossy();
        if described.iter().any(|prefix| name.starts_with(prefix)) {
            command.env_remove(&key);
        }
    }
    let output = command
        .current_dir(&root)
        .env("CARGO_TARGET_DIR", target.join("backfill-simulator"))
        .args(["build", "--release", "-p", "app-db", "--bin", "simulator"])
        .arg("--message-format=json-render-diagnostics")
        .stderr(std::process::Stdio::inherit())
        .output()?;
    if !output.status.success() {
        return Err(format!("cargo build of the simulator failed: {}", output.status).into());
    }
    let artifact = String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["target"]["name"] == "simulator")
        .find_map(|message| message["executable"].as_str().map(PathBuf::from));
    artifact.ok_or_else(|| "cargo built no `simulator` executable".into())
}
