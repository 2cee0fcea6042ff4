//! The runner: brings a database to a target, one revision per transaction, safe with many
//! replicas running it at once.

use std::time::Duration;

use migrations_core::{Migrations, Revision};
use tokio_postgres::{Client, GenericClient};

use crate::apply::ApplyError;
use crate::connect::ConnectOptions;
use crate::direction::Direction;
use crate::history::HistoryTable;
use crate::plan::{Overrides, Plan, PlanError, State};
use crate::target::{IntoTarget, Target};
use crate::timeouts::Timeouts;
use crate::MigrateError;
use fast::Snapshot;

/// The one wait for the runners' lock `$key`: evaluates `$attempt` (with `$c` bound to
/// `$client`) until it takes the lock (`Some`), pausing between tries as [`crate::lock::Wait`]
/// says; after the migrator's lock wait it returns from the enclosing function with the lock
/// error naming the holder. Runners never wait inside the server (see
/// [`crate::lock::try_take`] for why). A macro, not a function: an attempt that returns a
/// transaction keeps `client` borrowed for the transaction's lifetime on every path, so a
/// function's error path could not use `client` to look up the holder.
macro_rules! wait_for_lock {
    ($migrator:expr, $client:expr, $key:expr, |$c:ident| $attempt:expr) => {{
        let mut wait = crate::lock::Wait::new($migrator.lock_timeout);
        loop {
            // Its own scope: a try that failed (a rolled-back transaction) is gone before the
            // holder is looked up on the same client.
            {
                let taken = {
                    let $c = &mut *$client;
                    $attempt
                };
                if let Some(taken) = taken {
                    break taken;
                }
            }
            if let Err(e) = wait.pause().await {
                return Err(crate::lock::identify_holder(e, $client, $key).await.into());
            }
        }
    }};
}

/// Opens a transaction on `$client` holding the runners' lock `$key` (transaction-scoped, so
/// it cannot outlive the transaction), evaluating to the transaction and its session's backend
/// pid; a try that finds the lock taken rolls its transaction back before the pause.
macro_rules! locked_transaction {
    ($migrator:expr, $client:expr, $key:expr) => {
        wait_for_lock!($migrator, $client, $key, |client| {
            let tx = client
                .transaction()
                .await
                .map_err(|source| crate::lock::LockError::Query { source })?;
            crate::lock::try_take(&tx, $key).await?.map(|pid| (tx, pid))
        })
    };
}

mod baseline;
mod exchange;
mod fast;
mod locked;
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
    /// Time the script took: for the revisions a baseline replaced, the baseline's time is on
    /// the last of them, and the others have 0.
    pub duration_ms: i64,
    /// True when the squashed history's baseline brought this revision, in place of its script.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub baseline: bool,
}

/// A revision of the table, by version and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RevisionId {
    /// Canonical version.
    pub version: String,
    /// Name.
    pub name: String,
}

impl RevisionId {
    pub(crate) fn of(revision: &Revision) -> Self {
        Self {
            version: revision.version().to_owned(),
            name: revision.name().to_owned(),
        }
    }
}

impl std::fmt::Display for RevisionId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}_{}", self.version, self.name)
    }
}

/// What a write command did.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Outcome {
    /// Revisions run, in order (empty when there was nothing to do).
    pub steps: Vec<Step>,
    /// The revision the database is at afterwards, `None` at base (serialised as its label,
    /// `version_name`, or `base`).
    #[serde(serialize_with = "serialize_current")]
    pub current: Option<RevisionId>,
    /// True when `current` is the binary's head.
    pub at_head: bool,
}

impl Outcome {
    /// `current` for people: `version_name`, or `base`.
    pub fn current_label(&self) -> String {
        self.current
            .as_ref()
            .map_or_else(|| "base".to_owned(), ToString::to_string)
    }
}

fn serialize_current<S: serde::Serializer>(
    current: &Option<RevisionId>,
    serializer: S,
) -> Result<S::Ok, S::Error> {
    match current {
        Some(id) => serializer.collect_str(id),
        None => serializer.serialize_str("base"),
    }
}

/// Applies a revision table to databases.
///
/// ```no_run
/// # async fn demo(client: &mut tokio_postgres::Client, m: &migrations_core::Migrations) -> Result<(), Box<dyn std::error::Error>> {
/// use migrations_runtime::{ConnectOptions, Migrator, Target};
///
/// let options = ConnectOptions::parse(&std::env::var("DATABASE_URL")?)?;
/// let outcome = Migrator::new(m, options).upgrade(client, Target::Head).await?;
/// println!("at {}", outcome.current_label());
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
    ignored: Vec<(String, String)>,
    /// Whether an empty database runs the table's baseline rather than its chain.
    baseline: bool,
}

impl<'m> Migrator<'m> {
    /// A runner for `migrations` with the default history table and no overrides, which opens
    /// connections of its own with `options` where it needs them: a `no-transaction` revision
    /// runs on one, so that cancelling or panicking in the middle of it cannot leave the lock
    /// with the caller's connection (see [`Migrator::upgrade`]).
    pub fn new(migrations: &'m Migrations, options: ConnectOptions) -> Self {
        Self::client_only(migrations).with_connect_options(options)
    }

    /// A runner that only ever uses the client it is given: it refuses, before anything runs,
    /// a plan with a `no-transaction` revision (that needs a connection of its own), and does
    /// not watch for sessions blocking a long statement. For tests and tools that hold nothing
    /// but a client; a service should use [`Migrator::new`].
    pub fn client_only(migrations: &'m Migrations) -> Self {
        Self {
            migrations,
            table: HistoryTable::default(),
            overrides: Overrides::default(),
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            timeouts: Timeouts::default(),
            connect: None,
            ignored: Vec::new(),
            baseline: true,
        }
    }

    /// Runs every revision itself, even on an empty database whose table has a squashed
    /// history's baseline ([`migrations_core::baseline`]): what proves the baseline equal to
    /// the chain, and `migrate upgrade --no-baseline`.
    pub fn without_baseline(mut self) -> Self {
        self.baseline = false;
        self
    }

    /// The plan towards `level` from the revisions `applied`, with the baseline as this runner
    /// uses it: the planner every turn of a run goes through.
    pub(crate) fn plan_to(&self, applied: &[bool], direction: Direction, level: usize) -> Plan {
        let plan = crate::plan::plan_to(self.migrations, applied, direction, level);
        match self.baseline {
            true => plan,
            false => plan.without_baseline(),
        }
    }

    /// Sets the connection options of [`Migrator::new`] on a runner built otherwise.
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
    /// default is a `lock_timeout` of 10 s (`Timeouts::default()`) and the
    /// session's `statement_timeout`.
    pub fn with_timeouts(mut self, timeouts: Timeouts) -> Self {
        self.timeouts = timeouts;
        self
    }

    /// Leaves `tables` (`schema.table`, or `table` in `public`) out of schema comparisons
    /// (`drift`, `diff`), besides the history's own: another tool's bookkeeping, such as the
    /// `alembic_version` a takeover keeps for the old deployment.
    pub fn ignoring_tables<'t>(mut self, tables: impl IntoIterator<Item = &'t str>) -> Self {
        for table in tables {
            let (schema, name) = table.split_once('.').unwrap_or(("public", table));
            self.ignored.push((schema.to_owned(), name.to_owned()));
        }
        self
    }

    /// The tables [`Migrator::ignoring_tables`] named, as `(schema, table)`.
    pub fn ignored_tables(&self) -> &[(String, String)] {
        &self.ignored
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
        let plan = match (self.baseline, plan.baseline) {
            (false, true) => plan
                .without_baseline()
                .runnable(self.migrations, &target.to_string())?,
            _ => plan,
        };
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
                current: self.revision_at(self.migrations.len()),
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
        self.needs_connection(&plan.revisions, direction)
            .map_err(|e| MigrateError::Apply(*e))?;
        self.run(client, direction, plan.level, start).await
    }

    /// Refuses, before anything runs, a plan with a `no-transaction` revision (or a batched
    /// Rust one) when the runner cannot open the connection such a revision runs on.
    pub(crate) fn needs_connection(
        &self,
        plan: &[usize],
        direction: Direction,
    ) -> Result<(), Box<ApplyError>> {
        if self.connect.is_some() {
            return Ok(());
        }
        let mut revisions = plan.iter().map(|&i| &self.migrations.as_slice()[i]);
        match revisions.find(|r| crate::code::own_session(r, direction)) {
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
            current: self.revision_at(level),
            at_head: level == self.migrations.len() && state.pending().is_empty(),
        }
    }

    /// The revision a database at `level` is at, `None` at base.
    pub(crate) fn revision_at(&self, level: usize) -> Option<RevisionId> {
        let index = level.checked_sub(1)?;
        self.migrations.as_slice().get(index).map(RevisionId::of)
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
            baseline: false,
        }
    }
}
