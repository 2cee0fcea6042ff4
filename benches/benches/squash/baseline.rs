//! `baseline/` written as `migrate squash --through` writes it, from what `Migrator::squash`
//! returned: the bench calls the library rather than the CLI binary, which would need the main
//! workspace built with the `cli` feature first.

use std::path::Path;

use migrations_core::baseline;
use migrations_core::Migrations;
use migrations_runtime::schema::Squash;

use super::Fallible;

/// `baseline/` as `migrate squash --through` writes it: the files `Squash::files` gives the
/// command too.
pub(super) fn write(
    dir: &Path,
    through: &str,
    migrations: &Migrations,
    squash: &Squash,
) -> Fallible<()> {
    let files = squash.files(migrations, through);
    let target = dir.join(baseline::DIR);
    std::fs::create_dir(&target)?;
    std::fs::write(target.join("up.sql"), files.up)?;
    std::fs::write(target.join("down.sql"), files.down)?;
    std::fs::write(target.join(baseline::MANIFEST), files.manifest)?;
    Ok(())
}
