//! The command line's arguments: the `migrate` binary's, the options every command accepts, and
//! the commands. Turning the options into a configured [`Migrator`](crate::Migrator) happens once,
//! in [`GlobalArgs::migrator`], for every binary.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

use super::resolve;

/// `migrate`: the commands on a migrations directory read at run time.
#[derive(Debug, Parser)]
#[command(
    name = "migrate",
    version,
    about = "PostgreSQL migrations with checksummed history and Alembic-style targets"
)]
pub struct MigrateArgs {
    /// The migrations directory (diesel directories or sqlx flat files).
    #[arg(long, default_value = "migrations", global = true)]
    pub dir: PathBuf,
    /// Accept revisions without a down script as irreversible (for directories imported from
    /// other tools).
    #[arg(long, global = true)]
    pub allow_up_only: bool,
    /// Use (and start if needed) a local development cluster in `target/dev-postgres` (or
    /// `$APP_DB_LOCAL_DATA`) instead of DATABASE_URL.
    #[arg(long, global = true, conflicts_with = "database_url")]
    pub local: bool,
    /// Options shared with `simulator db`.
    #[command(flatten)]
    pub global: GlobalArgs,
    /// The command.
    #[command(subcommand)]
    pub command: Command,
}

/// Options every command accepts.
#[derive(Clone, Args)]
pub struct GlobalArgs {
    /// Connection string (URI or key=value); never printed.
    #[arg(long, env = "DATABASE_URL", hide_env_values = true, global = true)]
    pub database_url: Option<String>,
    /// The history table, `table` or `schema.table`.
    #[arg(long, default_value = crate::history::DEFAULT_TABLE, global = true)]
    pub history_table: String,
    /// Seconds to wait for another runner's migration lock.
    #[arg(long, value_name = "SECS", default_value_t = 300, global = true)]
    pub lock_wait: u64,
    /// `lock_timeout` of the revisions' statements (e.g. `10s`, `500ms`, `0` for none); a
    /// revision's `-- migrate: lock-timeout=…` overrides it.
    #[arg(long, value_name = "DURATION", default_value = "10s", value_parser = duration, global = true)]
    pub lock_timeout: Duration,
    /// `statement_timeout` of the revisions' statements (e.g. `15min`, `0` for none); by
    /// default the session's. A revision's `-- migrate: statement-timeout=…` overrides it.
    #[arg(long, value_name = "DURATION", value_parser = duration, global = true)]
    pub statement_timeout: Option<Duration>,
    /// Apply pending revisions older than the newest applied one.
    #[arg(long, global = true)]
    pub allow_out_of_order: bool,
    /// Proceed although the database has revisions this binary does not know.
    #[arg(long, global = true)]
    pub allow_unknown: bool,
    /// Proceed although applied revisions were edited after being applied.
    #[arg(long, global = true)]
    pub ignore_checksums: bool,
    /// A table `drift` and `diff` leave out (`schema.table` or `table`), e.g. another tool's
    /// history such as `alembic_version`; repeat for more.
    #[arg(long = "ignore-table", value_name = "TABLE", global = true)]
    pub ignore_tables: Vec<String>,
    /// Output of the read-only commands.
    #[arg(long, value_enum, default_value_t = Format::Text, global = true)]
    pub format: Format,
}

// Written by hand so `{:?}` of the arguments never prints the connection string's password.
impl std::fmt::Debug for GlobalArgs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GlobalArgs")
            .field(
                "database_url",
                &self.database_url.as_deref().map(crate::connect::redact),
            )
            .field("history_table", &self.history_table)
            .field("lock_wait", &self.lock_wait)
            .field("lock_timeout", &self.lock_timeout)
            .field("statement_timeout", &self.statement_timeout)
            .field("allow_out_of_order", &self.allow_out_of_order)
            .field("allow_unknown", &self.allow_unknown)
            .field("ignore_checksums", &self.ignore_checksums)
            .field("ignore_tables", &self.ignore_tables)
            .field("format", &self.format)
            .finish()
    }
}

/// Output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// For people.
    Text,
    /// For scripts.
    Json,
}

/// The commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Apply pending revisions up to TARGET (head, a version or prefix, +N, REV+N).
    Upgrade {
        /// Where to go; with --sql, `[FROM:]TO`.
        #[arg(default_value = "head", allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
        /// Run every revision, even on an empty database whose directory has a squashed
        /// history's baseline (which it otherwise runs in their place).
        #[arg(long, conflicts_with = "sql")]
        no_baseline: bool,
    },
    /// Revert applied revisions down to TARGET (base, a version or prefix, -N, REV-N).
    Downgrade {
        /// Where to go; with --sql, `FROM:TO`.
        #[arg(allow_hyphen_values = true)]
        target: String,
        /// Print the SQL instead of running it (offline mode).
        #[arg(long)]
        sql: bool,
    },
    /// Show the database's current revision.
    Current {
        /// Also when and by whom it was applied, and the checksum state.
        #[arg(short, long)]
        verbose: bool,
    },
    /// List revisions, newest first, with their state in the database.
    History {
        /// Files, checksums, transaction modes and history details.
        #[arg(short, long)]
        verbose: bool,
        /// Only `START:END` (either side optional; targets as for upgrade).
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "START:END",
            allow_hyphen_values = true
        )]
        range: Option<String>,
    },
    /// Show the head revision and what is pending.
    Heads,
    /// Show one revision: metadata, state, and its SQL.
    Show {
        /// Version, prefix or relative target.
        #[arg(allow_hyphen_values = true)]
        rev: String,
    },
    /// Record the database as being at REV without running SQL.
    Stamp {
        /// Target revision (`base` empties the history).
        #[arg(allow_hyphen_values = true)]
        rev: String,
        /// Empty the history table first, unknown revisions included.
        #[arg(long)]
        purge: bool,
    },
    /// Exit non-zero if anything is pending, edited or unknown; with --schema, if the revisions
    /// at head differ from a declared schema (the history is not looked at then).
    Check {
        /// Also list ignored files, notes and warnings about the migrations.
        #[arg(short, long)]
        verbose: bool,
        /// A declared schema (.sql file or directory) the revisions at head must match.
        #[arg(long, value_name = "PATH")]
        schema: Option<PathBuf>,
    },
    /// Re-record the checksums of applied revisions edited on purpose (comment, whitespace),
    /// for the revisions named only, with an audit row each.
    Repair {
        /// Revisions to repair, by version or directory name.
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
        /// Show the old and new checksums and change nothing.
        #[arg(long)]
        dry_run: bool,
        /// Why, kept in the audit row.
        #[arg(long)]
        reason: Option<String>,
    },
    /// Settle a `no-transaction` revision whose run stopped part-way (a statement failed, or the
    /// runner was killed): retry it from that statement, or record what you did by hand.
    Resolve {
        /// The revision, by version or directory name.
        rev: String,
        /// What to do.
        #[command(flatten)]
        how: resolve::How,
        /// With --retry: start from statement N instead, after checking by hand that the
        /// statements before N took effect (a runner killed just after a statement completed
        /// leaves the record at that statement).
        #[arg(long, value_name = "N", requires = "retry")]
        from: Option<usize>,
    },
    /// Compare the database's schema with what its recorded revision produces (built in a
    /// scratch database, or a rolled-back private schema when the role may not create one);
    /// exit 1 on drift. Reads only.
    Drift {
        /// Also print the SQL that would make the database match its revisions.
        #[arg(long)]
        sql: bool,
    },
    /// Print the SQL that turns one schema into another; nothing when they are equal.
    /// A source is `migrations` (head), `migrations@REV`, `database` or `schema:PATH` (a .sql
    /// file or a directory of them). Renames read as a drop and an add.
    Diff {
        /// The schema to start from.
        #[arg(long, default_value = "database", value_name = "SRC")]
        from: crate::schema::SchemaSource,
        /// The schema to reach.
        #[arg(long, default_value = "migrations", value_name = "SRC")]
        to: crate::schema::SchemaSource,
        /// A table or column renamed between the two (`table=new_table`,
        /// `table.column=table.new_column`): renamed, keeping its values, instead of dropped and
        /// added. A catalog cannot tell; repeat for more.
        #[arg(long = "rename", value_name = "OLD=NEW")]
        renames: Vec<migrations_schema::Rename>,
    },
    /// List syntax errors and safety-lint findings, as the build reports them (needs `--dir`).
    Lint,
    /// Create the next revision's directory with up.sql and down.sql templates; with
    /// --autogenerate, with the SQL that takes head to the declared schema, proven in a scratch
    /// database first (needs a server where the role may create databases).
    Revision {
        /// What the revision does; becomes its slug.
        #[arg(short, long)]
        message: String,
        /// Write the SQL from the revisions at head to the declared schema (exit 1 and write
        /// nothing when they already match).
        #[arg(long)]
        autogenerate: bool,
        /// The declared schema, a .sql file or a directory of them (default: `schema.sql` or
        /// `schema/` beside the migrations directory).
        #[arg(long, value_name = "PATH", requires = "autogenerate")]
        schema: Option<PathBuf>,
        /// A table or column renamed in the declared schema (`table=new_table`,
        /// `table.column=table.new_column`): renamed, keeping its values, instead of dropped and
        /// added; repeat for more.
        #[arg(long = "rename", value_name = "OLD=NEW", requires = "autogenerate")]
        renames: Vec<migrations_schema::Rename>,
        /// Write `up.rs` and `down.rs`, a revision in Rust compiled into the binary that embeds
        /// the directory, instead of SQL.
        #[arg(long, conflicts_with = "autogenerate")]
        rust: bool,
        /// With `--rust`: a function called batch by batch with a cursor, each batch committed
        /// with its progress, for a backfill that resumes where a killed run stopped.
        #[arg(long, requires = "rust")]
        batched: bool,
    },
    /// Write `migrations.lock` beside the revisions (creating it): one line per revision with its
    /// checksum and a hash chained over the lines before it, so that git reports a conflict
    /// when two branches each add a revision. Rerun it after editing a revision.
    Lock,
    /// Renumber revisions not yet applied to come after every other revision, in their order,
    /// and rewrite the lock file: for the branch merged second. Refuses when the database given
    /// applied one of them.
    Rebase {
        /// The revisions, by directory (or file) name or version.
        #[arg(required = true, value_name = "REV")]
        revisions: Vec<String>,
    },
    /// Write `baseline/`: one script building the schema and the rows of the revisions through
    /// REV, proven equal to them in scratch databases, which an empty database runs in their
    /// place (databases in the chain keep it); and a test proving it again in `cargo test`.
    /// With `--drop`, remove the squashed revisions once no database is below the baseline.
    Squash {
        /// The last revision the baseline replaces (a version, `head`, `-1`, ...).
        #[arg(
            long,
            value_name = "REV",
            required_unless_present = "drop",
            conflicts_with = "drop"
        )]
        through: Option<String>,
        /// Remove the revisions the baseline replaces (refused when the database given has
        /// applied some of them but not all); their names and checksums stay in the baseline.
        #[arg(long)]
        drop: bool,
        /// Where the test goes (default: `tests/baseline.rs` of the crate above the directory).
        #[arg(long, value_name = "PATH", conflicts_with = "no_test")]
        test: Option<PathBuf>,
        /// Write no test.
        #[arg(long)]
        no_test: bool,
    },
    /// Write a revision that builds the connected database's schema from nothing, for a
    /// database that predates the tool (then `stamp` it there), proven in a scratch database.
    Baseline {
        /// What the revision is; becomes its slug.
        #[arg(short, long)]
        message: String,
    },
}

/// A duration as the directives take it (`10s`, `500ms`, `2min`, `0`).
fn duration(text: &str) -> Result<Duration, String> {
    migrations_core::source::parse_duration_ms(text)
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{text}` is not a duration: write a whole number and a unit (ms, s, min, h, d), e.g. 10s; 0 means no limit"))
}
