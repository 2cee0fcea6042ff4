//! People: names after a cue ("my husband Daniel", "his name is Daniel", "Officer Diaz",
//! "Daniel is his name"), then, with less confidence, capitalised words in mid-sentence.

use super::text::{is_in, Text};
use super::words::{MAKES, PLACE_NOUNS, RELATIONS, STOPWORDS, STREET_SUFFIXES, TITLES};
use super::{Entity, EntityType};

/// Words after which a capitalised word is more likely a place or a brand than a person ("in
/// Springfield", "the Walgreens").
const NOT_BEFORE_NAMES: &[&str] = &[
    "in", "at", "on", "near", "to", "from", "by", "of", "the", "a", "an",
];

/// Every person candidate, overlaps included.
pub(super) fn scan(text: &Text, found: &mut Vec<Entity>) {
    for i in 0..text.len() {
        let candidates = [
            after_relation(text, i),
            after_name_is(text, i),
            with_title(text, i),
            before_is_his_name(text, i),
            capitalised_pair(text, i),
            capitalised_word(text, i),
        ];
        found.extend(candidates.into_iter().flatten());
    }
}

/// Whether word `i` can be part of a person's name: capitalised and not a word that capitals
/// explain otherwise (a sentence opener, a street, a place, a car make, a title).
fn name_word(text: &Text, i: usize) -> bool {
    let word = text.lower(i);
    // Apostrophes belong to names only before a capital ("O'Brien") or in a possessive
    // ("Emily's"); otherwise the word is a contraction ("I'd", "He'll").
    let written = text.tokens.get(i).map_or("", |t| t.text.as_str());
    let mut after_apostrophes = written.split(['\'', '\u{2019}']).skip(1);
    let name_like =
        word.ends_with("'s") || after_apostrophes.all(|part| part.starts_with(char::is_uppercase));
    name_like
        && text.is_capitalised(i)
        && ![
            STOPWORDS,
            STREET_SUFFIXES,
            PLACE_NOUNS,
            MAKES,
            TITLES,
            RELATIONS,
        ]
        .iter()
        .any(|list| is_in(list, word))
}

/// The last word of a one- or two-word name starting at word `from`.
fn name_run(text: &Text, from: usize) -> Option<usize> {
    if !name_word(text, from) {
        return None;
    }
    Some(if text.joined(from) && name_word(text, from + 1) {
        from + 1
    } else {
        from
    })
}

fn person(text: &Text, first: usize, last: usize, confidence: f64) -> Entity {
    text.entity(EntityType::Person, first, last, confidence)
}

/// "my husband Daniel", "her boyfriend, Mike Ross", "a man named Jake".
fn after_relation(text: &Text, i: usize) -> Option<Entity> {
    let owner = matches!(
        text.lower(i),
        "my" | "his" | "her" | "our" | "their" | "your"
    );
    let cue_end = if owner && is_in(RELATIONS, text.lower(i + 1)) && text.joined(i) {
        i + 1
    } else if matches!(text.lower(i), "named" | "called") {
        i
    } else {
        return None;
    };
    if !text.joined_by(cue_end, |c| c == ',') {
        return None;
    }
    let last = name_run(text, cue_end + 1)?;
    Some(person(text, cue_end + 1, last, 0.8))
}

/// "my name is Maria Lopez", "his name's Daniel", "this is Maria". A lowercase name after
/// "name is" is accepted with less confidence, for transcripts without capitals.
fn after_name_is(text: &Text, i: usize) -> Option<Entity> {
    let (cue_end, confidence) = match (text.lower(i), text.lower(i + 1)) {
        ("name", "is") if text.joined(i) => (i + 1, 0.8),
        ("name's", _) => (i, 0.8),
        ("this", "is") if text.joined(i) => (i + 1, 0.6),
        _ => return None,
    };
    if !text.joined_by(cue_end, |c| c == ',') {
        return None;
    }
    if let Some(last) = name_run(text, cue_end + 1) {
        return Some(person(text, cue_end + 1, last, confidence));
    }
    let word = text.lower(cue_end + 1);
    let lowercase_name = confidence > 0.7
        && word.chars().count() > 1
        && word.chars().all(char::is_alphabetic)
        && !is_in(STOPWORDS, word);
    lowercase_name.then(|| person(text, cue_end + 1, cue_end + 1, 0.6))
}

/// "Officer Diaz", "Mrs. Patel": the title is part of the value.
fn with_title(text: &Text, i: usize) -> Option<Entity> {
    let is_title = is_in(TITLES, text.lower(i))
        && text.tokens.get(i)?.text.starts_with(char::is_uppercase)
        && text.joined_by(i, |c| c == '.');
    if !is_title {
        return None;
    }
    let last = name_run(text, i + 1)?;
    Some(person(text, i, last, 0.75))
}

/// "Daniel is his name", "Daniel Ross is her name".
fn before_is_his_name(text: &Text, i: usize) -> Option<Entity> {
    let cue = text.lower(i + 1) == "is"
        && matches!(text.lower(i + 2), "his" | "her" | "my" | "their")
        && text.lower(i + 3) == "name"
        && (i..i + 3).all(|k| text.joined(k));
    if !cue || !name_word(text, i) {
        return None;
    }
    let first = match i.checked_sub(1) {
        Some(before) if text.joined(before) && name_word(text, before) => before,
        _ => i,
    };
    Some(person(text, first, i, 0.75))
}

/// "I saw John Smith", "Maria Lopez.": two capitalised words. At a sentence's start the pair
/// must stand alone, as a caller giving a name does; otherwise the first capital is only
/// grammar ("Have Anna sit down").
fn capitalised_pair(text: &Text, i: usize) -> Option<Entity> {
    let pair = !after_place_word(text, i)
        && name_word(text, i)
        && text.joined(i)
        && name_word(text, i + 1);
    if !pair {
        return None;
    }
    if !text.starts_sentence(i) {
        return Some(person(text, i, i + 1, 0.5));
    }
    stands_alone(text, i + 1).then(|| person(text, i, i + 1, 0.4))
}

/// "then Daniel came back", "Robert! Robert!", "Maria, stay with me": a lone capitalised word,
/// weak evidence. At a sentence's start it must stand alone (a call or an address), and next to
/// another capitalised word it is part of a name the other rules did not recognise ("Summit
/// Sports").
fn capitalised_word(text: &Text, i: usize) -> Option<Entity> {
    let beside_capital = (i > 0 && text.joined(i - 1) && text.is_capitalised(i - 1))
        || (text.joined(i) && text.is_capitalised(i + 1));
    if !name_word(text, i) || after_place_word(text, i) || beside_capital {
        return None;
    }
    if !text.starts_sentence(i) {
        return Some(person(text, i, i, 0.3));
    }
    stands_alone(text, i).then(|| person(text, i, i, 0.35))
}

/// Whether punctuation or the end of the line follows word `last`.
fn stands_alone(text: &Text, last: usize) -> bool {
    text.gap_before(last + 1)
        .first()
        .is_none_or(|c| matches!(c, ',' | '!' | '.' | '?'))
}

/// Whether word `i` follows a preposition, an article or a number, after which capitals more
/// likely name a place or a brand.
fn after_place_word(text: &Text, i: usize) -> bool {
    i.checked_sub(1)
        .is_some_and(|before| is_in(NOT_BEFORE_NAMES, text.lower(before)) || text.is_number(before))
}
