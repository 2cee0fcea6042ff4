//! Test databases cloned from a migrated template (`testing::TestServer::migrated_database`).

use app_db::MIGRATIONS;
use migrations_runtime::testing;

use crate::common;

async fn versions(db: &testing::TestDatabase) -> Vec<String> {
    common::recorded(&db.connect().await.expect("connect")).await
}

#[tokio::test]
async fn a_migrated_database_is_at_head_and_isolated() {
    let server = testing::server().await.expect("server");
    let a = server.migrated_database(&MIGRATIONS).await.expect("first");
    let b = server.migrated_database(&MIGRATIONS).await.expect("second");
    assert_eq!(versions(&a).await.len(), MIGRATIONS.len());
    let ca = a.connect().await.expect("a");
    ca.batch_execute("DELETE FROM training_scenarios")
        .await
        .expect("write to a");
    let cb = b.connect().await.expect("b");
    let n: i64 = cb
        .query_one("SELECT count(*) FROM training_scenarios", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(n, 5, "b is its own copy");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_requests_build_the_template_once() {
    let dir = common::tables(12);
    let set: &'static migrations_core::Migrations = Box::leak(Box::new(common::load(dir.path())));
    let server = testing::server().await.expect("server");
    let tasks: Vec<_> = (0..8)
        .map(|_| tokio::spawn(async move { server.migrated_database(set).await }))
        .collect();
    let mut dbs = Vec::new();
    for t in tasks {
        dbs.push(
            t.await
                .expect("task")
                .expect("every request gets a database"),
        );
    }
    for db in &dbs {
        assert_eq!(versions(db).await.len(), 12);
    }
    let admin = dbs[0].connect().await.expect("connect");
    let prefix = format!("appdb_tmpl_{}%", &set.fingerprint().to_hex()[..16]);
    let templates: i64 = admin
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1 AND datistemplate",
            &[&prefix],
        )
        .await
        .expect("q")
        .get(0);
    assert_eq!(templates, 1, "one template for the set");
}

#[tokio::test]
async fn a_database_at_a_chosen_revision() {
    let db = testing::server()
        .await
        .expect("server")
        .database_at(&MIGRATIONS, "001")
        .await
        .expect("at 001");
    assert_eq!(versions(&db).await, ["001"]);
}

#[tokio::test]
async fn a_changed_set_gets_a_new_template_and_a_crash_leftover_is_rebuilt() {
    let dir = common::tables(2);
    let before = common::load(dir.path());
    let server = testing::server().await.expect("server");
    let db = server
        .migrated_database(&before)
        .await
        .expect("two revisions");
    assert_eq!(versions(&db).await.len(), 2);
    common::write(
        dir.path(),
        &[
            ("003_t3/up.sql", "CREATE TABLE t3 (id int);"),
            ("003_t3/down.sql", "DROP TABLE t3;"),
        ],
    );
    let after = common::load(dir.path());
    assert_ne!(before.fingerprint(), after.fingerprint());
    // A build that crashed half-way left a plain database under the template's name.
    let leftover = format!("appdb_tmpl_{}_3", &after.fingerprint().to_hex()[..16]);
    let admin = db.connect().await.expect("connect");
    admin
        .batch_execute(&format!("CREATE DATABASE \"{leftover}\""))
        .await
        .expect("leftover");
    let db = server.migrated_database(&after).await.expect("rebuilt");
    assert_eq!(
        versions(&db).await.len(),
        3,
        "the new revision is in the new template"
    );
}

#[migrations_runtime::test(empty)]
async fn the_project_revisions_round_trip(db: testing::TestDatabase) {
    let checked = testing::round_trip(&db, &MIGRATIONS)
        .await
        .unwrap_or_else(|error| panic!("{error}: {:?}", std::error::Error::source(&error)));
    assert_eq!(checked.len(), MIGRATIONS.len(), "none is irreversible");
}

/// A fresh empty database for a round trip expected to fail.
async fn empty() -> testing::TestDatabase {
    let server = testing::server().await.expect("server");
    server.create_database().await.expect("database")
}

#[tokio::test]
async fn a_down_script_that_forgets_something_fails_the_round_trip() {
    let dir = common::dir(&[
        (
            "001_t/up.sql",
            "CREATE TABLE t (id int PRIMARY KEY, name text);",
        ),
        ("001_t/down.sql", "DROP TABLE t;"),
        (
            "002_index/up.sql",
            "CREATE INDEX t_name ON t (name); INSERT INTO t VALUES (1, 'a');",
        ),
        ("002_index/down.sql", "DELETE FROM t;"),
    ]);
    let set = common::load(dir.path());
    let error = testing::round_trip(&empty().await, &set)
        .await
        .expect_err("002 leaves its index");
    let text = error.to_string();
    assert!(
        text.starts_with("revision 002: `002_index/down.sql` does not undo `002_index/up.sql`"),
        "{text}"
    );
    assert!(
        text.contains("index public.t_name: unexpected (found on public.t USING btree (name))"),
        "{text}"
    );
    assert!(
        !text.contains("rows of public.t"),
        "row counts agree: {text}"
    );

    let dir = common::dir(&[
        ("001_t/up.sql", "CREATE TABLE t (id int);"),
        ("001_t/down.sql", "DROP TABLE t;"),
        ("002_seed/up.sql", "INSERT INTO t VALUES (1), (2);"),
        ("002_seed/down.sql", "DELETE FROM t WHERE id = 1;"),
    ]);
    let error = testing::round_trip(&empty().await, &common::load(dir.path()))
        .await
        .expect_err("002 leaves a row");
    let text = error.to_string();
    assert!(
        text.contains("rows of public.t: expected 0, found 1"),
        "{text}"
    );
}

#[tokio::test]
async fn a_template_dropped_behind_our_back_is_rebuilt() {
    // A set of its own: another test makes a leftover under the name of `tables(3)`'s template.
    let dir = common::dir(&[
        ("001_dropped/up.sql", "CREATE TABLE dropped (id int);"),
        ("001_dropped/down.sql", "DROP TABLE dropped;"),
    ]);
    let set: &'static migrations_core::Migrations = Box::leak(Box::new(common::load(dir.path())));
    let server = testing::server().await.expect("server");
    let first = server
        .migrated_database(set)
        .await
        .expect("builds the template");
    let template = format!("appdb_tmpl_{}_1", &set.fingerprint().to_hex()[..16]);
    let admin = first.connect().await.expect("connect");
    for sql in [
        format!("ALTER DATABASE \"{template}\" IS_TEMPLATE false"),
        format!("DROP DATABASE \"{template}\""),
    ] {
        let dropped = admin.batch_execute(&sql).await;
        dropped.expect("drop the template as a cleanup script might");
    }
    let second = server.migrated_database(set).await.expect("rebuilt");
    assert_eq!(versions(&second).await, ["001"]);
}

#[migrations_runtime::test(empty)]
async fn domains_partitions_sequences_extensions_and_grants_round_trip(db: testing::TestDatabase) {
    let dir = common::dir(&[
        (
            "001_rich/up.sql",
            "CREATE EXTENSION IF NOT EXISTS pgcrypto;
             CREATE DOMAIN positive AS int NOT NULL DEFAULT 1 CONSTRAINT positive_check CHECK (VALUE > 0);
             CREATE DOMAIN other AS int CONSTRAINT positive_check CHECK (VALUE > 0);
             CREATE SEQUENCE ticket START 100 INCREMENT 5 CYCLE;
             CREATE TABLE events (at date NOT NULL, n positive) PARTITION BY RANGE (at);
             CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
             CREATE VIEW recent AS SELECT * FROM events WHERE at > '2026-06-01';
             CREATE FUNCTION token() RETURNS text LANGUAGE sql AS $$ SELECT encode(gen_random_bytes(8), 'hex') $$;
             GRANT SELECT ON recent TO PUBLIC;",
        ),
        (
            "001_rich/down.sql",
            "DROP FUNCTION token(); DROP VIEW recent; DROP TABLE events; DROP SEQUENCE ticket;
             DROP DOMAIN other; DROP DOMAIN positive; DROP EXTENSION pgcrypto;",
        ),
        (
            "002_alter/up.sql",
            "ALTER SEQUENCE ticket INCREMENT 10; ALTER DOMAIN positive DROP DEFAULT;
             REVOKE SELECT ON recent FROM PUBLIC;",
        ),
        (
            "002_alter/down.sql",
            "ALTER SEQUENCE ticket INCREMENT 5; ALTER DOMAIN positive SET DEFAULT 1;
             GRANT SELECT ON recent TO PUBLIC;",
        ),
    ]);
    let set = common::load(dir.path());
    let checked = testing::round_trip(&db, &set)
        .await
        .unwrap_or_else(|error| panic!("{error}: {:?}", std::error::Error::source(&error)));
    assert_eq!(checked, ["001", "002"]);
    use migrations_runtime::migrations_schema::{Name, TypeKind};
    let client = db.connect().await.expect("connect");
    let snapshot = testing::Snapshot::take(&client).await.expect("snapshot");
    let catalog = snapshot.catalog();
    for domain in ["other", "positive"] {
        let TypeKind::Domain(d) = &catalog.types[&Name::new("public", domain)].kind else {
            panic!("{domain} is a domain");
        };
        assert_eq!(d.checks["positive_check"], "CHECK ((VALUE > 0))");
    }
    let ticket = &catalog.sequences[&Name::new("public", "ticket")];
    assert_eq!(
        (
            ticket.data_type.as_str(),
            ticket.start,
            ticket.increment,
            ticket.max,
            ticket.cycle
        ),
        ("bigint", 100, 10, i64::MAX, true)
    );
    assert!(catalog.extensions.contains_key("pgcrypto"));
    assert!(
        !catalog
            .routines
            .keys()
            .any(|r| r.name.name == "gen_random_bytes"),
        "pgcrypto's own functions stand behind its extension"
    );
    let partition = &catalog.tables[&Name::new("public", "events_2026")];
    assert_eq!(
        partition.partition_of,
        Some((
            Name::new("public", "events"),
            "FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')".to_owned()
        ))
    );
    assert_eq!(snapshot.rows()[&Name::new("public", "events")], 0);
}
