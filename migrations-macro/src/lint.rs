//! The safety lint at compile time: denied findings and opt-out mistakes become errors, warned
//! findings compiler warnings.

use std::path::Path;

use migrations_core::lint::{self, Config, Level};
use migrations_core::{Cache, Revision};

/// Lints the revisions of `dir` (named `display` in messages) under its `lint.toml`.
pub(crate) fn run(
    dir: &Path,
    display: &str,
    revisions: &[Revision],
    cache: &mut Cache,
    errors: &mut Vec<String>,
    warnings: &mut Vec<String>,
) {
    let config = match Config::load(dir, display) {
        Ok(config) => config,
        Err(problems) => {
            errors.extend(problems.iter().map(ToString::to_string));
            return;
        }
    };
    let report = lint::check_cached(revisions, display, &config, cache);
    errors.extend(report.problems.iter().map(ToString::to_string));
    for finding in &report.findings {
        match finding.level {
            Level::Deny => errors.push(finding.to_string()),
            Level::Warn => warnings.push(finding.to_string()),
            Level::Allow => {}
        }
    }
}
