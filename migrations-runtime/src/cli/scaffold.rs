//! `revision -m "message"`: the next revision's directory with templated scripts.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use migrations_core::{scan, Layout, ScanOptions};

use super::CliError;

/// What a new revision is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Language {
    /// `up.sql` and `down.sql`.
    Sql,
    /// `up.rs` and `down.rs`, run once or (`batched`) batch by batch.
    Rust {
        /// A function taking a cursor.
        batched: bool,
    },
}

/// Creates `<dir>/<next version>_<slug>/{up,down}.sql` (or `.rs`) and prints the path.
pub(super) fn create(dir: &Path, message: &str, language: Language) -> Result<PathBuf, CliError> {
    match language {
        Language::Sql => create_with(
            dir,
            message,
            &template(message, "up"),
            &template(message, "down"),
        ),
        Language::Rust { batched } => create_files(
            dir,
            message,
            ("up.rs", &rust_template(message, "up", batched)),
            ("down.rs", &rust_template(message, "down", batched)),
        ),
    }
}

/// Creates the next revision with the given scripts, in the directory's layout, and prints
/// its path.
pub(super) fn create_with(
    dir: &Path,
    message: &str,
    up: &str,
    down: &str,
) -> Result<PathBuf, CliError> {
    create_files(dir, message, ("up.sql", up), ("down.sql", down))
}

/// [`create_with`] for scripts named `up` and `down` (`up.sql`, `up.rs`).
fn create_files(
    dir: &Path,
    message: &str,
    (up_name, up): (&str, &str),
    (down_name, down): (&str, &str),
) -> Result<PathBuf, CliError> {
    let slug = slugify(message);
    let report = scan(
        dir,
        &dir.display().to_string(),
        ScanOptions {
            allow_up_only: true,
            ..ScanOptions::default()
        },
    );
    let existing: Vec<String> = report
        .revisions
        .iter()
        .map(|r| r.version().to_owned())
        .collect();
    let raw_newest = newest_raw_version(dir);
    let version = next_version(&existing, raw_newest.as_deref(), SystemTime::now());
    let write = |path: PathBuf, body: String| {
        fs::write(&path, body).map_err(|source| CliError::Write {
            path: path.display().to_string(),
            source,
        })
    };
    let created = if report.layout == Some(Layout::Flat) {
        if up_name.ends_with(".rs") {
            return Err(CliError::FlatRust {
                dir: dir.display().to_string(),
            });
        }
        let base = dir.join(format!("{version}_{slug}"));
        write(base.with_extension("up.sql"), up.to_owned())?;
        write(base.with_extension("down.sql"), down.to_owned())?;
        base
    } else {
        let path = dir.join(format!("{version}_{slug}"));
        fs::create_dir_all(&path).map_err(|source| CliError::Write {
            path: path.display().to_string(),
            source,
        })?;
        write(path.join(up_name), up.to_owned())?;
        write(path.join(down_name), down.to_owned())?;
        path
    };
    println!("created {}", created.display());
    Ok(created)
}

fn template(message: &str, direction: &str) -> String {
    let what = if direction == "up" { "Apply" } else { "Revert" };
    format!(
        "-- {message} ({direction})\n-- {what} the change here. The revision runs in one transaction together with its history row.\n-- Options go on the first line: `-- migrate: no-transaction` or `-- migrate: irreversible` (up.sql only).\n"
    )
}

fn rust_template(message: &str, direction: &str, batched: bool) -> String {
    let what = if direction == "up" { "Apply" } else { "Revert" };
    let header = format!(
        "// {message} ({direction})\n// {what} the change here. Name tables and columns as they are at this revision, with your own\n// queries and row types (not the data layer's, which follow the newest schema): the code must keep\n// meaning the same as the schema moves on. Options go on the first line of up.rs:\n// `// migrate: irreversible, statement-timeout=10min` (then delete down.rs).\n\nuse migrations_runtime::tokio_postgres::{{Error, Transaction}};\n\n"
    );
    let body = if batched {
        format!(
            "/// One batch: the rows after `after` (by key), committed with the cursor it returns; called\n/// again until it returns `Ok(None)`. A killed run resumes after the last committed batch.\npub async fn {direction}(tx: &mut Transaction<'_>, after: Option<i64>) -> Result<Option<i64>, Error> {{\n    let rows = tx\n        .query(\"SELECT id FROM my_table WHERE id > $1 ORDER BY id LIMIT 1000\", &[&after.unwrap_or(0)])\n        .await?;\n    Ok(rows.last().map(|row| row.get(0)))\n}}\n"
        )
    } else {
        format!(
            "/// Runs once, in the transaction that records the revision.\npub async fn {direction}(tx: &mut Transaction<'_>) -> Result<(), Error> {{\n    tx.batch_execute(\"SELECT 1\").await\n}}\n"
        )
    };
    header + &body
}

/// Lowercase words joined by `_`.
pub(super) fn slugify(message: &str) -> String {
    let words: Vec<String> = message
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if words.is_empty() {
        "revision".to_owned()
    } else {
        words.join("_")
    }
}

/// The newest directory version as written (to keep diesel's dashes).
fn newest_raw_version(dir: &Path) -> Option<String> {
    let mut raw: Vec<String> = fs::read_dir(dir)
        .ok()?
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| {
            migrations_core::name::parse_dir_name(&n)?
                .ok()
                .map(|v| v.raw)
        })
        .collect();
    raw.sort_by_key(|v| v.replace('-', ""));
    raw.pop()
}

/// The version after `existing`: the same numbering scheme, one step later. Timestamps (12+
/// digits) get the current UTC time, in the same shape (`2024-01-31-120000` or `20240131120000`).
pub(super) fn next_version(
    existing: &[String],
    newest_raw: Option<&str>,
    now: SystemTime,
) -> String {
    let newest = existing.iter().max_by_key(|v| (v.len(), v.as_str()));
    match newest {
        None => "001".to_owned(),
        Some(v) if v.len() >= 12 => {
            let stamp = utc_timestamp(now);
            let dashed = newest_raw.is_some_and(|r| r.contains('-'));
            let stamp = if stamp.as_str() > v.as_str() {
                stamp
            } else {
                (v.parse::<u128>().unwrap_or(0) + 1).to_string()
            };
            if dashed && stamp.len() == 14 {
                format!(
                    "{}-{}-{}-{}",
                    &stamp[..4],
                    &stamp[4..6],
                    &stamp[6..8],
                    &stamp[8..]
                )
            } else {
                stamp
            }
        }
        Some(v) => format!(
            "{:0width$}",
            v.parse::<u128>().unwrap_or(0) + 1,
            width = v.len()
        ),
    }
}

/// `YYYYMMDDHHMMSS` in UTC.
fn utc_timestamp(now: SystemTime) -> String {
    let secs = now
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let (days, rem) = (secs / 86_400, secs % 86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}{month:02}{day:02}{:02}{:02}{:02}",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn versions_follow_the_existing_scheme() {
        let t = UNIX_EPOCH + Duration::from_secs(1_795_000_000); // 2026-11-18T11:06:40Z
        assert_eq!(utc_timestamp(t), "20261118110640");
        assert_eq!(next_version(&[], None, t), "001");
        assert_eq!(next_version(&["001".into(), "002".into()], None, t), "003");
        assert_eq!(
            next_version(&["20240101120000".into()], None, t),
            "20261118110640"
        );
        assert_eq!(
            next_version(&["20240101120000".into()], Some("2024-01-01-120000"), t),
            "2026-11-18-110640"
        );
        assert_eq!(
            slugify("Add notes to call_sessions!"),
            "add_notes_to_call_sessions"
        );
    }
}
