//! `resolve`: settling an unfinished `no-transaction` revision.

use tokio_postgres::Client;

use super::outside::Start;
use super::Migrator;
use crate::apply;
use crate::direction::Direction;
use crate::lock;
use crate::progress::{self, Interrupted};
use crate::repair;
use crate::resolve::{Resolution, ResolveError, Resolved};
use crate::MigrateError;

impl Migrator<'_> {
    /// Settles the unfinished run of revision `name` (a version or directory name) as
    /// `resolution` says. `--retry` runs the rest of the script under the runners' lock, recording
    /// progress as `upgrade` does; the marks write the history in one transaction under the
    /// lock. Refuses, changing nothing, unless the revision has an unfinished run.
    pub async fn resolve(
        &self,
        client: &mut Client,
        name: &str,
        resolution: Resolution,
    ) -> Result<Resolved, MigrateError> {
        let revision = repair::select(self.migrations, &[name.to_owned()])?[0];
        let stopped = progress::read(&*client, &self.table)
            .await?
            .into_iter()
            .find(|i| i.version == revision.version())
            .ok_or_else(|| ResolveError::NotInterrupted {
                version: revision.version().to_owned(),
            })?;
        let mut resolved = Resolved {
            version: revision.version().to_owned(),
            name: revision.name().to_owned(),
            direction: stopped.direction,
            resolution,
            statement: stopped.statement,
            total: stopped.total,
            duration_ms: None,
        };
        let from = match resolution {
            Resolution::Retry => Some(stopped.statement),
            Resolution::RetryFrom(from) => Some(from),
            _ => None,
        };
        if let Some(from) = from {
            // Rust this program cannot run is refused here, before a session is opened.
            crate::code::required(revision, stopped.direction)?;
            let index = self.migrations.position(revision.version());
            self.needs_connection(&index.into_iter().collect::<Vec<_>>(), stopped.direction)
                .map_err(|e| MigrateError::Apply(*e))?;
            // A batch is all or nothing: a batched retry resumes after the last committed one.
            let out_of_range = match stopped.is_batched() {
                true => from != stopped.statement,
                false => from < stopped.statement || from > stopped.total,
            };
            if out_of_range {
                return Err(ResolveError::FromOutOfRange {
                    version: revision.version().to_owned(),
                    from,
                    statement: stopped.statement,
                    total: stopped.total,
                }
                .into());
            }
            let script = apply::script(revision, stopped.direction);
            if let Some(begin) = apply::enclosing_block(script, from).filter(|&b| b < from) {
                return Err(ResolveError::FromInsideBlock { from, begin }.into());
            }
            let same = match stopped.is_batched() {
                true => stopped.prefix_checksum == crate::code::checksum(script),
                false => {
                    apply::prefix_checksum(script, stopped.statement) == stopped.prefix_checksum
                }
            };
            if !same {
                return Err(ResolveError::ChangedPrefix {
                    version: revision.version().to_owned(),
                    file: script.file().to_owned(),
                    statement: stopped.statement,
                }
                .into());
            }
            let step = self
                .run_outside_transaction(
                    client,
                    revision,
                    stopped.direction,
                    Start::Resume(&stopped, from),
                )
                .await?;
            resolved.duration_ms = step.map(|s| s.duration_ms);
            return Ok(resolved);
        }
        self.mark(client, revision, &stopped, resolution).await?;
        Ok(resolved)
    }

    /// `--mark-completed` / `--mark-rolled-back`: the history row and the progress row, in one
    /// transaction under the lock, if the unfinished run is still the one read before.
    async fn mark(
        &self,
        client: &mut Client,
        revision: &migrations_core::Revision,
        stopped: &Interrupted,
        resolution: Resolution,
    ) -> Result<(), MigrateError> {
        let key = self.table.lock_key();
        let (tx, _) = locked_transaction!(self, client, key);
        let now = progress::read(&tx, &self.table).await?;
        if !now.contains(stopped) {
            return Err(ResolveError::Changed {
                version: stopped.version.clone(),
            }
            .into());
        }
        let table = &self.table;
        match (resolution, stopped.direction) {
            (Resolution::MarkCompleted, Direction::Up) => {
                table
                    .insert(&tx, revision, None, crate::history::Method::Stamp)
                    .await?
            }
            (Resolution::MarkCompleted, Direction::Down) => {
                table.delete(&tx, revision.version()).await.map(drop)?
            }
            _ => {}
        }
        progress::clear(&tx, table, revision.version()).await?;
        tx.commit()
            .await
            .map_err(|source| lock::LockError::Query { source })?;
        Ok(())
    }
}
