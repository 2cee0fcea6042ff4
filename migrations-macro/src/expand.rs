//! All fallible work: resolve the directory, check the build script, scan and validate, find
//! the functions of Rust revisions.
//! Code generation only runs on a clean result.

use std::path::{Path, PathBuf};

use migrations_core::build::{is_watched, watch_lines, WATCHED_ENV};
use migrations_core::{scan_cached, Cache, ScanOptions};
use proc_macro2::TokenStream;

use crate::codegen;
use crate::input::Input;

/// Expands the macro: the table, or every error plus an empty table.
pub(crate) fn expand(input: &Input) -> TokenStream {
    let dir = input.dir.value();
    let span = input.dir.span();
    let mut errors: Vec<String> = Vec::new();
    if Path::new(&dir).is_absolute() {
        errors.push(format!(
            "migrations directory `{dir}` is absolute: give a path relative to the crate's Cargo.toml, so the build works on every machine"
        ));
        return codegen::failure(&input.krate, span, &errors);
    }
    let manifest_dir = PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").unwrap_or_default());
    if let Some(message) = watch_problem(&dir) {
        errors.push(message);
    }
    // Parse results of unchanged scripts are reused from the previous build (in OUT_DIR).
    let mut cache = Cache::for_build(&dir);
    let report = scan_cached(
        &manifest_dir.join(&dir),
        &dir,
        ScanOptions {
            allow_up_only: input.allow_up_only,
            ..ScanOptions::default()
        },
        &mut cache,
    );
    errors.extend(report.problems.iter().map(ToString::to_string));
    #[cfg(feature = "parse")]
    let mut lint_warnings = Vec::new();
    #[cfg(feature = "parse")]
    if errors.is_empty() {
        crate::lint::run(
            &manifest_dir.join(&dir),
            &dir,
            &report.revisions,
            &mut cache,
            &mut errors,
            &mut lint_warnings,
        );
    }
    cache.save();
    let mut warnings: Vec<String> = report.warnings.iter().map(ToString::to_string).collect();
    let syntax = report.syntax_errors.iter().map(ToString::to_string);
    if input.allow_syntax_errors {
        warnings.extend(syntax);
    } else {
        errors.extend(syntax);
    }
    let mut unparsable = Vec::new();
    let functions = crate::code::functions(
        &manifest_dir.join(&dir),
        &dir,
        &report.revisions,
        (&mut errors, &mut unparsable),
    );
    if !errors.is_empty() {
        let failure = codegen::failure(&input.krate, span, &errors);
        return codegen::with_files(failure, &unparsable);
    }
    #[cfg(feature = "parse")]
    warnings.extend(lint_warnings);
    codegen::table(
        codegen::Paths {
            krate: &input.krate,
            runtime: &input.runtime,
        },
        span,
        report.layout,
        (&report.revisions, report.baseline.as_ref(), &functions),
        &warnings,
    )
}

/// The error when no build script watches `dir`, naming the lines to add.
fn watch_problem(dir: &str) -> Option<String> {
    let watched = std::env::var(WATCHED_ENV).unwrap_or_default();
    if is_watched(&watched, dir) {
        return None;
    }
    let lines: Vec<String> = watch_lines(&[dir])
        .lines()
        .map(|l| format!("    println!(\"{l}\");"))
        .collect();
    Some(format!(
        "migrations directory `{dir}` is not watched by a build script, so cargo would not rebuild when a migration is added: add to build.rs\n\n{}\n\n(or call `migrations_core::build::watch(&[\"{dir}\"])`)",
        lines.join("\n")
    ))
}
