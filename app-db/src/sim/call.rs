//! Running one training call: the caller's lines come from the scenario script, the operator's
//! from the script's defaults or from stdin, and every line, entity, metric and the session's end
//! land in the database as the call goes.

use std::io::{BufRead, Write};
use std::time::Instant;

use serde_json::json;
use thiserror::Error;
use tokio_postgres::Client;

use super::extract::{self, Entity, EntityType};
use super::metrics::{self, Evaluation};
use crate::data::{
    store, CallSessionStatus, DataError, DialogueLine, FullSession, NewEntity, NewLine, Speaker,
    TrainingScenario,
};

/// Errors of a call.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum CallError {
    /// Reading or writing the database.
    #[error(transparent)]
    Data(#[from] DataError),
    /// Reading the operator's input or writing the call to the terminal.
    #[error("terminal input/output failed")]
    Io {
        /// The cause.
        #[from]
        source: std::io::Error,
    },
    /// A transaction could not begin or commit.
    #[error("recording the call failed")]
    Transaction {
        /// The server's error.
        #[source]
        source: tokio_postgres::Error,
    },
}

/// How to run the call.
#[derive(Debug, Clone)]
pub struct CallOptions {
    /// Who the trainee is (`call_sessions.operator_id`).
    pub operator_id: String,
    /// Read operator lines from the input instead of using the script's.
    pub interactive: bool,
}

/// Everything a finished call produced.
#[derive(Debug, Clone)]
pub struct CallRecord {
    /// What was stored, read back from the database.
    pub session: FullSession,
    /// How the operator did.
    pub evaluation: Evaluation,
}

/// Plays `scenario`, echoing the call to `out` and reading operator lines from `input` when
/// interactive. The session ends `completed`, or `terminated` when the trainee types `/quit` or
/// the input ends; on an error it is marked `error` before the error is returned.
pub async fn run(
    client: &mut Client,
    scenario: &TrainingScenario,
    options: &CallOptions,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<CallRecord, CallError> {
    let mode = if options.interactive {
        "interactive"
    } else {
        "scripted"
    };
    let metadata = json!({ "mode": mode, "simulator_version": env!("CARGO_PKG_VERSION") });
    let session = store::start_session(&*client, &options.operator_id, scenario, &metadata).await?;
    let mut clock_ms = 0;
    let result = match play(
        client,
        scenario,
        options,
        session.id,
        &mut clock_ms,
        input,
        out,
    )
    .await
    {
        Ok((status, lines)) => finish(client, scenario, session.id, status, clock_ms, &lines).await,
        Err(error) => Err(error),
    };
    if result.is_err() {
        // Best effort: the session must not stay `active` after a failure; it ends as `error`
        // with the call time reached, and keeps the lines recorded so far.
        let _ = store::end_session(&*client, session.id, CallSessionStatus::Error, clock_ms).await;
    }
    result
}

/// Scores the call, then records the metrics and ends the session in one transaction, so a
/// session is never left `active` with part of its metrics.
async fn finish(
    client: &mut Client,
    scenario: &TrainingScenario,
    session_id: uuid::Uuid,
    status: CallSessionStatus,
    duration_ms: i64,
    lines: &[Played],
) -> Result<CallRecord, CallError> {
    let evaluation = evaluate(scenario, lines);
    let named: Vec<(&str, f64)> = evaluation
        .metrics
        .iter()
        .map(|m| (m.name, m.value))
        .collect();
    let tx = client
        .transaction()
        .await
        .map_err(|source| CallError::Transaction { source })?;
    store::record_metrics(&tx, session_id, &named).await?;
    store::end_session(&tx, session_id, status, duration_ms).await?;
    tx.commit()
        .await
        .map_err(|source| CallError::Transaction { source })?;
    let session = store::load_session(&*client, session_id).await?;
    Ok(CallRecord {
        session,
        evaluation,
    })
}

/// A line as it happened, with the entities found in it.
struct Played {
    speaker: Speaker,
    text: String,
    timestamp_ms: i64,
    entities: Vec<Entity>,
}

async fn play(
    client: &mut Client,
    scenario: &TrainingScenario,
    options: &CallOptions,
    session_id: uuid::Uuid,
    clock_ms: &mut i64,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<(CallSessionStatus, Vec<Played>), CallError> {
    let mut played = Vec::new();
    let mut last_line = Instant::now();
    for line in &scenario.scenario_script.dialogue {
        let text = match (line.speaker, options.interactive) {
            (Speaker::Operator, true) => match ask_operator(line, input, out)? {
                Some(text) => {
                    // Interactive time is real time: how long the trainee took to answer.
                    *clock_ms += last_line.elapsed().as_millis() as i64;
                    text
                }
                None => return Ok((CallSessionStatus::Terminated, played)),
            },
            _ => {
                *clock_ms += line.delay_ms as i64;
                line.text.clone()
            }
        };
        last_line = Instant::now();
        let label = match (line.speaker, &line.emotional_state) {
            (Speaker::Caller, Some(state)) => format!("caller ({state})"),
            (Speaker::Caller, None) => "caller".to_owned(),
            (Speaker::Operator, _) => "operator".to_owned(),
        };
        writeln!(out, "[{}] {label}: {text}", clock(*clock_ms))?;
        let entities = record_line(client, session_id, line, &text, *clock_ms).await?;
        played.push(Played {
            speaker: line.speaker,
            text,
            timestamp_ms: *clock_ms,
            entities,
        });
    }
    Ok((CallSessionStatus::Completed, played))
}

/// Prompts for the operator's line; `None` when the trainee quits or the input ends.
fn ask_operator(
    line: &DialogueLine,
    input: &mut impl BufRead,
    out: &mut impl Write,
) -> Result<Option<String>, CallError> {
    writeln!(out, "          (suggested: {})", line.text)?;
    write!(out, "operator> ")?;
    out.flush()?;
    let mut raw = Vec::new();
    if input.read_until(b'\n', &mut raw)? == 0 {
        return Ok(None);
    }
    let answer = clean(&raw);
    Ok(match answer.as_str() {
        "/quit" => None,
        "" => Some(line.text.clone()),
        _ => Some(answer),
    })
}

/// The longest operator line kept, in characters: a dispatcher says a sentence or two, and a
/// pasted wall of text would otherwise be stored and scanned whole.
pub const MAX_LINE_CHARS: usize = 2_000;

/// A typed line as stored: invalid UTF-8 replaced, control characters dropped (a NUL byte made
/// PostgreSQL reject the line and the call end as `error`), trimmed, cut at [`MAX_LINE_CHARS`].
fn clean(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let kept: String = text
        .chars()
        .filter(|c| !c.is_control())
        .take(MAX_LINE_CHARS)
        .collect();
    kept.trim().to_owned()
}

/// Stores one line and the entities found in it, in one transaction.
async fn record_line(
    client: &mut Client,
    session_id: uuid::Uuid,
    line: &DialogueLine,
    text: &str,
    clock_ms: i64,
) -> Result<Vec<Entity>, CallError> {
    let entities = extract::extract(text);
    let tx = client
        .transaction()
        .await
        .map_err(|source| CallError::Transaction { source })?;
    let new = NewLine {
        timestamp_ms: clock_ms,
        speaker: line.speaker,
        text,
        emotional_state: line
            .emotional_state
            .as_deref()
            .filter(|_| line.speaker == Speaker::Caller),
        confidence_score: Some(1.0),
    };
    let stored = store::append_line(&tx, session_id, &new).await?;
    let rows: Vec<NewEntity<'_>> = entities
        .iter()
        .map(|e| NewEntity {
            entity_type: e.entity_type.as_str(),
            value: &e.value,
            confidence: e.confidence,
            start_char: e.start_char as i32,
            end_char: e.end_char as i32,
            metadata: json!({ "extractor": "rules", "speaker": line.speaker }),
        })
        .collect();
    store::record_entities(&tx, stored.id, &rows).await?;
    tx.commit()
        .await
        .map_err(|source| CallError::Transaction { source })?;
    Ok(entities)
}

fn evaluate(scenario: &TrainingScenario, played: &[Played]) -> Evaluation {
    let script = &scenario.scenario_script;
    let lines: Vec<metrics::Line<'_>> = played
        .iter()
        .map(|p| metrics::Line {
            speaker: match p.speaker {
                Speaker::Operator => metrics::Speaker::Operator,
                Speaker::Caller => metrics::Speaker::Caller,
            },
            text: &p.text,
            timestamp_ms: p.timestamp_ms,
        })
        .collect();
    let questions: Vec<metrics::KeyQuestion<'_>> = script
        .key_questions
        .iter()
        .map(|q| metrics::KeyQuestion {
            id: &q.id,
            keywords: &q.keywords,
        })
        .collect();
    let key_entities: Vec<metrics::KeyEntity<'_>> = script
        .key_entities
        .iter()
        .filter_map(|k| {
            let entity_type = EntityType::from_name(&k.entity_type)?;
            Some(metrics::KeyEntity {
                entity_type,
                value: &k.value,
            })
        })
        .collect();
    let extracted: Vec<Entity> = played
        .iter()
        .flat_map(|p| p.entities.iter().cloned())
        .collect();
    metrics::evaluate(&lines, &questions, &key_entities, &extracted)
}

/// `mm:ss` of a call clock.
pub fn clock(ms: i64) -> String {
    let secs = ms / 1000;
    format!("{:02}:{:02}", secs / 60, secs % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_lines_are_cleaned_and_capped() {
        assert_eq!(
            clean(b"  911, what is \x00the address?\r\n"),
            "911, what is the address?"
        );
        assert_eq!(clean(b"caf\xe9 sur la rue\n"), "caf\u{fffd} sur la rue");
        assert_eq!(clean("x".repeat(5_000).as_bytes()).len(), MAX_LINE_CHARS);
    }
}
