//! Parse and lint results kept between builds, so that an incremental build re-parses only the
//! scripts that changed.
//!
//! `embed_migrations!` runs again whenever any migration changes, and parsing every script of a
//! long history each time cost more than the rest of the crate's build. The macro runs inside
//! rustc for a crate that has a build script (it refuses to expand otherwise), so `OUT_DIR` is
//! that crate's own scratch directory: the cache lives there, one file per migrations directory.
//!
//! An entry holds the exact text it was computed from and is used only for that same text (and
//! the same flags); the whole file is dropped when the code that computes the results may have
//! changed ([`fingerprint`]). A missing, unreadable, corrupt or outdated file is an empty cache:
//! the cache can make a build faster, never change its result. Without `OUT_DIR` (a directory
//! read at run time by the CLI) there is no cache.

use std::collections::HashMap;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::ops::Range;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::problem::SyntaxError;

/// Bumped when the file layout changes.
const FORMAT: &str = "embed_migrations cache 1";

/// Parse and lint results by script; see the module docs.
#[derive(Debug, Default)]
pub struct Cache {
    /// Where the cache is stored; `None`: no cache.
    path: Option<PathBuf>,
    /// Entries read from the file, by key; taken out as they are used.
    old: HashMap<String, Entry>,
    /// Entries this run used or computed: what the file holds next.
    new: HashMap<String, Entry>,
    /// Something was computed: the file is out of date.
    missed: bool,
}

#[derive(Debug)]
struct Entry {
    /// The text the result was computed from.
    text: String,
    /// The result, encoded.
    payload: String,
}

impl Cache {
    /// No cache: every script is parsed.
    pub fn disabled() -> Self {
        Self::default()
    }

    /// The cache of the build being run, for the migrations directory `dir` (as the macro call
    /// names it), in `$OUT_DIR`; disabled when `OUT_DIR` is not set.
    pub fn for_build(dir: &str) -> Self {
        let Some(out_dir) = std::env::var_os("OUT_DIR") else {
            return Self::disabled();
        };
        let mut name = DefaultHasher::new();
        dir.hash(&mut name);
        Self::at(
            PathBuf::from(out_dir).join(format!("embed_migrations-{:016x}.cache", name.finish())),
        )
    }

    /// The cache stored in the file `path` (which need not exist yet).
    fn at(path: PathBuf) -> Self {
        let old = std::fs::read_to_string(&path)
            .ok()
            .and_then(|file| read(&file))
            .unwrap_or_default();
        Self {
            path: Some(path),
            old,
            new: HashMap::new(),
            missed: false,
        }
    }

    /// Writes the entries this run used, when they differ from the file's. Failing to write
    /// only costs the next build time, so errors are ignored.
    pub fn save(self) {
        let Some(path) = self.path else {
            return;
        };
        if !self.missed && self.old.is_empty() {
            return;
        }
        let mut out = String::new();
        put(&mut out, FORMAT);
        put(&mut out, &fingerprint());
        for (key, entry) in &self.new {
            put(&mut out, key);
            put(&mut out, &entry.text);
            put(&mut out, &entry.payload);
        }
        // Written aside and renamed, so a reader never sees half a file; the name is unique to
        // this save, as a proc-macro server may expand in several threads of one process.
        static SAVES: AtomicUsize = AtomicUsize::new(0);
        let n = SAVES.fetch_add(1, Ordering::Relaxed);
        let temp = path.with_extension(format!("tmp{}-{n}", std::process::id()));
        if std::fs::write(&temp, out).is_ok() && std::fs::rename(&temp, &path).is_err() {
            let _ = std::fs::remove_file(&temp);
        }
    }

    /// [`crate::syntax::split`] of `text`, the file at `path`.
    pub(crate) fn split(
        &mut self,
        path: &str,
        text: &str,
    ) -> (Vec<Range<usize>>, Option<SyntaxError>) {
        self.get_or(format!("split {path}"), text, decode_split, || {
            let result = crate::syntax::split(text);
            let payload = encode_split(&result);
            (result, payload)
        })
    }

    /// The cached result for `text` under `key` if it was computed from that same text, else
    /// `compute`'s.
    pub(crate) fn get_or<T>(
        &mut self,
        key: String,
        text: &str,
        decode: fn(&str) -> Option<T>,
        compute: impl FnOnce() -> (T, String),
    ) -> T {
        if self.path.is_none() {
            return compute().0;
        }
        if let Some(entry) = self.old.remove(&key) {
            if entry.text == text {
                if let Some(found) = decode(&entry.payload) {
                    self.new.insert(key, entry);
                    return found;
                }
            }
        }
        self.missed = true;
        let (result, payload) = compute();
        let text = text.to_owned();
        self.new.insert(key, Entry { text, payload });
        result
    }
}

/// Identifies the code that computed the results: the file format, this crate's version and
/// features, the `pg_query` build (its types' ids change with its version), and the source of
/// every module whose output is cached, so that editing a rule invalidates old results.
fn fingerprint() -> String {
    let mut hasher = DefaultHasher::new();
    (FORMAT, env!("CARGO_PKG_VERSION"), cfg!(feature = "parse")).hash(&mut hasher);
    #[cfg(feature = "parse")]
    {
        std::any::TypeId::of::<pg_query::protobuf::ParseResult>().hash(&mut hasher);
        for source in [
            include_str!("parse.rs"),
            include_str!("parse/locate.rs"),
            include_str!("lint/hits.rs"),
            include_str!("lint/check.rs"),
            include_str!("lint/need.rs"),
            include_str!("lint/rule.rs"),
        ] {
            source.hash(&mut hasher);
        }
    }
    for source in [
        include_str!("cache.rs"),
        include_str!("syntax.rs"),
        include_str!("sql.rs"),
    ] {
        source.hash(&mut hasher);
    }
    format!("{:016x}", hasher.finish())
}

/// The entries of a cache file, or `None` when it is not one this build wrote.
fn read(file: &str) -> Option<HashMap<String, Entry>> {
    let mut rest = file;
    if take(&mut rest)? != FORMAT || take(&mut rest)? != fingerprint() {
        return None;
    }
    let mut entries = HashMap::new();
    while !rest.is_empty() {
        let key = take(&mut rest)?.to_owned();
        let text = take(&mut rest)?.to_owned();
        let payload = take(&mut rest)?.to_owned();
        entries.insert(key, Entry { text, payload });
    }
    Some(entries)
}

/// Appends `field` as `<length>:<field>`, so any text can be stored without escaping.
pub(crate) fn put(out: &mut String, field: &str) {
    out.push_str(&field.len().to_string());
    out.push(':');
    out.push_str(field);
}

/// Takes one field written by [`put`] off the front of `input`.
pub(crate) fn take<'a>(input: &mut &'a str) -> Option<&'a str> {
    let (length, rest) = input.split_once(':')?;
    let length: usize = length.parse().ok()?;
    let field = rest.get(..length)?;
    *input = &rest[length..];
    Some(field)
}

/// Numbers as one space-separated field.
pub(crate) fn put_numbers(out: &mut String, numbers: impl Iterator<Item = usize>) {
    let joined: Vec<String> = numbers.map(|n| n.to_string()).collect();
    put(out, &joined.join(" "));
}

/// The numbers of a field written by [`put_numbers`].
pub(crate) fn take_numbers(input: &mut &str) -> Option<Vec<usize>> {
    take(input)?
        .split_ascii_whitespace()
        .map(|n| n.parse().ok())
        .collect()
}

/// Ranges as start and end numbers.
pub(crate) fn put_ranges(out: &mut String, ranges: &[Range<usize>]) {
    put_numbers(out, ranges.iter().flat_map(|r| [r.start, r.end]));
}

/// The ranges of a field written by [`put_ranges`].
pub(crate) fn take_ranges(input: &mut &str) -> Option<Vec<Range<usize>>> {
    let numbers = take_numbers(input)?;
    if numbers.len() % 2 != 0 {
        return None;
    }
    Some(numbers.chunks(2).map(|p| p[0]..p[1]).collect())
}

fn encode_split((ranges, error): &(Vec<Range<usize>>, Option<SyntaxError>)) -> String {
    let mut out = String::new();
    put_ranges(&mut out, ranges);
    if let Some(e) = error {
        put(&mut out, &e.message);
        put(&mut out, &e.source_line);
        put_numbers(&mut out, [e.offset, e.line, e.column, e.width].into_iter());
    }
    out
}

fn decode_split(mut payload: &str) -> Option<(Vec<Range<usize>>, Option<SyntaxError>)> {
    let ranges = take_ranges(&mut payload)?;
    if payload.is_empty() {
        return Some((ranges, None));
    }
    let message = take(&mut payload)?.to_owned();
    let source_line = take(&mut payload)?.to_owned();
    let [offset, line, column, width] = take_numbers(&mut payload)?.try_into().ok()?;
    let error = SyntaxError {
        path: String::new(),
        message,
        offset,
        line,
        column,
        width,
        source_line,
    };
    Some((ranges, Some(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_round_trip_any_text() {
        let mut out = String::new();
        put(&mut out, "a:b\n12:");
        put_ranges(&mut out, &[0..3, 5..90]);
        put(&mut out, "");
        let mut rest = out.as_str();
        assert_eq!(take(&mut rest), Some("a:b\n12:"));
        assert_eq!(take_ranges(&mut rest), Some(vec![0..3, 5..90]));
        assert_eq!(take(&mut rest), Some(""));
        assert!(rest.is_empty());
        assert_eq!(take(&mut "9:short"), None);
    }

    #[test]
    fn split_results_round_trip() {
        for text in [
            "SELECT 1; SELECT 2;",
            "CREATE TABLE t (x int);\nDROP INDEX IF EXIST i;",
        ] {
            let result = crate::syntax::split(text);
            assert_eq!(decode_split(&encode_split(&result)), Some(result));
        }
    }

    /// A scan and (with the `parse` feature) a lint of `dir`, as text to compare.
    fn results(dir: &std::path::Path, cache: &mut Cache) -> String {
        let options = crate::ScanOptions {
            allow_up_only: true,
            ..crate::ScanOptions::default()
        };
        let report = crate::scan_cached(dir, "m", options, cache);
        #[cfg(feature = "parse")]
        let lint = crate::lint::check_cached(
            &report.revisions,
            "m",
            &crate::lint::Config::default(),
            cache,
        );
        #[cfg(not(feature = "parse"))]
        let lint = ();
        format!(
            "{:?}\n{:?}\n{:?}\n{:?}\n{:?}\n{lint:?}",
            report.revisions, report.problems, report.syntax_errors, report.warnings, report.notes
        )
    }

    /// The cache must never change a result: a cold and a warm cache give what no cache gives,
    /// on every real history and the project's own, and the warm one computes nothing.
    #[test]
    fn results_with_and_without_the_cache_are_identical_on_every_corpus() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let store = tempfile::tempdir().expect("tempdir");
        let Some(corpora) = crate::corpora::dir("the cache test on every corpus") else {
            return;
        };
        let dirs = ["docsrs", "graph-node", "zksync-era"].map(|name| corpora.join(name));
        for (i, dir) in dirs
            .into_iter()
            .chain([root.join("../app-db/migrations")])
            .enumerate()
        {
            let name = dir.display().to_string();
            let path = store.path().join(format!("{i}.cache"));
            let uncached = results(&dir, &mut Cache::disabled());
            let mut cold = Cache::at(path.clone());
            assert_eq!(results(&dir, &mut cold), uncached, "{name}, cold");
            assert!(cold.missed);
            cold.save();
            let mut warm = Cache::at(path.clone());
            assert!(!warm.old.is_empty(), "{name}: the cache was written");
            assert_eq!(results(&dir, &mut warm), uncached, "{name}, warm");
            assert!(!warm.missed, "{name}: a warm cache computes nothing");
        }
    }

    #[test]
    fn a_changed_script_is_recomputed_and_a_corrupt_file_is_an_empty_cache() {
        let store = tempfile::tempdir().expect("tempdir");
        let path = store.path().join("c.cache");
        let mut cache = Cache::at(path.clone());
        assert_eq!(cache.split("a.sql", "SELECT 1;").0.len(), 1);
        cache.save();
        let mut cache = Cache::at(path.clone());
        assert_eq!(
            cache.split("a.sql", "SELECT 1; SELECT 2;").0,
            [0..9, 10..19]
        );
        assert!(cache.missed);
        std::fs::write(&path, "41:embed_migrations cache 1 then garbage").expect("write");
        let mut cache = Cache::at(path);
        assert!(cache.old.is_empty());
        assert_eq!(cache.split("a.sql", "SELECT 1;").0.len(), 1);
    }
}
