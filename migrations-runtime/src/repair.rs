//! `repair`: after a deliberate edit of an applied revision (a comment, whitespace, a typo in a
//! message), re-record its checksum so that runners stop refusing it, for the revisions named
//! and no others, with an audit row saying who, when, and the old and new checksums.
//!
//! The audit table sits beside the history table, `<history table>_repairs`, created by the
//! first repair.

use migrations_core::{Migrations, Revision};
use tokio_postgres::GenericClient;

use crate::history::{AppliedRevision, HistoryError, HistoryTable};

/// Why `repair` refused; nothing was changed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RepairError {
    /// No revision was named.
    #[error("name the revisions to repair, e.g. `migrate repair 002`: repair never touches a revision you did not name")]
    NothingNamed,
    /// A named revision is not in this binary's table.
    #[error("`{name}` is not a revision of this binary: name one by version or directory name, as `migrate history` lists them")]
    UnknownRevision {
        /// The name given.
        name: String,
    },
    /// A named revision has no history row, so there is no checksum to re-record.
    #[error("revision {version} is not applied: there is no recorded checksum to repair (upgrade applies it)")]
    NotApplied {
        /// The revision.
        version: String,
    },
    /// A named revision's recorded checksum already matches its file.
    #[error("revision {version}'s recorded checksum already matches its file: nothing to repair; name only edited revisions (`migrate check` lists them)")]
    Unchanged {
        /// The revision.
        version: String,
    },
}

/// One re-recorded checksum.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Repair {
    /// The revision's version.
    pub version: String,
    /// Its name.
    pub name: String,
    /// The checksum recorded before, in hex.
    pub old_checksum: String,
    /// The checksum of the file now, in hex, recorded by the repair.
    pub new_checksum: String,
}

/// The revisions `names` refer to, in table order, each once; exact versions or directory
/// names only, so that a typo cannot select a revision by prefix.
pub(crate) fn select<'m>(
    migrations: &'m Migrations,
    names: &[String],
) -> Result<Vec<&'m Revision>, RepairError> {
    if names.is_empty() {
        return Err(RepairError::NothingNamed);
    }
    let mut chosen: Vec<usize> = Vec::new();
    for name in names {
        let index = migrations
            .iter()
            .position(|r| r.version() == name || r.source() == name || r.raw_version() == name);
        let index = index.ok_or_else(|| RepairError::UnknownRevision { name: name.clone() })?;
        if !chosen.contains(&index) {
            chosen.push(index);
        }
    }
    chosen.sort_unstable();
    Ok(chosen
        .into_iter()
        .map(|i| &migrations.as_slice()[i])
        .collect())
}

/// What repairing `revisions` would change, given the history `rows`; refuses unless every one
/// is applied and edited.
pub(crate) fn plan(
    revisions: &[&Revision],
    rows: &[AppliedRevision],
) -> Result<Vec<Repair>, RepairError> {
    revisions
        .iter()
        .map(|revision| {
            let version = revision.version().to_owned();
            let row = rows.iter().find(|row| row.version == version);
            let row = row.ok_or_else(|| RepairError::NotApplied {
                version: version.clone(),
            })?;
            let new_checksum = revision.checksum().to_hex();
            if row.checksum_hex() == new_checksum
                && row.checksum_algorithm == revision.checksum_algorithm().id()
            {
                return Err(RepairError::Unchanged { version });
            }
            Ok(Repair {
                version,
                name: revision.name().to_owned(),
                old_checksum: row.checksum_hex(),
                new_checksum,
            })
        })
        .collect()
}

/// Records `repair` of `revision`: the audit row, then the new checksum. Runs inside the
/// caller's transaction, under its lock.
pub(crate) async fn record(
    client: &impl GenericClient,
    table: &HistoryTable,
    revision: &Revision,
    repair: &Repair,
    reason: Option<&str>,
) -> Result<(), HistoryError> {
    let audit = table.audit();
    let failed = |source| HistoryError::Query {
        table: audit.qualified(),
        source,
    };
    client
        .batch_execute(&audit_sql(&audit))
        .await
        .map_err(failed)?;
    let insert = format!(
        "INSERT INTO {} (version, old_checksum, new_checksum, checksum_algorithm, reason)
         VALUES ($1, decode($2, 'hex'), decode($3, 'hex'), $4, $5)",
        audit.qualified()
    );
    let algorithm = revision.checksum_algorithm().id();
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 5] = [
        &repair.version,
        &repair.old_checksum,
        &repair.new_checksum,
        &algorithm,
        &reason,
    ];
    client.execute(&insert, &params).await.map_err(failed)?;
    table.set_checksum(client, revision).await
}

/// The audit table's DDL, idempotent.
fn audit_sql(audit: &HistoryTable) -> String {
    format!(
        "CREATE TABLE IF NOT EXISTS {} (
    id                 bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    version            text        NOT NULL,
    old_checksum       bytea       NOT NULL,
    new_checksum       bytea       NOT NULL,
    checksum_algorithm smallint    NOT NULL,
    repaired_at        timestamptz NOT NULL DEFAULT now(),
    repaired_by        text        NOT NULL DEFAULT current_user,
    reason             text
);
COMMENT ON TABLE {} IS {};",
        audit.qualified(),
        audit.qualified(),
        crate::quote::literal("checksums re-recorded by `migrate repair`: who, when, old and new")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(version: &str, checksum: Vec<u8>) -> AppliedRevision {
        AppliedRevision {
            version: version.into(),
            name: "x".into(),
            checksum,
            checksum_algorithm: 1,
            applied_at: String::new(),
            duration_ms: None,
            applied_by: "me".into(),
            method: "upgrade".into(),
        }
    }

    #[test]
    fn only_applied_and_edited_revisions_are_repaired() {
        let dir = tempfile::tempdir().expect("tempdir");
        for (name, sql) in [("001_a", "SELECT 1;"), ("002_b", "SELECT 2;")] {
            let path = dir.path().join(name);
            std::fs::create_dir(&path).expect("mkdir");
            std::fs::write(path.join("up.sql"), sql).expect("up");
            std::fs::write(path.join("down.sql"), "SELECT 0;").expect("down");
        }
        let set = migrations_core::load_dir(dir.path(), "m", Default::default()).expect("valid");
        let names = ["002_b".to_owned(), "001".to_owned(), "002".to_owned()];
        let chosen = select(&set, &names).expect("known");
        assert_eq!(chosen.len(), 2, "each once, in order");
        let current = chosen[0].checksum().0.to_vec();
        let rows = [row("001", current), row("002", vec![0; 32])];
        let repairs = plan(&chosen[1..], &rows).expect("002 was edited");
        assert_eq!(repairs[0].old_checksum, "00".repeat(32));
        assert!(
            matches!(plan(&chosen, &rows), Err(RepairError::Unchanged { version }) if version == "001")
        );
        assert!(matches!(
            plan(&chosen[1..], &rows[..1]),
            Err(RepairError::NotApplied { .. })
        ));
        let unknown = select(&set, &["00".to_owned()]);
        assert!(matches!(unknown, Err(RepairError::UnknownRevision { name }) if name == "00"));
        assert!(matches!(select(&set, &[]), Err(RepairError::NothingNamed)));
    }
}
