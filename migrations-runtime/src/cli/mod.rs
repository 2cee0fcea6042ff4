//! The migration commands as a command line, for any binary: `simulator db` runs them on its
//! embedded revisions ([`Source::Embedded`]), the `migrate` binary on a directory read at run
//! time. [`run`] is the table of contents, one arm per command; [`GlobalArgs::migrator`] turns
//! the options into the runner every command uses.

mod args;
mod commands;
mod embedders;
mod error;
mod generate;
mod lint;
mod local;
mod lockfile;
mod rebase;
mod render;
mod resolve;
mod scaffold;
mod schema;
mod session;
mod squash;

use std::process::ExitCode;

use crate::direction::Direction;

pub use args::{Command, Format, GlobalArgs, MigrateArgs};
pub use error::CliError;
pub use local::{local_database, LOCAL_DATABASE};
pub use resolve::How;
pub use session::Source;

/// Runs `command` on the revisions of `source`. `Ok` carries the exit code (1 when `check`
/// finds something, or `lint` an error).
pub async fn run(
    source: &Source<'_>,
    global: &GlobalArgs,
    command: Command,
) -> Result<ExitCode, CliError> {
    dispatch(source, global, command)
        .await
        .map_err(|error| embedders::explain(source, error))
}

async fn dispatch(
    source: &Source<'_>,
    global: &GlobalArgs,
    command: Command,
) -> Result<ExitCode, CliError> {
    use commands as c;
    match command {
        Command::Upgrade {
            target,
            sql: false,
            no_baseline,
        } => c::upgrade(source, global, &target, no_baseline).await,
        Command::Upgrade {
            target, sql: true, ..
        } => c::offline(source, global, Direction::Up, &target),
        Command::Downgrade { target, sql: false } => c::downgrade(source, global, &target).await,
        Command::Downgrade { target, sql: true } => {
            c::offline(source, global, Direction::Down, &target)
        }
        Command::Current { verbose } => c::current(source, global, verbose).await,
        Command::History { verbose, range } => {
            c::history(source, global, verbose, range.as_deref()).await
        }
        Command::Heads => c::heads(source, global).await,
        Command::Show { rev } => c::show(source, global, &rev).await,
        Command::Stamp { rev, purge } => c::stamp(source, global, &rev, purge).await,
        Command::Check {
            schema: Some(path), ..
        } => generate::check(source, global, &path).await,
        Command::Check {
            verbose,
            schema: None,
        } => c::check(source, global, verbose).await,
        Command::Repair {
            revisions,
            dry_run,
            reason,
        } => c::repair(source, global, &revisions, dry_run, reason.as_deref()).await,
        Command::Resolve { rev, how, from } => {
            c::resolve(source, global, &rev, how.resolution(from)).await
        }
        Command::Drift { sql } => schema::drift(source, global, sql).await,
        Command::Diff { from, to, renames } => {
            schema::diff(source, global, &from, &to, &renames).await
        }
        Command::Lint => lint::run(source, global.format),
        Command::Revision {
            message,
            autogenerate: false,
            rust,
            batched,
            ..
        } => {
            let language = match rust {
                true => scaffold::Language::Rust { batched },
                false => scaffold::Language::Sql,
            };
            c::revision(source, &message, language)
        }
        Command::Revision {
            message,
            schema,
            renames,
            ..
        } => generate::autogenerate(source, global, &message, schema.as_deref(), &renames).await,
        Command::Baseline { message } => generate::baseline(source, global, &message).await,
        Command::Lock => lockfile::run(source),
        Command::Rebase { revisions } => rebase::run(source, global, &revisions).await,
        Command::Squash {
            through,
            drop,
            test,
            no_test,
        } => {
            let request = squash::Request {
                through: through.as_deref(),
                drop,
                test: test.as_deref(),
                no_test,
            };
            squash::run(source, global, request).await
        }
    }
}
