//! Revisions and their scripts: what `embed_migrations!` embeds and what the runtime applies
//! (the ordered table of them is [`crate::Migrations`]).
//!
//! Every text is a `Cow<'static, str>` so the same types hold compile-time data (borrowed from
//! the binary) and directories loaded at run time by the CLI (owned), with no leaking.

use std::any::Any;
use std::borrow::Cow;
use std::fmt;
use std::ops::Range;

use crate::problem::SyntaxError;
use crate::sql::{self, Statement};

/// A SHA-256 digest of a revision's normalised up script ([`ChecksumAlgorithm`] says how it
/// was normalised).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Checksum(pub [u8; 32]);

impl Checksum {
    /// Lowercase hex, 64 characters.
    pub fn to_hex(&self) -> String {
        self.0.iter().map(|b| format!("{b:02x}")).collect()
    }

    /// The checksum 64 hex digits spell, as [`Checksum::to_hex`] writes it.
    ///
    /// ```
    /// use migrations_core::Checksum;
    /// let c = Checksum([7; 32]);
    /// assert_eq!(Checksum::from_hex(&c.to_hex()), Some(c));
    /// assert_eq!(Checksum::from_hex("07"), None);
    /// ```
    pub fn from_hex(hex: &str) -> Option<Checksum> {
        if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return None;
        }
        let mut bytes = [0u8; 32];
        for (i, byte) in bytes.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&hex[2 * i..2 * i + 2], 16).ok()?;
        }
        Some(Checksum(bytes))
    }

    /// The first 12 hex digits, for tables meant for humans.
    pub fn short(&self) -> String {
        self.to_hex()[..12].to_owned()
    }
}

impl fmt::Debug for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Checksum({})", self.to_hex())
    }
}

impl fmt::Display for Checksum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// Which algorithm produced a [`Checksum`]. Stored beside every checksum in the history table
/// (as [`ChecksumAlgorithm::id`]) so the algorithm can change without invalidating old rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChecksumAlgorithm {
    /// SHA-256 over the normalised text of `up.sql` (BOM stripped, CRLF as LF). Id 1.
    Sha256,
    /// SHA-256 over the normal form of `up.rs`, in which comments, layout and trailing commas
    /// do not count ([`crate::rust::normal_form`]). Id 2.
    RustSource,
}

impl ChecksumAlgorithm {
    /// The algorithm every SQL revision of this version of the crate uses.
    pub const CURRENT: Self = Self::Sha256;

    /// The algorithm for a revision whose up script is in `language`.
    pub const fn for_language(language: Language) -> Self {
        match language {
            Language::Sql => Self::Sha256,
            Language::Rust => Self::RustSource,
        }
    }

    /// The id stored in the history table.
    pub const fn id(self) -> i16 {
        match self {
            Self::Sha256 => 1,
            Self::RustSource => 2,
        }
    }

    /// The algorithm with a stored id, if this build knows it.
    pub const fn from_id(id: i16) -> Option<Self> {
        match id {
            1 => Some(Self::Sha256),
            2 => Some(Self::RustSource),
            _ => None,
        }
    }
}

/// The checksum of an up script in `language`, from its normalised text
/// ([`crate::source::normalise`]): what the history records.
pub fn checksum_of(language: Language, normalised: &str) -> Checksum {
    match language {
        Language::Sql => crate::source::checksum(normalised),
        Language::Rust => crate::rust::checksum(normalised),
    }
}

/// How a script is executed with respect to transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TransactionMode {
    /// The runner wraps the script and its history row in one transaction (the default).
    Wrapped,
    /// The file wraps its whole body in `BEGIN; ... COMMIT;` itself. The runner executes the body
    /// (with those two statements blanked out) as that one transaction, history row included.
    Own,
    /// Declared `no-transaction`: statements run one at a time outside any transaction, for
    /// `CREATE INDEX CONCURRENTLY`, `ALTER TYPE ... ADD VALUE`, `VACUUM`.
    None,
}

/// How the directory names its revisions, which also decides the order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Layout {
    /// `<version>_<slug>/up.sql`: ordered as diesel does, by version with dashes removed,
    /// compared as strings.
    Directories,
    /// `<version>_<slug>.up.sql`: ordered as sqlx does, by version as an integer.
    Flat,
}

impl Layout {
    /// How two canonical versions of this layout are ordered: as text for directories (diesel),
    /// as integers for flat files (sqlx), as text when one is not a number.
    ///
    /// ```
    /// use migrations_core::Layout;
    /// use std::cmp::Ordering;
    /// assert_eq!(Layout::Directories.compare("10", "9"), Ordering::Less);
    /// assert_eq!(Layout::Flat.compare("10", "9"), Ordering::Greater);
    /// ```
    pub fn compare(self, a: &str, b: &str) -> std::cmp::Ordering {
        match (self, a.parse::<u128>(), b.parse::<u128>()) {
            (Self::Flat, Ok(x), Ok(y)) => x.cmp(&y),
            _ => a.cmp(b),
        }
    }
}

/// What a script is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Language {
    /// `up.sql` / `down.sql`: statements the runner sends.
    Sql,
    /// `up.rs` / `down.rs`: a function the embedding crate compiles (see [`Code`]).
    Rust,
}

/// The compiled function of a Rust script, as `embed_migrations!` emits it: opaque to this
/// crate, which has no database client; the runtime downcasts it to its own type
/// (`migrations_runtime::code::Code`). A table read from disk at run time has none.
#[derive(Clone, Copy)]
pub struct Code(pub &'static (dyn Any + Send + Sync));

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Code(compiled)")
    }
}

/// Whether a script carries its compiled function. Equality ignores it: a table embedded at
/// compile time equals the same directory loaded at run time, as its source text and checksum
/// do.
#[derive(Debug, Clone, Copy)]
struct Compiled(Option<Code>);

impl PartialEq for Compiled {
    fn eq(&self, _: &Self) -> bool {
        true
    }
}

impl Eq for Compiled {}

/// One script of a revision: SQL, or the source of a Rust function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Script {
    file: Cow<'static, str>,
    sql: Cow<'static, str>,
    transaction: TransactionMode,
    language: Language,
    /// The compiled function of a Rust script embedded by the macro.
    code: Compiled,
    /// `None` for scripts built by hand with [`Script::__new`]: drawn when asked.
    statements: Option<Vec<Range<usize>>>,
    /// Where PostgreSQL's grammar rejects the script, if it does (boxed: it is rare and large).
    syntax_error: Option<Box<SyntaxError>>,
}

impl Script {
    #[doc(hidden)]
    pub const fn __new(
        file: &'static str,
        sql: &'static str,
        transaction: TransactionMode,
    ) -> Self {
        Self {
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(sql),
            transaction,
            language: Language::Sql,
            code: Compiled(None),
            statements: None,
            syntax_error: None,
        }
    }

    /// A script of a table the macro emitted ([`crate::packed`]).
    pub(crate) fn embedded(
        file: &'static str,
        sql: &'static str,
        transaction: TransactionMode,
        statements: Vec<Range<usize>>,
    ) -> Self {
        Self {
            file: Cow::Borrowed(file),
            sql: Cow::Borrowed(sql),
            transaction,
            language: Language::Sql,
            code: Compiled(None),
            statements: Some(statements),
            syntax_error: None,
        }
    }

    pub(crate) fn owned(
        file: String,
        sql: String,
        transaction: TransactionMode,
        statements: Vec<Range<usize>>,
    ) -> Self {
        Self {
            file: Cow::Owned(file),
            sql: Cow::Owned(sql),
            transaction,
            language: Language::Sql,
            code: Compiled(None),
            statements: Some(statements),
            syntax_error: None,
        }
    }

    /// A Rust script (`004_x/up.rs`) with its normalised source; `code` is its compiled function
    /// when the macro embedded it.
    pub(crate) fn rust(
        file: Cow<'static, str>,
        source: Cow<'static, str>,
        code: Option<Code>,
    ) -> Self {
        Self {
            file,
            sql: source,
            transaction: TransactionMode::Wrapped,
            language: Language::Rust,
            code: Compiled(code),
            statements: Some(Vec::new()),
            syntax_error: None,
        }
    }

    /// The script with the syntax error the grammar found in it (its path relative to the
    /// migrations directory), or without one.
    pub(crate) fn with_syntax_error(mut self, error: Option<SyntaxError>) -> Self {
        self.syntax_error = error.map(Box::new);
        self
    }

    /// Where PostgreSQL's grammar rejects this script, if it does: a directory read at run time
    /// or a history embedded with `allow_syntax_errors` keeps such scripts, and the runtime
    /// refuses to run them before anything runs. `None` when the script parses, or was not
    /// checked (without the `parse` feature).
    pub fn syntax_error(&self) -> Option<&SyntaxError> {
        self.syntax_error.as_deref()
    }

    /// Path of the file relative to the migrations directory (`003_add_notes/up.sql`).
    pub fn file(&self) -> &str {
        &self.file
    }

    /// The normalised SQL to execute; for a Rust script, its normalised source (shown, never
    /// sent).
    pub fn sql(&self) -> &str {
        &self.sql
    }

    /// What the script is written in.
    pub fn language(&self) -> Language {
        self.language
    }

    /// True for `up.rs` / `down.rs`.
    pub fn is_rust(&self) -> bool {
        self.language == Language::Rust
    }

    /// The compiled function of a Rust script, when the table was embedded by
    /// `embed_migrations!`; `None` for SQL and for Rust read from disk at run time.
    pub fn code(&self) -> Option<Code> {
        self.code.0
    }

    /// How the script runs with respect to transactions.
    pub fn transaction(&self) -> TransactionMode {
        self.transaction
    }

    /// The statements to execute one at a time, as byte ranges of [`Script::sql`]: from the
    /// first token to the terminating `;`. Drawn once, when the directory is read (at compile
    /// time for an embedded table), by PostgreSQL's own grammar with the `parse` feature and by
    /// the hand-written splitter without it. A file's own `BEGIN`/`COMMIT` around its whole body
    /// ([`TransactionMode::Own`]) is not among them. A Rust script has none.
    pub fn statement_ranges(&self) -> Cow<'_, [Range<usize>]> {
        match &self.statements {
            Some(ranges) => Cow::Borrowed(ranges),
            None => Cow::Owned(crate::syntax::split(&self.sql).0),
        }
    }

    /// The statements with their line and leading keywords, for running a non-transactional
    /// script statement by statement ([`sql::transaction_control`] classifies each).
    ///
    /// ```
    /// let dir = tempfile::tempdir().unwrap();
    /// std::fs::create_dir(dir.path().join("001_a")).unwrap();
    /// std::fs::write(dir.path().join("001_a/up.sql"), "-- migrate: no-transaction, irreversible\nVACUUM;\nSELECT ';';").unwrap();
    /// let m = migrations_core::load_dir(dir.path(), "m", Default::default()).unwrap();
    /// let up = m.get("001").unwrap().up();
    /// let texts: Vec<&str> = up.statements().iter().map(|s| s.text(up.sql())).collect();
    /// assert_eq!(texts, ["VACUUM;", "SELECT ';';"]);
    /// ```
    pub fn statements(&self) -> Vec<Statement> {
        self.statement_ranges()
            .iter()
            .map(|range| sql::describe(&self.sql, range.clone()))
            .collect()
    }
}

/// One revision: a version, a name, an up script and (unless irreversible) a down script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    version: Cow<'static, str>,
    name: Cow<'static, str>,
    source: Cow<'static, str>,
    up: Script,
    down: Option<Script>,
    checksum: Checksum,
    algorithm: ChecksumAlgorithm,
    /// Dropped after a squash: only its name and checksum remain ([`Revision::is_squashed`]).
    squashed: bool,
}

impl Revision {
    /// A revision whose texts are in the binary: a table the macro emitted ([`crate::packed`]),
    /// or one built by hand in tests.
    #[doc(hidden)]
    pub const fn __new(
        version: &'static str,
        name: &'static str,
        source: &'static str,
        up: Script,
        down: Option<Script>,
        checksum: [u8; 32],
    ) -> Self {
        let algorithm = ChecksumAlgorithm::for_language(up.language);
        Self {
            version: Cow::Borrowed(version),
            name: Cow::Borrowed(name),
            source: Cow::Borrowed(source),
            up,
            down,
            checksum: Checksum(checksum),
            algorithm,
            squashed: false,
        }
    }

    pub(crate) fn owned(
        version: String,
        name: String,
        source: String,
        up: Script,
        down: Option<Script>,
        checksum: Checksum,
    ) -> Self {
        let algorithm = ChecksumAlgorithm::for_language(up.language());
        Self {
            version: Cow::Owned(version),
            name: Cow::Owned(name),
            source: Cow::Owned(source),
            up,
            down,
            checksum,
            algorithm,
            squashed: false,
        }
    }

    /// A revision whose directory was dropped after `migrate squash` wrote a baseline in its
    /// place: its version, name and checksum stand in the table so that databases which applied
    /// it still match, but it has no script to run. Its up script is empty and named after the
    /// baseline's list of squashed revisions, where it is now written.
    pub(crate) fn squashed(
        version: Cow<'static, str>,
        name: Cow<'static, str>,
        source: Cow<'static, str>,
        (algorithm, checksum): (ChecksumAlgorithm, Checksum),
    ) -> Self {
        let file = format!("{}/{}", crate::baseline::DIR, crate::baseline::MANIFEST);
        let up = match algorithm {
            ChecksumAlgorithm::RustSource => Script::rust(file.into(), Cow::Borrowed(""), None),
            ChecksumAlgorithm::Sha256 => {
                Script::owned(file, String::new(), TransactionMode::Wrapped, Vec::new())
            }
        };
        Self {
            version,
            name,
            source,
            up,
            down: None,
            checksum,
            algorithm,
            squashed: true,
        }
    }

    /// True for a revision dropped after a squash ([`crate::Baseline`]): a database that applied
    /// it matches it, an empty database reaches it through the baseline, and nothing runs it.
    pub fn is_squashed(&self) -> bool {
        self.squashed
    }

    /// The canonical version: the name's version with dashes removed (`20141113193818`, `001`).
    /// This is the id recorded in the history table and accepted as a target.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// The revision's name on disk: its directory (`2014-11-13-193818_create_users`) or the flat
    /// file name without its suffix (`20211026134308_init`).
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The version exactly as written on disk (`2014-11-13-193818`).
    pub fn raw_version(&self) -> &str {
        crate::name::version_prefix(&self.source)
    }

    /// The slug after the version (`create_users`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The up script.
    pub fn up(&self) -> &Script {
        &self.up
    }

    /// The down script, or `None` for an irreversible revision.
    pub fn down(&self) -> Option<&Script> {
        self.down.as_ref()
    }

    /// True when the revision cannot be downgraded.
    pub fn is_irreversible(&self) -> bool {
        self.down.is_none()
    }

    /// Checksum of the normalised up script.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }

    /// The algorithm [`Revision::checksum`] was computed with.
    pub fn checksum_algorithm(&self) -> ChecksumAlgorithm {
        self.algorithm
    }

    /// `version_name`, as revisions are shown to people.
    pub fn label(&self) -> String {
        format!("{}_{}", self.version, self.name)
    }
}
