//! The statements that write history rows, in every form the runtime sends them, rendered from
//! one column list: with bound parameters (the slow path, stamp), with `E'...'` literals (the
//! pipelined exchange, which cannot bind), and with standard literals (offline scripts, which
//! set `standard_conforming_strings = on`).

use migrations_core::Revision;

use super::{HistoryTable, Method};

/// The columns an applied revision's row is written with, in the order of the bound
/// parameters `$1`..`$6`; `applied_at` and `applied_by` take their defaults.
pub(crate) const COLUMNS: [&str; 6] = [
    "version",
    "name",
    "checksum",
    "checksum_algorithm",
    "duration_ms",
    "method",
];

/// How the values are spelled in a statement.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Values<'a> {
    /// `$1`..`$6`, bound by the caller in [`COLUMNS`]' order (`$1` alone for a delete).
    Bound,
    /// Literal values of `revision`, written by `method`, the duration being the SQL expression
    /// `duration` (`NULL` when unknown).
    Literal {
        /// The revision.
        revision: &'a Revision,
        /// How the row got there.
        method: Method,
        /// An SQL expression for `duration_ms`.
        duration: &'a str,
        /// `E'...'` literals (whatever `standard_conforming_strings` says) or standard ones.
        escaped: bool,
    },
}

impl Values<'_> {
    fn text(escaped: bool, value: &str) -> String {
        match escaped {
            true => crate::quote::escaped(value),
            false => crate::quote::literal(value),
        }
    }
}

impl HistoryTable {
    /// `INSERT INTO <table> (<COLUMNS>) VALUES (...)`, without a terminator.
    pub(crate) fn insert_sql(&self, values: Values<'_>) -> String {
        let spelled: Vec<String> = match values {
            Values::Bound => (1..=COLUMNS.len()).map(|i| format!("${i}")).collect(),
            Values::Literal {
                revision,
                method,
                duration,
                escaped,
            } => vec![
                Values::text(escaped, revision.version()),
                Values::text(escaped, revision.name()),
                format!("decode('{}', 'hex')", revision.checksum().to_hex()),
                revision.checksum_algorithm().id().to_string(),
                duration.to_owned(),
                Values::text(escaped, method.as_str()),
            ],
        };
        format!(
            "INSERT INTO {} ({}) VALUES ({})",
            self.qualified(),
            COLUMNS.join(", "),
            spelled.join(", ")
        )
    }

    /// `DELETE FROM <table> WHERE version = ...`, without a terminator.
    pub(crate) fn delete_sql(&self, values: Values<'_>) -> String {
        let version = match values {
            Values::Bound => "$1".to_owned(),
            Values::Literal {
                revision, escaped, ..
            } => Values::text(escaped, revision.version()),
        };
        format!("DELETE FROM {} WHERE version = {version}", self.qualified())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use migrations_core::{Script, TransactionMode};

    static REVISION: Revision = Revision::__new(
        "001",
        "it's",
        "001_it's",
        Script::__new("001_it's/up.sql", "SELECT 1;", TransactionMode::Wrapped),
        None,
        [0xab; 32],
    );

    #[test]
    fn every_form_writes_the_same_columns() {
        let table = HistoryTable::default();
        let columns = "(version, name, checksum, checksum_algorithm, duration_ms, method)";
        let bound = table.insert_sql(Values::Bound);
        assert_eq!(
            bound,
            format!("INSERT INTO \"public\".\"schema_revisions\" {columns} VALUES ($1, $2, $3, $4, $5, $6)")
        );
        let literal = |escaped| Values::Literal {
            revision: &REVISION,
            method: Method::Offline,
            duration: "NULL",
            escaped,
        };
        let offline = table.insert_sql(literal(false));
        assert!(offline.contains(columns), "{offline}");
        assert!(
            offline.ends_with(&format!(
                "VALUES ('001', 'it''s', decode('{}', 'hex'), 1, NULL, 'offline')",
                "ab".repeat(32)
            )),
            "{offline}"
        );
        let exchange = table.insert_sql(literal(true));
        assert!(
            exchange.contains("VALUES (E'001', E'it\\'s', "),
            "{exchange}"
        );
        assert_eq!(
            table.delete_sql(literal(false)),
            "DELETE FROM \"public\".\"schema_revisions\" WHERE version = '001'"
        );
        assert!(table.delete_sql(Values::Bound).ends_with("version = $1"));
    }
}
