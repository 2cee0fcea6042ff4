//! Scenario documents that do not follow `docs/scenario-format.md` (the Python setup wrote its
//! own shape): what fits is read, what is missing takes an empty default, and every field that
//! was missing, of another type or unknown is named, so that the simulator plays what it can and
//! says what it could not. Our own seed is read strictly (`store::document`); this is the
//! fallback, and it never fails.

use serde_json::{Map, Value};

use super::model::{
    CallerProfile, DialogueLine, InitialConditions, KeyEntity, KeyQuestion, ScenarioScript, Speaker,
};

/// The fields of one JSON object, read one by one; what does not fit is noted under `path`.
struct Fields<'v> {
    object: Option<&'v Map<String, Value>>,
    path: String,
    seen: Vec<&'static str>,
}

impl<'v> Fields<'v> {
    fn new(value: &'v Value, path: &str, gaps: &mut Vec<String>) -> Self {
        let object = value.as_object();
        if object.is_none() {
            gaps.push(format!("{path} is not a JSON object"));
        }
        Fields {
            object,
            path: path.to_owned(),
            seen: Vec::new(),
        }
    }

    fn get(&mut self, key: &'static str, gaps: &mut Vec<String>) -> Option<&'v Value> {
        self.seen.push(key);
        let found = self
            .object
            .and_then(|o| o.get(key))
            .filter(|v| !v.is_null());
        if found.is_none() && self.object.is_some() {
            gaps.push(format!("{}.{key} is missing", self.path));
        }
        found
    }

    fn text(&mut self, key: &'static str, gaps: &mut Vec<String>) -> String {
        match self.get(key, gaps) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                gaps.push(format!("{}.{key} is not text", self.path));
                String::new()
            }
            None => String::new(),
        }
    }

    fn number(&mut self, key: &'static str, gaps: &mut Vec<String>) -> u64 {
        match self.get(key, gaps) {
            Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
            Some(Value::String(s)) => s.trim().parse().unwrap_or_else(|_| {
                gaps.push(format!("{}.{key} is not a number", self.path));
                0
            }),
            Some(_) => {
                gaps.push(format!("{}.{key} is not a number", self.path));
                0
            }
            None => 0,
        }
    }

    fn texts(&mut self, key: &'static str, gaps: &mut Vec<String>) -> Vec<String> {
        match self.get(key, gaps) {
            Some(Value::Array(items)) => items
                .iter()
                .filter_map(|i| i.as_str().map(str::to_owned))
                .collect(),
            Some(Value::String(s)) => vec![s.clone()],
            Some(_) => {
                gaps.push(format!("{}.{key} is not a list of text", self.path));
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    fn list(&mut self, key: &'static str, gaps: &mut Vec<String>) -> Vec<&'v Value> {
        match self.get(key, gaps) {
            Some(Value::Array(items)) => items.iter().collect(),
            Some(_) => {
                gaps.push(format!("{}.{key} is not a list", self.path));
                Vec::new()
            }
            None => Vec::new(),
        }
    }

    /// Notes the keys the format does not have.
    fn done(self, gaps: &mut Vec<String>) {
        for key in self.object.into_iter().flat_map(|o| o.keys()) {
            if !self.seen.contains(&key.as_str()) {
                gaps.push(format!(
                    "{}.{key} is not part of the format (ignored)",
                    self.path
                ));
            }
        }
    }
}

/// `caller_profile`, read leniently.
pub(crate) fn caller_profile(value: &Value, gaps: &mut Vec<String>) -> CallerProfile {
    let mut f = Fields::new(value, "caller_profile", gaps);
    let profile = CallerProfile {
        name: f.text("name", gaps),
        age: u32::try_from(f.number("age", gaps)).unwrap_or(0),
        emotional_state: f.text("emotional_state", gaps),
        background: f.text("background", gaps),
        personality: f.text("personality", gaps),
        speech_traits: f.texts("speech_traits", gaps),
    };
    f.done(gaps);
    profile
}

/// `scenario_script`, read leniently.
pub(crate) fn scenario_script(value: &Value, gaps: &mut Vec<String>) -> ScenarioScript {
    let mut f = Fields::new(value, "scenario_script", gaps);
    let initial_conditions = match f.get("initial_conditions", gaps) {
        Some(Value::String(summary)) => {
            gaps.push(
                "scenario_script.initial_conditions is text, not an object: used as its summary"
                    .to_owned(),
            );
            InitialConditions {
                summary: summary.clone(),
                location: String::new(),
                time_of_day: String::new(),
                hazards: Vec::new(),
            }
        }
        Some(conditions) => {
            let mut c = Fields::new(conditions, "scenario_script.initial_conditions", gaps);
            let read = InitialConditions {
                summary: c.text("summary", gaps),
                location: c.text("location", gaps),
                time_of_day: c.text("time_of_day", gaps),
                hazards: c.texts("hazards", gaps),
            };
            c.done(gaps);
            read
        }
        None => InitialConditions {
            summary: String::new(),
            location: String::new(),
            time_of_day: String::new(),
            hazards: Vec::new(),
        },
    };
    let key_entities = f
        .list("key_entities", gaps)
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(value) => KeyEntity {
                entity_type: String::new(),
                value: value.clone(),
            },
            other => {
                let mut e = Fields::new(other, &format!("scenario_script.key_entities[{i}]"), gaps);
                let read = KeyEntity {
                    entity_type: e.text("type", gaps),
                    value: e.text("value", gaps),
                };
                e.done(gaps);
                read
            }
        })
        .collect();
    let key_questions = f
        .list("key_questions", gaps)
        .into_iter()
        .enumerate()
        .map(|(i, item)| match item {
            Value::String(prompt) => KeyQuestion {
                id: format!("q{}", i + 1),
                prompt: prompt.clone(),
                keywords: Vec::new(),
            },
            other => {
                let mut q =
                    Fields::new(other, &format!("scenario_script.key_questions[{i}]"), gaps);
                let read = KeyQuestion {
                    id: q.text("id", gaps),
                    prompt: q.text("prompt", gaps),
                    keywords: q.texts("keywords", gaps),
                };
                q.done(gaps);
                read
            }
        })
        .collect();
    let dialogue = f
        .list("dialogue", gaps)
        .into_iter()
        .enumerate()
        .filter_map(|(i, item)| dialogue_line(item, i, gaps))
        .collect();
    let script = ScenarioScript {
        initial_conditions,
        key_entities,
        key_questions,
        dialogue,
        expected_outcome: f.text("expected_outcome", gaps),
    };
    f.done(gaps);
    script
}

/// One dialogue line; a line without a known speaker or without text is left out, and noted.
fn dialogue_line(item: &Value, i: usize, gaps: &mut Vec<String>) -> Option<DialogueLine> {
    let path = format!("scenario_script.dialogue[{i}]");
    let mut l = Fields::new(item, &path, gaps);
    let speaker = match l.text("speaker", gaps).as_str() {
        "caller" => Some(Speaker::Caller),
        "operator" => Some(Speaker::Operator),
        other => {
            gaps.push(format!(
                "{path}.speaker `{other}` is neither caller nor operator: line left out"
            ));
            None
        }
    };
    let text = l.text("text", gaps);
    let emotional_state =
        Some(l.text("emotional_state", &mut Vec::new())).filter(|s| !s.is_empty());
    let covers = l.texts("covers", &mut Vec::new());
    let delay_ms = l.number("delay_ms", &mut Vec::new());
    l.done(gaps);
    match (speaker, text.is_empty()) {
        (Some(speaker), false) => Some(DialogueLine {
            speaker,
            text,
            emotional_state,
            covers,
            delay_ms,
        }),
        (Some(_), true) => {
            gaps.push(format!("{path} has no text: line left out"));
            None
        }
        (None, _) => None,
    }
}
