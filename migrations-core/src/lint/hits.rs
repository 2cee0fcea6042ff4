//! The rules a script's statements break, before levels and opt-outs: what the lint computes
//! per script, and what the build cache keeps.

use std::ops::Range;

use super::need::{self, Need};
use super::{check, Rule};
use crate::cache::{put, put_numbers, put_ranges, take, take_numbers, take_ranges, Cache};

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
                    Need::Nothing => {}
                    Need::Created(name) => context.created(name),
                    Need::Tree => {
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

/// `hits` for the build cache.
fn encode_hits(hits: Option<&ScriptHits>) -> String {
    let mut out = String::new();
    if let Some(found) = hits {
        put_ranges(&mut out, &found.ranges);
        put_numbers(&mut out, found.hits.iter().map(|(index, _)| *index));
        let ids: Vec<&str> = found.hits.iter().map(|(_, rule)| rule.id()).collect();
        put(&mut out, &ids.join(" "));
    }
    out
}

/// What [`encode_hits`] wrote; `None` when it is not well formed.
fn decode_hits(mut payload: &str) -> Option<Option<ScriptHits>> {
    if payload.is_empty() {
        return Some(None);
    }
    let ranges = take_ranges(&mut payload)?;
    let indexes = take_numbers(&mut payload)?;
    let rules: Option<Vec<Rule>> = take(&mut payload)?
        .split_ascii_whitespace()
        .map(Rule::from_id)
        .collect();
    let rules = rules?;
    if indexes.len() != rules.len() || indexes.iter().any(|&i| i >= ranges.len()) {
        return None;
    }
    let hits = indexes.into_iter().zip(rules).collect();
    Some(Some(ScriptHits { ranges, hits }))
}

/// The lint's cache entries live here, with their encoding, so that the cache knows nothing of
/// the lint.
impl Cache {
    /// The lint's findings in `text`, the script at `path`, run as described, before levels
    /// and opt-outs.
    pub(crate) fn script_hits(
        &mut self,
        path: &str,
        text: &str,
        transactional: bool,
        up: bool,
        lock_timeout: bool,
    ) -> Option<ScriptHits> {
        let key = format!("lint {transactional} {up} {lock_timeout} {path}");
        self.get_or(key, text, decode_hits, || {
            let hits = script_hits(text, transactional, up, lock_timeout, Trees::Needed);
            let payload = encode_hits(hits.as_ref());
            (hits, payload)
        })
    }
}
