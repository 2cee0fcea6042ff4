//! Writing one revision set to disk in every tool's layout, from the same SQL text: ours and
//! diesel's (`<version>_<slug>/up.sql` and `down.sql`), sqlx's flat one
//! (`<version>_<slug>.up.sql` and `.down.sql`) and refinery's (`V<version>__<slug>.sql`, up only).

use std::io;
use std::path::Path;

use migrations_core::{Migrations, TransactionMode};

/// One reversible revision as text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScriptPair {
    /// Digits only, zero-padded so that names sort in application order (`0007`).
    pub version: String,
    /// The name after the version (`create_t0003`).
    pub slug: String,
    /// The forward script.
    pub up: String,
    /// The script that reverts `up`.
    pub down: String,
}

/// The revisions of `migrations` as text, for writing them in sqlx's layout. sqlx wraps every
/// script in a transaction unless its first line is `-- no-transaction`, so that line is added
/// to the scripts our runner runs outside one.
///
/// Fails on an irreversible revision: sqlx's reversible layout needs a down script. Stops before
/// the first Rust revision: its script is code, which no peer runs (the simulator's
/// `004_backfill_entities`, a backfill that finds nothing to do in a fresh database).
pub fn export(migrations: &Migrations) -> io::Result<Vec<ScriptPair>> {
    migrations
        .iter()
        .take_while(|revision| !revision.up().is_rust())
        .map(|revision| {
            let down = revision.down().ok_or_else(|| {
                let message = format!("revision {} has no down script", revision.label());
                io::Error::new(io::ErrorKind::InvalidInput, message)
            })?;
            let text = |script: &migrations_core::Script| match script.transaction() {
                TransactionMode::None => format!("-- no-transaction\n{}", script.sql()),
                TransactionMode::Wrapped | TransactionMode::Own => script.sql().to_owned(),
            };
            Ok(ScriptPair {
                version: revision.version().to_owned(),
                slug: revision.name().to_owned(),
                up: text(revision.up()),
                down: text(down),
            })
        })
        .collect()
}

/// Writes `revisions` into `dir` (which must exist) as `<version>_<slug>/up.sql` + `down.sql`.
pub fn write_directories(dir: &Path, revisions: &[ScriptPair]) -> io::Result<()> {
    for revision in revisions {
        let path = dir.join(format!("{}_{}", revision.version, revision.slug));
        std::fs::create_dir(&path)?;
        std::fs::write(path.join("up.sql"), &revision.up)?;
        std::fs::write(path.join("down.sql"), &revision.down)?;
    }
    Ok(())
}

/// Writes `revisions` into `dir` (which must exist) as `<version>_<slug>.up.sql` + `.down.sql`.
pub fn write_flat(dir: &Path, revisions: &[ScriptPair]) -> io::Result<()> {
    for revision in revisions {
        let stem = format!("{}_{}", revision.version, revision.slug);
        std::fs::write(dir.join(format!("{stem}.up.sql")), &revision.up)?;
        std::fs::write(dir.join(format!("{stem}.down.sql")), &revision.down)?;
    }
    Ok(())
}

/// Writes the up scripts of `revisions` into `dir` (which must exist) as refinery's
/// `V<version>__<slug>.sql`, the version without its leading zeros (refinery parses it as an
/// integer). Refinery has no down scripts.
pub fn write_refinery(dir: &Path, revisions: &[ScriptPair]) -> io::Result<()> {
    for revision in revisions {
        let number: u64 = revision.version.parse().map_err(|_| {
            let message = format!("refinery needs a numeric version, not {}", revision.version);
            io::Error::new(io::ErrorKind::InvalidInput, message)
        })?;
        let name = format!("V{number}__{}.sql", revision.slug);
        std::fs::write(dir.join(name), &revision.up)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_layouts_hold_the_same_text() -> io::Result<()> {
        let revisions = crate::synthetic::generate(12);
        let (ours, flat) = (tempfile::tempdir()?, tempfile::tempdir()?);
        write_directories(ours.path(), &revisions)?;
        write_flat(flat.path(), &revisions)?;
        let loaded = migrations_core::load_dir(ours.path(), "ours", Default::default())
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e))?;
        assert_eq!(export(&loaded)?, revisions);
        let up = std::fs::read_to_string(flat.path().join("0003_add_columns_to_t0002.up.sql"))?;
        assert_eq!(up, revisions[2].up);
        let refinery = tempfile::tempdir()?;
        write_refinery(refinery.path(), &revisions)?;
        let up = std::fs::read_to_string(refinery.path().join("V3__add_columns_to_t0002.sql"))?;
        assert_eq!(up, revisions[2].up);
        Ok(())
    }
}
