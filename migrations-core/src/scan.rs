//! Reading a migrations directory: classify every entry as part of a revision, as clearly not a
//! migration (ignored, listed by `check --verbose`), or as a malformed migration (a problem).

use std::fs;
use std::path::Path;

use crate::assemble::{self, Candidate};
use crate::cache::Cache;
use crate::name::{self, FlatDefect, NameDefect};
use crate::problem::{Ignored, Problem};
use crate::report::FileData;
pub use crate::report::{ScanOptions, ScanReport};
use crate::revision::Layout;

/// Scans `dir`. `display` is how the directory is named in messages (as the user wrote it).
pub fn scan(dir: &Path, display: &str, options: ScanOptions) -> ScanReport {
    scan_cached(dir, display, options, &mut Cache::disabled())
}

/// [`scan`], reusing the statement boundaries and syntax errors `cache` holds for files that
/// did not change.
pub fn scan_cached(
    dir: &Path,
    display: &str,
    options: ScanOptions,
    cache: &mut Cache,
) -> ScanReport {
    let mut report = ScanReport::default();
    let display = display.trim_end_matches('/');
    let entries = match list(dir, display, &mut report, true) {
        Some(entries) => entries,
        None => return report,
    };
    let mut directories = Vec::new();
    let mut flats = Vec::new();
    let mut baseline = false;
    for entry in entries {
        let path = format!("{display}/{}", entry.name);
        if entry.name.starts_with('.') {
            report.ignored.push(Ignored {
                path,
                reason: "hidden entry",
            });
        } else if entry.is_dir && entry.name == crate::baseline::DIR {
            // Read once the revisions are known: it is checked against them.
            baseline = true;
        } else if entry.is_dir {
            classify_dir(dir, display, &entry.name, &mut report, &mut directories);
        } else {
            classify_file(dir, display, &entry.name, &mut report, &mut flats);
        }
    }
    if let (Some(d), Some(f)) = (directories.first(), flats.first()) {
        report.problems.push(Problem::MixedLayouts {
            dir: display.to_owned(),
            directory: format!("{display}/{}", d.source),
            file: f.data.display.clone(),
        });
        return report;
    }
    let (layout, candidates) = if flats.is_empty() {
        (Layout::Directories, directories)
    } else {
        (
            Layout::Flat,
            crate::flat::pair_flat(flats, options, &mut report),
        )
    };
    if !candidates.is_empty() {
        report.layout = Some(layout);
    }
    assemble::finish(layout, candidates, options, cache, &mut report);
    if baseline {
        crate::squashed::check(dir, display, cache, &mut report);
    }
    if !options.unlocked {
        crate::locked::check(dir, display, &mut report);
    }
    report
}

struct Entry {
    name: String,
    is_dir: bool,
}

/// Lists a directory sorted by name; non-UTF-8 names are problems.
fn list(dir: &Path, display: &str, report: &mut ScanReport, top: bool) -> Option<Vec<Entry>> {
    let read = match fs::read_dir(dir) {
        Ok(read) => read,
        Err(e) if top && e.kind() == std::io::ErrorKind::NotFound => {
            report.problems.push(Problem::DirectoryMissing {
                dir: display.to_owned(),
            });
            return None;
        }
        Err(_) if top && dir.exists() && !dir.is_dir() => {
            report.problems.push(Problem::NotADirectory {
                dir: display.to_owned(),
            });
            return None;
        }
        Err(e) => {
            report.problems.push(Problem::Unreadable {
                path: display.to_owned(),
                message: e.to_string(),
            });
            return None;
        }
    };
    let mut entries = Vec::new();
    for item in read {
        let item = match item {
            Ok(item) => item,
            Err(e) => {
                report.problems.push(Problem::Unreadable {
                    path: display.to_owned(),
                    message: e.to_string(),
                });
                continue;
            }
        };
        let Ok(name) = item.file_name().into_string() else {
            report.problems.push(Problem::BadName {
                path: format!("{display}/{}", item.file_name().to_string_lossy()),
                reason: "the name is not valid UTF-8; rename it".into(),
            });
            continue;
        };
        // Follow symlinks: a linked revision directory is a revision directory.
        let is_dir = fs::metadata(item.path())
            .map(|m| m.is_dir())
            .unwrap_or(false);
        entries.push(Entry { name, is_dir });
    }
    entries.sort_by(|a, b| a.name.cmp(&b.name));
    Some(entries)
}

fn classify_dir(
    dir: &Path,
    display: &str,
    name: &str,
    report: &mut ScanReport,
    out: &mut Vec<Candidate>,
) {
    let path = format!("{display}/{name}");
    match name::parse_dir_name(name) {
        None => {
            let holds = ["up.sql", "down.sql", "up.rs", "down.rs"]
                .into_iter()
                .find(|s| dir.join(name).join(s).is_file());
            match holds {
                Some(script) => report.problems.push(Problem::Unversioned {
                    path,
                    name: name.to_owned(),
                    script: script.to_owned(),
                    example: "001".to_owned(),
                }),
                None => report.ignored.push(Ignored {
                    path,
                    reason: "directory without a version",
                }),
            }
        }
        Some(Err(defect)) => report.problems.push(Problem::BadName {
            path,
            reason: dir_defect(defect).into(),
        }),
        Some(Ok(version)) => {
            if let Some(candidate) =
                read_revision_dir(&dir.join(name), &path, name, version, report)
            {
                out.push(candidate);
            }
        }
    }
}

fn dir_defect(defect: NameDefect) -> &'static str {
    match defect {
        NameDefect::NoSlug => "a version needs a name after it: `<version>_<name>`, e.g. `003_add_notes`",
        NameDefect::BadSeparator => {
            "the version must be digits (dashes allowed) followed by `_` and a name, e.g. `003_add_notes` or `2014-11-13-193818_create_users`"
        }
    }
}

/// Reads `<dir>/<version>_<slug>/`: up.sql or up.rs, down.sql or down.rs, metadata.toml; flags
/// misnamed scripts.
fn read_revision_dir(
    path: &Path,
    display: &str,
    name: &str,
    version: name::VersionName,
    report: &mut ScanReport,
) -> Option<Candidate> {
    let entries = list(path, display, report, false)?;
    let mut candidate = Candidate::new(name, version);
    let mut stray_up = false;
    for entry in entries {
        let file_display = format!("{display}/{}", entry.name);
        match entry.name.as_str() {
            _ if entry.name.starts_with('.') => report.ignored.push(Ignored {
                path: file_display,
                reason: "hidden entry",
            }),
            _ if entry.is_dir => report.ignored.push(Ignored {
                path: file_display,
                reason: "directory inside a revision",
            }),
            "up.sql" => {
                candidate.has_up = true;
                candidate.up = read_file(
                    &path.join("up.sql"),
                    file_display,
                    format!("{name}/up.sql"),
                    report,
                );
            }
            "down.sql" => {
                candidate.down = read_file(
                    &path.join("down.sql"),
                    file_display,
                    format!("{name}/down.sql"),
                    report,
                )
            }
            "up.rs" => {
                candidate.has_up = true;
                candidate.up_rust = read_file(
                    &path.join("up.rs"),
                    file_display,
                    format!("{name}/up.rs"),
                    report,
                );
            }
            "down.rs" => {
                candidate.down_rust = read_file(
                    &path.join("down.rs"),
                    file_display,
                    format!("{name}/down.rs"),
                    report,
                )
            }
            "metadata.toml" => {
                candidate.metadata = read_file(
                    &path.join("metadata.toml"),
                    file_display,
                    String::new(),
                    report,
                )
            }
            other => match stray_hint(other) {
                Some(hint) => {
                    // A misnamed `up.*` already says what to do; "has no up.sql" would repeat it.
                    stray_up |= other.to_ascii_lowercase().starts_with("up");
                    report.problems.push(Problem::StrayFile {
                        path: file_display,
                        hint: hint.into(),
                    });
                }
                None => report.ignored.push(Ignored {
                    path: file_display,
                    reason: "helper file inside a revision (not executed)",
                }),
            },
        }
    }
    if !candidate.has_up && !stray_up {
        report.problems.push(Problem::MissingUp {
            path: display.to_owned(),
        });
    }
    if !candidate.has_up {
        return None;
    }
    Some(candidate)
}

/// For a file inside a revision directory that is not up.sql/down.sql/metadata.toml: a hint when
/// it looks like a misnamed script (`up.SQL`, `upp.sql`, `Down.sql`, `up.txt`).
fn stray_hint(name: &str) -> Option<&'static str> {
    let lower = name.to_ascii_lowercase();
    let stem = lower.split('.').next().unwrap_or_default();
    if matches!(stem, "up" | "down") || lower.ends_with(".sql") || lower.ends_with(".rs") {
        Some("looks like a migration script but only `up.sql` and `down.sql` (or `up.rs` and `down.rs`, lowercase) are run: rename it, or move it out of the revision directory")
    } else if stem == "metadata" {
        Some("is not read: the options file must be named `metadata.toml`")
    } else {
        None
    }
}

fn classify_file(
    dir: &Path,
    display: &str,
    name: &str,
    report: &mut ScanReport,
    out: &mut Vec<crate::flat::FlatFile>,
) {
    let path = format!("{display}/{name}");
    // Not a migration, but not ignored either: the lint reads it (`lint::Config::load`).
    // Nor is the lock file, which is checked once the revisions are known.
    if name == "lint.toml" || name == crate::lock::FILE {
        return;
    }
    if matches!(name, "up.sql" | "down.sql" | "metadata.toml") {
        report.problems.push(Problem::MisplacedScript {
            path,
            example: format!("{display}/001_<name>/{name}"),
        });
        return;
    }
    match name::parse_flat_name(name) {
        None if name.to_ascii_lowercase().ends_with(".sql") => report.ignored.push(Ignored {
            path,
            reason: "SQL file without a version",
        }),
        None => report.ignored.push(Ignored {
            path,
            reason: "not an SQL file",
        }),
        Some(Err(defect)) => report.problems.push(Problem::BadName {
            path,
            reason: flat_defect(defect).into(),
        }),
        Some(Ok(flat)) => {
            if let Some(data) = read_file(&dir.join(name), path, name.to_owned(), report) {
                out.push(crate::flat::FlatFile { name: flat, data });
            }
        }
    }
}

fn flat_defect(defect: FlatDefect) -> &'static str {
    match defect {
        FlatDefect::ExtensionCase => "write the suffix in lowercase: `.up.sql`, `.down.sql` or `.sql`",
        FlatDefect::NoVersion => "an up/down script needs a version: `<version>_<name>.up.sql`, e.g. `20240101120000_add_users.up.sql`",
        FlatDefect::VersionNotInteger => "flat file versions are integers that fit in 64 bits (as sqlx reads them), followed by `_`, e.g. `20240101120000_add_users.up.sql`",
        FlatDefect::Malformed(NameDefect::NoSlug) => "a version needs a name after it: `<version>_<name>.up.sql`",
        FlatDefect::Malformed(NameDefect::BadSeparator) => "the version must be followed by `_` and a name: `<version>_<name>.up.sql`",
    }
}

/// Reads and normalises a file; `rel` is its path relative to the migrations directory.
pub(crate) fn read_file(
    path: &Path,
    display: String,
    rel: String,
    report: &mut ScanReport,
) -> Option<FileData> {
    let bytes = match fs::read(path) {
        Ok(bytes) => bytes,
        Err(e) => {
            report.problems.push(Problem::Unreadable {
                path: display,
                message: e.to_string(),
            });
            return None;
        }
    };
    match crate::source::normalise(&bytes) {
        Ok(text) => Some(FileData { display, rel, text }),
        Err((line, offset)) => {
            report.problems.push(Problem::NotUtf8 {
                path: display,
                line,
                offset,
            });
            None
        }
    }
}
