//! Printing the commands' results as text or JSON. Nothing here runs anything: the commands
//! (`super::commands`) hand over what they got.

use std::ops::RangeInclusive;
use std::path::Path;
use std::process::ExitCode;

use migrations_core::{Revision, ScanReport};
use serde::Serialize;

use super::Format;
use crate::status::{RevisionState, RevisionStatus, Status};
use crate::Outcome;

fn json<T: Serialize>(value: &T) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("status types serialise")
    );
}

/// What a write command did; `stamped` for `stamp`, which runs no SQL.
pub(super) fn outcome(outcome: &Outcome, stamped: bool, format: Format) {
    if format == Format::Json {
        return json(outcome);
    }
    let (by_baseline, by_chain): (Vec<_>, Vec<_>) = outcome.steps.iter().partition(|s| s.baseline);
    let up = |s: &crate::Step| s.direction == crate::direction::Direction::Up;
    let verb = |s: &crate::Step| if up(s) { "applied" } else { "reverted" };
    let brought = |steps: &[&crate::Step]| {
        let (Some(first), Some(last)) = (steps.first(), steps.last()) else {
            return;
        };
        let ms: i64 = steps.iter().map(|s| s.duration_ms).sum();
        println!(
            "{} the baseline in place of {} revisions, {}_{} to {}_{} ({ms} ms)",
            if up(first) { "ran" } else { "reverted" },
            steps.len(),
            first.version,
            first.name,
            last.version,
            last.name
        );
    };
    if by_baseline.first().is_some_and(|s| up(s)) {
        brought(&by_baseline);
    }
    for step in by_chain {
        println!(
            "{} {}_{} ({} ms)",
            verb(step),
            step.version,
            step.name,
            step.duration_ms
        );
    }
    if by_baseline.first().is_some_and(|s| !up(s)) {
        brought(&by_baseline);
    }
    let head = if outcome.at_head { " (head)" } else { "" };
    match stamped {
        true => println!(
            "stamped: database recorded at {}{head}; no SQL was run",
            outcome.current_label()
        ),
        false if outcome.steps.is_empty() => {
            println!(
                "nothing to do: database at {}{head}",
                outcome.current_label()
            )
        }
        _ => println!("database at {}{head}", outcome.current_label()),
    }
}

/// What `repair` did or, with `dry_run`, would do.
pub(super) fn repairs(
    repairs: &[crate::repair::Repair],
    dry_run: bool,
    audit: &crate::history::HistoryTable,
    format: Format,
) {
    if format == Format::Json {
        let audit = audit.qualified();
        return json(
            &serde_json::json!({ "dry_run": dry_run, "audit_table": audit, "repairs": repairs }),
        );
    }
    let verb = if dry_run { "would repair" } else { "repaired" };
    for repair in repairs {
        println!("{verb} {}_{}", repair.version, repair.name);
        println!("  recorded checksum {}", repair.old_checksum);
        println!("  file checksum     {}", repair.new_checksum);
    }
    match dry_run {
        true => println!("dry run: nothing was changed"),
        false => println!("audit rows written to {}", audit.qualified()),
    }
}

fn marks(r: &RevisionStatus) -> String {
    let mut marks = Vec::new();
    if r.is_head {
        marks.push("head");
    }
    if r.is_current {
        marks.push("current");
    }
    if marks.is_empty() {
        String::new()
    } else {
        format!(" ({})", marks.join(", "))
    }
}

/// `current`.
pub(super) fn current(status: &Status, verbose: bool, format: Format) {
    if format == Format::Json {
        return json(&serde_json::json!({
            "current": status.current, "head": status.head, "up_to_date": status.up_to_date,
            "pending": status.pending, "changed": status.changed, "unfinished": status.unfinished, "in_progress": status.in_progress,
            "unknown": status.unknown.iter().map(|u| format!("{}_{}", u.version, u.name)).collect::<Vec<_>>(),
            "revision": status.revisions.iter().find(|r| r.is_current),
        }));
    }
    let head = if status.current == status.head {
        " (head)"
    } else {
        ""
    };
    println!("{}{head}", status.current);
    if verbose {
        if let Some(r) = status.revisions.iter().find(|r| r.is_current) {
            print_applied(r);
        }
        println!(
            "  pending: {}",
            if status.pending.is_empty() {
                "none".to_owned()
            } else {
                status.pending.join(", ")
            }
        );
    }
    for u in &status.unknown {
        println!(
            "  unknown to this binary: {}_{} (applied {})",
            u.version, u.name, u.applied_at
        );
    }
    for c in &status.changed {
        println!("  changed since applied: {c}");
    }
    for u in &status.unfinished {
        println!("  unfinished: {u}");
    }
    for r in &status.in_progress {
        println!("  running now (another runner holds the lock): {r}");
    }
}

fn print_applied(r: &RevisionStatus) {
    if let Some(a) = &r.applied {
        let took = a
            .duration_ms
            .map(|d| format!(" in {d} ms"))
            .unwrap_or_default();
        println!(
            "  applied {} by {} ({}){took}",
            a.applied_at, a.applied_by, a.method
        );
        let verdict = if r.state == RevisionState::Changed {
            format!(
                "CHANGED: recorded {}, file has {}",
                &a.checksum_hex()[..12],
                &r.checksum[..12]
            )
        } else {
            "matches".to_owned()
        };
        println!("  checksum {verdict}");
    }
}

/// `history`: the revisions whose levels are in `levels`, newest first.
pub(super) fn history(
    status: &Status,
    levels: RangeInclusive<usize>,
    verbose: bool,
    format: Format,
) {
    let shown: Vec<&RevisionStatus> = status
        .revisions
        .iter()
        .enumerate()
        .filter(|(i, _)| levels.contains(&(i + 1)))
        .map(|(_, r)| r)
        .rev()
        .collect();
    if format == Format::Json {
        return json(&shown);
    }
    for u in &status.unknown {
        println!(
            "? {}_{} (unknown to this binary, applied {})",
            u.version, u.name, u.applied_at
        );
    }
    for r in shown {
        let arrow = if r.is_current { "→" } else { " " };
        let when = r
            .applied
            .as_ref()
            .map(|a| format!(" {}", a.applied_at))
            .unwrap_or_default();
        println!(
            "{arrow} {}_{}{} [{}{when}]",
            r.version,
            r.name,
            marks(r),
            r.state
        );
        if verbose {
            let irreversible = if r.irreversible { ", irreversible" } else { "" };
            println!(
                "    file {}, checksum {}, transaction {}{irreversible}",
                r.file,
                &r.checksum[..12],
                r.transaction
            );
            print_applied(r);
        }
    }
}

/// `heads`.
pub(super) fn heads(status: &Status, format: Format) {
    if format == Format::Json {
        return json(
            &serde_json::json!({ "head": status.head, "current": status.current, "pending": status.pending }),
        );
    }
    println!("{} (head)", status.head);
    match status.pending.len() {
        0 => println!("database is at head; nothing pending"),
        n => println!("{n} pending: {}", status.pending.join(", ")),
    }
}

/// `show`: one revision with its state, or `None` for `base`.
pub(super) fn show(shown: Option<(&Revision, &RevisionStatus)>, format: Format) {
    let Some((revision, state)) = shown else {
        println!("base: the empty database before the first revision");
        return;
    };
    if format == Format::Json {
        return json(
            &serde_json::json!({ "status": state, "up": revision.up().sql(), "down": revision.down().map(|d| d.sql()) }),
        );
    }
    println!("revision {}{}", revision.label(), marks(state));
    println!("  version    {}\n  file       {}\n  checksum   {} (sha256)\n  transaction {}\n  state      {}", revision.version(), state.file, state.checksum, state.transaction, state.state);
    print_applied(state);
    println!(
        "\n-- up ({})\n{}",
        revision.up().file(),
        revision.up().sql().trim_end()
    );
    match revision.down() {
        Some(down) => println!("\n-- down ({})\n{}", down.file(), down.sql().trim_end()),
        None => println!("\n-- down: none (irreversible)"),
    }
}

/// `check`: the verdict, and with `listing` (`--verbose` on a directory) its scan report; exit 1
/// unless the database is up to date.
pub(super) fn check(
    status: &Status,
    listing: Option<(&ScanReport, &Path)>,
    format: Format,
) -> ExitCode {
    let code = if status.up_to_date {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    };
    if format == Format::Json {
        json(status);
        return code;
    }
    if status.up_to_date {
        println!(
            "ok: database at {} (head), {} revision(s), checksums match",
            status.current,
            status.revisions.len()
        );
    }
    if let Some(parting) = &status.parted_at {
        let through = match &parting.agree_through {
            Some(agreed) => format!(
                "they agree through {} (lock chain {})",
                agreed.revision, agreed.chain
            ),
            None => "they agree on no revision".to_owned(),
        };
        println!(
            "the database and this binary part ways at {}: {}; {through}",
            parting.revision, parting.reason
        );
    }
    if !status.pending.is_empty() {
        println!("pending: {}", status.pending.join(", "));
    }
    if !status.out_of_order.is_empty() {
        println!(
            "out of order (older than the current revision): {}",
            status.out_of_order.join(", ")
        );
    }
    for c in &status.changed {
        println!("changed since applied: {c}");
    }
    for u in &status.unknown {
        println!("unknown to this binary: {}_{}", u.version, u.name);
    }
    for u in &status.unfinished {
        println!("unfinished: {u}");
    }
    if let Some((report, dir)) = listing {
        let dir = dir.display();
        println!(
            "\n{dir}: {} revision(s), layout {:?}",
            report.revisions.len(),
            report
                .layout
                .unwrap_or(migrations_core::Layout::Directories)
        );
        report
            .warnings
            .iter()
            .for_each(|w| println!("warning: {w}"));
        report.notes.iter().for_each(|n| println!("note: {n}"));
        report
            .ignored
            .iter()
            .for_each(|i| println!("ignored: {} ({})", i.path, i.reason));
    }
    code
}
