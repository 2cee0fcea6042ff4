//! Rule-based entity extraction from transcript lines: weapons, injuries, places, people,
//! vehicles, medical conditions and hazards, with character offsets and a confidence.
//!
//! ```
//! # use app_db::sim::extract::{extract, EntityType};
//! let entities = extract("He has a knife, we're at 1432 Maple Street, apartment 3B.");
//! assert_eq!(entities[0].entity_type, EntityType::Weapon);
//! assert_eq!(entities[1].value, "1432 Maple Street, apartment 3B");
//! assert_eq!(entities[1].start_char, 25);
//! ```
//!
//! Every rule proposes candidates; where candidates overlap the longest span wins, then the
//! most confident, so "baseball bat" beats "bat" and "gunshot wound" is one injury.

mod lexicon;
mod location;
mod person;
mod text;
mod vehicle;
mod words;

#[cfg(test)]
mod tests;

use std::fmt;

/// Kinds of entity, stored as `extracted_entities.entity_type` and used in scenarios'
/// `key_entities[].type` (`"WEAPON"`, `"MEDICAL_CONDITION"`, ...).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EntityType {
    /// A weapon: knife, gun, baseball bat, ...
    Weapon,
    /// An injury: bleeding, stab wound, broken arm, unconscious, ...
    Injury,
    /// A place: street address, intersection, highway, named place.
    Location,
    /// A person's name.
    Person,
    /// A vehicle description or licence plate.
    Vehicle,
    /// A medical condition: chest pain, seizure, overdose, ...
    MedicalCondition,
    /// A danger at the scene: fire, smoke, gas leak, downed power line, ...
    Hazard,
}

impl EntityType {
    /// Every type, in declaration order.
    pub const ALL: [EntityType; 7] = [
        EntityType::Weapon,
        EntityType::Injury,
        EntityType::Location,
        EntityType::Person,
        EntityType::Vehicle,
        EntityType::MedicalCondition,
        EntityType::Hazard,
    ];

    /// The stored name, as serde writes it: `"WEAPON"`, `"MEDICAL_CONDITION"`, ...
    pub fn as_str(self) -> &'static str {
        match self {
            EntityType::Weapon => "WEAPON",
            EntityType::Injury => "INJURY",
            EntityType::Location => "LOCATION",
            EntityType::Person => "PERSON",
            EntityType::Vehicle => "VEHICLE",
            EntityType::MedicalCondition => "MEDICAL_CONDITION",
            EntityType::Hazard => "HAZARD",
        }
    }

    /// The type stored as `name` (`"WEAPON"`, `"MEDICAL_CONDITION"`, ...), exactly as
    /// [`as_str`](Self::as_str) writes it; `None` for anything else.
    pub fn from_name(name: &str) -> Option<EntityType> {
        EntityType::ALL
            .into_iter()
            .find(|kind| kind.as_str() == name)
    }
}

impl fmt::Display for EntityType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An entity found in a line of text.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Entity {
    /// What kind of entity this is.
    pub entity_type: EntityType,
    /// The text as written in the line.
    pub value: String,
    /// Offset of the first character, counted in characters (not bytes) from the line's start.
    pub start_char: usize,
    /// Offset one past the last character, in characters: `value` is
    /// `text.chars().skip(start_char).take(end_char - start_char)`.
    pub end_char: usize,
    /// How strongly the rule that matched indicates this entity, in `0.0..=1.0`: about 0.9 for
    /// an unambiguous word ("knife"), 0.8 for a cued name ("my husband Daniel"), 0.3 for a lone
    /// capitalised word.
    pub confidence: f64,
}

/// The entities in `text`, in order of position, without overlaps.
///
/// Matching ignores case for vocabulary ("KNIFE", "Knife") and respects word boundaries
/// ("knifed" is not "knife"); names and places rely on capital letters.
pub fn extract(text: &str) -> Vec<Entity> {
    let text = text::Text::new(text);
    let mut found = Vec::new();
    lexicon::scan(&text, &mut found);
    location::scan(&text, &mut found);
    person::scan(&text, &mut found);
    vehicle::scan(&text, &mut found);
    without_overlaps(found)
}

/// Keeps, among overlapping candidates, the longest, then the most confident, then the
/// earliest: a longer match is the more specific reading ("gunshot wound" over "gunshot").
fn without_overlaps(mut found: Vec<Entity>) -> Vec<Entity> {
    let length = |e: &Entity| e.end_char - e.start_char;
    found.sort_by(|a, b| {
        length(b)
            .cmp(&length(a))
            .then(b.confidence.total_cmp(&a.confidence))
            .then(a.start_char.cmp(&b.start_char))
    });
    let mut kept: Vec<Entity> = Vec::with_capacity(found.len());
    for entity in found {
        let overlaps = kept
            .iter()
            .any(|k| entity.start_char < k.end_char && k.start_char < entity.end_char);
        if !overlaps {
            kept.push(entity);
        }
    }
    kept.sort_by_key(|e| e.start_char);
    kept
}
