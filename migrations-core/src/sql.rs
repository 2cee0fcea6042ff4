//! A PostgreSQL-aware statement splitter.
//!
//! Migration files are scripts, not single statements. To tell a real `COMMIT` from the `END` of a
//! PL/pgSQL body, to know whether a file has any statement at all, and to run a non-transactional
//! revision one statement at a time, we need to see statement boundaries exactly as the server
//! does: semicolons inside comments, string literals, quoted identifiers, dollar-quoted bodies and
//! `BEGIN ATOMIC ... END` function bodies do not end a statement.

/// One statement of a script, as a byte range into the script text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Statement {
    /// Byte offset of the statement's first significant character.
    pub start: usize,
    /// Byte offset just past the statement's terminating `;` (or the end of the script).
    pub end: usize,
    /// 1-based line of `start`.
    pub line: usize,
    /// The first few keywords, upper-cased, for classification (e.g. `["COMMIT"]`).
    pub keywords: Vec<String>,
    /// True when the statement is nothing but bare words (and its `;`): only such statements can
    /// be transaction control.
    pub plain: bool,
}

impl Statement {
    /// The statement's text within `script`.
    pub fn text<'a>(&self, script: &'a str) -> &'a str {
        &script[self.start..self.end]
    }
}

/// How many leading keywords [`Statement::keywords`] keeps.
const KEYWORDS_KEPT: usize = 4;

/// Splits `script` into statements. Comments and whitespace between statements belong to no
/// statement, so a comment-only script yields an empty list.
pub fn split(script: &str) -> Vec<Statement> {
    Splitter::new(script).run()
}

/// Describes `script[range]` as one statement (its line, keywords and plainness), whoever drew
/// the boundaries: the revision table stores only byte ranges.
pub fn describe(script: &str, range: std::ops::Range<usize>) -> Statement {
    let mut splitter = Splitter::new(&script[range.clone()]);
    splitter.whole = true;
    let found = splitter.run().into_iter().next();
    Statement {
        start: range.start,
        end: range.end,
        line: script[..range.start].matches('\n').count() + 1,
        plain: found.as_ref().is_none_or(|s| s.plain),
        keywords: found.map(|s| s.keywords).unwrap_or_default(),
    }
}

struct Splitter<'a> {
    src: &'a [u8],
    pos: usize,
    line: usize,
    out: Vec<Statement>,
    current: Option<Statement>,
    /// Inside `BEGIN ATOMIC`: how many `CASE ... END` are open (0 = the body itself).
    atomic: Option<usize>,
    /// Open parentheses: psql does not end a statement at a `;` inside them
    /// (`CREATE RULE r AS ON INSERT TO t DO ALSO (INSERT ...; INSERT ...)`).
    parens: usize,
    /// The previous word of the statement, whatever comments stand between.
    last_word: String,
    /// Treat the whole input as one statement (for [`describe`]).
    whole: bool,
}

impl<'a> Splitter<'a> {
    fn new(script: &'a str) -> Self {
        Self {
            src: script.as_bytes(),
            pos: 0,
            line: 1,
            out: Vec::new(),
            current: None,
            atomic: None,
            parens: 0,
            last_word: String::new(),
            whole: false,
        }
    }

    fn run(mut self) -> Vec<Statement> {
        while self.pos < self.src.len() {
            let c = self.src[self.pos];
            match c {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                c if c.is_ascii_whitespace() => self.pos += 1,
                b'-' if self.peek(1) == Some(b'-') => self.skip_line_comment(),
                b'/' if self.peek(1) == Some(b'*') => self.skip_block_comment(),
                b';' => {
                    self.touch();
                    self.pos += 1;
                    if self.atomic.is_none() && self.parens == 0 && !self.whole {
                        self.finish();
                    }
                }
                b'\'' => {
                    self.touch_non_word();
                    let escapes = self.prefix_is_escape_string();
                    self.skip_quoted(b'\'', escapes);
                }
                b'"' => {
                    self.touch_non_word();
                    self.skip_quoted(b'"', false);
                }
                b'$' if self.dollar_tag().is_some() => {
                    self.touch_non_word();
                    self.skip_dollar_quoted();
                }
                c if is_word_start(c) => {
                    self.touch();
                    self.word();
                }
                // Commas keep a statement "plain": `BEGIN ISOLATION LEVEL SERIALIZABLE, READ WRITE`.
                b',' => {
                    self.touch();
                    self.pos += 1;
                }
                b'(' | b')' => {
                    self.touch_non_word();
                    self.parens = if c == b'(' {
                        self.parens + 1
                    } else {
                        self.parens.saturating_sub(1)
                    };
                    self.pos += 1;
                }
                _ => {
                    self.touch_non_word();
                    self.pos += 1;
                }
            }
        }
        self.finish();
        self.out
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.src.get(self.pos + ahead).copied()
    }

    /// Marks that a significant character at `pos` belongs to the current statement.
    fn touch(&mut self) {
        if self.current.is_none() {
            self.current = Some(Statement {
                start: self.pos,
                end: self.pos,
                line: self.line,
                keywords: Vec::new(),
                plain: true,
            });
        }
    }

    fn touch_non_word(&mut self) {
        self.touch();
        if let Some(stmt) = self.current.as_mut() {
            stmt.plain = false;
        }
    }

    fn finish(&mut self) {
        if let Some(mut stmt) = self.current.take() {
            // A last statement without `;` ends at its last character, not in the whitespace
            // after it (the grammar's splitter draws it the same way).
            let trailing = self.src[stmt.start..self.pos]
                .iter()
                .rev()
                .take_while(|b| b.is_ascii_whitespace())
                .count();
            stmt.end = self.pos - trailing;
            self.out.push(stmt);
        }
        self.atomic = None;
        self.parens = 0;
        self.last_word.clear();
    }

    fn count_newlines(&mut self, from: usize, to: usize) {
        self.line += self.src[from..to].iter().filter(|&&b| b == b'\n').count();
    }

    fn skip_line_comment(&mut self) {
        while self.pos < self.src.len() && self.src[self.pos] != b'\n' {
            self.pos += 1;
        }
    }

    fn skip_block_comment(&mut self) {
        // PostgreSQL block comments nest.
        let start = self.pos;
        let mut depth = 0usize;
        while self.pos < self.src.len() {
            if self.src[self.pos] == b'/' && self.peek(1) == Some(b'*') {
                depth += 1;
                self.pos += 2;
            } else if self.src[self.pos] == b'*' && self.peek(1) == Some(b'/') {
                depth -= 1;
                self.pos += 2;
                if depth == 0 {
                    break;
                }
            } else {
                self.pos += 1;
            }
        }
        self.count_newlines(start, self.pos);
    }

    /// True when the quote at `pos` opens an `E'...'` string, where backslash escapes the quote.
    fn prefix_is_escape_string(&self) -> bool {
        if self.pos == 0 || !matches!(self.src[self.pos - 1], b'e' | b'E') {
            return false;
        }
        // `E` must be a token of its own, not the end of a word like `TYPE'...'`.
        self.pos < 2 || !is_word_char(self.src[self.pos - 2])
    }

    fn skip_quoted(&mut self, quote: u8, backslash_escapes: bool) {
        let start = self.pos;
        self.pos += 1;
        while self.pos < self.src.len() {
            let c = self.src[self.pos];
            if backslash_escapes && c == b'\\' {
                self.pos += 2;
            } else if c == quote {
                if self.peek(1) == Some(quote) {
                    self.pos += 2;
                } else {
                    self.pos += 1;
                    break;
                }
            } else {
                self.pos += 1;
            }
        }
        self.pos = self.pos.min(self.src.len());
        self.count_newlines(start, self.pos);
    }

    /// The `$tag$` opening at `pos`, if the `$` starts a dollar quote (and is not `$1` or part of
    /// an identifier such as `a$b`).
    fn dollar_tag(&self) -> Option<&'a [u8]> {
        if self.pos > 0 && is_word_char(self.src[self.pos - 1]) {
            return None;
        }
        let rest = &self.src[self.pos + 1..];
        let len = rest
            .iter()
            .take_while(|&&c| is_word_char(c) && c != b'$')
            .count();
        if rest.first().is_some_and(u8::is_ascii_digit) || rest.get(len) != Some(&b'$') {
            return None;
        }
        Some(&self.src[self.pos..self.pos + len + 2])
    }

    fn skip_dollar_quoted(&mut self) {
        let tag = self.dollar_tag().expect("caller checked dollar_tag");
        let start = self.pos;
        self.pos += tag.len();
        match find(&self.src[self.pos..], tag) {
            Some(offset) => self.pos += offset + tag.len(),
            None => self.pos = self.src.len(),
        }
        self.count_newlines(start, self.pos);
    }

    fn word(&mut self) {
        let start = self.pos;
        while self.pos < self.src.len() && is_word_char(self.src[self.pos]) {
            self.pos += 1;
        }
        let word = String::from_utf8_lossy(&self.src[start..self.pos]).to_ascii_uppercase();
        let stmt = self.current.as_mut().expect("touch() opened a statement");
        if stmt.keywords.len() < KEYWORDS_KEPT {
            stmt.keywords.push(word.clone());
        }
        self.track_atomic(&word);
        self.last_word = word;
    }

    /// `CREATE FUNCTION ... BEGIN ATOMIC ...; ...; END` holds semicolons that do not end the
    /// statement; `CASE ... END` inside such a body must not close it early.
    fn track_atomic(&mut self, word: &str) {
        let is_routine = self
            .current
            .as_ref()
            .is_some_and(|s| s.keywords.first().is_some_and(|k| k == "CREATE"));
        match (self.atomic, word) {
            (None, "ATOMIC") if is_routine && self.last_word == "BEGIN" => self.atomic = Some(0),
            (Some(depth), "CASE") => self.atomic = Some(depth + 1),
            (Some(0), "END") => self.atomic = None,
            (Some(depth), "END") => self.atomic = Some(depth - 1),
            _ => {}
        }
    }
}

/// Whether `c` can start a word (a keyword or an unquoted identifier).
pub(crate) fn is_word_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_' || c >= 0x80
}

/// Whether `c` can continue a word.
pub(crate) fn is_word_char(c: u8) -> bool {
    c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// What a statement does to the surrounding transaction, if anything.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TransactionControl {
    /// `BEGIN` / `START TRANSACTION` with no options.
    Begin,
    /// `BEGIN` / `START TRANSACTION` with options (isolation level, read only, ...).
    BeginWithOptions,
    /// `COMMIT` / `END`.
    Commit,
    /// `ROLLBACK` / `ABORT` (not `ROLLBACK TO SAVEPOINT`).
    Rollback,
    /// `PREPARE TRANSACTION`, `COMMIT PREPARED`, `ROLLBACK PREPARED`.
    TwoPhase,
}

/// Classifies `stmt` as transaction control, or `None` for ordinary statements.
pub fn transaction_control(stmt: &Statement) -> Option<TransactionControl> {
    let k: Vec<&str> = stmt.keywords.iter().map(String::as_str).collect();
    if let ["COMMIT", "PREPARED", ..]
    | ["ROLLBACK", "PREPARED", ..]
    | ["PREPARE", "TRANSACTION", ..] = k.as_slice()
    {
        return Some(TransactionControl::TwoPhase);
    }
    // `END $$;` or `BEGIN raise 'x';` are not transaction control but broken scripts: the server
    // reports them with their position when they run.
    if !stmt.plain {
        return None;
    }
    let is_noise = |w: Option<&&str>| {
        matches!(
            w,
            None | Some(&"WORK") | Some(&"TRANSACTION") | Some(&"AND")
        )
    };
    match k.as_slice() {
        ["BEGIN", rest @ ..] | ["START", "TRANSACTION", rest @ ..] => {
            match rest.iter().find(|w| **w != "WORK" && **w != "TRANSACTION") {
                None => Some(TransactionControl::Begin),
                Some(&"ISOLATION" | &"READ" | &"NOT" | &"DEFERRABLE") => {
                    Some(TransactionControl::BeginWithOptions)
                }
                Some(_) => None,
            }
        }
        ["COMMIT", rest @ ..] | ["END", rest @ ..] if is_noise(rest.first()) => {
            Some(TransactionControl::Commit)
        }
        ["ROLLBACK", rest @ ..] | ["ABORT", rest @ ..] if !rest.contains(&"TO") => {
            Some(TransactionControl::Rollback)
        }
        _ => None,
    }
}

#[cfg(test)]
#[path = "sql_tests.rs"]
mod tests;
