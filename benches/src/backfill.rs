//! The backfill bench's (W8) figures and tables: min, median and max of per-run figures (lines
//! per second, peak memory), the kill-and-resume rounds, and the seeded generator that picks the
//! moments of the kills.
//!
//! ```
//! use appdb_benches::backfill::{table, Figure};
//! let rate = Figure::new("lines/s", vec![20_000.0, 25_000.0, 22_000.0], 0);
//! assert!(table(&[rate]).ends_with("| lines/s | 3 | 20000 | 22000 | 25000 |\n"));
//! ```

use std::time::Duration;

use crate::results::median;

/// A linear congruential generator (Knuth's MMIX constants). The kill delays only need to be
/// spread out and repeatable from a printed seed, which this gives without another crate.
///
/// ```
/// use appdb_benches::backfill::Lcg;
/// let (mut a, mut b) = (Lcg::new(7), Lcg::new(7));
/// assert_eq!(a.fraction(), b.fraction());
/// assert!((0.0..1.0).contains(&a.fraction()));
/// ```
#[derive(Debug, Clone)]
pub struct Lcg(u64);

impl Lcg {
    /// The generator started from `seed`.
    pub fn new(seed: u64) -> Lcg {
        Lcg(seed)
    }

    /// The next state.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        self.0
    }

    /// A fraction in `[0, 1)`, from the state's high 53 bits: an LCG's low bits repeat with
    /// short periods.
    pub fn fraction(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }

    /// A duration uniformly in `[0, bound)`.
    pub fn below(&mut self, bound: Duration) -> Duration {
        bound.mul_f64(self.fraction())
    }
}

/// One figure measured once per run.
#[derive(Debug, Clone, PartialEq)]
pub struct Figure {
    /// What was measured, with its unit.
    pub label: String,
    /// One value per run.
    pub values: Vec<f64>,
    /// Decimals shown.
    pub decimals: usize,
}

impl Figure {
    /// A figure of `values`, shown with `decimals` decimals.
    pub fn new(label: &str, values: Vec<f64>, decimals: usize) -> Figure {
        Figure {
            label: label.to_owned(),
            values,
            decimals,
        }
    }

    /// `(min, median, max)`, `None` without values.
    pub fn spread(&self) -> Option<(f64, f64, f64)> {
        let mut sorted = self.values.clone();
        let median = median(&mut sorted)?;
        Some((sorted[0], median, sorted[sorted.len() - 1]))
    }
}

/// The figures as a markdown table: samples, min, median, max.
pub fn table(figures: &[Figure]) -> String {
    let mut text =
        String::from("| figure | samples | min | median | max |\n|---|---:|---:|---:|---:|\n");
    for figure in figures {
        let cells = match figure.spread() {
            Some((min, median, max)) => {
                [min, median, max].map(|v| format!("{v:.*}", figure.decimals))
            }
            None => ["-", "-", "-"].map(str::to_owned),
        };
        let [min, median, max] = cells;
        text.push_str(&format!(
            "| {} | {} | {min} | {median} | {max} |\n",
            figure.label,
            figure.values.len()
        ));
    }
    text
}

/// What one killed run of the kill-and-resume round found.
#[derive(Debug, Clone, PartialEq)]
pub enum KillOutcome {
    /// Killed with the revision unfinished.
    MidRun {
        /// The progress row's batch before the run started (the batch that runs next; `None`:
        /// no row, nothing committed yet).
        before: Option<u32>,
        /// The progress row's batch after the kill: the batch in flight when it was killed.
        at: Option<u32>,
        /// When this run's first batch committed, after its start, as the poll saw it: the
        /// run's start-up (process, connection, lock, plan) plus one batch. `None`: none did.
        first: Option<Duration>,
        /// Time from the last commit this run made, as the bench's poll saw it (or from the
        /// start, when it made none), to the kill: the work thrown away.
        lost: Duration,
        /// Whether the committed work was exactly what the row says: the lines up to its
        /// cursor have their entities, and no line after it has any.
        consistent: bool,
    },
    /// The run had recorded the revision before the kill: not a kill mid-run, not counted.
    AfterFinish,
}

/// One kill of the round.
#[derive(Debug, Clone, PartialEq)]
pub struct Kill {
    /// How long after the start the kill was sent.
    pub delay: Duration,
    /// What the database said after it.
    pub outcome: KillOutcome,
}

impl Kill {
    /// Batches this run committed, for a kill mid-run.
    pub fn committed(&self) -> Option<u32> {
        match self.outcome {
            KillOutcome::MidRun { before, at, .. } => Some(batch(at) - batch(before)),
            KillOutcome::AfterFinish => None,
        }
    }
}

/// Batch 1 runs first: no progress row means the first batch is next.
fn batch(row: Option<u32>) -> u32 {
    row.unwrap_or(1)
}

/// The kills as a markdown table, one row each.
///
/// ```
/// use std::time::Duration;
/// use appdb_benches::backfill::{kill_table, Kill, KillOutcome};
/// let ms = Duration::from_millis;
/// let outcome = KillOutcome::MidRun {
///     before: None,
///     at: Some(4),
///     first: Some(ms(400)),
///     lost: ms(150),
///     consistent: true,
/// };
/// let text = kill_table(&[Kill { delay: ms(1200), outcome }]);
/// assert!(text.ends_with("| 1 | 1200 | none (batch 1 next) | 4 | 3 | 400 | 150 | yes |\n"));
/// ```
pub fn kill_table(kills: &[Kill]) -> String {
    let mut text = String::from(
        "| kill | after (ms) | progress row before the run \
         | progress row after the kill (batch in flight) | batches this run committed \
         | its first commit after (ms) | ms since its last commit, or its start (work lost) \
         | committed = row says |\n\
         |---:|---:|---|---:|---:|---:|---:|---|\n",
    );
    for (number, kill) in kills.iter().enumerate() {
        let delay = kill.delay.as_millis();
        let row = match &kill.outcome {
            KillOutcome::MidRun {
                before,
                at,
                first,
                lost,
                consistent,
            } => {
                let before =
                    before.map_or_else(|| "none (batch 1 next)".to_owned(), |b| b.to_string());
                let at = at.map_or_else(|| "none".to_owned(), |b| b.to_string());
                let committed = kill.committed().unwrap_or_default();
                let first = first.map_or_else(|| "-".to_owned(), |f| f.as_millis().to_string());
                let consistent = if *consistent { "yes" } else { "**no**" };
                format!(
                    "{before} | {at} | {committed} | {first} | {} | {consistent}",
                    lost.as_millis()
                )
            }
            KillOutcome::AfterFinish => {
                "- | after the run finished: not counted | - | - | - | -".to_owned()
            }
        };
        text.push_str(&format!("| {} | {delay} | {row} |\n", number + 1));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fractions_spread_over_the_unit_interval() {
        let mut lcg = Lcg::new(42);
        let draws: Vec<f64> = (0..10_000).map(|_| lcg.fraction()).collect();
        assert!(draws.iter().all(|f| (0.0..1.0).contains(f)));
        for decile in 0..10 {
            let low = decile as f64 / 10.0;
            let count = draws
                .iter()
                .filter(|f| (low..low + 0.1).contains(*f))
                .count();
            assert!((800..1200).contains(&count), "decile {decile}: {count}");
        }
    }

    #[test]
    fn spread_of_an_even_count_takes_the_middle_two() {
        let figure = Figure::new("x", vec![4.0, 1.0, 3.0, 2.0], 1);
        assert_eq!(figure.spread(), Some((1.0, 2.5, 4.0)));
        assert_eq!(Figure::new("x", vec![], 0).spread(), None);
    }

    #[test]
    fn a_kill_after_the_finish_is_not_counted() {
        let kill = Kill {
            delay: Duration::from_millis(5),
            outcome: KillOutcome::AfterFinish,
        };
        assert_eq!(kill.committed(), None);
        assert!(kill_table(&[kill]).contains("after the run finished: not counted"));
    }
}
