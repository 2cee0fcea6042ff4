//! `rebase REV...`: renumbers revisions not yet applied to come after every other revision, for
//! the branch merged second, and rewrites the lock file.
//!
//! It works on names, not on the validated table: two branches numbering sequentially both add
//! `004`, and that directory does not load until one of them is renumbered.

use std::cmp::Ordering;
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::SystemTime;

use migrations_core::name::{self, VersionName};
use migrations_core::{checksum_of, Checksum, Language, Layout};

use super::{lockfile, scaffold, CliError, GlobalArgs, Source};
use crate::history::HistoryTable;
use crate::MigrateError;

/// A revision on disk: its name without suffix and the entries that make it up (a directory,
/// or the flat files sharing the name).
struct Entry {
    stem: String,
    version: VersionName,
    files: Vec<String>,
    /// A revision directory, not flat files.
    is_dir: bool,
}

/// `rebase REV...`.
pub(super) async fn run(
    source: &Source<'_>,
    global: &GlobalArgs,
    revisions: &[String],
) -> Result<ExitCode, CliError> {
    let (dir, allow_up_only) = lockfile::directory(source, "rebase")?;
    let entries = entries(dir)?;
    let chosen = choose(&entries, revisions, dir)?;
    refuse_squashed(dir, &entries, &chosen)?;
    refuse_applied(global, dir, &entries, &chosen).await?;
    let renames = renumber(&entries, &chosen, SystemTime::now())?;
    rename(dir, &entries, &renames)?;
    for (entry, version) in &renames {
        let entry = &entries[*entry];
        let renamed = format!("{version}{}", &entry.stem[entry.version.raw.len()..]);
        println!("renumbered {} -> {renamed}", entry.stem);
    }
    if renames.is_empty() {
        println!("already after every other revision: nothing renumbered");
    }
    if lockfile::exists(dir) {
        let migrations = lockfile::read(dir, allow_up_only)?;
        println!("wrote {}", lockfile::write(dir, &migrations)?);
    }
    println!("commit the revisions and the lock file");
    Ok(ExitCode::SUCCESS)
}

/// Refuses a revision the directory's baseline replaces: renumbered, it would run again after
/// the baseline (or after the chain that applied it), and the baseline would miss it.
fn refuse_squashed(dir: &Path, entries: &[Entry], chosen: &[usize]) -> Result<(), CliError> {
    let list = dir
        .join(migrations_core::baseline::DIR)
        .join(migrations_core::baseline::MANIFEST);
    let Ok(text) = std::fs::read_to_string(&list) else {
        return Ok(());
    };
    let Ok(manifest) = migrations_core::baseline::parse(&text) else {
        return Ok(());
    };
    let squashed = chosen
        .iter()
        .map(|&i| &entries[i])
        .find(|e| manifest.squashed.iter().any(|s| s.source == e.stem));
    match squashed {
        Some(entry) => Err(CliError::RebaseSquashed {
            revision: entry.stem.clone(),
            list: list.display().to_string(),
        }),
        None => Ok(()),
    }
}

/// Every revision in `dir`, ordered as versions sort for numbering (shorter first).
fn entries(dir: &Path) -> Result<Vec<Entry>, CliError> {
    let unreadable = |source| CliError::Read {
        path: dir.display().to_string(),
        source,
    };
    let mut entries: Vec<Entry> = Vec::new();
    for item in std::fs::read_dir(dir).map_err(unreadable)? {
        let item = item.map_err(unreadable)?;
        let Ok(file) = item.file_name().into_string() else {
            continue;
        };
        let is_dir = item.path().is_dir();
        let version = match is_dir {
            true => name::parse_dir_name(&file).and_then(Result::ok),
            false => name::parse_flat_name(&file)
                .and_then(Result::ok)
                .map(|f| f.version),
        };
        let Some(version) = version else { continue };
        // As written: the separator may be a dash (`2023-05-23-1715-update-x`), and a flat
        // file's suffix follows the slug.
        let stem = file[..version.raw.len() + 1 + version.slug.len()].to_owned();
        match entries.iter_mut().find(|e| e.stem == stem) {
            Some(entry) => entry.files.push(file),
            None => entries.push(Entry {
                stem,
                version,
                files: vec![file],
                is_dir,
            }),
        }
    }
    let layout = layout(&entries);
    entries.sort_by(|a, b| {
        let order = layout.compare(&a.version.canonical, &b.version.canonical);
        order.then(a.stem.cmp(&b.stem))
    });
    Ok(entries)
}

/// The layout of the entries, which decides their order.
fn layout(entries: &[Entry]) -> Layout {
    match entries.iter().any(|e| e.is_dir) {
        true => Layout::Directories,
        false => Layout::Flat,
    }
}

/// The entries `revisions` name (by name on disk, or by a version only one revision has), in
/// order.
fn choose(entries: &[Entry], revisions: &[String], dir: &Path) -> Result<Vec<usize>, CliError> {
    let mut chosen = Vec::new();
    for revision in revisions {
        // A path from the shell (`migrations/002_x/`, `002_x.up.sql`) names the revision too.
        let base = revision
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(revision);
        let stem = [".up.sql", ".down.sql", ".sql"]
            .iter()
            .find_map(|suffix| base.strip_suffix(suffix))
            .unwrap_or(base);
        let wanted = stem.replace('-', "");
        let by_name: Vec<usize> = (0..entries.len())
            .filter(|&i| entries[i].stem.replace('-', "") == wanted)
            .collect();
        let matches = match by_name.is_empty() {
            true => (0..entries.len())
                .filter(|&i| entries[i].version.canonical == wanted)
                .collect(),
            false => by_name,
        };
        match matches.as_slice() {
            [one] => chosen.push(*one),
            [] => {
                return Err(CliError::RebaseUnknown {
                    revision: revision.clone(),
                    dir: dir.display().to_string(),
                })
            }
            several => {
                return Err(CliError::RebaseAmbiguous {
                    revision: revision.clone(),
                    candidates: several.iter().map(|&i| entries[i].stem.clone()).collect(),
                })
            }
        }
    }
    chosen.sort_unstable();
    chosen.dedup();
    Ok(chosen)
}

/// Refuses when the configured database applied one of the chosen revisions: it would then know
/// it by a version the directory no longer has.
async fn refuse_applied(
    global: &GlobalArgs,
    dir: &Path,
    entries: &[Entry],
    chosen: &[usize],
) -> Result<(), CliError> {
    let Some(options) = global.connect_options()? else {
        println!("note: no database given (DATABASE_URL or --database-url), so none was checked for having applied what is renumbered");
        return Ok(());
    };
    for note in options.notes() {
        eprintln!("{note}");
    }
    let client = options.connect().await.map_err(MigrateError::from)?;
    let table = HistoryTable::parse(&global.history_table)?;
    let rows = table.read(&client).await?;
    let applied: HashSet<(String, String)> = rows
        .iter()
        .map(|row| (row.version.clone(), row.name.clone()))
        .collect();
    let checksums: HashSet<(String, Vec<u8>)> = rows
        .into_iter()
        .map(|row| (row.version, row.checksum))
        .collect();
    // By version and name, or version and checksum: with sequential numbers the database may
    // have applied the other branch's revision of the same version, which is exactly when this
    // one must move; and a slug renamed since it was applied is still the applied revision.
    let is_applied = |e: &Entry, dir: &Path| {
        let key = (e.version.canonical.clone(), e.version.slug.clone());
        applied.contains(&key)
            || up_checksum(dir, e)
                .is_some_and(|c| checksums.contains(&(e.version.canonical.clone(), c.0.to_vec())))
    };
    match chosen.iter().find(|&&i| is_applied(&entries[i], dir)) {
        Some(&i) => Err(CliError::RebaseApplied {
            revision: entries[i].stem.clone(),
            version: entries[i].version.canonical.clone(),
        }),
        None => Ok(()),
    }
}

/// The checksum of `entry`'s up script, as the history records it; `None` when it has none
/// or it cannot be read (the revision is then matched by name alone).
fn up_checksum(dir: &Path, entry: &Entry) -> Option<Checksum> {
    let up = entry.files.iter().find_map(|file| {
        let path = dir.join(file);
        match path.is_dir() {
            true => ["up.sql", "up.rs"]
                .iter()
                .map(|s| path.join(s))
                .find(|p| p.is_file()),
            false => (file.ends_with(".up.sql") || !file.ends_with(".down.sql")).then_some(path),
        }
    })?;
    let language = match up.extension().is_some_and(|e| e == "rs") {
        true => Language::Rust,
        false => Language::Sql,
    };
    let text = migrations_core::source::normalise(&std::fs::read(&up).ok()?).ok()?;
    Some(checksum_of(language, &text))
}

/// The new version of each chosen entry that needs one: none when they already come after
/// every other revision, in order and without sharing a version with one.
///
/// Refuses when the next number would not sort after the head in the binary's order (`10`
/// after `9` in a directory, where `10` sorts before `2`): the deploy would refuse it as out of
/// order, which is what rebasing is meant to prevent.
fn renumber(
    entries: &[Entry],
    chosen: &[usize],
    now: SystemTime,
) -> Result<Vec<(usize, String)>, CliError> {
    let layout = layout(entries);
    let others: Vec<&Entry> = (0..entries.len())
        .filter(|i| !chosen.contains(i))
        .map(|i| &entries[i])
        .collect();
    // Entries are in the binary's order, so the last other is the head.
    let Some(head) = others.last().map(|e| &e.version) else {
        return Ok(Vec::new());
    };
    let after_head = |v: &str| layout.compare(v, &head.canonical) == Ordering::Greater;
    if chosen
        .first()
        .is_some_and(|&i| after_head(&entries[i].version.canonical))
    {
        return Ok(Vec::new());
    }
    let mut existing: Vec<String> = others.iter().map(|e| e.version.canonical.clone()).collect();
    let mut previous = head.canonical.clone();
    let mut renames = Vec::new();
    for &i in chosen {
        let version = scaffold::next_version(&existing, Some(&head.raw), now);
        let canonical = version.replace('-', "");
        if layout.compare(&canonical, &previous) != Ordering::Greater {
            return Err(CliError::RebaseOrder {
                revision: entries[i].stem.clone(),
                version,
                head: head.raw.clone(),
            });
        }
        existing.push(canonical.clone());
        previous = canonical;
        renames.push((i, version));
    }
    Ok(renames)
}

/// Renames every file of each entry to carry its new version. A new name may be an old one of
/// another entry moving too (`002_fix` to `003_fix` while `003_fix` moves on to `004_fix`), so
/// every file first takes a hidden name, which the scan ignores; a name taken by a revision that
/// stays is refused before anything moves.
fn rename(dir: &Path, entries: &[Entry], renames: &[(usize, String)]) -> Result<(), CliError> {
    let moves: Vec<(&String, String)> = renames
        .iter()
        .flat_map(|(i, version)| {
            let entry = &entries[*i];
            let raw = entry.version.raw.len();
            entry
                .files
                .iter()
                .map(move |f| (f, format!("{version}{}", &f[raw..])))
        })
        .collect();
    let moving: HashSet<&String> = moves.iter().map(|(from, _)| *from).collect();
    let taken = |path: PathBuf, why| CliError::RebaseTaken {
        path: path.display().to_string(),
        why,
    };
    if let Some((_, to)) = moves
        .iter()
        .find(|(_, to)| !moving.contains(to) && dir.join(to).exists())
    {
        return Err(taken(
            dir.join(to),
            "a revision that stays has that name: rebase it too, or rename it by hand",
        ));
    }
    let hidden = |n: usize, file: &str| dir.join(format!(".rebase-{n}-{file}"));
    if let Some(n) = (0..moves.len()).find(|&n| hidden(n, moves[n].0).exists()) {
        return Err(taken(hidden(n, moves[n].0), "an interrupted rebase left it: move it back to the name after `.rebase-N-`, or delete it"));
    }
    let steps = moves
        .iter()
        .enumerate()
        .map(|(n, (from, _))| (dir.join(from), hidden(n, from)))
        .chain(
            moves
                .iter()
                .enumerate()
                .map(|(n, (from, to))| (hidden(n, from), dir.join(to))),
        )
        .collect::<Vec<_>>();
    for (done, (from, to)) in steps.iter().enumerate() {
        if let Err(source) = std::fs::rename(from, to) {
            // Back to how it was, so that no revision stays under a hidden name the scan skips.
            for (back_to, back_from) in steps[..done].iter().rev() {
                let _ = std::fs::rename(back_from, back_to);
            }
            return Err(CliError::Rename {
                from: from.display().to_string(),
                to: to.display().to_string(),
                source,
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::{Duration, UNIX_EPOCH};

    fn entry(stem: &str) -> Entry {
        let version = name::parse_dir_name(stem)
            .expect("a test name starts with a digit")
            .expect("test names parse");
        Entry {
            stem: stem.to_owned(),
            version,
            files: vec![stem.to_owned()],
            is_dir: true,
        }
    }

    #[test]
    fn the_chosen_revisions_move_after_every_other_in_their_order() {
        let now = UNIX_EPOCH + Duration::from_secs(1_795_000_000); // 2026-11-18T11:06:40Z
        let numbered = [
            entry("001_a"),
            entry("002_b"),
            entry("002_mine"),
            entry("003_c"),
        ];
        assert_eq!(
            renumber(&numbered, &[2], now).expect("numbered"),
            vec![(2, "004".to_owned())]
        );
        let stamped = [
            entry("20261101000000_a"),
            entry("20261102000000_mine"),
            entry("20261103000000_mine_too"),
            entry("20261104000000_theirs"),
        ];
        assert_eq!(
            renumber(&stamped, &[1, 2], now).expect("stamped"),
            vec![
                (1, "20261118110640".to_owned()),
                (2, "20261118110641".to_owned())
            ]
        );
        // Already last: nothing to do.
        assert!(renumber(&stamped, &[3], now).expect("last").is_empty());
        // Unpadded, `10` would sort before `2`: refused rather than misplaced.
        let unpadded = [entry("1_a"), entry("2_b"), entry("9_c"), entry("9_mine")];
        assert!(matches!(
            renumber(&unpadded, &[3], now),
            Err(CliError::RebaseOrder { .. })
        ));
    }
}
