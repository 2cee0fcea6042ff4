//! `--local` and the simulator without `DATABASE_URL`: a development cluster of its own, started
//! once and kept between runs.

use super::CliError;

/// The database name `--local` migrates.
pub const LOCAL_DATABASE: &str = "migrate_dev";

/// Starts (or reuses) the local cluster in `data_dir` and returns a connection string for its
/// database `name`, created if missing.
pub async fn local_database(data_dir: &std::path::Path, name: &str) -> Result<String, CliError> {
    // Absolute, so the message below is right from any directory and the cluster is one place.
    let absolute = std::path::absolute(data_dir).unwrap_or_else(|_| data_dir.to_owned());
    let data_dir = absolute.as_path();
    let cluster = crate::cluster::LocalCluster::ensure_persistent(data_dir)
        .await
        .map_err(|source| CliError::Local { source })?;
    let failed = |source| CliError::LocalDatabase {
        name: name.into(),
        source,
    };
    let (client, connection) = cluster
        .config("postgres")
        .connect(tokio_postgres::NoTls)
        .await
        .map_err(failed)?;
    tokio::spawn(connection);
    let exists = client
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .await
        .map_err(failed)?
        .is_some();
    if !exists {
        let create = format!("CREATE DATABASE {}", crate::quote::ident(name));
        client.batch_execute(&create).await.map_err(failed)?;
    }
    eprintln!(
        "using the local cluster in {dir} (database {name}); it keeps running: stop it with `pg_ctl -D {dir} stop` (as the postgres user when root)",
        dir = data_dir.display()
    );
    Ok(cluster.url(name))
}
