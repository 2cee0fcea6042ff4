//! Compile-fail tests for `embed_migrations!`: one trybuild case per diagnostic in `ui/`, each
//! with its fixture directory in `ui/fixtures/` and its expected output in a `.stderr` file.
//!
//! The passing counterpart (a valid directory with unrelated files compiles, without warnings)
//! is in `warnings.rs`: a single `t.pass` case would make trybuild build every dev-dependency of
//! this package (the whole runtime stack) with codegen and compile the cases one at a time,
//! instead of one `cargo check` for all of them.
//!
//! Regenerate the expected output after changing a message with
//! `TRYBUILD=overwrite cargo test -p integration-tests --test compile_fail`, then read every
//! changed `.stderr`: each message should name the file and say how to fix it.
//!
//! trybuild compiles the cases in its own project, `<target>/tests/trybuild/integration-tests/`,
//! so the macro resolves `"fixtures/..."` against that directory. A `fixtures` symlink there
//! points back at `ui/fixtures`, so the cases (and their `.stderr` files) name the same short
//! relative paths whatever the target directory is.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use migrations_core::build::WATCHED_ENV;

/// The fixture the `not_watched` case uses; it alone is left out of the watched list.
const NOT_WATCHED: &str = "not_watched";

/// A path the `directory_missing` case names; it must not exist, but is watched so that the
/// case shows only the "does not exist" error.
const MISSING: &str = "does_not_exist";

#[test]
fn ui() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/fixtures");
    assert!(
        !fixtures.join(MISSING).exists(),
        "ui/fixtures/{MISSING} must not exist: the directory_missing case relies on it"
    );
    link_fixtures(&trybuild_project_dir(), &fixtures);
    // Stands in for the build script's `cargo:rustc-env` line: trybuild's project has no build
    // script, and the cargo it spawns passes this process's environment on to rustc. Setting it
    // is sound because this is the binary's only test, so no other thread reads the environment.
    std::env::set_var(WATCHED_ENV, watched_list(&fixtures));

    let cases = trybuild::TestCases::new();
    cases.compile_fail("ui/*.rs");
}

/// The directory trybuild builds the cases in, found the way trybuild finds it: the target
/// directory `cargo metadata` reports, then `tests/trybuild/<package name>`.
fn trybuild_project_dir() -> PathBuf {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let output = Command::new(cargo)
        .args(["metadata", "--no-deps", "--format-version=1"])
        .output()
        .expect("`cargo metadata` runs (cargo is on PATH or in $CARGO)");
    assert!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`cargo metadata` prints JSON");
    let target = metadata["target_directory"]
        .as_str()
        .expect("`cargo metadata` reports target_directory");
    Path::new(target)
        .join("tests/trybuild")
        .join(env!("CARGO_PKG_NAME"))
}

/// Makes `<project>/fixtures` a symlink to `fixtures`, replacing whatever is there (a link left
/// by a checkout in another place, for instance). trybuild rewrites only its own files in the
/// project directory, so the link survives between runs.
fn link_fixtures(project: &Path, fixtures: &Path) {
    fs::create_dir_all(project).expect("trybuild project directory can be created");
    let link = project.join("fixtures");
    if fs::read_link(&link).is_ok_and(|target| target == fixtures) {
        return;
    }
    match fs::symlink_metadata(&link) {
        Ok(meta) if meta.is_dir() => fs::remove_dir_all(&link),
        Ok(_) => fs::remove_file(&link),
        Err(_) => Ok(()),
    }
    .expect("stale fixtures entry in the trybuild project can be removed");
    symlink_dir(fixtures, &link).expect("fixtures symlink can be created");
}

#[cfg(unix)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(windows)]
fn symlink_dir(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

/// `fixtures/<entry>` for every fixture except [`NOT_WATCHED`], plus the missing one, joined the
/// way the build script's `cargo:rustc-env` line joins them.
fn watched_list(fixtures: &Path) -> String {
    let mut watched = vec![format!("fixtures/{MISSING}")];
    for entry in fs::read_dir(fixtures).expect("ui/fixtures is readable") {
        let name = entry.expect("ui/fixtures entry is readable").file_name();
        let name = name.to_str().expect("fixture names are ASCII");
        if name != NOT_WATCHED {
            watched.push(format!("fixtures/{name}"));
        }
    }
    watched.join(";")
}
