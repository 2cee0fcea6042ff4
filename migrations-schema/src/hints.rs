//! Renames a person declares (`--rename calls.note=calls.summary`): a catalog cannot tell a
//! renamed table or column from one dropped and another added, and guessing wrong loses the
//! values, so the diff renames only what it is told to.

use std::fmt;

use migrations_core::quote;

use crate::change::{Action, Change, Diff, ObjectKind, Phase};
use crate::model::*;

/// One declared rename: a table (`calls=call_log`) or a column (`calls.note=calls.summary`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rename {
    /// The text as given, for messages.
    pub text: String,
    from: Vec<String>,
    to: Vec<String>,
}

/// A rename that does not name what the catalogs hold.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum RenameError {
    /// Not `old=new` with one to three dot-separated names on each side.
    #[error("`{text}` is not a rename: write `table=new_table` or `table.column=table.new_column` (optionally schema-qualified)")]
    Syntax {
        /// The text.
        text: String,
    },
    /// The old name is not in the source schema, or the new one is not in the target.
    #[error("rename `{text}`: {problem}")]
    Unknown {
        /// The text.
        text: String,
        /// What is missing where.
        problem: String,
    },
}

impl std::str::FromStr for Rename {
    type Err = RenameError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let syntax = || RenameError::Syntax {
            text: text.to_owned(),
        };
        let (left, right) = text.split_once('=').ok_or_else(syntax)?;
        let parts =
            |side: &str| -> Vec<String> { side.trim().split('.').map(str::to_owned).collect() };
        let (from, to) = (parts(left), parts(right));
        let valid = |p: &[String]| (1..=3).contains(&p.len()) && p.iter().all(|s| !s.is_empty());
        if !valid(&from) || !valid(&to) || from.len() != to.len() {
            return Err(syntax());
        }
        Ok(Rename {
            text: text.to_owned(),
            from,
            to,
        })
    }
}

impl fmt::Display for Rename {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

/// What a rename resolved to against the catalogs.
enum Resolved {
    Table {
        old: Name,
        new: Name,
    },
    Column {
        table: Name,
        old: String,
        new: String,
    },
}

impl Rename {
    /// The same rename the other way round, for the down script.
    pub fn reversed(&self) -> Rename {
        Rename {
            text: format!("{}={}", self.to.join("."), self.from.join(".")),
            from: self.to.clone(),
            to: self.from.clone(),
        }
    }

    fn resolve(&self, from: &Catalog, to: &Catalog) -> Result<Resolved, RenameError> {
        let unknown = |problem: String| RenameError::Unknown {
            text: self.text.clone(),
            problem,
        };
        let table_of = |parts: &[String]| match parts {
            [table] => Name::new("public", table),
            [schema, table, ..] => Name::new(schema, table),
            [] => Name::new("public", ""),
        };
        let column = match self.from.as_slice() {
            [_] => false,
            [_, _, _] => true,
            // `a.b`: a column of table `a` when there is such a table, else table `b` of
            // schema `a`.
            [table, _] => from.tables.contains_key(&Name::new("public", table)),
            _ => false,
        };
        if !column {
            let (old, new) = (table_of(&self.from), table_of(&self.to));
            if !from.tables.contains_key(&old) {
                return Err(unknown(format!("there is no table {old} to rename")));
            }
            if !to.tables.contains_key(&new) || from.tables.contains_key(&new) {
                return Err(unknown(format!("the target schema has no new table {new}")));
            }
            if old.schema != new.schema {
                return Err(unknown(
                    "moving a table to another schema is not a rename".to_owned(),
                ));
            }
            return Ok(Resolved::Table { old, new });
        }
        let split = |parts: &[String]| match parts {
            [table, column] => (Name::new("public", table), column.clone()),
            [schema, table, column] => (Name::new(schema, table), column.clone()),
            _ => (Name::new("public", ""), String::new()),
        };
        let ((table, old), (new_table, new)) = (split(&self.from), split(&self.to));
        if table != new_table {
            return Err(unknown(
                "a column is renamed within its table: name the same table on both sides"
                    .to_owned(),
            ));
        }
        let has = |c: &Catalog, column: &str| {
            c.tables
                .get(&table)
                .is_some_and(|t| t.column(column).is_some())
        };
        if !has(from, &old) {
            return Err(unknown(format!(
                "table {table} has no column {} to rename",
                quote::name(&old)
            )));
        }
        if !has(to, &new) || has(from, &new) {
            return Err(unknown(format!(
                "the target schema has no new column {} in {table}",
                quote::name(&new)
            )));
        }
        Ok(Resolved::Column { table, old, new })
    }
}

/// Replaces the identifier `old` by `new` where it stands as a whole word (bare or quoted).
fn replace_identifier(text: &str, old: &str, new: &str) -> String {
    let (bare_old, new) = (quote::name(old), quote::name(new));
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    let word = |c: char| c.is_alphanumeric() || c == '_' || c == '$';
    while let Some(at) = rest.find(&bare_old) {
        let before = rest[..at].chars().next_back();
        let after = rest[at + bare_old.len()..].chars().next();
        out.push_str(&rest[..at]);
        if before.is_some_and(word) || after.is_some_and(word) {
            out.push_str(&bare_old);
        } else {
            out.push_str(&new);
        }
        rest = &rest[at + bare_old.len()..];
    }
    out.push_str(rest);
    out
}

/// Moves the entries of table `old` to table `new`.
fn rekey<V>(map: &mut std::collections::BTreeMap<(Name, String), V>, old: &Name, new: &Name) {
    let keys: Vec<(Name, String)> = map.keys().filter(|(t, _)| t == old).cloned().collect();
    for key in keys {
        if let Some(value) = map.remove(&key) {
            map.insert((new.clone(), key.1), value);
        }
    }
}

/// Applies the renames to `from` and emits their statements.
pub(crate) fn apply(
    from: &mut Catalog,
    to: &Catalog,
    renames: &[Rename],
    out: &mut Vec<Change>,
) -> Result<(), RenameError> {
    for rename in renames {
        match rename.resolve(from, to)? {
            Resolved::Table { old, new } => {
                if let Some(table) = from.tables.remove(&old) {
                    from.tables.insert(new.clone(), table);
                }
                rekey(&mut from.constraints, &old, &new);
                rekey(&mut from.triggers, &old, &new);
                rekey(&mut from.policies, &old, &new);
                for index in from.indexes.values_mut().filter(|i| i.table == old) {
                    index.table = new.clone();
                }
                out.push(
                    Change::new(
                        ObjectKind::Table,
                        new.to_string(),
                        Action::Alter,
                        Phase::Rename,
                    )
                    .found(format!("named {}", quote::name(&old.name)))
                    .expected(format!(
                        "named {} (declared rename)",
                        quote::name(&new.name)
                    ))
                    .sql(format!(
                        "ALTER TABLE {old} RENAME TO {}",
                        quote::name(&new.name)
                    )),
                );
            }
            Resolved::Column { table, old, new } => {
                if let Some(t) = from.tables.get_mut(&table) {
                    for column in t.columns.iter_mut().filter(|c| c.name == old) {
                        column.name = new.clone();
                    }
                }
                for ((t, _), constraint) in from.constraints.iter_mut() {
                    if *t == table {
                        constraint.definition =
                            replace_identifier(&constraint.definition, &old, &new);
                    }
                }
                for index in from.indexes.values_mut().filter(|i| i.table == table) {
                    index.definition = replace_identifier(&index.definition, &old, &new);
                }
                let object = format!("{table}.{}", quote::name(&new));
                out.push(
                    Change::new(ObjectKind::Column, object, Action::Alter, Phase::Rename)
                        .found(format!("named {}", quote::name(&old)))
                        .expected(format!("named {} (declared rename)", quote::name(&new)))
                        .sql(format!(
                            "ALTER TABLE {table} RENAME COLUMN {} TO {}",
                            quote::name(&old),
                            quote::name(&new)
                        )),
                );
            }
        }
    }
    Ok(())
}

/// [`crate::diff`], with the declared renames made first (as `RENAME` statements, keeping the
/// values) instead of a drop and an add.
pub fn diff_with_renames(
    from: &Catalog,
    to: &Catalog,
    renames: &[Rename],
) -> Result<Diff, RenameError> {
    crate::diff::diff_renamed(from, to, renames)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identifiers_are_replaced_as_whole_words_only() {
        assert_eq!(
            replace_identifier("UNIQUE (note, notes)", "note", "summary"),
            "UNIQUE (summary, notes)"
        );
        assert_eq!(
            replace_identifier("CHECK ((length(note) < 5))", "note", "user"),
            "CHECK ((length(\"user\") < 5))"
        );
    }

    #[test]
    fn renames_parse_or_say_how_to_write_them() {
        assert!("calls.note=calls.summary".parse::<Rename>().is_ok());
        assert!("calls=call_log".parse::<Rename>().is_ok());
        let err = "calls.note"
            .parse::<Rename>()
            .expect_err("no `=`")
            .to_string();
        assert!(
            err.contains("write `table=new_table` or `table.column=table.new_column`"),
            "{err}"
        );
        assert!(
            "a.b=c".parse::<Rename>().is_err(),
            "both sides name the same kind of object"
        );
    }
}
