//! Quoting for SQL text that cannot bind parameters (identifiers always, literals in offline
//! scripts and in the pipelined exchange): the one place the runtime, the schema engine, the tests' helpers and the
//! applications on top quote anything. Values are otherwise bound parameters.

/// `text` with every control character (a line break among them) as `?`: a name from a file or
/// a catalog, made safe to print inside a `--` comment, which a line break would end.
///
/// ```
/// assert_eq!(migrations_core::quote::one_line("two\nlines"), "two?lines");
/// ```
pub fn one_line(text: &str) -> String {
    text.chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .collect()
}

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

/// An identifier as PostgreSQL's `quote_ident` writes it: bare when it is a lower-case word that
/// is not a keyword PostgreSQL reserves in any position, double-quoted otherwise. For SQL that
/// people read and commit (generated revisions), where `calls.note` reads better than
/// `"calls"."note"` and means the same.
pub fn name(name: &str) -> String {
    let mut chars = name.chars();
    let plain = chars
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain && RESERVED.binary_search(&name).is_err() {
        name.to_owned()
    } else {
        ident(name)
    }
}

/// PostgreSQL 15's keywords that are not "unreserved" (reserved, type or function names, column
/// names: `SELECT pg_get_keywords()` with `catcode <> 'U'`), sorted for the binary search.
const RESERVED: &[&str] = &[
    "all",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "authorization",
    "between",
    "bigint",
    "binary",
    "bit",
    "boolean",
    "both",
    "case",
    "cast",
    "char",
    "character",
    "check",
    "coalesce",
    "collate",
    "collation",
    "column",
    "concurrently",
    "constraint",
    "create",
    "cross",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "dec",
    "decimal",
    "default",
    "deferrable",
    "desc",
    "distinct",
    "do",
    "else",
    "end",
    "except",
    "exists",
    "extract",
    "false",
    "fetch",
    "float",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "grant",
    "greatest",
    "group",
    "grouping",
    "having",
    "ilike",
    "in",
    "initially",
    "inner",
    "inout",
    "int",
    "integer",
    "intersect",
    "interval",
    "into",
    "is",
    "isnull",
    "join",
    "lateral",
    "leading",
    "least",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "national",
    "natural",
    "nchar",
    "none",
    "normalize",
    "not",
    "notnull",
    "null",
    "nullif",
    "numeric",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "out",
    "outer",
    "overlaps",
    "overlay",
    "placing",
    "position",
    "precision",
    "primary",
    "real",
    "references",
    "returning",
    "right",
    "row",
    "select",
    "session_user",
    "setof",
    "similar",
    "smallint",
    "some",
    "substring",
    "symmetric",
    "table",
    "tablesample",
    "then",
    "time",
    "timestamp",
    "to",
    "trailing",
    "treat",
    "trim",
    "true",
    "union",
    "unique",
    "user",
    "using",
    "values",
    "varchar",
    "variadic",
    "verbose",
    "when",
    "where",
    "window",
    "with",
    "xmlattributes",
    "xmlconcat",
    "xmlelement",
    "xmlexists",
    "xmlforest",
    "xmlnamespaces",
    "xmlparse",
    "xmlpi",
    "xmlroot",
    "xmlserialize",
    "xmltable",
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_are_doubled_or_escaped() {
        assert_eq!(ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(literal("it's"), "'it''s'");
        assert_eq!(escaped("a\\'b"), "E'a\\\\\\'b'");
    }

    #[test]
    fn names_are_bare_unless_postgres_would_misread_them() {
        assert_eq!(name("calls"), "calls");
        assert_eq!(name("_x1"), "_x1");
        // `quote_ident` and `format_type` quote a `$`, so the comparisons must too.
        assert_eq!(name("st$x"), "\"st$x\"");
        assert_eq!(name("user"), "\"user\"");
        assert_eq!(name("Calls"), "\"Calls\"");
        assert_eq!(name("1st"), "\"1st\"");
        assert_eq!(name(""), "\"\"");
        assert!(
            RESERVED.windows(2).all(|w| w[0] < w[1]),
            "RESERVED must stay sorted"
        );
    }
}
