//! Throwaway clusters: one per test process, or one shared by the processes of a test run.

use std::io;
use std::path::{Path, PathBuf};

use super::process::{self, Binaries};
use super::{check_socket_path, io_error, run, ClusterError, LocalCluster, THROWAWAY};

impl LocalCluster {
    /// Creates and starts a cluster in a fresh temporary directory, removed when the value is
    /// dropped or, failing that, within a few seconds of this process exiting.
    pub async fn start_throwaway() -> Result<Self, ClusterError> {
        let binaries = Binaries::locate()?;
        run::sweep(&binaries).await;
        let suffix = uuid::Uuid::new_v4().simple().to_string();
        let name = format!("appdb-pg-{}-{}", std::process::id(), &suffix[..12]);
        let root = run::parent_dir().join(name);
        let owner = run::Owner::current().map_or(std::process::id(), |owner| owner.pid);
        let mut cluster = Self::create_throwaway(binaries, root, owner).await?;
        cluster.delete_on_drop = true;
        Ok(cluster)
    }

    /// The throwaway cluster of this test run: started by the first test binary of a `cargo
    /// test` or `cargo nextest` run, reused by the others, and stopped and deleted when that
    /// cargo process exits. Outside cargo, a cluster of this process's own
    /// ([`start_throwaway`](Self::start_throwaway)). Dropping the value leaves it running.
    pub async fn start_shared() -> Result<Self, ClusterError> {
        let Some((key, owner)) = run::current() else {
            return Self::start_throwaway().await;
        };
        let binaries = Binaries::locate()?;
        run::sweep(&binaries).await;
        let root = run::parent_dir().join(format!("appdb-run-{key}"));
        let lock_path = run::lock_path(&root);
        // Held until this function returns, so that one process starts the cluster and the
        // others wait for it. The OS releases it if we die, and a half-built one is redone.
        let lock = tokio::task::spawn_blocking(move || {
            let file = std::fs::File::create(&lock_path).map_err(io_error("create", &lock_path))?;
            file.lock().map_err(io_error("lock", &lock_path))?;
            Ok::<_, ClusterError>(file)
        });
        let lock = lock.await.expect("locking does not panic")?;
        let ready = root.join("ready");
        if ready.exists() {
            let cluster = Self::at(binaries, &root);
            if cluster.probe().await.is_ok() {
                return Ok(cluster);
            }
            return Err(ClusterError::Io {
                action: "reuse the run's cluster in",
                path: root,
                source: io::Error::other("it was started but no longer answers"),
            });
        }
        if root.exists() {
            // A start that failed or was killed half-way: no process depends on it. Its server
            // may run; its watchdog, tied to its token, will not touch the new directory.
            run::stop_and_remove(&binaries, &root).await;
            if root.exists() {
                let source = io::Error::other("a half-started cluster is in the way");
                return Err(ClusterError::Io {
                    action: "remove",
                    path: root,
                    source,
                });
            }
        }
        let cluster = Self::create_throwaway(binaries, root, owner.pid).await?;
        std::fs::write(&ready, b"").map_err(io_error("create", &ready))?;
        drop(lock);
        Ok(cluster)
    }

    /// The cluster laid out under `root` (see [`create_throwaway`](Self::create_throwaway)).
    fn at(binaries: Binaries, root: &Path) -> Self {
        Self {
            data_dir: root.join("data"),
            log_file: root.join("server.log"),
            socket_dir: root.join("sock"),
            binaries,
            root: Some(root.to_owned()),
            delete_on_drop: false,
        }
    }

    /// Creates and starts a throwaway cluster under `root`, removed by a watchdog once the
    /// process `owner` has exited.
    async fn create_throwaway(
        binaries: Binaries,
        root: PathBuf,
        owner: u32,
    ) -> Result<Self, ClusterError> {
        let cluster = Self::at(binaries, &root);
        check_socket_path(&cluster.socket_dir, THROWAWAY.path_hint)?;
        std::fs::create_dir(&root).map_err(io_error("create directory", &root))?;
        // An owner that is already gone is recorded as ourselves, so a sweep can still judge.
        let record = run::Owner::of(owner)
            .or_else(run::Owner::current)
            .map(|owner| owner.record());
        let token = uuid::Uuid::new_v4().simple().to_string();
        for (file, text) in [
            ("owner", record.unwrap_or_default()),
            ("token", token.clone()),
        ] {
            let path = root.join(file);
            std::fs::write(&path, text).map_err(io_error("create", &path))?;
        }
        // From here on the watchdog removes the directory once the owner is gone.
        process::spawn_watchdog(&root, owner, &token, cluster.stop_command())?;
        let sock = &cluster.socket_dir;
        std::fs::create_dir(sock).map_err(io_error("create directory", sock))?;
        cluster
            .binaries
            .hand_over(&root, true, THROWAWAY.path_hint)
            .await?;
        cluster.initdb(&THROWAWAY).await?;
        cluster.start(&THROWAWAY).await?;
        cluster.probe().await?;
        Ok(cluster)
    }

    /// Leaves this throwaway cluster running after its owner exits, because a failing test kept
    /// a database in it; the next test run removes it. Returns the data directory, or `None`
    /// for a persistent cluster, which always keeps running.
    pub fn keep_after_exit(&self) -> Option<&Path> {
        let root = self.root.as_deref()?;
        match run::keep(root) {
            Ok(()) => Some(&self.data_dir),
            Err(error) => {
                eprintln!(
                    "warning: could not mark {} to be kept: {error}",
                    root.display()
                );
                None
            }
        }
    }
}
