//! The bench's markdown: conditions, the figures' table, where the time went, the kills' table
//! and what they add up to, the checks' verdict.

use std::process::Command;
use std::time::Duration;

use appdb_benches::backfill::{kill_table, table, Figure, KillOutcome};
use appdb_benches::results;

use super::child::Run;
use super::fixture::Template;
use super::kills::Round;
use super::{Setup, KILLS};

/// What the markdown is made of.
pub(super) struct Rendered<'a> {
    pub(super) conditions: &'a str,
    pub(super) setup: &'a Setup<'a>,
    pub(super) figures: &'a [Figure],
    pub(super) sizes_after: &'a str,
    pub(super) large: &'a Template,
    /// The uninterrupted runs on the large template.
    pub(super) large_runs: &'a [Run],
    /// The extractor's lines per second in this process, one per sample.
    pub(super) extraction: &'a [f64],
    pub(super) round: &'a Round,
    pub(super) problems: &'a [String],
}

pub(super) fn render(r: &Rendered<'_>) -> String {
    let verdict = match r.problems.is_empty() {
        true => "every line has exactly `extract(text).len()` entities, no (transcript_id, \
                 start_char, entity_type) twice, the history row written and the progress row \
                 gone; after each kill the committed lines and entities were exactly those up to \
                 the row's cursor"
            .to_owned(),
        false => format!("**checks failed**: {}", r.problems.join("; ")),
    };
    format!(
        "W8, the batched backfill (revision 004, {batch} lines per batch), {date}, commit {commit}\n\n\
         Conditions: {conditions}; a throwaway `LocalCluster`, reached over its Unix socket. \
         Child: `{binary} db upgrade head` (release build), `DATABASE_URL` a key=value string \
         naming the socket directory.\n\n\
         {table}\n\
         After a {lines}-line backfill: {sizes}. {breakdown}\n\n\
         {kills}\n\
         Result: {verdict}.\n",
        batch = r.setup.batch,
        date = date(),
        commit = commit(),
        conditions = r.conditions,
        binary = r.setup.binary.display(),
        table = table(r.figures),
        lines = thousands(r.large.lines),
        sizes = r.sizes_after,
        breakdown = breakdown(r),
        kills = kill_summary(r),
    )
}

/// Medians of `values`, 0 without any.
pub(super) fn median_of(values: impl IntoIterator<Item = f64>) -> f64 {
    let mut values: Vec<f64> = values.into_iter().collect();
    results::median(&mut values).unwrap_or_default()
}

/// Where the large runs' time went: the child's CPU (the extraction's share estimated from its
/// rate in this process) and the rest, waiting for the server.
fn breakdown(r: &Rendered<'_>) -> String {
    let wall = median_of(r.large_runs.iter().map(|run| run.wall.as_secs_f64()));
    let cpu = median_of(
        r.large_runs
            .iter()
            .filter_map(|run| Some(run.cpu?.as_secs_f64())),
    );
    let extraction = r.large.lines as f64 / median_of(r.extraction.iter().copied());
    format!(
        "Where the time of the median {lines}-line run ({wall:.1} s) goes: the child's CPU \
         {cpu:.1} s ({cpu_share:.0}%), of which the extractor alone would take {extraction:.1} s \
         ({extraction_share:.0}% of the wall time, at its rate in the bench process); the other \
         {waiting:.1} s ({waiting_share:.0}%) the child waits on its connection: the server \
         running the batch's statements, and the socket.",
        lines = thousands(r.large.lines),
        cpu_share = cpu / wall * 100.0,
        extraction_share = extraction / wall * 100.0,
        waiting = wall - cpu,
        waiting_share = (wall - cpu) / wall * 100.0,
    )
}

/// The kill-and-resume round: its table and what it adds up to.
fn kill_summary(r: &Rendered<'_>) -> String {
    let round = r.round;
    let mid_run: Vec<_> = round.mid_run().collect();
    let ms = |d: Duration| d.as_secs_f64() * 1e3;
    let outcomes = mid_run.iter().filter_map(|k| match k.outcome {
        KillOutcome::MidRun { first, lost, .. } => Some((first, lost)),
        KillOutcome::AfterFinish => None,
    });
    let (firsts, losts): (Vec<_>, Vec<_>) = outcomes.unzip();
    let lost_max = losts.iter().copied().max().map_or(0.0, ms);
    let lost = median_of(losts.into_iter().map(ms));
    let first = median_of(firsts.into_iter().flatten().map(ms));
    let walls = Figure::new(
        "",
        r.large_runs
            .iter()
            .map(|run| run.wall.as_secs_f64())
            .collect(),
        2,
    );
    let (low, wall, high) = walls.spread().unwrap_or_default();
    let batches = (r.large.lines + r.setup.batch - 1) / r.setup.batch;
    let per_batch = wall * 1e3 / batches as f64;
    let consistent = mid_run.iter().all(|k| {
        matches!(
            k.outcome,
            KillOutcome::MidRun {
                consistent: true,
                ..
            }
        )
    });
    let bound = match consistent {
        true => {
            "after every kill the committed work was exactly the batches before the one in \
                 flight, so each kill lost that batch's work and nothing more"
        }
        false => "**after some kill the committed work was not what the progress row says**",
    };
    format!(
        "Kill and resume on {lines} lines, seed {seed} (`W8_SEED={seed}` repeats it): each of \
         {kills} runs killed with SIGKILL uniformly within the first {window:.2?} of its run \
         (the median uninterrupted run over {kills}, so that the kills together fall within one \
         run's time), then one run left to finish.\n\n\
         {table}\n\
         {mid} kills landed mid-run, {after} after the finish (not counted). Total time of all \
         {runs} runs, kills included: {total:.2} s (the last one {finish:.2} s), against \
         {low:.2} to {high:.2} s (median {wall:.2}) uninterrupted. Work lost per kill, from this \
         run's last commit seen by a 20 ms poll (so up to 20 ms short) to the kill: median \
         {lost:.0} ms, max {lost_max:.0} ms, against {per_batch:.0} ms per batch at the median \
         rate; {bound}. A restart's first commit came a median \
         {first:.0} ms after its start: start-up (process, connection, lock, plan) plus one \
         batch.\n",
        lines = thousands(r.large.lines),
        seed = r.setup.seed,
        kills = KILLS,
        window = round.window,
        table = kill_table(&round.kills),
        mid = mid_run.len(),
        after = round.kills.len() - mid_run.len(),
        runs = round.kills.len() + 1,
        total = round.total.as_secs_f64(),
        finish = round.finish.wall.as_secs_f64(),
    )
}

/// `1,000,000`.
pub(super) fn thousands(n: i64) -> String {
    let digits = n.to_string();
    let mut text = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            text.push(',');
        }
        text.push(c);
    }
    text
}

/// The time now, as `date -u` prints it.
fn date() -> String {
    let output = Command::new("date").arg("-u").output();
    output.map_or_else(
        |_| "unknown date".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}

/// The worktree's commit, with `+ uncommitted changes` when tracked files differ from it.
fn commit() -> String {
    let git = |args: &[&str]| {
        let output = Command::new("git")
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .args(args)
            .output();
        output.map_or_else(
            |_| String::new(),
            |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
        )
    };
    let hash = git(&["rev-parse", "--short", "HEAD"]);
    match git(&["status", "--porcelain", "--untracked-files=no"]).is_empty() {
        true => format!("`{hash}`"),
        false => format!("`{hash}` + uncommitted changes"),
    }
}
