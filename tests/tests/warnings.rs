//! `embed_migrations!` warnings are real compiler warnings on stable Rust.
//!
//! Stable has no API for a proc macro to emit a warning, so the macro expands to a
//! `#[deprecated]` item spanned at the path literal. These tests build a throwaway crate with the
//! real cargo and check that the warning reaches the user at the macro call and does not fail the
//! build, and that a valid directory full of unrelated files builds with no warning at all.
//!
//! The throwaway crates share `<target>/embed-probes` with `rebuild.rs`, so the macro and its
//! dependencies compile once.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The crate's `main.rs`; the macro call is on line 2.
const MAIN_RS: &str = "\
static MIGRATIONS: migrations_core::Migrations =
    migrations_macro::embed_migrations!(\"migrations\");

fn main() {
    println!(\"{}\", MIGRATIONS.len());
}
";

/// Where the warning must point: line 2, at the opening quote of the path literal.
const LITERAL_AT: &str = "src/main.rs:2:41:";

#[test]
fn order_disagreement_warns_at_the_macro_call() {
    // `9` sorts after `10` as a string, which is the order diesel (and so the macro) applies.
    let probe = Probe::new("warn-order", &revisions(&["9_create_a", "10_create_b"]));
    let output = probe.cargo("build");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "a warning must not fail the build:\n{stderr}"
    );
    let warning = stderr
        .lines()
        .find(|line| line.contains("runs before"))
        .unwrap_or_else(|| panic!("no order warning in the build output:\n{stderr}"));
    assert!(
        warning.starts_with(LITERAL_AT) && warning.contains(": warning: "),
        "the warning should be a compiler warning at the path literal ({LITERAL_AT}):\n{warning}"
    );
    assert!(
        warning.contains("`10_create_b` runs before `9_create_a`")
            && warning.contains("pad versions to the same width"),
        "the warning should name both revisions and the fix:\n{warning}"
    );
}

/// The passing counterpart of the compile-fail cases: files that are clearly not migrations are
/// skipped (and listed by `check --verbose`), not reported, and same-width versions agree.
#[test]
fn valid_directory_with_unrelated_files_builds_without_warnings() {
    let mut files = revisions(&["09_create_a", "10_create_b"]);
    let unrelated = [
        ("README.md", "# Migrations\n\nOne directory per revision.\n"),
        (".keep", ""),
        ("seed.sh", "#!/bin/sh\npsql \"$DATABASE_URL\" -f seed.sql\n"),
        ("schema.sql", "-- pg_dump output, for reference\n"),
        ("09_create_a/NOTES.md", "Created for the first release.\n"),
        ("10_create_b/check.py", "print('b exists')\n"),
    ];
    files.extend(unrelated.map(|(path, text)| (path.to_owned(), text.to_owned())));
    let probe = Probe::new("warn-clean", &files);
    let output = probe.cargo("run");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the crate should build and run:\n{stderr}"
    );
    assert!(
        !stderr.contains("warning"),
        "a clean directory should build without warnings:\n{stderr}"
    );
    assert_eq!(
        String::from_utf8_lossy(&output.stdout).trim(),
        "2",
        "only the two revisions are embedded"
    );
}

/// `up.sql` and `down.sql` for each revision directory name, as `(path, contents)` pairs
/// relative to the migrations directory.
fn revisions(names: &[&str]) -> Vec<(String, String)> {
    let mut files = Vec::new();
    for (i, name) in names.iter().enumerate() {
        files.push((
            format!("{name}/up.sql"),
            format!("CREATE TABLE t{i} (id int);\n"),
        ));
        files.push((format!("{name}/down.sql"), format!("DROP TABLE t{i};\n")));
    }
    files
}

/// A throwaway crate that embeds `migrations/` through the workspace's macro.
struct Probe {
    dir: tempfile::TempDir,
}

impl Probe {
    /// Writes the crate, with `migrations` (path, contents) in its `migrations/` directory.
    fn new(package: &str, migrations: &[(String, String)]) -> Self {
        let dir = tempfile::Builder::new()
            .prefix(package)
            .tempdir_in(env!("CARGO_TARGET_TMPDIR"))
            .expect("a temporary crate directory can be created in the target directory");
        let root = dir.path();
        let workspace = workspace_root();
        write(&root.join("Cargo.toml"), &manifest(package, &workspace));
        write(&root.join("build.rs"), BUILD_RS);
        write(&root.join("src/main.rs"), MAIN_RS);
        // The workspace's lock file pins the same dependency versions the workspace already
        // built and downloaded, so the probe needs no registry access; cargo drops the rest.
        fs::copy(workspace.join("Cargo.lock"), root.join("Cargo.lock"))
            .expect("the workspace has a Cargo.lock to copy");
        for (path, contents) in migrations {
            write(&root.join("migrations").join(path), contents);
        }
        Probe { dir }
    }

    /// `cargo <command> --message-format short`: each diagnostic is one `file:line:col:` line.
    fn cargo(&self, command: &str) -> std::process::Output {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        Command::new(cargo)
            .args([command, "--quiet", "--message-format", "short"])
            .current_dir(self.dir.path())
            .env("CARGO_TARGET_DIR", probe_target_dir())
            // The outer build's settings must not leak in: `-D warnings` in RUSTFLAGS would turn
            // the very warning under test into an error, and a watched list inherited from this
            // package's build script would hide a missing line.
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .env_remove(migrations_core::build::WATCHED_ENV)
            .output()
            .expect("cargo runs")
    }
}

const BUILD_RS: &str = "\
fn main() {
    println!(\"cargo:rerun-if-changed=migrations\");
    println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");
}
";

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

/// Shared with the rebuild tests, so the macro and its dependencies compile once per target dir.
fn probe_target_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("CARGO_TARGET_TMPDIR is `<target>/tmp`")
        .join("embed-probes")
}

fn write(path: &Path, contents: &str) {
    fs::create_dir_all(path.parent().expect("probe files sit in a directory"))
        .expect("probe directory can be created");
    fs::write(path, contents).expect("probe file can be written");
}
