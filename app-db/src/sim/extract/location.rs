//! Places: street addresses (with their apartment), streets, intersections, highways and named
//! places such as "Lincoln High School".

use super::text::{is_in, Text};
use super::words::{PLACE_NOUNS, STOPWORDS, STREET_SUFFIXES, UNIT_WORDS};
use super::{Entity, EntityType};

/// Street names longer than this many words are more likely a sentence than a street.
const MAX_NAME_WORDS: usize = 3;

/// Compass letters that prefix street names ("N Main St"), written in capitals.
const COMPASS: &[&str] = &["n", "s", "e", "w", "ne", "nw", "se", "sw"];

/// Abbreviations that may be followed by a period inside a name.
const ABBREVIATIONS: &[&str] = &["st", "mt", "ft", "n", "s", "e", "w"];

/// Every location candidate, overlaps included.
pub(super) fn scan(text: &Text, found: &mut Vec<Entity>) {
    for i in 0..text.len() {
        if let Some(entity) = address(text, i) {
            found.push(entity);
        }
        found.extend(named(text, i, STREET_SUFFIXES, 0.7));
        found.extend(named(text, i, PLACE_NOUNS, 0.75));
        found.extend(intersection(text, i));
        found.extend(street_pair(text, i));
        found.extend(highway(text, i));
    }
}

/// Whether word `i` can be part of a street name: capitalised ("Maple", "St", "Mary's"), an
/// ordinal ("5th"), a compass letter ("N"), or, with `lowercase`, any ordinary word, for
/// transcripts that lost their capitals.
fn name_word(text: &Text, i: usize, lowercase: bool) -> bool {
    let word = text.lower(i);
    let ordinal = word.len() > 2
        && word.starts_with(|c: char| c.is_ascii_digit())
        && ["st", "nd", "rd", "th"].iter().any(|s| word.ends_with(s));
    let compass = is_in(COMPASS, word)
        && text
            .tokens
            .get(i)
            .is_some_and(|t| t.text == word.to_uppercase());
    // Directions are stop words for people but belong to street names ("West 5th Avenue").
    let plain = word
        .chars()
        .all(|c| c.is_alphabetic() || c == '\'' || c == '-')
        && (!is_in(STOPWORDS, word) || is_in(&["north", "south", "east", "west"], word));
    ordinal || compass || (plain && (lowercase || text.is_capitalised(i)))
}

/// Whether words `i` and `i + 1` belong to one name: only spaces between them, or a period
/// after an abbreviation ("St. Mary's", "N. Main").
fn name_continues(text: &Text, i: usize) -> bool {
    text.joined(i) || (is_in(ABBREVIATIONS, text.lower(i)) && text.joined_by(i, |c| c == '.'))
}

/// The last word of the longest run "name words + suffix" starting at word `from`, with up to
/// [`MAX_NAME_WORDS`] name words.
fn name_then_suffix(text: &Text, from: usize, suffixes: &[&str], lowercase: bool) -> Option<usize> {
    let mut end = None;
    let mut i = from;
    // The suffix may itself be a name word ("Court Street"), so keep the last one seen.
    while i < from + MAX_NAME_WORDS + 1 && i < text.len() {
        if i > from && is_in(suffixes, text.lower(i)) {
            end = Some(i);
        }
        if !name_word(text, i, lowercase) || !name_continues(text, i) {
            break;
        }
        i += 1;
    }
    end
}

/// "1432 Maple Street", optionally followed by ", apartment 3B".
fn address(text: &Text, i: usize) -> Option<Entity> {
    let digits = text.tokens.get(i)?.text.len();
    if !text.is_number(i) || digits > 6 || !text.joined(i) {
        return None;
    }
    let (end, confidence) = match name_then_suffix(text, i + 1, STREET_SUFFIXES, false) {
        Some(end) => (end, 0.85),
        None => (name_then_suffix(text, i + 1, STREET_SUFFIXES, true)?, 0.6),
    };
    let end = unit(text, end).unwrap_or(end);
    Some(text.entity(EntityType::Location, i, end, confidence))
}

/// The last word of an ", apartment 3B" / " apt. 4" / " unit #2" right after word `end`.
fn unit(text: &Text, end: usize) -> Option<usize> {
    let word = end + 1;
    let number = end + 2;
    let is_unit = is_in(UNIT_WORDS, text.lower(word))
        && text.joined_by(end, |c| matches!(c, ',' | '.'))
        && text.joined_by(word, |c| matches!(c, '.' | '#'));
    let label = text.lower(number);
    let looks_like_unit = label.chars().any(|c| c.is_ascii_digit()) || label.chars().count() == 1;
    (is_unit && looks_like_unit).then_some(number)
}

/// A street or place named with capitals: "Maple Street", "Lincoln High School". A sentence's
/// first word is capitalised anyway, but the stop words already exclude the usual openers
/// ("Please", "Help", "The"), so names may start a sentence.
fn named(text: &Text, i: usize, suffixes: &[&str], confidence: f64) -> Option<Entity> {
    let end = name_then_suffix(text, i, suffixes, false)?;
    Some(text.entity(EntityType::Location, i, end, confidence))
}

/// "corner of Main Street and 5th Avenue", "intersection of Oak and Pine": the value is the two
/// streets and the "and" between them.
fn intersection(text: &Text, i: usize) -> Option<Entity> {
    if !matches!(text.lower(i), "corner" | "intersection") || text.lower(i + 1) != "of" {
        return None;
    }
    let first = i + 2;
    let (end_a, capitals_a) = street_name(text, first)?;
    let (last, capitals_b) = street_name(text, after_and(text, end_a)?)?;
    let confidence = if capitals_a && capitals_b { 0.8 } else { 0.6 };
    Some(text.entity(EntityType::Location, first, last, confidence))
}

/// "Elm Avenue and 5th Street" without a cue: two full street names make an intersection.
fn street_pair(text: &Text, i: usize) -> Option<Entity> {
    let end_a = name_then_suffix(text, i, STREET_SUFFIXES, false)?;
    let last = name_then_suffix(text, after_and(text, end_a)?, STREET_SUFFIXES, false)?;
    Some(text.entity(EntityType::Location, i, last, 0.75))
}

/// The first word after an " and " or " & " that follows word `end`.
fn after_and(text: &Text, end: usize) -> Option<usize> {
    if text.lower(end + 1) == "and" && text.joined(end) && text.joined(end + 1) {
        Some(end + 2)
    } else {
        text.joined_by(end, |c| c == '&').then_some(end + 1)
    }
}

/// The last word of a street name at word `from` for an intersection, and whether it was
/// capitalised. Lowercase names are limited to one word (plus suffix), since nothing else
/// marks where they end.
fn street_name(text: &Text, from: usize) -> Option<(usize, bool)> {
    if let Some(end) = name_then_suffix(text, from, STREET_SUFFIXES, false) {
        return Some((end, true));
    }
    let mut end = from;
    let capitals = name_word(text, from, false);
    if capitals {
        while end + 1 < from + MAX_NAME_WORDS && text.joined(end) && name_word(text, end + 1, false)
        {
            end += 1;
        }
    } else if !name_word(text, from, true) {
        return None;
    }
    if text.joined(end) && is_in(STREET_SUFFIXES, text.lower(end + 1)) {
        end += 1;
    }
    Some((end, capitals))
}

/// "Highway 101", "Route 9", "Interstate 5", "I-95", "US-1", "mile marker 42", with a
/// following direction ("I-95 northbound") included.
fn highway(text: &Text, i: usize) -> Option<Entity> {
    let word = text.lower(i);
    let hyphenated = ["i-", "us-", "sr-"].iter().any(|prefix| {
        word.strip_prefix(prefix)
            .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()))
    });
    // "I", "us" and "SR" are ordinary words unless written in capitals before a number.
    let written = text.tokens.get(i).map_or("", |t| t.text.as_str());
    let spaced_prefix = matches!(word, "highway" | "hwy" | "route" | "rte" | "interstate")
        || matches!(written, "I" | "US" | "SR");
    let mut end = if hyphenated {
        i
    } else if spaced_prefix && text.joined(i) && text.is_number(i + 1) {
        i + 1
    } else if word == "mile" && text.lower(i + 1) == "marker" && text.is_number(i + 2) {
        i + 2
    } else {
        return None;
    };
    let directions = ["northbound", "southbound", "eastbound", "westbound"];
    if text.joined(end) && is_in(&directions, text.lower(end + 1)) {
        end += 1;
    }
    let start = match i.checked_sub(1) {
        Some(before) if text.lower(before) == "state" && text.joined(before) => before,
        _ => i,
    };
    Some(text.entity(EntityType::Location, start, end, 0.85))
}
