//! Memory and replicas: the bench re-run as child processes (`child.rs`), one tool each.

use std::process::{Child, Command, Output, Stdio};

use appdb_benches::peers::{Memory, ReplicaTrial, Results};

use crate::child::parse_output;
use crate::tools::Tool;
use crate::workloads::Sets;
use crate::{Ctx, Fallible};

/// Replicas started together in each trial.
const REPLICAS: usize = 4;

fn spawn(args: &[&str]) -> Fallible<Child> {
    Ok(Command::new(crate::this_exe()?)
        .arg("--child")
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()?)
}

fn first_error_line(output: &Output) -> String {
    let stderr = String::from_utf8_lossy(&output.stderr);
    let line = stderr.lines().next().unwrap_or("no message");
    line.chars().take(240).collect()
}

/// Peak RSS of a child applying the large set with each tool, and of one that only connects.
pub fn memory(ctx: &Ctx, sets: &Sets, results: &mut Results) -> Fallible<()> {
    let url = ctx.url("postgres");
    let output = spawn(&["baseline", &url])?.wait_with_output()?;
    let (_, peak) = parse_output(&String::from_utf8_lossy(&output.stdout))
        .ok_or_else(|| format!("baseline child: {}", first_error_line(&output)))?;
    results.notes.push(format!(
        "Peak RSS of the same child process that only connects (tokio-postgres) and runs \
         `SELECT 1`: {:.1} MiB.",
        peak as f64 / 1024.0
    ));
    for tool in Tool::ALL {
        let db = ctx.create_db()?;
        let dir = sets.large.dirs.of(tool).to_string_lossy().into_owned();
        let output = spawn(&["apply", tool.name(), &dir, &ctx.url(&db)])?.wait_with_output()?;
        let parsed = parse_output(&String::from_utf8_lossy(&output.stdout));
        let (before_kib, peak_kib) = parsed
            .ok_or_else(|| format!("{} child: {}", tool.name(), first_error_line(&output)))?;
        ctx.check_history(tool, &db, sets.large.len)?;
        ctx.drop_db(&db)?;
        results.memory.insert(
            tool.name().to_owned(),
            Memory {
                peak_kib,
                before_kib,
            },
        );
    }
    Ok(())
}

/// Replicas booting together: child processes started at once on one empty database, each
/// migrating the medium set. Counts those that succeed and the history rows afterwards.
pub fn replicas(ctx: &Ctx, sets: &Sets, results: &mut Results) -> Fallible<()> {
    let set = &sets.medium;
    for round in 0..ctx.rounds.replicas {
        for tool in Tool::rotated(round) {
            let db = ctx.create_db()?;
            let url = ctx.url(&db);
            let dir = set.dirs.of(tool).to_string_lossy().into_owned();
            let children = (0..REPLICAS)
                .map(|_| spawn(&["apply", tool.name(), &dir, &url]))
                .collect::<Fallible<Vec<_>>>()?;
            let mut succeeded = 0;
            for child in children {
                let output = child.wait_with_output()?;
                if output.status.success() {
                    succeeded += 1;
                } else {
                    results.notes.push(format!(
                        "Replicas, {} (trial {}): {}",
                        tool.name(),
                        round + 1,
                        first_error_line(&output)
                    ));
                }
            }
            // A table that was never created counts as no rows.
            let history_rows = ctx.history_rows(tool, &db).unwrap_or(0);
            ctx.drop_db(&db)?;
            let trials = results.replicas.entry(tool.name().to_owned()).or_default();
            trials.push(ReplicaTrial {
                succeeded,
                replicas: REPLICAS,
                history_rows,
                expected: set.len,
            });
        }
    }
    Ok(())
}
