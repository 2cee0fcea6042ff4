// migrate: statement-timeout=5min
//
// 004_backfill_entities: transcript lines written before entity extraction existed (every line
// of a database taken over from the Python setup) have no `extracted_entities`. This revision
// runs the simulator's extractor over them, a batch of lines at a time: each batch commits with
// the cursor (the last line's id) in the runner's progress table, so a killed runner resumes at
// the next batch, and the last batch commits with the history row.
//
// It is idempotent: a line that already has entities is skipped, so a rerun (after a
// downgrade, or on lines the live simulator extracted) adds nothing.
//
// Written to keep its meaning as the schema moves on: its SQL names the tables and columns as
// they are at revision 003 (not the data layer's functions or row types, which follow the
// newest schema), and the only code of the crate it calls is the extractor, a pure function of
// the text. If that function's output type ever changes, this file is adapted (its checksum is
// over its tokens, so a reformat is not an edit) or keeps a copy of the old extractor.

use migrations_runtime::tokio_postgres::{Error, Transaction};

/// Lines per batch: large enough that a batch's round trips are small beside its work, small
/// enough that a batch holds its locks for well under a second.
const BATCH: i64 = 2000;

/// One batch: the lines after `after` (by id), extracting those without entities. Returns the
/// last line's id, or `None` once the lines run out.
pub async fn up(
    tx: &mut Transaction<'_>,
    after: Option<uuid::Uuid>,
) -> Result<Option<uuid::Uuid>, Error> {
    let lines = tx
        .query(
            "SELECT t.id, t.text, t.speaker::text,
                    EXISTS (SELECT FROM extracted_entities e WHERE e.transcript_id = t.id)
             FROM call_transcripts t
             WHERE $1::uuid IS NULL OR t.id > $1
             ORDER BY t.id
             LIMIT $2",
            &[&after, &BATCH],
        )
        .await?;
    let mut rows = Rows::default();
    for line in &lines {
        if line.get::<_, bool>(3) {
            continue;
        }
        let (id, text, speaker): (uuid::Uuid, &str, &str) = (line.get(0), line.get(1), line.get(2));
        for entity in crate::sim::extract::extract(text) {
            rows.transcript.push(id);
            rows.kind.push(entity.entity_type.as_str().to_owned());
            rows.value.push(entity.value);
            rows.confidence.push(entity.confidence);
            rows.start.push(entity.start_char as i32);
            rows.end.push(entity.end_char as i32);
            rows.metadata.push(serde_json::json!({
                "extractor": "rules",
                "speaker": speaker,
                "backfilled_by": "004_backfill_entities",
            }));
        }
    }
    if !rows.transcript.is_empty() {
        tx.execute(
            "INSERT INTO extracted_entities
                 (transcript_id, entity_type, entity_value, confidence_score, start_char, end_char, metadata)
             SELECT * FROM unnest($1::uuid[], $2::text[], $3::text[], $4::float8[], $5::int4[], $6::int4[], $7::jsonb[])",
            &[&rows.transcript, &rows.kind, &rows.value, &rows.confidence, &rows.start, &rows.end, &rows.metadata],
        )
        .await?;
    }
    let done = (lines.len() as i64) < BATCH;
    Ok(match done {
        true => None,
        false => lines.last().map(|line| line.get(0)),
    })
}

/// The entities of a batch, column by column, inserted with one statement.
#[derive(Default)]
struct Rows {
    transcript: Vec<uuid::Uuid>,
    kind: Vec<String>,
    value: Vec<String>,
    confidence: Vec<f64>,
    start: Vec<i32>,
    end: Vec<i32>,
    metadata: Vec<serde_json::Value>,
}
