//! A database left by the old Alembic setup: the schema of revisions 001 and 002, an
//! `alembic_version` table, and no history table of ours.

use app_db::takeover::{take_over, Takeover, TakeoverError};
use app_db::ConnectOptions;
use app_db::{Migrator, MIGRATIONS};

use crate::common;

/// Builds what Alembic left: the revisions' SQL run directly, and `alembic_version`.
async fn alembic_database(
    revision: &str,
) -> (app_db::testing::TestDatabase, tokio_postgres::Client) {
    let (db, client) = common::fresh().await;
    let level = MIGRATIONS.position(revision).expect("known revision") + 1;
    for r in &MIGRATIONS.as_slice()[..level] {
        client
            .batch_execute(r.up().sql())
            .await
            .expect("the revision's SQL runs");
    }
    client
        .batch_execute(&format!("CREATE TABLE alembic_version (version_num varchar(32) PRIMARY KEY); INSERT INTO alembic_version VALUES ('{revision}');"))
        .await
        .expect("alembic_version");
    (db, client)
}

fn migrator(db: &app_db::testing::TestDatabase) -> Migrator<'static> {
    Migrator::client_only(&MIGRATIONS)
        .with_connect_options(ConnectOptions::from_config(db.config().clone()))
}

#[tokio::test]
async fn a_matching_alembic_database_is_taken_over_without_rerunning() {
    let (db, mut client) = alembic_database("002").await;
    let m = migrator(&db);
    assert_eq!(
        take_over(&mut client, &m).await.expect("takeover"),
        Takeover::Recorded {
            revision: "002".into()
        }
    );
    let methods: Vec<String> = client
        .query("SELECT method FROM schema_revisions ORDER BY version", &[])
        .await
        .expect("q")
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(methods, ["stamp", "stamp"], "recorded, not re-run");
    let scenarios: i64 = client
        .query_one("SELECT count(*) FROM training_scenarios", &[])
        .await
        .expect("q")
        .get(0);
    assert_eq!(scenarios, 5, "the seed was not applied twice");
    let outcome = m.upgrade(&mut client, "head").await.expect("carries on");
    assert!(outcome.at_head);
    assert_eq!(
        take_over(&mut client, &m).await.expect("again"),
        Takeover::NotNeeded
    );
    let kept: bool = client
        .query_one("SELECT to_regclass('alembic_version') IS NOT NULL", &[])
        .await
        .expect("q")
        .get(0);
    assert!(kept, "alembic_version is left in place");
}

#[tokio::test]
async fn a_drifted_schema_is_refused_with_the_difference() {
    let (db, mut client) = alembic_database("001").await;
    client
        .batch_execute("ALTER TABLE call_transcripts DROP COLUMN audio_url")
        .await
        .expect("drift");
    let before = common::snapshot(&client).await;
    let err = take_over(&mut client, &migrator(&db))
        .await
        .expect_err("refused");
    match &err {
        TakeoverError::SchemaMismatch {
            revision,
            differences,
        } => {
            assert_eq!(revision, "001");
            assert!(
                differences
                    .iter()
                    .any(|d| d.starts_with("column public.call_transcripts.audio_url: missing")),
                "{differences:?}"
            );
        }
        other => panic!("unexpected {other}"),
    }
    assert!(err.to_string().contains("nothing was recorded"), "{err}");
    assert_eq!(common::snapshot(&client).await, before, "nothing changed");
}

#[tokio::test]
async fn an_unknown_alembic_revision_is_refused() {
    let (db, mut client) = alembic_database("001").await;
    client
        .batch_execute("UPDATE alembic_version SET version_num = 'ae1027a6acf'")
        .await
        .expect("q");
    let err = take_over(&mut client, &migrator(&db))
        .await
        .expect_err("refused");
    assert!(
        matches!(err, TakeoverError::UnknownRevision { .. }),
        "{err}"
    );
    assert!(!common::history_exists(&client, "public.schema_revisions").await);
}

/// Regression (review S1): replicas booting together on an Alembic database raced in the
/// takeover; some failed with a spurious mismatch and the history could end up claiming 002
/// while 003's columns existed. Now every replica succeeds and the history is consistent.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn replicas_taking_over_at_once_agree() {
    let (db, client) = alembic_database("002").await;
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let config = db.config().clone();
            tokio::spawn(async move {
                let (mut c, conn) = config
                    .connect(tokio_postgres::NoTls)
                    .await
                    .expect("connect");
                tokio::spawn(conn);
                let m = Migrator::client_only(&MIGRATIONS)
                    .with_connect_options(ConnectOptions::from_config(config));
                take_over(&mut c, &m)
                    .await
                    .expect("takeover succeeds on every replica");
                m.upgrade(&mut c, "head").await.expect("and the upgrade")
            })
        })
        .collect();
    for t in tasks {
        assert!(t.await.expect("task").at_head);
    }
    let rows = client
        .query(
            "SELECT version, method FROM schema_revisions ORDER BY version",
            &[],
        )
        .await
        .expect("q");
    let history: Vec<(String, String)> = rows.iter().map(|r| (r.get(0), r.get(1))).collect();
    let expected: Vec<(String, String)> = [("001", "stamp"), ("002", "stamp"), ("003", "upgrade")]
        .iter()
        .map(|(v, m)| (v.to_string(), m.to_string()))
        .collect();
    assert_eq!(history, expected);
}

/// Regression (review S3): foreign-key actions and nullability were not compared.
#[tokio::test]
async fn a_different_delete_action_is_refused() {
    let (db, mut client) = alembic_database("002").await;
    client
        .batch_execute(
            "ALTER TABLE call_transcripts DROP CONSTRAINT call_transcripts_session_id_fkey,
             ADD CONSTRAINT call_transcripts_session_id_fkey FOREIGN KEY (session_id) REFERENCES call_sessions (id) ON DELETE RESTRICT",
        )
        .await
        .expect("drift");
    let err = take_over(&mut client, &migrator(&db))
        .await
        .expect_err("refused");
    assert!(
        err.to_string()
            .contains("expected FOREIGN KEY (session_id) REFERENCES call_sessions(id) ON DELETE CASCADE, found FOREIGN KEY (session_id) REFERENCES call_sessions(id) ON DELETE RESTRICT"),
        "{err}"
    );
    assert!(!common::history_exists(&client, "public.schema_revisions").await);
}

/// After a takeover and an upgrade to head, the schema is what the revisions produce.
#[tokio::test]
async fn a_taken_over_database_has_no_drift_at_head() {
    let (db, mut client) = alembic_database("002").await;
    let m = migrator(&db).ignoring_tables([app_db::takeover::ALEMBIC_TABLE]);
    take_over(&mut client, &m).await.expect("takeover");
    m.upgrade(&mut client, "head").await.expect("upgrade");
    let drift = m.drift(&mut client).await.expect("drift");
    let differences: Vec<String> = drift.diff.differences().map(|d| d.to_string()).collect();
    assert!(differences.is_empty(), "{differences:#?}");
    assert_eq!(
        drift.method,
        app_db::schema::Method::ScratchDatabase,
        "the test role may create databases"
    );
}
