//! Build-script support: make cargo rebuild the embedding crate when a migration is added,
//! edited or deleted.
//!
//! A proc macro cannot tell cargo which directory it read, so a crate that calls
//! `embed_migrations!("migrations")` needs a build script with two lines:
//!
//! ```text
//! println!("cargo:rerun-if-changed=migrations");
//! println!("cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations");
//! ```
//!
//! The first makes cargo re-run the build script, and so rebuild the crate, whenever anything in
//! the directory changes (cargo compares the modification times of every file inside it). The
//! second tells the macro that the first is there: without it the macro refuses to expand, so a
//! missing line cannot silently leave a stale revision table in the binary. [`watch`] prints both.

/// The environment variable the macro reads: a `;`-separated list of watched directories,
/// relative to the crate's manifest directory.
pub const WATCHED_ENV: &str = "EMBED_MIGRATIONS_WATCHED";

/// The two lines a build script prints for `dirs`, as [`watch`] prints them.
pub fn watch_lines(dirs: &[&str]) -> String {
    let mut out = String::new();
    for dir in dirs {
        out.push_str(&format!("cargo:rerun-if-changed={dir}\n"));
    }
    out.push_str(&format!(
        "cargo:rustc-env={WATCHED_ENV}={}\n",
        dirs.join(";")
    ));
    out
}

/// Prints the build-script lines that watch `dirs` (relative to the manifest directory).
pub fn watch(dirs: &[&str]) {
    print!("{}", watch_lines(dirs));
}

/// True when `dir` (as written in the macro call) is in the watched list `env_value`.
pub fn is_watched(env_value: &str, dir: &str) -> bool {
    let clean = |d: &str| {
        d.trim()
            .trim_start_matches("./")
            .trim_end_matches('/')
            .to_owned()
    };
    env_value.split(';').map(clean).any(|d| d == clean(dir))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_and_matching() {
        assert_eq!(watch_lines(&["migrations"]), "cargo:rerun-if-changed=migrations\ncargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\n");
        assert!(is_watched("migrations", "./migrations/"));
        assert!(is_watched("a;migrations", "migrations"));
        assert!(!is_watched("other", "migrations"));
    }
}
