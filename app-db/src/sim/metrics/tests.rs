use super::*;
use crate::sim::extract::extract;

fn caller(text: &str, timestamp_ms: i64) -> Line<'_> {
    Line {
        speaker: Speaker::Caller,
        text,
        timestamp_ms,
    }
}

fn operator(text: &str, timestamp_ms: i64) -> Line<'_> {
    Line {
        speaker: Speaker::Operator,
        text,
        timestamp_ms,
    }
}

fn keywords(words: &[&str]) -> Vec<String> {
    words.iter().map(|w| (*w).to_owned()).collect()
}

/// The seed's domestic-violence opening: location asked at 1500 ms, weapons at 6000 ms.
fn call() -> Vec<Line<'static>> {
    vec![
        caller("Please, I need help, he has a knife.", 0),
        operator("911, what is the address of your emergency?", 1500),
        caller("1432 Maple Street, apartment 3B.", 4000),
        caller("Please hurry.", 5000),
        operator("Does he have any weapons besides the knife?", 6000),
        caller("Just the knife. My partner Daniel.", 9000),
    ]
}

fn evaluate_call(lines: &[Line<'_>], questions: &[KeyQuestion<'_>]) -> Evaluation {
    evaluate(lines, questions, &[], &[])
}

fn value(evaluation: &Evaluation, name: &str) -> f64 {
    evaluation.metric(name).unwrap_or(f64::NAN)
}

#[test]
fn time_to_first_key_question_is_the_first_operator_line_asking_one() {
    let (location, weapons) = (
        keywords(&["address", "where"]),
        keywords(&["weapon", "gun"]),
    );
    let questions = [
        KeyQuestion {
            id: "weapons",
            keywords: &weapons,
        },
        KeyQuestion {
            id: "location",
            keywords: &location,
        },
    ];
    let evaluation = evaluate_call(&call(), &questions);
    assert_eq!(value(&evaluation, TIME_TO_FIRST_KEY_QUESTION_MS), 1500.0);
    // Caller lines never count, even when they contain a keyword.
    let knife = keywords(&["knife"]);
    let late = [KeyQuestion {
        id: "weapons",
        keywords: &knife,
    }];
    assert_eq!(
        value(
            &evaluate_call(&call(), &late),
            TIME_TO_FIRST_KEY_QUESTION_MS
        ),
        6000.0
    );
}

#[test]
fn a_key_question_never_asked_costs_the_whole_call() {
    let injuries = keywords(&["hurt", "injured"]);
    let questions = [KeyQuestion {
        id: "injuries",
        keywords: &injuries,
    }];
    let evaluation = evaluate_call(&call(), &questions);
    assert_eq!(value(&evaluation, TIME_TO_FIRST_KEY_QUESTION_MS), 9000.0);
    assert_eq!(value(&evaluation, CALL_DURATION_MS), 9000.0);
    assert_eq!(evaluation.missed_questions, ["injuries"]);
}

#[test]
fn without_key_questions_nothing_is_late_or_missed() {
    let evaluation = evaluate_call(&call(), &[]);
    assert_eq!(value(&evaluation, TIME_TO_FIRST_KEY_QUESTION_MS), 0.0);
    assert_eq!(value(&evaluation, KEY_QUESTIONS_COVERED), 0.0);
    assert_eq!(value(&evaluation, KEY_QUESTIONS_RATIO), 1.0);
}

#[test]
fn keywords_match_whole_words_ignoring_case_punctuation_and_plurals() {
    let asked = |line: &str, words: &[&str]| {
        let keywords = keywords(words);
        let questions = [KeyQuestion {
            id: "q",
            keywords: &keywords,
        }];
        let lines = [operator(line, 0)];
        value(&evaluate_call(&lines, &questions), KEY_QUESTIONS_COVERED) == 1.0
    };
    assert!(asked("WHERE are you?", &["where"]));
    assert!(asked("Where's the emergency?", &["where"]));
    assert!(asked("Any weapons?", &["weapon"]));
    assert!(asked("Does he have any guns?", &["gun"]));
    assert!(asked("How old is he?", &["how old"]));
    assert!(!asked("What are his whereabouts?", &["where"]));
    assert!(!asked("Is he old? How is he?", &["how old"]));
    assert!(
        !asked("Anything else?", &[""]),
        "an empty keyword asks nothing"
    );
}

#[test]
fn key_questions_covered_and_ratio() {
    let (location, weapons, injuries) = (
        keywords(&["address"]),
        keywords(&["weapon"]),
        keywords(&["hurt"]),
    );
    let questions = [
        KeyQuestion {
            id: "location",
            keywords: &location,
        },
        KeyQuestion {
            id: "weapons",
            keywords: &weapons,
        },
        KeyQuestion {
            id: "injuries",
            keywords: &injuries,
        },
        KeyQuestion {
            id: "nothing",
            keywords: &[],
        },
    ];
    let evaluation = evaluate_call(&call(), &questions);
    assert_eq!(value(&evaluation, KEY_QUESTIONS_COVERED), 2.0);
    assert_eq!(value(&evaluation, KEY_QUESTIONS_RATIO), 0.5);
    assert_eq!(evaluation.covered_questions, ["location", "weapons"]);
    assert_eq!(evaluation.missed_questions, ["injuries", "nothing"]);
}

#[test]
fn entities_are_captured_by_type_and_word_containment_either_way() {
    let lines = call();
    let extracted: Vec<_> = lines.iter().flat_map(|l| extract(l.text)).collect();
    let key_entities = [
        KeyEntity {
            entity_type: EntityType::Location,
            value: "1432 maple street",
        },
        KeyEntity {
            entity_type: EntityType::Person,
            value: "Daniel Ross",
        },
        KeyEntity {
            entity_type: EntityType::Weapon,
            value: "Knife",
        },
        KeyEntity {
            entity_type: EntityType::Injury,
            value: "knife",
        },
        KeyEntity {
            entity_type: EntityType::Vehicle,
            value: "",
        },
    ];
    let evaluation = evaluate(&lines, &[], &key_entities, &extracted);
    assert_eq!(
        evaluation.captured_entities,
        [
            "LOCATION: 1432 maple street",
            "PERSON: Daniel Ross",
            "WEAPON: Knife"
        ]
    );
    assert_eq!(evaluation.missed_entities, ["INJURY: knife", "VEHICLE: "]);
    assert_eq!(value(&evaluation, ENTITIES_CAPTURED_RATIO), 0.6);
}

#[test]
fn containment_is_by_whole_words() {
    let found = extract("my husband Dan is here");
    let key = [KeyEntity {
        entity_type: EntityType::Person,
        value: "Daniel",
    }];
    let evaluation = evaluate(&[], &[], &key, &found);
    assert_eq!(value(&evaluation, ENTITIES_CAPTURED_RATIO), 0.0);
}

#[test]
fn without_key_entities_the_capture_ratio_is_one() {
    let found = extract("he has a knife");
    assert_eq!(
        value(
            &evaluate(&call(), &[], &[], &found),
            ENTITIES_CAPTURED_RATIO
        ),
        1.0
    );
}

#[test]
fn turns_are_counted_per_speaker() {
    let evaluation = evaluate_call(&call(), &[]);
    assert_eq!(value(&evaluation, OPERATOR_TURNS), 2.0);
    assert_eq!(value(&evaluation, CALLER_TURNS), 4.0);
}

#[test]
fn operator_response_is_measured_from_the_latest_caller_line() {
    // 0 -> 1500 and 5000 -> 6000 (not 4000 -> 6000): mean 1250.
    let evaluation = evaluate_call(&call(), &[]);
    assert_eq!(value(&evaluation, AVERAGE_OPERATOR_RESPONSE_MS), 1250.0);
    let operator_first = [
        operator("911, what's your emergency?", 0),
        caller("Help!", 800),
    ];
    let evaluation = evaluate_call(&operator_first, &[]);
    assert_eq!(value(&evaluation, AVERAGE_OPERATOR_RESPONSE_MS), 0.0);
}

#[test]
fn a_call_without_operator_lines() {
    let lines = [caller("Hello? Hello?", 0), caller("Is anyone there?", 4000)];
    let where_ = keywords(&["where"]);
    let questions = [KeyQuestion {
        id: "location",
        keywords: &where_,
    }];
    let evaluation = evaluate_call(&lines, &questions);
    assert_eq!(value(&evaluation, OPERATOR_TURNS), 0.0);
    assert_eq!(value(&evaluation, KEY_QUESTIONS_RATIO), 0.0);
    assert_eq!(value(&evaluation, TIME_TO_FIRST_KEY_QUESTION_MS), 4000.0);
    assert_eq!(value(&evaluation, AVERAGE_OPERATOR_RESPONSE_MS), 0.0);
}

#[test]
fn an_empty_call_has_zero_duration() {
    let where_ = keywords(&["where"]);
    let questions = [KeyQuestion {
        id: "location",
        keywords: &where_,
    }];
    let evaluation = evaluate_call(&[], &questions);
    assert_eq!(value(&evaluation, CALL_DURATION_MS), 0.0);
    assert_eq!(value(&evaluation, TIME_TO_FIRST_KEY_QUESTION_MS), 0.0);
    assert_eq!(value(&evaluation, CALLER_TURNS), 0.0);
}

#[test]
fn every_metric_is_reported_once_in_a_stable_order() {
    let names: Vec<_> = evaluate_call(&call(), &[])
        .metrics
        .iter()
        .map(|m| m.name)
        .collect();
    assert_eq!(
        names,
        [
            TIME_TO_FIRST_KEY_QUESTION_MS,
            KEY_QUESTIONS_COVERED,
            KEY_QUESTIONS_RATIO,
            ENTITIES_CAPTURED_RATIO,
            OPERATOR_TURNS,
            CALLER_TURNS,
            AVERAGE_OPERATOR_RESPONSE_MS,
            CALL_DURATION_MS,
        ]
    );
    assert!(names
        .iter()
        .all(|n| n.chars().all(|c| c.is_ascii_lowercase() || c == '_')));
}

#[test]
fn serialization_matches_the_stored_names() {
    let speaker = serde_json::to_string(&Speaker::Operator).unwrap_or_default();
    assert_eq!(speaker, "\"operator\"");
    let back: Result<Speaker, _> = serde_json::from_str("\"caller\"");
    assert_eq!(back.ok(), Some(Speaker::Caller));
    assert_eq!(Speaker::Caller.as_str(), "caller");
    let metric = Metric {
        name: CALLER_TURNS,
        value: 3.0,
    };
    let json = serde_json::to_value(metric).unwrap_or_default();
    assert_eq!(
        json,
        serde_json::json!({ "name": "caller_turns", "value": 3.0 })
    );
}
