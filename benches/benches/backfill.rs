//! W8, the batched backfill: revision 004 (`app-db/migrations/004_backfill_entities/up.rs`)
//! extracting entities from every transcript line, run as production runs it: the release-built
//! `simulator db upgrade head` as a child process, on a database at 003 holding 100,000 and
//! 1,000,000 lines.
//!
//! - Throughput and memory: per size, 3 runs, each on a fresh clone (`CREATE DATABASE ...
//!   TEMPLATE`) of a template seeded once, alternating sizes; wall time from spawn to exit, lines
//!   per second, and the child's peak resident set (`VmHWM`, read every 20 ms), to show whether
//!   memory stays flat as the table grows. Every run is checked: each line has exactly
//!   `extract(text).len()` entities, no entity twice, the history row written.
//! - Where the time goes: the child's CPU time against its wall time (it works on one
//!   connection, so the rest is waiting for the server), and `app_db::sim::extract::extract`
//!   alone over the smaller size's texts in this process, the extraction without any SQL.
//! - Kill and resume: on a fresh clone of the 1,000,000-line template, 10 runs each killed with
//!   SIGKILL at a seeded pseudo-random moment, then one left to finish; after each kill the
//!   committed work must be what the progress row says, and at the end every line must have
//!   its entities exactly once.
//!
//! The table is printed and saved as `$CARGO_TARGET_DIR/criterion/backfill/backfill.md`.
//! `-- --quick` runs 10,000 and 100,000 lines instead, to try it out. `W8_SEED=<n>` repeats a
//! round's kill moments; `W8_SIMULATOR=<path>` uses that binary instead of building it.

use std::error::Error;
use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use app_db::testing::LocalCluster;
use appdb_benches::backfill::Figure;
use appdb_benches::results::{self, fail};
use tokio::runtime::Runtime;

// A bench target's root resolves modules beside itself: these live in `backfill/`, next to it.
#[path = "backfill/check.rs"]
mod check;
#[path = "backfill/child.rs"]
mod child;
#[path = "backfill/fixture.rs"]
mod fixture;
#[path = "backfill/kills.rs"]
mod kills;
#[path = "backfill/report.rs"]
mod report;

use fixture::{Server, Template};
use report::{median_of, thousands, Rendered};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Runs per size.
const SAMPLES: usize = 3;
/// Kills in the kill-and-resume round, before the run left to finish.
const KILLS: usize = 10;
/// The directory of this bench's results under the criterion home.
const GROUP: &str = "backfill";

fn main() {
    let began = Instant::now();
    let quick = std::env::args().any(|arg| arg == "--quick" || arg == "--test");
    let sizes: [i64; 2] = match quick {
        true => [10_000, 100_000],
        false => [100_000, 1_000_000],
    };
    let seed = seed();
    let batch =
        fixture::batch_size().unwrap_or_else(|e| fail("reading the revision's batch size", e));
    let binary = child::simulator().unwrap_or_else(|e| fail("building the simulator", e));
    let rt = Runtime::new().unwrap_or_else(|e| fail("building the runtime", e));
    let cluster = rt
        .block_on(LocalCluster::start_throwaway())
        .unwrap_or_else(|e| fail("starting the server", e));
    let setup = Setup {
        binary: &binary,
        sizes,
        seed,
        batch,
    };
    let (text, problems) = rt
        .block_on(measure(&cluster, &setup))
        .unwrap_or_else(|e| fail("measuring", e));
    let dir = results::criterion_home().join(GROUP);
    let path = dir.join("backfill.md");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, &text))
        .unwrap_or_else(|e| fail("saving the table", e));
    println!(
        "\n{text}\n(saved as {}; the bench took {:.0?})",
        path.display(),
        began.elapsed()
    );
    drop(rt);
    // Stops the cluster and deletes its directory.
    drop(cluster);
    // After the table is saved, so a failed check can be read beside the figures.
    assert!(
        problems.is_empty(),
        "checks failed:\n{}",
        problems.join("\n")
    );
}

/// What every part of the measurement needs.
struct Setup<'a> {
    binary: &'a Path,
    sizes: [i64; 2],
    seed: u64,
    batch: i64,
}

/// Everything, as markdown, and the problems the checks found.
async fn measure(cluster: &LocalCluster, setup: &Setup<'_>) -> Fallible<(String, Vec<String>)> {
    let server = Server::open(cluster).await?;
    let load_before = load();
    let conditions = server.conditions().await?;
    println!("{conditions}");
    for (text, count) in fixture::expected_counts() {
        println!("  extract finds {count} entities in {text:?}");
    }
    let mut templates = Vec::new();
    for lines in setup.sizes {
        templates.push(server.template(lines).await?);
    }
    let mut problems = Vec::new();
    let mut runs: Vec<Vec<child::Run>> = templates.iter().map(|_| Vec::new()).collect();
    let mut sizes_after = String::new();
    for sample in 1..=SAMPLES {
        for (template, runs) in templates.iter().zip(&mut runs) {
            let (run, sizes) = timed_run(&server, template, setup.binary, &mut problems).await?;
            println!(
                "sample {sample}/{SAMPLES}, {} lines: {:.2?}, {:.0} lines/s, CPU {:.2?}, \
                 VmHWM {} KiB; {sizes}; load {}",
                template.lines,
                run.wall,
                template.lines as f64 / run.wall.as_secs_f64(),
                run.cpu.unwrap_or_default(),
                run.peak_kib.unwrap_or_default(),
                load()
            );
            runs.push(run);
            sizes_after = sizes;
        }
    }
    let mut figures = Vec::new();
    for (template, runs) in templates.iter().zip(&runs) {
        figures.extend(run_figures(template.lines, runs));
    }
    let large = &templates[1];
    // Per line, so the smaller count tells the same in a tenth of the time.
    let extraction = extraction_rates(templates[0].lines);
    figures.push(Figure::new(
        &format!(
            "extraction alone, in the bench process, {} lines: lines/s",
            thousands(templates[0].lines)
        ),
        extraction.clone(),
        0,
    ));
    let walls = runs[1].iter().map(|r| r.wall.as_secs_f64());
    let expected = Duration::from_secs_f64(median_of(walls));
    println!(
        "kill and resume on {} lines, seed {}",
        large.lines, setup.seed
    );
    let plan = kills::Plan {
        binary: setup.binary,
        kills: KILLS,
        expected,
        seed: setup.seed,
        batch: setup.batch,
    };
    let round = kills::round(&server, large, plan).await?;
    problems.extend(round.problems.iter().cloned());
    let conditions = format!(
        "{conditions}; load average (1, 5, 15 min) {load_before} when measuring began, \
         {} at the end",
        load()
    );
    let text = report::render(&Rendered {
        conditions: &conditions,
        setup,
        figures: &figures,
        sizes_after: &sizes_after,
        large,
        large_runs: &runs[1],
        extraction: &extraction,
        round: &round,
        problems: &problems,
    });
    Ok((text, problems))
}

/// One measured run on a fresh clone of `template`, checked, with the sizes of the tables it
/// filled; the clone dropped after.
async fn timed_run(
    server: &Server<'_>,
    template: &Template,
    binary: &Path,
    problems: &mut Vec<String>,
) -> Fallible<(child::Run, String)> {
    let name = "w8_sample";
    server.clone_of(template, name).await?;
    let run = timed_run_on(server, name, binary, problems).await?;
    let client = server.connect(name).await?;
    problems.extend(check::finished(&client, template.lines).await?);
    drop(client);
    let sizes = server.sizes(name).await?;
    server.drop_database(name).await?;
    Ok((run, sizes))
}

/// Wall time, lines per second, the child's CPU time and peak memory of the runs on `lines`
/// lines.
fn run_figures(lines: i64, runs: &[child::Run]) -> [Figure; 4] {
    let label = |what: &str| format!("{} lines: {what}", thousands(lines));
    let seconds: Vec<f64> = runs.iter().map(|r| r.wall.as_secs_f64()).collect();
    let rates = seconds.iter().map(|s| lines as f64 / s).collect();
    let cpu = runs
        .iter()
        .filter_map(|r| Some(r.cpu?.as_secs_f64() / r.wall.as_secs_f64() * 100.0))
        .collect();
    let mib = runs
        .iter()
        .filter_map(|r| r.peak_kib)
        .map(|kib| kib as f64 / 1024.0)
        .collect();
    [
        Figure::new(
            &label("wall time of `simulator db upgrade head` (s)"),
            seconds,
            2,
        ),
        Figure::new(&label("lines/s"), rates, 0),
        Figure::new(
            &label("CPU time of `simulator`, % of its wall time"),
            cpu,
            0,
        ),
        Figure::new(&label("peak RSS of `simulator` (VmHWM, MiB)"), mib, 1),
    ]
}

async fn timed_run_on(
    server: &Server<'_>,
    db: &str,
    binary: &Path,
    problems: &mut Vec<String>,
) -> Fallible<child::Run> {
    let run = child::run(child::Launch {
        binary,
        url: server.url(db),
        kill_after: None,
        watch: None,
    })
    .await?;
    if !run.succeeded() {
        problems.push(format!(
            "a run on {db} failed: {:?}: {}",
            run.end, run.output
        ));
    }
    Ok(run)
}

/// Lines per second of the extractor alone over `lines` texts cycling as the templates' do,
/// one sample per backfill sample.
fn extraction_rates(lines: i64) -> Vec<f64> {
    (0..SAMPLES)
        .map(|_| {
            let started = Instant::now();
            let mut entities = 0;
            for (_, text) in fixture::LINES.iter().cycle().take(lines as usize) {
                entities += black_box(app_db::sim::extract::extract(black_box(text))).len();
            }
            black_box(entities);
            lines as f64 / started.elapsed().as_secs_f64()
        })
        .collect()
}

/// The seed of the kill moments: `W8_SEED`, else the clock's nanoseconds.
fn seed() -> u64 {
    if let Some(seed) = std::env::var("W8_SEED").ok().and_then(|s| s.parse().ok()) {
        return seed;
    }
    let now = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH);
    now.map_or(1, |d| d.as_nanos() as u64)
}

/// The machine's load averages over 1, 5 and 15 minutes: how busy the shared machine was.
fn load() -> String {
    let text = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    text.split_whitespace()
        .take(3)
        .collect::<Vec<_>>()
        .join(" ")
}
