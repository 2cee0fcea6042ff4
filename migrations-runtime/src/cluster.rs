//! A private PostgreSQL cluster run from the local server binaries.
//!
//! Tests use [`LocalCluster::start_shared`] or [`LocalCluster::start_throwaway`]: a cluster in a
//! temporary directory (`APPDB_TEST_CLUSTER_DIR`, else `/dev/shm` when it is a tmpfs of 1 GiB or
//! more, else `TMPDIR`), stopped and deleted by a watchdog process once its owner (the cargo
//! process of the test run, or the test process) has exited, or when the value is dropped.
//! Developers use [`LocalCluster::ensure_persistent`] for a cluster kept between runs.
//!
//! Both listen only on a Unix socket in a directory of their own, so any number of them run
//! side by side on port 5432 without clashing with each other or with a system server. As root,
//! the server runs as the `postgres` user, since postgres refuses to run as root.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let cluster = migrations_runtime::testing::LocalCluster::start_throwaway().await?;
//! let (client, connection) = cluster.config("postgres").connect(tokio_postgres::NoTls).await?;
//! tokio::spawn(connection);
//! client.batch_execute("SELECT 1").await?;
//! # Ok(()) }
//! ```

// With `cli` alone only the persistent development cluster (`--local`) is used, privately; the
// throwaway clusters, their watchdog and the public API (`testing::LocalCluster`) serve `testing`.
#![cfg_attr(not(feature = "testing"), allow(dead_code, unreachable_pub))]

use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use process::{output_tail, run, run_checked, tail, Binaries};

mod error;
mod process;
mod run;
mod throwaway;

pub use error::ClusterError;

/// The port in every socket file name; harmless to share because socket directories are private.
const PORT: u16 = 5432;
/// Linux's `sun_path` holds 108 bytes including the trailing NUL.
const MAX_SOCKET_PATH: usize = 107;

/// What differs between a throwaway and a persistent cluster.
struct Profile {
    initdb_flags: &'static [&'static str],
    settings: &'static str,
    path_hint: &'static str,
    start_hint: &'static str,
}

// Durability is pointless for a cluster deleted at exit, and costs seconds per test run.
const THROWAWAY: Profile = Profile {
    initdb_flags: &["--no-sync"],
    settings: "fsync = off\nsynchronous_commit = off\nfull_page_writes = off\n",
    path_hint: "set APPDB_TEST_CLUSTER_DIR to a short directory every user can enter, e.g. /tmp",
    start_hint: "check free memory and free space in the cluster's directory (APPDB_TEST_CLUSTER_DIR, else /dev/shm or TMPDIR)",
};

const PERSISTENT: Profile = Profile {
    initdb_flags: &[],
    settings: "",
    path_hint: "choose a short data directory every user can enter, e.g. under /var/tmp or /srv",
    start_hint: "fix the cause above; if another PostgreSQL major version made the directory, remove it to re-create it",
};

/// A running PostgreSQL cluster, reached through its private Unix socket directory as the
/// `postgres` superuser with trust authentication.
#[derive(Debug)]
pub struct LocalCluster {
    data_dir: PathBuf,
    socket_dir: PathBuf,
    log_file: PathBuf,
    binaries: Binaries,
    /// The directory of a throwaway cluster; `None` for a persistent one.
    root: Option<PathBuf>,
    /// Whether dropping the value stops and deletes it: only a cluster of this process's own.
    delete_on_drop: bool,
}

impl LocalCluster {
    /// Connects to the developer cluster in `data_dir`, creating it if `PG_VERSION` is missing
    /// and starting it if it is not running. The server keeps running after the value is
    /// dropped; its socket and `server.log` live in `data_dir` itself.
    pub async fn ensure_persistent(data_dir: &Path) -> Result<Self, ClusterError> {
        let binaries = Binaries::locate()?;
        let data_dir = std::path::absolute(data_dir).map_err(io_error("resolve", data_dir))?;
        check_socket_path(&data_dir, PERSISTENT.path_hint)?;
        let fresh = !data_dir.join("PG_VERSION").exists();
        if fresh {
            std::fs::create_dir_all(&data_dir).map_err(io_error("create directory", &data_dir))?;
        }
        binaries
            .hand_over(&data_dir, fresh, PERSISTENT.path_hint)
            .await?;
        let cluster = Self {
            socket_dir: data_dir.clone(),
            log_file: data_dir.join("server.log"),
            data_dir,
            binaries,
            root: None,
            delete_on_drop: false,
        };
        if fresh {
            cluster.initdb(&PERSISTENT).await?;
        }
        if !cluster.is_running().await? {
            if let Err(error) = cluster.start(&PERSISTENT).await {
                // Another process may have started it between our check and our start.
                if !cluster.is_running().await? {
                    return Err(error);
                }
            }
        }
        cluster.probe().await?;
        Ok(cluster)
    }

    /// The directory holding the server's Unix socket.
    pub fn socket_dir(&self) -> &Path {
        &self.socket_dir
    }

    /// The port in the socket's file name (`.s.PGSQL.5432`); always 5432.
    pub fn port(&self) -> u16 {
        PORT
    }

    /// The cluster's data directory.
    pub fn data_dir(&self) -> &Path {
        &self.data_dir
    }

    /// Connection settings for database `dbname` as the `postgres` superuser.
    pub fn config(&self, dbname: &str) -> tokio_postgres::Config {
        let mut config = tokio_postgres::Config::new();
        config.host_path(&self.socket_dir).port(PORT);
        config.user("postgres").dbname(dbname);
        config
    }

    /// A key=value connection string for `dbname`, accepted by `psql` and by
    /// `tokio_postgres::Config::from_str`: `host=/tmp/… port=5432 user=postgres dbname=…`.
    pub fn url(&self, dbname: &str) -> String {
        let host = conninfo_value(&self.socket_dir.to_string_lossy());
        let dbname = conninfo_value(dbname);
        format!("host={host} port={PORT} user=postgres dbname={dbname}")
    }

    async fn initdb(&self, profile: &Profile) -> Result<(), ClusterError> {
        let mut cmd = self.binaries.command(&self.binaries.initdb);
        cmd.arg("-D").arg(&self.data_dir).args(profile.initdb_flags);
        cmd.args(["-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-locale"]);
        let hint = "fix the cause above; remove the data directory if initdb left it half-created";
        run_checked(cmd, hint).await?;
        // In the config rather than on pg_ctl's command line, so that a plain `pg_ctl start` by
        // hand brings a persistent cluster up the same way. The directory is a list element
        // double-quoted for postgres, inside a string single-quoted for the config parser.
        let socket_dir = self.socket_dir.to_string_lossy().replace('"', "\"\"");
        let socket_dir = format!("\"{socket_dir}\"")
            .replace('\\', "\\\\")
            .replace('\'', "''");
        let settings = format!(
            "\n# Added by app-db: a private server, reached only through its own socket.\n\
             listen_addresses = ''\nunix_socket_directories = '{socket_dir}'\n\
             max_connections = 200\n{}",
            profile.settings
        );
        let conf = self.data_dir.join("postgresql.conf");
        let file = std::fs::OpenOptions::new().append(true).open(&conf);
        let written =
            file.and_then(|mut file| io::Write::write_all(&mut file, settings.as_bytes()));
        written.map_err(io_error("append to", &conf))
    }

    async fn start(&self, profile: &Profile) -> Result<(), ClusterError> {
        let mut cmd = self.binaries.command(&self.binaries.pg_ctl);
        cmd.arg("-D").arg(&self.data_dir);
        cmd.arg("-l")
            .arg(&self.log_file)
            .args(["-w", "-t", "60", "start"]);
        let output = run(cmd).await?;
        if output.status.success() {
            return Ok(());
        }
        let log = tokio::fs::read_to_string(&self.log_file).await;
        Err(ClusterError::Start {
            data_dir: self.data_dir.clone(),
            output: output_tail(&output),
            log_file: self.log_file.clone(),
            log_tail: log.map_or_else(|e| format!("(cannot read it: {e})"), |log| tail(&log)),
            hint: profile.start_hint,
        })
    }

    async fn is_running(&self) -> Result<bool, ClusterError> {
        if !self.data_dir.join("postmaster.pid").exists() {
            return Ok(false);
        }
        let mut cmd = self.binaries.command(&self.binaries.pg_ctl);
        cmd.arg("-D").arg(&self.data_dir).arg("status");
        // Exit status 0 means running; 3 not running; 4 no usable data directory.
        Ok(run(cmd).await?.status.success())
    }

    /// Waits until the server takes connections. `pg_ctl -w` has usually seen to that, but
    /// not for a server another process is still starting, and this also proves the socket.
    async fn probe(&self) -> Result<(), ClusterError> {
        let mut attempts = 0;
        loop {
            match self.config("postgres").connect(tokio_postgres::NoTls).await {
                Ok((client, connection)) => {
                    // Dropping the client makes the connection send Terminate and finish.
                    drop(client);
                    let _ = connection.await;
                    return Ok(());
                }
                Err(source) if attempts == 50 => {
                    let (socket_dir, log_file) = (self.socket_dir.clone(), self.log_file.clone());
                    return Err(ClusterError::Connect {
                        socket_dir,
                        log_file,
                        source,
                    });
                }
                Err(_) => attempts += 1,
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    fn stop_command(&self) -> Command {
        let mut cmd = self.binaries.command(&self.binaries.pg_ctl);
        cmd.arg("-D").arg(&self.data_dir);
        cmd.args(["-m", "immediate", "stop"]);
        cmd
    }
}

impl Drop for LocalCluster {
    fn drop(&mut self) {
        let Some(root) = self.root.as_ref().filter(|_| self.delete_on_drop) else {
            return;
        };
        // Blocking is acceptable: an immediate stop takes milliseconds.
        let mut stop = self.stop_command();
        let _ = stop.stdout(Stdio::null()).stderr(Stdio::null()).status();
        match std::fs::remove_dir_all(root) {
            Err(error) if error.kind() != io::ErrorKind::NotFound => {
                eprintln!(
                    "warning: could not remove cluster directory {}: {error}",
                    root.display()
                );
            }
            _ => {}
        }
    }
}

fn check_socket_path(socket_dir: &Path, hint: &'static str) -> Result<(), ClusterError> {
    let path = socket_dir.join(format!(".s.PGSQL.{PORT}"));
    let problem = match path.to_str() {
        None => "not UTF-8",
        Some(text) if text.len() > MAX_SOCKET_PATH => "longer than the 107 bytes Linux allows",
        Some(_) => return Ok(()),
    };
    Err(ClusterError::SocketPath {
        path,
        problem,
        hint,
    })
}

fn io_error(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> ClusterError {
    let path = path.to_owned();
    move |source| ClusterError::Io {
        action,
        path,
        source,
    }
}

/// Quotes a value for a key=value connection string when it needs it.
fn conninfo_value(value: &str) -> String {
    let plain = |c: char| !c.is_whitespace() && c != '\'' && c != '\\';
    if !value.is_empty() && value.chars().all(plain) {
        return value.to_owned();
    }
    format!("'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_quotes_awkward_socket_paths() {
        let socket_dir = PathBuf::from(r"/tmp/a b/it's\x");
        let cluster = LocalCluster {
            data_dir: socket_dir.clone(),
            log_file: socket_dir.join("server.log"),
            socket_dir,
            binaries: Binaries {
                initdb: "initdb".into(),
                pg_ctl: "pg_ctl".into(),
                as_postgres: false,
            },
            root: None,
            delete_on_drop: false,
        };
        let parsed: tokio_postgres::Config = cluster.url("my db").parse().expect("url parses");
        assert_eq!(parsed, cluster.config("my db"));
    }
}
