//! Running a one-shot Rust revision inside the runner's transaction.

use std::time::Instant;

use migrations_core::Revision;
use tokio_postgres::{SimpleQueryMessage, Transaction};

use super::{script, ApplyError, Watch};
use crate::code::Code;
use crate::direction::Direction;

/// Runs `code` (the function of `revision`'s script for `direction`) in `tx`, the transaction
/// that then records the revision, with the revision's limits set for it. Returns the elapsed
/// milliseconds.
pub(crate) async fn run_code(
    tx: &mut Transaction<'_>,
    (revision, code): (&Revision, &Code),
    direction: Direction,
    still_at: &str,
    watch: Watch<'_>,
) -> Result<i64, ApplyError> {
    let file = script(revision, direction).file();
    let failed = |source: crate::code::BoxError| ApplyError::Code {
        revision: revision.label(),
        direction: direction.as_str(),
        file: file.to_owned(),
        still_at: still_at.to_owned(),
        source,
    };
    // The transaction's id before and after: a function that ran COMMIT or ROLLBACK itself
    // would leave its work committed without its history row, so that is told apart.
    let limits = watch.timeouts.set_local_sql();
    let before = transaction_id(tx, &limits)
        .await
        .map_err(|e| failed(e.into()))?;
    let started = Instant::now();
    let ran = code.once(tx).await;
    // Asked after a failure too: a function that committed and then failed left work behind
    // (in the usual failure the transaction is aborted, the question fails: not ended).
    let after = transaction_id(tx, "").await;
    let ended = after.as_ref().is_ok_and(|after| *after != before);
    if !ended {
        ran.map_err(failed)?;
    }
    let after = after.map_err(|e| failed(e.into()))?;
    if before != after {
        return Err(ApplyError::EndedTransaction {
            revision: revision.label(),
            file: file.to_owned(),
            batch: None,
        });
    }
    Ok(started.elapsed().as_millis() as i64)
}

/// `txid_current()` of the session's transaction, after `prefix` (statements of our own).
pub(crate) async fn transaction_id(
    tx: &Transaction<'_>,
    prefix: &str,
) -> Result<Option<String>, tokio_postgres::Error> {
    let messages = tx
        .simple_query(&format!("{prefix}SELECT txid_current()::text"))
        .await?;
    Ok(messages.iter().rev().find_map(|m| match m {
        SimpleQueryMessage::Row(row) => row.get(0).map(str::to_owned),
        _ => None,
    }))
}
