//! PostgreSQL's own grammar (libpg_query through the `pg_query` crate): statement boundaries,
//! parse trees for the lint, and syntax errors with their exact position (found by bisection in `locate`).
//!
//! Statement boundaries come from the raw parser alone ([`pg_query::split_with_parser`]): the
//! protobuf parse tree that [`pg_query::parse`] builds, packs and decodes costs many times the
//! parse itself, and the macro pays it at opt-level 0. Trees are built only where the lint
//! needs them.

mod locate;

use std::ops::Range;

use pg_query::protobuf::Token;
use pg_query::NodeEnum;

use crate::problem::SyntaxError;
use locate::locate;

/// One parsed statement: its byte range in the script and its tree.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    /// From the first token to just past the terminating `;` (or the last token).
    pub range: Range<usize>,
    /// The statement's parse tree (`None` only for node kinds `pg_query` does not model).
    pub node: Option<NodeEnum>,
}

/// A script's statements, or where it stops being valid SQL.
#[derive(Debug, Clone)]
pub struct Parsed {
    /// Statements in order.
    pub statements: Vec<ParsedStatement>,
}

/// Parses `text` with PostgreSQL's grammar, building every statement's tree.
pub fn parse(text: &str) -> Result<Parsed, SyntaxError> {
    reject_nul(text)?;
    let tree = pg_query::parse(text).map_err(|e| locate(text, &message(e)))?;
    let statements = tree
        .protobuf
        .stmts
        .into_iter()
        .map(|raw| {
            let from = raw.stmt_location.max(0) as usize;
            // A length of 0 means "to the end of the text" (the last statement, without a `;`).
            let to = match raw.stmt_len {
                0 => text.len(),
                len => from + len as usize,
            };
            ParsedStatement {
                range: statement_range(text, from, to),
                node: raw.stmt.and_then(|s| s.node),
            }
        })
        .collect();
    Ok(Parsed { statements })
}

/// The statements' byte ranges, from the raw parser without building trees.
pub fn statement_ranges(text: &str) -> Result<Vec<Range<usize>>, SyntaxError> {
    reject_nul(text)?;
    let pieces = pg_query::split_with_parser(text).map_err(|e| locate(text, &message(e)))?;
    Ok(pieces
        .into_iter()
        .map(|piece| {
            // `split_with_parser` returns subslices of `text`: their offset is their position.
            let from = piece.as_ptr() as usize - text.as_ptr() as usize;
            statement_range(text, from, from + piece.len())
        })
        .collect())
}

/// Byte ranges of the comments (`-- ...` and `/* ... */`) of `text`, which must parse.
pub fn comments(text: &str) -> Vec<Range<usize>> {
    // The parser accepted the text, so the scanner (its first stage) does too.
    pg_query::scan(text)
        .map(|scan| {
            scan.tokens
                .iter()
                .filter(|t| is_comment(t.token))
                .map(|t| t.start as usize..t.end as usize)
                .collect()
        })
        .unwrap_or_default()
}

fn is_comment(token: i32) -> bool {
    token == Token::SqlComment as i32 || token == Token::CComment as i32
}

/// libpg_query cannot see past a NUL (its input is a C string).
fn reject_nul(text: &str) -> Result<(), SyntaxError> {
    match text.find('\0') {
        Some(at) => Err(SyntaxError::at(
            text,
            at,
            1,
            "the file contains a NUL byte".into(),
        )),
        None => Ok(()),
    }
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
fn statement_range(text: &str, from: usize, to: usize) -> Range<usize> {
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
