//! Adding, editing and deleting a migration rebuilds the crate that embeds the directory, without
//! touching any `.rs` file, and the macro refuses to expand when the build script does not say it
//! watches the directory.
//!
//! A proc macro cannot tell cargo which files it read, so this rests on the two build-script
//! lines (see `migrations_core::build`). These tests drive the real cargo on a throwaway crate.

mod probe;

use std::fs;
use std::time::Duration;

use probe::Probe;

/// Prints the number of embedded revisions, then `version checksum` per revision.
const MAIN_RS: &str = "\
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!(\"migrations\");

fn main() {
    println!(\"{}\", MIGRATIONS.len());
    for revision in &MIGRATIONS {
        println!(\"{} {}\", revision.version(), revision.checksum().to_hex());
    }
}
";

/// Like most build scripts, this one names what it depends on, which also turns off cargo's
/// default of re-running on any change in the package: without the `migrations` line, nothing
/// would notice a new migration.
const WATCHING_BUILD_RS: &str = "\
fn main() {
    println!(\"cargo:rerun-if-changed=build.rs\");
    println!(\"cargo:rerun-if-changed=migrations\");
    println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");
}
";

/// A build script that watches the directory but does not tell the macro so.
const SILENT_BUILD_RS: &str = "\
fn main() {
    println!(\"cargo:rerun-if-changed=build.rs\");
    println!(\"cargo:rerun-if-changed=migrations\");
}
";

#[test]
fn add_edit_and_delete_each_rebuild() {
    let probe = Probe::new("rebuild-watch", WATCHING_BUILD_RS, MAIN_RS);
    revision(&probe, "001_create_a", "CREATE TABLE a (id int);\n");
    revision(&probe, "002_create_b", "CREATE TABLE b (id int);\n");
    let first = run(&probe);
    assert_eq!(first.versions(), ["001", "002"]);

    next_change();
    revision(&probe, "003_create_c", "CREATE TABLE c (id int);\n");
    let added = run(&probe);
    assert_eq!(
        added.versions(),
        ["001", "002", "003"],
        "adding a revision rebuilds"
    );

    next_change();
    probe.write(
        "migrations/002_create_b/up.sql",
        "CREATE TABLE b (id bigint);\n",
    );
    let edited = run(&probe);
    assert_eq!(edited.versions(), ["001", "002", "003"]);
    assert_ne!(
        edited.checksum("002"),
        added.checksum("002"),
        "editing up.sql rebuilds"
    );
    assert_eq!(edited.checksum("001"), added.checksum("001"));
    assert_eq!(edited.checksum("003"), added.checksum("003"));

    next_change();
    fs::remove_dir_all(probe.root().join("migrations/001_create_a"))
        .expect("the revision directory can be deleted");
    let deleted = run(&probe);
    assert_eq!(
        deleted.versions(),
        ["002", "003"],
        "deleting a revision rebuilds"
    );
    assert_eq!(deleted.checksum("002"), edited.checksum("002"));
}

#[test]
fn missing_env_line_is_a_compile_error_naming_both_lines() {
    let probe = Probe::new("rebuild-silent", SILENT_BUILD_RS, MAIN_RS);
    revision(&probe, "001_create_a", "CREATE TABLE a (id int);\n");
    let output = probe.cargo(&["build", "--quiet"]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "the build should fail:\n{stderr}");
    for expected in [
        "migrations directory `migrations` is not watched by a build script",
        "println!(\"cargo:rerun-if-changed=migrations\");",
        "println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");",
        "src/main.rs:2:41",
    ] {
        assert!(
            stderr.contains(expected),
            "missing `{expected}` in:\n{stderr}"
        );
    }
}

/// What the probe binary printed.
struct Run {
    /// `(version, checksum)` in application order.
    revisions: Vec<(String, String)>,
}

impl Run {
    fn versions(&self) -> Vec<&str> {
        self.revisions.iter().map(|(v, _)| v.as_str()).collect()
    }

    fn checksum(&self, version: &str) -> &str {
        self.revisions
            .iter()
            .find(|(v, _)| v == version)
            .map(|(_, c)| c.as_str())
            .unwrap_or_else(|| panic!("revision {version} is embedded"))
    }
}

fn revision(probe: &Probe, name: &str, up: &str) {
    probe.write(&format!("migrations/{name}/up.sql"), up);
    probe.write(&format!("migrations/{name}/down.sql"), "SELECT 1;\n");
}

/// Cargo compares file modification times with when the build script last ran. On a file system
/// with one-second timestamps, a change in the same second as the last build would look old, so
/// let the clock move past it first.
fn next_change() {
    std::thread::sleep(Duration::from_millis(1100));
}

/// `cargo run`, parsed.
fn run(probe: &Probe) -> Run {
    let output = probe.cargo(&["run", "--quiet"]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "cargo run failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let mut lines = stdout.lines();
    let count: usize = lines
        .next()
        .and_then(|l| l.parse().ok())
        .unwrap_or_else(|| panic!("the probe prints its revision count first:\n{stdout}"));
    let revisions: Vec<(String, String)> = lines
        .map(|l| {
            let (version, checksum) = l.split_once(' ').expect("`version checksum` lines");
            (version.to_owned(), checksum.to_owned())
        })
        .collect();
    assert_eq!(count, revisions.len(), "count and listed revisions agree");
    Run { revisions }
}
