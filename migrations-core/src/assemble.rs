//! Turning the scanned files of each revision into validated [`Revision`]s, in the order the
//! layout's original tool applies them.

use std::collections::BTreeMap;
use std::ops::Range;

use crate::cache::Cache;
use crate::metadata;
use crate::name::VersionName;
use crate::problem::{Note, Problem, SyntaxError, Warning};
use crate::report::{FileData, ScanOptions, ScanReport};
use crate::revision::{Language, Layout, Revision, Script, TransactionMode};
use crate::source::{self, DirectiveDefect, KNOWN_DIRECTIVES};

/// The files of one revision before validation.
pub(crate) struct Candidate {
    /// Directory name, or the flat file name without its suffix.
    pub source: String,
    pub version: VersionName,
    /// diesel's string key or sqlx's integer.
    pub key: OrderKey,
    /// Where the down script is expected, for messages.
    pub down_expected: String,
    /// Whether an up script exists, even if it could not be read.
    pub has_up: bool,
    pub up: Option<FileData>,
    pub down: Option<FileData>,
    /// `up.rs` and `down.rs`, read beside the SQL scripts: [`build`] refuses a direction with both.
    pub up_rust: Option<FileData>,
    pub down_rust: Option<FileData>,
    pub metadata: Option<FileData>,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum OrderKey {
    Text(String),
    Number(i64),
}

impl Candidate {
    /// A revision directory named `name`.
    pub(crate) fn new(name: &str, version: VersionName) -> Self {
        // diesel: the part before the first `_`, dashes removed, compared as a string.
        let key = name.split('_').next().unwrap_or(name).replace('-', "");
        Self {
            source: name.to_owned(),
            version,
            key: OrderKey::Text(key),
            down_expected: format!("{name}/down.sql"),
            has_up: false,
            up: None,
            down: None,
            up_rust: None,
            down_rust: None,
            metadata: None,
        }
    }
}

/// Validates candidates into ordered revisions, filling `report`.
pub(crate) fn finish(
    layout: Layout,
    mut candidates: Vec<Candidate>,
    options: ScanOptions,
    cache: &mut Cache,
    report: &mut ScanReport,
) {
    candidates.sort_by(|a, b| a.key.cmp(&b.key).then_with(|| a.source.cmp(&b.source)));
    report_duplicates(&candidates, report);
    if layout == Layout::Directories {
        report_order_disagreement(&candidates, &mut report.warnings);
    }
    let prefix = display_prefix(&candidates);
    for candidate in candidates {
        let found = build(
            candidate,
            options,
            &prefix,
            cache,
            &mut report.problems,
            &mut report.syntax_errors,
        );
        if let Some((revision, notes)) = found {
            report.revisions.push(revision);
            report.notes.extend(notes);
        }
    }
}

/// The directory display prefix (`migrations/`), derived from any candidate's file.
fn display_prefix(candidates: &[Candidate]) -> String {
    candidates
        .iter()
        .find_map(|c| c.up.as_ref())
        .map(|up| up.display[..up.display.len() - up.rel.len()].to_owned())
        .unwrap_or_default()
}

fn report_duplicates(candidates: &[Candidate], report: &mut ScanReport) {
    let mut by_version: BTreeMap<&str, Vec<&Candidate>> = BTreeMap::new();
    for c in candidates {
        by_version.entry(&c.version.canonical).or_default().push(c);
    }
    let next = next_version(candidates);
    let prefix = display_prefix(candidates);
    for (version, group) in by_version.into_iter().filter(|(_, g)| g.len() > 1) {
        report.problems.push(Problem::DuplicateVersion {
            version: version.to_owned(),
            paths: group
                .iter()
                .map(|c| format!("{prefix}{}", c.source))
                .collect(),
            next: next.clone(),
        });
    }
}

/// The version after the newest, in the same width (`003` -> `004`).
pub(crate) fn next_version(candidates: &[Candidate]) -> String {
    let newest = candidates
        .iter()
        .map(|c| &c.version.canonical)
        .max_by_key(|v| (v.len(), v.as_str()));
    match newest.and_then(|v| v.parse::<u128>().ok().map(|n| (n, v.len()))) {
        Some((n, width)) => format!("{:0width$}", n + 1),
        None => "001".to_owned(),
    }
}

fn report_order_disagreement(candidates: &[Candidate], warnings: &mut Vec<Warning>) {
    for pair in candidates.windows(2) {
        let (a, b) = (&pair[0].version.canonical, &pair[1].version.canonical);
        if let (Ok(x), Ok(y)) = (a.parse::<u128>(), b.parse::<u128>()) {
            if x > y {
                warnings.push(Warning::OrderDisagreement {
                    first: pair[0].source.clone(),
                    second: pair[1].source.clone(),
                });
            }
        }
    }
}

/// Builds one revision, or records its problems and returns `None`.
fn build(
    c: Candidate,
    options: ScanOptions,
    prefix: &str,
    cache: &mut Cache,
    problems: &mut Vec<Problem>,
    syntax_errors: &mut Vec<SyntaxError>,
) -> Option<(Revision, Vec<Note>)> {
    let label = format!("{}_{}", c.version.canonical, c.version.slug);
    let before = problems.len();
    let down = pick(c.down, c.down_rust, &label, problems);
    let (up, up_language) = pick(c.up, c.up_rust, &label, problems)?;
    let mut notes = Vec::new();
    let directives = directives(&up, up_language, problems);
    let no_transaction = no_transaction(c.metadata.as_ref(), directives, problems);
    if no_transaction {
        let rust = [
            Some((&up, up_language)),
            down.as_ref().map(|(d, l)| (d, *l)),
        ];
        if let Some((file, _)) = rust
            .into_iter()
            .flatten()
            .find(|(_, l)| *l == Language::Rust)
        {
            problems.push(Problem::RustRevision {
                path: file.display.clone(),
                reason: "a Rust revision cannot be `no-transaction`: its function runs in one transaction with its history row; for work committed in batches write `up(tx, cursor)`, which commits each batch with its progress".into(),
            });
        }
    }
    let up_script = match up_language {
        Language::Sql => {
            let (up_statements, up_error) = statements(&up, cache, syntax_errors);
            check_up_text(&up, &up_statements, problems, &mut notes);
            script(&up, &up_statements, no_transaction, problems, &mut notes)
                .map(|s| s.with_syntax_error(up_error))
        }
        Language::Rust => {
            if crate::rust::is_blank(&up.text) {
                problems.push(Problem::EmptyUp {
                    path: up.display.clone(),
                });
            }
            Some(rust_script(&up))
        }
    };
    let down = match down {
        Some((down, language)) => {
            present_down(down, language, &label, directives.irreversible, problems)
                .map(|d| (d, language))
        }
        None if directives.irreversible => None,
        None if options.allow_up_only => {
            notes.push(Note::UpOnly {
                path: up.display.clone(),
            });
            None
        }
        None => {
            problems.push(missing_down(&up, &label, prefix, &c.down_expected));
            None
        }
    };
    let down_script = down.as_ref().and_then(|(d, language)| match language {
        Language::Rust => Some(rust_script(d)),
        Language::Sql => {
            let (down_statements, down_error) = statements(d, cache, syntax_errors);
            if down_statements.is_empty() {
                notes.push(Note::EmptyDown {
                    path: d.display.clone(),
                });
            }
            script(d, &down_statements, no_transaction, problems, &mut notes)
                .map(|s| s.with_syntax_error(down_error))
        }
    });
    if no_transaction {
        notes.push(Note::NoTransaction {
            path: up.display.clone(),
        });
    }
    if problems.len() > before {
        return None;
    }
    let checksum = crate::revision::checksum_of(up_language, &up.text);
    let revision = Revision::owned(
        c.version.canonical,
        c.version.slug,
        c.source,
        up_script?,
        down_script,
        checksum,
    );
    Some((revision, notes))
}

/// The script of one direction: SQL or Rust, refusing both.
fn pick(
    sql: Option<FileData>,
    rust: Option<FileData>,
    label: &str,
    problems: &mut Vec<Problem>,
) -> Option<(FileData, Language)> {
    match (sql, rust) {
        (Some(sql), Some(rust)) => {
            problems.push(Problem::TwoScripts {
                revision: label.to_owned(),
                sql: sql.display,
                rust: rust.display,
            });
            None
        }
        (Some(sql), None) => Some((sql, Language::Sql)),
        (None, Some(rust)) => Some((rust, Language::Rust)),
        (None, None) => None,
    }
}

fn rust_script(file: &FileData) -> Script {
    Script::rust(file.rel.clone().into(), file.text.clone().into(), None)
}

/// The first-line directives of the up script (defaults after reporting a bad one).
fn directives(
    up: &FileData,
    language: Language,
    problems: &mut Vec<Problem>,
) -> source::Directives {
    match source::parse_directives_in(&up.text, language) {
        Ok(d) => d,
        Err(DirectiveDefect::Unknown { directive }) => {
            problems.push(Problem::UnknownDirective {
                path: up.display.clone(),
                directive,
                known: KNOWN_DIRECTIVES.join(", "),
            });
            source::Directives::default()
        }
        Err(DirectiveDefect::InvalidValue { directive, value }) => {
            problems.push(Problem::InvalidDirectiveValue {
                path: up.display.clone(),
                directive,
                value,
            });
            source::Directives::default()
        }
        Err(DirectiveDefect::NotFirstLine { line }) => {
            problems.push(Problem::MisplacedDirective {
                path: up.display.clone(),
                line,
            });
            source::Directives::default()
        }
    }
}

/// Whether the revision runs outside a transaction: the directive or diesel's `metadata.toml`,
/// which must not contradict each other.
fn no_transaction(
    metadata: Option<&FileData>,
    directives: source::Directives,
    problems: &mut Vec<Problem>,
) -> bool {
    let from_metadata = metadata.and_then(|m| metadata::parse(m, problems));
    if let (Some((true, line)), true, Some(m)) =
        (from_metadata, directives.no_transaction, metadata)
    {
        let message = "`run_in_transaction = true` contradicts the `no-transaction` directive in up.sql: keep one".into();
        problems.push(Problem::Metadata {
            path: m.display.clone(),
            line,
            message,
        });
    }
    directives.no_transaction || matches!(from_metadata, Some((false, _)))
}

/// The file's statements, and where the grammar rejects it: the error is recorded in the report
/// (the caller decides whether it is fatal) and kept with the script, which then has the
/// hand-written splitter's boundaries.
pub(crate) fn statements(
    file: &FileData,
    cache: &mut Cache,
    syntax_errors: &mut Vec<SyntaxError>,
) -> (Vec<Range<usize>>, Option<SyntaxError>) {
    let (ranges, error) = cache.split(&file.display, &file.text);
    syntax_errors.extend(error.clone().map(|e| e.in_file(&file.display)));
    // The script's own copy names the file as the table does, relative to the directory, so
    // that a table embedded at compile time equals the same directory loaded at run time.
    (ranges, error.map(|e| e.in_file(&file.rel)))
}

/// A comment-only up is a deliberate no-op in real histories (docs.rs has two); only a file with
/// nothing at all in it is a mistake.
fn check_up_text(
    up: &FileData,
    statements: &[Range<usize>],
    problems: &mut Vec<Problem>,
    notes: &mut Vec<Note>,
) {
    if up.text.trim().is_empty() {
        problems.push(Problem::EmptyUp {
            path: up.display.clone(),
        });
    } else if statements.is_empty() {
        notes.push(Note::CommentOnlyUp {
            path: up.display.clone(),
        });
    }
}

/// The down script to use: none for an irreversible revision (whose down must be empty), and
/// never one holding a directive.
fn present_down(
    down: FileData,
    language: Language,
    label: &str,
    irreversible: bool,
    problems: &mut Vec<Problem>,
) -> Option<FileData> {
    if let Some(line) = down
        .text
        .lines()
        .position(|l| source::directive_list_in(l, language).is_some())
    {
        problems.push(Problem::MisplacedDirective {
            path: down.display.clone(),
            line: line + 1,
        });
    }
    if !irreversible {
        return Some(down);
    }
    let has_content = match language {
        Language::Sql => source::has_statements(&down.text),
        Language::Rust => !crate::rust::is_blank(&down.text),
    };
    if has_content {
        problems.push(Problem::IrreversibleWithDown {
            revision: label.to_owned(),
            down: down.display,
        });
    }
    None
}

fn missing_down(up: &FileData, label: &str, prefix: &str, down_expected: &str) -> Problem {
    // A sqlx "simple" file cannot get a down script beside it: it must become `.up.sql`.
    let fix = match up.rel.strip_suffix(".sql") {
        Some(base) if !up.rel.ends_with("up.sql") => {
            format!(
                "rename `{}` to `{prefix}{base}.up.sql` and add `{prefix}{base}.down.sql`",
                up.display
            )
        }
        _ => format!("add `{prefix}{down_expected}`"),
    };
    Problem::MissingDown {
        revision: label.to_owned(),
        up: up.display.clone(),
        fix,
    }
}

pub(crate) fn script(
    file: &FileData,
    statements: &[Range<usize>],
    no_transaction: bool,
    problems: &mut Vec<Problem>,
    notes: &mut Vec<Note>,
) -> Option<Script> {
    match source::analyse_transactions(&file.text, statements, no_transaction) {
        Ok(analysis) => {
            if analysis.mode == TransactionMode::Own {
                notes.push(Note::OwnTransaction {
                    path: file.display.clone(),
                });
            }
            Some(Script::owned(
                file.rel.clone(),
                analysis.executable,
                analysis.mode,
                analysis.statements,
            ))
        }
        Err(defect) => {
            problems.push(Problem::TransactionControl {
                path: file.display.clone(),
                line: defect.line,
                statement: defect.statement,
                reason: defect.reason.into(),
            });
            None
        }
    }
}
