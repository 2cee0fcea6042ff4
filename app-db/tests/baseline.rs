//! Written by `migrate squash --through`: proves `migrations/baseline` equal to the revisions it
//! replaces, on a real PostgreSQL: one scratch database upgraded through the chain, one with
//! the baseline, their schemas, rows and sequences compared. It needs those revisions:
//! `migrate squash --drop` removes this file with them. Needs the dev-dependency
//! `migrations-runtime` with the feature `testing`.

use migrations_runtime::migrations_core::load_dir;
use migrations_runtime::{ConnectOptions, Migrator};

/// The migrations directory, relative to the crate.
const DIR: &str = "migrations";
/// How many revisions the baseline replaces, and the last of them.
const LEVEL: usize = 3;
const THROUGH: &str = "003_scenario_history";

#[migrations_runtime::test(empty)]
async fn the_baseline_equals_the_revisions_it_replaces(
    db: migrations_runtime::testing::TestDatabase,
) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(DIR);
    let migrations = load_dir(&dir, DIR, Default::default())?;
    let options = ConnectOptions::from_config(db.config().clone());
    let mut client = db.connect().await?;
    let proof = Migrator::new(&migrations, options)
        .prove_baseline(&mut client)
        .await?;
    assert_eq!(proof.level, LEVEL, "the revisions through {THROUGH}");
    Ok(())
}
