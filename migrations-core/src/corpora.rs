//! Where the tests find the real histories written by other projects (docs.rs, graph-node,
//! zksync-era). They are not ours to ship, so they stay outside the repository and are named by
//! [`VAR`]; a clone alone skips the tests that read them, saying so.
//!
//! Not part of the API: the workspace's tests and build scripts share it so that the variable's
//! name and the skip note live in one place.

use std::path::PathBuf;

/// The environment variable naming the corpora directory (absolute; `.ci/run` sets it).
pub const VAR: &str = "MIGRATIONS_CORPORA";

/// The corpora directory, or `None` (printing a one-line note naming `test` and [`VAR`]) when
/// the variable is unset or empty.
///
/// # Panics
/// When the variable names a relative path or a directory that does not exist: a test that was
/// asked to read the corpora must not pass by reading nothing.
pub fn dir(test: &str) -> Option<PathBuf> {
    let Some(value) = std::env::var_os(VAR).filter(|v| !v.is_empty()) else {
        eprintln!("note: {test} skipped: set {VAR} to the corpora directory to run it");
        return None;
    };
    let dir = PathBuf::from(value);
    assert!(
        dir.is_absolute() && dir.is_dir(),
        "{VAR}={} is not an absolute path to a directory",
        dir.display()
    );
    Some(dir)
}

/// The corpus `name` inside the corpora directory, with the same skip as [`dir`].
pub fn corpus(test: &str, name: &str) -> Option<PathBuf> {
    dir(test).map(|dir| dir.join(name))
}
