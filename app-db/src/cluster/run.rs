//! Who owns a throwaway cluster, and sharing one cluster across the test binaries of a run.
//!
//! `cargo test` runs one test binary after another, and `cargo nextest` runs a process per test;
//! either way they are children of one `cargo` process. Keyed by that process, the first test
//! binary starts the cluster and the others reuse it, so a run pays for `initdb` once and the
//! template databases are built once. The watchdog stops it when that `cargo` process exits.

use std::path::{Path, PathBuf};

use super::process::Binaries;

/// A process, identified by its pid and start time so that a reused pid is not mistaken for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) struct Owner {
    pub(super) pid: u32,
    start: u64,
}

impl Owner {
    /// The process `pid`, if it exists and is not a zombie.
    pub(super) fn of(pid: u32) -> Option<Self> {
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
        // The command name may hold spaces and parentheses: fields resume after the last `)`.
        let fields: Vec<&str> = stat
            .get(stat.rfind(')')? + 1..)?
            .split_whitespace()
            .collect();
        // Field 3 of proc(5) is the state, field 22 the start time.
        if fields.first() == Some(&"Z") {
            return None;
        }
        let start = fields.get(19)?.parse().ok()?;
        Some(Self { pid, start })
    }

    pub(super) fn current() -> Option<Self> {
        Self::of(std::process::id())
    }

    pub(super) fn is_alive(&self) -> bool {
        Self::of(self.pid) == Some(*self)
    }

    /// The form written to a cluster's `owner` file.
    pub(super) fn record(&self) -> String {
        format!("{} {}\n", self.pid, self.start)
    }

    fn parse(text: &str) -> Option<Self> {
        let mut words = text.split_whitespace();
        let pid = words.next()?.parse().ok()?;
        let start = words.next()?.parse().ok()?;
        Some(Self { pid, start })
    }
}

/// The run this test process belongs to: a key naming it and the process that owns it. `None`
/// when the process was not started by cargo (a test binary run by hand, or a program).
pub(super) fn current() -> Option<(String, Owner)> {
    let parent = Owner::of(std::os::unix::process::parent_id())?;
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", parent.pid)).ok()?;
    if let Ok(id) = std::env::var("NEXTEST_RUN_ID") {
        // nextest runs each test as its own child process, all under one run id.
        let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        return Some((format!("nextest-{id}"), parent));
    }
    (comm.trim() == "cargo").then(|| (format!("cargo-{}-{}", parent.pid, parent.start), parent))
}

/// Marks the cluster at `root` to be left running when its owner exits, because a failing test
/// kept a database in it for inspection. The next test run removes it.
pub(super) fn keep(root: &Path) -> std::io::Result<()> {
    std::fs::write(root.join("keep"), b"a failing test kept a database here\n")
}

/// Stops and removes the throwaway clusters whose owner is gone: kept for inspection by an
/// earlier run, or left by one whose watchdog was killed. Failures are ignored: another
/// process may be removing the same directory, or it may belong to another user.
pub(super) async fn sweep(binaries: &Binaries) {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let ours = name.starts_with("appdb-pg-") || name.starts_with("appdb-run-");
        if ours && !name.ends_with(".lock") && is_stale(&entry.path()) {
            remove(binaries, &entry.path()).await;
        }
    }
}

fn is_stale(root: &Path) -> bool {
    // No owner file: still being created, or not ours to judge.
    let Ok(owner) = std::fs::read_to_string(root.join("owner")) else {
        return false;
    };
    Owner::parse(&owner).is_some_and(|owner| !owner.is_alive())
}

async fn remove(binaries: &Binaries, root: &Path) {
    let data = root.join("data");
    let pid_file = data.join("postmaster.pid");
    if pid_file.exists() {
        let mut stop = binaries.command(&binaries.pg_ctl);
        stop.arg("-D").arg(&data).args(["-m", "immediate", "stop"]);
        let _ = super::process::run(stop).await;
        // Never delete the files of a server that still runs; a stale pid file is harmless.
        let postmaster = std::fs::read_to_string(&pid_file).ok();
        let pid = postmaster.and_then(|text| text.lines().next()?.trim().parse().ok());
        if pid.and_then(Owner::of).is_some() {
            return;
        }
    }
    let _ = std::fs::remove_dir_all(root);
    let _ = std::fs::remove_file(lock_path(root));
}

/// The lock file serialising the processes of a run while one of them starts the cluster;
/// beside the directory, so that removing the directory does not pull it from under a waiter.
pub(super) fn lock_path(root: &Path) -> PathBuf {
    let mut path = root.as_os_str().to_owned();
    path.push(".lock");
    PathBuf::from(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn this_process_is_alive_and_its_record_round_trips() {
        let me = Owner::current().expect("/proc/self/stat readable");
        assert!(me.is_alive());
        assert_eq!(Owner::parse(&me.record()), Some(me));
        let reused = Owner {
            start: me.start + 1,
            ..me
        };
        assert!(!reused.is_alive(), "a reused pid is not the same process");
    }

    #[tokio::test]
    async fn sweep_removes_the_clusters_whose_owner_is_gone_and_only_those() {
        let dir = |tag: &str| {
            let id = uuid::Uuid::new_v4().simple().to_string();
            let root = std::env::temp_dir().join(format!("appdb-run-{tag}-{id}"));
            std::fs::create_dir(&root).expect("mkdir");
            root
        };
        let (gone, live, unowned) = (dir("gone"), dir("live"), dir("unowned"));
        // Beyond pid_max (2^22), so no such process.
        std::fs::write(gone.join("owner"), "4194305 1\n").expect("owner");
        keep(&gone).expect("kept for inspection by an earlier run");
        let me = Owner::current().expect("this process");
        std::fs::write(live.join("owner"), me.record()).expect("owner");
        let binaries = Binaries::locate().expect("server binaries");
        sweep(&binaries).await;
        assert!(!gone.exists(), "its owner has exited");
        assert!(
            live.exists() && unowned.exists(),
            "owned by us, or being created"
        );
        for root in [live, unowned] {
            std::fs::remove_dir_all(root).expect("cleanup");
        }
    }

    #[test]
    fn lock_file_sits_beside_the_directory() {
        let path = lock_path(Path::new("/tmp/appdb-run-cargo-1-2"));
        assert_eq!(path, Path::new("/tmp/appdb-run-cargo-1-2.lock"));
    }
}
