//! Alembic-style targets: `head`, `base`, a version, a unique prefix, `+N`, `-N`, `<rev>+N`,
//! `<rev>-N`, `head-N`, `base+N` (and `current`, for ranges).
//!
//! A target resolves to a *level*: the number of revisions, in order, that a database at that
//! target has applied. `base` is level 0, the first revision level 1, `head` level `len`.

use migrations_core::Migrations;
use thiserror::Error;

/// Errors of target resolution.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum TargetError {
    /// Nothing matches.
    #[error("no revision matches `{target}`: use `head`, `base`, a version or a unique prefix of one, or `+N`/`-N` (list revisions with `history`)")]
    Unknown {
        /// The target as given.
        target: String,
    },
    /// A prefix that matches several revisions.
    #[error("`{target}` is ambiguous, it matches {}: give more digits", candidates.join(", "))]
    Ambiguous {
        /// The target as given.
        target: String,
        /// Matching revisions.
        candidates: Vec<String>,
    },
    /// A relative target that walks past base.
    #[error("`{target}` walks past base: it is {steps} below a point that has only {available} revision(s) under it; use `base` to undo everything")]
    PastBase {
        /// The target as given.
        target: String,
        /// Steps requested.
        steps: u64,
        /// Steps possible.
        available: usize,
    },
    /// A relative target that walks past head.
    #[error("`{target}` walks past head: it is {steps} above a point that has only {available} revision(s) above it; use `head` to apply everything")]
    PastHead {
        /// The target as given.
        target: String,
        /// Steps requested.
        steps: u64,
        /// Steps possible.
        available: usize,
    },
    /// An empty target.
    #[error("empty target: use `head`, `base`, a version, `+N` or `-N`")]
    Empty,
}

/// A target, parsed once at the edge (the command line, [`IntoTarget`] for library calls) and
/// resolved against a revision table and the database's current level by [`Target::level`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// `head` (or `heads`): every revision applied.
    Head,
    /// `base`: none applied.
    Base,
    /// `current`: where the database is.
    Current,
    /// `+N` / `-N`: steps from the current revision.
    Relative(i64),
    /// `head-N`, `base+N`, `current+N`: steps from a keyword.
    Offset {
        /// The keyword the steps start from.
        from: Anchor,
        /// The signed number of steps.
        steps: i64,
    },
    /// A version, a unique prefix of one, a directory or file name, or any of them followed by
    /// `+N`/`-N`. Which, only the table can tell: `2014-11-13-193818` is a version, `2-1` is `2`
    /// minus one.
    Revision(String),
}

/// The keyword an [`Target::Offset`] counts from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Anchor {
    /// `head`.
    Head,
    /// `base`.
    Base,
    /// `current`.
    Current,
}

impl Anchor {
    fn parse(word: &str) -> Option<Self> {
        match word.to_ascii_lowercase().as_str() {
            "head" | "heads" => Some(Self::Head),
            "base" => Some(Self::Base),
            "current" => Some(Self::Current),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::Head => "head",
            Self::Base => "base",
            Self::Current => "current",
        }
    }

    fn level(self, migrations: &Migrations, current: usize) -> usize {
        match self {
            Self::Head => migrations.len(),
            Self::Base => 0,
            Self::Current => current,
        }
    }
}

impl std::str::FromStr for Target {
    type Err = TargetError;

    fn from_str(text: &str) -> Result<Self, TargetError> {
        let spec = text.trim();
        if spec.is_empty() {
            return Err(TargetError::Empty);
        }
        if let Some(anchor) = Anchor::parse(spec) {
            return Ok(match anchor {
                Anchor::Head => Self::Head,
                Anchor::Base => Self::Base,
                Anchor::Current => Self::Current,
            });
        }
        // A leading sign is always relative to the current revision, never a version: `-1` must
        // not match a revision whose version is `1` (regression: `downgrade -1` reverted two).
        if spec.starts_with(['+', '-']) {
            return match split_relative(spec) {
                Some(("", delta)) => Ok(Self::Relative(delta)),
                _ => Err(TargetError::Unknown {
                    target: spec.to_owned(),
                }),
            };
        }
        if let Some((anchor, steps)) = split_relative(spec) {
            if let Some(from) = Anchor::parse(anchor) {
                return Ok(Self::Offset { from, steps });
            }
        }
        Ok(Self::Revision(spec.to_owned()))
    }
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Head => f.write_str("head"),
            Self::Base => f.write_str("base"),
            Self::Current => f.write_str("current"),
            Self::Relative(steps) => write!(f, "{steps:+}"),
            Self::Offset { from, steps } => write!(f, "{}{steps:+}", from.name()),
            Self::Revision(spec) => f.write_str(spec),
        }
    }
}

/// What the library's commands accept as a target: a [`Target`], or text parsed into one.
pub trait IntoTarget {
    /// The target, or why the text is none.
    fn into_target(self) -> Result<Target, TargetError>;
}

impl IntoTarget for Target {
    fn into_target(self) -> Result<Target, TargetError> {
        Ok(self)
    }
}

impl IntoTarget for &Target {
    fn into_target(self) -> Result<Target, TargetError> {
        Ok(self.clone())
    }
}

impl IntoTarget for &str {
    fn into_target(self) -> Result<Target, TargetError> {
        self.parse()
    }
}

impl IntoTarget for &String {
    fn into_target(self) -> Result<Target, TargetError> {
        self.parse()
    }
}

/// A resolved target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Resolved {
    /// Revisions applied at the target.
    pub level: usize,
    /// For `+N`/`-N` relative to the current revision: the signed step, so a command can refuse
    /// the wrong direction with a precise message.
    pub relative_to_current: Option<i64>,
}

impl Target {
    /// The level this target names in `migrations` (the number of revisions applied there,
    /// `0` being base), for a database at level `current`.
    pub fn level(&self, migrations: &Migrations, current: usize) -> Result<usize, TargetError> {
        self.resolve(migrations, current)
            .map(|resolved| resolved.level)
    }

    /// The level this target names in `migrations`, for a database at level `current`, and
    /// for `+N`/`-N` the signed step.
    pub(crate) fn resolve(
        &self,
        migrations: &Migrations,
        current: usize,
    ) -> Result<Resolved, TargetError> {
        let spec = self.to_string();
        let absolute = |level| Resolved {
            level,
            relative_to_current: None,
        };
        let len = migrations.len();
        match self {
            Self::Head => Ok(absolute(len)),
            Self::Base => Ok(absolute(0)),
            Self::Current => Ok(absolute(current)),
            &Self::Relative(delta) => step(&spec, current, delta, len).map(|level| Resolved {
                level,
                relative_to_current: Some(delta),
            }),
            &Self::Offset { from, steps } => {
                let base = from.level(migrations, current);
                step(&spec, base, steps, len).map(|level| Resolved {
                    level,
                    relative_to_current: (from == Anchor::Current).then_some(steps),
                })
            }
            Self::Revision(spec) => revision(spec, migrations).map(absolute),
        }
    }

    /// True when the target names every revision applied for a database that has them all: the
    /// targets for which the boot check alone can answer "nothing to do" (`head`, `HEAD`, the
    /// head's version, `base+N` reaching it, `current`, `+0`).
    pub(crate) fn is_head_when_at_head(&self, migrations: &Migrations) -> bool {
        let len = migrations.len();
        self.resolve(migrations, len)
            .is_ok_and(|resolved| resolved.level == len)
    }
}

/// The level of a [`Target::Revision`]: the revision named exactly, or by a unique prefix, or
/// either followed by `+N`/`-N`.
fn revision(spec: &str, migrations: &Migrations) -> Result<usize, TargetError> {
    if let Some(level) = exact(spec, migrations) {
        return Ok(level);
    }
    let relative = split_relative(spec).filter(|(anchor, _)| !anchor.is_empty());
    if let Some((anchor, delta)) = relative {
        if let Some(base) = exact(anchor, migrations) {
            return step(spec, base, delta, migrations.len());
        }
    }
    if let Some(level) = prefix(spec, migrations)? {
        return Ok(level);
    }
    if let Some((anchor, delta)) = relative {
        if let Some(base) = prefix(anchor, migrations)? {
            return step(spec, base, delta, migrations.len());
        }
    }
    Err(TargetError::Unknown {
        target: spec.to_owned(),
    })
}

/// The revision named exactly: its version as written (`2014-11-13-193818`), its canonical
/// version (`20141113193818`, only for specs without dashes, so `2-1` is not version `21`), its
/// name on disk (`2014-11-13-193818_create_users`) or its label (`20141113193818_create_users`).
fn exact(spec: &str, migrations: &Migrations) -> Option<usize> {
    let canonical = !spec.contains('-');
    migrations
        .iter()
        .position(|r| {
            r.raw_version() == spec
                || r.source() == spec
                || r.label() == spec
                || (canonical && r.version() == spec)
        })
        .map(|i| i + 1)
}

fn prefix(spec: &str, migrations: &Migrations) -> Result<Option<usize>, TargetError> {
    let wanted = spec.replace('-', "");
    if wanted.is_empty() || !wanted.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    let matches: Vec<usize> = migrations
        .iter()
        .enumerate()
        .filter(|(_, r)| r.version().starts_with(&wanted))
        .map(|(i, _)| i)
        .collect();
    match matches.as_slice() {
        [] => Ok(None),
        [one] => Ok(Some(one + 1)),
        many => Err(TargetError::Ambiguous {
            target: spec.to_owned(),
            candidates: many
                .iter()
                .map(|&i| migrations.as_slice()[i].label())
                .collect(),
        }),
    }
}

/// `anchor+N` / `anchor-N`, split at the last sign followed only by digits.
fn split_relative(spec: &str) -> Option<(&str, i64)> {
    let at = spec.rfind(['+', '-'])?;
    let digits = &spec[at + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    let delta = if spec.as_bytes()[at] == b'-' { -n } else { n };
    Some((&spec[..at], delta))
}

fn step(spec: &str, base: usize, delta: i64, len: usize) -> Result<usize, TargetError> {
    let steps = delta.unsigned_abs();
    if delta < 0 && steps > base as u64 {
        return Err(TargetError::PastBase {
            target: spec.to_owned(),
            steps,
            available: base,
        });
    }
    if delta > 0 && base as u64 + steps > len as u64 {
        return Err(TargetError::PastHead {
            target: spec.to_owned(),
            steps,
            available: len - base,
        });
    }
    Ok((base as i64 + delta) as usize)
}

/// A level as people read it: `base`, or the label of the revision at that level.
pub(crate) fn describe_level(migrations: &Migrations, level: usize) -> String {
    match level {
        0 => "base".to_owned(),
        n => migrations
            .as_slice()
            .get(n - 1)
            .map_or_else(|| format!("level {n}"), |r| r.label()),
    }
}

#[cfg(test)]
#[path = "target_tests.rs"]
mod tests;
