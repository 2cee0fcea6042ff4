//! `migrate resolve`: its options and output.

use clap::Args;

use super::Format;
use crate::resolve::{Resolution, Resolved};

/// Exactly one way to settle the unfinished run.
#[derive(Debug, Clone, Args)]
#[group(required = true, multiple = false)]
pub struct How {
    /// Run the script again from the statement that failed or was interrupted (after fixing
    /// the cause), then record the revision.
    #[arg(long)]
    pub retry: bool,
    /// You completed the rest by hand: record the revision as applied (or, for a down script,
    /// as reverted) without running anything.
    #[arg(long)]
    pub mark_completed: bool,
    /// You undid the committed statements by hand: forget the run, so the revision stays
    /// pending (or applied) and runs from statement 1 next time.
    #[arg(long)]
    pub mark_rolled_back: bool,
}

impl How {
    /// The resolution chosen (`from`: the `--from` of a retry).
    pub fn resolution(&self, from: Option<usize>) -> Resolution {
        match (self.retry, self.mark_completed) {
            (true, _) => from.map_or(Resolution::Retry, Resolution::RetryFrom),
            (_, true) => Resolution::MarkCompleted,
            _ => Resolution::MarkRolledBack,
        }
    }
}

/// Prints what `resolve` did.
pub(super) fn print(resolved: &Resolved, format: Format) {
    if format == Format::Json {
        let text = serde_json::to_string_pretty(resolved).expect("resolve output serialises");
        return println!("{text}");
    }
    let label = format!("{}_{}", resolved.version, resolved.name);
    let script = resolved.direction.as_str();
    let (from, total) = (resolved.statement, resolved.total);
    let retried = match resolved.resolution {
        Resolution::Retry => Some(from),
        Resolution::RetryFrom(n) => Some(n),
        _ => None,
    };
    match (retried, resolved.duration_ms) {
        (Some(from), Some(ms)) => println!(
            "resolved {label}: ran {script} statements {from} to {total} ({ms} ms) and recorded it"
        ),
        (Some(_), None) => {
            println!("resolved {label}: another runner had completed it")
        }
        _ if resolved.resolution == Resolution::MarkCompleted => println!(
            "resolved {label}: recorded as {} without running anything",
            if script == "up" { "applied" } else { "reverted" }
        ),
        _ => println!(
            "resolved {label}: the unfinished {script} run is forgotten; the next run starts it from statement 1"
        ),
    }
}
