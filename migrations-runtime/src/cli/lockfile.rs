//! `lock`: writing `migrations.lock` ([`migrations_core::lock`]) for a directory as it is, and
//! rewriting it after the commands that add or renumber revisions.

use std::path::Path;
use std::process::ExitCode;

use migrations_core::{lock, scan, InvalidDirectory, Migrations, Problem, ScanOptions};

use super::{CliError, Source};

/// `lock`: writes the lock file of the directory, creating it when there is none.
pub(super) fn run(source: &Source<'_>) -> Result<ExitCode, CliError> {
    let (path, allow_up_only) = directory(source, "lock")?;
    let migrations = read(path, allow_up_only)?;
    let file = write(path, &migrations)?;
    let head = migrations.head().map_or("base".to_owned(), |r| r.label());
    println!(
        "locked {} revision{} in {file} (head {head}): commit it with the revisions",
        migrations.len(),
        if migrations.len() == 1 { "" } else { "s" }
    );
    Ok(ExitCode::SUCCESS)
}

/// The directory of `source`, for a command that writes files.
pub(super) fn directory<'s>(
    source: &'s Source<'_>,
    command: &'static str,
) -> Result<(&'s Path, bool), CliError> {
    match source {
        Source::Directory {
            path,
            allow_up_only,
        } => Ok((path, *allow_up_only)),
        Source::Embedded(_) => Err(CliError::NoDirectory { command }),
    }
}

/// True when the directory has a lock file (the project opted in with `lock`).
pub(super) fn exists(dir: &Path) -> bool {
    dir.join(lock::FILE).is_file()
}

/// The directory's revisions, validated in every way but against its lock file.
pub(super) fn read(dir: &Path, allow_up_only: bool) -> Result<Migrations, CliError> {
    let options = ScanOptions {
        allow_up_only,
        unlocked: true,
    };
    Ok(migrations_core::load_dir(
        dir,
        &dir.display().to_string(),
        options,
    )?)
}

/// Writes the lock file of `migrations` into `dir`; returns its path for messages.
pub(super) fn write(dir: &Path, migrations: &Migrations) -> Result<String, CliError> {
    let file = dir.join(lock::FILE);
    let shown = file.display().to_string();
    std::fs::write(&file, lock::render(migrations.as_slice())).map_err(|source| {
        CliError::Write {
            path: shown.clone(),
            source,
        }
    })?;
    Ok(shown)
}

/// After a revision was added: rewrites the lock file, if the directory has one.
pub(super) fn refresh(dir: &Path, allow_up_only: bool) -> Result<(), CliError> {
    if !exists(dir) {
        return Ok(());
    }
    let migrations = read(dir, allow_up_only)?;
    let file = write(dir, &migrations)?;
    println!("updated {file}");
    Ok(())
}

/// Before a command adds revisions: refuses when the lock file is stale or conflicted, which
/// rewriting it afterwards would bless.
pub(super) fn refuse_stale(dir: &Path) -> Result<(), CliError> {
    if !exists(dir) {
        return Ok(());
    }
    let display = dir.display().to_string();
    let options = ScanOptions {
        allow_up_only: true,
        ..ScanOptions::default()
    };
    let report = scan(dir, &display, options);
    let lock: Vec<Problem> = report
        .problems
        .into_iter()
        .filter(Problem::is_lock)
        .collect();
    match lock.is_empty() {
        true => Ok(()),
        false => Err(CliError::Directory(InvalidDirectory {
            dir: display,
            problems: lock,
        })),
    }
}
