//! The report printed after a call: what happened, what the operator caught and missed, and the
//! metrics, in words a trainee and an instructor can read.

use std::fmt::Write;

use super::call::{clock, CallRecord};
use super::metrics;
use crate::data::{Speaker, TrainingScenario};

/// Renders the report of `record`, a call of `scenario`.
pub fn render(scenario: &TrainingScenario, record: &CallRecord) -> String {
    let mut out = String::new();
    let session = &record.session.session;
    let rule = "─".repeat(72);
    let _ = writeln!(out, "{rule}\nTRAINING CALL REPORT — {}", scenario.name);
    let _ = writeln!(out, "{rule}");
    let _ = writeln!(out, "Difficulty    {:?}", scenario.difficulty_level);
    let _ = writeln!(
        out,
        "Caller        {} ({}), {}",
        scenario.caller_profile.name,
        scenario.caller_profile.age,
        scenario.caller_profile.emotional_state
    );
    let _ = writeln!(
        out,
        "Situation     {}",
        scenario.scenario_script.initial_conditions.summary
    );
    let _ = writeln!(out, "Operator      {}", session.operator_id);
    let _ = writeln!(
        out,
        "Session       {} — {:?}, {} ({} lines)",
        session.id,
        session.status,
        clock(session.duration_ms.unwrap_or(0)),
        record.session.transcript.len()
    );
    let _ = writeln!(out, "\nWHAT WAS CAPTURED");
    let captured = captured(record);
    if captured.is_empty() {
        let _ = writeln!(out, "  nothing");
    }
    for c in captured {
        let times = if c.count > 1 {
            format!(" ×{}", c.count)
        } else {
            String::new()
        };
        let _ = writeln!(
            out,
            "  {:<18} {:<34} first said by {} at {}{times}",
            c.entity_type,
            c.value,
            c.speaker,
            clock(c.at_ms)
        );
    }
    let evaluation = &record.evaluation;
    let _ = writeln!(out, "\nKEY QUESTIONS");
    for q in &scenario.scenario_script.key_questions {
        let mark = if evaluation.covered_questions.contains(&q.id) {
            "✓ asked "
        } else {
            "✗ missed"
        };
        let _ = writeln!(out, "  {mark}  {} — \"{}\"", q.id, q.prompt);
    }
    let _ = writeln!(out, "\nKEY FACTS");
    for k in &scenario.scenario_script.key_entities {
        let mark = if evaluation
            .missed_entities
            .iter()
            .any(|m| m.contains(&k.value))
        {
            "✗ missed"
        } else {
            "✓ caught"
        };
        let _ = writeln!(out, "  {mark}  {:<18} {}", k.entity_type, k.value);
    }
    let _ = writeln!(out, "\nMETRICS");
    let asked = !evaluation.covered_questions.is_empty();
    for m in &record.session.metrics {
        let value = if m.metric_name == metrics::TIME_TO_FIRST_KEY_QUESTION_MS && !asked {
            // The stored value is the call's length (so averages stay meaningful); printed as a
            // time it would read as if a question had been asked.
            "never asked".to_owned()
        } else {
            format_metric(&m.metric_name, m.metric_value)
        };
        let _ = writeln!(out, "  {:<34} {value}", label(&m.metric_name));
    }
    let _ = writeln!(
        out,
        "\nExpected outcome: {}",
        scenario.scenario_script.expected_outcome
    );
    let _ = writeln!(out, "{rule}");
    out
}

/// One fact captured, however many times it was said.
struct Captured {
    entity_type: String,
    value: String,
    speaker: &'static str,
    at_ms: i64,
    count: usize,
}

/// Entities grouped by type and value (case-insensitive), in the order they were first said:
/// a fact repeated through the call is one line of the report.
fn captured(record: &CallRecord) -> Vec<Captured> {
    let mut out: Vec<Captured> = Vec::new();
    for entity in &record.session.entities {
        let line = record
            .session
            .transcript
            .iter()
            .find(|l| l.id == entity.transcript_id);
        let same = |c: &&mut Captured| {
            c.entity_type == entity.entity_type
                && c.value.eq_ignore_ascii_case(&entity.entity_value)
        };
        if let Some(existing) = out.iter_mut().find(same) {
            existing.count += 1;
            continue;
        }
        out.push(Captured {
            entity_type: entity.entity_type.clone(),
            value: entity.entity_value.clone(),
            speaker: line.map_or("?", |l| {
                if l.speaker == Speaker::Caller {
                    "caller"
                } else {
                    "operator"
                }
            }),
            at_ms: line.map_or(0, |l| l.timestamp_ms),
            count: 1,
        });
    }
    out
}

/// A metric's name as people read it.
fn label(name: &str) -> &str {
    match name {
        metrics::TIME_TO_FIRST_KEY_QUESTION_MS => "Time to first key question",
        metrics::KEY_QUESTIONS_COVERED => "Key questions asked",
        metrics::KEY_QUESTIONS_RATIO => "Key questions asked (share)",
        metrics::ENTITIES_CAPTURED_RATIO => "Key facts captured (share)",
        metrics::OPERATOR_TURNS => "Operator turns",
        metrics::CALLER_TURNS => "Caller turns",
        metrics::AVERAGE_OPERATOR_RESPONSE_MS => "Average operator response time",
        metrics::CALL_DURATION_MS => "Call duration",
        other => other,
    }
}

fn format_metric(name: &str, value: f64) -> String {
    if name.ends_with("_ms") {
        format!("{:.1} s", value / 1000.0)
    } else if name.ends_with("_ratio") {
        format!("{:.0} %", value * 100.0)
    } else {
        format!("{value}")
    }
}
