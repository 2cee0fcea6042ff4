//! What a scan takes and returns, and the files it reads: the types the scan's phases
//! (classification in `scan`, pairing in `flat`, validation in `assemble` and `metadata`)
//! share, so that none of them depends on another for them.

use crate::baseline::Baseline;
use crate::problem::{Ignored, Note, Problem, SyntaxError, Warning};
use crate::revision::{Layout, Revision};
use crate::table::Migrations;

/// Options of a scan.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ScanOptions {
    /// Accept revisions without a down script (sqlx "simple" `<v>_<slug>.sql`, an `.up.sql`
    /// without its `.down.sql`, a directory without `down.sql`) as irreversible. Meant for
    /// directories imported from other tools; a project's own directory should stay strict.
    pub allow_up_only: bool,
    /// Do not verify `migrations.lock` (for the commands that rewrite it: `lock`, `rebase`).
    pub unlocked: bool,
}

/// Everything a scan found.
#[derive(Debug, Clone, Default)]
pub struct ScanReport {
    /// The layout, when the directory has revisions.
    pub layout: Option<Layout>,
    /// Valid revisions in application order (only meaningful when `problems` is empty).
    pub revisions: Vec<Revision>,
    /// Fatal defects, all of them.
    pub problems: Vec<Problem>,
    /// Legal but suspicious.
    pub warnings: Vec<Warning>,
    /// Facts for `check --verbose`.
    pub notes: Vec<Note>,
    /// Entries that are not migrations.
    pub ignored: Vec<Ignored>,
    /// Scripts PostgreSQL's grammar rejects (with the `parse` feature). Not in `problems`: the
    /// macro makes them compile errors (unless told the history is imported as it is), while a
    /// directory read at run time still loads, so `migrate` can show and run what it can, and
    /// the server reports the error with its position.
    pub syntax_errors: Vec<SyntaxError>,
    /// The squashed history's baseline, when the directory has one ([`crate::baseline`]).
    pub baseline: Option<Baseline>,
}

impl ScanReport {
    /// The revision table, or every problem found.
    pub fn into_migrations(self) -> Result<Migrations, Vec<Problem>> {
        if self.problems.is_empty() {
            let layout = self.layout.unwrap_or(Layout::Directories);
            Ok(Migrations::owned(layout, self.revisions).with_baseline(self.baseline))
        } else {
            Err(self.problems)
        }
    }
}

/// A file's normalised text and how to name it.
#[derive(Debug, Clone)]
pub(crate) struct FileData {
    /// Path for messages (`migrations/003_x/up.sql`).
    pub display: String,
    /// Path relative to the migrations directory (`003_x/up.sql`).
    pub rel: String,
    /// Normalised text.
    pub text: String,
}
