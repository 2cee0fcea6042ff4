//! `stamp`: recording a revision as the database's state without running SQL (Alembic's stamp).

use tokio_postgres::Client;

use super::{Migrator, Outcome};
use crate::history::Method;
use crate::lock;
use crate::plan::{Overrides, State};
use crate::MigrateError;

impl Migrator<'_> {
    /// Records the database as being at `target` without running any SQL (Alembic's `stamp`).
    /// `purge` first empties the history table, unknown revisions included.
    pub async fn stamp(
        &self,
        client: &mut Client,
        target: &str,
        purge: bool,
    ) -> Result<Outcome, MigrateError> {
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
        let level = crate::target::resolve(target, self.migrations, state.current_level())
            .map_err(crate::plan::PlanError::from)?
            .level;
        if purge {
            self.table.purge(&tx).await?;
            state = State::new(self.migrations, Vec::new());
        }
        for (index, revision) in self.migrations.iter().enumerate() {
            match (index < level, state.rows[index].is_some()) {
                (true, false) => {
                    self.table
                        .insert(&tx, revision, None, Method::Stamp)
                        .await?
                }
                (false, true) => drop(self.table.delete(&tx, revision.version()).await?),
                _ => {}
            }
        }
        let after = State::new(self.migrations, self.table.read_existing(&tx).await?);
        tx.commit()
            .await
            .map_err(|source| lock::LockError::Query { source })?;
        Ok(self.outcome(Vec::new(), &after))
    }
}
