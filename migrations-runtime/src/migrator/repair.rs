//! `repair`: re-recording the checksums of deliberately edited, applied revisions.

use tokio_postgres::Client;

use super::Migrator;
use crate::lock;
use crate::repair::{self, Repair};
use crate::MigrateError;

impl Migrator<'_> {
    /// Re-records the checksum of each revision in `names` (versions or directory names) as
    /// its file's, with an audit row per revision (who, when, old and new checksum, `reason`),
    /// in one transaction under the runners' lock. Refuses, changing nothing, unless every named
    /// revision is known, applied and edited. `dry_run` reports the same and changes nothing.
    pub async fn repair(
        &self,
        client: &mut Client,
        names: &[String],
        reason: Option<&str>,
        dry_run: bool,
    ) -> Result<Vec<Repair>, MigrateError> {
        let revisions = repair::select(self.migrations, names)?;
        let key = self.table.lock_key();
        let (tx, _) = locked_transaction!(self, client, key);
        let repairs = repair::plan(&revisions, &self.table.read(&tx).await?)?;
        if dry_run {
            // Dropping the transaction rolls it back: nothing was written anyway.
            return Ok(repairs);
        }
        for (revision, repair) in revisions.iter().zip(&repairs) {
            repair::record(&tx, &self.table, revision, repair, reason).await?;
        }
        tx.commit()
            .await
            .map_err(|source| lock::LockError::Query { source })?;
        Ok(repairs)
    }
}
