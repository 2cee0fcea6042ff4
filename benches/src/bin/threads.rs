//! Tests per second of the project's own database test suite with 1, 2 and 8 test threads, run
//! exactly as a developer runs it (`cargo test`, one throwaway cluster for the run), once per
//! clone strategy: a serialisation cliff in the test-database helper shows as tests per second
//! falling, not rising, with more threads.
//!
//! `cargo run --release --bin threads [-- --reps N]` from `benches/`. The suite is built first,
//! untimed; each measured run is one `cargo test` of the `runtime` and `simulator` test binaries
//! of `integration-tests` (every test there uses its own database). Configurations are
//! interleaved and repeated (`--reps`, default 2), and the median run of each is reported.

use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::Instant;

use appdb_benches::results::median;

const THREADS: [usize; 3] = [1, 2, 8];
const STRATEGIES: [&str; 2] = ["file_copy", "wal_log"];

fn main() -> ExitCode {
    let reps = reps();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    if let Err(message) = build(&root) {
        eprintln!("{message}");
        return ExitCode::FAILURE;
    }
    // (strategy, threads) -> seconds per run; the test count is the same for every run.
    let mut runs: Vec<((&str, usize), Vec<f64>)> = Vec::new();
    let mut tests = 0;
    for rep in 0..reps {
        for strategy in STRATEGIES {
            // Rotated every repetition so that a slow spell of the machine hits every size.
            for i in 0..THREADS.len() {
                let threads = THREADS[(i + rep) % THREADS.len()];
                match run(&root, strategy, threads) {
                    Ok((seconds, passed)) => {
                        eprintln!("{strategy} {threads} threads: {passed} tests in {seconds:.2} s");
                        tests = passed;
                        let key = (strategy, threads);
                        match runs.iter_mut().find(|(k, _)| *k == key) {
                            Some((_, samples)) => samples.push(seconds),
                            None => runs.push((key, vec![seconds])),
                        }
                    }
                    Err(message) => {
                        eprintln!("{message}");
                        return ExitCode::FAILURE;
                    }
                }
            }
        }
    }
    println!("{}", table(&mut runs, tests, reps));
    ExitCode::SUCCESS
}

fn reps() -> usize {
    let args: Vec<String> = std::env::args().collect();
    let at = args.iter().position(|arg| arg == "--reps");
    at.and_then(|i| args.get(i + 1)?.parse().ok()).unwrap_or(2)
}

/// `cargo test` for the root workspace's suite; its own target directory, not the bench's.
fn cargo(root: &Path) -> Command {
    let mut cmd = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    cmd.current_dir(root).env_remove("CARGO_TARGET_DIR");
    cmd.args([
        "test",
        "-p",
        "integration-tests",
        "--test",
        "runtime",
        "--test",
        "simulator",
    ]);
    cmd
}

fn build(root: &Path) -> Result<(), String> {
    let status = cargo(root).arg("--no-run").status();
    match status {
        Ok(status) if status.success() => Ok(()),
        other => Err(format!("building the test suite failed: {other:?}")),
    }
}

/// One timed `cargo test` run: seconds and the number of tests that passed.
fn run(root: &Path, strategy: &str, threads: usize) -> Result<(f64, usize), String> {
    let start = Instant::now();
    let output = cargo(root)
        .args(["--", &format!("--test-threads={threads}")])
        .env("APPDB_TEST_CLONE_STRATEGY", strategy)
        .env_remove("TEST_DATABASE_URL")
        .env_remove("DATABASE_URL")
        .output()
        .map_err(|error| format!("cargo test did not start: {error}"))?;
    let seconds = start.elapsed().as_secs_f64();
    let stdout = String::from_utf8_lossy(&output.stdout);
    if !output.status.success() {
        let stderr = String::from_utf8_lossy(&output.stderr);
        return Err(format!("the suite failed:\n{stdout}\n{stderr}"));
    }
    let passed = stdout
        .lines()
        .filter_map(|line| line.strip_prefix("test result: ok. "))
        .filter_map(|rest| rest.split(' ').next()?.parse::<usize>().ok())
        .sum();
    Ok((seconds, passed))
}

fn table(runs: &mut [((&str, usize), Vec<f64>)], tests: usize, reps: usize) -> String {
    let mut text = format!(
        "The project's database tests ({tests} tests, `cargo test -p integration-tests --test runtime --test simulator`), median of {reps} runs each\n\n\
         | clone strategy | test threads | wall time (s) | tests / s | vs 1 thread |\n|---|---:|---:|---:|---:|\n"
    );
    for strategy in STRATEGIES {
        let mut one_thread = None;
        for threads in THREADS {
            let Some((_, samples)) = runs.iter_mut().find(|(k, _)| *k == (strategy, threads))
            else {
                continue;
            };
            let Some(seconds) = median(samples) else {
                continue;
            };
            let rate = tests as f64 / seconds;
            let base = *one_thread.get_or_insert(rate);
            text.push_str(&format!(
                "| {strategy} | {threads} | {seconds:.2} | {rate:.2} | {:.2}x |\n",
                rate / base
            ));
        }
    }
    text
}
