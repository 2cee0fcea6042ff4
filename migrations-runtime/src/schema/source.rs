//! The schemas `diff` compares, as its `--from` and `--to` name them, and the files of a
//! declared schema.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use super::SchemaError;

/// A schema to compare, as `diff --from/--to` name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SchemaSource {
    /// `migrations`: the revisions at head; `migrations@REV`: at a target.
    Migrations(Option<String>),
    /// `database`: the connected database as it is.
    Database,
    /// `schema:PATH`: a declared schema, one `.sql` file or a directory of them (run in name
    /// order).
    Declared(PathBuf),
}

impl FromStr for SchemaSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "migrations" => Ok(SchemaSource::Migrations(None)),
            "database" => Ok(SchemaSource::Database),
            _ => {
                if let Some(rev) = s.strip_prefix("migrations@").filter(|r| !r.is_empty()) {
                    Ok(SchemaSource::Migrations(Some(rev.to_owned())))
                } else if let Some(path) = s.strip_prefix("schema:").filter(|p| !p.is_empty()) {
                    Ok(SchemaSource::Declared(PathBuf::from(path)))
                } else {
                    Err(format!(
                        "`{s}` is no schema source: use `migrations`, `migrations@REV`, `database` or `schema:PATH`"
                    ))
                }
            }
        }
    }
}

impl fmt::Display for SchemaSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SchemaSource::Migrations(None) => f.write_str("migrations"),
            SchemaSource::Migrations(Some(rev)) => write!(f, "migrations@{rev}"),
            SchemaSource::Database => f.write_str("database"),
            SchemaSource::Declared(path) => write!(f, "schema:{}", path.display()),
        }
    }
}

/// The `.sql` scripts of a declared schema, named by path.
pub(crate) fn declared_scripts(path: &Path) -> Result<Vec<(String, String)>, SchemaError> {
    let fail = |reason: String| SchemaError::Declared {
        path: path.display().to_string(),
        reason,
    };
    let files = if path.is_dir() {
        let mut files: Vec<PathBuf> = std::fs::read_dir(path)
            .map_err(|e| fail(e.to_string()))?
            .filter_map(|entry| entry.ok().map(|e| e.path()))
            .filter(|p| p.extension().is_some_and(|x| x == "sql"))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(fail("the directory has no .sql file".to_owned()));
        }
        files
    } else {
        vec![path.to_owned()]
    };
    files
        .into_iter()
        .map(|file| {
            let sql = std::fs::read_to_string(&file)
                .map_err(|e| fail(format!("{}: {e}", file.display())))?;
            Ok((file.display().to_string(), sql))
        })
        .collect()
}
