//! Opt-outs written in the scripts: `-- lint: allow <rule>[, <rule>] -- <reason>` before a
//! statement, `-- lint: allow-revision <rule> -- <reason>` anywhere in `up.sql` for the whole
//! revision. A reason is required: the next reader must know why the risk was accepted.

use std::ops::Range;

use super::rule::Rule;
use super::LintProblem;

/// The opt-outs of one script.
#[derive(Debug, Default)]
pub(crate) struct Allows {
    /// `(statement index, rule)`.
    pub statements: Vec<(usize, Rule)>,
    /// Rules allowed for the whole revision.
    pub revision: Vec<Rule>,
}

/// Reads the `-- lint:` comments of a script. `comments` and `statements` are byte ranges of
/// `text`; `path` names the file in problems.
pub(crate) fn read(
    text: &str,
    comments: &[Range<usize>],
    statements: &[Range<usize>],
    path: &str,
    up: bool,
    problems: &mut Vec<LintProblem>,
) -> Allows {
    let mut allows = Allows::default();
    for comment in comments {
        let Some(body) = text[comment.clone()].strip_prefix("--") else {
            continue;
        };
        let Some(directive) = body.trim().strip_prefix("lint:") else {
            continue;
        };
        let line = text[..comment.start].matches('\n').count() + 1;
        let problem = |message: String| LintProblem::Directive {
            path: path.to_owned(),
            line,
            message,
        };
        let directive = directive.trim();
        let (verb, rest) = directive.split_once(' ').unwrap_or((directive, ""));
        let revision = match verb {
            "allow" => false,
            "allow-revision" if up => true,
            "allow-revision" => {
                problems.push(problem(
                    "`allow-revision` belongs in up.sql, where it covers the down script too"
                        .into(),
                ));
                continue;
            }
            other => {
                problems.push(problem(format!("unknown lint directive `{other}`: write `-- lint: allow <rule> -- <reason>` (before a statement) or `-- lint: allow-revision <rule> -- <reason>` (in up.sql)")));
                continue;
            }
        };
        let (ids, reason) = rest.split_once("--").unwrap_or((rest, ""));
        if reason.trim().is_empty() {
            problems.push(problem(format!("`-- lint: {verb}` needs a reason after ` -- `: say why the risk is acceptable, e.g. `-- lint: {verb} {} -- the table has 50 rows`", ids.trim())));
            continue;
        }
        let mut rules = Vec::new();
        for id in ids.split([',', ' ']).filter(|w| !w.is_empty()) {
            match Rule::from_id(id) {
                Some(rule) => rules.push(rule),
                None => problems.push(problem(format!(
                    "unknown lint rule `{id}`: the rules are {}",
                    Rule::ALL.map(Rule::id).join(", ")
                ))),
            }
        }
        if rules.is_empty() {
            if !ids.trim().is_empty() {
                continue;
            }
            problems.push(problem(
                "name the rule to allow: `-- lint: allow <rule> -- <reason>`".into(),
            ));
            continue;
        }
        if revision {
            allows.revision.extend(rules);
            continue;
        }
        match statements.iter().position(|s| s.start >= comment.end) {
            Some(index) => allows.statements.extend(rules.into_iter().map(|r| (index, r))),
            None => problems.push(problem("`-- lint: allow` has no statement after it: put it on the line before the statement it excuses".into())),
        }
    }
    allows
}
