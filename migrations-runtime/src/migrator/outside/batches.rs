//! Batched Rust revisions: the function called again and again on the revision's own session,
//! each batch in a transaction of its own that also writes the cursor it returned to the
//! progress table, the last one together with the history row.
//!
//! Why the last batch commits the history row: were the history written after it, a runner
//! killed between the two would leave a cursor one batch behind the committed work, and the
//! next run would do that batch again. As it is, what is committed is always exactly what the
//! progress row says, so a killed runner resumes without asking (see [`crate::progress`]). Two
//! things a function could do would break that, and each is refused as a failure of its batch:
//! ending the batch's transaction itself (told by the transaction id), and returning the cursor
//! it was given (it would be called with it forever, holding the lock).

use std::time::Instant;

use migrations_core::Revision;
use tokio_postgres::{Client, Transaction};

use super::super::{Migrator, Step};
use crate::apply::{self, ApplyError};
use crate::code::{BoxError, Code};
use crate::direction::Direction;
use crate::progress;
use crate::MigrateError;

/// Where a batched run starts: the batch (1-based) and the cursor before it (`None`: the start).
pub(super) type Resume<'a> = (usize, Option<&'a str>);

/// Why a batch did not commit.
enum Failure {
    /// The function returned an error or panicked (or the session failed).
    Failed(BoxError),
    /// The function ended the batch's transaction itself.
    Ended,
    /// The function failed; if the transaction with this id committed, it had ended it itself
    /// first (asked once the batch is rolled back: an aborted transaction answers nothing).
    FailedIn(BoxError, String),
}

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
        progress::ensure_cursor(&*client, &self.table).await?;
        let (mut batch, resumed) = resume;
        let mut cursor = resumed.map(str::to_owned);
        let key = (revision.version(), direction);
        let checksum = crate::code::checksum(apply::script(revision, direction));
        let started = Instant::now();
        loop {
            let mut tx = client
                .transaction()
                .await
                .map_err(|e| self.progress_error(revision, e))?;
            let next = match one_batch(&mut tx, code, cursor.as_deref()).await {
                Ok(next) => next,
                Err(failure) => {
                    // The batch's work and anything it wrote go with its transaction; then the
                    // failure is recorded where the last committed batch left the cursor. If
                    // this fails too the connection is gone, and the row of the last committed
                    // batch still says where to resume.
                    let _ = tx.rollback().await;
                    let failure = match failure {
                        Failure::FailedIn(source, id) => match committed(client, &id).await {
                            true => Failure::Ended,
                            false => Failure::Failed(source),
                        },
                        other => other,
                    };
                    let error = failure_error(revision, direction, batch, failure);
                    let message = message(&error);
                    let position = (batch, cursor.as_deref().unwrap_or_default());
                    let (table, failed) = (&self.table, Some(message.as_str()));
                    let _ =
                        progress::write_batch(&*client, table, key, position, &checksum, failed)
                            .await;
                    return Err(error.into());
                }
            };
            let Some(next) = next else {
                let ms = started.elapsed().as_millis() as i64;
                self.commit_recorded(tx, revision, direction, ms).await?;
                return Ok(Step::of(revision, direction, ms));
            };
            let position = (batch + 1, next.as_str());
            progress::write_batch(&tx, &self.table, key, position, &checksum, None).await?;
            tx.commit()
                .await
                .map_err(|e| self.progress_error(revision, e))?;
            (batch, cursor) = (batch + 1, Some(next));
        }
    }

    fn progress_error(&self, revision: &Revision, source: tokio_postgres::Error) -> ApplyError {
        ApplyError::Progress {
            revision: revision.label(),
            source: crate::history::HistoryError::Query {
                table: self.table.progress().qualified(),
                source,
            },
        }
    }
}

/// Runs one batch in `tx`: the next cursor (`None` when the work is done), or why it must not
/// commit.
async fn one_batch(
    tx: &mut Transaction<'_>,
    code: &Code,
    cursor: Option<&str>,
) -> Result<Option<String>, Failure> {
    let before = apply::transaction_id(tx, "")
        .await
        .map_err(|e| Failure::Failed(e.into()))?;
    let next = code.batch(tx, cursor).await;
    // Asked after a failure too: a function that committed and then failed left work behind.
    // In the usual failure the transaction is aborted and the question fails: not ended.
    let after = apply::transaction_id(tx, "").await;
    if after.as_ref().is_ok_and(|after| *after != before) {
        return Err(Failure::Ended);
    }
    let next = next.map_err(|e| Failure::FailedIn(e, before.clone().unwrap_or_default()))?;
    after.map_err(|e| Failure::Failed(e.into()))?;
    match (next, cursor) {
        (Some(next), Some(given)) if next == given => Err(Failure::Failed(
            format!("it returned the cursor it was given ({given}), so it would be called with it forever: a batch must move its cursor on, or return `None` when the work is done").into(),
        )),
        (next, _) => Ok(next),
    }
}

/// Whether the transaction `id` committed (`txid_status`, PostgreSQL 10+).
async fn committed(client: &Client, id: &str) -> bool {
    let Ok(id) = id.parse::<i64>() else {
        return false;
    };
    let status = client
        .query_opt("SELECT txid_status($1)::text", &[&id])
        .await;
    matches!(status, Ok(Some(row)) if row.get::<_, Option<String>>(0).as_deref() == Some("committed"))
}

fn failure_error(
    revision: &Revision,
    direction: Direction,
    batch: usize,
    failure: Failure,
) -> ApplyError {
    let file = apply::script(revision, direction).file().to_owned();
    match failure {
        Failure::Ended => ApplyError::EndedTransaction {
            revision: revision.label(),
            file,
            batch: Some(batch),
        },
        Failure::Failed(source) | Failure::FailedIn(source, _) => ApplyError::Batch {
            revision: revision.label(),
            version: revision.version().to_owned(),
            direction: direction.as_str(),
            file,
            batch,
            source,
        },
    }
}

/// The failure as the progress table keeps it ([`progress::failure_text`] for a database
/// error, the function's own error or panic as it says itself).
fn message(error: &ApplyError) -> String {
    let ApplyError::Batch { source, .. } = error else {
        return error.to_string();
    };
    match source.downcast_ref::<tokio_postgres::Error>() {
        Some(error) => progress::failure_text(error),
        None => source.to_string(),
    }
}
