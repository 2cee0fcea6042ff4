//! One fresh database per test, migrated in milliseconds.
//!
//! The short way is the [`#[migrations_runtime::test]`](crate::test) attribute: the test receives a
//! [`TestDatabase`] already at head of the crate's revision table, dropped when the test passes
//! and kept (its name printed) when it fails.
//!
//! ```no_run
//! # use migrations_runtime::migrations_core::{Layout, Migrations};
//! # static MIGRATIONS: Migrations = Migrations::__embedded(Layout::Directories, &[]);
//! // In the crate: static MIGRATIONS: Migrations = migrations_runtime::embed_migrations!("migrations");
//! #[migrations_runtime::test]
//! async fn creates_a_session(db: migrations_runtime::testing::TestDatabase) {
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
use tokio_postgres::Config;

pub use crate::cluster::{ClusterError, LocalCluster};
use migrations_core::Migrations;

mod connection;
mod database;
mod error;
mod runner;
mod schema;
mod sweep;
mod template;

use connection::{connect, describe, error_chain, with_dbname};
pub use database::TestDatabase;
pub use error::TestingError;
pub use runner::{run, run_should_panic, Fixture, TestOutcome};
pub use schema::{round_trip, RoundTripError, Snapshot};

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
        // A drop still queued when the process exits is left to the next process's sweep: fine
        // on a throwaway cluster running many tests per process; on a server of the user's, and
        // under nextest (a process per test, so nearly every drop would be queued last), drops
        // happen in the test.
        let per_test_process = std::env::var_os("NEXTEST_RUN_ID").is_some();
        let reaper = (matches!(backend, Backend::Throwaway(_)) && !per_test_process)
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
    /// # async fn t(migrations: &migrations_runtime::Migrations) -> Result<(), migrations_runtime::testing::TestingError> {
    /// let db = migrations_runtime::testing::server().await?.migrated_database(migrations).await?;
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
        let level = target
            .parse::<crate::Target>()
            .and_then(|parsed| parsed.level(migrations, 0))
            .map_err(|source| TestingError::Target {
                target: target.to_owned(),
                source,
            })?;
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

    /// A fresh database at the revision before `version` of `migrations` (at base for the
    /// first): for testing one revision on rows the test seeds, typically a data migration.
    /// Then [`TestDatabase::upgrade`] with `"+1"` runs that revision alone.
    ///
    /// ```no_run
    /// # async fn t(migrations: &migrations_runtime::Migrations) -> Result<(), Box<dyn std::error::Error>> {
    /// let db = migrations_runtime::testing::server().await?.database_before(migrations, "004").await?;
    /// let client = db.connect().await?;
    /// client.batch_execute("INSERT INTO call_sessions DEFAULT VALUES").await?;
    /// db.upgrade(migrations, "+1").await?; // 004, and nothing after it
    /// # Ok(()) }
    /// ```
    pub async fn database_before(
        &'static self,
        migrations: &Migrations,
        version: &str,
    ) -> Result<TestDatabase, TestingError> {
        let unknown = || TestingError::Target {
            target: version.to_owned(),
            source: crate::target::TargetError::Unknown {
                target: version.to_owned(),
            },
        };
        let position = migrations.position(version).ok_or_else(unknown)?;
        let before = match position.checked_sub(1) {
            Some(i) => migrations.as_slice()[i].version().to_owned(),
            None => "base".to_owned(),
        };
        self.database_at(migrations, &before).await
    }

    async fn create(&'static self, template: Option<&str>) -> Result<TestDatabase, TestingError> {
        let random = uuid::Uuid::new_v4().simple().to_string();
        // The pid lets a later run tell a crashed process's leftovers from a live test's.
        let name = format!("appdb_test_{}_{}", std::process::id(), &random[..12]);
        let client = connect(&self.admin).await?;
        let sql = match template {
            Some(t) => format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                crate::quote::ident(&name),
                crate::quote::ident(t),
                self.strategy
            ),
            None => format!("CREATE DATABASE {}", crate::quote::ident(&name)),
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
