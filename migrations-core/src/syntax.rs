//! Syntax errors found at compile time, and the one statement splitter both sides use.
//!
//! With the `parse` feature (the default) statement boundaries come from PostgreSQL's own grammar
//! ([`crate::parse`]), and a script that does not parse is a [`SyntaxError`] shown the way rustc
//! shows its own: file, line and column, the line quoted, a caret under the offending token.
//! Without the feature the hand-written splitter in [`crate::sql`] draws the boundaries and no
//! syntax is checked (the server still reports errors, with their position, when a script runs).

use std::fmt;
use std::ops::Range;

/// A script that PostgreSQL's grammar rejects.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct SyntaxError {
    /// The file, as the directory was named (`migrations/003_x/up.sql`); empty until known.
    pub path: String,
    /// The parser's message (`syntax error at or near "EXIST"`).
    pub message: String,
    /// Byte offset of the offending token.
    pub offset: usize,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// Width of the offending token in characters (at least 1), for the carets.
    pub width: usize,
    /// The offending line, without its newline.
    pub source_line: String,
}

impl SyntaxError {
    /// An error at byte `offset` of `text`, `width` bytes wide.
    pub fn at(text: &str, offset: usize, width: usize, message: String) -> Self {
        let offset = floor_char_boundary(text, offset.min(text.len()));
        let line_start = text[..offset].rfind('\n').map_or(0, |n| n + 1);
        let line_end = text[offset..].find('\n').map_or(text.len(), |n| offset + n);
        let token_end = floor_char_boundary(text, (offset + width).min(line_end));
        Self {
            path: String::new(),
            message,
            offset,
            line: text[..offset].matches('\n').count() + 1,
            column: text[line_start..offset].chars().count() + 1,
            width: text[offset..token_end].chars().count().max(1),
            source_line: text[line_start..line_end].to_owned(),
        }
    }

    /// The same error, naming `path`.
    pub fn in_file(mut self, path: &str) -> Self {
        self.path = path.to_owned();
        self
    }
}

/// rustc's layout: a headline, `--> file:line:column`, the line and a caret under the token.
impl fmt::Display for SyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let number = self.line.to_string();
        let pad = " ".repeat(number.len());
        // Tabs would shift the carets: show them as single spaces, as the column counts them.
        let shown = self.source_line.replace('\t', " ");
        writeln!(
            f,
            "`{}` line {} column {}: {}: fix the SQL (it is checked with PostgreSQL's own grammar)",
            self.path, self.line, self.column, self.message
        )?;
        writeln!(f, "{pad}--> {}:{}:{}", self.path, self.line, self.column)?;
        writeln!(f, "{pad} |")?;
        writeln!(f, "{number} | {shown}")?;
        write!(
            f,
            "{pad} | {}{}",
            " ".repeat(self.column - 1),
            "^".repeat(self.width)
        )
    }
}

fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

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
