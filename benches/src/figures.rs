//! The schema bench's summary: min, median and max of each figure, from criterion's saved
//! samples (`<group>/<bench>/new/sample.json`: per sample, the iterations and their total time)
//! or from rounds the bench timed itself, with the goal each is held to, as markdown.

use std::path::Path;
use std::time::Duration;

use serde_json::Value;

use crate::results::median;

/// One figure's samples, in nanoseconds per iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct Samples {
    /// Nanoseconds per iteration, one entry per sample.
    pub ns: Vec<f64>,
    /// Iterations per sample, smallest and largest (criterion's samples may differ).
    pub iterations: (u64, u64),
}

impl Samples {
    /// Rounds timed one iteration each.
    pub fn of_rounds(rounds: &[Duration]) -> Samples {
        Samples {
            ns: rounds.iter().map(|d| d.as_nanos() as f64).collect(),
            iterations: (1, 1),
        }
    }

    /// Criterion's samples of `bench` in `group` under `home`, `None` when it saved none
    /// (`--test` mode, or the bench was filtered out).
    pub fn of_criterion(home: &Path, group: &str, bench: &str) -> Option<Samples> {
        let path = home.join(group).join(bench).join("new/sample.json");
        let value: Value = serde_json::from_str(&std::fs::read_to_string(path).ok()?).ok()?;
        let numbers = |key: &str| -> Option<Vec<f64>> {
            Some(
                value[key]
                    .as_array()?
                    .iter()
                    .filter_map(Value::as_f64)
                    .collect(),
            )
        };
        let (iters, times) = (numbers("iters")?, numbers("times")?);
        let ns = times.iter().zip(&iters).map(|(t, i)| t / i).collect();
        let min = iters.iter().copied().fold(f64::INFINITY, f64::min);
        let max = iters.iter().copied().fold(0.0, f64::max);
        Some(Samples {
            ns,
            iterations: (min as u64, max as u64),
        })
    }

    /// `(min, median, max)` in nanoseconds.
    pub fn spread(&self) -> Option<(f64, f64, f64)> {
        let mut sorted = self.ns.clone();
        let median = median(&mut sorted)?;
        Some((sorted[0], median, sorted[sorted.len() - 1]))
    }
}

/// A row of the summary.
#[derive(Debug, Clone)]
pub struct Row {
    /// What was measured.
    pub label: String,
    /// Its samples, `None` when missing.
    pub samples: Option<Samples>,
    /// The goal, a time the median must stay under.
    pub goal: Option<Duration>,
}

/// The rows as a markdown table in milliseconds: samples and iterations per sample, min, median,
/// max, the goal and whether the median meets it (and the max, in brackets).
///
/// ```
/// use std::time::Duration;
/// use appdb_benches::figures::{table, Row, Samples};
/// let samples = Samples::of_rounds(&[1, 3, 2].map(Duration::from_millis));
/// let row = Row { label: "x".into(), samples: Some(samples), goal: Some(Duration::from_millis(2)) };
/// assert!(table(&[row]).ends_with("| x | 3 × 1 | 1.00 | 2.00 | 3.00 | < 2 ms | missed (max missed) |\n"));
/// ```
pub fn table(rows: &[Row]) -> String {
    let mut text = String::from(
        "| figure | samples × iterations | min (ms) | median (ms) | max (ms) | goal | median meets it |\n\
         |---|---:|---:|---:|---:|---|---|\n",
    );
    for row in rows {
        let spread = row.samples.as_ref().and_then(Samples::spread);
        let (count, cells) = match (&row.samples, spread) {
            (Some(samples), Some((min, median, max))) => {
                let (low, high) = samples.iterations;
                let iterations = match low == high {
                    true => low.to_string(),
                    false => format!("{low}-{high}"),
                };
                let count = format!("{} × {iterations}", samples.ns.len());
                (count, Some((min, median, max)))
            }
            _ => ("-".to_owned(), None),
        };
        let [min, median, max] = match cells {
            Some((min, median, max)) => [min, median, max].map(ms),
            None => ["-", "-", "-"].map(str::to_owned),
        };
        let goal = row
            .goal
            .map_or_else(|| "-".to_owned(), |g| format!("< {} ms", g.as_millis()));
        let verdict = match (row.goal, cells) {
            (Some(goal), Some((_, median, max))) => {
                let goal = goal.as_nanos() as f64;
                let word = |ok: bool| if ok { "met" } else { "missed" };
                format!("{} (max {})", word(median < goal), word(max < goal))
            }
            _ => "-".to_owned(),
        };
        text.push_str(&format!(
            "| {} | {count} | {min} | {median} | {max} | {goal} | {verdict} |\n",
            row.label
        ));
    }
    text
}

fn ms(ns: f64) -> String {
    let ms = ns / 1e6;
    match ms {
        ms if ms >= 100.0 => format!("{ms:.0}"),
        ms if ms >= 10.0 => format!("{ms:.1}"),
        _ => format!("{ms:.2}"),
    }
}
