//! Every data-layer function against the real schema, inside one transaction where it helps.

use app_db::data::{store, CallSessionStatus, NewEntity, NewLine, Speaker};
use app_db::testing::TestDatabase;
use app_db::MIGRATIONS;
use serde_json::json;

/// A connection to the test's database, cloned from the template at head.
async fn connect(db: &TestDatabase) -> tokio_postgres::Client {
    db.connect().await.expect("connect")
}

#[app_db::test(migrations = MIGRATIONS)]
async fn the_five_seeded_scenarios_parse(db: TestDatabase) {
    let client = connect(&db).await;
    let scenarios = store::list_scenarios(&client, false).await.expect("list");
    for s in &scenarios {
        assert!(
            s.gaps.is_empty(),
            "the seed follows docs/scenario-format.md exactly: {} {:?}",
            s.name,
            s.gaps
        );
    }
    let names: Vec<&str> = scenarios.iter().map(|s| s.name.as_str()).collect();
    for expected in [
        "Domestic Violence Call",
        "Medical Emergency - Heart Attack",
        "Car Accident - Minor Injuries",
        "Active Shooter Report",
        "Burglary in Progress",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
    }
    for s in &scenarios {
        let script = &s.scenario_script;
        assert!(script.dialogue.len() >= 8, "{}: a real call", s.name);
        assert!(
            !script.key_questions.is_empty() && !script.key_entities.is_empty(),
            "{}",
            s.name
        );
        let ids: Vec<&str> = script.key_questions.iter().map(|q| q.id.as_str()).collect();
        for line in &script.dialogue {
            assert!(
                line.covers.iter().all(|c| ids.contains(&c.as_str())),
                "{}: covers an unknown question",
                s.name
            );
        }
        assert_eq!(
            store::get_scenario(&client, s.id)
                .await
                .expect("by id")
                .name,
            s.name
        );
    }
    let found = store::find_scenario_by_name(&client, "burglary in progress")
        .await
        .expect("by name");
    assert!(found.is_some(), "names match case-insensitively");
}

#[app_db::test(migrations = MIGRATIONS)]
async fn a_session_records_and_loads_in_order(db: TestDatabase) {
    let mut client = connect(&db).await;
    let scenario = store::find_scenario_by_name(&client, "Domestic Violence Call")
        .await
        .expect("q")
        .expect("seeded");
    let tx = client.transaction().await.expect("tx");
    let session = store::start_session(&tx, "op-7", &scenario, &json!({"mode": "test"}))
        .await
        .expect("start");
    assert_eq!(session.status, CallSessionStatus::Active);
    let second = NewLine {
        timestamp_ms: 2_000,
        speaker: Speaker::Operator,
        text: "911, where are you?",
        emotional_state: None,
        confidence_score: Some(1.0),
    };
    let first = NewLine {
        timestamp_ms: 0,
        speaker: Speaker::Caller,
        text: "He has a knife",
        emotional_state: Some("fearful"),
        confidence_score: Some(0.9),
    };
    store::append_line(&tx, session.id, &second)
        .await
        .expect("line");
    let caller = store::append_line(&tx, session.id, &first)
        .await
        .expect("line");
    let entity = NewEntity {
        entity_type: "WEAPON",
        value: "knife",
        confidence: 0.9,
        start_char: 9,
        end_char: 14,
        metadata: json!({}),
    };
    store::record_entities(&tx, caller.id, &[entity])
        .await
        .expect("entity");
    store::record_metrics(
        &tx,
        session.id,
        &[("key_questions_covered", 1.0), ("call_duration_ms", 2000.0)],
    )
    .await
    .expect("metrics");
    let ended = store::end_session(&tx, session.id, CallSessionStatus::Completed, 2_000)
        .await
        .expect("end");
    assert!(ended.ended_at.is_some() && ended.duration_ms == Some(2_000));
    let full = store::load_session(&tx, session.id).await.expect("load");
    assert_eq!(
        full.transcript
            .iter()
            .map(|l| l.timestamp_ms)
            .collect::<Vec<_>>(),
        [0, 2_000],
        "transcript in call order"
    );
    assert_eq!(
        (full.entities.len(), full.entities[0].entity_value.as_str()),
        (1, "knife")
    );
    assert_eq!(full.metrics.len(), 2);
    tx.rollback().await.expect("rollback");
    assert!(
        store::load_session(&client, session.id).await.is_err(),
        "all of it was in the transaction"
    );
}

#[app_db::test(migrations = MIGRATIONS)]
async fn constraints_reject_bad_data(db: TestDatabase) {
    let client = connect(&db).await;
    let scenario = store::find_scenario_by_name(&client, "Burglary in Progress")
        .await
        .expect("q")
        .expect("seeded");
    let session = store::start_session(&client, "op", &scenario, &json!({}))
        .await
        .expect("start");
    let line = NewLine {
        timestamp_ms: 0,
        speaker: Speaker::Caller,
        text: "x",
        emotional_state: None,
        confidence_score: Some(1.5),
    };
    assert!(
        store::append_line(&client, session.id, &line)
            .await
            .is_err(),
        "confidence above 1"
    );
    let ok = NewLine {
        confidence_score: Some(1.0),
        ..line
    };
    let stored = store::append_line(&client, session.id, &ok)
        .await
        .expect("line");
    let backwards = NewEntity {
        entity_type: "PERSON",
        value: "x",
        confidence: 0.5,
        start_char: 5,
        end_char: 2,
        metadata: json!({}),
    };
    assert!(
        store::record_entities(&client, stored.id, &[backwards])
            .await
            .is_err(),
        "start after end"
    );
}
