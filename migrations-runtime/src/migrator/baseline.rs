//! The squashed history's baseline as a step of a run: its script and the history rows of every
//! revision it replaces, in one transaction under the runners' lock.

use migrations_core::Baseline;
use tokio_postgres::Transaction;

use super::{Migrator, Step};
use crate::apply::{self, ApplyError, Watch};
use crate::blockers::Side;
use crate::direction::Direction;
use crate::plan::PlanError;
use crate::MigrateError;

impl Migrator<'_> {
    /// Runs `baseline` in `tx` (up: its script, then the rows of the revisions it replaces;
    /// down: its down script, then their rows deleted) and commits. The steps are those
    /// revisions, in the order they were brought.
    pub(super) async fn apply_baseline(
        &self,
        tx: Transaction<'_>,
        pid: i32,
        baseline: &Baseline,
        direction: Direction,
        still_at: &str,
    ) -> Result<Vec<Step>, MigrateError> {
        let covered = &self.migrations.as_slice()[..baseline.level()];
        let (Some(first), Some(last)) = (covered.first(), covered.last()) else {
            return Ok(Vec::new());
        };
        let label = format!(
            "the baseline (in place of {} to {})",
            first.label(),
            last.label()
        );
        // `Plan::runnable` refused a baseline without a down script before this turn.
        let script =
            apply::baseline_script(baseline, direction).ok_or_else(|| PlanError::Irreversible {
                target: "base".to_owned(),
                revision: label.clone(),
            })?;
        let watch = Watch {
            timeouts: self.timeouts,
            pid,
            side: self.connect.as_ref().map_or(Side::None, Side::Open),
        };
        let ms = apply::run_script(&tx, (&label, script), direction, still_at, watch).await?;
        let recorded = match direction {
            Direction::Up => self.table.insert_baseline(&tx, covered).await,
            Direction::Down => self.table.delete_baseline(&tx, covered).await,
        };
        recorded.map_err(|source| ApplyError::Record {
            revision: label.clone(),
            source,
        })?;
        tx.commit().await.map_err(|source| ApplyError::Commit {
            revision: label,
            source,
        })?;
        let steps = covered.iter().enumerate().map(|(i, revision)| Step {
            duration_ms: if i + 1 == covered.len() { ms } else { 0 },
            baseline: true,
            ..Step::of(revision, direction, 0)
        });
        Ok(match direction {
            Direction::Up => steps.collect(),
            Direction::Down => steps.rev().collect(),
        })
    }
}
