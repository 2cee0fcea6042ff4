//! The history table: which revisions a database has, with their checksums. Identifiers are
//! quoted here and nowhere else; values are always bound parameters.

use std::fmt;

use migrations_core::Revision;
use thiserror::Error;
use tokio_postgres::types::Type;
use tokio_postgres::GenericClient;

/// The default table: `public.schema_revisions`.
pub const DEFAULT_TABLE: &str = "public.schema_revisions";

/// Errors of this phase.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum HistoryError {
    /// A table name that cannot be used.
    #[error("invalid history table name `{name}`: use `table` or `schema.table`")]
    InvalidName {
        /// The name as given.
        name: String,
    },
    /// A name too long for the tables derived from it.
    #[error("history table name `{name}` is too long: PostgreSQL keeps 63 bytes of a name, and the table's name must leave room for `_progress` (54 bytes at most; the schema 63)")]
    TooLong {
        /// The name as given.
        name: String,
    },
    /// The table exists but does not have the expected columns or types.
    #[error("history table {table} does not have the expected shape (altered by hand?): restore the columns listed in the README's \"history table\" section, or restore it from a backup; nothing was changed")]
    Shape {
        /// The table.
        table: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The connecting role may not create, read or write the history table.
    #[error("the connecting role lacks a privilege on history table {table} or its schema: grant it (CREATE on the schema to create the table, or SELECT, INSERT, UPDATE, DELETE on a table a DBA created with the DDL `migrate upgrade --sql` prints), or connect as the schema's owner; nothing was changed")]
    Privilege {
        /// The table.
        table: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// The server (or a proxy in front of it) answered something impossible.
    #[error("query on history table {table} returned no row")]
    Protocol {
        /// The table.
        table: String,
    },
    /// Any other query failure.
    #[error("query on history table {table} failed")]
    Query {
        /// The table.
        table: String,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

/// A row of the history table.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AppliedRevision {
    /// Canonical version.
    pub version: String,
    /// Slug at the time it was applied.
    pub name: String,
    /// Recorded checksum bytes (hex in JSON, like every other checksum shown).
    #[serde(serialize_with = "hex")]
    pub checksum: Vec<u8>,
    /// Algorithm id of `checksum`.
    pub checksum_algorithm: i16,
    /// When, in UTC (`2026-11-23T10:00:00Z`).
    pub applied_at: String,
    /// How long the up script took; `None` when stamped or applied from an offline script.
    pub duration_ms: Option<i64>,
    /// The database role that applied it.
    pub applied_by: String,
    /// `upgrade`, `stamp` or `offline`.
    pub method: String,
}

impl AppliedRevision {
    /// The recorded checksum in hex.
    pub fn checksum_hex(&self) -> String {
        self.checksum.iter().map(|b| format!("{b:02x}")).collect()
    }
}

fn hex<S: serde::Serializer>(bytes: &[u8], serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(&bytes.iter().map(|b| format!("{b:02x}")).collect::<String>())
}

/// How a row got into the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Method {
    /// Applied by `upgrade`.
    Upgrade,
    /// Recorded by `stamp` without running SQL.
    Stamp,
    /// Written by an offline (`--sql`) script.
    Offline,
}

impl Method {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upgrade => "upgrade",
            Self::Stamp => "stamp",
            Self::Offline => "offline",
        }
    }
}

/// A schema-qualified history table name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryTable {
    schema: String,
    table: String,
}

impl Default for HistoryTable {
    fn default() -> Self {
        Self {
            schema: "public".into(),
            table: "schema_revisions".into(),
        }
    }
}

impl fmt::Display for HistoryTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.qualified())
    }
}

/// Quotes an identifier for PostgreSQL: the one place identifiers are quoted.
pub fn quote_ident(ident: &str) -> String {
    format!("\"{}\"", ident.replace('"', "\"\""))
}

/// Quotes a string literal as `E'...'`, which reads the same whatever
/// `standard_conforming_strings` says (for statements sent without parameters).
pub fn quote_escaped(value: &str) -> String {
    format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// Quotes a string literal for offline scripts (which cannot bind parameters).
pub fn quote_literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

impl HistoryTable {
    /// Parses `table` or `schema.table` (unquoted names, taken literally).
    pub fn parse(name: &str) -> Result<Self, HistoryError> {
        let invalid = || HistoryError::InvalidName {
            name: name.to_owned(),
        };
        let (schema, table) = match name.split_once('.') {
            Some((s, t)) => (s, t),
            None => ("public", name),
        };
        if schema.is_empty() || table.is_empty() || table.contains('.') {
            return Err(invalid());
        }
        // PostgreSQL truncates names to 63 bytes; `<table>_progress` must survive intact, or
        // lookups by name would miss the truncated table (and with it unfinished runs).
        if schema.len() > 63 || table.len() + "_progress".len() > 63 {
            return Err(HistoryError::TooLong {
                name: name.to_owned(),
            });
        }
        Ok(Self {
            schema: schema.to_owned(),
            table: table.to_owned(),
        })
    }

    /// `"schema"."table"`.
    pub fn qualified(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.table))
    }

    /// The audit table of `repair`, beside this one: `<table>_repairs`.
    pub fn audit(&self) -> Self {
        self.sibling("repairs")
    }

    /// A table beside this one: `<table>_<suffix>` in the same schema.
    pub(crate) fn sibling(&self, suffix: &str) -> Self {
        Self {
            schema: self.schema.clone(),
            table: format!("{}_{suffix}", self.table),
        }
    }

    /// The key of the advisory lock that serialises runners on this table.
    pub fn lock_key(&self) -> i64 {
        let digest = migrations_core::source::checksum(&format!(
            "app-db migration lock {}",
            self.qualified()
        ));
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest.0[..8]);
        i64::from_be_bytes(bytes)
    }

    /// The DDL creating the schema (unless `public`), the table and its progress table
    /// (see [`crate::progress`]), idempotent.
    pub fn create_sql(&self) -> String {
        let tables = format!(
            "{}\n{}",
            self.table_sql(),
            crate::progress::create_sql(self)
        );
        if self.schema == "public" {
            tables
        } else {
            format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n{tables}",
                quote_ident(&self.schema)
            )
        }
    }

    /// For a table in `public` (which exists in every database), the statement telling whether
    /// the table exists as of the statement's snapshot, and the DDL creating it and its
    /// progress table: what a runner's first exchange on a fresh database needs. `None` for
    /// another schema, whose creation needs a check first (see [`HistoryTable::ensure`]).
    pub(crate) fn bootstrap_sql(&self) -> Option<(String, String)> {
        if self.schema != "public" {
            return None;
        }
        let exists = format!(
            "EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             WHERE n.nspname = 'public' AND c.relname = {})",
            quote_literal(&self.table)
        );
        Some((exists, self.create_sql()))
    }

    fn table_sql(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (
    version            text        PRIMARY KEY,
    name               text        NOT NULL,
    checksum           bytea       NOT NULL,
    checksum_algorithm smallint    NOT NULL,
    applied_at         timestamptz NOT NULL DEFAULT now(),
    duration_ms        bigint,
    applied_by         text        NOT NULL DEFAULT current_user,
    method             text        NOT NULL DEFAULT 'upgrade' CHECK (method IN ('upgrade', 'stamp', 'offline'))
);",
            self.qualified()
        )
    }

    /// The INSERT of an offline script for `revision` (literal values: no parameters offline).
    pub fn offline_insert_sql(&self, revision: &Revision) -> String {
        format!(
            "INSERT INTO {} (version, name, checksum, checksum_algorithm, method) VALUES ({}, {}, decode('{}', 'hex'), {}, 'offline');",
            self.qualified(),
            quote_literal(revision.version()),
            quote_literal(revision.name()),
            revision.checksum().to_hex(),
            revision.checksum_algorithm().id()
        )
    }

    /// The DELETE of an offline downgrade script.
    pub fn offline_delete_sql(&self, revision: &Revision) -> String {
        format!(
            "DELETE FROM {} WHERE version = {};",
            self.qualified(),
            quote_literal(revision.version())
        )
    }

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
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p'))",
                &[(&self.schema, Type::TEXT), (&self.table, Type::TEXT)],
            )
            .await
            .map_err(|e| self.query_error(e))?;
        Ok(row.get(0))
    }

    /// Creates the table and its schema if missing, with its progress table (see
    /// [`crate::progress`]). Nothing is executed when the table exists, so a role with only row
    /// privileges on a DBA-created table can migrate (regression: `CREATE SCHEMA IF NOT EXISTS`
    /// needs CREATE on the database even when the schema exists); a missing progress table is
    /// then left to [`crate::progress::ensure`], which only `no-transaction` revisions need.
    /// Returns whether the progress table exists.
    pub async fn ensure(&self, client: &impl GenericClient) -> Result<bool, HistoryError> {
        let progress = crate::progress::table(self);
        let row = client
            .query_typed(
                "SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = $1),
                        EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')),
                        EXISTS (SELECT 1 FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                                WHERE n.nspname = $1 AND c.relname = $3 AND c.relkind IN ('r', 'p'))",
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
            (true, false) => format!(
                "{}\n{}",
                self.table_sql(),
                crate::progress::create_sql(self)
            ),
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
            true => format!(
                "SELECT count(*) FROM {}",
                crate::progress::table(self).qualified()
            ),
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
        let sql = format!(
            "INSERT INTO {} (version, name, checksum, checksum_algorithm, duration_ms, method) VALUES ($1, $2, $3, $4, $5, $6)",
            self.qualified()
        );
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
        let sql = format!("DELETE FROM {} WHERE version = $1", self.qualified());
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_quoting() {
        assert_eq!(
            HistoryTable::default().qualified(),
            "\"public\".\"schema_revisions\""
        );
        assert_eq!(
            HistoryTable::parse("ops.Hist\"x")
                .expect("valid")
                .qualified(),
            "\"ops\".\"Hist\"\"x\""
        );
        assert!(HistoryTable::parse("a.b.c").is_err());
        assert!(HistoryTable::parse("").is_err());
        assert!(HistoryTable::parse(&"h".repeat(54)).is_ok());
        assert!(matches!(
            HistoryTable::parse(&"h".repeat(55)),
            Err(HistoryError::TooLong { .. })
        ));
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_ne!(
            HistoryTable::default().lock_key(),
            HistoryTable::parse("other").expect("valid").lock_key()
        );
    }
}
