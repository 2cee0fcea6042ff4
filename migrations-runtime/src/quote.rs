//! Quoting for SQL text that cannot bind parameters (identifiers always, literals in offline
//! scripts and in the pipelined exchange): the one place the runtime, its tests' helpers and the
//! applications on top quote anything. Values are otherwise bound parameters.

/// An identifier, double-quoted with its quotes doubled: `a"b` becomes `"a""b"`.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A string literal as `E'...'`, which reads the same whatever `standard_conforming_strings`
/// says (for statements sent without parameters).
pub fn escaped(value: &str) -> String {
    format!("E'{}'", value.replace('\\', "\\\\").replace('\'', "\\'"))
}

/// A standard string literal, `'...'` with its quotes doubled: for offline scripts, which set
/// `standard_conforming_strings = on` first.
pub fn literal(value: &str) -> String {
    format!("'{}'", value.replace('\'', "''"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_or_escaped() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(escaped("a\\'b"), "E'a\\\\\\'b'");
    }
}
