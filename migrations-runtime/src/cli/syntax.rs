//! Refusing a command whose scripts PostgreSQL's grammar rejects before anything of it runs.
//!
//! A directory read at run time still loads with syntax errors (the server would report them
//! with its position), so `migrate` can show and run what is sound. Running is another matter:
//! each revision is its own transaction, so a run of several would apply the ones before the
//! broken script and stop at it. These checks refuse such a run whole instead, and only for the
//! scripts it would execute: imported histories carry broken down scripts of revisions nobody
//! reverts.

use migrations_core::{Migrations, Revision, ScanReport, SyntaxError};
use tokio_postgres::Client;

use super::CliError;
use crate::direction::Direction;
use crate::Migrator;

/// Refuses `upgrade` (and `upgrade --sql`) when an up script does not parse, before connecting.
pub(super) fn refuse_unparsable_ups(
    report: &ScanReport,
    migrations: &Migrations,
) -> Result<(), CliError> {
    let ups: Vec<&str> = migrations.iter().map(|r| r.up().file()).collect();
    refuse(report, &ups, "up", "upgrade")
}

/// Refuses `downgrade target` when a down script it would run does not parse. Reads the history
/// only when some down script has a syntax error, so a sound directory pays nothing; a target
/// that cannot be planned is left to the downgrade, which reports it.
pub(super) async fn refuse_unparsable_downgrade(
    migrator: &Migrator<'_>,
    client: &Client,
    report: &ScanReport,
    target: &str,
) -> Result<(), CliError> {
    let migrations = migrator.migrations();
    if refuse_unparsable_downs(report, migrations.iter()).is_ok() {
        return Ok(());
    }
    let state = migrator.state(client).await?;
    let planned = target
        .parse()
        .map_err(crate::plan::PlanError::from)
        .and_then(|target| state.plan(migrations, Direction::Down, &target));
    let Ok(plan) = planned else {
        return Ok(());
    };
    let revisions = plan.revisions.iter().map(|&i| &migrations.as_slice()[i]);
    refuse_unparsable_downs(report, revisions)
}

/// Refuses running the down scripts of `revisions` when one of them does not parse.
pub(super) fn refuse_unparsable_downs<'m>(
    report: &ScanReport,
    revisions: impl Iterator<Item = &'m Revision>,
) -> Result<(), CliError> {
    let downs: Vec<&str> = revisions
        .filter_map(|r| r.down())
        .map(|d| d.file())
        .collect();
    refuse(report, &downs, "down", "downgrade")
}

fn refuse(
    report: &ScanReport,
    files: &[&str],
    kind: &'static str,
    command: &'static str,
) -> Result<(), CliError> {
    let errors = matching(report, files);
    if errors.is_empty() {
        return Ok(());
    }
    Err(CliError::Syntax {
        errors,
        kind,
        command,
    })
}

/// The report's syntax errors in `files` (named relative to the directory; the report's paths
/// carry the directory in front).
fn matching(report: &ScanReport, files: &[&str]) -> Vec<SyntaxError> {
    report
        .syntax_errors
        .iter()
        .filter(|e| {
            files
                .iter()
                .any(|file| e.path == *file || e.path.ends_with(&format!("/{file}")))
        })
        .cloned()
        .collect()
}

/// The message of [`CliError::Syntax`].
pub(super) fn message(errors: &[SyntaxError], kind: &str, command: &str) -> String {
    let shown: Vec<String> = errors.iter().map(ToString::to_string).collect();
    format!(
        "{} {kind} script(s) do not parse, so `{command}` ran nothing (`migrate --dir <dir> lint` lists every syntax error and lint finding):\n\n{}",
        errors.len(),
        shown.join("\n\n")
    )
}
