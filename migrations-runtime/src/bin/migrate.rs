//! `migrate`: the migration commands on a migrations directory read at run time.

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use migrations_runtime::cli::{self, MigrateArgs, Source};

#[tokio::main]
async fn main() -> ExitCode {
    let mut args = MigrateArgs::parse();
    let source = Source::Directory {
        path: args.dir.clone(),
        allow_up_only: args.allow_up_only,
    };
    if args.local {
        let data_dir = std::env::var_os("APP_DB_LOCAL_DATA")
            .map_or_else(|| PathBuf::from("target/dev-postgres"), PathBuf::from);
        match cli::local_database(&data_dir, cli::LOCAL_DATABASE).await {
            Ok(url) => args.global.database_url = Some(url),
            Err(error) => return fail(error),
        }
    }
    match cli::run(&source, &args.global, args.command).await {
        Ok(code) => code,
        Err(error) => fail(error),
    }
}

fn fail(error: cli::CliError) -> ExitCode {
    eprintln!("error: {:#}", anyhow::Error::new(error));
    ExitCode::FAILURE
}
