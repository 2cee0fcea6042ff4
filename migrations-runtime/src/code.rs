//! Revisions written in Rust: the function an `up.rs` or `down.rs` defines, as
//! `embed_migrations!` compiles it into the table, and how the runner calls it.
//!
//! ```no_run
//! // migrations/004_backfill/up.rs
//! use migrations_runtime::tokio_postgres::{Error, Transaction};
//!
//! /// Called until it returns `Ok(None)`; each call's work commits with the cursor it returns.
//! pub async fn up(tx: &mut Transaction<'_>, after: Option<i64>) -> Result<Option<i64>, Error> {
//!     let row = tx
//!         .query_one(
//!             "WITH batch AS (SELECT id FROM t WHERE id > $1 ORDER BY id LIMIT 1000)
//!              UPDATE t SET v = lower(v) FROM batch WHERE t.id = batch.id
//!              RETURNING (SELECT max(id) FROM batch)",
//!             &[&after.unwrap_or(0)],
//!         )
//!         .await?;
//!     Ok(row.get(0))
//! }
//! ```
//!
//! A function with one parameter runs once, in the transaction that writes its history row,
//! under the runners' lock and the revision's limits. One with a cursor runs batch after batch
//! on a session of its own holding the lock: each batch commits together with a progress row
//! holding the cursor it returned (as JSON), and the last one (returning `None`) commits with
//! the history row, so a killed runner resumes after the last committed batch, and no batch is
//! done twice. An error or a panic rolls back the revision (or the batch), releases the lock,
//! and is reported as a failure of that revision; the process keeps running (with
//! `panic = "unwind"`, the default).

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;

use futures_util::FutureExt;
use migrations_core::{Revision, Script, TransactionMode};
use tokio_postgres::Transaction;

use crate::direction::Direction;

/// The error a Rust revision may return: anything that converts into it (`tokio_postgres::Error`,
/// `anyhow::Error`, `String`, your own error type).
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// What the glue of a Rust revision returns: the function's future, its error boxed.
pub type Pending<'a, T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send + 'a>>;

type OnceFn = for<'a, 'b> fn(&'a mut Transaction<'b>) -> Pending<'a, ()>;
type BatchFn =
    for<'a, 'b> fn(&'a mut Transaction<'b>, Option<&'a str>) -> Pending<'a, Option<String>>;

/// The compiled function of a Rust script, as `embed_migrations!` puts it in the table.
#[derive(Clone, Copy)]
pub struct Code {
    call: Call,
}

#[derive(Clone, Copy)]
enum Call {
    Once(OnceFn),
    Batched(BatchFn),
}

impl Code {
    #[doc(hidden)]
    pub const fn __once(function: OnceFn) -> Self {
        Self {
            call: Call::Once(function),
        }
    }

    #[doc(hidden)]
    pub const fn __batched(function: BatchFn) -> Self {
        Self {
            call: Call::Batched(function),
        }
    }

    /// The compiled function of `script`: `None` for SQL, and for Rust read from disk at run
    /// time (only a binary that embeds the directory has the code).
    pub(crate) fn of(script: &Script) -> Option<&'static Code> {
        let code: &'static (dyn Any + Send + Sync) = script.code()?.0;
        code.downcast_ref()
    }

    /// True for a function taking a cursor, run batch by batch.
    pub fn is_batched(&self) -> bool {
        matches!(self.call, Call::Batched(_))
    }

    /// Runs a one-shot function in `tx`, catching a panic.
    pub(crate) async fn once(&self, tx: &mut Transaction<'_>) -> Result<(), BoxError> {
        let Call::Once(function) = self.call else {
            return Err("a batched function was called once".into());
        };
        caught(function(tx)).await
    }

    /// Runs one batch of a batched function in `tx` from `cursor`, catching a panic: the next
    /// cursor, or `None` when the work is done.
    pub(crate) async fn batch(
        &self,
        tx: &mut Transaction<'_>,
        cursor: Option<&str>,
    ) -> Result<Option<String>, BoxError> {
        let Call::Batched(function) = self.call else {
            return Err("a one-shot function was called in batches".into());
        };
        caught(function(tx, cursor)).await
    }
}

/// The checksum a batched run keeps in its progress row: of the script that runs (the up or the
/// down one), so that a retry refuses when the code changed since.
pub(crate) fn checksum(script: &Script) -> [u8; 32] {
    migrations_core::rust::checksum(script.sql()).0
}

/// The function of `revision`'s script for `direction`: `None` for SQL, or the refusal when the
/// script is Rust and this program cannot run it (read from files, or compiled against another
/// version of this crate, whose `Code` this one cannot take). Every path that runs a script asks
/// here, so Rust source is never sent as SQL nor taken for an empty script.
pub(crate) fn required(
    revision: &Revision,
    direction: Direction,
) -> Result<Option<&'static Code>, crate::plan::PlanError> {
    let script = crate::apply::script(revision, direction);
    match (script.is_rust(), Code::of(script)) {
        (false, _) => Ok(None),
        (true, Some(code)) => Ok(Some(code)),
        (true, None) => Err(crate::plan::PlanError::NotCompiled {
            revisions: vec![uncompiled(revision, script)],
        }),
    }
}

/// `version_name (file)`, as [`crate::plan::PlanError::NotCompiled`] lists a script.
pub(crate) fn uncompiled(revision: &Revision, script: &Script) -> String {
    format!("{} (`{}`)", revision.label(), script.file())
}

/// True when `script` is Rust and runs batch by batch.
pub(crate) fn is_batched(script: &Script) -> bool {
    Code::of(script).is_some_and(Code::is_batched)
}

/// True when `revision` runs on a session of its own in `direction`, holding the session-level
/// lock: a `no-transaction` revision, or a batched Rust script (its batches commit one by one).
pub(crate) fn own_session(revision: &Revision, direction: Direction) -> bool {
    revision.up().transaction() == TransactionMode::None
        || is_batched(crate::apply::script(revision, direction))
}

/// Awaits `work`, turning a panic inside it into an error: the runner then rolls back and
/// releases its lock as for any failure, and the process goes on.
async fn caught<T>(work: Pending<'_, T>) -> Result<T, BoxError> {
    match AssertUnwindSafe(work).catch_unwind().await {
        Ok(result) => result,
        Err(payload) => Err(Box::new(Panicked {
            message: panic_message(payload.as_ref()),
        })),
    }
}

fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "a panic without a message".to_owned())
}

/// A Rust revision panicked.
#[derive(Debug, thiserror::Error)]
#[error("it panicked: {message}")]
pub struct Panicked {
    /// The panic's message.
    pub message: String,
}

/// The cursor stored by an earlier batch does not fit the function's cursor type (the
/// revision's code changed while it was half done).
#[derive(Debug, thiserror::Error)]
#[error("the stored cursor `{cursor}` does not fit this function's cursor type")]
pub struct CursorMismatch {
    /// The stored cursor (JSON).
    pub cursor: String,
    /// serde's reason.
    #[source]
    pub source: serde_json::Error,
}

#[doc(hidden)]
pub fn __once<'a, E>(work: impl Future<Output = Result<(), E>> + Send + 'a) -> Pending<'a, ()>
where
    E: Into<BoxError>,
{
    Box::pin(async move { work.await.map_err(Into::into) })
}

#[doc(hidden)]
pub fn __batch<'a, C, F, W, E>(cursor: Option<&'a str>, call: F) -> Pending<'a, Option<String>>
where
    C: serde::Serialize + serde::de::DeserializeOwned,
    F: FnOnce(Option<C>) -> W,
    W: Future<Output = Result<Option<C>, E>> + Send + 'a,
    E: Into<BoxError>,
{
    let cursor = match cursor.map(serde_json::from_str::<C>).transpose() {
        Ok(cursor) => cursor,
        Err(source) => {
            let mismatch = CursorMismatch {
                cursor: cursor.unwrap_or_default().to_owned(),
                source,
            };
            return Box::pin(std::future::ready(Err(mismatch.into())));
        }
    };
    let work = call(cursor);
    Box::pin(async move {
        let next = work.await.map_err(Into::into)?;
        let next = next.map(|c| serde_json::to_string(&c)).transpose()?;
        Ok(next)
    })
}
