use super::{extract, Entity, EntityType};
use EntityType::*;

/// Extracts and checks the offset contract on every entity before the test looks further.
fn entities(text: &str) -> Vec<Entity> {
    let found = extract(text);
    for e in &found {
        let by_offsets: String = text
            .chars()
            .skip(e.start_char)
            .take(e.end_char - e.start_char)
            .collect();
        assert_eq!(by_offsets, e.value, "offsets of {e:?} in {text:?}");
        assert!((0.0..=1.0).contains(&e.confidence), "{e:?}");
    }
    for pair in found.windows(2) {
        assert!(
            pair[0].end_char <= pair[1].start_char,
            "overlap in {found:?}"
        );
    }
    found
}

/// The (type, value) pairs found, for compact assertions.
fn pairs(text: &str) -> Vec<(EntityType, String)> {
    entities(text)
        .into_iter()
        .map(|e| (e.entity_type, e.value))
        .collect()
}

/// The types found, for "no such entity" assertions.
fn kinds(text: &str) -> Vec<EntityType> {
    entities(text).into_iter().map(|e| e.entity_type).collect()
}

fn has(text: &str, kind: EntityType, value: &str) -> bool {
    pairs(text).contains(&(kind, value.to_owned()))
}

fn find(text: &str, kind: EntityType, value: &str) -> Entity {
    let found = entities(text);
    let Some(entity) = found
        .iter()
        .find(|e| e.entity_type == kind && e.value == value)
    else {
        panic!("no {kind} {value:?} in {found:?}");
    };
    entity.clone()
}

#[test]
fn empty_and_blank_text_have_no_entities() {
    assert!(entities("").is_empty());
    assert!(entities("   \n ").is_empty());
    assert!(entities("okay, okay. yes.").is_empty());
}

#[test]
fn weapons_are_found_whatever_their_case() {
    let knife = find("He has a KNIFE!", Weapon, "KNIFE");
    assert_eq!((knife.start_char, knife.end_char), (9, 14));
    assert!(knife.confidence >= 0.9);
    assert!(has("there's a shotgun and a pistol", Weapon, "shotgun"));
    assert!(has("there's a shotgun and a pistol", Weapon, "pistol"));
}

#[test]
fn multibyte_text_before_an_entity_keeps_character_offsets() {
    let knife = find("José says he has a knife", Weapon, "knife");
    assert_eq!((knife.start_char, knife.end_char), (19, 24));
    let address = find(
        "Ça va? 😱 Wir sind at 12 Elm Street",
        Location,
        "12 Elm Street",
    );
    assert_eq!((address.start_char, address.end_char), (21, 34));
}

#[test]
fn gunshot_wound_is_an_injury_not_a_weapon() {
    let found = pairs("he has a gunshot wound to the leg");
    assert_eq!(found, vec![(Injury, "gunshot wound".to_owned())]);
    assert!(!kinds("I heard gunshots").contains(&Weapon));
}

#[test]
fn words_are_matched_whole() {
    // "knifed" is not "knife", "guns" does not hide in "begun".
    assert_eq!(pairs("he got knifed"), vec![(Injury, "knifed".to_owned())]);
    assert!(pairs("it has begun").is_empty());
}

#[test]
fn the_longest_overlapping_span_wins() {
    assert_eq!(
        pairs("a baseball bat"),
        vec![(Weapon, "baseball bat".to_owned())]
    );
    assert_eq!(
        pairs("she's got a stab wound"),
        vec![(Injury, "stab wound".to_owned())]
    );
}

#[test]
fn injuries() {
    let text = "he's bleeding, I think his arm is cut, maybe a broken leg, now he's unconscious";
    for value in ["bleeding", "cut", "broken leg", "unconscious"] {
        assert!(has(text, Injury, value), "{value} in {:?}", pairs(text));
    }
    assert!(
        has("he was shot", Injury, "shot"),
        "context word left out of the value"
    );
    assert!(has("he hit his head", Injury, "hit his head"));
    assert!(pairs("they cut the power").is_empty(), "verb use of cut");
}

#[test]
fn medical_conditions() {
    assert!(has(
        "he has chest pain and can't breathe",
        MedicalCondition,
        "chest pain"
    ));
    assert!(has(
        "he has chest pain and can't breathe",
        MedicalCondition,
        "can't breathe"
    ));
    assert!(has(
        "I think it's a heart attack",
        MedicalCondition,
        "heart attack"
    ));
    assert!(has(
        "she's diabetic, low blood sugar",
        MedicalCondition,
        "low blood sugar"
    ));
    assert!(has(
        "my dad is not breathing",
        MedicalCondition,
        "not breathing"
    ));
    assert!(!kinds("his blood pressure").contains(&Injury));
    assert!(!kinds("he takes blood thinners").contains(&Injury));
}

#[test]
fn hazards() {
    assert!(has("there's smoke and I smell gas", Hazard, "smoke"));
    assert!(has("there's smoke and I smell gas", Hazard, "smell gas"));
    assert!(has(
        "a downed power line on the road",
        Hazard,
        "downed power line"
    ));
    assert!(has("the kitchen is on fire", Hazard, "on fire"));
    assert!(pairs("call the fire department").is_empty());
}

#[test]
fn street_address_with_apartment() {
    let text = "1432 Maple Street, apartment 3B. Please hurry";
    let address = find(text, Location, "1432 Maple Street, apartment 3B");
    assert_eq!((address.start_char, address.confidence), (0, 0.85));
    assert!(has(
        "we're at 77 N. Main St apt. 4",
        Location,
        "77 N. Main St apt. 4"
    ));
    assert!(has("it's 5 West 5th Avenue", Location, "5 West 5th Avenue"));
    assert!(
        has("1432 maple street", Location, "1432 maple street"),
        "lowercase transcript"
    );
    assert!(pairs("I have 2 kids on the way").is_empty());
}

#[test]
fn intersections_highways_and_named_places() {
    let corner = "at the corner of Main Street and 5th Avenue";
    assert!(
        has(corner, Location, "Main Street and 5th Avenue"),
        "{:?}",
        pairs(corner)
    );
    assert!(has("corner of Oak and Pine", Location, "Oak and Pine"));
    assert!(has(
        "on the way to Elm Avenue and 5th Street",
        Location,
        "Elm Avenue and 5th Street"
    ));
    assert!(has("on I-95 northbound", Location, "I-95 northbound"));
    assert!(has("crash on Highway 101", Location, "Highway 101"));
    assert!(has("just past Route 9", Location, "Route 9"));
    assert!(has(
        "shooting at Lincoln High School",
        Location,
        "Lincoln High School"
    ));
    assert!(has("I'm at the mall", Location, "the mall"));
    assert!(has(
        "near St. Mary's Hospital",
        Location,
        "St. Mary's Hospital"
    ));
}

#[test]
fn people_after_cues() {
    let daniel = find("my husband Daniel has a gun", Person, "Daniel");
    assert_eq!(daniel.confidence, 0.8);
    assert!(has("My name is Maria Lopez.", Person, "Maria Lopez"));
    assert!(has("his name's Jake", Person, "Jake"));
    assert!(has("Daniel Ross is his name", Person, "Daniel Ross"));
    assert!(has("Officer Diaz is here", Person, "Officer Diaz"));
    assert!(has("my name is maria", Person, "maria"));
}

#[test]
fn capitalised_words_are_weak_person_evidence() {
    let pair = find("I saw John Smith run", Person, "John Smith");
    let single = find("then Daniel came back", Person, "Daniel");
    assert!(pair.confidence < 0.8 && single.confidence < pair.confidence);
    // Sentence openers, places and streets are not people.
    assert!(pairs("Please come. Hurry up").is_empty());
    assert!(has("Maria... Maria Lopez. It's him", Person, "Maria Lopez"));
    assert!(has("Robert! Robert! He's not answering", Person, "Robert"));
    // Contractions and words beside other capitals are not names.
    assert!(!kinds("Yes, I'd say so. I'll wait").contains(&Person));
    assert!(!kinds("in the back of Summit Sports").contains(&Person));
    assert!(!kinds("Have Anna sit down").contains(&Person));
    assert!(has("I know Sean O'Brien", Person, "Sean O'Brien"));
    assert!(!kinds("we live in Springfield").contains(&Person));
    assert!(!kinds("I'm on Maple Street").contains(&Person));
}

#[test]
fn vehicles() {
    assert!(has(
        "a silver Honda Civic hit me",
        Vehicle,
        "silver Honda Civic"
    ));
    assert!(has("a red pickup truck", Vehicle, "red pickup truck"));
    assert!(has("they left in a black SUV", Vehicle, "black SUV"));
    assert!(has("a dark blue 2015 Toyota", Vehicle, "2015 Toyota"));
    assert!(has("a white van", Vehicle, "white van"));
    assert!(find("the truck", Vehicle, "truck").confidence < 0.5);
    assert!(pairs("the red light").is_empty());
}

#[test]
fn licence_plates() {
    assert!(has("the license plate is ABC 1234.", Vehicle, "ABC 1234"));
    assert!(has("plate number: 7XYZ-123", Vehicle, "7XYZ-123"));
    assert!(!kinds("the plate. 12 people").contains(&Vehicle));
}

#[test]
fn a_full_call_line() {
    let line = "My partner Daniel stabbed me, there's blood everywhere, we're at 1432 Maple Street, apartment 3B, he drove off in a black SUV";
    let found = pairs(line);
    let expected = [
        (Person, "Daniel"),
        (Injury, "stabbed"),
        (Injury, "blood"),
        (Location, "1432 Maple Street, apartment 3B"),
        (Vehicle, "black SUV"),
    ];
    let expected: Vec<_> = expected
        .iter()
        .map(|(k, v)| (*k, (*v).to_owned()))
        .collect();
    assert_eq!(found, expected);
}

#[test]
fn entity_types_serialize_as_stored() {
    for kind in EntityType::ALL {
        let json = serde_json::to_string(&kind).unwrap_or_default();
        assert_eq!(json, format!("\"{}\"", kind.as_str()));
        let back: Result<EntityType, _> = serde_json::from_str(&json);
        assert_eq!(back.ok(), Some(kind));
        assert_eq!(EntityType::from_name(kind.as_str()), Some(kind));
    }
    assert_eq!(
        EntityType::from_name("weapon"),
        None,
        "stored names are exact"
    );
    let entity = find("a knife", Weapon, "knife");
    let json = serde_json::to_value(&entity).unwrap_or_default();
    assert_eq!(json["entity_type"], "WEAPON");
    assert_eq!(json["start_char"], 2);
}

#[test]
fn every_cut_of_a_busy_line_keeps_the_offset_contract() {
    // Rules look ahead and behind; cutting a line at every character puts each rule's
    // lookahead at the end of the text, where an index error would show.
    let line = "José: my wife Ana Ruiz, 12 Elm St. apt 4 — corner of Oak & 5th, I-95, \
                plate ABC 1234; a red Ford F-150, gas leak, he's not breathing, Officer Diaz";
    let chars: Vec<char> = line.chars().collect();
    for cut in 0..=chars.len() {
        let head: String = chars[..cut].iter().collect();
        let tail: String = chars[cut..].iter().collect();
        entities(&head);
        entities(&tail);
    }
    let values: Vec<String> = entities(line).into_iter().map(|e| e.value).collect();
    let expected = [
        "Ana Ruiz",
        "12 Elm St. apt 4",
        "Oak & 5th",
        "I-95",
        "ABC 1234",
        "red Ford F-150",
        "gas leak",
        "not breathing",
        "Officer Diaz",
    ];
    assert_eq!(values, expected);
}
