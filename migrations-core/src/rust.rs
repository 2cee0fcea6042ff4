//! What a Rust revision file (`up.rs`, `down.rs`) means to this crate: its checksum, over a
//! normal form in which formatting does not count.
//!
//! The macro compiles the file; this crate never does. It only needs a checksum that the macro
//! (at compile time) and `migrate --dir` (at run time, without a Rust compiler) compute alike,
//! and that survives `cargo fmt`: an applied revision that was only re-indented, re-wrapped or
//! re-commented must not be refused as edited. So the checksum
//! ([`crate::ChecksumAlgorithm::RustSource`]) is taken over the source with comments removed
//! (doc comments too), trailing commas before a closing bracket removed where they mean nothing
//! (rustfmt adds them when it wraps a list; `(x,)`, a one-element tuple, keeps its comma), and
//! whitespace kept only where it separates two tokens that would
//! otherwise read as one (`pub fn`, `& &x` against `&&x`), while every literal is kept exactly
//! (the SQL inside a string is the revision's meaning). rustfmt can do more than that (reorder
//! imports, add braces to a closure it wraps): such a change is an edit, recorded with `repair`.
//!
//! ```
//! use migrations_core::rust;
//! let a = "pub async fn up(tx: &mut T) -> R {\n    tx.execute(\"SELECT  1\", &[]).await // run it\n}\n";
//! let b = "/// Doc.\npub async fn up(tx:&mut T)->R{ tx.execute(\"SELECT  1\",&[]).await }";
//! assert_eq!(rust::normal_form(a), rust::normal_form(b));
//! assert_ne!(rust::checksum(a), rust::checksum(&a.replace("SELECT  1", "SELECT 1")));
//! ```

use sha2::{Digest, Sha256};

use crate::revision::Checksum;

/// SHA-256 of [`normal_form`] of the (already [`crate::source::normalise`]d) text.
pub fn checksum(text: &str) -> Checksum {
    Checksum(Sha256::digest(normal_form(text).as_bytes()).into())
}

/// True when the file holds nothing but whitespace and comments.
pub fn is_blank(text: &str) -> bool {
    normal_form(text).is_empty()
}

/// The text without comments and without trailing commas before a closing bracket, with
/// whitespace only where two tokens would otherwise read as one, literals unchanged. A lexer of
/// Rust's token boundaries, not a parser: it only has to know where comments, strings and
/// characters start and end.
pub fn normal_form(text: &str) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    // Whether whitespace or a comment separated the next token from the previous one.
    let mut gap = false;
    // A `,` not written yet: dropped if the next token closes a bracket where a trailing comma
    // means nothing (see [`Bracket`]).
    let mut comma = false;
    let mut brackets: Vec<Bracket> = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c.is_whitespace() {
            gap = true;
            i += 1;
        } else if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
            gap = true;
        } else if c == '/' && next == Some('*') {
            i = block_comment_end(&chars, i);
            gap = true;
        } else {
            let end = token_end(&chars, i);
            let closes = matches!(c, ')' | ']' | '}');
            if std::mem::take(&mut comma) {
                let open = brackets.last_mut();
                let trailing_means_nothing = match open {
                    Some(Bracket::Tuple { listed }) => *listed,
                    Some(_) => true,
                    None => false,
                };
                if !(closes && trailing_means_nothing) {
                    out.push(',');
                    gap = false;
                    if let Some(Bracket::Tuple { listed }) = brackets.last_mut() {
                        *listed |= !closes;
                    }
                }
            }
            match c {
                '(' => brackets.push(Bracket::paren_after(&out)),
                '[' | '{' => brackets.push(Bracket::Other),
                ')' | ']' | '}' => drop(brackets.pop()),
                _ => {}
            }
            if c == ',' && end == i + 1 {
                comma = true;
            } else {
                if gap && out.chars().last().is_some_and(|last| separates(last, c)) {
                    out.push(' ');
                }
                out.extend(&chars[i..end]);
            }
            gap = false;
            i = end;
        }
    }
    if comma {
        out.push(',');
    }
    out
}

/// An open bracket, for what a trailing comma before its end means.
enum Bracket {
    /// The arguments of a call or the parameters of a function (`f(a,)` is `f(a)`), or a
    /// `[...]` or `{...}` (`[a,]` is `[a]`): a trailing comma means nothing.
    Other,
    /// A parenthesis that may be a tuple: `(x,)` is a one-element tuple and `(x)` is `x`, so a
    /// trailing comma means nothing only once a comma separates two elements (`listed`). Angle
    /// brackets are not tracked (`<` is also less-than): `(Vec<(A, B)>,)` counts as listed.
    Tuple {
        /// Whether a comma separated two elements.
        listed: bool,
    },
}

impl Bracket {
    /// The kind of a `(` written after `before` (the normal form so far): a call or a function's
    /// parameters follow a name (not a keyword that takes an expression or a pattern), a `>`
    /// of generics, a macro's `!`, or a `)` or `]`.
    fn paren_after(before: &str) -> Self {
        const BEFORE_TUPLE: [&str; 12] = [
            "return", "in", "match", "if", "while", "break", "let", "for", "mut", "yield", "else",
            "move",
        ];
        let word: String = before
            .chars()
            .rev()
            .take_while(|&c| is_word(c))
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect();
        let call = if !word.is_empty() {
            !BEFORE_TUPLE.contains(&word.as_str())
        } else {
            let mut last = before.chars().rev();
            match (last.next(), last.next()) {
                (Some('>'), Some('=' | '-')) => false,
                (Some('>' | ')' | ']' | '!'), _) => true,
                _ => false,
            }
        };
        match call {
            true => Self::Other,
            false => Self::Tuple { listed: false },
        }
    }
}

/// Whether the space between `last` and `next` must stay: two words, or two punctuation marks
/// that Rust would read as one token once joined (`& &` against `&&`).
fn separates(last: char, next: char) -> bool {
    const JOINED: [&str; 21] = [
        "&&", "||", "==", "!=", "<=", ">=", "<<", ">>", "+=", "-=", "*=", "/=", "%=", "^=", "&=",
        "|=", "..", "::", "->", "=>", "<-",
    ];
    (is_word(last) && is_word(next)) || {
        let pair: String = [last, next].iter().collect();
        JOINED.contains(&pair.as_str())
    }
}

fn is_word(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The index after the (possibly nested) block comment starting at `start`.
fn block_comment_end(chars: &[char], start: usize) -> usize {
    let (mut depth, mut i) = (0usize, start);
    while i < chars.len() {
        match (chars[i], chars.get(i + 1).copied()) {
            ('/', Some('*')) => {
                depth += 1;
                i += 2;
            }
            ('*', Some('/')) => {
                depth -= 1;
                i += 2;
                if depth == 0 {
                    return i;
                }
            }
            _ => i += 1,
        }
    }
    chars.len()
}

/// The index after the token starting at `start`: a literal taken whole, or one character.
fn token_end(chars: &[char], start: usize) -> usize {
    let at = |i: usize| chars.get(i).copied();
    // A raw string: `r"..."`, `r#"..."#`, with an optional `b` or `c` before the `r`.
    let raw_from = match (at(start), at(start + 1)) {
        (Some('b' | 'c'), Some('r')) if !preceded_by_word(chars, start) => Some(start + 2),
        (Some('r'), _) if !preceded_by_word(chars, start) => Some(start + 1),
        _ => None,
    };
    if let Some(mut i) = raw_from {
        let mut hashes = 0;
        while at(i) == Some('#') {
            hashes += 1;
            i += 1;
        }
        if at(i) == Some('"') {
            return raw_string_end(chars, i + 1, hashes);
        }
    }
    match at(start) {
        Some('"') => quoted_end(chars, start + 1, '"'),
        Some('b' | 'c') if at(start + 1) == Some('"') && !preceded_by_word(chars, start) => {
            quoted_end(chars, start + 2, '"')
        }
        Some('b') if at(start + 1) == Some('\'') && !preceded_by_word(chars, start) => {
            quoted_end(chars, start + 2, '\'')
        }
        Some('\'') if is_char_literal(chars, start) => quoted_end(chars, start + 1, '\''),
        _ => start + 1,
    }
}

fn preceded_by_word(chars: &[char], at: usize) -> bool {
    at > 0 && is_word(chars[at - 1])
}

/// `'x'` and `'\n'` are characters; `'a` in `&'a str` is a lifetime.
fn is_char_literal(chars: &[char], start: usize) -> bool {
    match chars.get(start + 1) {
        Some('\\') => true,
        Some(_) => chars.get(start + 2) == Some(&'\''),
        None => false,
    }
}

/// The index after the closing `quote` of a literal whose body starts at `i`.
fn quoted_end(chars: &[char], mut i: usize, quote: char) -> usize {
    while i < chars.len() {
        match chars[i] {
            '\\' => i += 2,
            c if c == quote => return i + 1,
            _ => i += 1,
        }
    }
    chars.len()
}

/// The index after a raw string's closing `"` and `hashes` hashes; its body starts at `i`.
fn raw_string_end(chars: &[char], mut i: usize, hashes: usize) -> usize {
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|k| chars.get(i + k) == Some(&'#')) {
            return i + 1 + hashes;
        }
        i += 1;
    }
    chars.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formatting_and_comments_do_not_count() {
        let tidy = "pub async fn up(tx: &mut Transaction<'_>) -> Result<(), Error> {\n    let n = 1 + 2; /* sum */\n    Ok(())\n}\n";
        let messy = "// migrate: irreversible?\npub  async fn up( tx:&mut Transaction<'_> )->Result<(),Error>{let n=1+2;Ok(())}";
        assert_eq!(normal_form(tidy), normal_form(messy));
        assert_eq!(
            normal_form("/* a /* nested */ comment */ fn a() {}"),
            "fn a(){}"
        );
    }

    #[test]
    fn literals_are_kept_as_written() {
        let spaced = r##"let q = r#"SELECT  "a" -- not a comment"#; let s = "x // y"; let c = '"'; let b = b"  ";"##;
        let form = normal_form(spaced);
        assert!(
            form.contains(r##"r#"SELECT  "a" -- not a comment"#"##),
            "{form}"
        );
        assert!(form.contains(r#""x // y""#), "{form}");
        assert!(form.contains(r#"'"'"#), "{form}");
        assert!(form.contains(r#"b"  ""#), "{form}");
        assert_ne!(
            checksum(spaced),
            checksum(&spaced.replace("SELECT  ", "SELECT "))
        );
    }

    #[test]
    fn lifetimes_are_not_characters() {
        // Were `'a` read as opening a character, the rest would be one literal, spaces and all.
        assert_eq!(
            normal_form("fn f<'a>(x: &'a str) -> &'a str { x }"),
            "fn f<'a>(x:&'a str)->&'a str{x}"
        );
        assert_eq!(
            normal_form("let c = '\\''; let d = 'x';"),
            "let c='\\'';let d='x';"
        );
    }

    #[test]
    fn wrapping_with_trailing_commas_is_not_an_edit_but_tokens_that_join_are() {
        let one_line = "fn up(tx: T, after: Option<i32>) -> R { f(a, [1, 2]) }";
        let wrapped = "fn up(\n    tx: T,\n    after: Option<i32>,\n) -> R {\n    f(\n        a,\n        [1, 2,],\n    )\n}\n";
        assert_eq!(normal_form(one_line), normal_form(wrapped));
        // A comma before anything but a closing bracket stays, and so does the only comma of a
        // bracket: `(x,)` is a one-element tuple.
        assert_ne!(normal_form("f(a, b)"), normal_form("f(a b)"));
        assert_ne!(normal_form("let t = (x,);"), normal_form("let t = (x);"));
        assert_ne!(normal_form("return (x,);"), normal_form("return (x);"));
        assert_ne!(normal_form("A => (x,),"), normal_form("A => (x),"));
        assert_ne!(normal_form("fn f() -> (T,)"), normal_form("fn f() -> (T)"));
        assert_eq!(normal_form("let t = (x, (y,),);"), "let t=(x,(y,));");
        // A call's or a signature's only argument may carry one: rustfmt adds it when wrapping.
        assert_eq!(
            normal_form("fn up(\n    tx: T,\n) {}"),
            normal_form("fn up(tx: T) {}")
        );
        assert_eq!(normal_form("f::<A>(\n    x,\n)"), normal_form("f::<A>(x)"));
        assert_eq!(normal_form("vec![x,]"), normal_form("vec![x]"));
        assert_eq!(
            normal_form("println!(\n    \"{x}\",\n)"),
            normal_form("println!(\"{x}\")")
        );
        // `& &b` (always evaluates b) is not `&&b`; `x = &y` and `x=&y` are one spelling.
        assert_ne!(normal_form("a & &b"), normal_form("a && b"));
        assert_eq!(normal_form("x = &y"), normal_form("x=&y"));
        assert_eq!(normal_form("(b, a, // last\n)"), "(b,a)");
    }

    /// Second review: the trailing-comma rule drops the comma of a one-element tuple, so `(x,)`
    /// (a tuple, in an expression, a type or a pattern) and `(x)` (a parenthesised `x`) get one
    /// checksum: a revision edited from one to the other (`let (n,) = ...` to `let (n) = ...`,
    /// `-> (i64,)` to `-> (i64)`) is not refused as edited although it means something else.
    #[test]
    fn a_one_element_tuple_is_not_a_parenthesised_value() {
        assert_ne!(normal_form("let t = (x,);"), normal_form("let t = (x);"));
        assert_ne!(
            normal_form("fn f() -> (i64,) { todo!() }"),
            normal_form("fn f() -> (i64) { todo!() }")
        );
        assert_ne!(checksum("let (n,) = row;"), checksum("let (n) = row;"));
    }

    #[test]
    fn blank_files_are_only_comments() {
        assert!(is_blank("// nothing\n/* here */\n\n"));
        assert!(!is_blank("// something\nfn up() {}"));
    }
}
