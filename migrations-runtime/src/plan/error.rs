//! The refusals of planning: the database and the binary disagree, or the request is
//! impossible. Nothing has been executed when one of these is returned.

use migrations_core::{Migrations, Revision, SyntaxError};
use thiserror::Error;

use crate::direction::Direction;
use crate::progress::Interrupted;
use crate::target::TargetError;

/// An applied revision whose file changed since.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChecksumChange {
    /// The revision's version, as `repair` takes it.
    pub version: String,
    /// `version_name`.
    pub label: String,
    /// The up file.
    pub file: String,
    /// Recorded in the database (hex).
    pub recorded: String,
    /// Computed from the binary's file (hex).
    pub current: String,
}

/// Errors of planning: the database and the binary disagree, or the request is impossible.
/// Nothing has been executed when one of these is returned.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PlanError {
    /// Applied revisions were edited after being applied.
    #[error("{} applied revision(s) changed since they were applied: {}; restore the files (never edit an applied revision, add a new one), or if the edit is deliberate and harmless re-record it with `migrate repair {}` (or pass --ignore-checksums for one run)", changes.len(), changes.iter().map(|c| format!("{} (`{}`: recorded {}, file has {})", c.label, c.file, &c.recorded[..12.min(c.recorded.len())], &c.current[..12])).collect::<Vec<_>>().join(", "), changes.iter().map(|c| c.version.as_str()).collect::<Vec<_>>().join(" "))]
    ChecksumMismatch {
        /// Every changed revision.
        changes: Vec<ChecksumChange>,
    },
    /// A recorded checksum made with an algorithm this binary does not know.
    #[error("revision {version} was recorded with checksum algorithm {algorithm}, unknown to this binary: use a newer binary")]
    UnknownAlgorithm {
        /// The revision.
        version: String,
        /// The stored id.
        algorithm: i16,
    },
    /// The database has revisions the binary does not know.
    #[error("the database has revision(s) this binary does not know: {}; the binary is older than the database (deploy one that includes them), or pass --allow-unknown to leave them alone", versions.join(", "))]
    UnknownApplied {
        /// `version_name` of each unknown row.
        versions: Vec<String>,
    },
    /// Pending revisions older than the newest applied one.
    #[error("pending revision(s) {} are older than the newest applied revision {newest}, typically after merging branches: renumber them after {newest}, or pass --allow-out-of-order to apply them anyway", pending.join(", "))]
    OutOfOrder {
        /// The out-of-order pending revisions.
        pending: Vec<String>,
        /// The newest applied revision.
        newest: String,
    },
    /// The target does not resolve.
    #[error(transparent)]
    Target(#[from] TargetError),
    /// A target on the wrong side of the current revision for this command.
    #[error("{} {target}: the target {resolved} is {} the current revision {current}; use `{} {target}`", direction.command(), match direction { Direction::Up => "below", Direction::Down => "above" }, direction.reverse().command())]
    WrongDirection {
        /// The command's direction.
        direction: Direction,
        /// The target as given.
        target: String,
        /// What it resolved to.
        resolved: String,
        /// The current revision.
        current: String,
    },
    /// A `no-transaction` revision stopped part-way; no override: only `migrate resolve`.
    #[error("revision {revision} did not finish ({direction}): it runs outside a transaction, and {what} statement {statement} of {total}{at}; the statements before it are committed. Nothing was run. Fix the cause, then `migrate resolve {version} --retry` runs it again from statement {statement}; or, once you have completed or undone it by hand, `migrate resolve {version} --mark-completed` or `migrate resolve {version} --mark-rolled-back`")]
    Interrupted {
        /// The revision's version.
        version: String,
        /// `version_name`, or the version when the binary does not know it.
        revision: String,
        /// Which script.
        direction: Direction,
        /// "it failed at" or "the runner stopped during".
        what: &'static str,
        /// The statement (1-based).
        statement: usize,
        /// Statements in the script.
        total: usize,
        /// Where: file, line, the statement's first line and the error (empty if unknown).
        at: String,
    },
    /// Scripts the plan would run that PostgreSQL's grammar rejects (a directory read at run
    /// time, or a history embedded with `allow_syntax_errors`): each revision is its own
    /// transaction, so running would apply the ones before the broken script and stop at it.
    #[error("{} {direction} script(s) do not parse, so `{}` ran nothing (`migrate --dir <dir> lint` lists every syntax error and lint finding):\n\n{}", errors.len(), direction.command(), errors.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n\n"))]
    Syntax {
        /// Which scripts.
        direction: Direction,
        /// Every syntax error of those scripts, each naming its file, line and column.
        errors: Vec<SyntaxError>,
    },
    /// A batched Rust revision is half done: a batch failed, or it is to be run the other way.
    #[error("revision {revision} is half done ({direction}): {batches}; its batches commit one by one. Nothing was run. {next}")]
    HalfDone {
        /// The revision's version.
        version: String,
        /// `version_name`, or the version when the binary does not know it.
        revision: String,
        /// The way it was running.
        direction: Direction,
        /// How far it got and what stopped it.
        batches: String,
        /// What to do.
        next: String,
    },
    /// A half-done batched revision whose code changed since its last batch committed.
    #[error("revision {revision} is half done (it resumes with batch {batch}) and `{file}` changed since its last batch committed: resuming with other code could redo or skip work, so nothing was run. Build the binary with the code it ran with to finish it, or settle it by hand: `migrate resolve {version} --mark-completed` or `--mark-rolled-back`")]
    CodeChanged {
        /// `version_name`.
        revision: String,
        /// The version, as `migrate resolve` takes it.
        version: String,
        /// The Rust file.
        file: String,
        /// The batch it would resume with.
        batch: usize,
    },
    /// Scripts the plan would run that are Rust, in a table read from files at run time: their
    /// code is compiled into the binary that embeds the directory, not into this one.
    #[error("{} {} written in Rust, and this table was read from files at run time, so the code is not compiled into this program (or it was compiled against another version of migrations-runtime than the one running it): nothing was run. Run it with the binary that embeds the directory with `embed_migrations!` (the service's own `db upgrade`, or `Migrator::upgrade` in your code)", revisions.join(", "), if revisions.len() == 1 { "is" } else { "are" })]
    NotCompiled {
        /// `version_name (file)` of each.
        revisions: Vec<String>,
    },
    /// An offline script over a Rust revision.
    #[error("revision {revision} is Rust (`{file}`): an offline script holds SQL only, and this revision's work is code that reads the database as it runs (Alembic's offline mode cannot run data migrations either); nothing was printed. Apply it online (`upgrade`/`downgrade` with a connection), and render only the ranges around it: up to {before}, and from {after} on")]
    OfflineCode {
        /// `version_name`.
        revision: String,
        /// The Rust file.
        file: String,
        /// The level just before it, as a revision (or `base`).
        before: String,
        /// The level just after it.
        after: String,
    },
    /// A revision dropped after a squash would have to run: only the baseline replaces it, and
    /// only on an empty database (or going down to `base`).
    #[error("{command} must run revision {revision}, which was squashed into the baseline and its directory dropped: this binary can only bring an empty database to {through} or beyond (with the baseline) {or}. Nothing was run. {fix}")]
    Squashed {
        /// The command.
        command: &'static str,
        /// `version_name`.
        revision: String,
        /// The last revision the baseline replaces.
        through: String,
        /// The other way it can go.
        or: &'static str,
        /// What to do.
        fix: &'static str,
    },
    /// An irreversible revision in a downgrade path.
    #[error("downgrade to {target} must revert {revision}, which is irreversible (it has no down script): nothing was changed; choose a target at or above {revision}")]
    Irreversible {
        /// The target as given.
        target: String,
        /// The irreversible revision.
        revision: String,
    },
}

impl PlanError {
    /// The refusal to run `revision`, squashed and dropped, going `direction`.
    pub(crate) fn squashed(
        migrations: &Migrations,
        revision: &Revision,
        direction: Direction,
    ) -> Self {
        let level = migrations.baseline().map_or(0, |b| b.level());
        let through = level
            .checked_sub(1)
            .and_then(|i| migrations.as_slice().get(i))
            .map_or_else(|| "base".to_owned(), Revision::label);
        let (or, fix) = match direction {
            Direction::Up => ("and upgrade a database that applied every squashed revision", "Upgrade this database with a release that still has the squashed revisions first (the squash was meant to drop them only once no database was below the baseline)."),
            Direction::Down => ("and take a database with every squashed revision back to base (with baseline/down.sql)", "Choose a target at or above the baseline, or `base`, or downgrade with a release that still has the squashed revisions."),
        };
        Self::Squashed {
            command: direction.command(),
            revision: revision.label(),
            through,
            or,
            fix,
        }
    }

    /// The refusal for the unfinished run `stopped`, quoting its statement from the binary.
    pub fn interrupted(migrations: &Migrations, stopped: &Interrupted) -> Self {
        let revision = migrations.get(&stopped.version);
        if stopped.is_batched() {
            let done = match (stopped.statement, stopped.resume_cursor()) {
                (1, _) | (_, None) => "no batch committed".to_owned(),
                (n, Some(cursor)) => format!("batches 1 to {} committed (cursor {cursor})", n - 1),
            };
            let version = &stopped.version;
            let (batches, next) = match &stopped.error {
                Some(error) => (
                    format!("{done}, batch {} failed: {error}", stopped.statement),
                    format!("Fix the cause, then `migrate resolve {version} --retry` resumes with batch {}; or, once you have finished or undone it by hand, `migrate resolve {version} --mark-completed` or `--mark-rolled-back`", stopped.statement),
                ),
                None => (
                    format!("{done}, the runner stopped before the rest"),
                    format!("Run `{}` again to finish it first (it resumes with batch {}), or settle it with `migrate resolve {version} --mark-completed` or `--mark-rolled-back`", stopped.direction.command(), stopped.statement),
                ),
            };
            return Self::HalfDone {
                version: version.clone(),
                revision: revision.map_or_else(|| version.clone(), |r| r.label()),
                direction: stopped.direction,
                batches,
                next,
            };
        }
        let script = revision.and_then(|r| match stopped.direction {
            Direction::Up => Some(r.up()),
            Direction::Down => r.down(),
        });
        let mut at = script
            .and_then(|s| crate::apply::quote_statement(s, stopped.statement))
            .unwrap_or_default();
        match &stopped.error {
            Some(error) => at.push_str(&format!(": {error}")),
            None if script
                .and_then(|s| crate::apply::enclosing_block(s, stopped.statement))
                .is_some() =>
            {
                // Progress written inside the file's own transaction rolls back with it: the
                // record stays at its BEGIN, and the block either ran whole or not at all.
                at.push_str(&format!(
                    ", inside the file's own transaction block, which committed whole or not at all: check which, then `migrate resolve {} --retry` to run the block again, or `--retry --from` the statement after its COMMIT",
                    stopped.version
                ))
            }
            None => {
                let next = match stopped.statement < stopped.total {
                    true => format!(
                        "`migrate resolve {} --retry --from {}`",
                        stopped.version,
                        stopped.statement + 1
                    ),
                    false => format!("`migrate resolve {} --mark-completed`", stopped.version),
                };
                at.push_str(&format!(
                    ", which may or may not have taken effect: check it (an interrupted CREATE INDEX CONCURRENTLY leaves an INVALID index: drop it before retrying); if it did, {next}"
                ))
            }
        }
        Self::Interrupted {
            version: stopped.version.clone(),
            revision: revision.map_or_else(|| stopped.version.clone(), |r| r.label()),
            direction: stopped.direction,
            what: if stopped.failed() {
                "it failed at"
            } else {
                "the runner stopped during"
            },
            statement: stopped.statement,
            total: stopped.total,
            at,
        }
    }
}
