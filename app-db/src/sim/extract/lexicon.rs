//! Phrase rules: weapons, injuries, medical conditions, hazards and generic places, each a
//! small word pattern with the confidence that a match names such an entity.
//!
//! A pattern is words separated by spaces, each slot listing its accepted words with `|`:
//! - `broken|fractured arm|leg` matches "broken arm", "fractured leg", ...;
//! - a leading `(was|got)` slot must be present but is left out of the value, so "he was shot"
//!   yields "shot";
//! - a trailing `!department|truck` slot rejects the match when the next word is one of those,
//!   so "fire department" is not a hazard.
//!
//! Words of a phrase must be separated by spaces only: punctuation between them breaks the phrase.

use super::text::Text;
use super::{Entity, EntityType};

type Table = &'static [(&'static str, f64)];

const WEAPONS: Table = &[
    ("knife|knives|switchblade|machete|dagger", 0.9),
    (
        "gun|guns|pistol|pistols|revolver|handgun|handguns|firearm|firearms",
        0.9,
    ),
    ("rifle|rifles|shotgun|shotguns|ar-15|ak-47", 0.9),
    ("baseball bat", 0.9),
    // "bat" is also the animal and "hammer" a tool: weaker evidence on their own.
    ("bat", 0.6),
    ("hammer|crowbar|axe|ax|hatchet|tire-iron", 0.7),
    ("tire iron", 0.85),
    ("box cutter", 0.85),
    ("brass knuckles", 0.85),
    ("sword|taser|boxcutter|bomb|explosives", 0.85),
    ("pepper spray", 0.75),
    ("broken bottle", 0.75),
    ("weapon|weapons", 0.5),
];

const INJURIES: Table = &[
    ("bleeding|bleeds|bled", 0.85),
    ("blood|bloody !pressure|sugar|type|test|thinner|thinners|work|bank|drive", 0.7),
    ("gash|laceration|lacerations", 0.85),
    // "cut" is often the verb ("cut the power", "cut off").
    ("cut|cuts !off|out|the|it|him|her|me|them|through|in|across", 0.55),
    ("stab|knife|gunshot|bullet wound|wounds", 0.95),
    ("stabbed|knifed", 0.85),
    ("(been|was|got|is|were|get|gets|just) shot", 0.8),
    ("shot in the head|chest|leg|arm|back|stomach|neck|face|shoulder", 0.9),
    (
        "broken|fractured|fracture arm|arms|leg|legs|wrist|ankle|hip|rib|ribs|nose|jaw|neck|back|collarbone|finger|fingers|foot|hand|bone|bones|skull",
        0.9,
    ),
    ("dislocated shoulder|knee|hip|finger|elbow", 0.85),
    ("unconscious|unresponsive", 0.9),
    ("passed|knocked out", 0.8),
    ("burn|burns|burned|burnt !down", 0.7),
    ("head injury|injuries|wound|trauma", 0.9),
    ("hit|bumped|banged|hurt his|her|my|their head", 0.85),
    ("bruise|bruises|bruised|bruising", 0.75),
    ("black eye", 0.8),
    ("concussion|whiplash", 0.8),
    ("sprained ankle|wrist|knee", 0.8),
    ("wound|wounds", 0.7),
    ("injury|injuries|injured", 0.6),
    ("hurt", 0.5),
];

const MEDICAL: Table = &[
    ("chest pain|pains", 0.9),
    ("heart attack", 0.95),
    ("cardiac arrest", 0.95),
    ("heart condition|problem|problems", 0.8),
    ("stroke|seizure|seizures|seizing|epileptic|epilepsy", 0.85),
    ("diabetic|diabetes|insulin", 0.8),
    ("insulin shock", 0.9),
    ("low blood sugar", 0.9),
    ("blood sugar", 0.6),
    ("high blood pressure", 0.85),
    ("overdose|overdosed|overdosing|od'd", 0.9),
    ("can't|cant|cannot breathe|breath", 0.9),
    // Respiratory arrest: a medical condition, as the seed scenarios classify it.
    ("not|isn't|isnt|stopped|wasn't breathing", 0.95),
    ("trouble|difficulty|problems breathing", 0.9),
    ("hard to breathe", 0.85),
    ("short|shortness of breath", 0.85),
    ("allergic reaction", 0.9),
    ("anaphylaxis|anaphylactic", 0.9),
    ("asthma attack", 0.9),
    ("asthma", 0.75),
    ("choking", 0.85),
    ("in labor|labour", 0.85),
    ("pregnant|contractions", 0.7),
    ("fainted|fainting|collapsed", 0.75),
    ("slurred speech", 0.85),
    ("vomiting|dizzy", 0.6),
    ("throwing up", 0.6),
];

const HAZARDS: Table = &[
    (
        "fire|fires|flames !department|dept|truck|trucks|engine|station|fighter|fighters|extinguisher|hydrant|pit|drill",
        0.8,
    ),
    ("on fire", 0.9),
    ("wildfire|wildfires", 0.9),
    ("smoke|burning|sparks", 0.75),
    ("gas|propane|fuel leak|leaking", 0.95),
    ("smell|smells|smelled gas|propane", 0.85),
    ("smells like gas|propane", 0.85),
    ("leaking gas|fuel|gasoline", 0.85),
    ("downed power|electrical line|lines|wire|wires", 0.95),
    ("power line|lines down", 0.9),
    ("live wire|wires", 0.85),
    ("flood|flooding|flooded|explosion|exploded", 0.85),
    ("chemical spill", 0.9),
    ("carbon monoxide", 0.9),
    ("hazmat", 0.9),
    ("shots fired", 0.9),
    ("active shooter", 0.9),
    ("gunshot|gunshots|gunfire", 0.85),
    ("shooting", 0.7),
    ("broken glass", 0.75),
    ("leak|leaks|leaking", 0.6),
    // Risks for whoever goes in: an intoxicated aggressor, an animal on the loose.
    ("drunk|drinking|intoxicated", 0.6),
    ("pit bull", 0.6),
    ("dog|dogs", 0.4),
];

// Vague places: better than nothing when the caller has no address yet.
const PLACES: Table = &[
    (
        "the mall|park|school|hospital|bank|store|library|church|gym|highway|freeway|beach|playground|woods",
        0.5,
    ),
    ("the parking lot|garage", 0.55),
    ("the gas|train|bus|subway station", 0.55),
    ("the bus stop", 0.55),
];

const TABLES: &[(EntityType, Table)] = &[
    (EntityType::Weapon, WEAPONS),
    (EntityType::Injury, INJURIES),
    (EntityType::MedicalCondition, MEDICAL),
    (EntityType::Hazard, HAZARDS),
    (EntityType::Location, PLACES),
];

/// Every phrase match of every table, overlaps included.
pub(super) fn scan(text: &Text, found: &mut Vec<Entity>) {
    for (kind, table) in TABLES {
        for (pattern, confidence) in *table {
            for i in 0..text.len() {
                if let Some((first, last)) = match_at(text, i, pattern) {
                    found.push(text.entity(*kind, first, last, *confidence));
                }
            }
        }
    }
}

/// The words `first..=last` that `pattern` matches when its first slot is word `i`.
fn match_at(text: &Text, i: usize, pattern: &str) -> Option<(usize, usize)> {
    let mut next = i;
    let mut first = None;
    let mut last: Option<usize> = None;
    for slot in pattern.split(' ') {
        if let Some(banned) = slot.strip_prefix('!') {
            let end = last?;
            if text.joined(end) && banned.split('|').any(|w| w == text.lower(end + 1)) {
                return None;
            }
            continue;
        }
        let context = slot.strip_prefix('(').and_then(|s| s.strip_suffix(')'));
        if last.is_some_and(|end| !text.joined(end)) || next >= text.len() {
            return None;
        }
        if !context
            .unwrap_or(slot)
            .split('|')
            .any(|w| w == text.lower(next))
        {
            return None;
        }
        if context.is_none() && first.is_none() {
            first = Some(next);
        }
        last = Some(next);
        next += 1;
    }
    Some((first?, last?))
}

#[cfg(test)]
mod tests {
    use super::TABLES;

    // The pattern syntax is easy to get wrong ("heart attack|cardiac arrest" is three slots,
    // not two phrases), so check the shape of every pattern: no empty alternative, context
    // only leading, an exclusion only trailing, and at least one word in the value.
    #[test]
    fn patterns_are_well_formed() {
        for (_, table) in TABLES {
            for (pattern, confidence) in *table {
                let slots: Vec<&str> = pattern.split(' ').collect();
                let value_slots = slots.iter().filter(|s| !s.starts_with(['(', '!'])).count();
                assert!(
                    value_slots > 0 && (0.0..=1.0).contains(confidence),
                    "{pattern}"
                );
                for (k, slot) in slots.iter().enumerate() {
                    let words = slot.trim_start_matches(['(', '!']).trim_end_matches(')');
                    assert!(
                        words
                            .split('|')
                            .all(|w| !w.is_empty() && w == w.to_lowercase()),
                        "{pattern}"
                    );
                    assert!(!slot.starts_with('!') || k == slots.len() - 1, "{pattern}");
                    assert!(
                        !slot.starts_with('(') || slots[..k].iter().all(|s| s.starts_with('(')),
                        "{pattern}"
                    );
                }
            }
        }
    }
}
