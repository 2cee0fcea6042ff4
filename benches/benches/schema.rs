//! W7, the schema engine: how long `migrations_schema` and the runtime's drift check take.
//!
//! - `read_500_tables`: `Catalog::read` of a 500-table schema (`appdb_benches::wide`: keys,
//!   foreign keys, two indexes and a check per table, 100 plpgsql functions, 50 views, 50
//!   triggers), connection open; `read_911`: the simulator's schema, for scale;
//! - `diff_500_equal`, `diff_500_50_changes`, `..._script`: `diff` between two catalogs of that
//!   schema read from two databases, equal, and after 50 changes (columns added, types changed,
//!   indexes dropped), the last with `Diff::script`;
//! - `drift_911`, `drift_500_tables`: `Migrator::drift` on a database migrated with
//!   `app_db::MIGRATIONS` and with the 500-table schema as 50 revisions loaded by
//!   `migrations_core::load_dir` (a scratch database created, migrated, read and dropped, the
//!   live database read, the two diffed);
//! - `create_database`: the scratch database's `CREATE DATABASE` alone.
//!
//! Reads and drifts run twice: with the server's default `jit = on`, and `..._jit_off` on
//! connections (the scratch databases' too) made with `-c jit=off`, because the planner's
//! estimate for the routines query crosses `jit_above_cost` and compiling it costs more than
//! running it. The live databases are analyzed before measuring, as autovacuum leaves them.
//!
//! After criterion, the bench times each drift again step by step, doing what `drift` does
//! (`migrations-runtime/src/schema/{drift,build}.rs`) with each step timed, alternating with the
//! real `drift` round by round, plus two reads `drift` does not make (the scratch catalog after
//! `ANALYZE`, and with `jit = off`), and prints min, median and max of every figure as markdown
//! (also saved as `$CARGO_TARGET_DIR/criterion/schema/schema.md`).

use std::error::Error;
use std::future::Future;
use std::hint::black_box;
use std::time::{Duration, Instant};

use app_db::testing::LocalCluster;
use appdb_benches::figures::{self, Row, Samples};
use appdb_benches::results::{self, fail};
use criterion::{Criterion, SamplingMode};
use migrations_schema::{diff, Catalog};
use tokio::runtime::Runtime;

// A bench target's root resolves modules beside itself: these live in `schema/`, next to it.
#[path = "schema/fixture.rs"]
mod fixture;
#[path = "common/server.rs"]
mod server;
#[path = "schema/steps.rs"]
mod steps;

use fixture::{write_wide, Fixture, Jit, JITS};
use server::drop_database;

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Criterion's group, and the directory of this bench's results under the criterion home.
const GROUP: &str = "schema";

fn main() {
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");
    let rt = Runtime::new().unwrap_or_else(|e| fail("building the runtime", e));
    let cluster = rt
        .block_on(LocalCluster::start_throwaway())
        .unwrap_or_else(|e| fail("starting the server", e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("creating a temp dir", e));
    let wide_set = write_wide(dir.path()).unwrap_or_else(|e| fail("writing the revisions", e));
    let fixture = rt
        .block_on(Fixture::prepare(&cluster, &wide_set))
        .unwrap_or_else(|e| fail("preparing the databases", e));

    let mut criterion = Criterion::default().configure_from_args();
    run_criterion(&mut criterion, &rt, &fixture);
    if !quick {
        let rows = rt
            .block_on(summary(&fixture))
            .unwrap_or_else(|e| fail("timing drift step by step", e));
        let table = figures::table(&rows);
        let path = results::criterion_home().join(GROUP).join("schema.md");
        std::fs::write(&path, &table).unwrap_or_else(|e| fail("saving the summary", e));
        println!("\n{table}\n(saved as {})", path.display());
    }
    criterion.final_summary();
    drop(fixture);
    drop(rt);
    // Stops the cluster and deletes its directory.
    drop(cluster);
}

/// Runs `once` `iters` times, timing what it returns it spent.
async fn timed<F, Fut>(iters: u64, what: &str, mut once: F) -> Duration
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Fallible<Duration>>,
{
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        total += once().await.unwrap_or_else(|e| fail(what, e));
    }
    total
}

/// Criterion's bench ids of a figure measured with each JIT setting.
fn with_jit(id: &str, jit: Jit) -> String {
    match jit {
        Jit::Default => id.to_owned(),
        Jit::Off => format!("{id}_jit_off"),
    }
}

fn run_criterion(criterion: &mut Criterion, rt: &Runtime, f: &Fixture<'_>) {
    let mut group = criterion.benchmark_group(GROUP);
    // Iterations of tens of milliseconds to seconds: the same count in every sample.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(10)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(Duration::from_secs(10));
    for ((id, live), jit) in [("read_500_tables", &f.wide), ("read_911", &f.sim)]
        .into_iter()
        .flat_map(|figure| JITS.map(|jit| (figure, jit)))
    {
        let read = &live.migrator(jit).read_options();
        let session = live.session(jit);
        let id = &with_jit(id, jit);
        group.bench_function(id, |b| {
            b.to_async(rt).iter_custom(move |iters| {
                timed(iters, id, move || async move {
                    let mut client = session.client.lock().await;
                    let start = Instant::now();
                    black_box(Catalog::read(&mut client, read).await?);
                    Ok(start.elapsed())
                })
            })
        });
    }
    group.bench_function("create_database", |b| {
        b.to_async(rt).iter_custom(move |iters| {
            timed(iters, "create_database", move || async move {
                let name = format!("w7_create_{}", uuid::Uuid::new_v4().simple());
                let start = Instant::now();
                f.admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .await?;
                let elapsed = start.elapsed();
                drop_database(&f.admin, &name).await?;
                Ok(elapsed)
            })
        })
    });
    for ((id, live), jit) in [("drift_911", &f.sim), ("drift_500_tables", &f.wide)]
        .into_iter()
        .flat_map(|figure| JITS.map(|jit| (figure, jit)))
    {
        let seconds = if live.migrations.len() > 10 { 30 } else { 10 };
        group.measurement_time(Duration::from_secs(seconds));
        let id = &with_jit(id, jit);
        group.bench_function(id, |b| {
            b.to_async(rt).iter_custom(move |iters| {
                timed(iters, id, move || async move {
                    let mut client = live.session(jit).client.lock().await;
                    let start = Instant::now();
                    black_box(live.migrator(jit).drift(&mut client).await?);
                    Ok(start.elapsed())
                })
            })
        });
    }
    // Milliseconds, in memory: criterion's usual linear sampling.
    group
        .sampling_mode(SamplingMode::Auto)
        .sample_size(30)
        .measurement_time(Duration::from_secs(5));
    group.bench_function("diff_500_equal", |b| {
        b.iter(|| diff(black_box(&f.catalog), black_box(&f.equal)))
    });
    group.bench_function("diff_500_50_changes", |b| {
        b.iter(|| diff(black_box(&f.catalog), black_box(&f.changed)))
    });
    group.bench_function("diff_500_50_changes_script", |b| {
        b.iter(|| diff(black_box(&f.catalog), black_box(&f.changed)).script())
    });
    group.finish();
}

/// Criterion's figures, then the drifts step by step with the real drift beside them.
async fn summary(f: &Fixture<'_>) -> Fallible<Vec<Row>> {
    let home = results::criterion_home();
    let ms = Duration::from_millis;
    let criterion = [
        (
            "read_500_tables",
            "`Catalog::read`, 500 tables",
            Some(ms(1000)),
        ),
        (
            "read_500_tables_jit_off",
            "... with jit = off",
            Some(ms(1000)),
        ),
        ("read_911", "`Catalog::read`, the 911 schema", None),
        ("read_911_jit_off", "... with jit = off", None),
        ("diff_500_equal", "`diff`, 500 tables, equal", Some(ms(50))),
        (
            "diff_500_50_changes",
            "`diff`, 500 tables, 50 changes",
            Some(ms(50)),
        ),
        (
            "diff_500_50_changes_script",
            "`diff` + `script()`, 50 changes",
            Some(ms(50)),
        ),
        (
            "drift_911",
            "`Migrator::drift`, 911 (3 revisions)",
            Some(ms(200)),
        ),
        ("drift_911_jit_off", "... with jit = off", Some(ms(200))),
        (
            "drift_500_tables",
            "`Migrator::drift`, 500 tables (50 revisions)",
            None,
        ),
        ("drift_500_tables_jit_off", "... with jit = off", None),
        ("create_database", "`CREATE DATABASE` (the scratch's)", None),
    ];
    let mut rows: Vec<Row> = criterion
        .into_iter()
        .map(|(id, label, goal)| Row {
            label: label.to_owned(),
            samples: Samples::of_criterion(&home, GROUP, id),
            goal,
        })
        .collect();
    for live in [&f.sim, &f.wide] {
        rows.extend(steps::step_rows(f, live).await?);
    }
    Ok(rows)
}
