//! Where a script that PostgreSQL's grammar rejects stops being valid SQL.
//!
//! `pg_query` reports a syntax error's message but not its position, so [`locate`] finds it the
//! way a parser defines it: the error sits at the first token `k` such that the text up to and
//! including `k` can no longer be the start of valid SQL. Viability only ever goes from true to
//! false as tokens are added, so a binary search over the tokens finds `k` in a few parses.

use std::ops::Range;

use super::{is_comment, message};
use crate::problem::SyntaxError;

/// Finds where `text` (which failed to parse with `message`) stops being valid SQL.
pub(super) fn locate(text: &str, message: &str) -> SyntaxError {
    // A lexical error (an unterminated quote or comment) ends what can be tokenised; a grammar
    // error may still come before it, as the server's parser reads tokens as it goes.
    let (scannable, lexical) = match pg_query::scan(text) {
        Ok(_) => (text.len(), None),
        Err(e) => {
            let at = lexical_offset(text, &self::message(e));
            (at, Some(at))
        }
    };
    let tokens: Vec<Range<usize>> = pg_query::scan(&text[..scannable])
        .map(|scan| {
            scan.tokens
                .iter()
                .filter(|t| !is_comment(t.token))
                .map(|t| t.start as usize..t.end as usize)
                .collect()
        })
        .unwrap_or_default();
    // Where the text through token `j` fails, unless it just ends early. A failure at its own
    // last token does not count either: PostgreSQL decides some tokens by the one after them
    // (`WITHOUT TIME`, `NOT LIKE`), so a prefix cut there can fail where the whole text does not.
    // The raw parser alone gives the verdict; no tree is needed.
    let failure = |j: usize| match pg_query::split_with_parser(&text[..tokens[j].end]) {
        Ok(_) => None,
        Err(e) => Some(self::message(e)).filter(|m| !m.ends_with("at end of input")),
    };
    let inner_failure = |j: usize| {
        let found = near(&failure(j)?);
        match found {
            // The message names a token like the last one: if the text before that token already
            // fails naming it too, the error is at an earlier token of the same text.
            Some(x) if x == text[tokens[j].clone()] => {
                let earlier = j.checked_sub(1).and_then(failure)?;
                (near(&earlier).as_deref() == Some(x.as_str())).then_some(x)
            }
            found => Some(found.unwrap_or_default()),
        }
    };
    let (mut low, mut high) = (0, tokens.len());
    while low < high {
        let mid = (low + high) / 2;
        if inner_failure(mid).is_some() {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    if let Some(near_text) = tokens.get(low).and_then(|_| inner_failure(low)) {
        // The offending token is the last one before `low` that the message names.
        let token = tokens[..low]
            .iter()
            .rev()
            .find(|t| text[(*t).clone()] == near_text)
            .unwrap_or(&tokens[low]);
        return SyntaxError::at(text, token.start, token.len(), message.to_owned());
    }
    match (tokens.last(), lexical) {
        (Some(last), None) if near(message).as_deref() == Some(&text[last.clone()]) => {
            SyntaxError::at(text, last.start, last.len(), message.to_owned())
        }
        (_, Some(at)) => SyntaxError::at(text, at, 1, message.to_owned()),
        // It ends too early.
        _ => SyntaxError::at(text, text.trim_end().len(), 1, message.to_owned()),
    }
}

/// The token a message names: `syntax error at or near "EXIST"` -> `EXIST`.
fn near(message: &str) -> Option<String> {
    let (_, rest) = message.rsplit_once(" at or near \"")?;
    Some(rest.strip_suffix('"').unwrap_or(rest).to_owned())
}

/// Where a lexical error starts: the scanner quotes the text from there (to the end of the text
/// for an unterminated quote or comment).
fn lexical_offset(text: &str, message: &str) -> usize {
    match near(message) {
        Some(rest) if !rest.is_empty() && text.ends_with(&rest) => text.len() - rest.len(),
        Some(rest) if !rest.is_empty() => text.find(&rest).unwrap_or(0),
        _ => 0,
    }
}
