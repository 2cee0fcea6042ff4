//! The history table: which revisions a database has, with their checksums. Identifiers are
//! quoted here and nowhere else; values are always bound parameters.

use std::fmt;

use thiserror::Error;

mod baseline;
mod ddl;
mod rows;
mod statements;

pub(crate) use statements::Values;

/// The SQL expression telling whether table `table` exists in schema `schema` (both SQL
/// expressions: parameters or quoted literals), read from `pg_class` with the statement's
/// snapshot rather than through name resolution's catalog cache (see
/// [`HistoryTable::exists`]).
fn exists_sql(schema: &str, table: &str) -> String {
    format!(
        "EXISTS (SELECT FROM pg_catalog.pg_class c JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = {schema} AND c.relname = {table} AND c.relkind IN ('r', 'p'))"
    )
}

/// The default table: `public.schema_revisions`.
#[cfg(feature = "cli")]
pub(crate) const DEFAULT_TABLE: &str = "public.schema_revisions";

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
    /// `upgrade`, `stamp`, `offline` or `baseline`.
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
    /// Recorded by the squashed history's baseline, which ran in place of the revision.
    Baseline,
}

impl Method {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upgrade => "upgrade",
            Self::Stamp => "stamp",
            Self::Offline => "offline",
            Self::Baseline => "baseline",
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
        format!(
            "{}.{}",
            crate::quote::ident(&self.schema),
            crate::quote::ident(&self.table)
        )
    }

    /// The schema, unquoted.
    #[cfg(feature = "schema")]
    pub(crate) fn schema(&self) -> &str {
        &self.schema
    }

    /// The table's name, unquoted.
    #[cfg(feature = "schema")]
    pub(crate) fn name(&self) -> &str {
        &self.table
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
        assert_eq!(crate::quote::literal("it's"), "'it''s'");
        assert_ne!(
            HistoryTable::default().lock_key(),
            HistoryTable::parse("other").expect("valid").lock_key()
        );
    }
}
