//! W3: the time a test waits for a fresh database at head, before it can run its first query.
//!
//! - `appdb_template_clone`: `app_db::testing`'s `migrated_database` (a clone of a template
//!   migrated once per revision set), then `connect` and `SELECT 1`.
//! - `schema_per_test_replay`: the alternative to a database per test: one shared database, a
//!   fresh schema per test (`CREATE SCHEMA`, `search_path`), every revision replayed into it by
//!   our runtime, since PostgreSQL cannot clone a schema.
//! - `sqlx_replay`: what `#[sqlx::test]` does: `CREATE DATABASE` on a fresh admin connection,
//!   connect to the new database, `Migrator::run` every migration, then `SELECT 1`.
//!
//! Both run against one server, in the same criterion group per revision set, and only the
//! creation is timed (`iter_custom`): dropping each database happens after the clock stops.
//! Criterion measures a group's benches one after the other, so a strictly alternating
//! cross-check follows, whose samples the `report` binary shows beside criterion's.

use std::error::Error;
use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use app_db::testing::LocalCluster;
use appdb_benches::results::{self, fail, Set, OURS, PEER, SCHEMA, SETS};
use appdb_benches::{layout, synthetic, url};
use criterion::{Criterion, SamplingMode};
use migrations_core::Migrations;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::{AssertSqlSafe, Connection, Executor};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Tables, views and indexes a test sees, each history table and its key left out: equal for
/// both contenders when both built the same schema.
const SCHEMA_SQL: &str = "SELECT coalesce(string_agg(c.relname || ':' || c.relkind::text, ',' \
     ORDER BY c.relname), '') FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = 'public' AND c.relkind IN ('r', 'v', 'i') \
     AND c.relname NOT LIKE 'schema\\_revisions%' AND c.relname NOT LIKE '\\_sqlx\\_migrations%'";

/// One revision set, loaded for both contenders, with its criterion settings.
struct Bench {
    set: Set,
    ours: Migrations,
    sqlx: Migrator,
    /// Connection options of the admin database, shared with `app_db::testing`.
    server: PgConnectOptions,
    sample_size: usize,
    measurement_time: Duration,
    /// Rounds of the alternating cross-check (each runs both contenders once).
    rounds: usize,
}

fn main() {
    // Before any other thread exists: the env var must be set while nothing else reads it.
    let cluster = start_server().unwrap_or_else(|e| fail("starting the server", e));
    let rt = tokio::runtime::Runtime::new().unwrap_or_else(|e| fail("building the runtime", e));
    let dir = tempfile::tempdir().unwrap_or_else(|e| fail("creating a temp dir", e));
    let benches = rt
        .block_on(prepare(dir.path()))
        .unwrap_or_else(|e| fail("preparing the revision sets", e));
    let quick = std::env::args().any(|arg| arg == "--test" || arg == "--list");

    let mut criterion = Criterion::default().configure_from_args();
    for bench in &benches {
        run_criterion(&mut criterion, &rt, bench);
    }
    if !quick {
        let home = results::criterion_home();
        for bench in &benches {
            let (ours, peer) = rt
                .block_on(alternate(bench))
                .unwrap_or_else(|e| fail("the alternating cross-check", e));
            results::write_interleaved(&home, &bench.set, &ours, &peer)
                .unwrap_or_else(|e| fail("writing the cross-check", e));
        }
        println!("\n{}", results::table(&home));
    }
    criterion.final_summary();
    drop(rt);
    // Stops and deletes the cluster; the databases went with their TestDatabase values.
    drop(cluster);
}

/// Starts a private cluster unless `TEST_DATABASE_URL` names a server, and points
/// `TEST_DATABASE_URL` at it so that `app_db::testing` and sqlx use the same server.
fn start_server() -> Fallible<Option<LocalCluster>> {
    if std::env::var_os("TEST_DATABASE_URL").is_some() {
        return Ok(None);
    }
    // A runtime without worker threads, dropped before the env var is set.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let cluster = rt.block_on(LocalCluster::start_throwaway())?;
    drop(rt);
    let url = url::socket_url(cluster.socket_dir(), cluster.port(), "postgres", "postgres");
    std::env::set_var("TEST_DATABASE_URL", url);
    Ok(Some(cluster))
}

/// Writes both revision sets in both layouts under `dir` and loads them, then creates one
/// database per contender and set: this builds our templates outside the measurement and
/// checks that both contenders produce the same schema.
async fn prepare(dir: &Path) -> Fallible<Vec<Bench>> {
    let url = std::env::var("TEST_DATABASE_URL")?;
    let server = PgConnectOptions::from_str(&url)?;
    let synthetic = synthetic::generate(200);
    let (ours_dir, flat_911, flat_200) = (dir.join("ours"), dir.join("911"), dir.join("flat"));
    for dir in [&ours_dir, &flat_911, &flat_200] {
        std::fs::create_dir(dir)?;
    }
    layout::write_directories(&ours_dir, &synthetic)?;
    layout::write_flat(&flat_200, &synthetic)?;
    layout::write_flat(&flat_911, &layout::export(&app_db::MIGRATIONS)?)?;
    let ours_200 = migrations_core::load_dir(&ours_dir, "synthetic", Default::default())?;

    let benches = vec![
        Bench {
            set: SETS[0],
            ours: app_db::MIGRATIONS.clone(),
            sqlx: Migrator::new(flat_911.as_path()).await?,
            server: server.clone(),
            sample_size: 30,
            measurement_time: Duration::from_secs(12),
            rounds: 60,
        },
        Bench {
            set: SETS[1],
            ours: ours_200,
            sqlx: Migrator::new(flat_200.as_path()).await?,
            server,
            sample_size: 20,
            measurement_time: Duration::from_secs(35),
            rounds: 20,
        },
    ];
    for bench in &benches {
        check_same_schema(bench).await?;
    }
    let mut admin = PgConnection::connect_with(&benches[0].server).await?;
    for sql in [
        format!("DROP DATABASE IF EXISTS {SHARED_DB} WITH (FORCE)"),
        format!("CREATE DATABASE {SHARED_DB}"),
    ] {
        admin.execute(AssertSqlSafe(sql)).await?;
    }
    admin.close().await?;
    Ok(benches)
}

async fn check_same_schema(bench: &Bench) -> Fallible<()> {
    let sqlx_ups = bench
        .sqlx
        .iter()
        .filter(|m| m.migration_type.is_up_migration());
    assert_eq!(bench.ours.len(), sqlx_ups.count(), "{}", bench.set.label);
    let (_, db, client) = ours_create(&bench.ours).await?;
    let ours: String = client.query_one(SCHEMA_SQL, &[]).await?.get(0);
    drop((client, db));
    let (_, name, mut conn) = sqlx_create(bench).await?;
    let peer: String = sqlx::query_scalar(SCHEMA_SQL).fetch_one(&mut conn).await?;
    sqlx_cleanup(bench, &name, conn).await?;
    assert!(!ours.is_empty(), "{}: empty schema", bench.set.label);
    assert_eq!(
        ours, peer,
        "{}: the contenders built different schemas",
        bench.set.label
    );
    println!(
        "{}: both contenders build the same {} relations",
        bench.set.label,
        ours.split(',').count()
    );
    Ok(())
}

fn run_criterion(criterion: &mut Criterion, rt: &tokio::runtime::Runtime, bench: &Bench) {
    let mut group = criterion.benchmark_group(bench.set.group);
    // Iterations take tens of milliseconds to seconds: the same count in every sample.
    group
        .sampling_mode(SamplingMode::Flat)
        .sample_size(bench.sample_size)
        .warm_up_time(Duration::from_secs(2))
        .measurement_time(bench.measurement_time);
    group.bench_function(OURS, |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += ours_once(&bench.ours)
                    .await
                    .unwrap_or_else(|e| fail(OURS, e));
            }
            total
        })
    });
    group.bench_function(SCHEMA, |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += schema_once(bench).await.unwrap_or_else(|e| fail(SCHEMA, e));
            }
            total
        })
    });
    group.bench_function(PEER, |b| {
        b.to_async(rt).iter_custom(|iters| async move {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                total += sqlx_once(bench).await.unwrap_or_else(|e| fail(PEER, e));
            }
            total
        })
    });
    group.finish();
}

/// Runs the contenders in turn, swapping which goes first every round; nanoseconds.
async fn alternate(bench: &Bench) -> Fallible<(Vec<u128>, Vec<u128>)> {
    let (mut ours, mut peer) = (Vec::new(), Vec::new());
    for round in 0..bench.rounds {
        if round.is_multiple_of(2) {
            ours.push(ours_once(&bench.ours).await?.as_nanos());
            peer.push(sqlx_once(bench).await?.as_nanos());
        } else {
            peer.push(sqlx_once(bench).await?.as_nanos());
            ours.push(ours_once(&bench.ours).await?.as_nanos());
        }
    }
    Ok((ours, peer))
}

/// One test's wait with our helper. The database is dropped after the clock stops.
async fn ours_once(migrations: &Migrations) -> Fallible<Duration> {
    let (elapsed, db, client) = ours_create(migrations).await?;
    // The client's connection ends before `DROP DATABASE ... WITH (FORCE)` in db's Drop.
    drop((client, db));
    Ok(elapsed)
}

async fn ours_create(
    migrations: &Migrations,
) -> Fallible<(
    Duration,
    app_db::testing::TestDatabase,
    tokio_postgres::Client,
)> {
    let start = Instant::now();
    let db = app_db::testing::server()
        .await?
        .migrated_database(migrations)
        .await?;
    let client = db.connect().await?;
    let one: i32 = client.query_one("SELECT 1", &[]).await?.get(0);
    let elapsed = start.elapsed();
    assert_eq!(one, 1);
    Ok((elapsed, db, client))
}

/// The database every schema-per-test test shares, created on first use.
const SHARED_DB: &str = "schema_per_test";

/// One test's wait with a schema of its own in a shared database: connect, create the schema,
/// replay every revision into it (history table included), `SELECT 1`. The schema is dropped
/// after the clock stops.
async fn schema_once(bench: &Bench) -> Fallible<Duration> {
    let mut config = app_db::testing::server()
        .await?
        .url(SHARED_DB)
        .parse::<tokio_postgres::Config>()?;
    config.application_name("schema_per_test");
    let schema = format!("s_{}", uuid::Uuid::new_v4().simple());
    let start = Instant::now();
    let (mut client, connection) = config.connect(tokio_postgres::NoTls).await?;
    let driver = tokio::spawn(connection);
    client
        .batch_execute(&format!(
            "CREATE SCHEMA {schema}; SET search_path TO {schema}"
        ))
        .await?;
    let table = app_db::HistoryTable::parse(&format!("{schema}.schema_revisions"))?;
    app_db::Migrator::client_only(&bench.ours)
        .with_table(table)
        .upgrade(&mut client, "head")
        .await?;
    let one: i32 = client.query_one("SELECT 1", &[]).await?.get(0);
    let elapsed = start.elapsed();
    assert_eq!(one, 1);
    client
        .batch_execute(&format!("DROP SCHEMA {schema} CASCADE"))
        .await?;
    drop(client);
    driver.await??;
    Ok(elapsed)
}

/// One test's wait with `#[sqlx::test]`'s approach. The database is dropped after the clock
/// stops.
async fn sqlx_once(bench: &Bench) -> Fallible<Duration> {
    let (elapsed, name, conn) = sqlx_create(bench).await?;
    sqlx_cleanup(bench, &name, conn).await?;
    Ok(elapsed)
}

// Leaves out `#[sqlx::test]`'s bookkeeping (its `_sqlx_test` schema and rows, an advisory lock)
// and its second connection (it closes the migrating one and opens a pool): both would only
// add to sqlx's time.
async fn sqlx_create(bench: &Bench) -> Fallible<(Duration, String, PgConnection)> {
    let name = format!("sqlx_{}", uuid::Uuid::new_v4().simple());
    let start = Instant::now();
    // sqlx::test's master pool closes every admin connection after use: one per test.
    let mut admin = PgConnection::connect_with(&bench.server).await?;
    let create = format!("CREATE DATABASE \"{name}\"");
    admin.execute(AssertSqlSafe(create)).await?;
    drop(admin);
    let mut conn = PgConnection::connect_with(&bench.server.clone().database(&name)).await?;
    bench.sqlx.run(&mut conn).await?;
    let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(&mut conn).await?;
    let elapsed = start.elapsed();
    assert_eq!(one, 1);
    Ok((elapsed, name, conn))
}

async fn sqlx_cleanup(bench: &Bench, name: &str, conn: PgConnection) -> Fallible<()> {
    conn.close().await?;
    let mut admin = PgConnection::connect_with(&bench.server).await?;
    let drop = format!("DROP DATABASE \"{name}\" WITH (FORCE)");
    admin.execute(AssertSqlSafe(drop)).await?;
    admin.close().await?;
    Ok(())
}
