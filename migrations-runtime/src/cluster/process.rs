//! Running the server binaries: finding them, running them as the right user, and the
//! watchdog that outlives us.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use super::ClusterError;

/// Starts a detached process that stops the server and deletes `root` (and its lock file) once
/// the process `owner` has exited, because a cluster kept in a `static` is never dropped. A
/// cluster marked to be kept (see `run::keep`) is left running for a later run to sweep.
/// `token`, written to `root/token` by the caller, ties the watchdog to this attempt: should the
/// directory be removed and made again by another process, this watchdog leaves it alone.
pub(super) fn spawn_watchdog(
    root: &Path,
    owner: u32,
    token: &str,
    stop: Command,
) -> Result<(), ClusterError> {
    // It also quits, harmlessly, once Drop has removed `root`. A zombie counts as gone:
    // an orphaned process may wait a while for init to reap it.
    const SCRIPT: &str = r#"pid=$1 dir=$2 token=$3; shift 3
ours() { [ "$(cat "$dir/token" 2>/dev/null)" = "$token" ]; }
while kill -0 "$pid" 2>/dev/null && ! grep -qs zombie "/proc/$pid/status" && ours
do sleep 1; done
ours || exit 0
[ -e "$dir/keep" ] && exit 0
"$@" >/dev/null 2>&1
rm -rf "$dir" "$dir.lock""#;
    let pid = owner.to_string();
    let mut cmd = Command::new("setsid");
    cmd.args(["-f", "sh", "-c", SCRIPT, "sh", &pid])
        .arg(root)
        .arg(token);
    cmd.arg(stop.get_program())
        .args(stop.get_args())
        .current_dir("/");
    // Null stdio: a watchdog holding our pipes would keep `cargo test` waiting.
    cmd.stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    let command = describe(&cmd);
    // `setsid -f` forks the watchdog off and exits at once; waiting here reaps it.
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => {
            let (output, hint) = (String::new(), "check that util-linux's setsid works");
            Err(ClusterError::Command {
                command,
                status,
                output,
                hint,
            })
        }
        Err(source) => Err(ClusterError::Spawn { command, source }),
    }
}

/// The server binaries, and whether they must run as the `postgres` user.
#[derive(Debug)]
pub(super) struct Binaries {
    pub(super) initdb: PathBuf,
    pub(super) pg_ctl: PathBuf,
    pub(super) as_postgres: bool,
}

impl Binaries {
    pub(super) fn locate() -> Result<Self, ClusterError> {
        let as_postgres = running_as_root();
        let user = || Command::new("id").args(["-u", "postgres"]).output();
        if as_postgres && !user().is_ok_and(|output| output.status.success()) {
            return Err(ClusterError::NoPostgresUser);
        }
        let (initdb, pg_ctl) = (find_binary("initdb")?, find_binary("pg_ctl")?);
        Ok(Self {
            initdb,
            pg_ctl,
            as_postgres,
        })
    }

    /// A command running `program` as the server's user.
    pub(super) fn command(&self, program: &Path) -> Command {
        let mut cmd = match self.as_postgres {
            true => Command::new("runuser"),
            false => Command::new(program),
        };
        if self.as_postgres {
            cmd.args(["-u", "postgres", "--"]).arg(program);
        }
        // The postgres user may be unable to enter our working directory, e.g. /root.
        cmd.current_dir("/").stdin(Stdio::null());
        cmd
    }

    /// When running as root, checks that the postgres user can reach `dir` and, if `chown`,
    /// gives `dir` to it. The check runs as that user, so that ACLs and groups count.
    pub(super) async fn hand_over(
        &self,
        dir: &Path,
        chown: bool,
        hint: &'static str,
    ) -> Result<(), ClusterError> {
        if !self.as_postgres {
            return Ok(());
        }
        let script = r#"for d in "$@"; do [ -x "$d" ] || { printf %s "$d"; exit 1; }; done"#;
        let mut check = self.command(Path::new("/bin/sh"));
        let mut parents: Vec<&Path> = dir.ancestors().skip(1).collect();
        parents.reverse();
        check.args(["-c", script, "sh"]).args(parents);
        // On failure the script prints the first directory the postgres user cannot enter.
        match run_checked(check, "check that `runuser -u postgres` works").await {
            Err(ClusterError::Command { output, .. }) if output.starts_with('/') => {
                let (dir, target) = (PathBuf::from(output), dir.to_owned());
                return Err(ClusterError::NotTraversable { dir, target, hint });
            }
            other => other?,
        };
        if chown {
            let mut cmd = Command::new("chown");
            cmd.args(["-R", "postgres:postgres"]).arg(dir);
            run_checked(cmd, "run as root, or as an ordinary user").await?;
        }
        Ok(())
    }
}

pub(super) fn running_as_root() -> bool {
    // The effective uid is the second number on the `Uid:` line; no libc needed.
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    if let Some(line) = status.lines().find(|line| line.starts_with("Uid:")) {
        return line.split_whitespace().nth(2) == Some("0");
    }
    let output = Command::new("id").arg("-u").output();
    output.is_ok_and(|output| output.stdout.trim_ascii() == b"0")
}

pub(super) fn find_binary(program: &'static str) -> Result<PathBuf, ClusterError> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    // Debian keeps server binaries off PATH, in one directory per major version: newest first.
    let entries = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten();
    let mut versions: Vec<(u32, PathBuf)> = entries
        .filter_map(|entry| Some((entry.file_name().to_str()?.parse().ok()?, entry.path())))
        .collect();
    versions.sort_by(|a, b| b.cmp(a));
    let versioned = versions.into_iter().map(|(_, dir)| dir.join("bin"));
    let mut candidates = std::env::split_paths(&path)
        .chain(versioned)
        .map(|dir| dir.join(program));
    candidates
        .find(|candidate| candidate.is_file())
        .ok_or(ClusterError::BinaryNotFound { program })
}

/// Runs `cmd`, failing with the tail of its output and `hint` unless it exits successfully.
pub(super) async fn run_checked(cmd: Command, hint: &'static str) -> Result<Output, ClusterError> {
    let command = describe(&cmd);
    let output = run(cmd).await?;
    if output.status.success() {
        return Ok(output);
    }
    let (status, output) = (output.status, output_tail(&output));
    Err(ClusterError::Command {
        command,
        status,
        output,
        hint,
    })
}

pub(super) async fn run(cmd: Command) -> Result<Output, ClusterError> {
    let command = describe(&cmd);
    let output = tokio::process::Command::from(cmd).output().await;
    output.map_err(|source| ClusterError::Spawn { command, source })
}

pub(super) fn describe(cmd: &Command) -> String {
    let words = std::iter::once(cmd.get_program()).chain(cmd.get_args());
    words
        .map(|word| word.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ")
}

/// The last lines of a program's stderr, where the tools put errors and hints; of its stdout
/// when stderr is empty.
pub(super) fn output_tail(output: &Output) -> String {
    let stderr = !output.stderr.trim_ascii().is_empty();
    tail(&String::from_utf8_lossy(if stderr {
        &output.stderr
    } else {
        &output.stdout
    }))
}

pub(super) fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.trim_end().lines().collect();
    lines[lines.len().saturating_sub(20)..].join("\n")
}
