//! Comparing the binary's revisions with the database's history, refusing when they disagree,
//! and planning which revisions to run. Pure: no I/O, unit-tested.
//!
//! One planner serves every command: [`plan`] resolves a [`Target`] for a [`Direction`] and
//! lists the revisions to run ([`plan_to`], the one rule of which revisions run in which order).
//! `upgrade`, `downgrade`, `stamp`, offline `--sql` and the runner's every turn (which re-plans
//! towards the level resolved at its start, and whose fast path takes the plan's leading
//! revisions) all call it.

use migrations_core::{ChecksumAlgorithm, Migrations, SyntaxError};

use crate::direction::Direction;
use crate::history::AppliedRevision;
use crate::progress::Interrupted;
use crate::target::{describe_level, Target};

mod error;

pub use error::{ChecksumChange, PlanError};

/// Overrides for the refusals, each named after what it allows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Overrides {
    /// Apply pending revisions older than the newest applied one (`--allow-out-of-order`).
    pub allow_out_of_order: bool,
    /// Proceed although the database has revisions this binary does not know
    /// (`--allow-unknown`); they are left alone.
    pub allow_unknown: bool,
    /// Proceed although applied revisions were edited (`--ignore-checksums`).
    pub ignore_checksums: bool,
}

/// The database's history matched against the binary's revisions.
#[derive(Debug, Clone)]
pub struct State {
    /// For each revision, in order, its history row if applied.
    pub rows: Vec<Option<AppliedRevision>>,
    /// History rows for versions the binary does not have.
    pub unknown: Vec<AppliedRevision>,
    /// `no-transaction` revisions whose run did not finish (see `migrate resolve`).
    pub interrupted: Vec<Interrupted>,
    /// `no-transaction` revisions another runner is running right now (their progress row says
    /// "running" and the lock is held): not refused; writers wait for the lock.
    pub running: Vec<Interrupted>,
}

impl State {
    /// Matches `applied` rows to `migrations`.
    pub fn new(migrations: &Migrations, applied: Vec<AppliedRevision>) -> Self {
        let mut rows = vec![None; migrations.len()];
        let mut unknown = Vec::new();
        for row in applied {
            match migrations.position(&row.version) {
                Some(i) => rows[i] = Some(row),
                None => unknown.push(row),
            }
        }
        Self {
            rows,
            unknown,
            interrupted: Vec::new(),
            running: Vec::new(),
        }
    }

    /// The same state, with the unfinished `no-transaction` revisions read from the database.
    pub fn with_interrupted(mut self, interrupted: Vec<Interrupted>) -> Self {
        self.interrupted = interrupted;
        self
    }

    /// Moves the "running" rows (no error recorded) from `interrupted` to `running`: for a
    /// state read without the lock while another session holds it, whose runner is alive.
    pub fn with_live_runner(mut self) -> Self {
        let (failed, running) = self.interrupted.into_iter().partition(Interrupted::failed);
        self.interrupted = failed;
        self.running = running;
        self
    }

    /// The level of the newest applied revision (0 when none is).
    pub fn current_level(&self) -> usize {
        self.rows
            .iter()
            .rposition(Option::is_some)
            .map_or(0, |i| i + 1)
    }

    /// Number of history rows, known and unknown.
    pub fn row_count(&self) -> usize {
        self.rows.iter().flatten().count() + self.unknown.len()
    }

    /// Indices of revisions not applied.
    pub fn pending(&self) -> Vec<usize> {
        self.rows
            .iter()
            .enumerate()
            .filter(|(_, r)| r.is_none())
            .map(|(i, _)| i)
            .collect()
    }

    /// Applied revisions whose recorded checksum differs from the binary's.
    pub fn checksum_changes(&self, migrations: &Migrations) -> Vec<ChecksumChange> {
        self.rows
            .iter()
            .zip(migrations.iter())
            .filter_map(|(row, rev)| {
                let row = row.as_ref()?;
                let same_algorithm = ChecksumAlgorithm::from_id(row.checksum_algorithm)
                    == Some(rev.checksum_algorithm());
                (same_algorithm && row.checksum != rev.checksum().0).then(|| ChecksumChange {
                    version: rev.version().to_owned(),
                    label: rev.label(),
                    file: rev.up().file().to_owned(),
                    recorded: row.checksum_hex(),
                    current: rev.checksum().to_hex(),
                })
            })
            .collect()
    }

    /// Pending revisions below the newest applied one.
    pub fn out_of_order(&self) -> Vec<usize> {
        let current = self.current_level();
        self.pending()
            .into_iter()
            .filter(|&i| i + 1 < current)
            .collect()
    }

    /// The refusals every write command makes before touching anything.
    pub fn check(&self, migrations: &Migrations, overrides: Overrides) -> Result<(), PlanError> {
        // A batched revision stopped between committed batches is not in doubt: it resumes.
        if let Some(stopped) = self.interrupted.iter().find(|i| !i.resumes()) {
            return Err(PlanError::interrupted(migrations, stopped));
        }
        if let Some(row) = self
            .rows
            .iter()
            .flatten()
            .find(|r| ChecksumAlgorithm::from_id(r.checksum_algorithm).is_none())
        {
            return Err(PlanError::UnknownAlgorithm {
                version: row.version.clone(),
                algorithm: row.checksum_algorithm,
            });
        }
        let changes = self.checksum_changes(migrations);
        if !changes.is_empty() && !overrides.ignore_checksums {
            return Err(PlanError::ChecksumMismatch { changes });
        }
        if !self.unknown.is_empty() && !overrides.allow_unknown {
            let versions = self
                .unknown
                .iter()
                .map(|r| format!("{}_{}", r.version, r.name))
                .collect();
            return Err(PlanError::UnknownApplied { versions });
        }
        let late = self.out_of_order();
        if !late.is_empty() && !overrides.allow_out_of_order {
            let labels = |ix: &[usize]| {
                ix.iter()
                    .map(|&i| migrations.as_slice()[i].label())
                    .collect()
            };
            return Err(PlanError::OutOfOrder {
                pending: labels(&late),
                newest: describe_level(migrations, self.current_level()),
            });
        }
        Ok(())
    }

    /// Which revisions are applied, in order.
    pub fn applied(&self) -> Vec<bool> {
        self.rows.iter().map(Option::is_some).collect()
    }

    /// The plan for `direction` towards `target` from this state: the one planner, which
    /// resolves the target (refusing the wrong side of the current revision) and lists the
    /// revisions to run, refusing an irreversible or unparsable script among them, and any
    /// plan that does not first finish a half-done batched revision.
    pub fn plan(
        &self,
        migrations: &Migrations,
        direction: Direction,
        target: &Target,
    ) -> Result<Plan, PlanError> {
        let plan = plan(migrations, &self.applied(), direction, target)?;
        // A batched revision stopped between batches resumes when it is the next step. Any
        // other plan would run on half its work (a downgrade below it), or report a database
        // at its target while it is half done (an empty plan), so it is refused.
        let next = plan
            .revisions
            .first()
            .map(|&i| migrations.as_slice()[i].version());
        let mut stopped = self.interrupted.iter().filter(|i| i.resumes());
        if let Some(stopped) =
            stopped.find(|i| !(next == Some(i.version.as_str()) && i.direction == direction))
        {
            return Err(PlanError::interrupted(migrations, stopped));
        }
        Ok(plan)
    }
}

/// What a command will do: the level it brings the database to, and the revisions it runs to
/// get there, in order (oldest first going up, newest first going down).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Up or down.
    pub direction: Direction,
    /// The level the database is at when the plan has run.
    pub level: usize,
    /// Indices into the revision table, in the order they run.
    pub revisions: Vec<usize>,
    /// The squashed history's baseline runs in place of the revisions it replaces (the table's
    /// first [`migrations_core::Baseline::level`], all in `revisions`): first, in one
    /// transaction with their history rows, going up from an empty database; last going down to
    /// `base` once some of them were dropped (they have no scripts left).
    pub baseline: bool,
}

/// The plan for `direction` towards `target`, for a database whose revisions `applied` are
/// applied (a flag per revision, in order): refuses a target on the wrong side of the current
/// revision (the newest applied) and, going down, an irreversible revision in the way.
pub(crate) fn plan(
    migrations: &Migrations,
    applied: &[bool],
    direction: Direction,
    target: &Target,
) -> Result<Plan, PlanError> {
    let current = applied.iter().rposition(|&a| a).map_or(0, |i| i + 1);
    let level = level(migrations, direction, target, current)?;
    plan_to(migrations, applied, direction, level).runnable(migrations, &target.to_string())
}

/// The level `target` names for `direction` from the level `current`, refusing a target on the
/// wrong side: below the current revision going up, above it going down (for `+N`/`-N`, the
/// sign decides).
pub(crate) fn level(
    migrations: &Migrations,
    direction: Direction,
    target: &Target,
    current: usize,
) -> Result<usize, PlanError> {
    let resolved = target.resolve(migrations, current)?;
    let up = direction == Direction::Up;
    let wrong = match resolved.relative_to_current {
        Some(delta) => (up && delta < 0) || (!up && delta > 0),
        None => (up && resolved.level < current) || (!up && resolved.level > current),
    };
    if wrong {
        return Err(PlanError::WrongDirection {
            direction,
            target: target.to_string(),
            resolved: describe_level(migrations, resolved.level),
            current: describe_level(migrations, current),
        });
    }
    Ok(resolved.level)
}

/// The plan towards a resolved `level`: going up, every pending revision below it, oldest
/// first; going down, every applied revision at or above it, newest first. `stamp` uses it as
/// it is (it runs nothing); commands that run scripts go through [`Plan::runnable`].
pub(crate) fn plan_to(
    migrations: &Migrations,
    applied: &[bool],
    direction: Direction,
    level: usize,
) -> Plan {
    let applied = &applied[..migrations.len().min(applied.len())];
    let revisions: Vec<usize> = match direction {
        Direction::Up => (0..level.min(applied.len()))
            .filter(|&i| !applied[i])
            .collect(),
        Direction::Down => (level..applied.len())
            .rev()
            .filter(|&i| applied[i])
            .collect(),
    };
    let covered = migrations.baseline().map_or(0, |b| b.level());
    let baseline = covered > 0
        && match direction {
            // An empty history going at least as far as the baseline does.
            Direction::Up => level >= covered && !applied.iter().any(|&a| a),
            // Down to base through squashed revisions that can only be reverted together.
            Direction::Down => {
                level == 0
                    && applied.iter().take(covered).all(|&a| a)
                    && migrations.iter().take(covered).any(|r| r.is_squashed())
            }
        };
    Plan {
        direction,
        level,
        revisions,
        baseline,
    }
}

impl Plan {
    /// The revisions the baseline replaces in this plan: the table's first [`Plan::baseline`]
    /// covers, when it runs.
    pub fn covered(&self, migrations: &Migrations) -> usize {
        match self.baseline {
            true => migrations.baseline().map_or(0, |b| b.level()),
            false => 0,
        }
    }

    /// The same plan running every revision itself (`Migrator::without_baseline`).
    pub fn without_baseline(mut self) -> Self {
        self.baseline = false;
        self
    }

    /// The plan, unless it must revert an irreversible revision (`target` names the goal in
    /// the refusal), run a script the grammar rejects, or run a squashed revision, which has no
    /// script. The runner checks on every turn, against the history read under the lock.
    pub fn runnable(self, migrations: &Migrations, target: &str) -> Result<Self, PlanError> {
        let covered = self.covered(migrations);
        let revisions = || {
            self.revisions
                .iter()
                .filter(move |&&i| i >= covered)
                .map(|&i| &migrations.as_slice()[i])
        };
        if let Some(revision) = revisions().find(|r| r.is_squashed()) {
            return Err(PlanError::squashed(migrations, revision, self.direction));
        }
        if let (true, Some(baseline)) = (self.baseline, migrations.baseline()) {
            let Some(script) = crate::apply::baseline_script(baseline, self.direction) else {
                return Err(PlanError::Irreversible {
                    target: target.to_owned(),
                    revision: "the baseline (baseline/down.sql is missing)".to_owned(),
                });
            };
            if let Some(error) = script.syntax_error() {
                return Err(PlanError::Syntax {
                    direction: self.direction,
                    errors: vec![error.clone()],
                });
            }
        }
        if self.direction == Direction::Down {
            if let Some(revision) = revisions().find(|r| r.is_irreversible()) {
                return Err(PlanError::Irreversible {
                    target: target.to_owned(),
                    revision: revision.label(),
                });
            }
        }
        let uncompiled: Vec<String> = revisions()
            .filter_map(|r| {
                let script = crate::apply::script(r, self.direction);
                crate::code::required(r, self.direction)
                    .is_err()
                    .then(|| crate::code::uncompiled(r, script))
            })
            .collect();
        if !uncompiled.is_empty() {
            return Err(PlanError::NotCompiled {
                revisions: uncompiled,
            });
        }
        let errors: Vec<SyntaxError> = revisions()
            .filter_map(|r| crate::apply::script(r, self.direction).syntax_error())
            .cloned()
            .collect();
        if !errors.is_empty() {
            return Err(PlanError::Syntax {
                direction: self.direction,
                errors,
            });
        }
        Ok(self)
    }
}

#[cfg(test)]
#[path = "plan_tests.rs"]
mod tests;
