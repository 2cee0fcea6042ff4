//! The scan's check of `migrations.lock` ([`crate::lock`]): its defects as [`Problem`]s, each
//! naming the command that fixes it.

use std::path::Path;

use crate::lock::{self, Defect, Disagreement};
use crate::problem::Problem;
use crate::report::ScanReport;

/// Verifies the lock file of `dir`, if it has one, against the revisions scanned. With
/// problems already found, the revisions are not all known, and only a conflict is looked for
/// (the merge that left it often left two revisions with one version too).
pub(crate) fn check(dir: &Path, display: &str, report: &mut ScanReport) {
    let file = dir.join(lock::FILE);
    let path = format!("{display}/{}", lock::FILE);
    let text = match std::fs::read(&file) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            report.problems.push(Problem::Unreadable {
                path,
                message: e.to_string(),
            });
            return;
        }
    };
    let found = match report.problems.is_empty() {
        true => lock::verify(&text, &report.revisions).err(),
        false => lock::conflict(&text),
    };
    let Some(defect) = found else {
        return;
    };
    let dir = display.to_owned();
    report.problems.push(match defect {
        Defect::Conflicted { line, sides } => Problem::LockConflict {
            path,
            dir,
            line,
            sides: format!(
                "{} on one side, {} on the other",
                listed(&sides[0]),
                listed(&sides[1])
            ),
        },
        Defect::Malformed { line } => Problem::LockMalformed { path, dir, line },
        Defect::Disagrees { revision, reason } => Problem::LockStale {
            path,
            reason: explain(&reason, &dir, &revision),
            revision,
        },
    });
}

fn listed(revisions: &[String]) -> String {
    match revisions {
        [] => "none".to_owned(),
        _ => revisions
            .iter()
            .map(|r| format!("`{r}`"))
            .collect::<Vec<_>>()
            .join(", "),
    }
}

/// What differs and what to run.
fn explain(reason: &Disagreement, dir: &str, revision: &str) -> String {
    let lock = format!("`migrate --dir {dir} lock`");
    let rebase = format!("`migrate --dir {dir} rebase {revision}`");
    let quoted = format!("`{revision}`");
    match reason {
        Disagreement::NotListed { listed: None } => format!(
            "the lock file does not list it: run {lock} to add it (`migrate revision` does that itself)"
        ),
        Disagreement::NotListed { listed: Some(there) } => format!(
            "the lock file lists `{there}` in its place, so it sorts before a revision already locked (from a branch merged without a conflict?): run {rebase} to renumber it after the head, or {lock} if it belongs there"
        ),
        Disagreement::Missing => format!(
            "the lock file lists it but the directory has no such revision: restore it, or run {lock} if it was removed on purpose"
        ),
        Disagreement::Checksum => format!(
            "its up script changed since the lock file was written: if the edit is meant, run {lock} (and `migrate --dir {dir} repair {revision}` on databases that applied it)"
        ),
        Disagreement::Chain => format!(
            "its line is right but the chain over the lines before it is not, so lines of two branches were merged by hand: run `migrate --dir {dir} rebase REV` with the revisions of the branch merged second ({quoted} if it is one of them), then commit the lock file it writes"
        ),
        Disagreement::Head => format!("the `head` line is stale: run {lock}"),
    }
}
