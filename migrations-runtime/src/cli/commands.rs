//! One function per command: load the revisions, build the runner from the global options,
//! connect, run the library call, hand the result to [`super::render`].

use std::process::ExitCode;

use tokio_postgres::Client;

use super::session::{connect, Loaded};
use super::{render, scaffold, CliError, GlobalArgs, Source};
use crate::direction::Direction;
use crate::history::HistoryTable;
use crate::resolve::Resolution;
use crate::status::Status;
use crate::{MigrateError, Migrator, Target};

/// `upgrade TARGET [--no-baseline]`.
pub(super) async fn upgrade(
    source: &Source<'_>,
    global: &GlobalArgs,
    target: &str,
    no_baseline: bool,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let migrator = match no_baseline {
        true => migrator.without_baseline(),
        false => migrator,
    };
    let outcome = migrator.upgrade(&mut client, target).await?;
    render::outcome(&outcome, false, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `downgrade TARGET`.
pub(super) async fn downgrade(
    source: &Source<'_>,
    global: &GlobalArgs,
    target: &str,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let outcome = migrator.downgrade(&mut client, target).await?;
    render::outcome(&outcome, false, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `upgrade --sql [FROM:]TO` and `downgrade --sql FROM:TO`: the script, printed; no database.
pub(super) fn offline(
    source: &Source<'_>,
    global: &GlobalArgs,
    direction: Direction,
    range: &str,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let migrations = &loaded.migrations;
    let table = HistoryTable::parse(&global.history_table)?;
    let sql =
        crate::offline::render(migrations, &table, direction, range).map_err(MigrateError::from)?;
    print!("{sql}");
    Ok(ExitCode::SUCCESS)
}

/// `stamp REV [--purge]`.
pub(super) async fn stamp(
    source: &Source<'_>,
    global: &GlobalArgs,
    rev: &str,
    purge: bool,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let outcome = migrator.stamp(&mut client, rev, purge).await?;
    render::outcome(&outcome, true, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `repair REV... [--dry-run] [--reason WHY]`.
pub(super) async fn repair(
    source: &Source<'_>,
    global: &GlobalArgs,
    revisions: &[String],
    dry_run: bool,
    reason: Option<&str>,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let repairs = migrator
        .repair(&mut client, revisions, reason, dry_run)
        .await?;
    render::repairs(&repairs, dry_run, &migrator.table().audit(), global.format);
    Ok(ExitCode::SUCCESS)
}

/// `resolve REV --retry|--mark-completed|--mark-rolled-back`.
pub(super) async fn resolve(
    source: &Source<'_>,
    global: &GlobalArgs,
    rev: &str,
    resolution: Resolution,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let resolved = migrator.resolve(&mut client, rev, resolution).await?;
    super::resolve::print(&resolved, global.format);
    Ok(ExitCode::SUCCESS)
}

/// The revisions of `source` and the database's status against them: what the read-only
/// commands show.
async fn status<'a>(
    source: &Source<'a>,
    global: &GlobalArgs,
) -> Result<(Loaded<'a>, Status, usize), CliError> {
    let loaded = source.load()?;
    let (migrator, client) = open(&loaded, global).await?;
    let state = migrator.state(&client).await?;
    let status = Status::new(&loaded.migrations, &state);
    let level = state.current_level();
    Ok((loaded, status, level))
}

/// `current [-v]`.
pub(super) async fn current(
    source: &Source<'_>,
    global: &GlobalArgs,
    verbose: bool,
) -> Result<ExitCode, CliError> {
    let (_, status, _) = status(source, global).await?;
    render::current(&status, verbose, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `heads`.
pub(super) async fn heads(source: &Source<'_>, global: &GlobalArgs) -> Result<ExitCode, CliError> {
    let (_, status, _) = status(source, global).await?;
    render::heads(&status, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `check [-v]`: exit 1 when anything is pending, changed, unknown or unfinished.
pub(super) async fn check(
    source: &Source<'_>,
    global: &GlobalArgs,
    verbose: bool,
) -> Result<ExitCode, CliError> {
    let (loaded, status, _) = status(source, global).await?;
    let listing = loaded.report.as_ref().filter(|_| verbose);
    Ok(render::check(
        &status,
        listing.zip(loaded.dir.as_deref()),
        global.format,
    ))
}

/// `history [-v] [-r START:END]`: either side of the range is a target, resolved against the
/// database's current revision.
pub(super) async fn history(
    source: &Source<'_>,
    global: &GlobalArgs,
    verbose: bool,
    range: Option<&str>,
) -> Result<ExitCode, CliError> {
    let (loaded, status, current) = status(source, global).await?;
    let migrations = &loaded.migrations;
    let bound = |spec: &str, default: usize| match spec {
        "" => Ok(default),
        spec => level(migrations, current, spec),
    };
    let (start, end) = match range {
        Some(range) => {
            let (start, end) = range.split_once(':').unwrap_or((range, ""));
            (bound(start, 0)?, bound(end, migrations.len())?)
        }
        None => (0, migrations.len()),
    };
    render::history(&status, start.max(1)..=end, verbose, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `show REV`.
pub(super) async fn show(
    source: &Source<'_>,
    global: &GlobalArgs,
    rev: &str,
) -> Result<ExitCode, CliError> {
    let (loaded, status, current) = status(source, global).await?;
    let level = level(&loaded.migrations, current, rev)?;
    let shown = level.checked_sub(1).map(|index| {
        (
            &loaded.migrations.as_slice()[index],
            &status.revisions[index],
        )
    });
    render::show(shown, global.format);
    Ok(ExitCode::SUCCESS)
}

/// `revision -m MESSAGE [--rust [--batched]]`: the next revision's files, in the directory of
/// `source`.
pub(super) fn revision(
    source: &Source<'_>,
    message: &str,
    language: scaffold::Language,
) -> Result<ExitCode, CliError> {
    let (path, allow_up_only) = super::lockfile::directory(source, "revision")?;
    super::lockfile::refuse_stale(path)?;
    scaffold::create(path, message, language)?;
    super::lockfile::refresh(path, allow_up_only)?;
    Ok(ExitCode::SUCCESS)
}

/// The runner for `loaded` configured from the global options, and a connection to its database.
pub(super) async fn open<'l>(
    loaded: &'l Loaded<'_>,
    global: &GlobalArgs,
) -> Result<(Migrator<'l>, Client), CliError> {
    let migrator = global.migrator(&loaded.migrations)?;
    let client = connect(&migrator).await?;
    Ok((migrator, client))
}

/// The level `spec` names, relative to the database's level `current`.
fn level(
    migrations: &migrations_core::Migrations,
    current: usize,
    spec: &str,
) -> Result<usize, CliError> {
    spec.parse::<Target>()
        .and_then(|target| target.level(migrations, current))
        .map_err(|e| MigrateError::from(crate::plan::PlanError::from(e)).into())
}
