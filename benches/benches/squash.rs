//! W10, a squashed history: how long a fresh database takes to reach head for the 1,000
//! synthetic revisions W5 builds (500 tables, 125 of them seeded with 50 rows each, plus column
//! additions, indexes, triggers and views), through the chain and through the baseline that
//! `migrate squash --through 1000` writes in its place.
//!
//! - `chain_1000`: `CREATE DATABASE`, connect, `Migrator::without_baseline().upgrade(head)`:
//!   1,000 transactions, each a revision and its history row;
//! - `baseline_1000`: the same with `Migrator::upgrade(head)`: one transaction, the baseline's
//!   `up.sql` and the 1,000 history rows (method `baseline`).
//!
//! Only creation, connection and upgrade are timed; each database is dropped after the clock
//! stops. Before measuring, `Migrator::squash` generates the baseline (proving it in scratch
//! databases), the bench writes `baseline/` as `migrate squash` does and reloads the directory,
//! and `Migrator::prove_baseline` (what the test `migrate squash` writes runs) proves the
//! runner's baseline equal to the chain: schema, rows, sequences. Every timed run's history is
//! checked to be the route its label says.
//!
//! After criterion, the two again, alternating round by round, printed as min, median and max
//! with the ratio (also saved as `$CARGO_TARGET_DIR/criterion/squash/squash.md`): the machine is
//! shared, so the interleaved figures are the ones to compare. In criterion's test mode
//! (`cargo test --benches`, or `cargo bench -- --test`) and with `--list`, the history is 20
//! revisions and each figure runs once, without the rounds.

use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use app_db::testing::LocalCluster;
use appdb_benches::figures::Samples;
use appdb_benches::results::{self, fail, median};
use appdb_benches::{layout, synthetic};
use criterion::{Criterion, SamplingMode};
use migrations_runtime::{Migrations, Migrator, Target};
use tokio::runtime::Runtime;
use tokio_postgres::Client;

// A bench target's root resolves modules beside itself: these live in `squash/` and `common/`.
#[path = "squash/baseline.rs"]
mod baseline;
#[path = "common/server.rs"]
mod server;

use server::{conditions, connect, drop_database, options};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Criterion's group, and the directory of this bench's results under the criterion home.
const GROUP: &str = "squash";
/// The history issue 16 asks about.
const REVISIONS: usize = 1000;
/// Enough for every kind of synthetic revision, seed rows included, in seconds.
const QUICK_REVISIONS: usize = 20;
/// Rounds of the interleaved comparison, each running both routes once.
const ROUNDS: usize = 15;

/// How a fresh database reaches head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// Every revision in its own transaction.
    Chain,
    /// The baseline in one transaction with the squashed revisions' history rows.
    Baseline,
}

impl Route {
    fn id(self, revisions: usize) -> String {
        match self {
            Route::Chain => format!("chain_{revisions}"),
            Route::Baseline => format!("baseline_{revisions}"),
        }
    }
}

/// The server, an admin connection to it, and the revisions with their baseline.
struct Bench<'c> {
    cluster: &'c LocalCluster,
    admin: Client,
    migrations: Migrations,
}

fn main() {
    // Criterion's own test mode: `cargo bench` passes `--bench`, `cargo test --benches` nothing.
    let args: Vec<String> = std::env::args().collect();
    let flag = |name: &str| args.iter().any(|arg| arg == name);
    let quick = !flag("--bench") || flag("--test") || flag("--list");
    let count = if quick { QUICK_REVISIONS } else { REVISIONS };
    let rt = Runtime::new().unwrap_or_else(|e| fail("building the runtime", e));
    let cluster = rt
        .block_on(LocalCluster::start_throwaway())
        .unwrap_or_else(|e| fail("starting the server", e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("creating a temp dir", e));
    let bench = rt
        .block_on(Bench::prepare(
            &cluster,
            &dir.path().join("migrations"),
            count,
        ))
        .unwrap_or_else(|e| fail("preparing the baseline", e));

    let mut criterion = Criterion::default().configure_from_args();
    run_criterion(&mut criterion, &rt, &bench);
    if !quick {
        let (chain, base) = rt
            .block_on(bench.alternate())
            .unwrap_or_else(|e| fail("the interleaved rounds", e));
        let table = summary(count, &chain, &base);
        let home = results::criterion_home().join(GROUP);
        let path = home.join("squash.md");
        std::fs::create_dir_all(&home)
            .and_then(|()| std::fs::write(&path, &table))
            .unwrap_or_else(|e| fail("saving the summary", e));
        println!("\n{table}\n(saved as {})", path.display());
    }
    criterion.final_summary();
    drop(bench);
    drop(rt);
    // Stops the cluster and deletes its directory.
    drop(cluster);
}

impl<'c> Bench<'c> {
    /// Writes `count` synthetic revisions into `dir`, squashes all of them into `baseline/`,
    /// loads the directory with it and proves the runner's baseline equal to the chain.
    async fn prepare(cluster: &'c LocalCluster, dir: &Path, count: usize) -> Fallible<Self> {
        let mut admin = connect(cluster, "postgres").await?;
        println!("{}", conditions(&admin).await?);
        let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
        println!("cores available to the bench: {cores}");
        std::fs::create_dir(dir)?;
        layout::write_directories(dir, &synthetic::generate(count))?;
        let chain_only = migrations_core::load_dir(dir, "synthetic", Default::default())?;

        // The last revision by its version, as `migrate squash --through 1000` names it.
        let through = chain_only.as_slice()[count - 1].version().to_owned();
        let started = Instant::now();
        let squash = Migrator::new(&chain_only, options(cluster, "postgres"))
            .squash(&mut admin, through.as_str())
            .await?;
        let rows: i64 = squash.tables.iter().map(|t| t.rows).sum();
        println!(
            "squash --through {through}: {} objects, {rows} rows in {} tables, up.sql of {} bytes, \
             generated and proven in {:.1?}",
            squash.differences.len(),
            squash.tables.len(),
            squash.up.len(),
            started.elapsed()
        );
        assert!(
            rows > 0,
            "the synthetic history seeds rows, so the baseline must copy some"
        );
        baseline::write(dir, &through, &chain_only, &squash)?;

        let migrations = migrations_core::load_dir(dir, "synthetic", Default::default())?;
        let level = migrations.baseline().map(|b| b.level());
        assert_eq!(
            level,
            Some(count),
            "the directory's baseline replaces every revision"
        );
        // What the test `migrate squash` writes runs: the runner's baseline against the chain.
        let started = Instant::now();
        let proof = Migrator::new(&migrations, options(cluster, "postgres"))
            .prove_baseline(&mut admin)
            .await?;
        println!(
            "prove_baseline: {} tables and sequences compared, {} columns left to their defaults \
             and not compared ({}), {} definitions respelled, in {:.1?}",
            proof.compared,
            proof.varying.len(),
            summarize(&proof.varying),
            proof.respelled.len(),
            started.elapsed()
        );
        Ok(Bench {
            cluster,
            admin,
            migrations,
        })
    }

    /// One fresh database brought to head by `route`: the time creation, connection and upgrade
    /// took. The history is checked and the database dropped after the clock stops.
    async fn once(&self, route: Route) -> Fallible<Duration> {
        let name = format!("w10_{}", uuid::Uuid::new_v4().simple());
        let started = Instant::now();
        self.admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .await?;
        let options = options(self.cluster, &name);
        let mut client = options.connect().await?;
        let migrator = Migrator::new(&self.migrations, options);
        let migrator = match route {
            Route::Chain => migrator.without_baseline(),
            Route::Baseline => migrator,
        };
        migrator.upgrade(&mut client, Target::Head).await?;
        let elapsed = started.elapsed();
        self.check_history(&client, route).await?;
        drop(client);
        drop_database(&self.admin, &name).await?;
        Ok(elapsed)
    }

    /// Every revision is recorded, and by the route measured: all by the baseline, or none.
    async fn check_history(&self, client: &Client, route: Route) -> Fallible<()> {
        let row = client
            .query_one(
                "SELECT count(*), count(*) FILTER (WHERE method = 'baseline') \
                 FROM schema_revisions",
                &[],
            )
            .await?;
        let (recorded, by_baseline): (i64, i64) = (row.get(0), row.get(1));
        let all = self.migrations.len() as i64;
        let expected = match route {
            Route::Chain => (all, 0),
            Route::Baseline => (all, all),
        };
        match (recorded, by_baseline) == expected {
            true => Ok(()),
            false => Err(format!(
                "{route:?}: {recorded} history rows, {by_baseline} by the baseline, expected {expected:?}"
            )
            .into()),
        }
    }

    /// Both routes `ROUNDS` times, swapping which goes first every round, so that a load change
    /// within a round hits both alike.
    async fn alternate(&self) -> Fallible<(Vec<Duration>, Vec<Duration>)> {
        let (mut chain, mut base) = (Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let order = match round % 2 {
                0 => [Route::Chain, Route::Baseline],
                _ => [Route::Baseline, Route::Chain],
            };
            for route in order {
                let elapsed = self.once(route).await?;
                match route {
                    Route::Chain => chain.push(elapsed),
                    Route::Baseline => base.push(elapsed),
                }
            }
            let ms = |d: Duration| d.as_secs_f64() * 1000.0;
            println!(
                "round {}: chain {:.0} ms, baseline {:.0} ms",
                round + 1,
                ms(chain[round]),
                ms(base[round])
            );
        }
        Ok((chain, base))
    }
}

fn run_criterion(criterion: &mut Criterion, rt: &Runtime, bench: &Bench<'_>) {
    let revisions = bench.migrations.len();
    let mut group = criterion.benchmark_group(GROUP);
    // Iterations of a second or more: the same count in every sample.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2));
    for (route, seconds) in [(Route::Chain, 40), (Route::Baseline, 15)] {
        let id = &route.id(revisions);
        group.measurement_time(Duration::from_secs(seconds));
        group.bench_function(id, |b| {
            b.to_async(rt).iter_custom(move |iters| async move {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    total += bench.once(route).await.unwrap_or_else(|e| fail(id, e));
                }
                total
            })
        });
    }
    group.finish();
}

/// The first few of `items`, and how many more.
fn summarize(items: &[String]) -> String {
    match items.len() {
        0..=3 => items.join(", "),
        n => format!("{}, and {} more", items[..3].join(", "), n - 3),
    }
}

/// The interleaved rounds as markdown: min, median and max of each route, and the ratio.
fn summary(revisions: usize, chain: &[Duration], base: &[Duration]) -> String {
    let spread = |rounds: &[Duration]| {
        let (min, median, max) = Samples::of_rounds(rounds)
            .spread()
            .expect("the bench runs at least one round");
        (min / 1e6, median / 1e6, max / 1e6)
    };
    let mut ratios: Vec<f64> = base
        .iter()
        .zip(chain)
        .map(|(b, c)| b.as_secs_f64() / c.as_secs_f64())
        .collect();
    let (c, b) = (spread(chain), spread(base));
    format!(
        "| a fresh database at head, {revisions} revisions, ms ({ROUNDS} rounds, interleaved) | min | median | max |\n\
         |---|---:|---:|---:|\n\
         | the chain (`Migrator::without_baseline`) | {:.0} | {:.0} | {:.0} |\n\
         | the baseline (`Migrator::upgrade`) | {:.0} | {:.0} | {:.0} |\n\
         \n\
         baseline / chain: {:.3} (median of the rounds' ratios), {:.3} (ratio of the medians)\n",
        c.0,
        c.1,
        c.2,
        b.0,
        b.1,
        b.2,
        median(&mut ratios).unwrap_or(f64::NAN),
        b.1 / c.1
    )
}
