//! `lint.toml` in the migrations directory: the level of each rule, and opt-outs for revisions
//! whose files cannot change any more (applied somewhere: editing them changes their checksum).
//!
//! ```toml
//! [rules]
//! index-not-concurrent = "deny"
//! missing-lock-timeout = "allow"
//!
//! [[allow]]
//! revision = "003"
//! rule = "constraint-not-valid"
//! reason = "call_sessions held a few hundred rows when 003 shipped"
//! ```
//!
//! It lives inside the directory so the build script that watches the directory rebuilds when it
//! changes, and `migrate --dir` reads the same file the macro did. Only this subset of TOML is
//! read: anything else is an error with its line, never silently ignored.

use std::collections::BTreeMap;
use std::path::Path;

use super::rule::{Level, Rule};
use super::LintProblem;

/// The file's name inside the migrations directory.
pub const FILE: &str = "lint.toml";

/// Levels and revision opt-outs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Config {
    levels: BTreeMap<Rule, Level>,
    /// `(revision, rule, reason)`; the revision is a version (dashes ignored) or a name on disk.
    allows: Vec<(String, Rule, String)>,
}

impl Config {
    /// The level of `rule`: configured, or its default.
    pub fn level(&self, rule: Rule) -> Level {
        self.levels
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_level())
    }

    /// True when `lint.toml` allows `rule` for the revision with this version and source name.
    pub fn allows(&self, version: &str, source: &str, rule: Rule) -> bool {
        self.allows.iter().any(|(revision, r, _)| {
            *r == rule && (revision.replace('-', "") == version || revision == source)
        })
    }

    /// Reads `<dir>/lint.toml`; no file means the defaults.
    pub fn load(dir: &Path, display: &str) -> Result<Self, Vec<LintProblem>> {
        match std::fs::read_to_string(dir.join(FILE)) {
            Ok(text) => Self::parse(&text, &format!("{display}/{FILE}")),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(vec![LintProblem::Config {
                path: format!("{display}/{FILE}"),
                line: 0,
                message: format!("cannot read it: {e}"),
            }]),
        }
    }

    /// Parses the text of a `lint.toml` named `path` in messages.
    pub fn parse(text: &str, path: &str) -> Result<Self, Vec<LintProblem>> {
        let mut config = Config::default();
        let mut problems = Vec::new();
        let mut section = "";
        let mut allow: Option<(usize, BTreeMap<String, String>)> = None;
        let mut lines = text.lines().enumerate().map(|(i, l)| (i + 1, l));
        loop {
            let next = lines.next();
            let header = next.map(|(_, l)| l.trim().starts_with('['));
            if next.is_none() || header == Some(true) {
                if let Some((at, fields)) = allow.take() {
                    config.add_allow(at, fields, path, &mut problems);
                }
            }
            let Some((number, raw)) = next else { break };
            let problem = |message: String| LintProblem::Config {
                path: path.to_owned(),
                line: number,
                message,
            };
            let line = raw.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            match line {
                "[rules]" => section = "rules",
                "[[allow]]" => {
                    section = "allow";
                    allow = Some((number, BTreeMap::new()));
                }
                _ if line.starts_with('[') => {
                    section = "";
                    problems.push(problem(format!(
                        "unknown section `{line}`: the sections are `[rules]` and `[[allow]]`"
                    )));
                }
                _ => match (key_value(line), section) {
                    (None, _) => problems.push(problem(
                        "expected `key = \"value\"` (a quoted string)".into(),
                    )),
                    (Some((key, value)), "rules") => {
                        match (Rule::from_id(key), Level::parse(&value)) {
                            (Some(rule), Some(level)) => {
                                config.levels.insert(rule, level);
                            }
                            (None, _) => problems.push(problem(format!(
                                "unknown lint rule `{key}`: the rules are {}",
                                Rule::ALL.map(Rule::id).join(", ")
                            ))),
                            (_, None) => problems.push(problem(format!(
                                "`{key}` must be \"deny\", \"warn\" or \"allow\", not \"{value}\""
                            ))),
                        }
                    }
                    (Some((key, value)), "allow") => {
                        if let Some((_, fields)) = allow.as_mut() {
                            fields.insert(key.to_owned(), value);
                        }
                    }
                    (Some(_), _) => problems.push(problem(
                        "a key outside any section: put levels under `[rules]`".into(),
                    )),
                },
            }
        }
        if problems.is_empty() {
            Ok(config)
        } else {
            Err(problems)
        }
    }

    fn add_allow(
        &mut self,
        line: usize,
        mut fields: BTreeMap<String, String>,
        path: &str,
        problems: &mut Vec<LintProblem>,
    ) {
        let problem = |message: String| LintProblem::Config {
            path: path.to_owned(),
            line,
            message,
        };
        let (revision, rule, reason) = (
            fields.remove("revision"),
            fields.remove("rule"),
            fields.remove("reason"),
        );
        if let Some(key) = fields.keys().next() {
            problems.push(problem(format!(
                "unknown key `{key}` in [[allow]]: the keys are revision, rule and reason"
            )));
        }
        match (
            revision,
            rule.as_deref().map(|r| (r, Rule::from_id(r))),
            reason,
        ) {
            (Some(revision), Some((_, Some(rule))), Some(reason)) if !reason.trim().is_empty() => {
                self.allows.push((revision, rule, reason));
            }
            (_, Some((id, None)), _) => problems.push(problem(format!(
                "unknown lint rule `{id}`: the rules are {}",
                Rule::ALL.map(Rule::id).join(", ")
            ))),
            _ => problems.push(problem(
                "[[allow]] needs `revision`, `rule` and a non-empty `reason`".into(),
            )),
        }
    }
}

/// `key = "value"`, with an optional `# comment` after the value.
fn key_value(line: &str) -> Option<(&str, String)> {
    let (key, rest) = line.split_once('=')?;
    let key = key.trim();
    let rest = rest.trim().strip_prefix('"')?;
    let mut value = String::new();
    let mut chars = rest.chars();
    loop {
        match chars.next()? {
            '"' => break,
            '\\' => value.push(chars.next()?),
            c => value.push(c),
        }
    }
    let tail = chars.as_str().trim();
    let valid_key = !key.is_empty()
        && key
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    (valid_key && (tail.is_empty() || tail.starts_with('#'))).then_some((key, value))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_allows() {
        let config = Config::parse(
            "# ours\n[rules]\nindex-not-concurrent = \"deny\" # strict\n\n[[allow]]\nrevision = \"2014-11-13-193818\"\nrule = \"drop\"\nreason = \"the \\\"old\\\" table was empty\"\n",
            "m/lint.toml",
        )
        .expect("valid");
        assert_eq!(config.level(Rule::IndexNotConcurrent), Level::Deny);
        assert_eq!(config.level(Rule::Drop), Level::Warn);
        assert!(config.allows("20141113193818", "x", Rule::Drop));
        assert!(!config.allows("20141113193818", "x", Rule::Rename));
    }

    #[test]
    fn mistakes_name_their_line() {
        let problems = Config::parse(
            "[rules]\nindex-not-concurent = \"deny\"\ndrop = \"off\"\n[[allow]]\nrevision = \"1\"\nrule = \"drop\"\n",
            "m/lint.toml",
        )
        .expect_err("invalid");
        let lines: Vec<String> = problems.iter().map(ToString::to_string).collect();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].contains("line 2") && lines[0].contains("index-not-concurent"));
        assert!(
            lines[1].contains("line 3") && lines[1].contains("\"deny\", \"warn\" or \"allow\"")
        );
        assert!(lines[2].contains("line 4") && lines[2].contains("non-empty `reason`"));
    }
}
