//! `migrate lint`: what `embed_migrations!` reports at compile time about a directory's SQL,
//! listed at run time: syntax errors, and the safety lint's findings under the directory's
//! `lint.toml`. Exit 1 when anything would fail the build, 0 for warnings only.

use std::process::ExitCode;

use migrations_core::{scan, InvalidDirectory, ScanOptions};
use serde::Serialize;

use super::{CliError, Format, Source};

/// One line of the listing.
#[derive(Debug, Serialize)]
struct Entry {
    /// `error` or `warning`.
    level: &'static str,
    /// The rule id, or `syntax` / `opt-out` for the other errors.
    rule: String,
    /// The file.
    path: String,
    /// 1-based line (0 when the whole file is meant).
    line: usize,
    /// The full message, as the compiler shows it.
    message: String,
}

/// Lints the directory of `source`.
pub(super) fn run(source: &Source<'_>, format: Format) -> Result<ExitCode, CliError> {
    let Source::Directory {
        path,
        allow_up_only,
    } = source
    else {
        eprintln!("error: `lint` reads the migrations directory and its lint.toml: run it through `migrate --dir <dir> lint` (the embedded revisions were checked when this binary was built)");
        return Ok(ExitCode::from(2));
    };
    let display = path.display().to_string();
    let options = ScanOptions {
        allow_up_only: *allow_up_only,
        ..ScanOptions::default()
    };
    let report = scan(path, &display, options);
    let syntax = syntax_entries(&report);
    let migrations = report
        .into_migrations()
        .map_err(|problems| InvalidDirectory {
            dir: display.clone(),
            problems,
        })?;
    let entries = findings(path, &display, migrations.as_slice(), syntax)?;
    print(&entries, format);
    let failed = entries.iter().any(|e| e.level == "error");
    Ok(if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// The syntax errors and lint findings of the revisions whose file names start with one of
/// `stems` (just written by `revision --autogenerate` or `baseline`): `(errors, warnings)`.
pub(super) fn of_new(
    dir: &std::path::Path,
    allow_up_only: bool,
    stems: &[String],
) -> Result<(Vec<String>, Vec<String>), CliError> {
    let display = dir.display().to_string();
    let report = scan(
        dir,
        &display,
        ScanOptions {
            allow_up_only,
            ..ScanOptions::default()
        },
    );
    let mut entries = syntax_entries(&report);
    if let Ok(migrations) = report.into_migrations() {
        entries = findings(dir, &display, migrations.as_slice(), entries)?;
    }
    let ours = |e: &&Entry| stems.iter().any(|stem| e.path.contains(stem.as_str()));
    let pick = |level: &str| {
        entries
            .iter()
            .filter(ours)
            .filter(|e| e.level == level)
            .map(|e| e.message.clone())
            .collect::<Vec<_>>()
    };
    Ok((pick("error"), pick("warning")))
}

/// The scan's syntax errors, as entries.
fn syntax_entries(report: &migrations_core::ScanReport) -> Vec<Entry> {
    report
        .syntax_errors
        .iter()
        .map(|e| Entry {
            level: "error",
            rule: "syntax".into(),
            path: e.path.clone(),
            line: e.line,
            message: e.to_string(),
        })
        .collect()
}

fn findings(
    dir: &std::path::Path,
    display: &str,
    revisions: &[migrations_core::Revision],
    mut entries: Vec<Entry>,
) -> Result<Vec<Entry>, CliError> {
    use migrations_core::lint::{self, Config, Level, LintProblem};
    let problem = |p: &LintProblem| Entry {
        level: "error",
        rule: "opt-out".into(),
        path: p.path().to_owned(),
        line: p.line(),
        message: p.to_string(),
    };
    let config = match Config::load(dir, display) {
        Ok(config) => config,
        Err(problems) => {
            entries.extend(problems.iter().map(problem));
            return Ok(entries);
        }
    };
    let report = lint::check(revisions, display, &config);
    entries.extend(report.problems.iter().map(problem));
    entries.extend(report.findings.iter().map(|f| Entry {
        level: if f.level == Level::Deny {
            "error"
        } else {
            "warning"
        },
        rule: f.rule.id().into(),
        path: f.path.clone(),
        line: f.line,
        message: f.to_string(),
    }));
    Ok(entries)
}

fn print(entries: &[Entry], format: Format) {
    if format == Format::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(entries).expect("entries serialise")
        );
        return;
    }
    for entry in entries {
        println!("{}: {}\n", entry.level, entry.message);
    }
    let errors = entries.iter().filter(|e| e.level == "error").count();
    println!("{errors} error(s), {} warning(s)", entries.len() - errors);
}
