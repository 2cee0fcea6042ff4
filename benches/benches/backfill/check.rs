//! Whether a backfill did what it must, checked against the extractor itself: each line has
//! exactly `extract(text).len()` entities (none missing, none twice), and after a kill the
//! committed work is exactly what the progress row says. Each function returns the problems it
//! found, empty when there are none.

use tokio_postgres::Client;

use super::child::Progress;
use super::fixture::expected_counts;
use super::Fallible;

/// After the revision finished: per distinct text, the lines grouped by how many entities they
/// have, each count compared with the extractor's; no (line, start, type) twice; the history row
/// written and the progress row gone.
pub(super) async fn finished(client: &Client, lines: i64) -> Fallible<Vec<String>> {
    let expected = expected_counts();
    let mut problems = Vec::new();
    let groups = client
        .query(
            "SELECT text, entities, count(*) FROM (
                 SELECT t.text, count(e.id) AS entities
                 FROM call_transcripts t LEFT JOIN extracted_entities e ON e.transcript_id = t.id
                 GROUP BY t.id, t.text) AS per_line
             GROUP BY text, entities ORDER BY text, entities",
            &[],
        )
        .await?;
    let mut counted = 0;
    for group in &groups {
        let (text, found, count): (&str, i64, i64) = (group.get(0), group.get(1), group.get(2));
        counted += count;
        match expected.get(text) {
            Some(&wanted) if wanted == found => {}
            Some(wanted) => problems.push(format!(
                "{count} lines of {text:?} have {found} entities; extract finds {wanted}"
            )),
            None => problems.push(format!("{count} lines of a text not seeded: {text:?}")),
        }
    }
    if counted != lines {
        problems.push(format!("{counted} lines counted, {lines} seeded"));
    }
    let duplicates: i64 = client
        .query_one(
            "SELECT count(*) FROM (SELECT FROM extracted_entities
                 GROUP BY transcript_id, start_char, entity_type HAVING count(*) > 1) AS d",
            &[],
        )
        .await?
        .get(0);
    if duplicates > 0 {
        problems.push(format!(
            "{duplicates} (transcript_id, start_char, entity_type) appear more than once"
        ));
    }
    let (history, progress): (i64, i64) = {
        let row = client
            .query_one(
                "SELECT (SELECT count(*) FROM schema_revisions WHERE version = '004'),
                        (SELECT count(*) FROM schema_revisions_progress WHERE version = '004')",
                &[],
            )
            .await?;
        (row.get(0), row.get(1))
    };
    if (history, progress) != (1, 0) {
        problems.push(format!(
            "{history} history rows and {progress} progress rows for 004 (1 and 0 expected)"
        ));
    }
    Ok(problems)
}

/// After a kill: the lines up to the row's cursor are exactly the batches before the one in
/// flight (`(batch - 1) * size` lines), they have their entities, and no line after the cursor
/// has any: the batch in flight left nothing.
pub(super) async fn committed(
    client: &Client,
    row: Option<&Progress>,
    size: i64,
) -> Fallible<Vec<String>> {
    let mut problems = Vec::new();
    if let Some(error) = row.and_then(|r| r.error.as_deref()) {
        problems.push(format!("the progress row records a failed batch: {error}"));
    }
    // No row, or a row without cursor: nothing may be committed yet.
    let (cursor, batch) = match row.and_then(|r| r.cursor.clone().map(|c| (c, r.batch))) {
        Some(found) => found,
        None => ("00000000-0000-0000-0000-000000000000".to_owned(), 1),
    };
    let done = client
        .query(
            "SELECT text, count(*) FROM call_transcripts WHERE id <= $1::text::uuid GROUP BY text",
            &[&cursor],
        )
        .await?;
    let expected = expected_counts();
    let (mut lines, mut entities) = (0, 0);
    for group in &done {
        let (text, count): (&str, i64) = (group.get(0), group.get(1));
        lines += count;
        entities += count * expected.get(text).copied().unwrap_or_default();
    }
    let want_lines = i64::from(batch - 1) * size;
    if lines != want_lines {
        problems.push(format!(
            "{lines} lines up to the cursor, {want_lines} expected for batch {batch} in flight"
        ));
    }
    let row = client
        .query_one(
            "SELECT count(*) FILTER (WHERE transcript_id <= $1::text::uuid),
                    count(*) FILTER (WHERE transcript_id > $1::text::uuid)
             FROM extracted_entities",
            &[&cursor],
        )
        .await?;
    let (before, after): (i64, i64) = (row.get(0), row.get(1));
    if before != entities {
        problems.push(format!(
            "{before} entities up to the cursor, the extractor finds {entities}"
        ));
    }
    if after != 0 {
        problems.push(format!(
            "{after} entities after the cursor: the batch in flight left work behind"
        ));
    }
    Ok(problems)
}
