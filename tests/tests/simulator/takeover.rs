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
    let expected: Vec<(String, String)> = [
        ("001", "stamp"),
        ("002", "stamp"),
        ("003", "upgrade"),
        ("004", "upgrade"),
    ]
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

/// What the real Python setup left at revision 002 (`tests/fixtures/alembic`): SQLAlchemy's DDL,
/// the seed's five scenarios written by its data migration, and rows its application wrote.
async fn sqlalchemy_database() -> (app_db::testing::TestDatabase, tokio_postgres::Client) {
    let (db, client) = common::fresh().await;
    let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/alembic");
    for file in ["sqlalchemy_002.sql"] {
        let sql = std::fs::read_to_string(format!("{fixtures}/{file}")).expect("fixture");
        client
            .batch_execute(&sql)
            .await
            .expect("the SQLAlchemy schema");
    }
    let seed = MIGRATIONS.get("002").expect("002").up().sql();
    client
        .batch_execute(seed)
        .await
        .expect("the seed, as Alembic's 002 ran it");
    let rows = std::fs::read_to_string(format!("{fixtures}/sqlalchemy_rows.sql")).expect("fixture");
    client
        .batch_execute(&rows)
        .await
        .expect("the application's rows");
    (db, client)
}

async fn counts(client: &tokio_postgres::Client) -> Vec<i64> {
    let mut counts = Vec::new();
    for table in [
        "training_scenarios",
        "call_sessions",
        "call_transcripts",
        "extracted_entities",
        "performance_metrics",
    ] {
        let row = client
            .query_one(&format!("SELECT count(*) FROM {table}"), &[])
            .await
            .expect("count");
        counts.push(row.get(0));
    }
    counts
}

#[tokio::test]
async fn a_database_built_by_sqlalchemy_is_refused_with_the_command_that_reconciles_it() {
    let (db, mut client) = sqlalchemy_database().await;
    let before = common::snapshot(&client).await;
    let err = take_over(&mut client, &migrator(&db))
        .await
        .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("column public.training_scenarios.name: expected text not null, found character varying(255) not null"), "{text}");
    assert!(text.contains("simulator db takeover --plan"), "{text}");
    assert_eq!(common::snapshot(&client).await, before, "nothing changed");
}

#[tokio::test]
async fn the_sqlalchemy_database_is_reconciled_keeping_every_row() {
    use app_db::takeover::{apply, plan, Choices};
    let (db, mut client) = sqlalchemy_database().await;
    let m = migrator(&db).ignoring_tables([app_db::takeover::ALEMBIC_TABLE]);
    let rows = counts(&client).await;
    let before = common::snapshot(&client).await;
    let planned = plan(&mut client, &m, &Choices::default())
        .await
        .expect("plan")
        .expect("an Alembic database");
    assert_eq!(
        common::snapshot(&client).await,
        before,
        "the plan changes nothing"
    );
    assert!(planned.blockers.is_empty(), "{:#?}", planned.blockers);
    let fills: Vec<(String, String, i64)> = planned
        .fills
        .iter()
        .map(|f| (f.table.name.clone(), f.column.clone(), f.rows))
        .collect();
    for expected in [
        ("training_scenarios", "is_active", 5),
        ("call_sessions", "status", 1),
        ("call_sessions", "metadata", 1),
        ("extracted_entities", "metadata", 1),
    ] {
        let expected = (expected.0.to_owned(), expected.1.to_owned(), expected.2);
        assert!(fills.contains(&expected), "fill {expected:?} in {fills:?}");
    }
    let sql = planned.sql();
    for statement in [
        "UPDATE public.training_scenarios SET is_active = true WHERE is_active IS NULL;",
        "DROP INDEX public.ix_call_sessions_scenario_id;",
        "ALTER TABLE public.call_transcripts ALTER COLUMN timestamp_ms TYPE bigint;",
        "ALTER TABLE public.training_scenarios ALTER COLUMN id SET DEFAULT gen_random_uuid();",
    ] {
        assert!(sql.contains(statement), "`{statement}` in:\n{sql}");
    }
    // The rows were counted: a NOT NULL filled first, or a check no row violates, is no longer
    // a "may fail" in the SQL.
    assert!(
        !sql.contains("-- MAY FAIL: column public.training_scenarios.is_active"),
        "{sql}"
    );
    assert!(
        !sql.contains("-- MAY FAIL: constraint call_transcripts_confidence_score_range"),
        "{sql}"
    );
    let applied = apply(&mut client, &m, &Choices::default())
        .await
        .expect("apply")
        .expect("taken over");
    assert_eq!(applied.revision, "002");
    m.upgrade(&mut client, "head").await.expect("migrates on");
    assert_eq!(counts(&client).await, rows, "every row kept");
    let text: String = client
        .query_one(
            "SELECT text FROM call_transcripts WHERE timestamp_ms = 0",
            &[],
        )
        .await
        .expect("kept")
        .get(0);
    assert_eq!(text, "He has a knife, I am in the bathroom");
    let drift = m.drift(&mut client).await.expect("drift");
    let left: Vec<String> = drift.diff.differences().map(|d| d.to_string()).collect();
    assert!(left.is_empty(), "drift after the takeover: {left:#?}");
}

#[tokio::test]
async fn rows_a_new_constraint_would_reject_block_the_takeover() {
    use app_db::takeover::{apply, plan, Choices};
    let (db, mut client) = sqlalchemy_database().await;
    client
        .batch_execute(
            "UPDATE call_transcripts SET confidence_score = 1.5 WHERE timestamp_ms = 0;
             UPDATE training_scenarios SET description = NULL WHERE name = 'Burglary in Progress';",
        )
        .await
        .expect("rows our constraints reject");
    let m = migrator(&db);
    let planned = plan(&mut client, &m, &Choices::default())
        .await
        .expect("plan")
        .expect("alembic");
    let blockers: Vec<String> = planned.blockers.iter().map(ToString::to_string).collect();
    assert!(
        blockers.iter().any(|b| b.starts_with("constraint call_transcripts_confidence_score_range on public.call_transcripts: 1 row(s) violate it")),
        "{blockers:#?}"
    );
    assert!(
        blockers.iter().any(|b| b
            .contains("column public.training_scenarios.description: 1 row(s) hold NULL")
            && b.contains("--fill training_scenarios.description=")),
        "{blockers:#?}"
    );
    let before = common::snapshot(&client).await;
    let err = apply(&mut client, &m, &Choices::default())
        .await
        .expect_err("blocked");
    assert!(
        err.to_string()
            .contains("cannot run as planned; nothing was changed"),
        "{err}"
    );
    assert_eq!(common::snapshot(&client).await, before, "nothing changed");

    // Fixing the row and choosing a value for the NULLs lets it run.
    client
        .batch_execute("UPDATE call_transcripts SET confidence_score = 1 WHERE timestamp_ms = 0")
        .await
        .expect("fix");
    let choices = Choices {
        fill: vec![app_db::takeover::Choices::parse_fill(
            "training_scenarios.description='(no description)'",
        )
        .expect("parses")],
        allow_destructive: false,
    };
    apply(&mut client, &m, &choices)
        .await
        .expect("apply")
        .expect("taken over");
    let description: String = client
        .query_one(
            "SELECT description FROM training_scenarios WHERE name = 'Burglary in Progress'",
            &[],
        )
        .await
        .expect("row")
        .get(0);
    assert_eq!(description, "(no description)");
}
