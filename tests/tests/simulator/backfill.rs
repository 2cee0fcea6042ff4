//! Revision 004, a batched Rust revision: the simulator's extractor run over transcript lines
//! written before extraction existed, on a database at 003 seeded as the Python setup left it.

use app_db::sim::extract::extract;
use app_db::testing::{self, TestDatabase};
use app_db::MIGRATIONS;
use tokio_postgres::Client;

/// Lines of one call, as the Alembic era wrote them: no entities.
const LINES: [&str; 5] = [
    "911, what is the address of your emergency?",
    "He has a knife, we're at 1432 Maple Street, apartment 3B.",
    "My husband Daniel is bleeding from his arm.",
    "There is smoke coming from the kitchen.",
    "Okay.",
];

/// A database at 003 with one call of `lines` lines (cycling through [`LINES`]), the first of
/// which already has an entity recorded live. Returns the database and that line's id.
async fn seeded(lines: i32) -> (TestDatabase, Client, uuid::Uuid) {
    let server = testing::server().await.expect("test server");
    let db = server
        .database_before(&MIGRATIONS, "004")
        .await
        .expect("a database at 003");
    let client = db.connect().await.expect("connect");
    let texts: Vec<&str> = LINES.to_vec();
    let live: uuid::Uuid = client
        .query_one(
            "WITH s AS (INSERT INTO call_sessions (operator_id, scenario_name) VALUES ('op-7', 'ad hoc') RETURNING id),
                  l AS (INSERT INTO call_transcripts (session_id, timestamp_ms, speaker, text)
                        SELECT s.id, g * 1000, CASE WHEN g % 2 = 0 THEN 'operator' ELSE 'caller' END::speaker_enum,
                               ($2::text[])[1 + g % 5]
                        FROM s, generate_series(0, $1 - 1) g
                        RETURNING id, timestamp_ms)
             SELECT id FROM l WHERE timestamp_ms = 1000",
            &[&lines, &texts],
        )
        .await
        .expect("seed")
        .get(0);
    client
        .execute(
            "INSERT INTO extracted_entities (transcript_id, entity_type, entity_value, start_char, end_char, metadata)
             VALUES ($1, 'WEAPON', 'knife', 9, 14, '{\"extractor\": \"rules\"}')",
            &[&live],
        )
        .await
        .expect("a live entity");
    (db, client, live)
}

/// (entities in all, entities 004 wrote, lines with more entities than the extractor finds).
async fn entities(client: &Client) -> (i64, i64, i64) {
    let row = client
        .query_one(
            "SELECT count(*), count(*) FILTER (WHERE metadata ->> 'backfilled_by' = '004_backfill_entities')
             FROM extracted_entities",
            &[],
        )
        .await
        .expect("count");
    let lines = client
        .query(
            "SELECT t.text, count(e.id) FROM call_transcripts t
             LEFT JOIN extracted_entities e ON e.transcript_id = t.id GROUP BY t.id, t.text",
            &[],
        )
        .await
        .expect("per line");
    let over = lines
        .iter()
        .filter(|r| r.get::<_, i64>(1) as usize > extract(r.get(0)).len())
        .count();
    (row.get(0), row.get(1), over as i64)
}

/// What the extractor finds in `lines` lines cycling through [`LINES`], but the live one.
fn expected(lines: usize) -> i64 {
    let all: usize = (0..lines).map(|g| extract(LINES[g % 5]).len()).sum();
    (all - extract(LINES[1]).len()) as i64
}

#[tokio::test]
async fn the_backfill_extracts_the_entities_of_old_lines_once_and_goes_back() {
    // 4,500 lines: three batches of 2,000, the last one short.
    let (db, client, live) = seeded(4500).await;
    assert!(expected(4500) > 3000, "the texts hold entities");
    db.upgrade(&MIGRATIONS, "+1").await.expect("004 alone");
    let at: String = client
        .query_one("SELECT max(version) FROM schema_revisions", &[])
        .await
        .expect("history")
        .get(0);
    assert_eq!(at, "004");
    assert_eq!(
        entities(&client).await,
        (expected(4500) + 1, expected(4500), 0)
    );
    let kept: i64 = client
        .query_one(
            "SELECT count(*) FROM extracted_entities WHERE transcript_id = $1",
            &[&live],
        )
        .await
        .expect("live")
        .get(0);
    assert_eq!(kept, 1, "a line extracted live is left alone");
    let row: (i64, String) = client
        .query_one(
            "SELECT start_char::int8, entity_value FROM extracted_entities
             WHERE entity_type = 'LOCATION' LIMIT 1",
            &[],
        )
        .await
        .map(|r| (r.get(0), r.get(1)))
        .expect("a location");
    assert_eq!(row, (25, "1432 Maple Street, apartment 3B".to_owned()));
    // Run again over the same lines (its history row forgotten): it adds nothing.
    client
        .execute("DELETE FROM schema_revisions WHERE version = '004'", &[])
        .await
        .expect("forget");
    db.upgrade(&MIGRATIONS, "+1").await.expect("004 again");
    assert_eq!(
        entities(&client).await,
        (expected(4500) + 1, expected(4500), 0)
    );
    // Down removes what it wrote, and only that.
    db.downgrade(&MIGRATIONS, "-1").await.expect("down");
    assert_eq!(entities(&client).await, (1, 0, 0));
}
