//! Adding, editing and deleting a migration rebuilds the crate that embeds the directory, without
//! touching any `.rs` file, and the macro refuses to expand when the build script does not say it
//! watches the directory.
//!
//! A proc macro cannot tell cargo which files it read, so this rests on the two build-script
//! lines (see `migrations_core::build`). These tests drive the real cargo on a throwaway crate.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

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
    let probe = Probe::new("rebuild-watch", WATCHING_BUILD_RS);
    probe.revision("001_create_a", "CREATE TABLE a (id int);\n");
    probe.revision("002_create_b", "CREATE TABLE b (id int);\n");
    let first = probe.run();
    assert_eq!(first.versions(), ["001", "002"]);

    probe.next_change();
    probe.revision("003_create_c", "CREATE TABLE c (id int);\n");
    let added = probe.run();
    assert_eq!(
        added.versions(),
        ["001", "002", "003"],
        "adding a revision rebuilds"
    );

    probe.next_change();
    probe.write(
        "migrations/002_create_b/up.sql",
        "CREATE TABLE b (id bigint);\n",
    );
    let edited = probe.run();
    assert_eq!(edited.versions(), ["001", "002", "003"]);
    assert_ne!(
        edited.checksum("002"),
        added.checksum("002"),
        "editing up.sql rebuilds"
    );
    assert_eq!(edited.checksum("001"), added.checksum("001"));
    assert_eq!(edited.checksum("003"), added.checksum("003"));

    probe.next_change();
    fs::remove_dir_all(probe.root().join("migrations/001_create_a"))
        .expect("the revision directory can be deleted");
    let deleted = probe.run();
    assert_eq!(
        deleted.versions(),
        ["002", "003"],
        "deleting a revision rebuilds"
    );
    assert_eq!(deleted.checksum("002"), edited.checksum("002"));
}

#[test]
fn missing_env_line_is_a_compile_error_naming_both_lines() {
    let probe = Probe::new("rebuild-silent", SILENT_BUILD_RS);
    probe.revision("001_create_a", "CREATE TABLE a (id int);\n");
    let output = probe.cargo("build");
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

/// A throwaway crate that embeds `migrations/` through the workspace's macro.
struct Probe {
    dir: tempfile::TempDir,
}

impl Probe {
    fn new(package: &str, build_rs: &str) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(package)
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary crate directory can be created in the target directory");
        let probe = Probe { dir };
        let workspace = workspace_root();
        probe.write("Cargo.toml", &manifest(package, &workspace));
        probe.write("build.rs", build_rs);
        probe.write("src/main.rs", MAIN_RS);
        // The workspace's lock file pins the same dependency versions the workspace already
        // built and downloaded, so the probe needs no registry access; cargo drops the rest.
        fs::copy(
            workspace.join("Cargo.lock"),
            probe.root().join("Cargo.lock"),
        )
        .expect("the workspace has a Cargo.lock to copy");
        probe
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    fn write(&self, relative: &str, contents: &str) {
        let path = self.root().join(relative);
        fs::create_dir_all(path.parent().expect("probe files sit in a directory"))
            .expect("probe directory can be created");
        fs::write(path, contents).expect("probe file can be written");
    }

    fn revision(&self, name: &str, up: &str) {
        self.write(&format!("migrations/{name}/up.sql"), up);
        self.write(&format!("migrations/{name}/down.sql"), "SELECT 1;\n");
    }

    /// Cargo compares file modification times with when the build script last ran. On a file
    /// system with one-second timestamps, a change in the same second as the last build would
    /// look old, so let the clock move past it first.
    fn next_change(&self) {
        std::thread::sleep(Duration::from_millis(1100));
    }

    /// `cargo run`, parsed.
    fn run(&self) -> Run {
        let output = self.cargo("run");
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

    fn cargo(&self, command: &str) -> Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Command::new(cargo)
            .args([command, "--quiet"])
            .current_dir(self.root())
            .env("CARGO_TARGET_DIR", probe_target_dir())
            // The outer build's settings must not leak in: a watched list inherited from this
            // package's build script would hide the missing line under test.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove(migrations_core::build::WATCHED_ENV)
            .output()
            .expect("cargo runs")
    }
}

fn manifest(package: &str, workspace: &Path) -> String {
    let core = workspace.join("migrations-core");
    let mac = workspace.join("migrations-macro");
    // An empty [workspace] keeps the probe out of any workspace above its directory.
    format!(
        "[package]\nname = \"{package}\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\nmigrations-core = {{ path = {core:?} }}\nmigrations-macro = {{ path = {mac:?} }}\n\n\
         [profile.dev.package.\"*\"]\ndebug = false\n\n[workspace]\n"
    )
}

/// The repository root: this package lives in `<root>/tests`.
fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests package sits inside the workspace")
        .to_owned()
}

/// Shared with the warning tests, so the macro and its dependencies compile once per target dir.
fn probe_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is `<target>/tmp`")
        .join("embed-probes")
}
