//! The scan's reading of a squashed history's `baseline/` ([`crate::baseline`]): its scripts,
//! its manifest checked against the revisions on disk, and the revisions dropped since the
//! squash put back into the table from the manifest, so that the lock file, the history and
//! the order see the chain the baseline was proven against.

use std::path::Path;

use crate::assemble;
use crate::baseline::{self, Baseline, Manifest, Squashed, DIR, MANIFEST};
use crate::cache::Cache;
use crate::problem::Problem;
use crate::report::{FileData, ScanReport};
use crate::revision::{Language, Layout, Revision, Script};
use crate::scan::read_file;

/// Reads `dir/baseline/` into `report.baseline`, adding the dropped revisions to
/// `report.revisions`. With problems already found, only the baseline's own files are checked.
pub(crate) fn check(dir: &Path, display: &str, cache: &mut Cache, report: &mut ScanReport) {
    let shown = format!("{display}/{DIR}");
    let again = format!("run `migrate --dir {display} squash --through REV` again");
    let file = |name: &str, report: &mut ScanReport| {
        let path = dir.join(DIR).join(name);
        let display = format!("{shown}/{name}");
        match path.is_file() {
            true => read_file(&path, display, format!("{DIR}/{name}"), report),
            false => None,
        }
    };
    let (up, down, list) = (
        file("up.sql", report),
        file("down.sql", report),
        file(MANIFEST, report),
    );
    let (Some(up), Some(list)) = (up, list) else {
        report.problems.push(Problem::BaselineInvalid {
            path: shown,
            reason: format!("needs `up.sql` and `{MANIFEST}`, which `migrate squash` writes together: restore them, {again}, or remove the directory"),
        });
        return;
    };
    let manifest = match baseline::parse(&list.text) {
        Ok(manifest) => manifest,
        Err(malformed) => {
            report.problems.push(Problem::BaselineInvalid {
                path: list.display,
                reason: format!(
                    "line {} is not a line `migrate squash` writes (edited by hand?): {again}",
                    malformed.line
                ),
            });
            return;
        }
    };
    // From here on the fix can name the revision the baseline was squashed through.
    let again = format!(
        "run `migrate --dir {display} squash --through {}` again",
        through(&manifest)
    );
    if crate::source::checksum(&up.text) != manifest.up {
        report.problems.push(Problem::BaselineInvalid {
            path: up.display.clone(),
            reason: format!("changed since `migrate squash` proved it equal to the revisions it replaces: restore it, or {again} to write and prove a new one"),
        });
    }
    let up_script = script(&up, cache, report);
    let down_script = down.and_then(|down| script(&down, cache, report));
    let before = report.problems.len();
    if before == 0 {
        merge(&manifest, &list.display, display, report);
    }
    if let (Some(up), true) = (up_script, report.problems.len() == before) {
        let level = manifest.squashed.len();
        report.baseline = Some(Baseline::new(level, up, down_script, manifest.up));
    }
}

/// A baseline script: one transaction, as its history rows are recorded with it.
fn script(file: &FileData, cache: &mut Cache, report: &mut ScanReport) -> Option<Script> {
    let no_transaction = crate::source::parse_directives_in(&file.text, Language::Sql)
        .map(|d| d.no_transaction)
        .unwrap_or(false);
    if no_transaction {
        report.problems.push(Problem::BaselineInvalid {
            path: file.display.clone(),
            reason: "runs in one transaction with the history rows it records: remove the `no-transaction` directive".to_owned(),
        });
        return None;
    }
    let (statements, error) = assemble::statements(file, cache, &mut report.syntax_errors);
    let mut notes = Vec::new();
    assemble::script(file, &statements, false, &mut report.problems, &mut notes)
        .map(|s| s.with_syntax_error(error))
}

/// The table with the squashed revisions first, as the manifest lists them (a revision still on
/// disk must be the one listed; a dropped one is rebuilt from its line), then the revisions after
/// them, which must all sort after the last squashed one.
fn merge(manifest: &Manifest, path: &str, display: &str, report: &mut ScanReport) {
    let layout = report.layout.unwrap_or(Layout::Directories);
    let mut present = std::mem::take(&mut report.revisions);
    let mut table = Vec::with_capacity(present.len() + manifest.squashed.len());
    let stale = |revision: &str, reason: String| Problem::BaselineStale {
        path: path.to_owned(),
        revision: revision.to_owned(),
        reason,
    };
    let rev = through(manifest);
    let again = format!("run `migrate --dir {display} squash --through {rev}` again to prove a new baseline, or restore the revision");
    let mut previous: Option<String> = None;
    for entry in &manifest.squashed {
        let Some(Ok(version)) = crate::name::parse_dir_name(&entry.source) else {
            report.problems.push(Problem::BaselineInvalid {
                path: path.to_owned(),
                reason: format!("lists `{}`, which is not a revision name (edited by hand?): run `migrate --dir {display} squash --through {rev}` again", entry.source),
            });
            return;
        };
        // The manifest lists the chain in order, each revision once: a line repeated or moved
        // by hand would put revisions in another order than the one the baseline replaced.
        if let Some(before) = &previous {
            if layout.compare(before, &version.canonical) != std::cmp::Ordering::Less {
                report.problems.push(Problem::BaselineInvalid {
                    path: path.to_owned(),
                    reason: format!("lists `{}` after version {before}, out of order or twice (edited by hand?): run `migrate --dir {display} squash --through {rev}` again", entry.source),
                });
                return;
            }
        }
        previous = Some(version.canonical.clone());
        match present
            .iter()
            .position(|r| r.version() == version.canonical)
        {
            Some(i) => {
                let revision = present.remove(i);
                if revision.source() != entry.source {
                    let reason = format!("the baseline replaces `{}` at version {}, and the directory has `{}` there: {again}", entry.source, version.canonical, revision.source());
                    report.problems.push(stale(revision.source(), reason));
                } else if Squashed::of(&revision) != *entry {
                    let reason = format!(
                        "its up script changed since the baseline was proven equal to it: {again}"
                    );
                    report.problems.push(stale(revision.source(), reason));
                }
                table.push(revision);
            }
            None => table.push(Revision::squashed(
                version.canonical.into(),
                version.slug.into(),
                entry.source.clone().into(),
                (entry.algorithm, entry.checksum),
            )),
        }
    }
    let last = table
        .last()
        .map(|r| r.version().to_owned())
        .unwrap_or_default();
    for revision in &present {
        if layout.compare(revision.version(), &last) != std::cmp::Ordering::Greater {
            let reason = format!("it sorts before `{last}`, the last revision the baseline replaces, but the baseline does not include it (merged from a branch after the squash?): renumber it after the head with `migrate --dir {display} rebase {}`, or run `migrate --dir {display} squash --through {rev}` again", revision.source());
            report.problems.push(stale(revision.source(), reason));
        }
    }
    table.extend(present);
    report.revisions = table;
}

/// The version of the last revision `manifest` lists, as `squash --through` takes it.
fn through(manifest: &Manifest) -> String {
    let last = manifest.squashed.last().map_or("", |s| s.source.as_str());
    match crate::name::parse_dir_name(last) {
        Some(Ok(version)) => version.canonical,
        _ => last.to_owned(),
    }
}
