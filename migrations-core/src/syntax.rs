//! The one statement splitter both sides use, and where syntax errors come from.
//!
//! With the `parse` feature (the default) statement boundaries come from PostgreSQL's own grammar
//! ([`crate::parse`]), and a script that does not parse is a [`SyntaxError`] shown the way rustc
//! shows its own: file, line and column, the line quoted, a caret under the offending token.
//! Without the feature the hand-written splitter in [`crate::sql`] draws the boundaries and no
//! syntax is checked (the server still reports errors, with their position, when a script runs).

use std::ops::Range;

use crate::problem::SyntaxError;

/// The statements of `text` as byte ranges, from the grammar when the `parse` feature is on.
///
/// A script the grammar rejects gets the hand-written splitter's boundaries along with the
/// error, so a caller that tolerates it (an imported history) still has statements to run.
pub fn split(text: &str) -> (Vec<Range<usize>>, Option<SyntaxError>) {
    #[cfg(feature = "parse")]
    match crate::parse::statement_ranges(text) {
        Ok(ranges) => (ranges, None),
        Err(error) => (hand_split(text), Some(error)),
    }
    #[cfg(not(feature = "parse"))]
    (hand_split(text), None)
}

fn hand_split(text: &str) -> Vec<Range<usize>> {
    crate::sql::split(text)
        .into_iter()
        .map(|s| s.start..s.end)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_like_rustc() {
        let text = "CREATE TABLE t (x int);\nDROP INDEX IF EXIST t_x;\n";
        let error = SyntaxError::at(text, 38, 5, "syntax error at or near \"EXIST\"".into())
            .in_file("migrations/002_x/up.sql");
        assert_eq!(
            error.to_string(),
            "`migrations/002_x/up.sql` line 2 column 15: syntax error at or near \"EXIST\": fix the SQL (it is checked with PostgreSQL's own grammar)\n \
             --> migrations/002_x/up.sql:2:15\n  |\n2 | DROP INDEX IF EXIST t_x;\n  |               ^^^^^"
        );
    }

    #[test]
    fn columns_count_characters() {
        let error = SyntaxError::at("SELECT 'é', x y;", 15, 1, "m".into());
        assert_eq!((error.line, error.column, error.width), (1, 15, 1));
    }

    #[test]
    fn both_splitters_agree_on_ordinary_scripts() {
        let text = "CREATE TABLE t (x int);\n-- c\nINSERT INTO t VALUES (1);\n";
        let (ranges, error) = split(text);
        assert!(error.is_none());
        assert_eq!(ranges, hand_split(text));
    }
}
