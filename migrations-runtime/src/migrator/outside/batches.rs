//! Batched Rust revisions: the function called again and again on the revision's own session,
//! each batch in a transaction of its own that also writes the cursor it returned to the
//! progress table, the last one together with the history row.
//!
//! Why the last batch commits the history row: were the history written after it, a runner
//! killed between the two would leave a cursor one batch behind the committed work, and the
//! next run would do that batch again. As it is, what is committed is always exactly what the
//! progress row says, so a killed runner resumes without asking (see [`crate::progress`]).

use std::time::Instant;

use migrations_core::Revision;
use tokio_postgres::Client;

use super::super::{Migrator, Step};
use crate::apply::{self, ApplyError};
use crate::code::{BoxError, Code};
use crate::direction::Direction;
use crate::progress;
use crate::MigrateError;

/// Where a batched run starts: the batch (1-based) and the cursor before it (`None`: the start).
pub(super) type Resume<'a> = (usize, Option<&'a str>);

impl Migrator<'_> {
    /// Runs the batches of `code` (the function of `revision`'s script for `direction`) from
    /// `resume`, on `client`, which holds the session lock.
    pub(super) async fn run_batches(
        &self,
        client: &mut Client,
        (revision, code): (&Revision, &Code),
        direction: Direction,
        resume: Resume<'_>,
    ) -> Result<Step, MigrateError> {
        let query = |source| ApplyError::Progress {
            revision: revision.label(),
            source: crate::history::HistoryError::Query {
                table: self.table.progress().qualified(),
                source,
            },
        };
        progress::ensure_cursor(&*client, &self.table).await?;
        let (mut batch, resumed) = resume;
        let mut cursor = resumed.map(str::to_owned);
        let key = (revision.version(), direction);
        let checksum = crate::code::checksum(apply::script(revision, direction));
        let started = Instant::now();
        loop {
            let mut tx = client.transaction().await.map_err(query)?;
            match code.batch(&mut tx, cursor.as_deref()).await {
                Ok(Some(next)) => {
                    let position = (batch + 1, next.as_str());
                    progress::write_batch(&tx, &self.table, key, position, &checksum, None).await?;
                    tx.commit().await.map_err(query)?;
                    (batch, cursor) = (batch + 1, Some(next));
                }
                Ok(None) => {
                    let ms = started.elapsed().as_millis() as i64;
                    let recorded = async {
                        self.record(&tx, revision, direction, ms).await?;
                        progress::clear(&tx, &self.table, revision.version()).await
                    };
                    recorded.await.map_err(|source| ApplyError::Record {
                        revision: revision.label(),
                        source,
                    })?;
                    tx.commit().await.map_err(|source| ApplyError::Commit {
                        revision: revision.label(),
                        source,
                    })?;
                    return Ok(Step::of(revision, direction, ms));
                }
                Err(source) => {
                    // The batch's work and anything it wrote go with its transaction; then the
                    // failure is recorded where the last committed batch left the cursor. If
                    // this fails too the connection is gone, and the row of the last committed
                    // batch still says where to resume.
                    let _ = tx.rollback().await;
                    let position = (batch, cursor.as_deref().unwrap_or_default());
                    let message = message(&source);
                    let _ = progress::write_batch(
                        &*client,
                        &self.table,
                        key,
                        position,
                        &checksum,
                        Some(&message),
                    )
                    .await;
                    return Err(ApplyError::Batch {
                        revision: revision.label(),
                        version: revision.version().to_owned(),
                        direction: direction.as_str(),
                        file: apply::script(revision, direction).file().to_owned(),
                        batch,
                        source,
                    }
                    .into());
                }
            }
        }
    }
}

/// The failure as the progress table keeps it: the server's message for a database error.
fn message(error: &BoxError) -> String {
    error
        .downcast_ref::<tokio_postgres::Error>()
        .and_then(tokio_postgres::Error::as_db_error)
        .map_or_else(|| error.to_string(), |e| e.message().to_owned())
}
