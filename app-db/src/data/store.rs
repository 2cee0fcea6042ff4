//! Reading and writing the simulator's tables. Every function takes `&impl GenericClient`, so a
//! caller (or a test) can run several of them in one transaction.

use chrono::Utc;
use serde_json::Value;
use thiserror::Error;
use tokio_postgres::{GenericClient, Row};
use uuid::Uuid;

use super::model::{
    CallSession, CallSessionStatus, ExtractedEntity, FullSession, PerformanceMetric, Speaker,
    TrainingScenario, TranscriptLine,
};

/// Errors of the data layer.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum DataError {
    /// A query failed.
    #[error("{action} failed")]
    Query {
        /// What was being done.
        action: &'static str,
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
    /// No such row.
    #[error("no {what} with id {id}")]
    NotFound {
        /// The kind of row.
        what: &'static str,
        /// The id looked up.
        id: Uuid,
    },
}

fn query(action: &'static str) -> impl FnOnce(tokio_postgres::Error) -> DataError {
    move |source| DataError::Query { action, source }
}

const SCENARIO_COLUMNS: &str =
    "id, name, description, caller_profile, scenario_script, difficulty_level, is_active";

fn scenario(row: &Row) -> Result<TrainingScenario, DataError> {
    let name: String = row.get("name");
    let mut gaps = Vec::new();
    let caller_profile = document(
        row,
        "caller_profile",
        &mut gaps,
        super::lenient::caller_profile,
    );
    let scenario_script = document(
        row,
        "scenario_script",
        &mut gaps,
        super::lenient::scenario_script,
    );
    Ok(TrainingScenario {
        id: row.get("id"),
        description: row.get("description"),
        caller_profile,
        scenario_script,
        difficulty_level: row.get("difficulty_level"),
        is_active: row.get("is_active"),
        name,
        gaps,
    })
}

/// A JSONB column parsed into its typed form: strictly when it follows the format, otherwise
/// leniently, with what did not fit added to `gaps` (never an error: a scenario the Python setup
/// wrote in its own shape is still listed and played as far as it goes).
fn document<T: serde::de::DeserializeOwned>(
    row: &Row,
    field: &'static str,
    gaps: &mut Vec<String>,
    lenient: fn(&Value, &mut Vec<String>) -> T,
) -> T {
    let value: Value = row.get(field);
    match serde_json::from_value(value.clone()) {
        Ok(typed) => typed,
        Err(_) => lenient(&value, gaps),
    }
}

/// Scenarios by difficulty then name; only active ones unless `include_inactive`.
pub async fn list_scenarios(
    client: &impl GenericClient,
    include_inactive: bool,
) -> Result<Vec<TrainingScenario>, DataError> {
    let sql = format!("SELECT {SCENARIO_COLUMNS} FROM training_scenarios WHERE is_active OR $1 ORDER BY difficulty_level, name");
    let rows = client
        .query(&sql, &[&include_inactive])
        .await
        .map_err(query("listing scenarios"))?;
    rows.iter().map(scenario).collect()
}

/// The scenario with this id.
pub async fn get_scenario(
    client: &impl GenericClient,
    id: Uuid,
) -> Result<TrainingScenario, DataError> {
    let sql = format!("SELECT {SCENARIO_COLUMNS} FROM training_scenarios WHERE id = $1");
    let row = client
        .query_opt(&sql, &[&id])
        .await
        .map_err(query("loading a scenario"))?;
    scenario(&row.ok_or(DataError::NotFound {
        what: "scenario",
        id,
    })?)
}

/// The scenario named `name` (case-insensitive), if any.
pub async fn find_scenario_by_name(
    client: &impl GenericClient,
    name: &str,
) -> Result<Option<TrainingScenario>, DataError> {
    let sql =
        format!("SELECT {SCENARIO_COLUMNS} FROM training_scenarios WHERE lower(name) = lower($1)");
    let row = client
        .query_opt(&sql, &[&name])
        .await
        .map_err(query("finding a scenario"))?;
    row.as_ref().map(scenario).transpose()
}

const SESSION_COLUMNS: &str =
    "id, operator_id, scenario_id, scenario_name, started_at, ended_at, duration_ms, status, metadata";

fn session(row: &Row) -> CallSession {
    CallSession {
        id: row.get("id"),
        operator_id: row.get("operator_id"),
        scenario_id: row.get("scenario_id"),
        scenario_name: row.get("scenario_name"),
        started_at: row.get("started_at"),
        ended_at: row.get("ended_at"),
        duration_ms: row.get("duration_ms"),
        status: row.get("status"),
        metadata: row.get("metadata"),
    }
}

/// Starts an `active` session of `scenario` for `operator_id`.
pub async fn start_session(
    client: &impl GenericClient,
    operator_id: &str,
    scenario: &TrainingScenario,
    metadata: &Value,
) -> Result<CallSession, DataError> {
    let sql = format!("INSERT INTO call_sessions (operator_id, scenario_id, metadata) VALUES ($1, $2, $3) RETURNING {SESSION_COLUMNS}");
    let row = client
        .query_one(&sql, &[&operator_id, &scenario.id, metadata])
        .await
        .map_err(query("starting a session"))?;
    Ok(session(&row))
}

/// Ends a session with `status` and its duration; `ended_at` is now.
pub async fn end_session(
    client: &impl GenericClient,
    id: Uuid,
    status: CallSessionStatus,
    duration_ms: i64,
) -> Result<CallSession, DataError> {
    let sql = format!("UPDATE call_sessions SET status = $2, duration_ms = $3, ended_at = greatest(now(), started_at) WHERE id = $1 AND status = 'active' RETURNING {SESSION_COLUMNS}");
    let row = client
        .query_opt(&sql, &[&id, &status, &duration_ms])
        .await
        .map_err(query("ending a session"))?;
    row.map(|r| session(&r)).ok_or(DataError::NotFound {
        what: "session",
        id,
    })
}

/// A transcript line to append.
#[derive(Debug, Clone)]
pub struct NewLine<'a> {
    /// Milliseconds since the call started.
    pub timestamp_ms: i64,
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said.
    pub text: &'a str,
    /// The speaker's emotional state.
    pub emotional_state: Option<&'a str>,
    /// Transcription confidence.
    pub confidence_score: Option<f64>,
}

const LINE_COLUMNS: &str =
    "id, session_id, timestamp_ms, speaker, text, audio_url, emotional_state, confidence_score";

fn line(row: &Row) -> TranscriptLine {
    TranscriptLine {
        id: row.get("id"),
        session_id: row.get("session_id"),
        timestamp_ms: row.get("timestamp_ms"),
        speaker: row.get("speaker"),
        text: row.get("text"),
        audio_url: row.get("audio_url"),
        emotional_state: row.get("emotional_state"),
        confidence_score: row.get::<_, Option<f64>>("confidence_score"),
    }
}

/// Appends a line to a session's transcript.
pub async fn append_line(
    client: &impl GenericClient,
    session_id: Uuid,
    new: &NewLine<'_>,
) -> Result<TranscriptLine, DataError> {
    let sql = format!(
        "INSERT INTO call_transcripts (session_id, timestamp_ms, speaker, text, emotional_state, confidence_score) VALUES ($1, $2, $3, $4, $5, $6) RETURNING {LINE_COLUMNS}"
    );
    let params: [&(dyn tokio_postgres::types::ToSql + Sync); 6] = [
        &session_id,
        &new.timestamp_ms,
        &new.speaker,
        &new.text,
        &new.emotional_state,
        &new.confidence_score,
    ];
    let row = client
        .query_one(&sql, &params)
        .await
        .map_err(query("appending a transcript line"))?;
    Ok(line(&row))
}

/// An entity to record.
#[derive(Debug, Clone)]
pub struct NewEntity<'a> {
    /// `WEAPON`, `INJURY`, ...
    pub entity_type: &'a str,
    /// The text found.
    pub value: &'a str,
    /// Extraction confidence, 0..1.
    pub confidence: f64,
    /// First character (inclusive).
    pub start_char: i32,
    /// Last character (exclusive).
    pub end_char: i32,
    /// Extraction details.
    pub metadata: Value,
}

/// Records entities found in a transcript line.
pub async fn record_entities(
    client: &impl GenericClient,
    transcript_id: Uuid,
    entities: &[NewEntity<'_>],
) -> Result<Vec<ExtractedEntity>, DataError> {
    let sql = "INSERT INTO extracted_entities (transcript_id, entity_type, entity_value, confidence_score, start_char, end_char, metadata)
               VALUES ($1, $2, $3, $4, $5, $6, $7)
               RETURNING id, transcript_id, entity_type, entity_value, confidence_score, start_char, end_char, metadata";
    let mut out = Vec::with_capacity(entities.len());
    for e in entities {
        let row = client
            .query_one(
                sql,
                &[
                    &transcript_id,
                    &e.entity_type,
                    &e.value,
                    &e.confidence,
                    &e.start_char,
                    &e.end_char,
                    &e.metadata,
                ],
            )
            .await
            .map_err(query("recording an entity"))?;
        out.push(entity(&row));
    }
    Ok(out)
}

fn entity(row: &Row) -> ExtractedEntity {
    ExtractedEntity {
        id: row.get("id"),
        transcript_id: row.get("transcript_id"),
        entity_type: row.get("entity_type"),
        entity_value: row.get("entity_value"),
        confidence_score: row.get("confidence_score"),
        start_char: row.get("start_char"),
        end_char: row.get("end_char"),
        metadata: row.get("metadata"),
    }
}

/// Records metrics of a session, measured now.
pub async fn record_metrics(
    client: &impl GenericClient,
    session_id: Uuid,
    metrics: &[(&str, f64)],
) -> Result<Vec<PerformanceMetric>, DataError> {
    let sql = "INSERT INTO performance_metrics (session_id, metric_name, metric_value, measured_at) VALUES ($1, $2, $3, $4)
               RETURNING id, session_id, metric_name, metric_value, measured_at";
    let now = Utc::now();
    let mut out = Vec::with_capacity(metrics.len());
    for (name, value) in metrics {
        let row = client
            .query_one(sql, &[&session_id, name, value, &now])
            .await
            .map_err(query("recording a metric"))?;
        out.push(metric(&row));
    }
    Ok(out)
}

fn metric(row: &Row) -> PerformanceMetric {
    PerformanceMetric {
        id: row.get("id"),
        session_id: row.get("session_id"),
        metric_name: row.get("metric_name"),
        metric_value: row.get("metric_value"),
        measured_at: row.get("measured_at"),
    }
}

/// A session with its transcript (in order), entities and metrics.
pub async fn load_session(client: &impl GenericClient, id: Uuid) -> Result<FullSession, DataError> {
    let sql = format!("SELECT {SESSION_COLUMNS} FROM call_sessions WHERE id = $1");
    let row = client
        .query_opt(&sql, &[&id])
        .await
        .map_err(query("loading a session"))?;
    let session = session(&row.ok_or(DataError::NotFound {
        what: "session",
        id,
    })?);
    let sql = format!("SELECT {LINE_COLUMNS} FROM call_transcripts WHERE session_id = $1 ORDER BY timestamp_ms, id");
    let transcript = client
        .query(&sql, &[&id])
        .await
        .map_err(query("loading a transcript"))?
        .iter()
        .map(line)
        .collect();
    let entities = client
        .query(
            "SELECT e.id, e.transcript_id, e.entity_type, e.entity_value, e.confidence_score, e.start_char, e.end_char, e.metadata
             FROM extracted_entities e JOIN call_transcripts t ON t.id = e.transcript_id
             WHERE t.session_id = $1 ORDER BY t.timestamp_ms, e.start_char",
            &[&id],
        )
        .await
        .map_err(query("loading entities"))?
        .iter()
        .map(entity)
        .collect();
    let metrics = client
        .query("SELECT id, session_id, metric_name, metric_value, measured_at FROM performance_metrics WHERE session_id = $1 ORDER BY metric_name", &[&id])
        .await
        .map_err(query("loading metrics"))?
        .iter()
        .map(metric)
        .collect();
    Ok(FullSession {
        session,
        transcript,
        entities,
        metrics,
    })
}
