//! Kill and resume: on a fresh clone, `simulator db upgrade head` killed with SIGKILL at a
//! seeded pseudo-random moment, restarted, killed again, ..., then left to finish; after each
//! kill the progress row and the committed work are compared, and at the end every line must
//! have its entities exactly once.

use std::path::Path;
use std::time::Duration;

use appdb_benches::backfill::{Kill, KillOutcome, Lcg};
use tokio_postgres::Client;

use super::child::{self, End, Launch, Run};
use super::fixture::{Server, Template};
use super::{check, Fallible};

/// The clone the round runs on.
const DATABASE: &str = "w8_kills";

/// What the round found.
pub(super) struct Round {
    /// Each kill is sent uniformly within `[0, window)` of its run's start.
    pub(super) window: Duration,
    pub(super) kills: Vec<Kill>,
    /// The run left to finish.
    pub(super) finish: Run,
    /// All runs' wall times, kills included.
    pub(super) total: Duration,
    pub(super) problems: Vec<String>,
}

impl Round {
    /// The kills that landed with the revision unfinished.
    pub(super) fn mid_run(&self) -> impl Iterator<Item = &Kill> {
        self.kills
            .iter()
            .filter(|k| matches!(k.outcome, KillOutcome::MidRun { .. }))
    }
}

/// How the round is run.
pub(super) struct Plan<'a> {
    pub(super) binary: &'a Path,
    /// Kills before the run left to finish.
    pub(super) kills: usize,
    /// An uninterrupted run's expected wall time: the `kills` windows together span it, so that
    /// the kills are spread over the whole backfill and each very likely lands before its end.
    pub(super) expected: Duration,
    pub(super) seed: u64,
    /// Lines per batch of the revision.
    pub(super) batch: i64,
}

pub(super) async fn round(
    server: &Server<'_>,
    template: &Template,
    plan: Plan<'_>,
) -> Fallible<Round> {
    server.clone_of(template, DATABASE).await?;
    let client = server.connect(DATABASE).await?;
    let window = plan.expected / u32::try_from(plan.kills)?;
    let mut lcg = Lcg::new(plan.seed);
    let (mut kills, mut total, mut problems) = (Vec::new(), Duration::ZERO, Vec::new());
    for number in 1..=plan.kills {
        let before = child::progress(&client).await?;
        let launch = Launch {
            binary: plan.binary,
            url: server.url(DATABASE),
            kill_after: Some(lcg.below(window)),
            watch: Some(&client),
        };
        let run = child::run(launch).await?;
        total += run.wall;
        let delay = match run.end {
            End::Killed(after) if !recorded(&client).await? => after,
            End::Killed(after) => {
                println!("  kill {number}: after {after:.1?}, the revision was already recorded");
                kills.push(Kill {
                    delay: after,
                    outcome: KillOutcome::AfterFinish,
                });
                break;
            }
            End::Exited(_) => {
                println!("  run {number} finished before its kill");
                if !run.succeeded() {
                    problems.push(format!("run {number} failed: {}", run.output));
                }
                kills.push(Kill {
                    delay: run.wall,
                    outcome: KillOutcome::AfterFinish,
                });
                break;
            }
        };
        let at = child::progress(&client).await?;
        let found = check::committed(&client, at.as_ref(), plan.batch).await?;
        let consistent = found.is_empty();
        problems.extend(found.into_iter().map(|p| format!("kill {number}: {p}")));
        let lost = delay - run.last_commit.unwrap_or(Duration::ZERO);
        let outcome = KillOutcome::MidRun {
            before: before.map(|p| p.batch),
            at: at.map(|p| p.batch),
            first: run.first_commit,
            lost,
            consistent,
        };
        let kill = Kill { delay, outcome };
        println!(
            "  kill {number}: after {delay:.1?}, {} batches committed by this run, \
             {lost:.1?} since its last commit",
            kill.committed().unwrap_or_default()
        );
        kills.push(kill);
    }
    let finish = child::run(Launch {
        binary: plan.binary,
        url: server.url(DATABASE),
        kill_after: None,
        watch: None,
    })
    .await?;
    total += finish.wall;
    if !finish.succeeded() {
        problems.push(format!("the final run failed: {}", finish.output));
    }
    problems.extend(check::finished(&client, template.lines).await?);
    drop(client);
    server.drop_database(DATABASE).await?;
    Ok(Round {
        window,
        kills,
        finish,
        total,
        problems,
    })
}

/// Whether the history row of 004 is there: the revision finished.
async fn recorded(client: &Client) -> Fallible<bool> {
    let row = client
        .query_one(
            "SELECT count(*) FROM schema_revisions WHERE version = '004'",
            &[],
        )
        .await?;
    Ok(row.get::<_, i64>(0) > 0)
}
