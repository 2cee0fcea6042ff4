//! The history table's SQL text: the DDL creating it, and the statements `upgrade --sql` prints
//! for a DBA to run.

use migrations_core::Revision;

use super::{HistoryTable, Method, Values};

/// The values of the `method` column's CHECK constraint.
pub(super) const METHODS: &str = "('upgrade', 'stamp', 'offline', 'baseline')";

impl HistoryTable {
    /// The DDL creating the schema (unless `public`), the table and its progress table
    /// (the progress of `no-transaction` revisions), idempotent.
    pub fn create_sql(&self) -> String {
        let tables = format!("{}\n{}", self.table_sql(), self.progress_create_sql());
        if self.schema == "public" {
            tables
        } else {
            format!(
                "CREATE SCHEMA IF NOT EXISTS {};\n{tables}",
                crate::quote::ident(&self.schema)
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
        let exists = super::exists_sql("'public'", &crate::quote::literal(&self.table));
        Some((exists, self.create_sql()))
    }

    pub(super) fn table_sql(&self) -> String {
        format!(
            "CREATE TABLE IF NOT EXISTS {} (
    version            text        PRIMARY KEY,
    name               text        NOT NULL,
    checksum           bytea       NOT NULL,
    checksum_algorithm smallint    NOT NULL,
    applied_at         timestamptz NOT NULL DEFAULT now(),
    duration_ms        bigint,
    applied_by         text        NOT NULL DEFAULT current_user,
    method             text        NOT NULL DEFAULT 'upgrade' CHECK (method IN {METHODS})
);",
            self.qualified()
        )
    }

    /// The INSERT of an offline script for `revision` (literal values: no parameters offline).
    pub fn offline_insert_sql(&self, revision: &Revision) -> String {
        let values = Values::Literal {
            revision,
            method: Method::Offline,
            duration: "NULL",
            escaped: false,
        };
        format!("{};", self.insert_sql(values))
    }

    /// The DELETE of an offline downgrade script.
    pub fn offline_delete_sql(&self, revision: &Revision) -> String {
        let values = Values::Literal {
            revision,
            method: Method::Offline,
            duration: "NULL",
            escaped: false,
        };
        format!("{};", self.delete_sql(values))
    }

    /// The progress table beside this one, `<table>_progress` (see [`crate::progress`]).
    pub(crate) fn progress(&self) -> HistoryTable {
        self.sibling("progress")
    }

    /// The DDL of the progress table, idempotent.
    pub(crate) fn progress_create_sql(&self) -> String {
        let progress = self.progress().qualified();
        format!(
            "CREATE TABLE IF NOT EXISTS {progress} (
    version         text        PRIMARY KEY,
    direction       text        NOT NULL CHECK (direction IN ('up', 'down')),
    statement       integer     NOT NULL,
    total           integer     NOT NULL,
    prefix_checksum bytea       NOT NULL,
    error           text,
    cursor          text,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    updated_by      text        NOT NULL DEFAULT current_user
);
COMMENT ON TABLE {progress} IS {};",
            crate::quote::literal(
                "no-transaction revisions that did not finish, and batched Rust revisions half done: see `migrate resolve`"
            )
        )
    }
}
