//! W5: a workspace of tiny binaries generated in a temp dir, one per tool, each embedding the
//! same 1000 revisions with that tool's macro (ours through `migrations_macro` by path), plus an
//! empty one. Each crate has the same build script (`rerun-if-changed=migrations`, so adding or
//! editing a file rebuilds it whatever the macro tracks) and prints how many revisions it holds.
//! Dependencies are built once, untimed, into a target dir kept between runs; then, interleaved
//! by round: the crate's release build after `cargo clean -p` (the macro's expansion and the
//! crate's codegen), and its rebuild after one `up.sql` changed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use appdb_benches::layout::{self, ScriptPair};
use appdb_benches::peers::Results;

use crate::{Ctx, Fallible};

/// The crates: `empty`, then the tools in the table's order.
const CRATES: [&str; 5] = ["empty", "ours", "refinery", "sqlx", "diesel"];

/// The revision whose `up.sql` the incremental build changes.
const EDITED: usize = 500;

pub fn w5(ctx: &Ctx, revisions: &[ScriptPair], results: &mut Results) -> Fallible<()> {
    let root = ctx.dir("w5");
    let repo = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .ok_or("benches/ has a parent")?
        .to_path_buf();
    write_workspace(&root, &repo, revisions)?;
    // Kept between runs so the peers' dependencies are built once per machine.
    let target = appdb_benches::results::criterion_home()
        .parent()
        .map_or_else(|| PathBuf::from("target"), Path::to_path_buf)
        .join("peers-w5");
    let cargo = |args: &[&str]| -> Fallible<f64> {
        let start = Instant::now();
        let output = Command::new(std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
            .args(args)
            .current_dir(&root)
            .env("CARGO_TARGET_DIR", &target)
            .output()?;
        let elapsed = start.elapsed().as_secs_f64();
        if !output.status.success() {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let tail: Vec<&str> = stderr.lines().rev().take(15).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!("cargo {}: {}", args.join(" "), tail.join("\n")).into());
        }
        Ok(elapsed)
    };
    println!("w5: building the dependencies (once per machine, untimed)");
    // Each crate on its own, as the timed builds go: a `--workspace` build unifies the features
    // of shared dependencies across the crates, and a `-p` build then rebuilt them with its own
    // (which timed libpg_query's C build as part of ours).
    for name in CRATES {
        cargo(&["build", "--release", "-p", &format!("w5-{name}")])?;
    }
    for round in 0..ctx.rounds.w5 {
        let mut order = CRATES;
        order.rotate_left(round % CRATES.len());
        for name in order {
            let package = format!("w5-{name}");
            cargo(&["clean", "--release", "-p", &package])?;
            let seconds = cargo(&["build", "--release", "--offline", "-p", &package])?;
            progress(&package, "clean", seconds);
            results
                .compile
                .entry(name.to_owned())
                .or_default()
                .clean_s
                .push(seconds);
        }
        for name in order.into_iter().filter(|&name| name != "empty") {
            edit(&root.join(name), name, round)?;
            let package = format!("w5-{name}");
            let seconds = cargo(&["build", "--release", "--offline", "-p", &package])?;
            progress(&package, "incremental", seconds);
            results
                .compile
                .entry(name.to_owned())
                .or_default()
                .incremental_s
                .push(seconds);
        }
    }
    for name in CRATES {
        let binary = target.join("release").join(format!("w5-{name}"));
        let printed = Command::new(&binary).output()?.stdout;
        let expected = if name == "empty" { 0 } else { revisions.len() };
        // Each binary prints its revision count, then the length of one script picked at run
        // time, so the optimiser cannot drop the embedded table.
        let printed = String::from_utf8_lossy(&printed).into_owned();
        let count: usize = printed.split_whitespace().next().unwrap_or("").parse()?;
        if count != expected {
            return Err(format!("w5-{name} holds {count} revisions, expected {expected}").into());
        }
        let size = std::fs::metadata(&binary)?.len();
        results
            .compile
            .entry(name.to_owned())
            .or_default()
            .size_bytes = size;
    }
    Ok(())
}

/// One line per timed build, with the UTC time it ended, to set beside a log of what else the
/// shared machine was running then.
fn progress(package: &str, build: &str, seconds: f64) {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() % 86_400);
    let (h, m, s) = (now / 3600, now / 60 % 60, now % 60);
    println!("w5: {package} {build} build {seconds:.2} s, ended {h:02}:{m:02}:{s:02} UTC");
}

/// Appends a comment to revision `EDITED`'s up script in `name`'s layout: a real change (its
/// checksum changes), the kind a developer makes.
fn edit(dir: &Path, name: &str, round: usize) -> Fallible<()> {
    let migrations = dir.join("migrations");
    let wanted = match name {
        "refinery" => format!("V{EDITED}__"),
        _ => format!("{EDITED:04}_"),
    };
    let entry = std::fs::read_dir(&migrations)?
        .filter_map(Result::ok)
        .find(|e| e.file_name().to_string_lossy().starts_with(&wanted))
        .ok_or_else(|| format!("no revision {EDITED} in {}", migrations.display()))?;
    let path = match name {
        "ours" | "diesel" => entry.path().join("up.sql"),
        "sqlx" => migrations.join(format!("{}.up.sql", stem(&entry.path()))),
        _ => entry.path(),
    };
    let mut text = std::fs::read_to_string(&path)?;
    text.push_str(&format!("-- edited in round {round}\n"));
    Ok(std::fs::write(path, text)?)
}

/// `0500_slug` of `0500_slug.up.sql` or `.down.sql`.
fn stem(path: &Path) -> String {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    name.trim_end_matches(".up.sql")
        .trim_end_matches(".down.sql")
        .to_owned()
}

fn write_workspace(root: &Path, repo: &Path, revisions: &[ScriptPair]) -> Fallible<()> {
    std::fs::create_dir_all(root)?;
    let members: Vec<String> = CRATES.iter().map(|c| format!("\"{c}\"")).collect();
    std::fs::write(
        root.join("Cargo.toml"),
        format!(
            "[workspace]\nresolver = \"2\"\nmembers = [{}]\n",
            members.join(", ")
        ),
    )?;
    // The bench's own lock file: the same peer versions as measured at run time.
    let lock = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.lock");
    std::fs::copy(lock, root.join("Cargo.lock"))?;
    let core = repo.join("migrations-core");
    let mac = repo.join("migrations-macro");
    for name in CRATES {
        let dir = root.join(name);
        std::fs::create_dir_all(dir.join("src"))?;
        let (dependencies, main) = crate_source(name, &core, &mac);
        std::fs::write(
            dir.join("Cargo.toml"),
            format!(
                "[package]\nname = \"w5-{name}\"\nversion = \"0.1.0\"\nedition = \"2021\"\n\
                 publish = false\n\n[dependencies]\n{dependencies}"
            ),
        )?;
        std::fs::write(dir.join("src/main.rs"), main)?;
        if name == "empty" {
            continue;
        }
        std::fs::write(
            dir.join("build.rs"),
            // The second line is our macro's check that the directory is watched; the peers
            // ignore it.
            "fn main() {\n    println!(\"cargo:rerun-if-changed=migrations\");\n    \
             println!(\"cargo:rustc-env=EMBED_MIGRATIONS_WATCHED=migrations\");\n}\n",
        )?;
        let migrations = dir.join("migrations");
        std::fs::create_dir_all(&migrations)?;
        match name {
            "ours" | "diesel" => layout::write_directories(&migrations, revisions)?,
            "sqlx" => layout::write_flat(&migrations, revisions)?,
            _ => layout::write_refinery(&migrations, revisions)?,
        }
    }
    Ok(())
}

/// `[dependencies]` lines and `main.rs` of crate `name`.
fn crate_source(name: &str, core: &Path, mac: &Path) -> (String, &'static str) {
    match name {
        "ours" => (
            format!(
                "migrations-core = {{ path = {:?} }}\nmigrations-macro = {{ path = {:?} }}\n",
                core.display().to_string(),
                mac.display().to_string()
            ),
            "static MIGRATIONS: migrations_core::Migrations =\n    \
             migrations_macro::embed_migrations!(\"migrations\");\n\n\
             fn main() {\n    let pick = std::env::args().count() - 1;\n    \
             let sql = MIGRATIONS.iter().nth(pick).map_or(0, |r| r.up().sql().len());\n    \
             println!(\"{} {sql}\", MIGRATIONS.iter().count());\n}\n",
        ),
        "refinery" => (
            "refinery = \"0.10\"\n".to_owned(),
            "refinery::embed_migrations!(\"migrations\");\n\n\
             fn main() {\n    let runner = migrations::runner();\n    \
             let all = runner.get_migrations();\n    \
             let pick = std::env::args().count() - 1;\n    \
             let sql = all.get(pick).and_then(|m| m.sql()).map_or(0, str::len);\n    \
             println!(\"{} {sql}\", all.len());\n}\n",
        ),
        "sqlx" => (
            "sqlx = { version = \"0.9\", default-features = false, features = \
             [\"runtime-tokio\", \"postgres\", \"migrate\", \"macros\"] }\n"
                .to_owned(),
            "static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!(\"./migrations\");\n\n\
             fn main() {\n    \
             let ups: Vec<_> = MIGRATOR.iter().filter(|m| m.migration_type.is_up_migration()).collect();\n    \
             let pick = std::env::args().count() - 1;\n    \
             let sql = ups.get(pick).map_or(0, |m| m.sql.as_str().len());\n    \
             println!(\"{} {sql}\", ups.len());\n}\n",
        ),
        "diesel" => (
            "diesel = { version = \"2.3\", default-features = false, features = [\"postgres\"] }\n\
             diesel_migrations = { version = \"2.3\", features = [\"postgres\"] }\n"
                .to_owned(),
            "use diesel::migration::MigrationSource;\n\
             use diesel_migrations::{embed_migrations, EmbeddedMigrations};\n\n\
             const MIGRATIONS: EmbeddedMigrations = embed_migrations!(\"migrations\");\n\n\
             fn main() {\n    \
             let all = MigrationSource::<diesel::pg::Pg>::migrations(&MIGRATIONS).unwrap_or_default();\n    \
             let pick = std::env::args().count() - 1;\n    \
             let name = all.get(pick).map_or(0, |m| m.name().to_string().len());\n    \
             println!(\"{} {name}\", all.len());\n}\n",
        ),
        _ => (String::new(), "fn main() {\n    println!(\"0 0\");\n}\n"),
    }
}
