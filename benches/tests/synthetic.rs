//! The synthetic history is sound on a real server: every revision applies, every down.sql
//! reverts its up.sql (the whole set downgrades to an empty schema), and sqlx reads the flat
//! copy as the same scripts. Runs on `app_db::testing`'s server (a throwaway cluster unless
//! TEST_DATABASE_URL is set).

use std::error::Error;

use appdb_benches::{layout, synthetic};

type Fallible<T> = Result<T, Box<dyn Error>>;

/// Everything the synthetic revisions create, history table left out.
const LEFTOVERS_SQL: &str = "SELECT coalesce(string_agg(name, ','), '') FROM ( \
     SELECT c.relname::text AS name FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
     WHERE n.nspname = 'public' AND c.relname NOT LIKE 'schema\\_revisions%' \
     UNION ALL SELECT p.proname::text FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
     WHERE n.nspname = 'public') AS objects";

#[tokio::test]
async fn synthetic_history_upgrades_and_downgrades_to_an_empty_schema() -> Fallible<()> {
    let dir = tempfile::tempdir()?;
    layout::write_directories(dir.path(), &synthetic::generate(200))?;
    let migrations = migrations_core::load_dir(dir.path(), "synthetic", Default::default())?;
    let db = app_db::testing::server().await?.create_database().await?;
    let mut client = db.connect().await?;
    let migrator = app_db::Migrator::client_only(&migrations);

    migrator.upgrade(&mut client, "head").await?;
    let created: String = client.query_one(LEFTOVERS_SQL, &[]).await?.get(0);
    // 100 tables with their keys, indexes and TOAST tables, 20 views, 20 trigger functions.
    assert!(created.split(',').count() > 500, "{created}");

    migrator.downgrade(&mut client, "base").await?;
    let left: String = client.query_one(LEFTOVERS_SQL, &[]).await?.get(0);
    assert_eq!(left, "", "down scripts left objects behind");
    Ok(())
}

#[tokio::test]
async fn sqlx_reads_the_flat_copy_as_the_same_scripts() -> Fallible<()> {
    let revisions = synthetic::generate(200);
    let dir = tempfile::tempdir()?;
    layout::write_flat(dir.path(), &revisions)?;
    let migrator = sqlx::migrate::Migrator::new(dir.path()).await?;
    let (ups, downs): (Vec<_>, Vec<_>) = migrator
        .iter()
        .partition(|m| m.migration_type.is_up_migration());
    assert_eq!(ups.len(), revisions.len());
    assert_eq!(downs.len(), revisions.len());
    for (migration, revision) in ups.iter().zip(&revisions) {
        assert_eq!(migration.version, revision.version.parse::<i64>()?);
        assert_eq!(migration.sql.as_str(), revision.up);
        assert!(!migration.no_tx);
    }
    Ok(())
}

#[test]
fn the_911_revisions_export_with_their_text() -> Fallible<()> {
    let exported = layout::export(&app_db::MIGRATIONS)?;
    let versions: Vec<&str> = exported.iter().map(|r| r.version.as_str()).collect();
    assert_eq!(versions, ["001", "002", "003"]);
    for (pair, revision) in exported.iter().zip(app_db::MIGRATIONS.iter()) {
        assert_eq!(pair.up, revision.up().sql());
    }
    Ok(())
}
