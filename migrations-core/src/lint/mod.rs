//! The migration safety lint: statements that can never run as the runner wraps them, or that
//! lock or break a live database, found at compile time (and by `migrate lint`).
//!
//! Unlike a linter run on loose files, it knows how each script runs (in the runner's
//! transaction, in the file's own, or statement by statement) and what the same script created
//! before each statement: a table created in this revision is not in use yet, so indexing or
//! altering it is harmless.
//!
//! ```
//! use migrations_core::lint::{self, Config, Rule};
//!
//! let dir = tempfile::tempdir().unwrap();
//! std::fs::create_dir(dir.path().join("001_a")).unwrap();
//! std::fs::write(dir.path().join("001_a/up.sql"), "-- migrate: irreversible\nCREATE INDEX i ON calls (t);").unwrap();
//! let m = migrations_core::load_dir(dir.path(), "m", Default::default()).unwrap();
//! let report = lint::check(m.as_slice(), "m", &Config::default());
//! assert_eq!(report.findings[0].rule, Rule::IndexNotConcurrent);
//! assert_eq!(report.findings[0].to_string().lines().next(), Some("`m/001_a/up.sql` line 2: building an index without CONCURRENTLY blocks every write to the table until it is built [index-not-concurrent]"));
//! ```

mod allow;
mod check;
mod config;
mod hits;
mod need;
mod rule;

use std::fmt;

pub use config::{Config, FILE as CONFIG_FILE};
pub use rule::{Level, Rule};

pub(crate) use hits::ScriptHits;
#[cfg(test)]
use hits::{script_hits, Trees};

use crate::cache::Cache;
use crate::revision::{Revision, Script, TransactionMode};

/// One statement breaking one rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule.
    pub rule: Rule,
    /// Its level (never [`Level::Allow`]: those are not reported).
    pub level: Level,
    /// The file, as the directory was named (`migrations/003_x/up.sql`).
    pub path: String,
    /// 1-based line of the statement.
    pub line: usize,
    /// The statement's first line.
    pub statement: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let id = self.rule.id();
        writeln!(
            f,
            "`{}` line {}: {} [{id}]",
            self.path,
            self.line,
            self.rule.explanation()
        )?;
        writeln!(f, "    {}", self.statement)?;
        write!(
            f,
            "  fix: {}; or, where it is safe, write `-- lint: allow {id} -- <why>` on the line before",
            self.rule.fix()
        )
    }
}

/// A mistake in an opt-out or in `lint.toml`: a compile error, like a bad directive.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum LintProblem {
    /// A `-- lint:` comment that cannot be honoured.
    #[error("`{path}` line {line}: {message}")]
    Directive {
        /// The script.
        path: String,
        /// 1-based line of the comment.
        line: usize,
        /// What is wrong and how to write it.
        message: String,
    },
    /// A bad `lint.toml`.
    #[error("`{path}` line {line}: {message}")]
    Config {
        /// The file.
        path: String,
        /// 1-based line (0 when the file cannot be read).
        line: usize,
        /// What is wrong and what is accepted.
        message: String,
    },
}

impl LintProblem {
    /// The file the problem is in.
    pub fn path(&self) -> &str {
        match self {
            Self::Directive { path, .. } | Self::Config { path, .. } => path,
        }
    }

    /// Its 1-based line (0 when the file cannot be read).
    pub fn line(&self) -> usize {
        match self {
            Self::Directive { line, .. } | Self::Config { line, .. } => *line,
        }
    }
}

/// Everything the lint found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintReport {
    /// Findings at [`Level::Warn`] or [`Level::Deny`], in revision and statement order.
    pub findings: Vec<Finding>,
    /// Mistakes in opt-outs.
    pub problems: Vec<LintProblem>,
}

impl LintReport {
    /// Findings at `level`.
    pub fn at(&self, level: Level) -> impl Iterator<Item = &Finding> {
        self.findings.iter().filter(move |f| f.level == level)
    }
}

/// Lints `revisions` (loaded from the directory named `display`) under `config`. Scripts that
/// do not parse are skipped: their syntax error is reported by the scan.
pub fn check(revisions: &[Revision], display: &str, config: &Config) -> LintReport {
    check_cached(revisions, display, config, &mut Cache::disabled())
}

/// [`check`], reusing the results `cache` holds for scripts that did not change.
pub fn check_cached(
    revisions: &[Revision],
    display: &str,
    config: &Config,
    cache: &mut Cache,
) -> LintReport {
    let mut report = LintReport::default();
    for revision in revisions {
        let mut revision_allows = Vec::new();
        let scripts = [
            Some((revision.up(), true)),
            revision.down().map(|d| (d, false)),
        ];
        // The lint reads SQL; a Rust script's queries are the compiler's and the tests' to check.
        for (script, up) in scripts.into_iter().flatten().filter(|(s, _)| !s.is_rust()) {
            let run = Run {
                revision,
                script,
                up,
                path: format!("{display}/{}", script.file()),
            };
            run.lint(config, cache, &mut revision_allows, &mut report);
        }
    }
    report
}

/// One script as the runner runs it.
struct Run<'a> {
    revision: &'a Revision,
    script: &'a Script,
    up: bool,
    /// The file, as the directory was named.
    path: String,
}

impl Run<'_> {
    fn lint(
        self,
        config: &Config,
        cache: &mut Cache,
        revision_allows: &mut Vec<Rule>,
        report: &mut LintReport,
    ) {
        let Run {
            revision,
            script,
            up,
            path,
        } = self;
        let text = script.sql();
        let transactional = script.transaction() != TransactionMode::None;
        // The runner sets a lock_timeout for every revision (10s unless configured) unless the
        // revision turns it off with `-- migrate: lock-timeout=0`.
        let runner_lock_timeout = revision.directives().lock_timeout_ms != Some(0);
        let Some(ScriptHits { ranges, hits }) =
            cache.script_hits(&path, text, transactional, up, runner_lock_timeout)
        else {
            return;
        };
        // Opt-outs are comments holding `lint:`; most scripts have none, so most skip the scanner.
        let comments = if text.contains("lint:") {
            crate::parse::comments(text)
        } else {
            Vec::new()
        };
        let allows = allow::read(text, &comments, &ranges, &path, up, &mut report.problems);
        revision_allows.extend(allows.revision);
        for (index, rule) in hits {
            let level = config.level(rule);
            let allowed = level == Level::Allow
                || revision_allows.contains(&rule)
                || allows.statements.contains(&(index, rule))
                || config.allows(revision.version(), revision.source(), rule);
            if allowed {
                continue;
            }
            let range = ranges[index].clone();
            report.findings.push(Finding {
                rule,
                level,
                path: path.clone(),
                line: text[..range.start].matches('\n').count() + 1,
                statement: text[range]
                    .lines()
                    .next()
                    .unwrap_or_default()
                    .trim()
                    .to_owned(),
            });
        }
    }
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
