//! `simulator`: the 911 operator training simulator. On boot it migrates its database to head
//! (safe with many replicas), then plays a training call and prints a report. `simulator db ...`
//! runs the migration commands on the embedded revisions and the database utilities.

use std::io::{self, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{anyhow, Context, Result};
use app_db::cli::{self, Command, GlobalArgs, Source};
use app_db::data::{store, TrainingScenario};
use app_db::sim::{admin, call, report};
use app_db::takeover::{self, Takeover};
use app_db::{ConnectOptions, Migrator, MIGRATIONS};
use clap::{Parser, Subcommand};

/// The scenario played when `--scenario` is not given.
const DEFAULT_SCENARIO: &str = "Domestic Violence Call";

/// The 911 operator training simulator.
#[derive(Debug, Parser)]
#[command(name = "simulator", version)]
struct Args {
    /// What to do; without a command, play a training call.
    #[command(subcommand)]
    command: Option<Top>,
    /// The scenario to play, by name (case-insensitive) or id.
    #[arg(long, default_value = DEFAULT_SCENARIO, global = true)]
    scenario: String,
    /// Type the operator's lines instead of playing the scripted ones (`/quit` hangs up; an empty
    /// line uses the suggestion).
    #[arg(long, global = true)]
    interactive: bool,
    /// The trainee's id, recorded on the session.
    #[arg(long, default_value = "trainee", global = true)]
    operator: String,
    /// Where the local PostgreSQL cluster lives when DATABASE_URL is not set.
    #[arg(
        long,
        env = "SIMULATOR_DATA_DIR",
        default_value = ".simulator/pgdata",
        global = true
    )]
    data_dir: PathBuf,
    /// Connection and migration options.
    #[command(flatten)]
    global: GlobalArgs,
}

#[derive(Debug, Subcommand)]
enum Top {
    /// Database commands: every `migrate` command on the embedded revisions, plus info, reset
    /// and seed.
    Db {
        /// The command.
        #[command(subcommand)]
        command: DbCommand,
    },
    /// List the training scenarios.
    Scenarios,
}

#[derive(Debug, Subcommand)]
enum DbCommand {
    #[command(flatten)]
    Migrate(Command),
    /// Server, database, revision and row counts of every table.
    Info,
    /// Drop everything and migrate to head (asks for --yes).
    Reset {
        /// Confirm dropping every table and row.
        #[arg(long)]
        yes: bool,
    },
    /// Re-apply the training scenario seed (idempotent).
    Seed,
    /// Take over a database the Python setup built its own way: `--plan` shows each difference
    /// from what our revisions produce and the SQL that reconciles it keeping every row (exit 1
    /// when a step needs a decision); `--apply` runs it with the stamps in one transaction under
    /// the migration lock, then migrates to head.
    Takeover {
        /// Show the reconciliation; change nothing.
        #[arg(long, conflicts_with = "apply", required_unless_present = "apply")]
        plan: bool,
        /// Run it.
        #[arg(long)]
        apply: bool,
        /// Fill a column's NULLs with an SQL expression before it becomes NOT NULL
        /// (`table.column=EXPRESSION`); repeatable.
        #[arg(long, value_name = "TABLE.COLUMN=EXPR", value_parser = takeover::Choices::parse_fill)]
        fill: Vec<(String, String, String)>,
        /// Drop what the Python setup has and our revisions do not (columns, tables, types).
        #[arg(long)]
        allow_destructive: bool,
    },
}

#[tokio::main]
async fn main() -> ExitCode {
    match run(Args::parse()).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::FAILURE
        }
    }
}

async fn run(mut args: Args) -> Result<ExitCode> {
    let url = match args
        .global
        .database_url
        .clone()
        .filter(|u| !u.trim().is_empty())
    {
        Some(url) => url,
        None => cli::local_database(&args.data_dir, "simulator").await?,
    };
    args.global.database_url = Some(url);
    // The takeover keeps `alembic_version` for the old Python deployment (see `takeover`): it is
    // that tool's bookkeeping, not part of the schema `db drift` and `db diff` compare.
    args.global
        .ignore_tables
        .push(app_db::takeover::ALEMBIC_TABLE.to_owned());
    // The one place options become a runner, shared with `migrate`: `--lock-wait`, the timeouts
    // and the overrides hold on boot, `db reset`, `db seed` and the takeover as for `db upgrade`.
    let migrator = args.global.migrator(&MIGRATIONS)?;
    let options = migrator
        .connect_options()
        .cloned()
        .context("the database URL was just set")?;
    match args.command.take() {
        Some(Top::Db { command }) => db(command, &args.global, &options, &migrator).await,
        Some(Top::Scenarios) => {
            let client = boot(&options, &migrator).await?;
            for s in store::list_scenarios(&client, true).await? {
                let incomplete = match s.gaps.len() {
                    0 => String::new(),
                    n => format!(
                        " (not in the scenario format: {n} field(s); playing it lists them)"
                    ),
                };
                println!(
                    "{}  {:<34} {:?}{}{incomplete}",
                    s.id,
                    s.name,
                    s.difficulty_level,
                    if s.is_active { "" } else { " (inactive)" }
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        None => play(&args, &options, &migrator).await,
    }
}

/// Connects and migrates to head: what every replica does on boot.
async fn boot(options: &ConnectOptions, migrator: &Migrator<'_>) -> Result<tokio_postgres::Client> {
    let mut client = options.connect().await?;
    take_over(&mut client, migrator).await?;
    let outcome = migrator
        .upgrade(&mut client, "head")
        .await
        .context("migrating the database on boot")?;
    if !outcome.steps.is_empty() {
        eprintln!(
            "migrated: applied {} revision(s), database at {} (head)",
            outcome.steps.len(),
            outcome.current_label()
        );
    }
    Ok(client)
}

async fn play(args: &Args, options: &ConnectOptions, migrator: &Migrator<'_>) -> Result<ExitCode> {
    let mut client = boot(options, migrator).await?;
    let scenario = find_scenario(&client, &args.scenario).await?;
    if !scenario.gaps.is_empty() {
        let gaps = scenario.gaps.join("; ");
        if scenario.scenario_script.dialogue.is_empty() {
            return Err(anyhow!(
                "scenario `{}` cannot be played: its script has no dialogue line to play. Its documents do not follow docs/scenario-format.md: {gaps}. Rewrite them in that format (`simulator db seed` restores the five seeded scenarios)",
                scenario.name
            ));
        }
        eprintln!(
            "note: scenario `{}` does not follow docs/scenario-format.md, so what is missing is played as empty: {gaps}",
            scenario.name
        );
    }
    let call_options = call::CallOptions {
        operator_id: args.operator.clone(),
        interactive: args.interactive,
    };
    let stdin = io::stdin();
    let mut input = stdin.lock();
    let mut out = io::stdout();
    writeln!(
        out,
        "Incoming 911 call — scenario \"{}\" ({:?})\n",
        scenario.name, scenario.difficulty_level
    )?;
    let record = call::run(&mut client, &scenario, &call_options, &mut input, &mut out).await?;
    writeln!(out, "\n{}", report::render(&scenario, &record))?;
    Ok(ExitCode::SUCCESS)
}

/// A database left by the Alembic setup becomes ours before anything is migrated.
async fn take_over(client: &mut tokio_postgres::Client, migrator: &Migrator<'_>) -> Result<()> {
    if let Takeover::Recorded { revision } = takeover::take_over(client, migrator)
        .await
        .context("taking over the Alembic-managed database")?
    {
        eprintln!("took over the Alembic-managed database at revision {revision}: its schema matches, revisions up to {revision} recorded as applied (alembic_version is left in place)");
    }
    Ok(())
}

/// `db takeover --plan`: exit 1 when a step needs a decision.
fn show_plan(plan: Option<takeover::Reconciliation>) -> Result<ExitCode> {
    let Some(plan) = plan else {
        println!("nothing to take over: not an Alembic-managed database, or ours already");
        return Ok(ExitCode::SUCCESS);
    };
    let count = plan.diff.differences().count();
    println!("takeover of the Alembic database at revision {}: {count} difference(s) from what our revisions produce", plan.revision);
    for difference in plan.diff.differences() {
        println!("  - {difference}");
    }
    if !plan.fills.is_empty() {
        println!("NULLs filled before the column becomes NOT NULL:");
        for fill in &plan.fills {
            println!(
                "  - {}.{}: {} row(s) set to {}",
                fill.table, fill.column, fill.rows, fill.value
            );
        }
    }
    for note in &plan.notes {
        println!("note: {note}");
    }
    if !plan.blockers.is_empty() {
        println!("blocked (nothing will run until these are settled):");
        for blocker in &plan.blockers {
            println!("  - {blocker}");
        }
    }
    println!(
        "\n-- the SQL `simulator db takeover --apply` runs in one transaction with the stamps:"
    );
    print!("{}", plan.sql());
    Ok(if plan.blockers.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

async fn find_scenario(client: &tokio_postgres::Client, wanted: &str) -> Result<TrainingScenario> {
    let found = match wanted.parse::<uuid::Uuid>() {
        Ok(id) => Some(store::get_scenario(client, id).await?),
        Err(_) => store::find_scenario_by_name(client, wanted).await?,
    };
    let active: Vec<String> = store::list_scenarios(client, false)
        .await?
        .into_iter()
        .map(|s| s.name)
        .collect();
    match found {
        Some(s) if s.is_active => Ok(s),
        Some(s) => Err(anyhow!(
            "scenario `{}` is retired (is_active is false): choose one of {}, or reactivate it",
            s.name,
            active.join(", ")
        )),
        None => Err(anyhow!(
            "no scenario named `{wanted}`: choose one of {}",
            active.join(", ")
        )),
    }
}

async fn db(
    command: DbCommand,
    global: &GlobalArgs,
    options: &ConnectOptions,
    migrator: &Migrator<'_>,
) -> Result<ExitCode> {
    match command {
        DbCommand::Migrate(command) => {
            if let Command::Upgrade { sql: false, .. } = command {
                take_over(&mut options.connect().await?, migrator).await?;
            }
            if let Command::Check { .. } = command {
                // The seed's `check` was a connection check; ours checks the connection, then the
                // migrations.
                let client = options.connect().await?;
                let row = client
                    .query_one("SELECT current_database(), version()", &[])
                    .await?;
                println!(
                    "connected to {} as {} ({})",
                    row.get::<_, String>(0),
                    options.redacted(),
                    row.get::<_, String>(1)
                );
            }
            Ok(cli::run(&Source::Embedded(&MIGRATIONS), global, command).await?)
        }
        DbCommand::Info => {
            let client = options.connect().await?;
            let info = admin::info(&client, migrator).await?;
            println!(
                "server    {}\ndatabase  {}\nrevision  {} ({} pending)",
                info.server, info.database, info.revision, info.pending
            );
            for (table, count) in info.tables {
                println!(
                    "  {table:<22} {}",
                    count.map_or("absent".to_owned(), |c| format!("{c} rows"))
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Reset { yes } => {
            let mut client = options.connect().await?;
            let outcome = admin::reset(&mut client, migrator, migrator.table(), yes).await?;
            println!(
                "reset: database recreated at {} (head), {} revision(s) applied",
                outcome.current_label(),
                outcome.steps.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Takeover {
            plan,
            fill,
            allow_destructive,
            ..
        } => {
            let choices = takeover::Choices {
                fill,
                allow_destructive,
            };
            let mut client = options.connect().await?;
            if plan {
                return show_plan(takeover::plan(&mut client, migrator, &choices).await?);
            }
            let Some(done) = takeover::apply(&mut client, migrator, &choices).await? else {
                println!("nothing to take over: not an Alembic-managed database, or ours already");
                return Ok(ExitCode::SUCCESS);
            };
            println!(
                "took over revision {}: {} difference(s) reconciled, {} NULL fill(s), revisions up to {} recorded as applied",
                done.revision,
                done.diff.differences().count(),
                done.fills.len(),
                done.revision
            );
            let outcome = migrator.upgrade(&mut client, "head").await?;
            println!(
                "database at {} (head), {} revision(s) applied",
                outcome.current_label(),
                outcome.steps.len()
            );
            Ok(ExitCode::SUCCESS)
        }
        DbCommand::Seed => {
            let mut client = options.connect().await?;
            let count = admin::seed(&mut client, migrator, &MIGRATIONS).await?;
            println!("seeded: {count} training scenarios");
            Ok(ExitCode::SUCCESS)
        }
    }
}
