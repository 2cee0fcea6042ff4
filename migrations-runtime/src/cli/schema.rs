//! `drift` and `diff`: schemas compared, printed for people or as JSON.

use std::process::ExitCode;

use serde_json::json;

use super::commands::open;
use super::{CliError, Format, GlobalArgs, Source};
use crate::schema::SchemaSource;

/// `drift [--sql]`: exit 1 when the database differs from what its revisions produce.
pub(super) async fn drift(
    source: &Source<'_>,
    global: &GlobalArgs,
    sql: bool,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let drift = migrator.drift(&mut client).await?;
    let at = drift
        .at
        .as_ref()
        .map_or_else(|| "base".to_owned(), ToString::to_string);
    let code = if drift.is_clean() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if global.format == Format::Json {
        println!("{}", json!({ "clean": drift.is_clean(), "drift": drift }));
        return Ok(code);
    }
    not_run(&drift.not_run, "");
    for respelled in &drift.respelled {
        println!(
            "note: spelled differently, same meaning (PostgreSQL's own deparsing): {respelled}"
        );
    }
    if drift.is_clean() {
        println!(
            "ok: the database matches its revisions at {at} ({})",
            drift.method
        );
        return Ok(code);
    }
    let count = drift.diff.differences().count();
    println!(
        "drift: the database differs from its revisions at {at} in {count} object(s) ({}):",
        drift.method
    );
    for difference in drift.diff.differences() {
        println!("  - {difference}");
    }
    if sql {
        println!(
            "\n-- SQL that makes the database match its revisions (review it before running):"
        );
        print!("{}", drift.diff.script());
    } else {
        println!("(--sql prints the SQL that would make it match)");
    }
    Ok(code)
}

/// `diff --from SRC --to SRC`: the SQL, nothing when equal.
pub(super) async fn diff(
    source: &Source<'_>,
    global: &GlobalArgs,
    from: &SchemaSource,
    to: &SchemaSource,
    renames: &[migrations_schema::Rename],
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let (a, b) = (
        migrator.schema_of(&mut client, from).await?,
        migrator.schema_of(&mut client, to).await?,
    );
    let diff = migrations_schema::diff_with_renames(&a.catalog, &b.catalog, renames)
        .map_err(crate::schema::SchemaError::from)?;
    let skipped: Vec<String> = a.not_run.iter().chain(&b.not_run).cloned().collect();
    if global.format == Format::Json {
        let value = json!({ "from": from.to_string(), "to": to.to_string(), "method": a.method, "diff": diff, "not_run": skipped });
        println!("{value}");
        return Ok(ExitCode::SUCCESS);
    }
    // The diff's output is SQL: its notes are SQL comments.
    not_run(&skipped, "-- ");
    if !diff.is_empty() {
        println!(
            "-- from {from} to {to}: {} difference(s) ({})",
            diff.differences().count(),
            a.method
        );
        print!("{}", diff.script());
    }
    Ok(ExitCode::SUCCESS)
}

/// Says which Rust revisions the expected schema was built without (`prefix` starts each line).
fn not_run(revisions: &[String], prefix: &str) {
    for revision in revisions {
        println!("{prefix}note: {revision} is Rust and was not run to build the expected schema (no compiled code here, or a private schema): taken to change no schema");
    }
}
