//! A test's own database: dropped when the test passes, kept and named when it fails.

use std::fmt;
use std::sync::mpsc;

use migrations_core::Migrations;
use tokio_postgres::{Client, Config};

use crate::{Direction, Migrator, Outcome};

use super::{connect, describe, error_chain, Backend, TestServer, TestingError};

/// A database owned by one test: dropped with the value, unless the thread is panicking (or the
/// test failed, under [`#[migrations_runtime::test]`](crate::test)), in which case it is kept and its
/// connection string printed so that the failure can be inspected.
pub struct TestDatabase {
    name: String,
    config: Config,
    url: String,
    server: &'static TestServer,
    /// False for the copy handed to a test body by [`run`](super::run), which decides the
    /// database's fate itself once it knows whether the test passed.
    owned: bool,
}

impl TestDatabase {
    pub(super) fn new(server: &'static TestServer, name: String) -> Self {
        let mut config = server.admin.clone();
        config.dbname(&name);
        Self {
            url: server.url(&name),
            name,
            config,
            server,
            owned: true,
        }
    }

    /// The database name, `appdb_test_<pid>_<random>`.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Connection settings for this database.
    pub fn config(&self) -> &Config {
        &self.config
    }

    /// A connection string for this database, in the form of the server's own: a URI when the
    /// server came from a `postgres://` URL, key=value otherwise. It may contain a password.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Opens a connection, driving it on a spawned tokio task.
    pub async fn connect(&self) -> Result<Client, TestingError> {
        connect(&self.config).await
    }

    /// Upgrades this database to `target` of `migrations` (`"+1"`: the next revision alone),
    /// with a runner that opens its own connections, as a service's does: Rust revisions,
    /// batched ones included, and `no-transaction` ones run as in production.
    pub async fn upgrade(
        &self,
        migrations: &Migrations,
        target: &str,
    ) -> Result<Outcome, TestingError> {
        self.migrate(migrations, Direction::Up, target).await
    }

    /// Downgrades this database to `target` of `migrations` (`"-1"`: the newest applied
    /// revision), as [`TestDatabase::upgrade`] upgrades it.
    pub async fn downgrade(
        &self,
        migrations: &Migrations,
        target: &str,
    ) -> Result<Outcome, TestingError> {
        self.migrate(migrations, Direction::Down, target).await
    }

    async fn migrate(
        &self,
        migrations: &Migrations,
        direction: Direction,
        target: &str,
    ) -> Result<Outcome, TestingError> {
        let mut client = self.connect().await?;
        let options = crate::connect::ConnectOptions::from_config(self.config.clone());
        let migrator = Migrator::new(migrations, options);
        let result = match direction {
            Direction::Up => migrator.upgrade(&mut client, target).await,
            Direction::Down => migrator.downgrade(&mut client, target).await,
        };
        result.map_err(|source| TestingError::Run {
            name: self.name.clone(),
            command: format!("{} {target}", direction.command()),
            source: Box::new(source),
        })
    }

    /// A handle to the same database that does not drop it.
    pub(super) fn borrowed(&self) -> Self {
        Self {
            name: self.name.clone(),
            config: self.config.clone(),
            url: self.url.clone(),
            server: self.server,
            owned: false,
        }
    }

    /// Keeps the database because `test` failed: marks it so that no sweep drops it, keeps a
    /// throwaway cluster running past the run, and prints how to reach it.
    pub(super) fn keep(mut self, test: &str) {
        self.owned = false;
        let comment = format!("app-db: kept for inspection, test {test} failed");
        let sql = format!(
            "COMMENT ON DATABASE {} IS {}",
            crate::quote::ident(&self.name),
            crate::quote::literal(&comment)
        );
        let name = self.name.clone();
        let failed = |source| TestingError::KeepDatabase { name, source };
        if let Err(error) = blocking(self.server.admin.clone(), sql, failed) {
            eprintln!("warning: {}", error_chain(&error));
        }
        let psql = describe(&self.config);
        eprintln!(
            "test database `{}` kept for inspection: psql '{psql}'",
            self.name
        );
        match &self.server.backend {
            Backend::Throwaway(cluster) => match cluster.keep_after_exit() {
                Some(data_dir) => eprintln!(
                    "(the throwaway cluster keeps running after this run, until the next test run starts; to stop it sooner: pg_ctl -D {} stop -m immediate, as the postgres user when root)",
                    data_dir.display()
                ),
                None => eprintln!("(it goes with the throwaway cluster at the end of the run)"),
            },
            Backend::External { .. } => {
                eprintln!("(drop it when done: DROP DATABASE \"{}\")", self.name);
            }
        }
    }
}

impl fmt::Debug for TestDatabase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut debug = f.debug_struct("TestDatabase");
        debug
            .field("name", &self.name)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if !self.owned {
            return;
        }
        if std::thread::panicking() {
            let test = std::thread::current().name().unwrap_or("?").to_owned();
            self.borrowed().keep(&test);
            return;
        }
        let name = std::mem::take(&mut self.name);
        if let Some(reaper) = &self.server.reaper {
            let sent = reaper.lock().map(|sender| sender.send(name.clone()));
            if matches!(sent, Ok(Ok(()))) {
                return;
            }
        }
        let failed = {
            let name = name.clone();
            |source| TestingError::DropDatabase { name, source }
        };
        if let Err(error) = blocking(self.server.admin.clone(), drop_sql(&name), failed) {
            eprintln!("warning: {}", error_chain(&error));
        }
    }
}

/// `DROP DATABASE`, with FORCE to end sessions the test left open, e.g. a connection task
/// still winding down.
fn drop_sql(name: &str) -> String {
    format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        crate::quote::ident(name)
    )
}

/// Runs `sql` on the admin connection from a fresh thread: `Drop` may run inside a runtime,
/// where blocking on a future panics. `failed` makes the error of a failing statement.
fn blocking(
    admin: Config,
    sql: String,
    failed: impl FnOnce(tokio_postgres::Error) -> TestingError + Send + 'static,
) -> Result<(), TestingError> {
    let outcome = std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|source| TestingError::Runtime { source })?;
        runtime.block_on(async {
            let client = connect(&admin).await?;
            client.batch_execute(&sql).await.map_err(failed)
        })
    })
    .join();
    outcome.unwrap_or_else(|_| {
        Err(TestingError::Runtime {
            source: std::io::Error::other("the thread running it panicked"),
        })
    })
}

/// Starts the thread that drops finished databases one at a time. Each `DROP DATABASE` forces
/// a checkpoint; done by the tests themselves, in parallel, those checkpoints queued behind each
/// other and slowed every test, while one background dropper keeps up with many tests.
pub(super) fn spawn_reaper(admin: Config) -> mpsc::Sender<String> {
    let (sender, receiver) = mpsc::channel::<String>();
    let spawned = std::thread::Builder::new()
        .name("app-db test database reaper".into())
        .spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            let Ok(runtime) = runtime else { return };
            runtime.block_on(async {
                let mut client: Option<Client> = None;
                while let Ok(name) = receiver.recv() {
                    reap(&admin, &mut client, &name).await;
                }
            });
        });
    if let Err(error) = spawned {
        // The sender then fails and Drop falls back to dropping in the test.
        eprintln!("warning: no background thread to drop test databases: {error}");
    }
    sender
}

async fn reap(admin: &Config, client: &mut Option<Client>, name: &str) {
    if client.as_ref().is_none_or(Client::is_closed) {
        *client = connect(admin).await.ok();
    }
    let Some(connection) = client else {
        eprintln!("warning: could not connect to drop test database `{name}`");
        return;
    };
    if let Err(source) = connection.batch_execute(&drop_sql(name)).await {
        let name = name.to_owned();
        let error = TestingError::DropDatabase { name, source };
        eprintln!("warning: {}", error_chain(&error));
    }
}
