//! Drift step by step: the steps `Migrator::drift` takes (`migrations-runtime/src/schema/
//! {drift,build}.rs`) done by hand through the public API, each timed, in rounds alternating with
//! the real `drift`, which reports no timing of its own.

use std::hint::black_box;
use std::time::{Duration, Instant};

use appdb_benches::figures::{Row, Samples};
use migrations_runtime::Migrator;
use migrations_schema::{diff, Catalog};

use super::fixture::{Fixture, Jit, Live};
use super::server::{drop_database, options};
use super::Fallible;

/// Rounds of the step-by-step drift, each also running the real one.
const ROUNDS: usize = 7;

/// The steps of one drift, in the order `Migrator::drift` takes them.
const STEPS: [&str; 8] = [
    "history and role checks",
    "CREATE DATABASE (scratch)",
    "connect to the scratch database",
    "run the revisions in it",
    "read the scratch catalog",
    "DROP DATABASE ... WITH (FORCE)",
    "read the live catalog",
    "diff",
];

/// Reads of the scratch catalog that `drift` does not make, to tell what its read costs: after
/// `ANALYZE`, and after `ANALYZE` with `jit = off`.
const EXTRAS: [&str; 2] = [
    "not in drift: read the scratch catalog again after ANALYZE",
    "not in drift: ... and with jit = off",
];

/// One drift done by hand with every step timed, as `drift` does it when both catalogs are
/// equal (otherwise it would settle them in two more scratch databases); then the extra reads.
async fn drift_steps(f: &Fixture<'_>, live: &Live<'_>) -> Fallible<([Duration; 8], [Duration; 2])> {
    let mut client = live.default.client.lock().await;
    let migrator = live.migrator(Jit::Default);
    let read = migrator.read_options();
    let (mut times, mut extras) = ([Duration::ZERO; 8], [Duration::ZERO; 2]);
    let mut clock = Instant::now();
    let mut lap = || std::mem::replace(&mut clock, Instant::now()).elapsed();
    migrator.state(&*client).await?;
    let role = "SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user";
    client.query_one(role, &[]).await?;
    times[0] = lap();
    let name = format!("w7_scratch_{}", uuid::Uuid::new_v4().simple());
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await?;
    times[1] = lap();
    let scratch_options = options(f.cluster, &name);
    let mut scratch = scratch_options.connect().await?;
    times[2] = lap();
    let last = live.migrations.as_slice().last().ok_or("no revisions")?;
    Migrator::new(live.migrations, scratch_options)
        .upgrade(&mut scratch, last.version())
        .await?;
    times[3] = lap();
    let expected = Catalog::read(&mut scratch, &read).await?;
    times[4] = lap();
    scratch.batch_execute("ANALYZE").await?;
    lap();
    black_box(Catalog::read(&mut scratch, &read).await?);
    extras[0] = lap();
    scratch.batch_execute("SET jit = off").await?;
    lap();
    black_box(Catalog::read(&mut scratch, &read).await?);
    extras[1] = lap();
    drop(scratch);
    drop_database(&client, &name).await?;
    times[5] = lap();
    let found = Catalog::read(&mut client, &read).await?;
    times[6] = lap();
    black_box(diff(&found, &expected));
    times[7] = lap();
    Ok((times, extras))
}

/// `ROUNDS` rounds of the real drift and of the drift by hand, which goes first alternating so
/// that neither always meets the other's leftovers (a dropped database, dirty buffers).
pub(super) async fn step_rows(f: &Fixture<'_>, live: &Live<'_>) -> Fallible<Vec<Row>> {
    let mut whole = Vec::new();
    let mut steps = vec![Vec::new(); STEPS.len() + EXTRAS.len()];
    for round in 0..ROUNDS {
        if round % 2 == 1 {
            by_hand(f, live, &mut steps).await?;
        }
        let mut client = live.default.client.lock().await;
        let start = Instant::now();
        black_box(live.migrator(Jit::Default).drift(&mut client).await?);
        whole.push(start.elapsed());
        drop(client);
        if round % 2 == 0 {
            by_hand(f, live, &mut steps).await?;
        }
    }
    let sums: Vec<Duration> = (0..ROUNDS)
        .map(|r| steps[..STEPS.len()].iter().map(|s| s[r]).sum())
        .collect();
    let row = |label: String, rounds: &[Duration]| Row {
        label,
        samples: Some(Samples::of_rounds(rounds)),
        goal: None,
    };
    let mut rows = vec![
        row(format!("{}: `drift`, in these rounds", live.label), &whole),
        row(format!("{}: the steps by hand, total", live.label), &sums),
    ];
    for (step, times) in STEPS.iter().chain(&EXTRAS).zip(&steps) {
        rows.push(row(format!("{}: {step}", live.label), times));
    }
    Ok(rows)
}

async fn by_hand(f: &Fixture<'_>, live: &Live<'_>, steps: &mut [Vec<Duration>]) -> Fallible<()> {
    let (times, extras) = drift_steps(f, live).await?;
    for (i, time) in times.into_iter().chain(extras).enumerate() {
        steps[i].push(time);
    }
    Ok(())
}
