//! The compact form in which `embed_migrations!` emits the revision table: one string holding
//! every text of every revision and one byte string indexing it, instead of an expression per
//! revision, script, statement and checksum byte. rustc's type checking and const evaluation of
//! those thousands of small expressions dominated the build of a crate embedding a long history.
//!
//! The text is, per revision in order: version, name, source, then each script's file and SQL
//! (the down script's only if there is one). The index starts with the baseline of a squashed
//! history ([`crate::baseline`]): 0 for none, or 1, the number of revisions it replaces, its 32
//! checksum bytes, its up script, then 0 or 1 and its down script (their texts come first in the
//! text too). Then, per revision: the 32 checksum bytes, a flags byte (1: squashed, its
//! directory dropped, so no scripts follow; 2: its checksum is of Rust source), the lengths of
//! version, name and source, then, unless squashed, the up script, then 0 (no down script) or 1
//! and the down script. A script is the lengths of its file and SQL, its transaction mode (0 wrapped,
//! 1 own, 2 none; plus 4 when the grammar rejects it, plus 8 for a Rust script, whose SQL is its
//! source and whose compiled function is the next of the table's codes, in the order of the
//! Rust scripts), its statement ranges ([`pack`]) preceded
//! by their count, and for a rejected script its syntax error: the lengths of the message and
//! of the offending line (both in the text), then offset, line, column and width. Numbers are
//! unsigned LEB128 (7 bits a byte, low bits first, the high bit set on every byte but the last).
//!
//! ```
//! use migrations_core::packed;
//!
//! let ranges = vec![0..23, 25..300];
//! assert_eq!(packed::unpack(&packed::pack(&ranges)), ranges);
//! ```

use std::ops::Range;

use crate::baseline::Baseline;
use crate::problem::SyntaxError;
use crate::revision::{Checksum, ChecksumAlgorithm, Code, Revision, Script, TransactionMode};

/// The text and index of `revisions` and `baseline`, for `Migrations::__packed_v4`.
pub fn pack_table(revisions: &[Revision], baseline: Option<&Baseline>) -> (String, Vec<u8>) {
    let (mut text, mut index) = (String::new(), Vec::new());
    match baseline {
        Some(b) => {
            index.push(1);
            push(&mut index, b.level());
            index.extend_from_slice(&b.checksum().0);
            pack_scripts(b.up(), b.down(), &mut text, &mut index);
        }
        None => index.push(0),
    }
    for r in revisions {
        index.extend_from_slice(&r.checksum().0);
        let rust = r.checksum_algorithm() == ChecksumAlgorithm::RustSource;
        index.push(u8::from(r.is_squashed()) | (u8::from(rust) << 1));
        for part in [r.version(), r.name(), r.source()] {
            push(&mut index, part.len());
            text.push_str(part);
        }
        if !r.is_squashed() {
            pack_scripts(r.up(), r.down(), &mut text, &mut index);
        }
    }
    (text, index)
}

/// An up script and the down script if there is one.
fn pack_scripts(up: &Script, down: Option<&Script>, text: &mut String, index: &mut Vec<u8>) {
    pack_script(up, text, index);
    match down {
        Some(down) => {
            index.push(1);
            pack_script(down, text, index);
        }
        None => index.push(0),
    }
}

fn pack_script(script: &Script, text: &mut String, index: &mut Vec<u8>) {
    for part in [script.file(), script.sql()] {
        push(index, part.len());
        text.push_str(part);
    }
    let mode = match script.transaction() {
        TransactionMode::Wrapped => 0,
        TransactionMode::Own => 1,
        TransactionMode::None => 2,
    };
    let error = if script.syntax_error().is_some() {
        4
    } else {
        0
    };
    let rust = if script.is_rust() { 8 } else { 0 };
    index.push(mode | error | rust);
    let ranges = script.statement_ranges();
    push(index, ranges.len());
    index.extend(pack(&ranges));
    if let Some(error) = script.syntax_error() {
        for part in [&error.message, &error.source_line] {
            push(index, part.len());
            text.push_str(part);
        }
        for number in [error.offset, error.line, error.column, error.width] {
            push(index, number);
        }
    }
}

/// What [`pack_table`] packed.
#[derive(Clone)]
pub(crate) struct Unpacked {
    pub(crate) revisions: Vec<Revision>,
    pub(crate) baseline: Option<Baseline>,
}

/// The revisions and baseline [`pack_table`] packed, with the compiled functions of their Rust
/// scripts.
pub(crate) fn unpack_table(text: &'static str, index: &[u8], codes: &[Code]) -> Unpacked {
    let mut reader = Reader {
        text,
        index,
        codes: codes.iter(),
    };
    let baseline = (reader.byte() == 1).then(|| {
        let level = reader.number();
        let checksum = reader.checksum();
        let up = reader.script();
        let down = (reader.byte() == 1).then(|| reader.script());
        Baseline::new(level, up, down, checksum)
    });
    let mut revisions = Vec::new();
    while !reader.index.is_empty() {
        revisions.push(reader.revision());
    }
    Unpacked {
        revisions,
        baseline,
    }
}

/// A cursor over a packed table.
struct Reader<'i> {
    text: &'static str,
    index: &'i [u8],
    codes: std::slice::Iter<'i, Code>,
}

/// Why unpacking cannot fail: the table is the output of [`pack_table`] in the same crate version
/// (the format is in `__packed_v4`'s name).
const WELL_FORMED: &str = "embed_migrations! packs the table in the format this crate reads";

impl Reader<'_> {
    fn revision(&mut self) -> Revision {
        let checksum = self.checksum();
        let flags = self.byte();
        let (version, name, source) = (self.text(), self.text(), self.text());
        if flags & 1 != 0 {
            let algorithm = match flags & 2 {
                0 => ChecksumAlgorithm::Sha256,
                _ => ChecksumAlgorithm::RustSource,
            };
            let (version, name, source) = (version.into(), name.into(), source.into());
            return Revision::squashed(version, name, source, (algorithm, checksum));
        }
        let up = self.script();
        let down = (self.byte() == 1).then(|| self.script());
        Revision::__new(version, name, source, up, down, checksum.0)
    }

    fn checksum(&mut self) -> Checksum {
        let (checksum, rest) = self.index.split_at(32);
        self.index = rest;
        Checksum(checksum.try_into().expect(WELL_FORMED))
    }

    fn script(&mut self) -> Script {
        let (file, sql) = (self.text(), self.text());
        let byte = self.byte();
        let mode = match byte & 3 {
            0 => TransactionMode::Wrapped,
            1 => TransactionMode::Own,
            _ => TransactionMode::None,
        };
        let count = self.number();
        let ranges = (0..count).map(|_| self.number()..self.number()).collect();
        if byte & 8 != 0 {
            let code = self.codes.next().copied();
            return Script::rust(file.into(), sql.into(), code);
        }
        let error = (byte & 4 != 0).then(|| {
            let (message, source_line) = (self.text(), self.text());
            SyntaxError {
                path: file.to_owned(),
                message: message.to_owned(),
                offset: self.number(),
                line: self.number(),
                column: self.number(),
                width: self.number(),
                source_line: source_line.to_owned(),
            }
        });
        Script::embedded(file, sql, mode, ranges).with_syntax_error(error)
    }

    fn text(&mut self) -> &'static str {
        let len = self.number();
        let (part, rest) = self.text.split_at(len);
        self.text = rest;
        part
    }

    fn byte(&mut self) -> u8 {
        let (&b, rest) = self.index.split_first().expect(WELL_FORMED);
        self.index = rest;
        b
    }

    fn number(&mut self) -> usize {
        take(&mut self.index).expect(WELL_FORMED)
    }
}

/// Encodes `ranges` as start and end numbers.
pub fn pack(ranges: &[Range<usize>]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ranges.len() * 4);
    for range in ranges {
        push(&mut out, range.start);
        push(&mut out, range.end);
    }
    out
}

/// Decodes what [`pack`] encoded. The bytes come from the macro of the same crate version, so
/// they are well formed; a truncated trailing number is dropped rather than invented.
pub fn unpack(mut bytes: &[u8]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    while let (Some(start), Some(end)) = (take(&mut bytes), take(&mut bytes)) {
        out.push(start..end);
    }
    out
}

fn push(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n & 0x7f) as u8 | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn take(bytes: &mut &[u8]) -> Option<usize> {
    let mut n = 0usize;
    for (i, &b) in bytes.iter().enumerate() {
        n |= usize::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            *bytes = &bytes[i + 1..];
            return Some(n);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_small_and_large_offsets() {
        let ranges = vec![0..0, 1..127, 128..16_384, 70_000..(1 << 31)];
        assert_eq!(unpack(&pack(&ranges)), ranges);
        assert!(unpack(&pack(&[])).is_empty());
        assert_eq!(pack(&[5..300, 1..2]), [5, 0xac, 0x02, 1, 2]);
    }

    #[test]
    fn tables_round_trip() {
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("in a directory")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write(
            "001_a/up.sql",
            "CREATE TABLE é (x int);\nINSERT INTO é VALUES (1);",
        );
        write("001_a/down.sql", "DROP TABLE é;");
        write(
            "002_b/up.sql",
            "-- migrate: no-transaction, irreversible\nVACUUM;",
        );
        write("003_c/up.sql", "BEGIN;\nSELECT 1;\nCOMMIT;\n");
        write("003_c/down.sql", "");
        // An imported history's broken down script: its syntax error travels with it.
        write("004_d/up.sql", "SELECT 1;");
        write("004_d/down.sql", "SELECT 1;\nDROP TABLEE é;");
        let loaded = crate::load_dir(dir.path(), "m", Default::default()).expect("valid");
        let (text, index) = pack_table(loaded.as_slice(), loaded.baseline());
        // The macro emits them as literals: 'static.
        let (text, index) = (text.leak(), index.leak());
        let embedded = crate::Migrations::__packed_v4(loaded.layout(), text, index, &[]);
        assert_eq!(embedded, loaded);
        assert_eq!(
            embedded.get("003").and_then(|r| r.down()).map(|d| d.sql()),
            Some("")
        );
        let broken = embedded.get("004").and_then(|r| r.down());
        let error = broken.and_then(|d| d.syntax_error());
        #[cfg(feature = "parse")]
        assert_eq!(
            error.map(|e| (e.path.as_str(), e.line, e.column)),
            Some(("004_d/down.sql", 2, 6))
        );
        #[cfg(not(feature = "parse"))]
        assert!(error.is_none(), "nothing checks syntax without the grammar");
    }

    /// A squashed history: its baseline, and revisions dropped since (one of them Rust, whose
    /// checksum algorithm must survive) beside one still on disk.
    #[test]
    fn baselines_and_squashed_revisions_round_trip() {
        use crate::baseline::{render, Manifest, Squashed};
        let dir = tempfile::tempdir().expect("tempdir");
        let write = |path: &str, text: &str| {
            let path = dir.path().join(path);
            std::fs::create_dir_all(path.parent().expect("in a directory")).expect("mkdir");
            std::fs::write(path, text).expect("write");
        };
        write("003_c/up.sql", "CREATE TABLE c ();");
        write("003_c/down.sql", "DROP TABLE c;");
        write("004_d/up.sql", "CREATE TABLE d ();");
        write("004_d/down.sql", "DROP TABLE d;");
        let on_disk = crate::load_dir(
            dir.path(),
            "m",
            crate::ScanOptions {
                unlocked: true,
                ..Default::default()
            },
        );
        let c = Squashed::of(
            on_disk
                .as_ref()
                .ok()
                .and_then(|m| m.get("003"))
                .expect("003"),
        );
        let up = "CREATE TABLE a ();\nCREATE TABLE b ();\nCREATE TABLE c ();\n";
        write("baseline/up.sql", up);
        write("baseline/down.sql", "DROP TABLE a, b, c;\n");
        let manifest = Manifest {
            up: crate::source::checksum(up),
            squashed: vec![
                Squashed {
                    source: "001_a".into(),
                    algorithm: crate::ChecksumAlgorithm::Sha256,
                    checksum: crate::Checksum([1; 32]),
                },
                Squashed {
                    source: "002_b".into(),
                    algorithm: crate::ChecksumAlgorithm::RustSource,
                    checksum: crate::Checksum([2; 32]),
                },
                c,
            ],
        };
        write("baseline/squashed.list", &render(&manifest));
        let loaded = crate::load_dir(dir.path(), "m", Default::default()).expect("valid");
        let versions: Vec<(&str, bool)> = loaded
            .iter()
            .map(|r| (r.version(), r.is_squashed()))
            .collect();
        assert_eq!(
            versions,
            [("001", true), ("002", true), ("003", false), ("004", false)]
        );
        assert_eq!(loaded.baseline().map(|b| b.level()), Some(3));
        let (text, index) = pack_table(loaded.as_slice(), loaded.baseline());
        let (text, index) = (text.leak(), index.leak());
        let embedded = crate::Migrations::__packed_v4(loaded.layout(), text, index, &[]);
        assert_eq!(embedded, loaded);
        let b = embedded.get("002").expect("002");
        assert_eq!(b.checksum_algorithm(), crate::ChecksumAlgorithm::RustSource);
        assert_eq!(b.checksum(), crate::Checksum([2; 32]));
        assert_eq!(embedded.baseline().map(|b| b.up().sql()), Some(up));
    }
}
