//! Where the W3 results live and how they are summarised: criterion's estimates for each
//! contender, plus the bench's own strictly alternating cross-check, as one markdown table; and
//! how every bench ends when it cannot run ([`fail`]).

use std::error::Error;
use std::io;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

/// Our contender's name in criterion's output.
pub const OURS: &str = "appdb_template_clone";
/// sqlx's contender's name in criterion's output.
pub const PEER: &str = "sqlx_replay";
/// The schema-per-test alternative's name: one shared database, a schema per test, every
/// revision replayed into it with our runtime.
pub const SCHEMA: &str = "schema_per_test_replay";
/// The file in a group's directory holding the alternating cross-check's samples.
pub const INTERLEAVED_FILE: &str = "interleaved.json";

/// One revision set: its criterion group and how the table names it.
#[derive(Debug, Clone, Copy)]
pub struct Set {
    /// Criterion's group name, also the directory under the criterion home.
    pub group: &'static str,
    /// For people.
    pub label: &'static str,
}

/// The sets the bench measures, in the order it measures them.
pub const SETS: [Set; 2] = [
    Set {
        group: "w3_911",
        label: "911 schema (3 revisions)",
    },
    Set {
        group: "w3_synthetic_200",
        label: "synthetic (200 revisions)",
    },
];

/// Criterion's output directory, found as criterion finds it: `CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the target directory `cargo metadata` reports.
pub fn criterion_home() -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return Path::new(&target).join("criterion");
    }
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let metadata = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps"])
        .output();
    let target = metadata.ok().and_then(|output| {
        let value: Value = serde_json::from_slice(&output.stdout).ok()?;
        value["target_directory"].as_str().map(PathBuf::from)
    });
    target.unwrap_or_else(|| "target".into()).join("criterion")
}

/// Writes the alternating cross-check's samples (nanoseconds) of one set.
pub fn write_interleaved(home: &Path, set: &Set, ours: &[u128], peer: &[u128]) -> io::Result<()> {
    let dir = home.join(set.group);
    std::fs::create_dir_all(&dir)?;
    let value = serde_json::json!({ OURS: ours, PEER: peer });
    std::fs::write(dir.join(INTERLEAVED_FILE), value.to_string())
}

/// The median of `samples`, `None` when empty.
pub fn median(samples: &mut [f64]) -> Option<f64> {
    samples.sort_by(f64::total_cmp);
    let n = samples.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(samples[n / 2]),
        _ => Some((samples[n / 2 - 1] + samples[n / 2]) / 2.0),
    }
}

/// Criterion's median estimate for `bench` of `set`, in nanoseconds.
fn criterion_median(home: &Path, set: &Set, bench: &str) -> Option<f64> {
    let path = home.join(set.group).join(bench).join("new/estimates.json");
    let value: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
    value["median"]["point_estimate"].as_f64()
}

/// The cross-check's samples of `set` in nanoseconds, ours and sqlx's, round by round.
fn interleaved(home: &Path, set: &Set) -> Option<(Vec<f64>, Vec<f64>)> {
    let text = std::fs::read_to_string(home.join(set.group).join(INTERLEAVED_FILE)).ok()?;
    let value: Value = serde_json::from_str(&text).ok()?;
    let samples = |bench: &str| -> Option<Vec<f64>> {
        let array = value[bench].as_array()?;
        Some(array.iter().filter_map(Value::as_f64).collect())
    };
    Some((samples(OURS)?, samples(PEER)?))
}

/// The cross-check's medians and its ratio: the median of each round's sqlx / ours, which a
/// load change between rounds does not skew as it can a ratio of medians.
fn interleaved_summary(home: &Path, set: &Set) -> [String; 3] {
    let Some((mut ours, mut peer)) = interleaved(home, set) else {
        return ["-", "-", "-"].map(str::to_owned);
    };
    let mut ratios: Vec<f64> = ours.iter().zip(&peer).map(|(o, p)| p / o).collect();
    let ratio = median(&mut ratios).map_or_else(|| "-".to_owned(), |r| format!("{r:.1}x"));
    [ms(median(&mut ours)), ms(median(&mut peer)), ratio]
}

/// The summary as a markdown table: medians in milliseconds and how many times longer sqlx's
/// replay takes than our clone. Missing results show as `-`.
pub fn table(home: &Path) -> String {
    let mut text = String::from(
        "| revision set | ours: template clone (ms) | sqlx: replay (ms) | sqlx / ours \
         | interleaved ours (ms) | interleaved sqlx (ms) | interleaved sqlx / ours, per round \
         | schema per test, replayed (ms) |\n\
         |---|---:|---:|---:|---:|---:|---:|---:|\n",
    );
    for set in &SETS {
        let criterion = [OURS, PEER].map(|bench| criterion_median(home, set, bench));
        let [ours, peer] = criterion;
        let [i_ours, i_peer, i_ratio] = interleaved_summary(home, set);
        let schema = ms(criterion_median(home, set, SCHEMA));
        text.push_str(&format!(
            "| {} | {} | {} | {} | {i_ours} | {i_peer} | {i_ratio} | {schema} |\n",
            set.label,
            ms(ours),
            ms(peer),
            ratio(ours, peer)
        ));
    }
    text
}

fn ms(ns: Option<f64>) -> String {
    ns.map_or_else(|| "-".to_owned(), |ns| format!("{:.1}", ns / 1e6))
}

fn ratio(ours: Option<f64>, peer: Option<f64>) -> String {
    match (ours, peer) {
        (Some(ours), Some(peer)) if ours > 0.0 => format!("{:.1}x", peer / ours),
        _ => "-".to_owned(),
    }
}

/// Ends the bench with the error and its causes: a benchmark that cannot run has nothing to
/// report.
pub fn fail(what: &str, error: impl Into<Box<dyn Error>>) -> ! {
    let error = error.into();
    let mut message = format!("{what} failed: {error}");
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    panic!("{message}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&mut []), None);
    }

    #[test]
    fn table_reads_criterion_and_interleaved_results() -> io::Result<()> {
        let home = tempfile::tempdir()?;
        let set = &SETS[0];
        for (bench, ns) in [(OURS, 20e6), (PEER, 50e6)] {
            let dir = home.path().join(set.group).join(bench).join("new");
            std::fs::create_dir_all(&dir)?;
            let estimates = serde_json::json!({ "median": { "point_estimate": ns } });
            std::fs::write(dir.join("estimates.json"), estimates.to_string())?;
        }
        let (ours, peer) = ([10_000_000, 30_000_000], [60_000_000, 60_000_000]);
        write_interleaved(home.path(), set, &ours, &peer)?;
        let table = table(home.path());
        // Per-round ratios 6 and 2: their median, not the ratio of the medians (3).
        let row = "| 911 schema (3 revisions) | 20.0 | 50.0 | 2.5x | 20.0 | 60.0 | 4.0x | - |";
        assert!(table.contains(row), "{table}");
        assert!(table.contains("| synthetic (200 revisions) | - | - | - | - | - | - | - |"));
        Ok(())
    }
}
