//! What [`#[migrations_runtime::test]`](crate::test) expands to: a runtime, a database, the test body, and
//! the database's fate decided by the outcome.

use std::fmt;
use std::future::Future;
use std::panic::{self, AssertUnwindSafe};

use migrations_core::Migrations;

use super::{error_chain, server, TestDatabase, TestingError};

/// The database a test starts from.
#[derive(Clone, Copy, Debug)]
pub enum Fixture {
    /// An empty database.
    Empty,
    /// A database migrated to `target` (`head`, a version, `head-1`, ...) of `migrations`.
    At {
        /// The revision table.
        migrations: &'static Migrations,
        /// Where to migrate to.
        target: &'static str,
    },
}

/// What a test body may return: `()`, or a `Result` whose error is `Debug`, as for `#[test]`.
pub trait TestOutcome {
    /// The failure to report, if the test failed.
    fn failure(self) -> Option<String>;
}

impl TestOutcome for () {
    fn failure(self) -> Option<String> {
        None
    }
}

impl<E: fmt::Debug> TestOutcome for Result<(), E> {
    fn failure(self) -> Option<String> {
        self.err().map(|error| format!("Error: {error:?}"))
    }
}

/// Runs the test `name`: makes the database `fixture` describes, runs `body` with it on a
/// current-thread tokio runtime, then drops the database if the test passed, or keeps it and
/// prints its name if the body panicked or returned an error. Panics to fail the test.
///
/// This is what `#[migrations_runtime::test]` calls; call it directly to choose the fixture at run time.
pub fn run<F, Fut>(name: &str, fixture: Fixture, body: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    execute(name, fixture, body, false);
}

/// [`run`] for a `#[should_panic]` test: a panic is its success, so the database is dropped.
pub fn run_should_panic<F, Fut>(name: &str, fixture: Fixture, body: F)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    execute(name, fixture, body, true);
}

fn execute<F, Fut>(name: &str, fixture: Fixture, body: F, should_panic: bool)
where
    F: FnOnce(TestDatabase) -> Fut,
    Fut: Future,
    Fut::Output: TestOutcome,
{
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build();
    let db = runtime
        .map_err(|source| TestingError::Runtime { source })
        .and_then(|runtime| Ok((runtime.block_on(database(fixture))?, runtime)));
    let (db, runtime) = match db {
        Ok(db) => db,
        // A `#[should_panic]` test must not pass because its setup failed: returning normally
        // fails it ("did not panic"), with the cause printed here.
        Err(error) if should_panic => {
            eprintln!("{name}: no test database: {}", error_chain(&error));
            return;
        }
        Err(error) => panic!("{name}: no test database: {}", error_chain(&error)),
    };
    let handle = db.borrowed();
    let outcome = panic::catch_unwind(AssertUnwindSafe(|| runtime.block_on(body(handle))));
    // Ends the test's connection tasks before the database is dropped or inspected.
    drop(runtime);
    match (outcome, should_panic) {
        (Ok(result), false) => match result.failure() {
            None => drop(db),
            Some(failure) => {
                db.keep(name);
                panic!("{failure}");
            }
        },
        // It did not panic, so libtest fails it: keep the database like any failure's.
        (Ok(_), true) => db.keep(name),
        (Err(payload), true) => {
            drop(db);
            panic::resume_unwind(payload);
        }
        (Err(payload), false) => {
            db.keep(name);
            panic::resume_unwind(payload);
        }
    }
}

async fn database(fixture: Fixture) -> Result<TestDatabase, TestingError> {
    let server = server().await?;
    match fixture {
        Fixture::Empty => server.create_database().await,
        Fixture::At { migrations, target } => server.database_at(migrations, target).await,
    }
}
