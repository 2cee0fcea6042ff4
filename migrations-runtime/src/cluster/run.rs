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
///
/// `APPDB_TEST_RUN_OWNER=<pid>` names the owner explicitly, for harnesses other than cargo:
/// every process given the same pid shares one cluster, stopped when that process exits.
pub(super) fn current() -> Option<(String, Owner)> {
    if let Some(pid) = std::env::var("APPDB_TEST_RUN_OWNER")
        .ok()
        .and_then(|p| p.parse().ok())
    {
        let owner = Owner::of(pid)?;
        return Some((format!("owner-{}-{}", owner.pid, owner.start), owner));
    }
    let parent = Owner::of(std::os::unix::process::parent_id())?;
    let comm = std::fs::read_to_string(format!("/proc/{}/comm", parent.pid)).ok()?;
    let nextest = comm.trim().contains("nextest");
    if let Some(id) = std::env::var("NEXTEST_RUN_ID").ok().filter(|_| nextest) {
        // nextest runs each test as its own child process, all under one run id. Checked to
        // be our parent, so that a process a test spawns (which inherits the id) is not taken
        // for the run's owner.
        let id: String = id.chars().filter(char::is_ascii_alphanumeric).collect();
        return Some((format!("nextest-{id}"), parent));
    }
    (comm.trim() == "cargo").then(|| (format!("cargo-{}-{}", parent.pid, parent.start), parent))
}

/// Smallest tmpfs we put a throwaway cluster on: room for a few hundred test databases.
const MIN_SHM_BYTES: u64 = 1 << 30;

/// Where throwaway clusters live: `APPDB_TEST_CLUSTER_DIR` if set; else `/dev/shm` when it is
/// a tmpfs of at least 1 GiB, because cloning and dropping databases writes every page of the
/// template, and on a disk sustained clones were measured 6x slower (229 vs 35 ms per clone and
/// drop of an 18 MB template) once the kernel starts throttling writeback; else the temp dir.
pub(super) fn parent_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("APPDB_TEST_CLUSTER_DIR").filter(|d| !d.is_empty()) {
        return PathBuf::from(dir);
    }
    let mounts = std::fs::read_to_string("/proc/mounts").unwrap_or_default();
    match shm_size(&mounts) {
        Some(size) if size >= MIN_SHM_BYTES => PathBuf::from("/dev/shm"),
        _ => std::env::temp_dir(),
    }
}

/// The size of the tmpfs mounted on `/dev/shm`, from `/proc/mounts`; `u64::MAX` for one
/// without a size option (the kernel's default, half the memory).
fn shm_size(mounts: &str) -> Option<u64> {
    let line = mounts.lines().find(|line| {
        let mut fields = line.split_whitespace().skip(1);
        (fields.next(), fields.next()) == (Some("/dev/shm"), Some("tmpfs"))
    })?;
    let options = line.split_whitespace().nth(3)?;
    let Some(size) = options.split(',').find_map(|o| o.strip_prefix("size=")) else {
        return Some(u64::MAX);
    };
    let (digits, unit) = size.split_at(size.trim_end_matches(char::is_alphabetic).len());
    let scale = match unit {
        "" => 1,
        "k" => 1 << 10,
        "m" => 1 << 20,
        "g" => 1 << 30,
        _ => return None,
    };
    digits.parse::<u64>().ok().map(|n| n.saturating_mul(scale))
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
    let mut parents = vec![
        parent_dir(),
        std::env::temp_dir(),
        PathBuf::from("/dev/shm"),
    ];
    parents.sort();
    parents.dedup();
    let entries = parents
        .iter()
        .filter_map(|dir| std::fs::read_dir(dir).ok())
        .flatten();
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
    stop_and_remove(binaries, root).await;
    let _ = std::fs::remove_file(lock_path(root));
}

/// Stops the server of the cluster at `root`, if it runs, and deletes the directory; leaves it
/// in place if the server cannot be stopped.
pub(super) async fn stop_and_remove(binaries: &Binaries, root: &Path) {
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
    fn shm_size_is_read_from_the_mount_options() {
        let mounts = "proc /proc proc rw 0 0\ntmpfs /dev/shm tmpfs rw,nosuid,size=24684096k 0 0\n";
        assert_eq!(shm_size(mounts), Some(24_684_096 << 10));
        let small = "shm /dev/shm tmpfs rw,size=65536k 0 0\n";
        assert!(shm_size(small).is_some_and(|size| size < MIN_SHM_BYTES));
        assert_eq!(shm_size("tmpfs /dev/shm tmpfs rw 0 0\n"), Some(u64::MAX));
        assert_eq!(shm_size("overlay / overlay rw 0 0\n"), None);
    }

    #[test]
    fn lock_file_sits_beside_the_directory() {
        let path = lock_path(Path::new("/tmp/appdb-run-cargo-1-2"));
        assert_eq!(path, Path::new("/tmp/appdb-run-cargo-1-2.lock"));
    }
}
