//! `revision --autogenerate`, `baseline` and `check --schema`: revisions written from proven
//! diffs, checked with the grammar and the safety lint like any other, and the CI gate.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::commands::open;
use super::lockfile::directory;
use super::{lint, lockfile, scaffold, CliError, GlobalArgs, Source};
use crate::schema::Generated;

/// `schema.sql` or `schema/` beside the migrations directory.
fn default_schema(dir: &Path) -> Result<PathBuf, CliError> {
    let beside = dir.parent().unwrap_or(Path::new("."));
    let candidates = [beside.join("schema.sql"), beside.join("schema")];
    candidates
        .iter()
        .find(|p| p.exists())
        .cloned()
        .ok_or_else(|| CliError::NoSchema {
            looked: candidates.map(|p| p.display().to_string()).join(" or "),
        })
}

/// `revision -m MESSAGE --autogenerate [--schema PATH]`.
pub(super) async fn autogenerate(
    source: &Source<'_>,
    global: &GlobalArgs,
    message: &str,
    schema: Option<&Path>,
    renames: &[migrations_schema::Rename],
) -> Result<ExitCode, CliError> {
    let (dir, allow_up_only) = directory(source, "revision")?;
    lockfile::refuse_stale(dir)?;
    let declared = match schema {
        Some(path) => path.to_owned(),
        None => default_schema(dir)?,
    };
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let Some(generated) = migrator
        .autogenerate(&mut client, &declared, renames)
        .await?
    else {
        eprintln!(
            "nothing to generate: the revisions at head already match {}; no file written",
            declared.display()
        );
        return Ok(ExitCode::FAILURE);
    };
    let origin = format!("`revision --autogenerate` from {}", declared.display());
    write(dir, allow_up_only, message, &generated, &origin)?;
    println!(
        "proven in a scratch database: the up scripts reach {}, the down scripts return to head",
        declared.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// `baseline -m MESSAGE`.
pub(super) async fn baseline(
    source: &Source<'_>,
    global: &GlobalArgs,
    message: &str,
) -> Result<ExitCode, CliError> {
    let (dir, allow_up_only) = directory(source, "baseline")?;
    lockfile::refuse_stale(dir)?;
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let generated = migrator.baseline(&mut client).await?;
    let created = write(
        dir,
        allow_up_only,
        message,
        &generated,
        "`baseline` from the database",
    )?;
    println!("proven in a scratch database: up reproduces the database's schema, down empties it");
    if let Some(first) = created.first().and_then(|p| p.file_name()) {
        let label = first.to_string_lossy();
        let version = label.split('_').next().unwrap_or(&label);
        println!("on the database it was taken from, record it as applied: stamp {version}");
    }
    Ok(ExitCode::SUCCESS)
}

/// Writes each generated revision, then checks them as a build would; on an error they are
/// removed again.
fn write(
    dir: &Path,
    allow_up_only: bool,
    message: &str,
    generated: &Generated,
    origin: &str,
) -> Result<Vec<PathBuf>, CliError> {
    let several = generated.revisions.len() > 1;
    let mut created = Vec::new();
    for revision in &generated.revisions {
        let message = match several {
            true => format!("{message} {}", revision.purpose.slug()),
            false => message.to_owned(),
        };
        let directive = match revision.transactional {
            true => "",
            false => "-- migrate: no-transaction\n",
        };
        let header = |direction: &str| {
            // The directive is read from up.sql only, and must be its first line.
            let directive = if direction == "up" { directive } else { "" };
            let mut text = format!("{directive}-- {message} ({direction}): written by {origin}; review it before committing.\n");
            if direction == "up" {
                for difference in &revision.differences {
                    text.push_str(&format!("--   {difference}\n"));
                }
            }
            text.push('\n');
            text
        };
        let up = format!("{}{}", header("up"), revision.up);
        let down = format!("{}{}", header("down"), revision.down);
        created.push(scaffold::create_with(dir, &message, &up, &down)?);
    }
    for respelled in &generated.respelled {
        println!("note: PostgreSQL spells this definition differently once regenerated (same meaning): {respelled}");
    }
    let stems: Vec<String> = created
        .iter()
        .filter_map(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .collect();
    let (errors, warnings) = lint::of_new(dir, allow_up_only, &stems)?;
    for warning in &warnings {
        println!("warning: {warning}\n");
    }
    if !errors.is_empty() {
        for path in &created {
            let _ = std::fs::remove_dir_all(path);
            for ext in ["up.sql", "down.sql"] {
                let _ = std::fs::remove_file(path.with_extension(ext));
            }
        }
        return Err(CliError::Generated { errors });
    }
    lockfile::refresh(dir, allow_up_only)?;
    Ok(created)
}

/// `check --schema PATH`: exit 1 when the revisions at head differ from the declared schema.
pub(super) async fn check(
    source: &Source<'_>,
    global: &GlobalArgs,
    declared: &Path,
) -> Result<ExitCode, CliError> {
    let loaded = source.load()?;
    let (migrator, mut client) = open(&loaded, global).await?;
    let diff = migrator.check_schema(&mut client, declared).await?;
    if global.format == super::Format::Json {
        println!(
            "{}",
            serde_json::json!({ "matches": diff.is_empty(), "diff": diff })
        );
    } else if diff.is_empty() {
        println!("ok: the revisions at head match {}", declared.display());
    } else {
        println!(
            "the revisions at head differ from {} in {} object(s):",
            declared.display(),
            diff.differences().count()
        );
        for difference in diff.differences() {
            println!("  - {difference}");
        }
        println!(
            "write the revision: revision -m MESSAGE --autogenerate --schema {}",
            declared.display()
        );
    }
    Ok(if diff.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
