//! The lock file, `migrations.lock` beside the revisions: one line per revision with its
//! checksum and a hash chained over every line before it, then a `head` line.
//!
//! It exists for git, not for the runtime. Versions that never collide (timestamps) let two
//! branches each add a revision and merge without a conflict, and the problem would first show
//! at deploy, as an out-of-order refusal. Both branches change the lock's last lines, so git
//! reports a conflict at merge time instead; and a file merged by hand without regard for the
//! chain fails verification at the first line that disagrees. The chain also lets the history
//! say at which revision a database and a binary part ways (see [`chain`]).
//!
//! ```
//! # use migrations_core::{lock, Revision, Script, TransactionMode};
//! static REVISIONS: [Revision; 1] = [Revision::__new(
//!     "001", "users", "001_users",
//!     Script::__new("001_users/up.sql", "CREATE TABLE users (id int);", TransactionMode::Wrapped),
//!     None, [7; 32],
//! )];
//! let text = lock::render(&REVISIONS);
//! assert!(text.contains("\n001_users 0707070707070707 "));
//! assert_eq!(lock::verify(&text, &REVISIONS), Ok(()));
//! ```

use sha2::{Digest, Sha256};

use crate::revision::{Checksum, Revision};

/// The lock file's name, in the migrations directory.
pub const FILE: &str = "migrations.lock";

/// Hex digits of checksums and chains written in the file: 64 bits, plenty to notice an
/// accidental change, and short enough to read.
const DIGITS: usize = 16;

const HEADER: &str = "\
# migrations.lock: every revision in order, its checksum, and a hash chained over the lines
# before it. Written by `migrate lock`, `migrate revision` and `migrate rebase`; checked by the
# build and by `migrate --dir`. Do not edit it by hand.
#
# A git conflict here means two branches each added a revision. Keep both sides' revision
# directories, then run `migrate rebase <version>` for the revision of the branch merged second.
";

/// The chained hash after each revision, in table order: the hash of the previous one (zeros
/// before the first), the version and the checksum with its algorithm. Equal chains at a
/// version mean equal histories up to it, order included.
pub fn chain(revisions: &[Revision]) -> Vec<Checksum> {
    let mut previous = Checksum([0; 32]);
    revisions
        .iter()
        .map(|revision| {
            previous = link(previous, revision);
            previous
        })
        .collect()
}

/// The chain after `revision`, following `previous`.
pub fn link(previous: Checksum, revision: &Revision) -> Checksum {
    let mut hash = Sha256::new();
    hash.update(previous.0);
    hash.update(revision.version().as_bytes());
    hash.update([0]);
    hash.update(revision.checksum_algorithm().id().to_be_bytes());
    hash.update(revision.checksum().0);
    Checksum(hash.finalize().into())
}

/// The lock file for `revisions`.
pub fn render(revisions: &[Revision]) -> String {
    let mut text = HEADER.to_owned();
    let chains = chain(revisions);
    for (revision, chain) in revisions.iter().zip(&chains) {
        text.push_str(&format!(
            "{} {} {}\n",
            revision.source(),
            short(revision.checksum()),
            short(*chain)
        ));
    }
    match (revisions.last(), chains.last()) {
        (Some(head), Some(chain)) => {
            text.push_str(&format!("head {} {}\n", head.version(), short(*chain)))
        }
        _ => text.push_str("head base\n"),
    }
    text
}

/// A checksum or chain as the lock file writes it: its first 16 hex digits.
pub fn short(checksum: Checksum) -> String {
    checksum.to_hex()[..DIGITS].to_owned()
}

/// Why a lock file does not match the directory: the first disagreement only, because every
/// line after it disagrees too.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Defect {
    /// Git's conflict markers: two branches each added revisions.
    Conflicted {
        /// The line of the first marker (1-based).
        line: usize,
        /// The revisions on either side of the conflict, as written there.
        sides: [Vec<String>; 2],
    },
    /// A line that is neither a comment, a revision nor the head.
    Malformed {
        /// The line (1-based).
        line: usize,
    },
    /// The first revision at which the file and the directory part ways.
    Disagrees {
        /// The revision's name on disk, from the directory or (for a line the directory does
        /// not have) from the file.
        revision: String,
        /// What differs.
        reason: Disagreement,
    },
}

/// How a revision's line differs from the directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Disagreement {
    /// The directory has the revision; the file does not list it here.
    NotListed {
        /// The revision the file lists in its place, if any.
        listed: Option<String>,
    },
    /// The file lists a revision the directory does not have.
    Missing,
    /// The up script changed since the file was written.
    Checksum,
    /// The revision's line is right but the chain is not: lines were merged or edited by hand.
    Chain,
    /// The `head` line does not name the last revision and its chain.
    Head,
}

/// Checks `text` (a lock file) against `revisions`, the directory's table.
pub fn verify(text: &str, revisions: &[Revision]) -> Result<(), Defect> {
    let lines = parse(text)?;
    let chains = chain(revisions);
    let mut listed = lines.entries.iter();
    for (revision, chain) in revisions.iter().zip(&chains) {
        let disagrees = |reason| Defect::Disagrees {
            revision: revision.source().to_owned(),
            reason,
        };
        let Some(entry) = listed.next() else {
            return Err(disagrees(Disagreement::NotListed { listed: None }));
        };
        if entry.source != revision.source() {
            let in_file = revisions.iter().any(|r| r.source() == entry.source);
            return Err(match in_file {
                // The file's revision exists further on: this one was inserted before it.
                true => disagrees(Disagreement::NotListed {
                    listed: Some(entry.source.clone()),
                }),
                false => Defect::Disagrees {
                    revision: entry.source.clone(),
                    reason: Disagreement::Missing,
                },
            });
        }
        if entry.checksum != short(revision.checksum()) {
            return Err(disagrees(Disagreement::Checksum));
        }
        if entry.chain != short(*chain) {
            return Err(disagrees(Disagreement::Chain));
        }
    }
    if let Some(extra) = listed.next() {
        return Err(Defect::Disagrees {
            revision: extra.source.clone(),
            reason: Disagreement::Missing,
        });
    }
    let head = match (revisions.last(), chains.last()) {
        (Some(head), Some(chain)) => format!("{} {}", head.version(), short(*chain)),
        _ => "base".to_owned(),
    };
    if lines.head.as_deref() != Some(head.as_str()) {
        return Err(Defect::Disagrees {
            revision: revisions
                .last()
                .map_or_else(|| "base".to_owned(), |r| r.source().to_owned()),
            reason: Disagreement::Head,
        });
    }
    Ok(())
}

struct Entry {
    source: String,
    checksum: String,
    chain: String,
}

struct Lines {
    entries: Vec<Entry>,
    head: Option<String>,
}

fn parse(text: &str) -> Result<Lines, Defect> {
    if let Some(conflict) = conflict(text) {
        return Err(conflict);
    }
    let mut lines = Lines {
        entries: Vec::new(),
        head: None,
    };
    // An editor may have added a byte order mark, as scripts get one (and lose it when read).
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let malformed = Defect::Malformed { line: number + 1 };
        if lines.head.is_some() {
            return Err(malformed);
        }
        if let Some(head) = line.strip_prefix("head ") {
            lines.head = Some(head.trim().to_owned());
            continue;
        }
        // The name comes first and may hold anything; the two hashes are the last words.
        let mut words = line.rsplitn(3, ' ');
        let (Some(chain), Some(checksum), Some(source)) =
            (words.next(), words.next(), words.next())
        else {
            return Err(malformed);
        };
        lines.entries.push(Entry {
            source: source.to_owned(),
            checksum: checksum.to_owned(),
            chain: chain.to_owned(),
        });
    }
    Ok(lines)
}

/// Git's markers (`<<<<<<<`, `|||||||`, `=======`, `>>>>>>>`), with the revisions each side
/// lists: found whatever else is wrong with the directory.
pub fn conflict(text: &str) -> Option<Defect> {
    let first = text.lines().position(|l| l.starts_with("<<<<<<<"))?;
    let mut sides: [Vec<String>; 2] = [Vec::new(), Vec::new()];
    let mut side = Some(0);
    for line in text.lines().skip(first + 1) {
        match line.get(..7) {
            Some("|||||||") => side = None, // the common ancestor, in diff3 style
            Some("=======") => side = Some(1),
            Some(">>>>>>>") => break,
            _ => {
                let words: Vec<&str> = line.split_whitespace().collect();
                if let (Some(i), [_, .., _, _]) = (side, words.as_slice()) {
                    if words[0] != "head" && !line.starts_with('#') {
                        sides[i].push(words[..words.len() - 2].join(" "));
                    }
                }
            }
        }
    }
    Some(Defect::Conflicted {
        line: first + 1,
        sides,
    })
}

#[cfg(test)]
mod tests;
