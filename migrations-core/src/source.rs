//! What a single SQL file means: its normalised text, checksum, directives and transaction mode.

use sha2::{Digest, Sha256};

use std::ops::Range;

use crate::revision::{Checksum, Language, Revision, TransactionMode};
use crate::sql::{self, TransactionControl};

/// The prefix of a directive line. Only the first line of `up.sql` may hold one.
pub const DIRECTIVE_PREFIX: &str = "-- migrate:";

/// Every directive [`parse_directives`] knows, for error messages and docs.
pub const KNOWN_DIRECTIVES: &[&str] = &[
    "no-transaction",
    "irreversible",
    "lock-timeout=<duration>",
    "statement-timeout=<duration>",
];

/// Normalises file bytes into the text that is checksummed, embedded and executed:
/// a leading UTF-8 BOM is stripped and CRLF line ends become LF.
///
/// Returns the 1-based line and the byte offset of the first invalid byte for non-UTF-8 input.
pub fn normalise(bytes: &[u8]) -> Result<String, (usize, usize)> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        (bytes[..at].iter().filter(|&&b| b == b'\n').count() + 1, at)
    })?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    Ok(text.replace("\r\n", "\n"))
}

/// SHA-256 of the normalised text ([`crate::ChecksumAlgorithm::Sha256`]).
pub fn checksum(normalised: &str) -> Checksum {
    Checksum(Sha256::digest(normalised.as_bytes()).into())
}

/// Options declared on the first line of `up.sql`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Directives {
    /// `no-transaction` (or sqlx's `-- no-transaction`).
    pub no_transaction: bool,
    /// `irreversible`: the revision has no down script on purpose.
    pub irreversible: bool,
    /// `lock-timeout=5s`: the revision's `lock_timeout`, in milliseconds (0: no limit).
    pub lock_timeout_ms: Option<u64>,
    /// `statement-timeout=10min`: the revision's `statement_timeout`, in milliseconds.
    pub statement_timeout_ms: Option<u64>,
}

/// A directive problem, reported with the file it occurs in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DirectiveDefect {
    /// A name that is not in [`KNOWN_DIRECTIVES`].
    Unknown {
        /// The unknown directive as written.
        directive: String,
    },
    /// A duration directive whose value is not a duration.
    InvalidValue {
        /// The directive's name.
        directive: String,
        /// The value as written.
        value: String,
    },
    /// A `-- migrate:` line that is not the first line, where it would be ignored.
    NotFirstLine {
        /// 1-based line number.
        line: usize,
    },
}

/// Parses the directive line of `up.sql`: `-- migrate: no-transaction, irreversible`.
pub fn parse_directives(text: &str) -> Result<Directives, DirectiveDefect> {
    parse_directives_in(text, Language::Sql)
}

/// [`parse_directives`] for a script in `language`: a Rust file writes its directive line as a
/// Rust comment, `// migrate: irreversible`.
pub fn parse_directives_in(text: &str, language: Language) -> Result<Directives, DirectiveDefect> {
    let mut directives = Directives::default();
    for (index, line) in text.lines().enumerate() {
        let Some(list) = directive_list_in(line, language) else {
            continue;
        };
        if index > 0 {
            return Err(DirectiveDefect::NotFirstLine { line: index + 1 });
        }
        for word in list.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            let (name, value) = match word.split_once('=') {
                Some((name, value)) => (name.trim(), Some(value.trim())),
                None => (word, None),
            };
            let duration = || {
                value
                    .and_then(parse_duration_ms)
                    .ok_or_else(|| DirectiveDefect::InvalidValue {
                        directive: name.to_owned(),
                        value: value.unwrap_or_default().to_owned(),
                    })
            };
            match name {
                "no-transaction" if value.is_none() => directives.no_transaction = true,
                "irreversible" if value.is_none() => directives.irreversible = true,
                "lock-timeout" => directives.lock_timeout_ms = Some(duration()?),
                "statement-timeout" => directives.statement_timeout_ms = Some(duration()?),
                _ => {
                    let other = word;
                    return Err(DirectiveDefect::Unknown {
                        directive: other.to_owned(),
                    });
                }
            }
        }
    }
    // sqlx marks non-transactional files with this exact first line; honour it for imports.
    if language == Language::Sql
        && text
            .lines()
            .next()
            .is_some_and(|l| l.trim() == "-- no-transaction")
    {
        directives.no_transaction = true;
    }
    Ok(directives)
}

/// Milliseconds of a duration: a whole number with a unit (`ms`, `s`, `min`, `h`, `d`), or `0`
/// for no limit. A bare number is refused rather than read as milliseconds, as PostgreSQL would:
/// `lock-timeout=600` meant as seconds would otherwise become 0.6 s.
pub fn parse_duration_ms(text: &str) -> Option<u64> {
    let text = text.trim();
    let digits = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..digits].parse().ok()?;
    let factor = match text[digits..].trim() {
        "" if number == 0 => 1,
        "ms" => 1,
        "s" => 1_000,
        "min" => 60_000,
        "h" => 3_600_000,
        "d" => 86_400_000,
        _ => return None,
    };
    // PostgreSQL's limit for these settings (INT_MAX milliseconds).
    number
        .checked_mul(factor)
        .filter(|&ms| ms <= i32::MAX as u64)
}

/// The directive list of a line, if it is a directive line (`--migrate:` spacing tolerated).
pub fn directive_list(line: &str) -> Option<&str> {
    directive_list_in(line, Language::Sql)
}

/// [`directive_list`] for a script in `language` (`// migrate:` in Rust).
pub fn directive_list_in(line: &str, language: Language) -> Option<&str> {
    let comment = match language {
        Language::Sql => "--",
        Language::Rust => "//",
    };
    let rest = line.trim_start().strip_prefix(comment)?.trim_start();
    rest.strip_prefix("migrate:")
}

/// How a script interacts with transactions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionAnalysis {
    /// The mode to run it in.
    pub mode: TransactionMode,
    /// The text to execute: equal to the input except for [`TransactionMode::Own`], where the
    /// file's own `BEGIN` and `COMMIT` are blanked out (same length, so server error positions
    /// still point at the right line and column) and the body runs in our transaction.
    pub executable: String,
    /// The statements of `executable` (without the blanked `BEGIN` and `COMMIT`).
    pub statements: Vec<Range<usize>>,
}

/// A script whose transaction control cannot be honoured as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TransactionDefect {
    /// 1-based line of the offending statement.
    pub line: usize,
    /// The statement, trimmed to its first line.
    pub statement: String,
    /// Why it cannot run.
    pub reason: &'static str,
}

/// Decides how to run `text`, whose statements are `statements` (from [`crate::syntax::split`]),
/// given whether the revision is declared `no-transaction`.
///
/// A file that wraps its whole body in one `BEGIN; ... COMMIT;` runs as that one transaction
/// (with the history row inside it). Any other transaction control in a transactional revision
/// is refused: silently wrapping it in our transaction would commit part of the file early.
pub fn analyse_transactions(
    text: &str,
    statements: &[Range<usize>],
    no_transaction: bool,
) -> Result<TransactionAnalysis, TransactionDefect> {
    let ranges = statements;
    if no_transaction {
        return Ok(TransactionAnalysis {
            mode: TransactionMode::None,
            executable: text.to_owned(),
            statements: ranges.to_vec(),
        });
    }
    let controls: Vec<(usize, TransactionControl)> = ranges
        .iter()
        .enumerate()
        .filter(|(_, r)| may_control_transactions(&text[(*r).clone()]))
        .filter_map(|(i, r)| {
            sql::transaction_control(&sql::describe(text, r.clone())).map(|c| (i, c))
        })
        .collect();
    let defect = |i: usize, reason: &'static str| {
        let stmt = sql::describe(text, ranges[i].clone());
        let first_line = stmt
            .text(text)
            .lines()
            .next()
            .unwrap_or_default()
            .trim()
            .to_owned();
        TransactionDefect {
            line: stmt.line,
            statement: first_line,
            reason,
        }
    };
    // The specific defects win wherever they stand: they need different advice than a stray COMMIT.
    let specific = controls.iter().find_map(|&(i, c)| match c {
        TransactionControl::TwoPhase => Some(defect(i, TWO_PHASE)),
        TransactionControl::BeginWithOptions => Some(defect(i, BEGIN_WITH_OPTIONS)),
        _ => None,
    });
    if let Some(found) = specific {
        return Err(found);
    }
    match controls.as_slice() {
        [] => Ok(TransactionAnalysis {
            mode: TransactionMode::Wrapped,
            executable: text.to_owned(),
            statements: ranges.to_vec(),
        }),
        [(0, TransactionControl::Begin), (last, TransactionControl::Commit)]
            if *last == ranges.len() - 1 =>
        {
            let mut executable = text.to_owned();
            blank(&mut executable, ranges[0].start, ranges[0].end);
            blank(&mut executable, ranges[*last].start, ranges[*last].end);
            Ok(TransactionAnalysis {
                mode: TransactionMode::Own,
                executable,
                statements: ranges[1..*last].to_vec(),
            })
        }
        [(i, _), ..] => Err(defect(*i, PARTIAL)),
    }
}

/// False when `statement` certainly is not transaction control, decided without lexing it
/// whole: [`sql::transaction_control`] looks at the first word, which is the statement's first
/// token when that starts like a word. Describing every statement of every script at opt-level 0
/// (the macro's) was a visible part of the build.
fn may_control_transactions(statement: &str) -> bool {
    let word_len = statement
        .bytes()
        .take_while(|&b| sql::is_word_char(b))
        .count();
    if !statement.bytes().next().is_some_and(sql::is_word_start) {
        return true;
    }
    const CONTROL: [&str; 7] = [
        "BEGIN", "START", "COMMIT", "END", "ROLLBACK", "ABORT", "PREPARE",
    ];
    CONTROL
        .iter()
        .any(|w| statement[..word_len].eq_ignore_ascii_case(w))
}

const TWO_PHASE: &str = "two-phase commit cannot run inside a migration: prepare and commit such transactions outside the migration tool";
const BEGIN_WITH_OPTIONS: &str = "BEGIN with options (isolation level, read only, deferrable) cannot be honoured inside the runner's transaction: declare `-- migrate: no-transaction` so the file's own BEGIN ... COMMIT runs as written";
const PARTIAL: &str = "the file controls transactions itself but does not wrap its whole body in one BEGIN ... COMMIT: remove its BEGIN/COMMIT (every revision already runs in one transaction), split it into one revision per transaction, or declare `-- migrate: no-transaction` to run it statement by statement";

/// Replaces `text[start..end]` with spaces, keeping newlines, so offsets stay valid.
fn blank(text: &mut String, start: usize, end: usize) {
    let replaced: String = text[start..end]
        .chars()
        .map(|c| if c == '\n' { '\n' } else { ' ' })
        .collect();
    text.replace_range(start..end, &replaced);
}

/// True when the script has at least one statement (not empty, not only comments).
pub fn has_statements(text: &str) -> bool {
    !sql::split(text).is_empty()
}

/// Reading a revision's directives lives here, with their parser, so that `revision` needs
/// nothing of this module.
impl Revision {
    /// The directives on the first line of `up.sql` (or `up.rs`; the macro has validated them;
    /// a revision built by hand with a bad line gets the defaults).
    pub fn directives(&self) -> Directives {
        parse_directives_in(self.up().sql(), self.up().language()).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`analyse_transactions`] on the statements the configured splitter draws.
    fn analyse_transactions(
        text: &str,
        no_transaction: bool,
    ) -> Result<TransactionAnalysis, TransactionDefect> {
        super::analyse_transactions(text, &crate::syntax::split(text).0, no_transaction)
    }

    #[test]
    fn normalise_strips_bom_and_crlf() {
        assert_eq!(
            normalise(b"\xef\xbb\xbfSELECT 1;\r\nSELECT 2;\r\n").as_deref(),
            Ok("SELECT 1;\nSELECT 2;\n")
        );
        assert_eq!(normalise(b"SELECT 1;\n\xff"), Err((2, 10)));
    }

    #[test]
    fn checksum_is_over_normalised_text() {
        let a = checksum(&normalise(b"SELECT 1;\r\n").expect("utf8"));
        let b = checksum(&normalise(b"SELECT 1;\n").expect("utf8"));
        assert_eq!(a, b);
        assert_eq!(a.to_hex().len(), 64);
    }

    #[test]
    fn directives() {
        assert_eq!(parse_directives("SELECT 1;"), Ok(Directives::default()));
        let d =
            parse_directives("-- migrate: lock-timeout=5s, statement-timeout = 2min\nSELECT 1;")
                .expect("durations");
        assert_eq!(
            (d.lock_timeout_ms, d.statement_timeout_ms),
            (Some(5_000), Some(120_000))
        );
        assert_eq!(
            parse_directives("-- migrate: lock-timeout=0\n").map(|d| d.lock_timeout_ms),
            Ok(Some(0))
        );
        for bad in [
            "lock-timeout=600",
            "lock-timeout=5 seconds",
            "lock-timeout",
            "statement-timeout=-1s",
            "lock-timeout=1.5s",
            "lock-timeout=999999h",
        ] {
            assert!(
                matches!(
                    parse_directives(&format!("-- migrate: {bad}\n")),
                    Err(DirectiveDefect::InvalidValue { .. })
                ),
                "{bad}"
            );
        }
        assert!(matches!(
            parse_directives("-- migrate: irreversible=yes\n"),
            Err(DirectiveDefect::Unknown { .. })
        ));
        let d = parse_directives(
            "-- migrate: no-transaction, irreversible\nCREATE INDEX CONCURRENTLY i ON t (x);",
        )
        .expect("valid");
        assert!(d.no_transaction && d.irreversible);
        assert!(
            parse_directives("-- no-transaction\nVACUUM;")
                .expect("valid")
                .no_transaction
        );
        assert_eq!(
            parse_directives("-- migrate: no-transactoin\n"),
            Err(DirectiveDefect::Unknown {
                directive: "no-transactoin".into()
            })
        );
        assert_eq!(
            parse_directives("SELECT 1;\n-- migrate: irreversible\n"),
            Err(DirectiveDefect::NotFirstLine { line: 2 })
        );
    }

    #[test]
    fn own_transaction_is_unwrapped_keeping_positions() {
        let text = "BEGIN;\nCREATE TABLE t (x int);\nCOMMIT;\n";
        let got = analyse_transactions(text, false).expect("whole-file transaction");
        assert_eq!(got.mode, TransactionMode::Own);
        assert_eq!(got.executable.len(), text.len());
        assert_eq!(got.executable, "      \nCREATE TABLE t (x int);\n       \n");
        assert_eq!(got.statements, vec![std::ops::Range { start: 7, end: 30 }]);
    }

    #[test]
    fn partial_transaction_control_is_refused() {
        let err = analyse_transactions(
            "CREATE TABLE t (x int);\nCOMMIT;\nCREATE TABLE u (x int);",
            false,
        )
        .expect_err("refused");
        assert_eq!((err.line, err.statement.as_str()), (2, "COMMIT;"));
        assert!(analyse_transactions(
            "BEGIN ISOLATION LEVEL SERIALIZABLE;\nSELECT 1;\nCOMMIT;",
            false
        )
        .is_err());
        // Regression: a later two-phase statement used to be reported as the first BEGIN.
        let err = analyse_transactions("BEGIN;\nSELECT 1;\nPREPARE TRANSACTION 'x';", false)
            .expect_err("refused");
        assert_eq!((err.line, err.reason), (3, TWO_PHASE));
        // Non-transactional revisions run statement by statement, so their own control is fine.
        assert_eq!(
            analyse_transactions("COMMIT;", true).expect("allowed").mode,
            TransactionMode::None
        );
    }

    #[test]
    fn the_quick_transaction_check_never_misses_control() {
        let statements = [
            "BEGIN;",
            "begin work;",
            "START TRANSACTION;",
            "COMMIT;",
            "End;",
            "ROLLBACK;",
            "abort;",
            "PREPARE TRANSACTION 'x';",
            "COMMIT PREPARED 'x';",
            "SELECT 1;",
            "CREATE TABLE t (x int);",
            "(SELECT 1);",
            "'x' COMMIT PREPARED 'y';",
            "beginning;",
        ];
        for statement in statements {
            let control = sql::transaction_control(&sql::describe(statement, 0..statement.len()));
            assert!(
                control.is_none() || may_control_transactions(statement),
                "{statement}"
            );
        }
        assert!(!may_control_transactions("CREATE INDEX i ON t (x);"));
    }

    #[test]
    fn plpgsql_bodies_are_not_transaction_control() {
        let text = "CREATE FUNCTION f() RETURNS void AS $$\nBEGIN\n  PERFORM 1;\nEND;\n$$ LANGUAGE plpgsql;";
        assert_eq!(
            analyse_transactions(text, false).expect("fine").mode,
            TransactionMode::Wrapped
        );
    }
}
