//! Typed rows of the simulator's five tables, their enums, and the scenario JSON documents
//! (`docs/scenario-format.md`).

use chrono::{DateTime, Utc};
use postgres_types::{FromSql, ToSql};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// `difficulty_level_enum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSql, FromSql)]
#[postgres(name = "difficulty_level_enum", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum DifficultyLevel {
    /// `easy`
    Easy,
    /// `medium`
    Medium,
    /// `hard`
    Hard,
}

/// `call_session_status_enum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSql, FromSql)]
#[postgres(name = "call_session_status_enum", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum CallSessionStatus {
    /// The call is in progress.
    Active,
    /// The call ended normally.
    Completed,
    /// The call was cut short (operator hung up, trainee quit).
    Terminated,
    /// The simulator failed during the call.
    Error,
}

/// `speaker_enum`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSql, FromSql)]
#[postgres(name = "speaker_enum", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The trainee dispatcher.
    Operator,
    /// The simulated caller.
    Caller,
}

/// `training_scenarios.caller_profile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallerProfile {
    /// The caller's name.
    pub name: String,
    /// Age in years.
    pub age: u32,
    /// Emotional state at the start of the call.
    pub emotional_state: String,
    /// What the trainee would learn over the call.
    pub background: String,
    /// How the caller behaves.
    pub personality: String,
    /// Particular ways of speaking.
    pub speech_traits: Vec<String>,
}

/// `training_scenarios.scenario_script`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScenarioScript {
    /// The situation when the call starts.
    pub initial_conditions: InitialConditions,
    /// What a good operator captures.
    pub key_entities: Vec<KeyEntity>,
    /// What a good operator asks.
    pub key_questions: Vec<KeyQuestion>,
    /// The call as scripted: caller lines, and the default operator lines.
    pub dialogue: Vec<DialogueLine>,
    /// How the call should end.
    pub expected_outcome: String,
}

/// The situation when the call starts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InitialConditions {
    /// One-sentence summary.
    pub summary: String,
    /// Where the emergency is.
    pub location: String,
    /// Local time, `HH:MM`.
    pub time_of_day: String,
    /// Dangers on scene.
    pub hazards: Vec<String>,
}

/// An entity the operator should capture.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntity {
    /// `WEAPON`, `INJURY`, `LOCATION`, `PERSON`, `VEHICLE`, `MEDICAL_CONDITION` or `HAZARD`.
    #[serde(rename = "type")]
    pub entity_type: String,
    /// The value as the caller says it.
    pub value: String,
}

/// A question the operator should ask.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyQuestion {
    /// Unique within the scenario.
    pub id: String,
    /// How a dispatcher would ask it.
    pub prompt: String,
    /// Lowercase words, any of which in an operator line counts as asking it.
    pub keywords: Vec<String>,
}

/// One scripted line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DialogueLine {
    /// Who speaks.
    pub speaker: Speaker,
    /// What is said.
    pub text: String,
    /// The caller's state at this line.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emotional_state: Option<String>,
    /// Key question ids an operator line asks.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub covers: Vec<String>,
    /// Simulated milliseconds since the previous line.
    #[serde(default)]
    pub delay_ms: u64,
}

/// A row of `training_scenarios`, with its JSON documents parsed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TrainingScenario {
    /// Primary key.
    pub id: Uuid,
    /// Unique name.
    pub name: String,
    /// What the scenario trains.
    pub description: Option<String>,
    /// Who calls.
    pub caller_profile: CallerProfile,
    /// How the call goes.
    pub scenario_script: ScenarioScript,
    /// Difficulty.
    pub difficulty_level: DifficultyLevel,
    /// Offered to trainees.
    pub is_active: bool,
    /// Where the documents do not follow `docs/scenario-format.md` (written by the Python
    /// setup, or by hand): each field missing, of another type or unknown, e.g.
    /// `scenario_script.dialogue is missing`. Empty for a well-formed scenario; what is missing
    /// was read as empty.
    pub gaps: Vec<String>,
}

/// A row of `call_sessions`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CallSession {
    /// Primary key.
    pub id: Uuid,
    /// The trainee.
    pub operator_id: String,
    /// The scenario played (`None` once the scenario was deleted).
    pub scenario_id: Option<Uuid>,
    /// The scenario's name when the session was linked to it (kept after it is deleted).
    pub scenario_name: String,
    /// When the call started.
    pub started_at: DateTime<Utc>,
    /// When it ended.
    pub ended_at: Option<DateTime<Utc>>,
    /// Its length.
    pub duration_ms: Option<i64>,
    /// Its state.
    pub status: CallSessionStatus,
    /// Free-form details (simulator version, mode).
    pub metadata: serde_json::Value,
}

/// A row of `call_transcripts`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TranscriptLine {
    /// Primary key.
    pub id: Uuid,
    /// The session.
    pub session_id: Uuid,
    /// Milliseconds since the call started.
    pub timestamp_ms: i64,
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said.
    pub text: String,
    /// Recording, if any.
    pub audio_url: Option<String>,
    /// The speaker's emotional state.
    pub emotional_state: Option<String>,
    /// Transcription confidence (1.0 for typed or scripted lines).
    pub confidence_score: Option<f64>,
}

/// A row of `extracted_entities`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedEntity {
    /// Primary key.
    pub id: Uuid,
    /// The transcript line it was found in.
    pub transcript_id: Uuid,
    /// `WEAPON`, `INJURY`, ...
    pub entity_type: String,
    /// The text found.
    pub entity_value: String,
    /// Extraction confidence, 0..1 (`None` when the extractor gave none).
    pub confidence_score: Option<f64>,
    /// First character (inclusive).
    pub start_char: i32,
    /// Last character (exclusive).
    pub end_char: i32,
    /// Extraction details (rule).
    pub metadata: serde_json::Value,
}

/// A row of `performance_metrics`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PerformanceMetric {
    /// Primary key.
    pub id: Uuid,
    /// The session measured.
    pub session_id: Uuid,
    /// Stable snake_case name.
    pub metric_name: String,
    /// Its value.
    pub metric_value: f64,
    /// When it was measured.
    pub measured_at: DateTime<Utc>,
}

/// A session with everything recorded about it, transcript in order.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FullSession {
    /// The session.
    pub session: CallSession,
    /// Its transcript, by `timestamp_ms`.
    pub transcript: Vec<TranscriptLine>,
    /// Entities found, in transcript order.
    pub entities: Vec<ExtractedEntity>,
    /// Metrics, by name.
    pub metrics: Vec<PerformanceMetric>,
}
