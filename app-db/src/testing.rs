//! One fresh database per test, migrated in milliseconds.
//!
//! The short way is the [`#[app_db::test]`](crate::test) attribute: the test receives a
//! [`TestDatabase`] already at head of the crate's revision table, dropped when the test passes
//! and kept (its name printed) when it fails.
//!
//! ```no_run
//! static MIGRATIONS: app_db::Migrations = app_db::embed_migrations!("../migrations");
//!
//! #[app_db::test]
//! async fn creates_a_session(db: app_db::testing::TestDatabase) {
//!     let client = db.connect().await.unwrap();
//!     client.batch_execute("INSERT INTO call_sessions DEFAULT VALUES").await.unwrap();
//! }
//! ```
//!
//! Underneath, [`server`] finds the test server: the one named by `TEST_DATABASE_URL`, else
//! `DATABASE_URL`, else a throwaway [`LocalCluster`] shared by the test binaries of the `cargo
//! test` run ([`LocalCluster::start_shared`]). [`TestServer::migrated_database`] migrates the
//! revision set once into a template database keyed by its fingerprint and clones it for each
//! test; [`TestServer::create_database`] gives an empty database. [`round_trip`] checks that
//! every revision's down script undoes its up script.

use std::env::VarError;
use std::fmt;
use std::sync::mpsc;

use tokio::sync::OnceCell;
use tokio_postgres::config::Host;
use tokio_postgres::{Client, Config, NoTls};

use crate::cluster::{ClusterError, LocalCluster};
use migrations_core::Migrations;

mod database;
mod runner;
mod schema;
mod sweep;
mod template;

pub use database::TestDatabase;
pub use runner::{run, run_should_panic, Fixture, TestOutcome};
pub use schema::{round_trip, RoundTripError, Snapshot};

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
    /// The target of [`TestServer::database_at`] does not resolve.
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

/// The server test databases are created on, shared by the whole test process.
pub struct TestServer {
    /// Where `CREATE DATABASE` and `DROP DATABASE` are sent.
    admin: Config,
    backend: Backend,
    /// The `STRATEGY` clause of a clone; empty before PostgreSQL 15, which has no such option.
    strategy: &'static str,
    /// Drops finished databases of a throwaway cluster in the background (see `database`).
    reaper: Option<std::sync::Mutex<mpsc::Sender<String>>>,
}

enum Backend {
    /// Never dropped (it lives in a static); its watchdog removes it after the run.
    Throwaway(LocalCluster),
    External {
        url: String,
    },
}

static SERVER: OnceCell<TestServer> = OnceCell::const_new();

/// The process-wide test server, started or connected on first use.
///
/// Uses `TEST_DATABASE_URL`, else `DATABASE_URL`, with administrative connections going to the
/// database that URL names (typically `postgres`); else the run's throwaway cluster. Databases
/// left by crashed test processes are dropped on first use (see the README's "Test databases").
pub async fn server() -> Result<&'static TestServer, TestingError> {
    SERVER.get_or_try_init(TestServer::from_env).await
}

impl TestServer {
    async fn from_env() -> Result<Self, TestingError> {
        let (admin, backend) = match configured()? {
            Some((admin, url)) => (admin, Backend::External { url }),
            None => {
                let cluster = LocalCluster::start_shared().await?;
                (cluster.config("postgres"), Backend::Throwaway(cluster))
            }
        };
        let client = connect(&admin).await?;
        let version: i32 = client
            .query_one("SELECT current_setting('server_version_num')::int", &[])
            .await
            .map_err(|source| TestingError::Version { source })?
            .get(0);
        let strategy = strategy(version)?;
        let local = match &backend {
            Backend::Throwaway(_) => true,
            Backend::External { .. } => sweep::is_local(&admin),
        };
        if local {
            sweep::abandoned_databases(&client).await;
        }
        // On a throwaway cluster nothing outlives the run, so a drop still queued when the
        // process exits costs nothing; on a server of the user's, drops happen in the test.
        let reaper = matches!(backend, Backend::Throwaway(_))
            .then(|| std::sync::Mutex::new(database::spawn_reaper(admin.clone())));
        Ok(Self {
            admin,
            backend,
            strategy,
            reaper,
        })
    }

    /// Creates an empty database named `appdb_test_<pid>_<random>` for one test.
    pub async fn create_database(&'static self) -> Result<TestDatabase, TestingError> {
        self.create(None).await
    }

    /// A fresh database already migrated to head of `migrations`, cloned from a template built
    /// once per revision set (and rebuilt automatically when the set changes).
    ///
    /// ```no_run
    /// # async fn t() -> Result<(), app_db::testing::TestingError> {
    /// let db = app_db::testing::server().await?.migrated_database(&app_db::MIGRATIONS).await?;
    /// let client = db.connect().await?;
    /// # Ok(()) }
    /// ```
    pub async fn migrated_database(
        &'static self,
        migrations: &Migrations,
    ) -> Result<TestDatabase, TestingError> {
        self.database_at(migrations, "head").await
    }

    /// A fresh database migrated to `target` (`head`, a version, `head-1`, ...) of `migrations`,
    /// for testing the migrations themselves.
    pub async fn database_at(
        &'static self,
        migrations: &Migrations,
        target: &str,
    ) -> Result<TestDatabase, TestingError> {
        let level = crate::target::resolve(target, migrations, 0)
            .map_err(|source| TestingError::Target {
                target: target.to_owned(),
                source,
            })?
            .level;
        let template = template::name(migrations, level);
        if !template::known(&template) {
            template::ensure(&self.admin, migrations, target, &template).await?;
        }
        match self.create(Some(&template)).await {
            // Dropped behind our back since we built or checked it: build it again, once.
            Err(TestingError::CreateDatabase { source, .. })
                if source.code() == Some(&tokio_postgres::error::SqlState::UNDEFINED_DATABASE) =>
            {
                template::forget(&template);
                template::ensure(&self.admin, migrations, target, &template).await?;
                self.create(Some(&template)).await
            }
            result => result,
        }
    }

    async fn create(&'static self, template: Option<&str>) -> Result<TestDatabase, TestingError> {
        let random = uuid::Uuid::new_v4().simple().to_string();
        // The pid lets a later run tell a crashed process's leftovers from a live test's.
        let name = format!("appdb_test_{}_{}", std::process::id(), &random[..12]);
        let client = connect(&self.admin).await?;
        let sql = match template {
            Some(t) => format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                quote_identifier(&name),
                quote_identifier(t),
                self.strategy
            ),
            None => format!("CREATE DATABASE {}", quote_identifier(&name)),
        };
        client
            .batch_execute(&sql)
            .await
            .map_err(|source| TestingError::CreateDatabase {
                name: name.clone(),
                source,
            })?;
        Ok(TestDatabase::new(self, name))
    }

    /// The connection string of database `dbname` on this server, in the form of the server's
    /// own (see [`TestDatabase::url`]): e.g. to hand the server to a child process as its
    /// `TEST_DATABASE_URL`. It may contain a password.
    pub fn url(&self, dbname: &str) -> String {
        match &self.backend {
            Backend::Throwaway(cluster) => cluster.url(dbname),
            Backend::External { url } => with_dbname(url, dbname),
        }
    }
}

/// The administrative connection and URL from `TEST_DATABASE_URL` or `DATABASE_URL`.
fn configured() -> Result<Option<(Config, String)>, TestingError> {
    for var in ["TEST_DATABASE_URL", "DATABASE_URL"] {
        match std::env::var(var) {
            Ok(url) if !url.trim().is_empty() => {
                let admin = url
                    .parse()
                    .map_err(|source| TestingError::InvalidUrl { var, source })?;
                return Ok(Some((admin, url)));
            }
            Ok(_) | Err(VarError::NotPresent) => {}
            Err(VarError::NotUnicode(_)) => return Err(TestingError::NotUnicode { var }),
        }
    }
    Ok(None)
}

/// The clone strategy: `FILE_COPY` unless `APPDB_TEST_CLONE_STRATEGY` says otherwise. It copies
/// the template's files instead of writing every page through the WAL; BENCHMARKS.md has the
/// measurements behind the choice.
fn strategy(server_version: i32) -> Result<&'static str, TestingError> {
    if server_version < 150_000 {
        return Ok("");
    }
    match std::env::var("APPDB_TEST_CLONE_STRATEGY") {
        Err(_) => Ok(" STRATEGY FILE_COPY"),
        Ok(value) => match value.to_ascii_lowercase().as_str() {
            "" | "file_copy" => Ok(" STRATEGY FILE_COPY"),
            "wal_log" => Ok(" STRATEGY WAL_LOG"),
            _ => Err(TestingError::Strategy { value }),
        },
    }
}

// By hand, because the URLs may hold a password; `Config` redacts its own.
impl fmt::Debug for TestServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let throwaway = matches!(self.backend, Backend::Throwaway(_));
        let mut debug = f.debug_struct("TestServer");
        debug
            .field("admin", &self.admin)
            .field("throwaway", &throwaway)
            .field("strategy", &self.strategy.trim())
            .finish()
    }
}

pub(crate) async fn connect(config: &Config) -> Result<Client, TestingError> {
    let (client, connection) = config.connect(NoTls).await.map_err(|source| {
        let database = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or_default();
        TestingError::Connect {
            database: database.to_owned(),
            source,
        }
    })?;
    // A failed connection surfaces as an error on the client's next call.
    tokio::spawn(connection);
    Ok(client)
}

pub(crate) fn quote_identifier(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `url` with its database replaced by `dbname`.
fn with_dbname(url: &str, dbname: &str) -> String {
    for scheme in ["postgres://", "postgresql://"] {
        let Some(rest) = url.strip_prefix(scheme) else {
            continue;
        };
        // Split where tokio-postgres does: credentials end at the first `@`, hosts at `/` or `?`.
        let hosts_start = rest.find('@').map_or(0, |at| at + 1);
        let path_start = rest[hosts_start..]
            .find(['/', '?'])
            .map_or(rest.len(), |i| hosts_start + i);
        let query = rest[path_start..]
            .find('?')
            .map_or("", |i| &rest[path_start + i..]);
        return format!("{scheme}{}/{dbname}{query}", &rest[..path_start]);
    }
    // The last `dbname` wins in key=value strings, for libpq and tokio-postgres alike.
    format!("{url} dbname={dbname}")
}

/// A key=value description of `config` without its password, safe to print.
pub(crate) fn describe(config: &Config) -> String {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .map(|host| match host {
            Host::Tcp(name) => name.clone(),
            Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    let ports: Vec<String> = config.get_ports().iter().map(u16::to_string).collect();
    let mut text = format!("host={} port={}", hosts.join(","), ports.join(","));
    for (key, value) in [("user", config.get_user()), ("dbname", config.get_dbname())] {
        if let Some(value) = value {
            text.push_str(&format!(" {key}={value}"));
        }
    }
    text
}

pub(crate) fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn with_dbname_replaces_the_uri_path_and_keeps_the_query() {
        let cases = [
            (
                "postgres://u:p@h:5433/app?sslmode=disable",
                "postgres://u:p@h:5433/test_1?sslmode=disable",
            ),
            ("postgresql://h", "postgresql://h/test_1"),
            (
                "postgres://u@h1:1,h2:2?application_name=x",
                "postgres://u@h1:1,h2:2/test_1?application_name=x",
            ),
            (
                "postgres://u:p%2Fq@%2Ftmp%2Fsock/app",
                "postgres://u:p%2Fq@%2Ftmp%2Fsock/test_1",
            ),
        ];
        for (url, expected) in cases {
            assert_eq!(with_dbname(url, "test_1"), expected);
        }
    }

    #[test]
    fn appended_dbname_overrides_key_value_dbname() {
        let url = with_dbname("host=/tmp port=5432 dbname=postgres user=me", "test_1");
        let config: Config = url.parse().expect("the derived string parses");
        assert_eq!(config.get_dbname(), Some("test_1"));
        assert_eq!(config.get_user(), Some("me"));
    }

    #[test]
    fn describe_leaves_out_the_password() {
        let config: Config = "postgres://u:secret@h:5433/app".parse().expect("valid URL");
        assert_eq!(describe(&config), "host=h port=5433 user=u dbname=app");
    }
}
