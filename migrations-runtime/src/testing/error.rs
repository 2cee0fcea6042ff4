//! Why a test database could not be provided, or cleaned up.

use crate::cluster::ClusterError;

/// Why a test database could not be provided.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestingError {
    /// No server URL is configured and a throwaway cluster did not start.
    #[error("could not start a throwaway PostgreSQL cluster for tests: fix the cause, or set TEST_DATABASE_URL to an existing server")]
    Cluster {
        /// Why the cluster did not start.
        #[from]
        source: ClusterError,
    },
    /// The configured connection string does not parse.
    #[error("{var} is not a valid connection string: use postgres://user:password@host:port/dbname or key=value form")]
    InvalidUrl {
        /// The environment variable holding it.
        var: &'static str,
        /// The parse error.
        source: tokio_postgres::Error,
    },
    /// The configured connection string is not Unicode.
    #[error("{var} is not valid Unicode: use a plain connection string")]
    NotUnicode {
        /// The environment variable holding it.
        var: &'static str,
    },
    /// Connecting to a database failed.
    #[error("could not connect to database `{database}` on the test server: check that it runs and accepts the configured user")]
    Connect {
        /// The database we tried.
        database: String,
        /// The connection error.
        source: tokio_postgres::Error,
    },
    /// Building or checking a template database failed.
    #[error("could not prepare template database `{name}`: the configured user needs the CREATEDB privilege")]
    Template {
        /// The template.
        name: String,
        /// The server's error.
        source: tokio_postgres::Error,
    },
    /// Migrating a template database failed: the revisions themselves are broken.
    #[error("migrating template database `{name}` failed")]
    Migrate {
        /// The template.
        name: String,
        /// The migration error (boxed: it is large).
        source: Box<crate::MigrateError>,
    },
    /// [`TestDatabase::upgrade`](super::TestDatabase::upgrade) or `downgrade` failed.
    #[error("`{command}` on test database `{name}` failed")]
    Run {
        /// The database.
        name: String,
        /// `upgrade +1`, `downgrade base`, ...
        command: String,
        /// The migration error (boxed: it is large).
        source: Box<crate::MigrateError>,
    },
    /// The target of [`TestServer::database_at`](super::TestServer::database_at) does not resolve.
    #[error("invalid target `{target}` for a test database")]
    Target {
        /// The target.
        target: String,
        /// Why.
        source: crate::target::TargetError,
    },
    /// `CREATE DATABASE` failed.
    #[error(
        "could not create test database `{name}`: the configured user needs the CREATEDB privilege"
    )]
    CreateDatabase {
        /// The database name.
        name: String,
        /// The server's error.
        source: tokio_postgres::Error,
    },
    /// `DROP DATABASE` failed; only reported as a warning, from `Drop`.
    #[error("could not drop test database `{name}`: drop it by hand")]
    DropDatabase {
        /// The database name.
        name: String,
        /// The server's error.
        source: tokio_postgres::Error,
    },
    /// Marking a failing test's database as kept failed; a later sweep may drop it.
    #[error("could not mark test database `{name}` as kept: a later test run may drop it")]
    KeepDatabase {
        /// The database name.
        name: String,
        /// The server's error.
        source: tokio_postgres::Error,
    },
    /// `APPDB_TEST_CLONE_STRATEGY` holds something other than `file_copy` or `wal_log`.
    #[error("APPDB_TEST_CLONE_STRATEGY is `{value}`: use file_copy or wal_log, or unset it")]
    Strategy {
        /// The value found.
        value: String,
    },
    /// Reading the server's version failed.
    #[error("could not read the test server's version")]
    Version {
        /// The server's error.
        source: tokio_postgres::Error,
    },
    /// The runtime used to drop a database could not be built.
    #[error("could not build a runtime to drop a test database")]
    Runtime {
        /// The underlying error.
        source: std::io::Error,
    },
}
