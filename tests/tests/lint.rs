//! `migrate lint`: the build's verdict on a directory, at run time: exit 1 exactly when the
//! build would fail (syntax errors, denied findings, bad opt-outs), 0 with warnings only.

use std::path::Path;
use std::process::ExitCode;

use clap::Parser;
use migrations_runtime::cli::{self, MigrateArgs, Source};

async fn lint(dir: &Path) -> ExitCode {
    let dir = dir.to_str().expect("UTF-8 path");
    let args = MigrateArgs::try_parse_from(["migrate", "--dir", dir, "lint"]).expect("valid");
    let source = Source::Directory {
        path: args.dir.clone(),
        allow_up_only: false,
    };
    cli::run(&source, &args.global, args.command)
        .await
        .expect("the directory loads")
}

fn ui(fixture: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("ui/fixtures")
        .join(fixture)
}

#[tokio::test]
async fn exit_code_follows_what_the_build_would_do() {
    let project = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app-db/migrations");
    assert_eq!(
        lint(&project).await,
        ExitCode::SUCCESS,
        "own migrations lint clean"
    );
    for failing in [
        "syntax_error",
        "concurrently_in_transaction",
        "outside_transaction_only",
        "lint_allow_without_reason",
        "lint_config_deny",
    ] {
        assert_eq!(lint(&ui(failing)).await, ExitCode::FAILURE, "{failing}");
    }
    let warned = tempfile::tempdir().expect("tempdir");
    std::fs::create_dir(warned.path().join("001_a")).expect("mkdir");
    std::fs::write(
        warned.path().join("001_a/up.sql"),
        "-- migrate: irreversible\nCREATE INDEX i ON t (x);\n",
    )
    .expect("write");
    assert_eq!(
        lint(warned.path()).await,
        ExitCode::SUCCESS,
        "warnings only"
    );
}
