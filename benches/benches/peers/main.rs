//! Our runtime against refinery 0.10, sqlx 0.9 and diesel_migrations 2.3, all in one run on one
//! throwaway PostgreSQL cluster, tools interleaved round by round:
//!
//! - W1: apply 10, 100 and 500 synthetic revisions from empty; 500 `SELECT 1` revisions, whose
//!   time less the same bodies sent raw is each tool's overhead per migration;
//! - W2: no-op check with 500 applied, connection open and including connect;
//! - W4: round trips per migration and per no-op check, counted by a protocol proxy, and the
//!   messages our runtime sends;
//! - memory: peak RSS of a child process applying 500 revisions;
//! - replicas: 4 child processes migrating one empty database at once;
//! - W5: release build of a crate embedding 1000 revisions, clean and after one `up.sql`
//!   changed, and its binary's size.
//!
//! `cargo bench --bench peers` runs everything and writes `peers.json` and `peers.md` under
//! `$CARGO_TARGET_DIR/criterion/peers/`; `-- --quick` runs few rounds, `-- --only w1,w2` some
//! parts (w1, w2, w4, memory, replicas, w5). Not criterion: it cannot interleave four tools
//! round by round, which a shared noisy machine needs (see README.md).

mod child;
mod compile;
mod processes;
mod proxy;
mod tools;
mod workloads;

use std::error::Error;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use app_db::testing::LocalCluster;
use appdb_benches::layout::ScriptPair;
use appdb_benches::peers::{self, Results};
use appdb_benches::{synthetic, url};
use tokio::runtime::Runtime;

type Fallible<T> = Result<T, Box<dyn Error>>;
/// One part of the run, adding its figures to the results.
type Part<'a> = &'a dyn Fn(&mut Results) -> Fallible<()>;

/// How many rounds each part runs.
pub struct Rounds {
    pub w1_small: usize,
    pub w1_medium: usize,
    pub w1_large: usize,
    pub w1_trivial: usize,
    pub w2: usize,
    pub replicas: usize,
    pub w5: usize,
}

impl Rounds {
    fn new(quick: bool) -> Rounds {
        if quick {
            Rounds {
                w1_small: 2,
                w1_medium: 1,
                w1_large: 1,
                w1_trivial: 1,
                w2: 3,
                replicas: 1,
                w5: 1,
            }
        } else {
            Rounds {
                w1_small: 15,
                w1_medium: 7,
                w1_large: 5,
                w1_trivial: 7,
                w2: 30,
                replicas: 3,
                w5: 1,
            }
        }
    }
}

/// What every part needs: the server, the revision sets, an admin connection.
pub struct Ctx {
    pub rt: Runtime,
    pub cluster: LocalCluster,
    pub admin: tokio_postgres::Client,
    pub root: tempfile::TempDir,
    pub rounds: Rounds,
}

impl Ctx {
    /// A URL of database `db` on the cluster.
    pub fn url(&self, db: &str) -> String {
        url::socket_url(
            self.cluster.socket_dir(),
            self.cluster.port(),
            "postgres",
            db,
        )
    }

    /// A fresh empty database.
    pub fn create_db(&self) -> Fallible<String> {
        let name = format!("peers_{}", uuid::Uuid::new_v4().simple());
        self.rt
            .block_on(self.admin.batch_execute(&format!("CREATE DATABASE {name}")))?;
        Ok(name)
    }

    pub fn drop_db(&self, name: &str) -> Fallible<()> {
        let sql = format!("DROP DATABASE {name} WITH (FORCE)");
        Ok(self.rt.block_on(self.admin.batch_execute(&sql))?)
    }

    /// Rows in `tool`'s history table of database `db`.
    pub fn history_rows(&self, tool: tools::Tool, db: &str) -> Fallible<i64> {
        let url = self.url(db);
        self.rt.block_on(async {
            let client = tools::tokio_client(&url).await?;
            let sql = format!("SELECT count(*) FROM {}", tool.history_table());
            Ok(client.query_one(&sql, &[]).await?.get(0))
        })
    }

    /// Checks that `tool` recorded exactly `expected` revisions in `db`.
    pub fn check_history(&self, tool: tools::Tool, db: &str, expected: usize) -> Fallible<()> {
        let rows = self.history_rows(tool, db)?;
        if rows != expected as i64 {
            return Err(
                format!("{}: {rows} history rows, expected {expected}", tool.name()).into(),
            );
        }
        Ok(())
    }

    /// A directory for a part's files.
    pub fn dir(&self, name: &str) -> PathBuf {
        self.root.path().join(name)
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--child") {
        return child::main(&args[1..]);
    }
    // `cargo test --benches` runs bench targets without `--bench`: nothing to check here that
    // the unit tests do not, and a full run takes many minutes.
    if !args.iter().any(|a| a == "--bench") {
        println!("peers: run with `cargo bench --bench peers`");
        return ExitCode::SUCCESS;
    }
    let quick = args.iter().any(|a| a == "--quick");
    let only: Option<Vec<String>> = args
        .iter()
        .position(|a| a == "--only")
        .and_then(|i| args.get(i + 1))
        .map(|list| list.split(',').map(str::to_owned).collect());
    let wanted = |part: &str| {
        only.as_ref()
            .is_none_or(|parts| parts.iter().any(|p| p == part))
    };
    match run(Rounds::new(quick), &wanted) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("peers bench failed: {}", chain(e.as_ref()));
            ExitCode::FAILURE
        }
    }
}

fn run(rounds: Rounds, wanted: &dyn Fn(&str) -> bool) -> Fallible<()> {
    let rt = Runtime::new()?;
    let cluster = rt.block_on(LocalCluster::start_throwaway())?;
    let admin_url = url::socket_url(cluster.socket_dir(), cluster.port(), "postgres", "postgres");
    let admin = rt.block_on(tools::tokio_client(&admin_url))?;
    let server: String = rt
        .block_on(admin.query_one("SELECT version()", &[]))?
        .get(0);
    let mut results = Results {
        date: date(),
        server: server.split(" on ").next().unwrap_or(&server).to_owned(),
        ..Results::default()
    };
    let ctx = Ctx {
        rt,
        cluster,
        admin,
        root: tempfile::tempdir()?,
        rounds,
    };
    let outcome = run_parts(&ctx, &mut results, wanted);
    let dir = peers::results_dir();
    results.save(&dir)?;
    println!("\n{}", peers::report(&results));
    println!("results in {}", dir.display());
    let Ctx {
        rt, cluster, admin, ..
    } = ctx;
    drop(admin);
    drop(rt);
    // Stops the cluster and deletes its directory.
    drop(cluster);
    outcome
}

fn run_parts(ctx: &Ctx, results: &mut Results, wanted: &dyn Fn(&str) -> bool) -> Fallible<()> {
    let synthetic = synthetic::generate(500);
    let set = |name: &str, revisions: &[ScriptPair]| {
        tools::Set::new(&ctx.rt, ctx.root.path(), name, revisions)
    };
    let sets = workloads::Sets {
        small: set("synthetic_10", &synthetic[..10])?,
        medium: set("synthetic_100", &synthetic[..100])?,
        large: set("synthetic_500", &synthetic)?,
        trivial: set("trivial_500", &synthetic::trivial(peers::TRIVIAL))?,
    };
    let parts: [(&str, Part<'_>); 6] = [
        ("w1", &|r| workloads::w1(ctx, &sets, r)),
        ("w2", &|r| workloads::w2(ctx, &sets, r)),
        ("w4", &|r| workloads::w4(ctx, r)),
        ("memory", &|r| processes::memory(ctx, &sets, r)),
        ("replicas", &|r| processes::replicas(ctx, &sets, r)),
        ("w5", &|r| compile::w5(ctx, &synthetic::generate(1000), r)),
    ];
    for (name, part) in parts {
        if wanted(name) {
            let start = std::time::Instant::now();
            println!("{name}: running");
            part(results)?;
            println!("{name}: done in {:.0?}", start.elapsed());
        }
    }
    Ok(())
}

/// The time now, as `date -u` prints it.
fn date() -> String {
    let output = std::process::Command::new("date").arg("-u").output();
    output.map_or_else(
        |_| "unknown date".to_owned(),
        |o| String::from_utf8_lossy(&o.stdout).trim().to_owned(),
    )
}

/// The error and its causes on one line.
pub fn chain(error: &dyn Error) -> String {
    let mut message = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        message.push_str(&format!(": {cause}"));
        source = cause.source();
    }
    message
}

/// Nanoseconds as a float, for the results.
pub fn ns(duration: Duration) -> f64 {
    duration.as_nanos() as f64
}

/// The path of this bench's executable, to re-run as a child.
pub fn this_exe() -> Fallible<PathBuf> {
    Ok(std::env::current_exe()?)
}

/// The server's socket file, for the proxy.
pub fn socket_file(ctx: &Ctx) -> PathBuf {
    Path::new(ctx.cluster.socket_dir()).join(format!(".s.PGSQL.{}", ctx.cluster.port()))
}
