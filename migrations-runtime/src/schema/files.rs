//! The files of `baseline/` for a [`Squash`]: what `migrate squash` writes, in one place for
//! every writer (the command, the benchmarks).

use migrations_core::baseline::{self, Manifest, Squashed};
use migrations_core::Migrations;

use super::Squash;

/// `baseline/up.sql`, `down.sql` and the manifest, as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaselineFiles {
    /// `up.sql`: a header saying what it holds, then the script.
    pub up: String,
    /// `down.sql`.
    pub down: String,
    /// The manifest ([`baseline::MANIFEST`]), with the checksum of `up`.
    pub manifest: String,
}

impl Squash {
    /// The files of this baseline of `migrations` (the table it was squashed from), whose header
    /// names the command as given (`through`, the target as typed).
    pub fn files(&self, migrations: &Migrations, through: &str) -> BaselineFiles {
        let squashed = &migrations.as_slice()[..self.level];
        let last = squashed.last().map_or_else(String::new, |r| r.label());
        let header = format!(
            "-- The baseline of the revisions through {last}: written by `migrate squash --through {through}` and\n\
             -- proven equal to them (schema, rows and sequences) in scratch databases. Do not edit.\n"
        );
        // What it holds, as comments above the script: each object (the diff from an empty
        // database says "<object>: missing (expected …)"), the rows, the run-dependent columns.
        let mut notes: Vec<String> = self
            .differences
            .iter()
            .map(|d| format!("creates {}", d.split(": missing").next().unwrap_or(d)))
            .collect();
        let rows: Vec<String> = self
            .tables
            .iter()
            .map(|t| format!("{} ({})", t.table, t.rows))
            .collect();
        notes.push(match rows.is_empty() {
            true => "rows: none".to_owned(),
            false => format!("rows: {}", rows.join(", ")),
        });
        if !self.varying.is_empty() {
            notes.push(format!(
                "set when the revisions run, not compared (left to their defaults): {}",
                self.varying.join(", ")
            ));
        }
        // Names may hold anything: keep each note to its comment line.
        let notes: Vec<String> = notes.iter().map(|n| crate::quote::one_line(n)).collect();
        let up = format!("{header}--   {}\n\n{}", notes.join("\n--   "), self.up);
        let manifest = Manifest {
            up: migrations_core::source::checksum(&up),
            squashed: squashed.iter().map(Squashed::of).collect(),
        };
        BaselineFiles {
            down: format!("{header}\n{}", self.down),
            manifest: baseline::render(&manifest),
            up,
        }
    }
}
