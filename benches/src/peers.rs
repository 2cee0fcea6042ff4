//! The `peers` bench's results (W1, W2, W4, W5, memory, replicas) and their markdown table:
//! every figure per tool, the best peer's name and our ratio against it.
//!
//! ```
//! let mut results = appdb_benches::peers::Results::default();
//! results.timings.entry("w1_10".into()).or_default().insert("ours".into(), vec![2e6, 4e6]);
//! let table = appdb_benches::peers::table(&results);
//! assert!(table.contains("| W1: apply 10 revisions from empty (ms) | 3.00 | - | - | - | - | - |"));
//! ```

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::results::median;

/// Our runtime and the peers, in the order of the table's columns.
pub const TOOLS: [&str; 4] = ["ours", "refinery", "sqlx", "diesel"];
/// The pseudo-tool of W1's trivial set: the same `SELECT 1` bodies sent raw, one query each.
pub const RAW: &str = "raw";
/// Revisions in the trivial set whose time per migration is the tools' overhead.
pub const TRIVIAL: usize = 500;

/// Where the bench writes its results: `<criterion home>/peers/`.
pub fn results_dir() -> PathBuf {
    crate::results::criterion_home().join("peers")
}

/// Everything one run of the bench measured.
#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Results {
    /// When the run started (UTC, as `date -u` prints it).
    pub date: String,
    /// The server's `version()`.
    pub server: String,
    /// Timed workloads: workload id, then tool, then the samples in nanoseconds, round by round.
    pub timings: BTreeMap<String, BTreeMap<String, Vec<f64>>>,
    /// W4 per tool.
    pub round_trips: BTreeMap<String, RoundTrips>,
    /// Peak memory per tool, plus `baseline` (connect and `SELECT 1`, nothing migrated).
    pub memory: BTreeMap<String, Memory>,
    /// Replicas migrating one empty database at once, per tool.
    pub replicas: BTreeMap<String, Vec<ReplicaTrial>>,
    /// W5 per tool, plus `empty` (a crate with no migrations).
    pub compile: BTreeMap<String, Compile>,
    /// What our runtime sends, one entry per round trip, by scenario.
    pub statements: BTreeMap<String, Vec<Vec<String>>>,
    /// Settings of the run and what failed, for the table's notes.
    pub notes: Vec<String>,
}

/// W4: client round trips (a round trip starts when the client sends after hearing from the
/// server) and protocol exchanges (`Sync` and simple `Query` messages), counted by a proxy.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct RoundTrips {
    /// Round trips per migration: the difference between applying 110 and 10 trivial
    /// revisions, divided by 100. Below 1 for a runner that sends the next migration before
    /// the answer to the last one (how many share a round trip depends on timing).
    pub per_migration: f64,
    /// Round trips of a whole upgrade applying 10 trivial revisions from an empty database
    /// (not "apart from its migrations": with pipelining, the two do not separate).
    pub upgrade_10: u64,
    /// `Sync` + `Query` messages per migration.
    pub messages_per_migration: f64,
    /// Round trips of a no-op check with 500 applied, connection open.
    pub noop: u64,
    /// The same, including connecting (startup and authentication).
    pub noop_connect: u64,
}

/// Peak resident memory of a child process that loads 500 revisions from disk, connects and
/// applies them.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Memory {
    /// `VmHWM` at the end, KiB.
    pub peak_kib: u64,
    /// `VmHWM` after loading and connecting, before migrating, KiB.
    pub before_kib: u64,
}

/// One trial of replicas started together on one empty database.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct ReplicaTrial {
    /// Replicas that exited successfully.
    pub succeeded: usize,
    /// Replicas started.
    pub replicas: usize,
    /// History rows afterwards, and how many there should be.
    pub history_rows: i64,
    /// Revisions in the set.
    pub expected: usize,
}

/// W5 for one crate.
#[derive(Debug, Default, Clone, Serialize, Deserialize)]
pub struct Compile {
    /// Release build of the crate alone (dependencies built), seconds, round by round.
    pub clean_s: Vec<f64>,
    /// Release rebuild after one `up.sql` changed, seconds.
    pub incremental_s: Vec<f64>,
    /// Size of the release binary, bytes.
    pub size_bytes: u64,
}

impl Results {
    /// Reads `peers.json` from `dir`.
    pub fn load(dir: &Path) -> std::io::Result<Self> {
        let text = std::fs::read_to_string(dir.join("peers.json"))?;
        serde_json::from_str(&text).map_err(std::io::Error::other)
    }

    /// Writes `peers.json` and the table as `peers.md` into `dir`.
    pub fn save(&self, dir: &Path) -> std::io::Result<()> {
        std::fs::create_dir_all(dir)?;
        let json = serde_json::to_string_pretty(self).map_err(std::io::Error::other)?;
        std::fs::write(dir.join("peers.json"), json)?;
        std::fs::write(dir.join("peers.md"), report(self))
    }

    fn timing(&self, workload: &str, tool: &str) -> Option<f64> {
        let mut samples = self.timings.get(workload)?.get(tool)?.clone();
        median(&mut samples)
    }

    /// Median over rounds of (tool − raw) / revisions: the tool's own time per migration.
    fn overhead(&self, tool: &str) -> Option<f64> {
        let runs = self.timings.get("w1_trivial_500")?;
        let (ours, raw) = (runs.get(tool)?, runs.get(RAW)?);
        let mut per_round: Vec<f64> = ours
            .iter()
            .zip(raw)
            .map(|(t, r)| (t - r) / TRIVIAL as f64)
            .collect();
        median(&mut per_round)
    }
}

/// One row: a figure per tool (lower is better), formatted with `digits` decimals.
struct Row {
    label: String,
    values: [Option<f64>; 4],
    digits: usize,
}

fn rows(results: &Results) -> Vec<Row> {
    let per_tool = |f: &dyn Fn(&str) -> Option<f64>| TOOLS.map(f);
    let ms = |workload: &'static str| {
        move |tool: &str| results.timing(workload, tool).map(|ns| ns / 1e6)
    };
    let row = |label: &str, values, digits| Row {
        label: label.to_owned(),
        values,
        digits,
    };
    let trips = |f: fn(&RoundTrips) -> f64| move |tool: &str| results.round_trips.get(tool).map(f);
    let compile =
        |f: fn(&Compile) -> Option<f64>| move |tool: &str| results.compile.get(tool).and_then(f);
    let empty = results.compile.get("empty").map(|c| c.size_bytes as f64);
    vec![
        row(
            "W1: apply 10 revisions from empty (ms)",
            per_tool(&ms("w1_10")),
            2,
        ),
        row("W1: apply 100 revisions (ms)", per_tool(&ms("w1_100")), 1),
        row("W1: apply 500 revisions (ms)", per_tool(&ms("w1_500")), 1),
        row(
            "W1: 500 `SELECT 1` revisions, time per migration (ms)",
            per_tool(&|tool| {
                results
                    .timing("w1_trivial_500", tool)
                    .map(|ns| ns / 1e6 / TRIVIAL as f64)
            }),
            3,
        ),
        row(
            "W1: tool overhead per migration (ms; the above less one raw `SELECT 1`)",
            per_tool(&|tool| results.overhead(tool).map(|ns| ns / 1e6)),
            3,
        ),
        row(
            "W2: no-op check, 500 applied, connection open (ms)",
            per_tool(&ms("w2_open")),
            2,
        ),
        row(
            "W2: no-op check including connect (ms)",
            per_tool(&ms("w2_connect")),
            2,
        ),
        row(
            "W4: round trips per migration",
            per_tool(&trips(|r| r.per_migration)),
            2,
        ),
        row(
            "W4: `Sync`/`Query` messages per migration",
            per_tool(&trips(|r| r.messages_per_migration)),
            2,
        ),
        row(
            "W4: round trips of a whole upgrade, 10 revisions from empty",
            per_tool(&trips(|r| r.upgrade_10 as f64)),
            0,
        ),
        row(
            "W4: round trips of the no-op check (connection open)",
            per_tool(&trips(|r| r.noop as f64)),
            0,
        ),
        row(
            "W4: round trips of the no-op check including connect",
            per_tool(&trips(|r| r.noop_connect as f64)),
            0,
        ),
        row(
            "Peak RSS applying 500 revisions (MiB)",
            per_tool(&|tool| results.memory.get(tool).map(|m| m.peak_kib as f64 / 1024.0)),
            1,
        ),
        row(
            "Peak RSS growth while migrating (MiB)",
            per_tool(&|tool| {
                let m = results.memory.get(tool)?;
                Some(m.peak_kib.saturating_sub(m.before_kib) as f64 / 1024.0)
            }),
            1,
        ),
        row(
            "W5: release build of the crate, 1000 revisions, deps built (s)",
            per_tool(&compile(|c| median(&mut c.clean_s.clone()))),
            2,
        ),
        row(
            "W5: incremental release rebuild, one `up.sql` changed (s)",
            per_tool(&compile(|c| median(&mut c.incremental_s.clone()))),
            2,
        ),
        row(
            "W5: binary size growth over an empty crate (KiB)",
            per_tool(&|tool| {
                let size = results.compile.get(tool)?.size_bytes as f64;
                Some((size - empty?) / 1024.0)
            }),
            0,
        ),
    ]
}

/// The table: one row per figure, one column per tool, the best peer and our ratio to it
/// (below 1.00x we are ahead; every figure is lower-is-better). Missing figures show as `-`.
pub fn table(results: &Results) -> String {
    let mut text = format!(
        "| figure | {} | best peer | ours / best peer |\n|---|{}---|---:|\n",
        TOOLS.join(" | "),
        "---:|".repeat(TOOLS.len())
    );
    for row in rows(results) {
        let cells: Vec<String> = row
            .values
            .iter()
            .map(|v| v.map_or_else(|| "-".to_owned(), |v| format!("{v:.*}", row.digits)))
            .collect();
        let best = (1..TOOLS.len())
            .filter_map(|i| row.values[i].map(|v| (i, v)))
            .min_by(|a, b| a.1.total_cmp(&b.1));
        let (best_name, ratio) = match (best, row.values[0]) {
            (Some((i, peer)), Some(ours)) if peer > 0.0 => {
                (TOOLS[i].to_owned(), format!("{:.2}x", ours / peer))
            }
            (Some((i, _)), _) => (TOOLS[i].to_owned(), "-".to_owned()),
            (None, _) => ("-".to_owned(), "-".to_owned()),
        };
        text.push_str(&format!(
            "| {} | {} | {best_name} | {ratio} |\n",
            row.label,
            cells.join(" | ")
        ));
    }
    let replicas: Vec<String> = TOOLS
        .iter()
        .map(|tool| match results.replicas.get(*tool) {
            Some(trials) if !trials.is_empty() => trials
                .iter()
                .map(|t| {
                    let history = if t.history_rows == t.expected as i64 {
                        ""
                    } else {
                        " (history wrong)"
                    };
                    format!("{}/{}{history}", t.succeeded, t.replicas)
                })
                .collect::<Vec<_>>()
                .join(", "),
            _ => "-".to_owned(),
        })
        .collect();
    text.push_str(&format!(
        "| Replicas migrating one empty database at once: succeeded, per trial | {} | - | - |\n",
        replicas.join(" | ")
    ));
    text
}

/// The whole report: header, table, notes and our runtime's statements.
/// The W1 sets' scripts sent raw (one exchange each, no history, no lock): what applying them
/// costs the server at least, beside the best peer's time.
fn floors(results: &Results) -> String {
    let mut text = String::new();
    for (id, revisions) in [("w1_10", 10), ("w1_100", 100), ("w1_500", 500)] {
        let (Some(raw), Some(best)) = (
            results.timing(id, RAW),
            TOOLS[1..]
                .iter()
                .filter_map(|tool| results.timing(id, tool))
                .reduce(f64::min),
        ) else {
            continue;
        };
        text.push_str(&format!(
            "\nW1, {revisions} revisions: the same up scripts sent raw, one exchange each, no \
             history: {:.1} ms; the best peer takes {:.2}x that.",
            raw / 1e6,
            best / raw
        ));
    }
    if !text.is_empty() {
        text.push('\n');
    }
    text
}

pub fn report(results: &Results) -> String {
    let mut text = format!(
        "Run of {} against {}\n\n{}",
        results.date,
        results.server,
        table(results)
    );
    text.push_str(&floors(results));
    if !results.notes.is_empty() {
        text.push('\n');
        for note in &results.notes {
            text.push_str(&format!("- {note}\n"));
        }
    }
    for (scenario, flights) in &results.statements {
        let waited = |flight: &Vec<String>| flight.iter().any(|m| m != "Close" && m != "Sync");
        text.push_str(&format!(
            "\nOur runtime, {scenario}: {} round trips (messages the client sent before each \
             answer; a burst of only `Close`/`Sync` is not waited on and not counted)\n\n",
            flights.iter().filter(|f| waited(f)).count()
        ));
        for (i, flight) in flights.iter().enumerate() {
            let note = if waited(flight) {
                ""
            } else {
                " (not waited on)"
            };
            text.push_str(&format!("{}. {}{note}\n", i + 1, flight.join(" · ")));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratio_is_against_the_fastest_peer() {
        let mut results = Results::default();
        let w1 = results.timings.entry("w1_500".into()).or_default();
        for (tool, ms) in [
            ("ours", 30.0),
            ("refinery", 40.0),
            ("sqlx", 20.0),
            ("diesel", 25.0),
        ] {
            w1.insert(tool.into(), vec![ms * 1e6]);
        }
        let table = table(&results);
        let row = "| W1: apply 500 revisions (ms) | 30.0 | 40.0 | 20.0 | 25.0 | sqlx | 1.50x |";
        assert!(table.contains(row), "{table}");
    }

    #[test]
    fn overhead_subtracts_the_raw_bodies_round_by_round() {
        let mut results = Results::default();
        let runs = results.timings.entry("w1_trivial_500".into()).or_default();
        runs.insert("ours".into(), vec![600e6, 1000e6]);
        runs.insert(RAW.into(), vec![100e6, 500e6]);
        // (600 - 100) / 500 and (1000 - 500) / 500 ms: 1 ms both rounds.
        assert_eq!(results.overhead("ours"), Some(1e6));
    }
}
