//! Vehicles: descriptions ("silver Honda Civic", "red pickup truck", "2015 Toyota") and licence
//! plates ("plate number ABC 1234", value "ABC 1234").

use super::text::{is_in, Text};
use super::words::{COLOURS, MAKES, MODELS, VEHICLE_KINDS};
use super::{Entity, EntityType};

/// Words between "plate" and the plate itself ("plate number is ABC 1234").
const PLATE_FILLERS: &[&str] = &[
    "plate", "plates", "number", "is", "was", "reads", "said", "it's",
];

/// Every vehicle candidate, overlaps included.
pub(super) fn scan(text: &Text, found: &mut Vec<Entity>) {
    for i in 0..text.len() {
        found.extend(description(text, i));
        found.extend(plate(text, i));
    }
}

/// A description starting at word `i`: an optional year, shade and colour, then makes, models
/// and kinds.
///
/// Models ("Explorer", "Focus", "Ram") are ordinary words too, so they count only after a
/// make or a colour; a kind alone ("the truck") is weak evidence.
fn description(text: &Text, i: usize) -> Option<Entity> {
    let mut next = i;
    let year = text.is_number(i)
        && text.lower(i).len() == 4
        && (text.lower(i).starts_with("19") || text.lower(i).starts_with("20"));
    if year {
        next += 1;
    }
    let mut colour = false;
    // A shade ("dark blue") and a colour: at most two colour words.
    while next < i + 3 && is_in(COLOURS, text.lower(next)) && (next == i || text.joined(next - 1)) {
        colour = true;
        next += 1;
    }
    let (mut make, mut kinds, mut last) = (false, 0, None);
    while next < text.len() && (next == i || text.joined(next - 1)) {
        let word = text.lower(next);
        if is_in(MAKES, word) {
            make = true;
        } else if is_in(VEHICLE_KINDS, word) {
            kinds += 1;
        } else if !(is_in(MODELS, word) && (make || colour)) {
            break;
        }
        last = Some(next);
        next += 1;
    }
    let last = last?;
    let described = year || colour || make;
    let confidence = match (colour, make, last > i) {
        (true, _, _) => 0.85,
        (false, true, true) => 0.8,
        (false, true, false) => 0.7,
        (false, false, _) if year => 0.75,
        (false, false, _) => 0.4,
    };
    if !described && kinds == 0 {
        return None;
    }
    Some(text.entity(EntityType::Vehicle, i, last, confidence))
}

/// The plate after "plate", "license" or "tag": one or two words of capitals and digits, at
/// least one digit, 2 to 8 characters in all.
fn plate(text: &Text, i: usize) -> Option<Entity> {
    let cue = matches!(
        text.lower(i),
        "plate" | "plates" | "license" | "licence" | "tag" | "tags"
    );
    if !cue {
        return None;
    }
    let mut first = i + 1;
    // Stop at a sentence end: the next sentence's number is not this plate.
    while first < i + 4 && is_in(PLATE_FILLERS, text.lower(first)) && !text.starts_sentence(first) {
        first += 1;
    }
    let plate_word = |k: usize| {
        let word = text.tokens.get(k).map_or("", |t| t.text.as_str());
        !word.is_empty()
            && word
                .chars()
                .all(|c| c.is_ascii_digit() || c.is_ascii_uppercase() || c == '-')
    };
    if first >= text.len() || text.starts_sentence(first) || !plate_word(first) {
        return None;
    }
    let last = if text.joined(first) && plate_word(first + 1) {
        first + 1
    } else {
        first
    };
    let value = text.entity(EntityType::Vehicle, first, last, 0.8);
    let characters = value
        .value
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .count();
    let has_digit = value.value.chars().any(|c| c.is_ascii_digit());
    (has_digit && (2..=8).contains(&characters)).then_some(value)
}
