//! Which statements the rules need a parse tree for, decided from their leading words.
//!
//! Building a statement's tree (libpg_query's protobuf, packed in C and decoded by prost, at the
//! macro's opt-level 0) costs far more than finding the statement. Most statements of a history
//! cannot break a rule nor change what the rules know (`INSERT`, `COMMENT ON`, `CREATE VIEW`),
//! and the most common expensive one, `CREATE TABLE name (...)`, only tells the rules that
//! `name` is new. Anything not recognised here gets its tree: the shortcut may only ever skip
//! work, never change a finding (a test compares it with full trees on every corpus script).

use crate::sql::{is_word_char, is_word_start};

/// What the rules need of one statement.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Need {
    /// Nothing: no rule looks at this kind of statement.
    Nothing,
    /// Only that it creates the table with this (unqualified, case-folded) name.
    Created(String),
    /// Its parse tree.
    Tree,
}

/// First words of statements no rule looks at.
const IGNORED: [&str; 13] = [
    "SELECT", "INSERT", "UPDATE", "DELETE", "WITH", "VALUES", "COMMENT", "GRANT", "REVOKE", "DO",
    "COPY", "CALL", "TRUNCATE",
];

/// Objects whose `CREATE [OR REPLACE]` and `DROP` no rule looks at (drops matter for tables,
/// and for indexes dropped concurrently).
const IGNORED_OBJECTS: [&str; 14] = [
    "VIEW",
    "FUNCTION",
    "PROCEDURE",
    "TRIGGER",
    "TYPE",
    "SEQUENCE",
    "SCHEMA",
    "EXTENSION",
    "POLICY",
    "RULE",
    "DOMAIN",
    "ROLE",
    "AGGREGATE",
    "COLLATION",
];

/// What the rules need of `statement` (its text from its first token).
pub(crate) fn need(statement: &str) -> Need {
    let (words, rest) = leading_words(statement);
    let is = |i: usize, word: &str| words.get(i).is_some_and(|w| w.eq_ignore_ascii_case(word));
    let ignored_object = |i: usize| {
        words
            .get(i)
            .is_some_and(|w| IGNORED_OBJECTS.iter().any(|o| w.eq_ignore_ascii_case(o)))
    };
    if IGNORED.iter().any(|w| is(0, w)) {
        return Need::Nothing;
    }
    if is(0, "DROP") && ignored_object(1) {
        return Need::Nothing;
    }
    if !is(0, "CREATE") {
        return Need::Tree;
    }
    let object = if is(1, "OR") && is(2, "REPLACE") {
        3
    } else {
        1
    };
    // A trigger takes a lock on its table; the lock-timeout rule needs the tree.
    if ignored_object(object) && !is(object, "TRIGGER") {
        return Need::Nothing;
    }
    created_table(&words, rest).map_or(Need::Tree, Need::Created)
}

/// `CREATE [TEMP | TEMPORARY | UNLOGGED] TABLE [IF NOT EXISTS] name (`, with a plain name: the
/// name as PostgreSQL folds it.
fn created_table(words: &[&str], rest: &str) -> Option<String> {
    let upper: Vec<String> = words.iter().map(|w| w.to_ascii_uppercase()).collect();
    let upper: Vec<&str> = upper.iter().map(String::as_str).collect();
    let name = match upper.as_slice() {
        ["CREATE", "TABLE", _]
        | ["CREATE", "TEMP" | "TEMPORARY" | "UNLOGGED", "TABLE", _]
        | ["CREATE", "TABLE", "IF", "NOT", "EXISTS", _]
        | ["CREATE", "TEMP" | "TEMPORARY" | "UNLOGGED", "TABLE", "IF", "NOT", "EXISTS", _] => {
            words[words.len() - 1]
        }
        _ => return None,
    };
    // Longer names are truncated by the server, `$` and non-ASCII letters are rare: the tree
    // decides those.
    let plain = name.len() < 64 && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
    (plain && rest.starts_with('(')).then(|| name.to_ascii_lowercase())
}

/// The words at the start of `statement` separated by whitespace only, and the text after them
/// (from the first character that neither belongs to a word nor is whitespace).
fn leading_words(statement: &str) -> (Vec<&str>, &str) {
    let bytes = statement.as_bytes();
    let mut words = Vec::new();
    let mut at = 0;
    loop {
        while at < bytes.len() && bytes[at].is_ascii_whitespace() {
            at += 1;
        }
        if at == bytes.len() || !is_word_start(bytes[at]) || words.len() == 8 {
            return (words, &statement[at..]);
        }
        let start = at;
        while at < bytes.len() && is_word_char(bytes[at]) {
            at += 1;
        }
        words.push(&statement[start..at]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decides_from_leading_words() {
        let created = |name: &str| Need::Created(name.to_owned());
        assert_eq!(need("CREATE TABLE T0002 (\n id int);"), created("t0002"));
        assert_eq!(
            need("create unlogged table if not exists t(x int);"),
            created("t")
        );
        assert_eq!(need("CREATE TABLE s.t (x int);"), Need::Tree);
        assert_eq!(need("CREATE TABLE \"T\" (x int);"), Need::Tree);
        assert_eq!(
            need("CREATE TABLE t PARTITION OF p FOR VALUES IN (1);"),
            Need::Tree
        );
        assert_eq!(need("CREATE TABLE t AS SELECT 1;"), Need::Tree);
        assert_eq!(need("CREATE OR REPLACE VIEW v AS SELECT 1;"), Need::Nothing);
        assert_eq!(
            need("CREATE OR REPLACE TRIGGER g AFTER INSERT ON t EXECUTE FUNCTION f();"),
            Need::Tree
        );
        assert_eq!(need("DROP VIEW v;"), Need::Nothing);
        assert_eq!(need("DROP INDEX CONCURRENTLY i;"), Need::Tree);
        assert_eq!(need("INSERT INTO t VALUES (1);"), Need::Nothing);
        assert_eq!(need("SET lock_timeout = '1s';"), Need::Tree);
        assert_eq!(need("(SELECT 1);"), Need::Tree);
    }
}
