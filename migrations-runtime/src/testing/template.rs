//! Template databases: a revision set is migrated once into a template keyed by its fingerprint
//! and target, and every test gets a clone (`CREATE DATABASE ... TEMPLATE`), which costs
//! milliseconds instead of replaying every revision.

use std::collections::BTreeSet;
use std::sync::Mutex;

use migrations_core::Migrations;
use tokio_postgres::{Client, Config};

use super::{connect, TestingError};
use crate::Migrator;

/// The template's name: the revision set's fingerprint and the level it is migrated to, so a
/// changed set (or another target) gets its own template and a stale one is never used.
pub(super) fn name(migrations: &Migrations, level: usize) -> String {
    format!(
        "appdb_tmpl_{}_{level}",
        &migrations.fingerprint().to_hex()[..16]
    )
}

/// Templates this process has built or found complete, so that later tests skip the check.
static KNOWN: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());

/// True when this process has already seen the template `name` complete.
pub(super) fn known(name: &str) -> bool {
    KNOWN.lock().is_ok_and(|known| known.contains(name))
}

/// Forgets the template `name`, found missing after all.
pub(super) fn forget(name: &str) {
    if let Ok(mut known) = KNOWN.lock() {
        known.remove(name);
    }
}

fn remember(name: &str) {
    if let Ok(mut known) = KNOWN.lock() {
        known.insert(name.to_owned());
    }
}

/// Makes sure the template `name` exists, migrated to `target`. Several test processes may race
/// here: they serialise on an advisory lock in the maintenance database, and only the first
/// builds. A half-built leftover of a crashed run (not yet marked a template) is rebuilt.
pub(super) async fn ensure(
    admin: &Config,
    migrations: &Migrations,
    target: &str,
    name: &str,
) -> Result<(), TestingError> {
    let client = connect(admin).await?;
    let failed = |source| TestingError::Template {
        name: name.to_owned(),
        source,
    };
    // Session lock on this connection: released when it closes, whatever happens.
    client
        .query_one("SELECT pg_advisory_lock(hashtext($1))::text", &[&name])
        .await
        .map_err(failed)?;
    let row = client
        .query_opt(
            "SELECT datistemplate FROM pg_database WHERE datname = $1",
            &[&name],
        )
        .await
        .map_err(failed)?;
    match row.map(|r| r.get::<_, bool>(0)) {
        Some(true) => {
            remember(name);
            return Ok(());
        }
        Some(false) => drop_database(&client, name).await?,
        None => {}
    }
    build(&client, admin, migrations, target, name).await?;
    remember(name);
    Ok(())
}

async fn build(
    client: &Client,
    admin: &Config,
    migrations: &Migrations,
    target: &str,
    name: &str,
) -> Result<(), TestingError> {
    let failed = |source| TestingError::Template {
        name: name.to_owned(),
        source,
    };
    let quoted = crate::quote::ident(name);
    client
        .batch_execute(&format!("CREATE DATABASE {quoted}"))
        .await
        .map_err(failed)?;
    let mut config = admin.clone();
    config.dbname(name);
    let mut template = connect(&config).await?;
    let options = crate::connect::ConnectOptions::from_config(config.clone());
    Migrator::new(migrations, options)
        .upgrade(&mut template, target)
        .await
        .map_err(|source| TestingError::Migrate {
            name: name.to_owned(),
            source: Box::new(source),
        })?;
    drop(template);
    // Marked a template only once complete; no connections allowed, so none can block a clone.
    client
        .batch_execute(&format!(
            "ALTER DATABASE {quoted} WITH IS_TEMPLATE true ALLOW_CONNECTIONS false"
        ))
        .await
        .map_err(failed)
}

async fn drop_database(client: &Client, name: &str) -> Result<(), TestingError> {
    let sql = format!(
        "DROP DATABASE IF EXISTS {} WITH (FORCE)",
        crate::quote::ident(name)
    );
    client
        .batch_execute(&sql)
        .await
        .map_err(|source| TestingError::Template {
            name: name.to_owned(),
            source,
        })
}
