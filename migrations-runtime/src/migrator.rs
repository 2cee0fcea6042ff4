//! The runner: brings a database to a target, one revision per transaction, safe with many
//! replicas running it at once.

use std::time::Duration;

use migrations_core::{Migrations, Revision, TransactionMode};
use tokio_postgres::{Client, GenericClient};

use crate::apply::{ApplyError, Direction};
use crate::connect::ConnectOptions;
use crate::history::HistoryTable;
use crate::plan::{Overrides, Plan, PlanError, State};
use crate::target::{describe_level, IntoTarget, Target};
use crate::timeouts::Timeouts;
use crate::MigrateError;
use fast::Snapshot;

/// Opens a transaction on `$client` holding the runners' lock `$key`, evaluating to the
/// transaction and its session's backend pid: tries the lock, and while another session holds it rolls back, pauses and tries
/// again (see [`crate::lock::try_take`]). After the migrator's lock wait it returns from the
/// enclosing function with the lock error naming the holder. A macro, not a function: a function
/// returning the transaction keeps `client` borrowed for the transaction's lifetime on every
/// path, so its error path could not use `client` to look up the holder.
macro_rules! locked_transaction {
    ($migrator:expr, $client:expr, $key:expr) => {{
        let mut wait = crate::lock::Wait::new($migrator.lock_timeout);
        loop {
            let tx = $client
                .transaction()
                .await
                .map_err(|source| crate::lock::LockError::Query { source })?;
            if let Some(pid) = crate::lock::try_take(&tx, $key).await? {
                break (tx, pid);
            }
            drop(tx);
            if let Err(e) = wait.pause().await {
                return Err(crate::lock::identify_holder(e, $client, $key).await.into());
            }
        }
    }};
}

mod exchange;
mod fast;
mod outside;
mod pipeline;
mod repair;
mod resolve;
mod run;
mod stamp;

/// Default wait for the migration lock before giving up.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(300);

/// One revision run by a command.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Step {
    /// Canonical version.
    pub version: String,
    /// Name.
    pub name: String,
    /// Up or down.
    pub direction: Direction,
    /// Time the script took.
    pub duration_ms: i64,
}

/// What a write command did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Revisions run, in order (empty when there was nothing to do).
    pub steps: Vec<Step>,
    /// The revision the database is at afterwards (`base` when none).
    pub current: String,
    /// True when `current` is the binary's head.
    pub at_head: bool,
}

/// Applies a revision table to databases.
///
/// ```no_run
/// # async fn demo(client: &mut tokio_postgres::Client, m: &migrations_core::Migrations) -> Result<(), migrations_runtime::MigrateError> {
/// let outcome = migrations_runtime::Migrator::new(m).upgrade(client, "head").await?;
/// println!("at {}", outcome.current);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Migrator<'m> {
    migrations: &'m Migrations,
    table: HistoryTable,
    overrides: Overrides,
    lock_timeout: Duration,
    timeouts: Timeouts,
    connect: Option<ConnectOptions>,
}

impl<'m> Migrator<'m> {
    /// A runner for `migrations` with the default history table and no overrides.
    pub fn new(migrations: &'m Migrations) -> Self {
        Self {
            migrations,
            table: HistoryTable::default(),
            overrides: Overrides::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            timeouts: Timeouts::default(),
            connect: None,
        }
    }

    /// Lets the runner open its own connection for `no-transaction` revisions, so that
    /// cancelling or panicking in the middle of one cannot leave the lock with the caller's
    /// connection (see [`Migrator::upgrade`]). Binaries should always set it.
    pub fn with_connect_options(mut self, options: ConnectOptions) -> Self {
        self.connect = Some(options);
        self
    }

    /// The connection options given with [`Migrator::with_connect_options`].
    pub fn connect_options(&self) -> Option<&ConnectOptions> {
        self.connect.as_ref()
    }

    /// How long to wait for another runner's lock.
    pub fn lock_timeout(&self) -> std::time::Duration {
        self.lock_timeout
    }

    /// Uses another history table.
    pub fn with_table(mut self, table: HistoryTable) -> Self {
        self.table = table;
        self
    }

    /// Sets the overrides of the safety refusals.
    pub fn with_overrides(mut self, overrides: Overrides) -> Self {
        self.overrides = overrides;
        self
    }

    /// Sets how long to wait for another runner's lock.
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Self {
        self.lock_timeout = timeout;
        self
    }

    /// Sets the `lock_timeout` and `statement_timeout` of every revision's statements (each
    /// revision may override them with `-- migrate: lock-timeout=…, statement-timeout=…`). The
    /// default is a `lock_timeout` of [`crate::timeouts::DEFAULT_STATEMENT_LOCK_TIMEOUT`] and the
    /// session's `statement_timeout`.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// The limits of the revisions' statements, before each revision's directives.
    pub fn timeouts(&self) -> Timeouts {
        self.timeouts
    }

    /// The revisions.
    pub fn migrations(&self) -> &'m Migrations {
        self.migrations
    }

    /// The history table.
    pub fn table(&self) -> &HistoryTable {
        &self.table
    }

    /// Reads the database's state, unfinished `no-transaction` runs included. Read-only:
    /// creates nothing, takes no lock.
    pub async fn state(&self, client: &impl GenericClient) -> Result<State, MigrateError> {
        Ok(self.snapshot(client).await?.state)
    }

    /// The refusals every write makes before anything runs, then its plan: reads and checks
    /// the state and plans `direction` towards `target` from it.
    async fn planned(
        &self,
        client: &Client,
        direction: Direction,
        target: &Target,
    ) -> Result<(Snapshot, Plan), MigrateError> {
        let snapshot = self.snapshot(client).await?;
        snapshot.state.check(self.migrations, self.overrides)?;
        let plan = snapshot.state.plan(self.migrations, direction, target)?;
        Ok((snapshot, plan))
    }

    /// Applies pending revisions up to `target` ([`Target::Head`], or text: `"head"`, a
    /// version, `"+1"`, ...).
    ///
    /// Each transactional revision commits together with its history row under a
    /// transaction-scoped lock. A `no-transaction` revision runs under a session-level lock on a
    /// connection of the runner's own, which needs [`Migrator::with_connect_options`] (dropping
    /// the future closes it, and the server cancels the statement and releases the lock within a
    /// second); without them, a plan with such a revision is refused before anything runs.
    pub async fn upgrade(
        &self,
        client: &mut Client,
        target: impl IntoTarget,
    ) -> Result<Outcome, MigrateError> {
        let target = target.into_target().map_err(PlanError::from)?;
        // The boot check of a binary whose revisions are all applied: one exchange, no rows
        // sent. It answers for every target that is the head when the database is there.
        if target.is_head_when_at_head(self.migrations) && self.is_at_head(&*client).await? {
            return Ok(Outcome {
                steps: Vec::new(),
                current: describe_level(self.migrations, self.migrations.len()),
                at_head: true,
            });
        }
        self.go(client, Direction::Up, &target).await
    }

    /// Reverts applied revisions down to `target` ([`Target::Base`], or text: `"base"`, a
    /// version, `"-1"`, ...). Refuses before running anything when an irreversible revision is
    /// in the way.
    pub async fn downgrade(
        &self,
        client: &mut Client,
        target: impl IntoTarget,
    ) -> Result<Outcome, MigrateError> {
        let target = target.into_target().map_err(PlanError::from)?;
        self.go(client, Direction::Down, &target).await
    }

    /// Plans `direction` towards `target` and runs the plan.
    async fn go(
        &self,
        client: &mut Client,
        direction: Direction,
        target: &Target,
    ) -> Result<Outcome, MigrateError> {
        let (start, plan) = self.planned(client, direction, target).await?;
        if plan.revisions.is_empty() {
            return Ok(self.outcome(Vec::new(), &start.state));
        }
        self.needs_connection(&plan.revisions)
            .map_err(|e| MigrateError::Apply(*e))?;
        self.run(client, direction, plan.level, start).await
    }

    /// Refuses, before anything runs, a plan with a `no-transaction` revision when the runner
    /// cannot open the connection such a revision runs on.
    pub(crate) fn needs_connection(&self, plan: &[usize]) -> Result<(), Box<ApplyError>> {
        if self.connect.is_some() {
            return Ok(());
        }
        let mut revisions = plan.iter().map(|&i| &self.migrations.as_slice()[i]);
        match revisions.find(|r| r.up().transaction() == TransactionMode::None) {
            Some(revision) => Err(Box::new(ApplyError::NeedsConnection {
                revision: revision.label(),
            })),
            None => Ok(()),
        }
    }

    pub(crate) fn outcome(&self, steps: Vec<Step>, state: &State) -> Outcome {
        let level = state.current_level();
        Outcome {
            steps,
            current: describe_level(self.migrations, level),
            at_head: level == self.migrations.len() && state.pending().is_empty(),
        }
    }
}

impl Step {
    /// The step that ran `revision` in `direction` in `ms` milliseconds.
    pub(crate) fn of(revision: &Revision, direction: Direction, ms: i64) -> Self {
        Self {
            version: revision.version().to_owned(),
            name: revision.name().to_owned(),
            direction,
            duration_ms: ms,
        }
    }
}
