//! `squash --through REV`: writes `baseline/` (the schema and rows of the revisions through REV,
//! proven equal to them in scratch databases) and a test that proves it again in `cargo test`;
//! `squash --drop`: removes the revisions the baseline replaces, once no database is below it.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use migrations_core::baseline::{DIR, MANIFEST};
use migrations_core::Migrations;

use super::commands::open;
use super::lockfile::{self, directory};
use super::{CliError, GlobalArgs, Source};
use crate::schema::BaselineFiles;
use crate::HistoryTable;
use crate::MigrateError;

/// What `squash` was asked.
pub(super) struct Request<'a> {
    /// The last revision to squash; `None` with `drop`.
    pub through: Option<&'a str>,
    /// Remove the squashed revisions instead.
    pub drop: bool,
    /// Where to write the test; `None` for the default.
    pub test: Option<&'a Path>,
    /// Write no test.
    pub no_test: bool,
}

/// `squash`.
pub(super) async fn run(
    source: &Source<'_>,
    global: &GlobalArgs,
    request: Request<'_>,
) -> Result<ExitCode, CliError> {
    let (dir, allow_up_only) = directory(source, "squash")?;
    lockfile::refuse_stale(dir)?;
    let loaded = source.load()?;
    if request.drop {
        return drop_squashed(dir, global, &loaded.migrations, request.test).await;
    }
    let through = request.through.unwrap_or("head");
    let (migrator, mut client) = open(&loaded, global).await?;
    let squash = migrator.squash(&mut client, through).await?;
    let revisions = &loaded.migrations.as_slice()[..squash.level];
    let last = revisions[squash.level - 1].label();
    let files = squash.files(&loaded.migrations, through);
    write_baseline(dir, allow_up_only, &files)?;
    if !squash.varying.is_empty() {
        println!("note: two runs of the revisions disagree on {}, so they depend on when the revisions run: not compared, and a column with a default is left to it (a fresh database gets it as the chain would give it)", squash.varying.join(", "));
    }
    for respelled in &squash.respelled {
        println!("note: PostgreSQL spells this definition differently once regenerated (same meaning): {respelled}");
    }
    println!(
        "wrote {}/{DIR}: {} object(s) and {} table(s) of rows in place of {} revision(s) through {last}; proven in scratch databases (schema and rows equal, down empties it)",
        dir.display(),
        squash.differences.len(),
        squash.tables.len(),
        squash.level
    );
    let dropped = revisions.iter().any(|r| r.is_squashed());
    if dropped && !request.no_test {
        println!("note: no test was written: revisions the new baseline replaces were dropped, so there is no chain to prove it against in `cargo test` (it was proven here against the old baseline and the revisions after it)");
    } else if !request.no_test {
        match test_path(dir, request.test) {
            Some((path, rel)) => {
                write_test(&path, &rel, &last, squash.level)?;
                println!("wrote {}: it proves the baseline again on every `cargo test` (it needs the squashed revisions: `squash --drop` removes it)", path.display());
            }
            None => println!(
                "note: no Cargo.toml above {}, so no test was written: pass --test PATH",
                dir.display()
            ),
        }
    }
    println!("an empty database now runs the baseline; databases in the chain keep it. Once none is below {last}, `squash --drop` removes the revisions");
    Ok(ExitCode::SUCCESS)
}

/// Writes `baseline/` beside the revisions (replacing an earlier one only once the new one is
/// complete), then checks the directory as a build would; on an error the old one is back.
fn write_baseline(dir: &Path, allow_up_only: bool, files: &BaselineFiles) -> Result<(), CliError> {
    let fresh = dir.join(format!(".{DIR}-new"));
    let old = dir.join(format!(".{DIR}-old"));
    let target = dir.join(DIR);
    let io = |path: &Path| {
        let path = path.display().to_string();
        move |source| CliError::Write { path, source }
    };
    let _ = std::fs::remove_dir_all(&fresh);
    std::fs::create_dir(&fresh).map_err(io(&fresh))?;
    for (name, text) in [
        ("up.sql", &files.up),
        ("down.sql", &files.down),
        (MANIFEST, &files.manifest),
    ] {
        std::fs::write(fresh.join(name), text).map_err(io(&fresh.join(name)))?;
    }
    let had = target.exists();
    if had {
        let _ = std::fs::remove_dir_all(&old);
        std::fs::rename(&target, &old).map_err(io(&target))?;
    }
    std::fs::rename(&fresh, &target).map_err(io(&target))?;
    let restore = || {
        let _ = std::fs::remove_dir_all(&target);
        if had {
            let _ = std::fs::rename(&old, &target);
        }
    };
    match lockfile::read(dir, allow_up_only) {
        Ok(_) => {
            let _ = std::fs::remove_dir_all(&old);
            Ok(())
        }
        Err(CliError::Directory(invalid)) => {
            restore();
            let errors = invalid.problems.iter().map(ToString::to_string).collect();
            Err(CliError::Generated { errors })
        }
        Err(other) => {
            restore();
            Err(other)
        }
    }
}

/// Where the test goes and the migrations directory relative to its crate: `tests/baseline.rs`
/// of the nearest crate above the directory unless `given`.
fn test_path(dir: &Path, given: Option<&Path>) -> Option<(PathBuf, String)> {
    let dir = std::fs::canonicalize(dir).ok()?;
    let start = match given {
        Some(path) => std::path::absolute(path).ok()?,
        None => dir.clone(),
    };
    let root = start
        .ancestors()
        .find(|a| a.join("Cargo.toml").is_file())?
        .to_owned();
    let rel = dir
        .strip_prefix(&root)
        .ok()?
        .to_string_lossy()
        .replace('\\', "/");
    let path = match given {
        Some(path) => path.to_owned(),
        None => root.join("tests").join("baseline.rs"),
    };
    Some((path, rel))
}

/// The first line of the test this command writes: `--drop` removes only a file that has it.
const TEST_MARK: &str = "//! Written by `migrate squash";

fn write_test(path: &Path, rel: &str, last: &str, level: usize) -> Result<(), CliError> {
    // The directory is read at test time, not embedded: a test binary is a crate of its own,
    // where Rust revisions naming their crate's items would not compile. Written as rustfmt
    // writes it, so that a project's `cargo fmt --check` passes as it is.
    let text = format!(
        "{TEST_MARK} --through`: proves `{rel}/{DIR}` equal to the revisions it\n\
         //! replaces, on a real PostgreSQL: one scratch database upgraded through the chain, one with\n\
         //! the baseline, their schemas, rows and sequences compared. It needs those revisions:\n\
         //! `migrate squash --drop` removes this file with them. Needs the dev-dependency\n\
         //! `migrations-runtime` with the feature `testing`.\n\
         \n\
         use migrations_runtime::migrations_core::load_dir;\n\
         use migrations_runtime::{{ConnectOptions, Migrator}};\n\
         \n\
         /// The migrations directory, relative to the crate.\n\
         const DIR: &str = {rel:?};\n\
         /// How many revisions the baseline replaces, and the last of them.\n\
         const LEVEL: usize = {level};\n\
         const THROUGH: &str = {last:?};\n\
         \n\
         #[migrations_runtime::test(empty)]\n\
         async fn the_baseline_equals_the_revisions_it_replaces(\n    \
             db: migrations_runtime::testing::TestDatabase,\n\
         ) -> Result<(), Box<dyn std::error::Error>> {{\n    \
             let dir = std::path::Path::new(env!(\"CARGO_MANIFEST_DIR\")).join(DIR);\n    \
             let migrations = load_dir(&dir, DIR, Default::default())?;\n    \
             let options = ConnectOptions::from_config(db.config().clone());\n    \
             let mut client = db.connect().await?;\n    \
             let proof = Migrator::new(&migrations, options)\n        \
                 .prove_baseline(&mut client)\n        \
                 .await?;\n    \
             assert_eq!(proof.level, LEVEL, \"the revisions through {{THROUGH}}\");\n    \
             Ok(())\n\
         }}\n"
    );
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent).map_err(|source| CliError::Write {
            path: parent.display().to_string(),
            source,
        })?;
    }
    std::fs::write(path, text).map_err(|source| CliError::Write {
        path: path.display().to_string(),
        source,
    })
}

/// `squash --drop`: removes the directories (or files) of the revisions the baseline replaces,
/// refusing when the database given is below the baseline; the lock file and the manifest keep
/// their lines, so databases that applied them still match.
async fn drop_squashed(
    dir: &Path,
    global: &GlobalArgs,
    migrations: &Migrations,
    test: Option<&Path>,
) -> Result<ExitCode, CliError> {
    let Some(baseline) = migrations.baseline() else {
        return Err(CliError::NoBaseline {
            dir: dir.display().to_string(),
        });
    };
    let squashed = &migrations.as_slice()[..baseline.level()];
    let last = squashed[squashed.len() - 1].label();
    refuse_below(global, migrations, baseline.level(), &last).await?;
    let mut removed = 0;
    for revision in squashed.iter().filter(|r| !r.is_squashed()) {
        let directory = dir.join(revision.source());
        let io = |path: &Path| {
            let path = path.display().to_string();
            move |source| CliError::Write { path, source }
        };
        if directory.is_dir() {
            std::fs::remove_dir_all(&directory).map_err(io(&directory))?;
        } else {
            for ext in ["up.sql", "down.sql", "sql"] {
                let file = dir.join(format!("{}.{ext}", revision.source()));
                if file.is_file() {
                    std::fs::remove_file(&file).map_err(io(&file))?;
                }
            }
        }
        removed += 1;
    }
    println!(
        "removed {removed} revision(s) through {last}: the baseline replaces them, and {}/{DIR}/{MANIFEST} keeps their names and checksums",
        dir.display()
    );
    if let Some((path, _)) = test_path(dir, test) {
        let ours = std::fs::read_to_string(&path).is_ok_and(|t| t.starts_with(TEST_MARK));
        if ours && std::fs::remove_file(&path).is_ok() {
            println!(
                "removed {}: there is no chain left to prove the baseline against",
                path.display()
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Refuses when the database given has applied some of the squashed revisions but not all:
/// without their scripts, nothing could bring it to the baseline's level.
async fn refuse_below(
    global: &GlobalArgs,
    migrations: &Migrations,
    level: usize,
    last: &str,
) -> Result<(), CliError> {
    let Some(options) = global.connect_options()? else {
        println!("note: no database given (DATABASE_URL or --database-url), so none was checked for being below {last}: every database must have applied it, or be empty");
        return Ok(());
    };
    let client = options.connect().await.map_err(MigrateError::from)?;
    let table = HistoryTable::parse(&global.history_table)?;
    let rows = match table.exists(&client).await? {
        true => table.read(&client).await?,
        false => Vec::new(),
    };
    let applied = |r: &migrations_core::Revision| rows.iter().any(|row| row.version == r.version());
    let squashed = &migrations.as_slice()[..level];
    match squashed.iter().find(|r| !applied(r)) {
        Some(missing) if !rows.is_empty() => Err(CliError::BelowBaseline {
            revision: missing.label(),
            last: last.to_owned(),
        }),
        _ => Ok(()),
    }
}
