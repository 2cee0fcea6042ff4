//! Progress of `no-transaction` revisions, statement by statement, and of batched Rust
//! revisions, batch by batch.
//!
//! Such a revision cannot be rolled back as a whole: each statement commits on its own. So while
//! one runs, a row in `<history table>_progress` says which statement is running; a failure
//! records which statement failed and why, and a killed runner leaves its last "running" row
//! behind. Runners refuse to go past such a row until `migrate resolve` settles it (retry from
//! that statement, or mark the revision completed or rolled back by hand). The row is deleted
//! in the same transaction that records (or removes) the revision's history row.
//!
//! A batched Rust revision (`up(tx, cursor)`) writes its row in each batch's own transaction,
//! with the cursor that batch returned: the row says exactly what is committed, so a runner
//! killed between batches resumes after it instead of refusing. Only a failed batch (its error
//! recorded) is refused until `resolve`.

use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use crate::direction::Direction;
use crate::history::{HistoryError, HistoryTable};

/// A `no-transaction` revision whose run did not finish.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Interrupted {
    /// The revision's version.
    pub version: String,
    /// Which script was running.
    pub direction: Direction,
    /// The statement (1-based) that failed or was running; the ones before it are committed.
    pub statement: usize,
    /// Statements in the script.
    pub total: usize,
    /// sha256 of the statements before `statement`, to check that a retry runs the same ones.
    #[serde(skip)]
    pub prefix_checksum: Vec<u8>,
    /// The server's error when the statement failed; `None` when the runner stopped while it
    /// ran (killed, connection lost), so it may or may not have taken effect.
    pub error: Option<String>,
    /// When the row was last written, UTC.
    pub updated_at: String,
    /// The database role that ran it.
    pub updated_by: String,
    /// For a batched Rust revision, the cursor (JSON) its last committed batch returned, empty
    /// before the first batch committed; `statement` is then the batch that runs next.
    pub cursor: Option<String>,
}

impl Interrupted {
    /// True when the statement failed (rather than the runner stopping mid-statement).
    pub fn failed(&self) -> bool {
        self.error.is_some()
    }

    /// True for a batched Rust revision.
    pub fn is_batched(&self) -> bool {
        self.cursor.is_some()
    }

    /// True when the next run simply carries on: a batched revision stopped between two
    /// committed batches, so nothing is in doubt.
    pub fn resumes(&self) -> bool {
        self.is_batched() && !self.failed()
    }

    /// The cursor to resume from: `None` to start from the beginning.
    pub fn resume_cursor(&self) -> Option<&str> {
        self.cursor.as_deref().filter(|c| !c.is_empty())
    }
}

/// A failure as the `error` column keeps it: the server's message for a database error (its
/// position and detail belong to the refusal that quotes the statement), else the whole error.
pub(crate) fn failure_text(error: &tokio_postgres::Error) -> String {
    error
        .as_db_error()
        .map_or_else(|| error.to_string(), |e| e.message().to_owned())
}

/// sha256 of `statements` (their texts, in order), as stored in `prefix_checksum`.
pub(crate) fn prefix_checksum<'a>(statements: impl IntoIterator<Item = &'a str>) -> Vec<u8> {
    let joined: Vec<&str> = statements.into_iter().collect();
    migrations_core::source::checksum(&joined.join("\0"))
        .0
        .to_vec()
}

/// Every unfinished revision, oldest first; empty when the table does not exist yet.
pub(crate) async fn read(
    client: &impl GenericClient,
    history: &HistoryTable,
) -> Result<Vec<Interrupted>, HistoryError> {
    let progress = history.progress();
    if !progress.exists(client).await? {
        return Ok(Vec::new());
    }
    let rows = client
        .query_typed(&select_sql(history), &[])
        .await
        .map_err(|e| progress.query_error(e))?;
    parse_rows(history, &rows)
}

/// The query [`read`] sends. The cursor is read through `to_jsonb` because a progress table
/// created before batched revisions existed has no `cursor` column (a batched run adds it).
pub(crate) fn select_sql(history: &HistoryTable) -> String {
    format!(
        "SELECT version, direction, statement, total, prefix_checksum, error,
                to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), updated_by,
                to_jsonb(p) ->> 'cursor'
         FROM {} AS p ORDER BY updated_at, version",
        history.progress().qualified()
    )
}

/// The rows of [`select_sql`].
pub(crate) fn parse_rows(
    history: &HistoryTable,
    rows: &[tokio_postgres::Row],
) -> Result<Vec<Interrupted>, HistoryError> {
    rows.iter()
        .map(|r| {
            Ok(Interrupted {
                version: r.try_get(0)?,
                direction: if r.try_get::<_, &str>(1)? == "down" {
                    Direction::Down
                } else {
                    Direction::Up
                },
                statement: r.try_get::<_, i32>(2)?.max(1) as usize,
                total: r.try_get::<_, i32>(3)?.max(0) as usize,
                prefix_checksum: r.try_get(4)?,
                error: r.try_get(5)?,
                updated_at: r.try_get(6)?,
                updated_by: r.try_get(7)?,
                cursor: r.try_get(8)?,
            })
        })
        .collect::<Result<_, tokio_postgres::Error>>()
        .map_err(|source| HistoryError::Shape {
            table: history.progress().qualified(),
            source,
        })
}

/// Writes the row of `version`: statement `statement` of `total` is about to run (`error` is
/// `None`) or failed with `error`. Runs outside any transaction, so it is durable at once.
pub(crate) async fn write(
    client: &impl GenericClient,
    history: &HistoryTable,
    version: &str,
    direction: Direction,
    (statement, total): (usize, usize),
    prefix_checksum: &[u8],
    error: Option<&str>,
) -> Result<(), HistoryError> {
    let progress = history.progress();
    let sql = format!(
        "INSERT INTO {} AS p (version, direction, statement, total, prefix_checksum, error)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (version) DO UPDATE SET direction = excluded.direction,
             statement = excluded.statement, total = excluded.total,
             prefix_checksum = excluded.prefix_checksum, error = excluded.error,
             updated_at = now(), updated_by = current_user",
        progress.qualified()
    );
    let statement = i32::try_from(statement).unwrap_or(i32::MAX);
    let total = i32::try_from(total).unwrap_or(i32::MAX);
    client
        .query_typed(
            &sql,
            &[
                (&version, Type::TEXT),
                (&direction.as_str(), Type::TEXT),
                (&statement, Type::INT4),
                (&total, Type::INT4),
                (&prefix_checksum, Type::BYTEA),
                (&error, Type::TEXT),
            ],
        )
        .await
        .map_err(|e| progress.query_error(e))?;
    Ok(())
}

/// Deletes the row of `version` (in the transaction that settles the revision's history row).
pub(crate) async fn clear(
    client: &impl GenericClient,
    history: &HistoryTable,
    version: &str,
) -> Result<(), HistoryError> {
    let progress = history.progress();
    let sql = format!("DELETE FROM {} WHERE version = $1", progress.qualified());
    client
        .query_typed(&sql, &[(&version, Type::TEXT)])
        .await
        .map_err(|e| progress.query_error(e))?;
    Ok(())
}

/// Adds the `cursor` column to a progress table created before batched revisions existed. Looked
/// up first: `ALTER TABLE` needs ownership even when the column is there, and a deploy role may
/// have only row privileges on tables a DBA created.
pub(crate) async fn ensure_cursor(
    client: &impl GenericClient,
    history: &HistoryTable,
) -> Result<(), HistoryError> {
    let progress = history.progress();
    let qualified = progress.qualified();
    let has: bool = client
        .query_typed_one(
            "SELECT EXISTS (SELECT FROM pg_attribute
                 WHERE attrelid = $1::text::regclass AND attname = 'cursor' AND NOT attisdropped)",
            &[(&qualified, Type::TEXT)],
        )
        .await
        .map_err(|e| progress.query_error(e))?
        .get(0);
    if has {
        return Ok(());
    }
    let sql = format!("ALTER TABLE {qualified} ADD COLUMN IF NOT EXISTS cursor text");
    client
        .batch_execute(&sql)
        .await
        .map_err(|e| progress.query_error(e))
}

/// Writes the row of a batched revision: batch `batch` runs next, after `cursor` (empty: from
/// the start), with `error` when that batch failed. Inside a batch's transaction, it commits
/// with the batch.
pub(crate) async fn write_batch(
    client: &impl GenericClient,
    history: &HistoryTable,
    (version, direction): (&str, Direction),
    (batch, cursor): (usize, &str),
    checksum: &[u8],
    error: Option<&str>,
) -> Result<(), HistoryError> {
    let progress = history.progress();
    let sql = format!(
        "INSERT INTO {} AS p (version, direction, statement, total, prefix_checksum, error, cursor)
         VALUES ($1, $2, $3, 0, $4, $5, $6)
         ON CONFLICT (version) DO UPDATE SET direction = excluded.direction,
             statement = excluded.statement, total = 0,
             prefix_checksum = excluded.prefix_checksum, error = excluded.error,
             cursor = excluded.cursor, updated_at = now(), updated_by = current_user",
        progress.qualified()
    );
    let batch = i32::try_from(batch).unwrap_or(i32::MAX);
    client
        .query_typed(
            &sql,
            &[
                (&version, Type::TEXT),
                (&direction.as_str(), Type::TEXT),
                (&batch, Type::INT4),
                (&checksum, Type::BYTEA),
                (&error, Type::TEXT),
                (&cursor, Type::TEXT),
            ],
        )
        .await
        .map_err(|e| progress.query_error(e))?;
    Ok(())
}
