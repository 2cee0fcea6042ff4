//! upgrade, downgrade, stamp and the read-only view.

use migrations_runtime::status::Status;
use migrations_runtime::HistoryTable;
use migrations_runtime::Migrator;

use crate::common;

#[tokio::test]
async fn upgrade_records_typed_history_and_is_idempotent() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let outcome = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    assert_eq!(
        outcome
            .steps
            .iter()
            .map(|s| s.version.as_str())
            .collect::<Vec<_>>(),
        ["001", "002", "003"]
    );
    let row = client
        .query_one("SELECT name, length(checksum), checksum_algorithm, duration_ms IS NOT NULL, applied_by = current_user, method FROM schema_revisions WHERE version = '002'", &[])
        .await
        .expect("history row");
    assert_eq!(row.get::<_, &str>(0), "t2");
    assert_eq!(row.get::<_, i32>(1), 32);
    assert_eq!(row.get::<_, i16>(2), 1);
    assert!(row.get::<_, bool>(3) && row.get::<_, bool>(4));
    assert_eq!(row.get::<_, &str>(5), "upgrade");
    let again = Migrator::client_only(&m)
        .upgrade(&mut client, "head")
        .await
        .expect("no-op");
    assert!(again.steps.is_empty() && again.at_head);
}

#[tokio::test]
async fn read_only_commands_create_nothing() {
    let (_db, client) = common::fresh().await;
    let dir = common::tables(2);
    let m = common::load(dir.path());
    let state = Migrator::client_only(&m)
        .state(&client)
        .await
        .expect("state");
    let status = Status::new(&m, &state);
    assert_eq!((status.current.as_str(), status.pending.len()), ("base", 2));
    assert!(!common::history_exists(&client, "public.schema_revisions").await);
}

#[tokio::test]
async fn nothing_pending_creates_no_table() {
    let (_db, mut client) = common::fresh().await;
    let empty = common::load(tempfile::tempdir().expect("tmp").path());
    let outcome = Migrator::client_only(&empty)
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade of nothing");
    assert!(outcome.steps.is_empty());
    assert!(!common::history_exists(&client, "public.schema_revisions").await);
}

#[tokio::test]
async fn custom_schema_qualified_table() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(1);
    let m = common::load(dir.path());
    let table = HistoryTable::parse("ops.Revision History").expect("name");
    Migrator::client_only(&m)
        .with_table(table)
        .upgrade(&mut client, "head")
        .await
        .expect("upgrade");
    assert!(common::history_exists(&client, "ops.\"Revision History\"").await);
    assert!(!common::history_exists(&client, "public.schema_revisions").await);
}

#[tokio::test]
async fn stamp_records_without_running_sql_and_purges() {
    let (_db, mut client) = common::fresh().await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let migrator = Migrator::client_only(&m);
    let outcome = migrator
        .stamp(&mut client, "002", false)
        .await
        .expect("stamp");
    assert_eq!(outcome.current_label(), "002_t2");
    assert_eq!(common::recorded(&client).await, ["001", "002"]);
    let t1: bool = client
        .query_one("SELECT to_regclass('t1') IS NOT NULL", &[])
        .await
        .expect("q")
        .get(0);
    assert!(!t1, "stamp must not run SQL");
    let method: String = client
        .query_one("SELECT method FROM schema_revisions LIMIT 1", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(method, "stamp");
    migrator
        .stamp(&mut client, "base", false)
        .await
        .expect("stamp base");
    assert!(common::recorded(&client).await.is_empty());
    // An unknown row blocks a plain stamp; --purge clears it.
    client.execute("INSERT INTO schema_revisions (version, name, checksum, checksum_algorithm) VALUES ('999', 'x', '\\x00', 1)", &[]).await.expect("insert");
    assert!(migrator.stamp(&mut client, "head", false).await.is_err());
    migrator
        .stamp(&mut client, "head", true)
        .await
        .expect("purge");
    assert_eq!(common::recorded(&client).await, ["001", "002", "003"]);
}

/// Regression: every write ran `CREATE SCHEMA IF NOT EXISTS`, which needs CREATE on the database
/// even when the schema exists, so a deploy role with only row privileges on a DBA-created
/// history table could not migrate.
#[tokio::test]
async fn a_role_with_only_row_privileges_can_migrate() {
    let (db, admin) = common::fresh().await;
    let role = format!("deployer_{}", db.name().trim_start_matches("test_"));
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; CREATE SCHEMA ops; CREATE TABLE ops.hist (version text PRIMARY KEY, name text NOT NULL, checksum bytea NOT NULL, checksum_algorithm smallint NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), duration_ms bigint, applied_by text NOT NULL DEFAULT current_user, method text NOT NULL DEFAULT 'upgrade');
             REVOKE CREATE ON DATABASE \"{db}\" FROM PUBLIC; GRANT USAGE, CREATE ON SCHEMA public TO {role}; GRANT USAGE ON SCHEMA ops TO {role}; GRANT SELECT, INSERT, DELETE ON ops.hist TO {role};",
            db = db.name()
        ))
        .await
        .expect("set up the role");
    let mut config = db.config().clone();
    config.user(&role);
    let (mut deployer, conn) = config
        .connect(tokio_postgres::NoTls)
        .await
        .expect("connect as the deploy role");
    tokio::spawn(conn);
    let dir = common::tables(2);
    let m = common::load(dir.path());
    let table = HistoryTable::parse("ops.hist").expect("name");
    let outcome = Migrator::client_only(&m)
        .with_table(table)
        .upgrade(&mut deployer, "head")
        .await
        .expect("migrates with row privileges");
    assert_eq!(outcome.steps.len(), 2);
    drop(deployer);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("clean up the role");
}

/// On a fresh database the first revision's exchange also creates the history table. A role that
/// may not create it must still get the history table's privilege error, not a script error of
/// the first revision, and the database stays empty.
#[tokio::test]
async fn a_role_that_cannot_create_the_history_gets_the_privilege_error() {
    let (db, admin) = common::fresh().await;
    let role = format!("reader_{}", db.name().trim_start_matches("test_"));
    admin
        .batch_execute(&format!(
            "CREATE ROLE {role} LOGIN; REVOKE CREATE ON SCHEMA public FROM PUBLIC; GRANT USAGE ON SCHEMA public TO {role};"
        ))
        .await
        .expect("set up the role");
    let before = common::snapshot(&admin).await;
    let mut config = db.config().clone();
    config.user(&role);
    let mut reader = common::connect(&config).await;
    let dir = common::tables(3);
    let m = common::load(dir.path());
    let err = Migrator::client_only(&m)
        .upgrade(&mut reader, "head")
        .await
        .expect_err("cannot create the history table");
    let text = err.to_string();
    assert!(
        text.contains("lacks a privilege on history table") && text.contains("nothing was changed"),
        "{text}"
    );
    assert_eq!(common::snapshot(&admin).await, before);
    drop(reader);
    admin
        .batch_execute(&format!("DROP OWNED BY {role}; DROP ROLE {role}"))
        .await
        .expect("clean up the role");
}
