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
mod need;
mod rule;

use std::fmt;
use std::ops::Range;

pub use config::{Config, FILE as CONFIG_FILE};
pub use rule::{Level, Rule};

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
    let mut report = LintReport::default();
    for revision in revisions {
        let mut revision_allows = Vec::new();
        lint_script(
            revision,
            revision.up(),
            true,
            display,
            config,
            &mut revision_allows,
            &mut report,
        );
        if let Some(down) = revision.down() {
            lint_script(
                revision,
                down,
                false,
                display,
                config,
                &mut revision_allows,
                &mut report,
            );
        }
    }
    report
}

fn lint_script(
    revision: &Revision,
    script: &Script,
    up: bool,
    display: &str,
    config: &Config,
    revision_allows: &mut Vec<Rule>,
    report: &mut LintReport,
) {
    let text = script.sql();
    let transactional = script.transaction() != TransactionMode::None;
    // The runner sets a lock_timeout for every revision (10s unless configured) unless the
    // revision turns it off with `-- migrate: lock-timeout=0`.
    let runner_lock_timeout = revision.directives().lock_timeout_ms != Some(0);
    let Some(ScriptHits { ranges, hits }) =
        script_hits(text, transactional, up, runner_lock_timeout, Trees::Needed)
    else {
        return;
    };
    let path = format!("{display}/{}", script.file());
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

/// The rules a script's statements break, before levels and opt-outs.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct ScriptHits {
    /// The statements' byte ranges.
    pub ranges: Vec<Range<usize>>,
    /// `(statement index, rule)`, in statement order.
    pub hits: Vec<(usize, Rule)>,
}

/// Which parse trees [`script_hits`] builds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Trees {
    /// Only those the rules need (see `need`).
    Needed,
    /// Every statement's, as a reference for tests.
    #[cfg_attr(not(test), allow(dead_code))]
    All,
}

/// Checks `text` as the runner would run it: in a transaction or not, as an up or down script,
/// under the runner's lock_timeout or not. `None` when it does not parse (the scan reports it).
pub(crate) fn script_hits(
    text: &str,
    transactional: bool,
    up: bool,
    lock_timeout: bool,
    trees: Trees,
) -> Option<ScriptHits> {
    let mut context = check::Context::new(transactional, up, lock_timeout);
    let mut hits = Vec::new();
    let ranges = match trees {
        Trees::All => {
            let parsed = crate::parse::parse(text).ok()?;
            for (index, statement) in parsed.statements.iter().enumerate() {
                if let Some(node) = &statement.node {
                    hits.extend(context.check(node).into_iter().map(|r| (index, r)));
                }
            }
            parsed.statements.into_iter().map(|s| s.range).collect()
        }
        Trees::Needed => {
            let ranges = crate::parse::statement_ranges(text).ok()?;
            for (index, range) in ranges.iter().enumerate() {
                let statement = &text[range.clone()];
                match need::need(statement) {
                    need::Need::Nothing => {}
                    need::Need::Created(name) => context.created(name),
                    need::Need::Tree => {
                        // Statements parse alone as they do in the script: the grammar keeps
                        // no state between statements.
                        let node = crate::parse::parse(statement)
                            .ok()
                            .and_then(|p| p.statements.into_iter().next())
                            .and_then(|s| s.node);
                        if let Some(node) = node {
                            hits.extend(context.check(&node).into_iter().map(|r| (index, r)));
                        }
                    }
                }
            }
            ranges
        }
    };
    Some(ScriptHits { ranges, hits })
}

#[cfg(test)]
#[path = "tests.rs"]
mod tests;
