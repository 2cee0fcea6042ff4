//! `rebase REV...`: renumbers revisions not yet applied to come after every other revision, for
//! the branch merged second, and rewrites the lock file.
//!
//! It works on names, not on the validated table: two branches numbering sequentially both add
//! `004`, and that directory does not load until one of them is renumbered.

use std::collections::HashSet;
use std::path::Path;
use std::process::ExitCode;
use std::time::SystemTime;

use migrations_core::name::{self, VersionName};
use migrations_core::{checksum_of, Checksum, Language};

use super::{lockfile, scaffold, CliError, GlobalArgs, Source};
use crate::history::HistoryTable;
use crate::MigrateError;

/// A revision on disk: its name without suffix and the entries that make it up (a directory,
/// or the flat files sharing the name).
struct Entry {
    stem: String,
    version: VersionName,
    files: Vec<String>,
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
    refuse_applied(global, dir, &entries, &chosen).await?;
    let renames = renumber(&entries, &chosen, SystemTime::now());
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
        let version = match item.path().is_dir() {
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
            }),
        }
    }
    entries.sort_by(|a, b| {
        order(&a.version)
            .cmp(&order(&b.version))
            .then(a.stem.cmp(&b.stem))
    });
    Ok(entries)
}

fn order(version: &VersionName) -> (usize, &str) {
    (version.canonical.len(), version.canonical.as_str())
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
fn renumber(entries: &[Entry], chosen: &[usize], now: SystemTime) -> Vec<(usize, String)> {
    let others: Vec<&Entry> = (0..entries.len())
        .filter(|i| !chosen.contains(i))
        .map(|i| &entries[i])
        .collect();
    let newest_other = others.iter().map(|e| order(&e.version)).max();
    let first_chosen = chosen.first().map(|&i| order(&entries[i].version));
    if newest_other.is_none() || first_chosen > newest_other {
        return Vec::new();
    }
    let mut existing: Vec<String> = others.iter().map(|e| e.version.canonical.clone()).collect();
    let newest_raw = others
        .iter()
        .max_by_key(|e| order(&e.version))
        .map(|e| e.version.raw.clone());
    chosen
        .iter()
        .map(|&i| {
            let version = scaffold::next_version(&existing, newest_raw.as_deref(), now);
            existing.push(version.replace('-', ""));
            (i, version)
        })
        .collect()
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
    if let Some((_, to)) = moves
        .iter()
        .find(|(_, to)| !moving.contains(to) && dir.join(to).exists())
    {
        return Err(CliError::RebaseTaken {
            path: dir.join(to).display().to_string(),
        });
    }
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CliError::Write { path, source }
    };
    let hidden = |n: usize, file: &str| dir.join(format!(".rebase-{n}-{file}"));
    for (n, (from, _)) in moves.iter().enumerate() {
        let to = hidden(n, from);
        std::fs::rename(dir.join(from), &to).map_err(io(&to))?;
    }
    for (n, (from, to)) in moves.iter().enumerate() {
        let to = dir.join(to);
        std::fs::rename(hidden(n, from), &to).map_err(io(&to))?;
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
        assert_eq!(renumber(&numbered, &[2], now), vec![(2, "004".to_owned())]);
        let stamped = [
            entry("20261101000000_a"),
            entry("20261102000000_mine"),
            entry("20261103000000_mine_too"),
            entry("20261104000000_theirs"),
        ];
        assert_eq!(
            renumber(&stamped, &[1, 2], now),
            vec![
                (1, "20261118110640".to_owned()),
                (2, "20261118110641".to_owned())
            ]
        );
        // Already last: nothing to do.
        assert!(renumber(&stamped, &[3], now).is_empty());
    }
}
