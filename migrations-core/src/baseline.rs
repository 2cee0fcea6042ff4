//! A squashed history's baseline: one script that builds, on an empty database, the schema and
//! the rows the first revisions of the chain build, written and proven equal to them by
//! `migrate squash --through REV`. It lives in `<dir>/baseline/` beside the revisions:
//! `up.sql`, `down.sql` and [`MANIFEST`], the list of the revisions it replaces with the
//! checksums they had when it was proven, and the checksum of `up.sql` itself.
//!
//! The table carries both the chain and the baseline: an empty database runs the baseline and
//! records the squashed revisions as applied; a database anywhere in the chain keeps the chain.
//! Once no database is below the baseline, the squashed revisions' directories can be dropped:
//! the manifest keeps their names and checksums, so databases that applied them still match.
//!
//! ```
//! use migrations_core::baseline::{self, Manifest};
//! let text = "# comment\nup 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\n001_init 1 6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b\n";
//! let manifest = baseline::parse(text).unwrap();
//! assert_eq!(manifest.squashed[0].source, "001_init");
//! assert_eq!(baseline::parse(&baseline::render(&manifest)).unwrap(), manifest);
//! ```

use crate::revision::{Checksum, ChecksumAlgorithm, Revision, Script};

/// The baseline's directory inside the migrations directory.
pub const DIR: &str = "baseline";

/// The file in [`DIR`] listing the squashed revisions.
pub const MANIFEST: &str = "squashed.list";

/// The baseline a table carries: its scripts and how many of the chain's first revisions it
/// replaces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    level: usize,
    up: Script,
    down: Option<Script>,
    checksum: Checksum,
}

impl Baseline {
    pub(crate) fn new(level: usize, up: Script, down: Option<Script>, checksum: Checksum) -> Self {
        Self {
            level,
            up,
            down,
            checksum,
        }
    }

    /// How many revisions it replaces: the first `level` of the table, through the one
    /// `squash --through` named.
    pub fn level(&self) -> usize {
        self.level
    }

    /// `baseline/up.sql`: the schema and the rows at the last squashed revision.
    pub fn up(&self) -> &Script {
        &self.up
    }

    /// `baseline/down.sql`, which empties the database again; `None` when it has none.
    pub fn down(&self) -> Option<&Script> {
        self.down.as_ref()
    }

    /// The checksum of `up.sql`'s normalised text, as the manifest records it.
    pub fn checksum(&self) -> Checksum {
        self.checksum
    }
}

/// What [`MANIFEST`] holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Manifest {
    /// The checksum of `up.sql` when it was proven.
    pub up: Checksum,
    /// The revisions it replaces, in order.
    pub squashed: Vec<Squashed>,
}

/// One squashed revision as the manifest lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Squashed {
    /// Its name on disk (`003_add_notes`).
    pub source: String,
    /// The algorithm of `checksum`.
    pub algorithm: ChecksumAlgorithm,
    /// Its checksum when the baseline was proven.
    pub checksum: Checksum,
}

impl Squashed {
    /// The line of `revision`.
    pub fn of(revision: &Revision) -> Self {
        Self {
            source: revision.source().to_owned(),
            algorithm: revision.checksum_algorithm(),
            checksum: revision.checksum(),
        }
    }
}

/// Why a manifest does not parse: the 1-based line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Malformed {
    /// The line that is not a manifest line.
    pub line: usize,
}

/// The manifest's text: a header saying what it is, the `up` line, a line per revision.
pub fn render(manifest: &Manifest) -> String {
    let mut text = String::from(
        "# Written by `migrate squash`: the revisions baseline/up.sql replaces on an empty database,\n\
         # with the checksums they had when it was proven equal to them, and the checksum of up.sql.\n\
         # Do not edit: run `migrate squash --through REV` again.\n",
    );
    text.push_str(&format!("up {}\n", manifest.up.to_hex()));
    for s in &manifest.squashed {
        text.push_str(&format!(
            "{} {} {}\n",
            s.source,
            s.algorithm.id(),
            s.checksum.to_hex()
        ));
    }
    text
}

/// Parses a manifest. Names may contain spaces (fields are split from the right).
pub fn parse(text: &str) -> Result<Manifest, Malformed> {
    let mut up = None;
    let mut squashed = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim_start_matches('\u{feff}').trim_end_matches('\r');
        if line.trim().is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = Malformed { line: i + 1 };
        if up.is_none() {
            let hex = line.strip_prefix("up ").ok_or(malformed)?;
            up = Some(Checksum::from_hex(hex).ok_or(malformed)?);
            continue;
        }
        let mut fields = line.rsplitn(3, ' ');
        let (Some(hex), Some(id), Some(source)) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(malformed);
        };
        let algorithm = id
            .parse()
            .ok()
            .and_then(ChecksumAlgorithm::from_id)
            .ok_or(malformed)?;
        squashed.push(Squashed {
            source: source.to_owned(),
            algorithm,
            checksum: Checksum::from_hex(hex).ok_or(malformed)?,
        });
    }
    let line = text.lines().count().max(1);
    match (up, squashed.is_empty()) {
        (Some(up), false) => Ok(Manifest { up, squashed }),
        _ => Err(Malformed { line }),
    }
}
