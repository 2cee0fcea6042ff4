//! `stamp`: recording a revision as the database's state without running SQL (Alembic's stamp).

use tokio_postgres::Client;

use super::{Migrator, Outcome};
use crate::direction::Direction;
use crate::history::Method;
use crate::lock;
use crate::plan::{plan_to, Overrides, PlanError, State};
use crate::target::IntoTarget;
use crate::MigrateError;

impl Migrator<'_> {
    /// Records the database as being at `target` without running any SQL (Alembic's `stamp`).
    /// `purge` first empties the history table, unknown revisions included.
    pub async fn stamp(
        &self,
        client: &mut Client,
        target: impl IntoTarget,
        purge: bool,
    ) -> Result<Outcome, MigrateError> {
        let target = target.into_target().map_err(PlanError::from)?;
        let key = self.table.lock_key();
        let (tx, _) = locked_transaction!(self, client, key);
        self.table.ensure(&tx).await?;
        let mut state = State::new(self.migrations, self.table.read_existing(&tx).await?);
        if !purge && !state.unknown.is_empty() && !self.overrides.allow_unknown {
            state.check(
                self.migrations,
                Overrides {
                    ignore_checksums: true,
                    allow_out_of_order: true,
                    allow_unknown: false,
                },
            )?;
        }
        // Either side of the current revision: stamp records what an upgrade to the target
        // would apply and forgets what a downgrade would revert, running neither.
        let level = target
            .resolve(self.migrations, state.current_level())
            .map_err(PlanError::from)?
            .level;
        if purge {
            self.table.purge(&tx).await?;
            state = State::new(self.migrations, Vec::new());
        }
        let applied = state.applied();
        let record = plan_to(self.migrations, &applied, Direction::Up, level);
        let forget = plan_to(self.migrations, &applied, Direction::Down, level);
        for &index in &record.revisions {
            let revision = &self.migrations.as_slice()[index];
            self.table
                .insert(&tx, revision, None, Method::Stamp)
                .await?;
        }
        for &index in &forget.revisions {
            let version = self.migrations.as_slice()[index].version();
            self.table.delete(&tx, version).await?;
        }
        let after = State::new(self.migrations, self.table.read_existing(&tx).await?);
        tx.commit()
            .await
            .map_err(|source| lock::LockError::Query { source })?;
        Ok(self.outcome(Vec::new(), &after))
    }
}
