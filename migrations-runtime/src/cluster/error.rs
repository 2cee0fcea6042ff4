//! Why a cluster could not be created or started: every variant names the path or command and
//! what to do.

use std::io;
use std::path::PathBuf;
use std::process::ExitStatus;

/// Why a [`LocalCluster`](super::LocalCluster) could not be created or started.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClusterError {
    /// A server binary is neither on `PATH` nor under `/usr/lib/postgresql/*/bin`.
    #[error("{program} not found on PATH: install PostgreSQL 15 server binaries (Debian: postgresql-15)")]
    BinaryNotFound {
        /// The missing program, e.g. `initdb`.
        program: &'static str,
    },
    /// We run as root, postgres refuses to, and there is no `postgres` user to switch to.
    #[error("running as root without a `postgres` user to run the server: create one (useradd --system postgres) or run as an ordinary user")]
    NoPostgresUser,
    /// The `postgres` user cannot enter a directory on the way to the cluster.
    #[error("directory {dir} is not searchable by the postgres user, so the server cannot reach {target}: {hint}")]
    NotTraversable {
        /// The first directory the `postgres` user cannot enter.
        dir: PathBuf,
        /// The cluster directory behind it.
        target: PathBuf,
        /// What to do instead.
        hint: &'static str,
    },
    /// The socket path is too long for a socket address, or not UTF-8 and so cannot be written
    /// into `postgresql.conf`.
    #[error("socket path {path} is unusable ({problem}): {hint}")]
    SocketPath {
        /// The socket file path.
        path: PathBuf,
        /// What is wrong with it.
        problem: &'static str,
        /// What to do instead.
        hint: &'static str,
    },
    /// A file system operation failed.
    #[error("could not {action} {path}: check its permissions and the free disk space")]
    Io {
        /// What we were doing, e.g. `create directory`.
        action: &'static str,
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying error.
        source: io::Error,
    },
    /// A helper program could not be started at all.
    #[error("could not run `{command}`: check that it is installed and executable")]
    Spawn {
        /// The command line.
        command: String,
        /// The underlying error.
        source: io::Error,
    },
    /// A helper program such as `initdb` or `chown` ran and failed.
    #[error("`{command}` failed ({status}):\n{output}\n{hint}")]
    Command {
        /// The command line.
        command: String,
        /// How it exited.
        status: ExitStatus,
        /// The last lines of its stderr, or of its stdout when stderr is empty.
        output: String,
        /// What to do.
        hint: &'static str,
    },
    /// `pg_ctl start` failed.
    #[error("postgres did not start from {data_dir}; pg_ctl said:\n{output}\nlast lines of {log_file}:\n{log_tail}\n{hint}")]
    Start {
        /// The cluster's data directory.
        data_dir: PathBuf,
        /// The last lines of pg_ctl's output.
        output: String,
        /// The server log.
        log_file: PathBuf,
        /// The last lines of the server log.
        log_tail: String,
        /// What to do.
        hint: &'static str,
    },
    /// The server reported that it started, but refuses connections.
    #[error("postgres started but refuses connections in {socket_dir}: see {log_file}")]
    Connect {
        /// The socket directory.
        socket_dir: PathBuf,
        /// The server log.
        log_file: PathBuf,
        /// The last connection error.
        source: tokio_postgres::Error,
    },
}
