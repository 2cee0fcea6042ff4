//! `migrate`: the migration commands on a migrations directory read at run time.

use std::process::ExitCode;

use app_db::cli::{self, MigrateArgs, Source};
use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    let args = MigrateArgs::parse();
    let source = Source::Directory {
        path: args.dir.clone(),
        allow_up_only: args.allow_up_only,
    };
    match cli::run(&source, &args.global, args.command).await {
        Ok(code) => code,
        Err(error) => {
            eprintln!("error: {:#}", anyhow::Error::new(error));
            ExitCode::FAILURE
        }
    }
}
