//! The path without PostgreSQL's grammar: what a service links, and what a user who builds the
//! macro with `default-features = false` (no libclang) gets and gives up.

mod probe;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use migrations_core::{load_dir, ScanOptions};
use probe::Probe;

const BUILD_RS: &str = "\
fn main() {
    println!(\"cargo:rerun-if-changed=build.rs\");
    println!(\"cargo:rerun-if-changed=migrations\");
    println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");
}
";

/// Prints `version checksum mode start..end start..end ...` per revision: what the runner gets.
const MAIN_RS: &str = "\
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!(\"migrations\");

fn main() {
    for revision in &MIGRATIONS {
        let up = revision.up();
        let ranges: Vec<String> = up.statement_ranges().iter().map(|r| format!(\"{}..{}\", r.start, r.end)).collect();
        println!(\"{} {} {:?} {}\", revision.version(), revision.checksum().to_hex(), up.transaction(), ranges.join(\" \"));
    }
}
";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits inside the workspace")
        .to_owned()
}

/// Copies a migrations directory but its Rust revisions: this crate has no runtime for their
/// code to compile against, and the grammar has nothing to do with them. The lock file stays
/// behind too, since it lists them.
fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).expect("mkdir");
    for entry in fs::read_dir(from).expect("readable") {
        let entry = entry.expect("entry");
        let target = to.join(entry.file_name());
        if entry.path().join("up.rs").exists() || entry.file_name() == migrations_core::lock::FILE {
            continue;
        }
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            fs::copy(entry.path(), target).expect("copy");
        }
    }
}

/// The lines `MAIN_RS` prints, computed here from the same directory with the grammar.
fn expected(dir: &Path) -> Vec<String> {
    let migrations = load_dir(dir, "migrations", ScanOptions::default()).expect("valid");
    migrations
        .iter()
        .map(|revision| {
            let up = revision.up();
            let ranges: Vec<String> = up
                .statement_ranges()
                .iter()
                .map(|r| format!("{}..{}", r.start, r.end))
                .collect();
            format!(
                "{} {} {:?} {}",
                revision.version(),
                revision.checksum().to_hex(),
                up.transaction(),
                ranges.join(" ")
            )
        })
        .collect()
}

/// Built without the grammar, the macro embeds the same table (versions, checksums, transaction
/// modes, statement boundaries) as the grammar computes, for the simulator's schema and the
/// fixture with a `no-transaction` revision; what it gives up is the syntax check, so a script
/// the grammar rejects at compile time builds.
#[test]
fn the_macro_without_its_grammar_embeds_the_same_table_and_skips_the_syntax_check() {
    let probe = Probe::with_grammar("grammar-free", BUILD_RS, MAIN_RS, false);
    for source in [
        workspace().join("app-db/migrations"),
        workspace().join("tests/fixtures/basic"),
    ] {
        let migrations = probe.root().join("migrations");
        let _ = fs::remove_dir_all(&migrations);
        copy_dir(&source, &migrations);
        let output = probe.cargo(&["run", "--quiet", "--offline"]);
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(
            output.status.success(),
            "{}: {}",
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        assert_eq!(
            stdout.lines().collect::<Vec<_>>(),
            expected(&migrations),
            "{}",
            source.display()
        );
    }

    let migrations = probe.root().join("migrations");
    fs::remove_dir_all(&migrations).expect("rm");
    probe.write("migrations/001_broken/up.sql", "CREATE TABLE (id int);\n");
    probe.write("migrations/001_broken/down.sql", "SELECT 1;\n");
    let without = probe.cargo(&["build", "--quiet", "--offline"]);
    assert!(
        without.status.success(),
        "without the grammar the syntax error is the server's to find: {}",
        String::from_utf8_lossy(&without.stderr)
    );
    let with = Probe::new("grammar-checked", BUILD_RS, MAIN_RS);
    with.write("migrations/001_broken/up.sql", "CREATE TABLE (id int);\n");
    with.write("migrations/001_broken/down.sql", "SELECT 1;\n");
    let checked = with.cargo(&["build", "--quiet", "--offline"]);
    let stderr = String::from_utf8_lossy(&checked.stderr);
    assert!(
        !checked.status.success() && stderr.contains("001_broken/up.sql"),
        "with the grammar the same script is a compile error naming the file: {stderr}"
    );
}

/// `cargo tree` of the runtime: its default features link no SQL grammar; the `cli` feature
/// (which checks files read at run time) does, so the check cannot pass by finding nothing.
#[test]
fn the_runtime_links_the_grammar_only_with_its_cli() {
    let tree = |features: &[&str]| {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let output = Command::new(cargo)
            .args([
                "tree",
                "-p",
                "migrations-runtime",
                "-e",
                "normal",
                "--offline",
            ])
            .args(features)
            .current_dir(workspace())
            .output()
            .expect("cargo runs");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        String::from_utf8_lossy(&output.stdout).into_owned()
    };
    let default = tree(&[]);
    assert!(default.contains("tokio-postgres"), "{default}");
    assert!(!default.contains("pg_query"), "{default}");
    let cli = tree(&["--features", "cli"]);
    assert!(cli.contains("pg_query"), "{cli}");
}
