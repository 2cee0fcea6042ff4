//! Everything the scan reports: problems (fatal), warnings, notes and ignored entries.
//!
//! Paths are shown as the user wrote the directory (`migrations/003_x/up.sql`), so the same
//! message reads right as a compile error and on the CLI.

use std::fmt;

use thiserror::Error;

/// A defect in a migrations directory. The scan collects all of them before failing.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Problem {
    /// The directory does not exist.
    #[error("migrations directory `{dir}` does not exist: create it, or correct the path")]
    DirectoryMissing {
        /// The directory as given.
        dir: String,
    },
    /// The path exists but is not a directory.
    #[error("`{dir}` is not a directory: point at the directory that holds the revisions")]
    NotADirectory {
        /// The path as given.
        dir: String,
    },
    /// An I/O error while reading.
    #[error("cannot read `{path}`: {message}; check its permissions")]
    Unreadable {
        /// The file or directory.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// A name that starts like a revision but does not parse.
    #[error("`{path}` looks like a revision but its name does not parse: {reason}")]
    BadName {
        /// The entry.
        path: String,
        /// What is wrong and how to name it.
        reason: String,
    },
    /// A directory holding migration scripts whose name has no version.
    #[error("directory `{path}` holds {script} but its name has no version: rename it `<version>_{name}` (e.g. `{example}_{name}`)")]
    Unversioned {
        /// The directory.
        path: String,
        /// Its name.
        name: String,
        /// `up.sql` or `down.sql`.
        script: String,
        /// A version the user could use.
        example: String,
    },
    /// Two revisions share a version.
    #[error("version {version} is used by more than one revision ({}): renumber the one not yet applied anywhere to {next} (`migrate rebase NAME` does it and rewrites the lock file)", paths.join(", "))]
    DuplicateVersion {
        /// The shared version.
        version: String,
        /// The revisions using it.
        paths: Vec<String>,
        /// A free version to suggest.
        next: String,
    },
    /// A revision directory without `up.sql`.
    #[error("revision `{path}` has no up.sql: add `{path}/up.sql` with the revision's SQL (or `{path}/up.rs` with a Rust function)")]
    MissingUp {
        /// The revision directory.
        path: String,
    },
    /// A revision without a down script that is not declared irreversible.
    #[error("revision `{revision}` has no down script: {fix}, or declare it irreversible with `-- migrate: irreversible` as the first line of `{up}` (for a directory imported from another tool, accept up-only revisions with `allow_up_only = true` / `migrate --allow-up-only`)")]
    MissingDown {
        /// The revision label.
        revision: String,
        /// The up file.
        up: String,
        /// The file to add (or rename).
        fix: String,
    },
    /// A down script whose up script is missing (flat layout).
    #[error("`{path}` has no matching up script: add `{expected}`, or delete the down script")]
    DownWithoutUp {
        /// The down file.
        path: String,
        /// The up file expected beside it.
        expected: String,
    },
    /// Up and down files of one version with different names (flat layout).
    #[error("`{up}` and `{down}` share a version but not a name: rename one so the names match")]
    MismatchedPair {
        /// The up file.
        up: String,
        /// The down file.
        down: String,
    },
    /// A direction with both an SQL and a Rust script.
    #[error("revision `{revision}` has both `{sql}` and `{rust}`: a direction is one script, SQL or Rust; delete one (call SQL from Rust with `tx.batch_execute` if both are needed)")]
    TwoScripts {
        /// The revision label.
        revision: String,
        /// The SQL file.
        sql: String,
        /// The Rust file.
        rust: String,
    },
    /// A directive or option that a Rust revision cannot honour.
    #[error("`{path}`: {reason}")]
    RustRevision {
        /// The Rust file (or the options file).
        path: String,
        /// What does not apply and what to write instead.
        reason: String,
    },
    /// An up script that is empty or only whitespace.
    #[error("`{path}` is empty: write the revision's SQL (a comment explaining a deliberate no-op is enough), or delete the revision")]
    EmptyUp {
        /// The up file.
        path: String,
    },
    /// A file that is not valid UTF-8.
    #[error("`{path}` is not valid UTF-8 (first bad byte at offset {offset}, line {line}): re-save it as UTF-8")]
    NotUtf8 {
        /// The file.
        path: String,
        /// 1-based line of the first invalid byte.
        line: usize,
        /// Byte offset of the first invalid byte.
        offset: usize,
    },
    /// A file inside a revision directory that looks like a misnamed script or options file.
    #[error("`{path}` {hint}")]
    StrayFile {
        /// The file.
        path: String,
        /// What is wrong with it and what to do.
        hint: String,
    },
    /// `up.sql`, `down.sql` or `metadata.toml` directly in the migrations directory.
    #[error("`{path}` is directly in the migrations directory: move it into a revision directory, e.g. `{example}`")]
    MisplacedScript {
        /// The file.
        path: String,
        /// Where it could go.
        example: String,
    },
    /// The lock file has git's conflict markers: two branches each added revisions.
    #[error("`{path}` has a git merge conflict (line {line}): two branches each added revisions ({sides}). Keep both branches' revision directories and run `migrate --dir {dir} rebase REV` with the revision of the branch merged second: it renumbers it after the head and rewrites the lock file")]
    LockConflict {
        /// The lock file.
        path: String,
        /// The migrations directory, as the fix names it.
        dir: String,
        /// The line of the first marker.
        line: usize,
        /// The revisions on each side, for people (`004_a on one side, 004_b on the other`).
        sides: String,
    },
    /// The lock file does not match the directory: the first revision at which they part ways.
    #[error("`{path}` disagrees with the directory at revision `{revision}`: {reason}")]
    LockStale {
        /// The lock file.
        path: String,
        /// The revision's name on disk.
        revision: String,
        /// What differs and the command that fixes it.
        reason: String,
    },
    /// A line of the lock file that is not a lock line.
    #[error("`{path}` line {line} is not a lock file line (edited by hand?): run `migrate --dir {dir} lock` to rewrite the file")]
    LockMalformed {
        /// The lock file.
        path: String,
        /// The migrations directory, as the fix names it.
        dir: String,
        /// The line.
        line: usize,
    },
    /// The baseline directory cannot be used as it is: a file missing, a manifest line that is
    /// not one, a `no-transaction` or edited `up.sql`.
    #[error("`{path}` {reason}")]
    BaselineInvalid {
        /// The file (or the baseline directory).
        path: String,
        /// What is wrong and the command that fixes it.
        reason: String,
    },
    /// The revisions no longer are the ones the baseline was proven equal to.
    #[error("the baseline `{path}` no longer matches revision `{revision}`: {reason}")]
    BaselineStale {
        /// The baseline's manifest.
        path: String,
        /// The revision's name on disk.
        revision: String,
        /// What differs and the command that fixes it.
        reason: String,
    },
    /// An unknown `-- migrate:` directive.
    #[error("`{path}` line 1 has unknown directive `{directive}`: known directives are {known}")]
    UnknownDirective {
        /// The up file.
        path: String,
        /// The directive as written.
        directive: String,
        /// Known directives, comma separated.
        known: String,
    },
    /// A duration directive with a value that is not a duration.
    #[error("`{path}`: `{directive}={value}` is not a duration: write a whole number and a unit, e.g. `-- migrate: {directive}=5s` (units ms, s, min, h, d; 0 means no limit)")]
    InvalidDirectiveValue {
        /// The up file.
        path: String,
        /// The directive.
        directive: String,
        /// The value as written.
        value: String,
    },
    /// A `-- migrate:` line below the first line.
    #[error("`{path}` line {line} is a `-- migrate:` directive, but directives are read only on the first line of up.sql: move it there")]
    MisplacedDirective {
        /// The file.
        path: String,
        /// Its line.
        line: usize,
    },
    /// A bad `metadata.toml`.
    #[error("`{path}` line {line}: {message}")]
    Metadata {
        /// The metadata file.
        path: String,
        /// 1-based line.
        line: usize,
        /// What is wrong and what is accepted.
        message: String,
    },
    /// Transaction control that cannot be honoured.
    #[error("`{path}` line {line} has `{statement}`: {reason}")]
    TransactionControl {
        /// The file.
        path: String,
        /// 1-based line of the statement.
        line: usize,
        /// The statement.
        statement: String,
        /// Why it is refused.
        reason: String,
    },
    /// An irreversible revision that also has a down script with statements.
    #[error("revision `{revision}` is declared irreversible but `{down}` has statements: delete the down script, or remove `irreversible` from the directive")]
    IrreversibleWithDown {
        /// The revision label.
        revision: String,
        /// The down file.
        down: String,
    },
    /// Directory and flat revisions in one directory.
    #[error("`{dir}` mixes revision directories (`{directory}`) and flat files (`{file}`): use one layout")]
    MixedLayouts {
        /// The migrations directory.
        dir: String,
        /// A directory revision.
        directory: String,
        /// A flat revision file.
        file: String,
    },
}

impl Problem {
    /// True for the defects of `migrations.lock` (see [`crate::lock`]), which the commands
    /// that rewrite it look past.
    pub fn is_lock(&self) -> bool {
        matches!(
            self,
            Self::LockConflict { .. } | Self::LockStale { .. } | Self::LockMalformed { .. }
        )
    }
}

/// Something legal but worth a compile warning.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Warning {
    /// Directory versions whose string order (diesel's, used) differs from numeric order.
    #[error("`{first}` runs before `{second}` because directory versions are compared as strings (as diesel does), although numerically `{first}` comes after `{second}`: pad versions to the same width so both orders agree")]
    OrderDisagreement {
        /// Runs first.
        first: String,
        /// Runs second.
        second: String,
    },
}

/// Facts `check --verbose` reports about revisions that load fine.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum Note {
    /// A down script with no statements: downgrading past it changes nothing.
    #[error("`{path}` has no statements: downgrading past it changes nothing")]
    EmptyDown {
        /// The down file.
        path: String,
    },
    /// An up script with only comments: applying it just records the revision.
    #[error("`{path}` has only comments: applying it records the revision and changes nothing")]
    CommentOnlyUp {
        /// The up file.
        path: String,
    },
    /// A file that wraps itself in `BEGIN; ... COMMIT;`.
    #[error("`{path}` wraps its body in its own BEGIN ... COMMIT: it runs as that one transaction, with the history row inside")]
    OwnTransaction {
        /// The file.
        path: String,
    },
    /// An up-only revision accepted as irreversible because the scan allowed it.
    #[error(
        "`{path}` has no down script and is loaded as irreversible (up-only revisions allowed)"
    )]
    UpOnly {
        /// The up file.
        path: String,
    },
    /// A declared non-transactional revision.
    #[error("`{path}` runs outside a transaction, one statement at a time")]
    NoTransaction {
        /// The up file.
        path: String,
    },
}

/// An entry the scan skipped because it is clearly not a migration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ignored {
    /// The entry.
    pub path: String,
    /// Why it is not a migration.
    pub reason: &'static str,
}

/// The char boundary at or before byte `at` of `text`.
fn floor_char_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

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
