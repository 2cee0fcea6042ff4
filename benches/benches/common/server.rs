//! The throwaway server as the database benches reach it: options and connections for one of
//! its databases, the settings that decide what a `CREATE DATABASE` and a commit cost, and
//! dropping a database. Each bench target is a crate of its own, so the `schema` and `squash`
//! benches include this file by `#[path]` (a library module could not use the dev-dependencies).

use app_db::testing::LocalCluster;
use migrations_runtime::ConnectOptions;
use tokio_postgres::config::SslMode;
use tokio_postgres::Client;

use super::Fallible;

/// Options for database `db` of the cluster: its Unix socket, no TLS.
pub(super) fn options(cluster: &LocalCluster, db: &str) -> ConnectOptions {
    let mut config = cluster.config(db);
    config.ssl_mode(SslMode::Disable);
    ConnectOptions::from_config(config)
}

pub(super) async fn connect(cluster: &LocalCluster, db: &str) -> Fallible<Client> {
    Ok(options(cluster, db).connect().await?)
}

/// The server and the settings that decide what a `CREATE DATABASE` costs.
pub(super) async fn conditions(admin: &Client) -> Fallible<String> {
    let row = admin
        .query_one(
            "SELECT version(), current_setting('fsync'), current_setting('synchronous_commit'), \
             current_setting('full_page_writes'), current_setting('data_directory'), \
             current_setting('unix_socket_directories'), current_setting('listen_addresses')",
            &[],
        )
        .await?;
    let get = |i| row.get::<_, String>(i);
    Ok(format!(
        "server: {}; fsync = {}, synchronous_commit = {}, full_page_writes = {}; data directory \
         {}; Unix socket in {}, listen_addresses = '{}'",
        get(0).split(" on ").next().unwrap_or_default(),
        get(1),
        get(2),
        get(3),
        get(4),
        get(5),
        get(6)
    ))
}

pub(super) async fn drop_database(admin: &Client, name: &str) -> Fallible<()> {
    let sql = format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)");
    Ok(admin.batch_execute(&sql).await?)
}
