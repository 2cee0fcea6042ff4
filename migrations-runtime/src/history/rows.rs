//! Reading and writing the history table's rows. Every query is `*_typed`: one exchange with an
//! unnamed statement, which also works through a transaction-pooling proxy.

use migrations_core::Revision;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

use super::{AppliedRevision, HistoryError, HistoryTable, Method, Values};

impl HistoryTable {
    pub(crate) fn query_error(&self, source: tokio_postgres::Error) -> HistoryError {
        let shape = source.code().is_some_and(|c| {
            use tokio_postgres::error::SqlState;
            [
                SqlState::UNDEFINED_COLUMN,
                SqlState::DATATYPE_MISMATCH,
                SqlState::WRONG_OBJECT_TYPE,
                SqlState::CANNOT_COERCE,
            ]
            .contains(c)
        });
        let denied =
            source.code() == Some(&tokio_postgres::error::SqlState::INSUFFICIENT_PRIVILEGE);
        if denied {
            HistoryError::Privilege {
                table: self.qualified(),
                source,
            }
        } else if shape {
            HistoryError::Shape {
                table: self.qualified(),
                source,
            }
        } else {
            HistoryError::Query {
                table: self.qualified(),
                source,
            }
        }
    }

    /// True when the table exists. Read-only; takes no lock.
    pub async fn exists(&self, client: &impl GenericClient) -> Result<bool, HistoryError> {
        // A query on pg_class sees what other sessions committed before this statement; name
        // resolution (`to_regclass`) goes through a catalog cache that waiting on an advisory
        // lock does not refresh (regression: replicas taking over at once missed the table
        // another had just created, and recorded the history twice).
        // Every query here is `*_typed`: one exchange with an unnamed statement, which also works
        // through a transaction-pooling proxy (a statement prepared in one exchange may be gone
        // in the next, which the proxy can send to another server session).
        let row = client
            .query_typed_one(
                &format!("SELECT {}", super::exists_sql("$1", "$2")),
                &[(&self.schema, Type::TEXT), (&self.table, Type::TEXT)],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(row.get(0))
    }

    /// Creates the table and its schema if missing, with its progress table (see
    /// the progress of `no-transaction` revisions). Nothing is executed when the table exists, so a role with only row
    /// privileges on a DBA-created table can migrate (regression: `CREATE SCHEMA IF NOT EXISTS`
    /// needs CREATE on the database even when the schema exists); a missing progress table is
    /// then left to `ensure_progress`, which only `no-transaction` revisions need.
    /// Returns whether the progress table exists.
    pub async fn ensure(&self, client: &impl GenericClient) -> Result<bool, HistoryError> {
        let progress = self.progress();
        let row = client
            .query_typed(
                &format!(
                    "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1), {}, {}",
                    super::exists_sql("$1", "$2"),
                    super::exists_sql("$1", "$3")
                ),
                &[
                    (&self.schema, Type::TEXT),
                    (&self.table, Type::TEXT),
                    (&progress.table, Type::TEXT),
                ],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        let row = row.first().ok_or_else(|| self.no_row())?;
        let (schema_exists, history_exists, progress_exists): (bool, bool, bool) =
            (row.get(0), row.get(1), row.get(2));
        let ddl = match (schema_exists, history_exists) {
            (_, true) => return Ok(progress_exists),
            (false, _) => self.create_sql(),
            (true, false) => format!("{}\n{}", self.table_sql(), self.progress_create_sql()),
        };
        client
            .batch_execute(&ddl)
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(true)
    }

    fn no_row(&self) -> HistoryError {
        HistoryError::Protocol {
            table: self.qualified(),
        }
    }

    /// All rows, or an empty list when the table does not exist. Read-only; takes no lock.
    pub async fn read(
        &self,
        client: &impl GenericClient,
    ) -> Result<Vec<AppliedRevision>, HistoryError> {
        if !self.exists(client).await? {
            return Ok(Vec::new());
        }
        self.read_existing(client).await
    }

    /// All rows of a table known to exist.
    pub async fn read_existing(
        &self,
        client: &impl GenericClient,
    ) -> Result<Vec<AppliedRevision>, HistoryError> {
        let rows = client
            .query_typed(&self.select_sql(), &[])
            .await
            .map_err(|e| self.query_error(e))?;
        self.parse_rows(&rows)
    }

    /// The query [`HistoryTable::read_existing`] sends.
    pub(crate) fn select_sql(&self) -> String {
        format!(
            "SELECT version, name, checksum, checksum_algorithm,
                    applied_at,
                    duration_ms, applied_by, method
             FROM {} ORDER BY applied_at, version",
            self.qualified()
        )
    }

    /// The rows of [`HistoryTable::select_sql`].
    pub(crate) fn parse_rows(
        &self,
        rows: &[tokio_postgres::Row],
    ) -> Result<Vec<AppliedRevision>, HistoryError> {
        rows.iter()
            .map(|r| {
                Ok(AppliedRevision {
                    version: r.try_get(0)?,
                    name: r.try_get(1)?,
                    checksum: r.try_get(2)?,
                    checksum_algorithm: r.try_get(3)?,
                    // Formatted here: the server's to_char was a third of a no-op check's time
                    // with 500 rows.
                    applied_at: r
                        .try_get::<_, chrono::DateTime<chrono::Utc>>(4)?
                        .format("%Y-%m-%dT%H:%M:%SZ")
                        .to_string(),
                    duration_ms: r.try_get(5)?,
                    applied_by: r.try_get(6)?,
                    method: r.try_get(7)?,
                })
            })
            .collect::<Result<_, tokio_postgres::Error>>()
            .map_err(|source| HistoryError::Shape {
                table: self.qualified(),
                source,
            })
    }

    /// The numbers of rows in the table and, if `progress` says it exists, in its progress
    /// table (a cheap check that no other runner changed them).
    pub async fn counts(
        &self,
        client: &impl GenericClient,
        progress: bool,
    ) -> Result<(i64, i64), HistoryError> {
        let progress_count = match progress {
            true => format!("SELECT count(*) FROM {}", self.progress().qualified()),
            false => "SELECT 0::bigint".to_owned(),
        };
        let sql = format!(
            "SELECT (SELECT count(*) FROM {}), ({progress_count})",
            self.qualified()
        );
        let rows = client
            .query_typed(&sql, &[])
            .await
            .map_err(|e| self.query_error(e))?;
        let row = rows.first().ok_or_else(|| self.no_row())?;
        Ok((row.get(0), row.get(1)))
    }

    /// Records `revision` as applied.
    pub async fn insert(
        &self,
        client: &impl GenericClient,
        revision: &Revision,
        duration_ms: Option<i64>,
        method: Method,
    ) -> Result<(), HistoryError> {
        let sql = self.insert_sql(Values::Bound);
        let checksum = revision.checksum().0.to_vec();
        client
            .execute_typed(
                &sql,
                &[
                    (&revision.version(), Type::TEXT),
                    (&revision.name(), Type::TEXT),
                    (&checksum, Type::BYTEA),
                    (&revision.checksum_algorithm().id(), Type::INT2),
                    (&duration_ms, Type::INT8),
                    (&method.as_str(), Type::TEXT),
                ],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(())
    }

    /// Removes the row of `version`.
    pub async fn delete(
        &self,
        client: &impl GenericClient,
        version: &str,
    ) -> Result<u64, HistoryError> {
        let sql = self.delete_sql(Values::Bound);
        client
            .execute_typed(&sql, &[(&version, Type::TEXT)])
            .await
            .map_err(|e| self.query_error(e))
    }

    /// Re-records the checksum of `revision`'s row as the file's (`repair`).
    pub async fn set_checksum(
        &self,
        client: &impl GenericClient,
        revision: &Revision,
    ) -> Result<(), HistoryError> {
        let sql = format!(
            "UPDATE {} SET checksum = $2, checksum_algorithm = $3 WHERE version = $1",
            self.qualified()
        );
        let checksum = revision.checksum().0.to_vec();
        let algorithm = revision.checksum_algorithm().id();
        client
            .execute_typed(
                &sql,
                &[
                    (&revision.version(), Type::TEXT),
                    (&checksum, Type::BYTEA),
                    (&algorithm, Type::INT2),
                ],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(())
    }

    /// Removes every row.
    pub async fn purge(&self, client: &impl GenericClient) -> Result<u64, HistoryError> {
        client
            .execute_typed(&format!("DELETE FROM {}", self.qualified()), &[])
            .await
            .map_err(|e| self.query_error(e))
    }

    /// Creates the progress table if missing (a history table made by an earlier version of
    /// this tool, or by a DBA, may come without one).
    pub(crate) async fn ensure_progress(
        &self,
        client: &impl GenericClient,
    ) -> Result<(), HistoryError> {
        let progress = self.progress();
        if progress.exists(client).await? {
            return Ok(());
        }
        client
            .batch_execute(&self.progress_create_sql())
            .await
            .map_err(|e| progress.query_error(e))
    }
}
