//! Which binaries can run a directory's Rust revisions: `migrate --dir` reads the files and has
//! no compiler, so when a plan needs one it names the crate that embeds the directory and its
//! binaries, found beside the directory the way cargo lays a crate out.

use std::fs;
use std::path::{Path, PathBuf};

use super::{CliError, Source};
use crate::plan::PlanError;
use crate::MigrateError;

/// `error`, with the embedding crate and its binaries named when it is a refusal to run Rust
/// revisions read from a directory.
pub(super) fn explain(source: &Source<'_>, error: CliError) -> CliError {
    let Source::Directory { path, .. } = source else {
        return error;
    };
    let CliError::Migrate(inner) = error else {
        return error;
    };
    if !matches!(*inner, MigrateError::Plan(PlanError::NotCompiled { .. })) {
        return CliError::Migrate(inner);
    }
    match find(path) {
        Some((krate, binaries)) if !binaries.is_empty() => CliError::NotCompiled {
            dir: path.display().to_string(),
            krate: krate.display().to_string(),
            binaries: binaries.join("`, `"),
            source: inner,
        },
        _ => CliError::Migrate(inner),
    }
}

/// The crate that embeds `dir` (its `src/` calls `embed_migrations!("<dir's name>")`), and its
/// binaries; `None` when no such crate is found beside it.
pub(super) fn find(dir: &Path) -> Option<(PathBuf, Vec<String>)> {
    let dir = fs::canonicalize(dir).ok()?;
    let name = dir.file_name()?.to_str()?.to_owned();
    let root = dir.parent()?;
    let manifest = fs::read_to_string(root.join("Cargo.toml")).ok()?;
    let embedding = format!("embed_migrations!(\"{name}\"");
    if !sources(&root.join("src")).any(|text| text.contains(&embedding)) {
        return None;
    }
    let mut binaries = declared_binaries(&manifest);
    if let Ok(entries) = fs::read_dir(root.join("src/bin")) {
        for entry in entries.flatten() {
            let path = entry.path();
            let stem = match path.extension() {
                Some(ext) if ext == "rs" => path.file_stem(),
                None if path.join("main.rs").is_file() => path.file_name(),
                _ => None,
            };
            binaries.extend(stem.and_then(|s| s.to_str()).map(str::to_owned));
        }
    }
    if root.join("src/main.rs").is_file() {
        binaries.extend(package_name(&manifest));
    }
    binaries.sort();
    binaries.dedup();
    Some((root.to_owned(), binaries))
}

/// The texts of the `.rs` files under `dir`.
fn sources(dir: &Path) -> impl Iterator<Item = String> {
    let mut pending = vec![dir.to_owned()];
    let mut files = Vec::new();
    while let Some(next) = pending.pop() {
        for entry in fs::read_dir(&next).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                files.push(path);
            }
        }
    }
    files.into_iter().filter_map(|f| fs::read_to_string(f).ok())
}

/// `name = "..."` in each `[[bin]]` table of the manifest.
fn declared_binaries(manifest: &str) -> Vec<String> {
    let mut binaries = Vec::new();
    let mut in_bin = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_bin = line == "[[bin]]";
        } else if in_bin {
            binaries.extend(quoted_value(line, "name"));
        }
    }
    binaries
}

fn package_name(manifest: &str) -> Option<String> {
    let mut in_package = false;
    for line in manifest.lines().map(str::trim) {
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if in_package {
            if let Some(name) = quoted_value(line, "name") {
                return Some(name);
            }
        }
    }
    None
}

/// The string value of `key = "value"`.
fn quoted_value(line: &str, key: &str) -> Option<String> {
    let rest = line
        .strip_prefix(key)?
        .trim_start()
        .strip_prefix('=')?
        .trim();
    Some(rest.strip_prefix('"')?.split('"').next()?.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_simulator_embeds_its_directory() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../app-db/migrations");
        let (root, binaries) = find(&dir).expect("app-db embeds it");
        assert!(root.ends_with("app-db"), "{}", root.display());
        assert_eq!(binaries, ["simulator"]);
        let elsewhere = tempfile::tempdir().expect("tempdir");
        assert_eq!(find(elsewhere.path()), None);
    }

    #[test]
    fn manifests_name_their_binaries() {
        let manifest = "[package]\nname = \"svc\"\n\n[[bin]]\nname = \"migrator\"\npath = \"x.rs\"\n[dependencies]\nname = \"no\"\n";
        assert_eq!(declared_binaries(manifest), ["migrator"]);
        assert_eq!(package_name(manifest).as_deref(), Some("svc"));
    }
}
