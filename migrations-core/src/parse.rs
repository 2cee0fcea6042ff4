//! PostgreSQL's own grammar (libpg_query through the `pg_query` crate): statement boundaries,
//! parse trees for the lint, and syntax errors with their exact position.
//!
//! `pg_query` reports a syntax error's message but not its position, so [`locate`] finds it the
//! way a parser defines it: the error sits at the first token `k` such that the text up to and
//! including `k` can no longer be the start of valid SQL. Viability only ever goes from true to
//! false as tokens are added, so a binary search over the tokens finds `k` in a few parses.

use std::ops::Range;

use pg_query::protobuf::{RawStmt, Token};
use pg_query::NodeEnum;

use crate::syntax::SyntaxError;

/// One parsed statement: its byte range in the script and its tree.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    /// From the first token to just past the terminating `;` (or the last token).
    pub range: Range<usize>,
    /// The statement's parse tree (`None` only for node kinds `pg_query` does not model).
    pub node: Option<NodeEnum>,
}

/// A script's statements and comments, or where it stops being valid SQL.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Statements in order.
    pub statements: Vec<ParsedStatement>,
    /// Byte ranges of every comment (`-- ...` and `/* ... */`), for `-- lint:` opt-outs.
    pub comments: Vec<Range<usize>>,
}

/// Parses `text` with PostgreSQL's grammar.
pub fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    if let Some(at) = text.find('\0') {
        return Err(SyntaxError::at(
            text,
            at,
            1,
            "the file contains a NUL byte".into(),
        ));
    }
    let tree = pg_query::parse(text).map_err(|e| locate(text, &message(e)))?;
    let statements = tree
        .protobuf
        .stmts
        .iter()
        .map(|raw| ParsedStatement {
            range: statement_range(text, raw),
            node: raw.stmt.as_ref().and_then(|s| s.node.clone()),
        })
        .collect();
    let comments = match pg_query::scan(text) {
        Ok(scan) => scan
            .tokens
            .iter()
            .filter(|t| t.token == Token::SqlComment as i32 || t.token == Token::CComment as i32)
            .map(|t| t.start as usize..t.end as usize)
            .collect(),
        // The parser accepted the text, so the scanner (its first stage) does too.
        Err(e) => return Err(SyntaxError::at(text, 0, 1, message(e))),
    };
    Ok(Parsed {
        statements,
        comments,
    })
}

/// The statements' byte ranges only.
pub fn statement_ranges(text: &str) -> Result<Vec<Range<usize>>, SyntaxError> {
    Ok(parse(text)?
        .statements
        .into_iter()
        .map(|s| s.range)
        .collect())
}

/// The server's message without `pg_query`'s prefix.
fn message(error: pg_query::Error) -> String {
    match error {
        pg_query::Error::Parse(m) | pg_query::Error::Scan(m) | pg_query::Error::Split(m) => m,
        other => other.to_string(),
    }
}

/// libpg_query starts a statement just past the previous `;` (so with the whitespace and
/// comments before it) and ends it before its own `;`. We want what the runner sends and what
/// people call the statement: first token to `;` inclusive.
fn statement_range(text: &str, raw: &RawStmt) -> Range<usize> {
    let from = raw.stmt_location.max(0) as usize;
    let to = match raw.stmt_len {
        // 0 means "to the end of the text" (the last statement, without a `;`).
        0 => text.len(),
        len => from + len as usize,
    };
    let start = from + skip_trivia(&text[from..to]);
    let end = if text[to..].starts_with(';') {
        to + 1
    } else {
        start + text[start..to].trim_end().len()
    };
    start..end.max(start)
}

/// Length of the whitespace and comments at the start of `text`.
fn skip_trivia(text: &str) -> usize {
    let bytes = text.as_bytes();
    let mut at = 0;
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if bytes[at..].starts_with(b"--") {
            at += text[at..].find('\n').map_or(text.len() - at, |n| n + 1);
        } else if bytes[at..].starts_with(b"/*") {
            // Block comments nest in PostgreSQL.
            let mut depth = 0usize;
            while at < bytes.len() {
                if bytes[at..].starts_with(b"/*") {
                    depth += 1;
                    at += 2;
                } else if bytes[at..].starts_with(b"*/") {
                    depth -= 1;
                    at += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    at += 1;
                }
            }
        } else {
            return at;
        }
    }
}

/// Finds where `text` (which failed to parse with `message`) stops being valid SQL.
fn locate(text: &str, message: &str) -> SyntaxError {
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
                .filter(|t| {
                    t.token != Token::SqlComment as i32 && t.token != Token::CComment as i32
                })
                .map(|t| t.start as usize..t.end as usize)
                .collect()
        })
        .unwrap_or_default();
    // Where the text through token `j` fails, unless it just ends early. A failure at its own
    // last token does not count either: PostgreSQL decides some tokens by the one after them
    // (`WITHOUT TIME`, `NOT LIKE`), so a prefix cut there can fail where the whole text does not.
    let failure = |j: usize| match pg_query::parse(&text[..tokens[j].end]) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn ranges(text: &str) -> Vec<&str> {
        statement_ranges(text)
            .expect("valid")
            .into_iter()
            .map(|r| &text[r])
            .collect()
    }

    #[test]
    fn statements_run_from_first_token_to_semicolon() {
        let text = "-- header\nCREATE TABLE t (x int);\n\n/* c */ INSERT INTO t VALUES (1);\nSELECT 1 -- end\n";
        assert_eq!(
            ranges(text),
            [
                "CREATE TABLE t (x int);",
                "INSERT INTO t VALUES (1);",
                "SELECT 1 -- end"
            ]
        );
        assert!(ranges("-- only a comment\n").is_empty());
    }

    #[test]
    fn bodies_with_semicolons_are_one_statement() {
        let text = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nDO $$ BEGIN PERFORM 1; END $$;";
        assert_eq!(ranges(text).len(), 2);
    }

    #[test]
    fn syntax_errors_point_at_the_offending_token() {
        let text = "CREATE TABLE t (x int);\nDROP INDEX IF EXIST t_x;\n";
        let err = parse(text).expect_err("invalid");
        assert_eq!((err.line, err.column, err.width), (2, 15, 5));
        assert_eq!(err.message, "syntax error at or near \"EXIST\"");
        let err = parse("CREATE TABLE t (x int").expect_err("unfinished");
        assert_eq!((err.line, err.column), (1, 22));
        assert!(err.message.ends_with("at end of input"));
    }

    #[test]
    fn lexical_errors_point_at_their_start() {
        let err = parse("SELECT 1;\nSELECT 'unterminated;\n").expect_err("invalid");
        assert_eq!((err.line, err.column), (2, 8));
        assert!(err.message.contains("unterminated"), "{}", err.message);
        // Regression (graph-node 2021-02-24-051050 down.sql): a grammar error before an
        // unterminated `$$` is the one the server reports, at its token.
        let err = parse("begin\n  raise 'x';\nend\n$$;\n").expect_err("invalid");
        assert_eq!((err.line, err.column), (2, 3));
    }

    #[test]
    fn lookahead_tokens_do_not_end_a_prefix_early() {
        // Regression: a prefix cut at `time without` fails at `without` although the whole
        // statement is fine; the error is further on.
        let text = "CREATE TABLE t (\n  a time without time zone DEFAULT '0'::time without time zone NOT NULL,\n  b text c text\n);";
        let err = parse(text).expect_err("invalid");
        assert_eq!((err.line, err.column), (3, 10));
        // Regression (zksync-era 20250822160137 down.sql): the same mistake on later lines
        // must not move the error there.
        let err = parse("DROP INDEX IF EXIST a;\nDROP INDEX IF EXIST b;\nDROP INDEX IF EXIST c;")
            .expect_err("invalid");
        assert_eq!((err.line, err.column), (1, 15));
    }
}
