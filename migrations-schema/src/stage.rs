//! Splitting a diff into revisions that follow the safety lint's advice: enum labels added
//! outside a transaction before anything uses them, the schema changes in one transaction, and
//! the work that must not block writers (indexes on existing tables built `CONCURRENTLY`,
//! constraints added `NOT VALID` and validated) outside a transaction after them.

use migrations_core::quote;

use crate::change::{Action, Change, Diff, Hazard, ObjectKind};
use crate::model::*;

/// What a stage is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purpose {
    /// `ALTER TYPE ... ADD VALUE`, committed before the labels are used.
    Labels,
    /// Everything else, in one transaction.
    Schema,
    /// `CREATE INDEX CONCURRENTLY` and `VALIDATE CONSTRAINT` on tables in use.
    Online,
}

impl Purpose {
    /// A word for a revision's slug.
    pub fn slug(self) -> &'static str {
        match self {
            Purpose::Labels => "labels",
            Purpose::Schema => "schema",
            Purpose::Online => "online",
        }
    }
}

/// One revision's worth of a diff.
#[derive(Debug, Clone)]
pub struct Stage {
    /// What it is for.
    pub purpose: Purpose,
    /// Whether it runs in one transaction (otherwise `-- migrate: no-transaction`, each
    /// statement on its own).
    pub transactional: bool,
    /// Its changes, in order.
    pub diff: Diff,
}

/// Splits `diff` (from `from` to `to`) into stages; empty stages are left out, and a diff with
/// nothing to split off is one [`Purpose::Schema`] stage.
pub fn stages(from: &Catalog, to: &Catalog, diff: &Diff) -> Vec<Stage> {
    let mut labels = Vec::new();
    let mut schema = Vec::new();
    let mut online = Vec::new();
    for change in &diff.changes {
        if is_label_addition(change) {
            // Outside a transaction, the label is committed before the next revision uses it.
            let mut added = change.clone();
            added.hazard = None;
            labels.push(added);
        } else if let Some(index) = existing_index(from, to, change) {
            online.push(concurrently(change.clone(), index));
        } else if let Some((table, name)) = checked_later(from, to, change) {
            let mut added = change.clone();
            if let Some(first) = added.sql.first_mut() {
                first.push_str(" NOT VALID");
            }
            added.hazard = None;
            let why = "fails while existing rows violate it: fix them and run it again".to_owned();
            let mut validate = Change::new(
                ObjectKind::Constraint,
                change.object.clone(),
                Action::Alter,
                change.phase,
            )
            .continuation()
            .hazard(Hazard::MayFail(why))
            .sql(format!(
                "ALTER TABLE {table} VALIDATE CONSTRAINT {}",
                quote::name(&name)
            ));
            validate.rank = change.rank;
            schema.push(added);
            online.push(validate);
        } else {
            schema.push(change.clone());
        }
    }
    let stage = |purpose, transactional, changes: Vec<Change>| Stage {
        purpose,
        transactional,
        diff: Diff { changes },
    };
    [
        stage(Purpose::Labels, false, labels),
        stage(Purpose::Schema, true, schema),
        stage(Purpose::Online, false, online),
    ]
    .into_iter()
    .filter(|s| !s.diff.is_empty())
    .collect()
}

fn is_label_addition(change: &Change) -> bool {
    change.kind == ObjectKind::Enum
        && change.action == Action::Alter
        && !change.sql.is_empty()
        && change
            .sql
            .iter()
            .all(|s| s.starts_with("ALTER TYPE ") && s.contains(" ADD VALUE "))
}

/// The index a change creates or rebuilds on a relation that exists before the diff.
fn existing_index<'c>(from: &'c Catalog, to: &'c Catalog, change: &Change) -> Option<&'c Index> {
    if change.kind != ObjectKind::Index || change.action == Action::Drop {
        return None;
    }
    let (_, index) = to
        .indexes
        .iter()
        .find(|(name, _)| name.to_string() == change.object)?;
    // A partitioned table cannot build an index CONCURRENTLY (PostgreSQL builds it on each
    // partition in one go); a unique index a new foreign key needs must exist before that key.
    let partitioned = from
        .tables
        .get(&index.table)
        .is_some_and(|t| t.partition_by.is_some());
    let exists = from.tables.contains_key(&index.table) || from.views.contains_key(&index.table);
    let needed = index.unique && referenced_by_new_key(from, to, &index.table);
    (exists && !partitioned && !needed).then_some(index)
}

/// Whether a foreign key the diff adds references `table` (whose unique index it then needs).
fn referenced_by_new_key(from: &Catalog, to: &Catalog, table: &Name) -> bool {
    to.constraints
        .iter()
        .any(|(key, c)| c.references(table) && !from.constraints.contains_key(key))
}

/// `CREATE [UNIQUE] INDEX CONCURRENTLY` and `DROP INDEX CONCURRENTLY`.
fn concurrently(mut change: Change, index: &Index) -> Change {
    let plain = if index.unique {
        "CREATE UNIQUE INDEX "
    } else {
        "CREATE INDEX "
    };
    for statement in &mut change.sql {
        if let Some(rest) = statement.strip_prefix(plain) {
            *statement = format!("{plain}CONCURRENTLY {rest}");
        } else if let Some(rest) = statement.strip_prefix("DROP INDEX ") {
            *statement = format!("DROP INDEX CONCURRENTLY {rest}");
        }
    }
    change.hazard = None;
    change
}

/// A foreign key or check constraint the change adds to a table that exists before the diff:
/// added `NOT VALID` (only new rows are checked) and validated later, without blocking writes.
fn checked_later(from: &Catalog, to: &Catalog, change: &Change) -> Option<(Name, String)> {
    if change.kind != ObjectKind::Constraint || change.action != Action::Create {
        return None;
    }
    let ((table, name), constraint) = to
        .constraints
        .iter()
        .find(|((table, name), _)| format!("{} on {table}", quote::name(name)) == change.object)?;
    // A partitioned table takes no NOT VALID foreign key.
    let partitioned = from
        .tables
        .get(table)
        .is_some_and(|t| t.partition_by.is_some());
    let later = matches!(
        constraint.kind,
        ConstraintKind::ForeignKey | ConstraintKind::Check
    ) && constraint.validated
        && from.tables.contains_key(table)
        && !(partitioned && constraint.kind == ConstraintKind::ForeignKey);
    later.then(|| (table.clone(), name.clone()))
}

/// The index changes of `diff` (towards `to`) alone, built and dropped `CONCURRENTLY`: the down
/// script of an [`Purpose::Online`] stage, where validated constraints need no undoing.
pub fn concurrent_index_changes(to: &Catalog, diff: &Diff) -> Diff {
    let changes = diff
        .changes
        .iter()
        .filter(|c| c.kind == ObjectKind::Index)
        .map(|c| {
            let unique = to
                .indexes
                .iter()
                .find(|(name, _)| name.to_string() == c.object)
                .is_some_and(|(_, i)| i.unique);
            let index = Index {
                table: Name::new("", ""),
                unique,
                definition: String::new(),
                comment: None,
            };
            concurrently(c.clone(), &index)
        })
        .collect();
    Diff { changes }
}
