//! Performance metrics of a training call: how soon and how completely the operator asked the
//! scenario's key questions, how many of its key entities came out of the call, and the pace of
//! the conversation.
//!
//! ```
//! use app_db::sim::extract::{extract, EntityType};
//! use app_db::sim::metrics::{evaluate, KeyEntity, KeyQuestion, Line, Speaker, KEY_QUESTIONS_RATIO};
//!
//! let lines = [
//!     Line { speaker: Speaker::Caller, text: "He has a knife!", timestamp_ms: 0 },
//!     Line { speaker: Speaker::Operator, text: "Where are you?", timestamp_ms: 1500 },
//! ];
//! let keywords = ["where".to_owned()];
//! let questions = [KeyQuestion { id: "location", keywords: &keywords }];
//! let key_entities = [KeyEntity { entity_type: EntityType::Weapon, value: "knife" }];
//! let extracted = extract(lines[0].text);
//!
//! let evaluation = evaluate(&lines, &questions, &key_entities, &extracted);
//! assert_eq!(evaluation.metric(KEY_QUESTIONS_RATIO), Some(1.0));
//! assert_eq!(evaluation.captured_entities, ["WEAPON: knife"]);
//! ```

use super::extract::{Entity, EntityType};

/// Milliseconds from the call's start to the first operator line that contains a keyword of any
/// key question. When the operator never asks one, the whole call duration (the worst possible
/// value); when the scenario has no key questions, 0.
pub const TIME_TO_FIRST_KEY_QUESTION_MS: &str = "time_to_first_key_question_ms";
/// How many key questions the operator asked (see [`evaluate`] for what counts as asking).
pub const KEY_QUESTIONS_COVERED: &str = "key_questions_covered";
/// Key questions asked divided by key questions, in `0.0..=1.0`; 1.0 when there are none, since
/// nothing expected was missed.
pub const KEY_QUESTIONS_RATIO: &str = "key_questions_ratio";
/// Share of the scenario's key entities found among the extracted entities, in `0.0..=1.0`;
/// 1.0 when the scenario names none.
pub const ENTITIES_CAPTURED_RATIO: &str = "entities_captured_ratio";
/// Number of operator lines.
pub const OPERATOR_TURNS: &str = "operator_turns";
/// Number of caller lines.
pub const CALLER_TURNS: &str = "caller_turns";
/// Mean milliseconds between a caller line and the operator line right after it; 0 when no
/// operator line follows a caller line.
pub const AVERAGE_OPERATOR_RESPONSE_MS: &str = "average_operator_response_ms";
/// Timestamp of the last line, i.e. the call's length as the transcript shows it; 0 without lines.
pub const CALL_DURATION_MS: &str = "call_duration_ms";

/// Who spoke a line; stored as `speaker_enum` (`operator`, `caller`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    /// The trainee answering the call.
    Operator,
    /// The simulated caller.
    Caller,
}

impl Speaker {
    /// The stored name: `"operator"` or `"caller"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Operator => "operator",
            Speaker::Caller => "caller",
        }
    }
}

/// One line of the call as it happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line<'a> {
    /// Who spoke.
    pub speaker: Speaker,
    /// What was said.
    pub text: &'a str,
    /// Milliseconds since the call started (`call_transcripts.timestamp_ms`).
    pub timestamp_ms: i64,
}

/// A question the operator is expected to ask (`scenario_script.key_questions[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyQuestion<'a> {
    /// The question's id, unique within the scenario.
    pub id: &'a str,
    /// Words or phrases any one of which, in an operator line, counts as asking the question.
    pub keywords: &'a [String],
}

/// An entity the operator is expected to learn (`scenario_script.key_entities[]`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KeyEntity<'a> {
    /// Its type.
    pub entity_type: EntityType,
    /// Its value, e.g. `"1432 Maple Street"`.
    pub value: &'a str,
}

/// One named measurement (`performance_metrics.metric_name`, `metric_value`).
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct Metric {
    /// One of the `*_MS`, `*_RATIO`, ... constants of this module.
    pub name: &'static str,
    /// The measurement.
    pub value: f64,
}

/// The verdict on a call: its metrics and what was and was not achieved.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Evaluation {
    /// Every metric of this module, in the order of its constants.
    pub metrics: Vec<Metric>,
    /// Ids of the key questions asked, in scenario order.
    pub covered_questions: Vec<String>,
    /// Ids of the key questions never asked, in scenario order.
    pub missed_questions: Vec<String>,
    /// Key entities found, as `"TYPE: value"` (e.g. `"WEAPON: knife"`), in scenario order.
    pub captured_entities: Vec<String>,
    /// Key entities not found, as `"TYPE: value"`, in scenario order.
    pub missed_entities: Vec<String>,
}

impl Evaluation {
    /// The value of the metric called `name`, if there is one.
    pub fn metric(&self, name: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }
}

/// Evaluates a call: `lines` in call order, the scenario's `questions` and `key_entities`, and
/// the entities `extracted` from the call's lines (whichever lines the caller wants credited).
///
/// A question counts as asked when an operator line contains one of its keywords as whole
/// words, ignoring case and punctuation; a word may also carry a plural `s`/`es`, so "weapon"
/// is asked by "any weapons?". A key entity counts as captured when an extracted entity of the
/// same type contains its words or is contained in them, ignoring case and punctuation:
/// "1432 Maple Street" is captured by "1432 Maple Street, apartment 3B". A blank value is
/// never captured.
pub fn evaluate(
    lines: &[Line<'_>],
    questions: &[KeyQuestion<'_>],
    key_entities: &[KeyEntity<'_>],
    extracted: &[Entity],
) -> Evaluation {
    let operator_lines: Vec<(i64, Vec<String>)> = lines
        .iter()
        .filter(|l| l.speaker == Speaker::Operator)
        .map(|l| (l.timestamp_ms, words(l.text)))
        .collect();
    let asked = |q: &KeyQuestion<'_>| operator_lines.iter().any(|(_, w)| asks(w, q));
    let (covered, missed): (Vec<_>, Vec<_>) = questions.iter().partition(|q| asked(q));
    let (captured, not_captured): (Vec<_>, Vec<_>) =
        key_entities.iter().partition(|k| is_captured(k, extracted));

    let duration = call_duration_ms(lines);
    let time_to_first = time_to_first_key_question_ms(&operator_lines, questions, duration);
    let count = |speaker| lines.iter().filter(|l| l.speaker == speaker).count();
    let metrics = [
        (TIME_TO_FIRST_KEY_QUESTION_MS, time_to_first as f64),
        (KEY_QUESTIONS_COVERED, covered.len() as f64),
        (KEY_QUESTIONS_RATIO, ratio(covered.len(), questions.len())),
        (
            ENTITIES_CAPTURED_RATIO,
            ratio(captured.len(), key_entities.len()),
        ),
        (OPERATOR_TURNS, count(Speaker::Operator) as f64),
        (CALLER_TURNS, count(Speaker::Caller) as f64),
        (AVERAGE_OPERATOR_RESPONSE_MS, average_response_ms(lines)),
        (CALL_DURATION_MS, duration as f64),
    ];
    let ids = |qs: Vec<&KeyQuestion<'_>>| qs.iter().map(|q| q.id.to_owned()).collect();
    let labels = |ks: Vec<&KeyEntity<'_>>| {
        ks.iter()
            .map(|k| format!("{}: {}", k.entity_type, k.value))
            .collect()
    };
    Evaluation {
        metrics: metrics
            .into_iter()
            .map(|(name, value)| Metric { name, value })
            .collect(),
        covered_questions: ids(covered),
        missed_questions: ids(missed),
        captured_entities: labels(captured),
        missed_entities: labels(not_captured),
    }
}

/// The last timestamp, never negative; 0 without lines.
fn call_duration_ms(lines: &[Line<'_>]) -> i64 {
    lines
        .iter()
        .map(|l| l.timestamp_ms)
        .max()
        .unwrap_or(0)
        .max(0)
}

/// See [`TIME_TO_FIRST_KEY_QUESTION_MS`]; `operator_lines` are (timestamp, words) in call order.
fn time_to_first_key_question_ms(
    operator_lines: &[(i64, Vec<String>)],
    questions: &[KeyQuestion<'_>],
    duration: i64,
) -> i64 {
    if questions.is_empty() {
        return 0;
    }
    operator_lines
        .iter()
        .find(|(_, words)| questions.iter().any(|q| asks(words, q)))
        .map_or(duration, |(timestamp, _)| *timestamp)
}

/// `part / whole`, or 1.0 when nothing was expected.
fn ratio(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        1.0
    } else {
        part as f64 / whole as f64
    }
}

/// Mean delay of operator lines that directly follow a caller line, measured from that (the
/// latest) caller line: the operator answers what was just said.
fn average_response_ms(lines: &[Line<'_>]) -> f64 {
    let delays: Vec<i64> = lines
        .windows(2)
        .filter(|pair| pair[0].speaker == Speaker::Caller && pair[1].speaker == Speaker::Operator)
        .map(|pair| pair[1].timestamp_ms - pair[0].timestamp_ms)
        .collect();
    if delays.is_empty() {
        return 0.0;
    }
    delays.iter().sum::<i64>() as f64 / delays.len() as f64
}

/// Lowercase words of `text`, splitting at anything not a letter or digit, so "where's" gives
/// "where" and "s", and keywords split the same way still line up.
fn words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Whether `line` (words) contains a keyword of `question`.
fn asks(line: &[String], question: &KeyQuestion<'_>) -> bool {
    question.keywords.iter().any(|keyword| {
        let wanted = words(keyword);
        contains_words(line, &wanted, |word, kw| {
            word == kw
                || word
                    .strip_prefix(kw)
                    .is_some_and(|rest| rest == "s" || rest == "es")
        })
    })
}

/// Whether `wanted` (non-empty) occurs as consecutive words of `line`, comparing with `same`.
fn contains_words(line: &[String], wanted: &[String], same: fn(&str, &str) -> bool) -> bool {
    !wanted.is_empty()
        && line
            .windows(wanted.len())
            .any(|window| window.iter().zip(wanted).all(|(w, k)| same(w, k)))
}

/// Whether an extracted entity of the same type contains `key`'s words or is contained in them.
fn is_captured(key: &KeyEntity<'_>, extracted: &[Entity]) -> bool {
    let key_words = words(key.value);
    let equal: fn(&str, &str) -> bool = |a, b| a == b;
    extracted
        .iter()
        .filter(|e| e.entity_type == key.entity_type)
        .map(|e| words(&e.value))
        .any(|found| {
            contains_words(&found, &key_words, equal) || contains_words(&key_words, &found, equal)
        })
}

#[cfg(test)]
mod tests;
