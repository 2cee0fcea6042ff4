//! `baseline/` written as `migrate squash --through` writes it, from what `Migrator::squash`
//! returned: the bench calls the library rather than the CLI binary, which would need the main
//! workspace built with the `cli` feature first.

use std::path::Path;

use migrations_core::baseline::{self, Manifest, Squashed};
use migrations_core::{quote, Revision};
use migrations_runtime::schema::Squash;

use super::Fallible;

/// `baseline/` as `migrate squash --through` writes it (`migrations-runtime/src/cli/squash.rs`):
/// the same header and notes (the objects, the rows, the columns left to their defaults) above
/// the generated scripts, and the manifest with the checksum of the up.sql written.
pub(super) fn write(
    dir: &Path,
    through: &str,
    revisions: &[Revision],
    squash: &Squash,
) -> Fallible<()> {
    let squashed = &revisions[..squash.level];
    let last = squashed[squash.level - 1].label();
    let header = format!(
        "-- The baseline of the revisions through {last}: written by `migrate squash --through {through}` and\n\
         -- proven equal to them (schema, rows and sequences) in scratch databases. Do not edit.\n"
    );
    let mut notes: Vec<String> = squash
        .differences
        .iter()
        .map(|d| format!("creates {}", d.split(": missing").next().unwrap_or(d)))
        .collect();
    let rows: Vec<String> = squash
        .tables
        .iter()
        .map(|t| format!("{} ({})", t.table, t.rows))
        .collect();
    notes.push(match rows.is_empty() {
        true => "rows: none".to_owned(),
        false => format!("rows: {}", rows.join(", ")),
    });
    if !squash.varying.is_empty() {
        notes.push(format!(
            "set when the revisions run, not compared (left to their defaults): {}",
            squash.varying.join(", ")
        ));
    }
    let notes: Vec<String> = notes.iter().map(|n| quote::one_line(n)).collect();
    let up = format!("{header}--   {}\n\n{}", notes.join("\n--   "), squash.up);
    let down = format!("{header}\n{}", squash.down);
    let manifest = Manifest {
        up: migrations_core::source::checksum(&up),
        squashed: squashed.iter().map(Squashed::of).collect(),
    };
    let target = dir.join(baseline::DIR);
    std::fs::create_dir(&target)?;
    std::fs::write(target.join("up.sql"), up)?;
    std::fs::write(target.join("down.sql"), down)?;
    std::fs::write(target.join(baseline::MANIFEST), baseline::render(&manifest))?;
    Ok(())
}
