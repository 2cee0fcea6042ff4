-- 002_seed_training_scenarios: the five training scenarios of the seed.
--
-- Fixed ids (also used by down.sql, and stable across environments so that links and tests
-- can name a scenario by id):
--   5e083017-00a4-4bc8-a464-aeb864a059f4  Domestic Violence Call            medium
--   bde5e112-af02-4dc3-a5ba-86f47159722f  Medical Emergency - Heart Attack  hard
--   5b8e0096-161b-4f6e-af5c-a0102a68f12e  Car Accident - Minor Injuries     easy
--   75588c5f-0f37-49d8-9da1-2af521c58324  Active Shooter Report             hard
--   c9b2c2e1-c9d8-494c-b1b2-ff68095fabab  Burglary in Progress              medium
--
-- caller_profile and scenario_script follow docs/scenario-format.md exactly (the data layer
-- rejects unknown keys). In every scenario the caller lines mention each key entity
-- literally, and every operator line contains a keyword of exactly the key questions listed in
-- its `covers` (as whole words), so the scripted call is a complete example of the dispatcher
-- technique the scenario trains.
--
-- Re-runnable: the INSERT is an upsert on id, so running this script again (`simulator db seed`)
-- restores the seeded name, description, JSON and difficulty of the five rows; is_active is left
-- as it is, and no other scenario is touched. A name already used by a
-- different scenario is an error (training_scenarios_name_key) rather than a silent overwrite.
--
-- Sessions: this revision's down.sql detaches sessions of these scenarios (scenario_id NULL)
-- before deleting the rows, so sessions survive a downgrade.

INSERT INTO training_scenarios
    (id, name, difficulty_level, description, caller_profile, scenario_script)
VALUES
-- 1. Domestic Violence Call (medium)
(
    '5e083017-00a4-4bc8-a464-aeb864a059f4',
    'Domestic Violence Call',
    'medium',
    'A woman whispers from a locked bathroom that her drunk partner is threatening her with a knife while their two children sleep in the next room. The caller is fearful, gives short answers and can be overheard at any moment: the operator must get the address first, then ask careful, closed questions about the suspect, weapons, injuries and children, keep her behind a locked door and stay on the line until officers make contact.',
    $json${
  "name": "Maria Lopez",
  "age": 34,
  "emotional_state": "fearful",
  "background": "Lives with her boyfriend Daniel Reyes and their two children (6 and 9) in a second-floor apartment. Police have been called to the address twice in the past year; both times she declined to press charges. Tonight he came home drunk after losing his job.",
  "personality": "Guarded and ashamed; answers in short sentences, minimises the danger at first ('it's probably nothing') and opens up once the operator sounds calm and in control.",
  "speech_traits": [
    "whispers",
    "hesitates before giving her name",
    "goes silent when she hears footsteps outside the door",
    "apologises for calling"
  ]
}$json$::jsonb,
    $json${
  "initial_conditions": {
    "summary": "A woman calls whispering from a locked bathroom: her partner, drunk, is banging on the door with a kitchen knife in his hand and has already cut her arm; two children are asleep in the back bedroom.",
    "location": "1432 Maple Street, apartment 3B",
    "time_of_day": "22:40",
    "hazards": [
      "suspect armed with a kitchen knife",
      "suspect intoxicated",
      "two children asleep in the back bedroom",
      "history of domestic calls at the address"
    ]
  },
  "key_entities": [
    {"type": "LOCATION", "value": "1432 Maple Street"},
    {"type": "WEAPON", "value": "knife"},
    {"type": "PERSON", "value": "Maria Lopez"},
    {"type": "PERSON", "value": "Daniel Reyes"},
    {"type": "INJURY", "value": "bleeding"},
    {"type": "HAZARD", "value": "drinking"}
  ],
  "key_questions": [
    {"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]},
    {"id": "suspect", "prompt": "Who is threatening you?", "keywords": ["threatening", "who is"]},
    {"id": "weapons", "prompt": "Does he have any weapons?", "keywords": ["weapon", "knife", "guns"]},
    {"id": "injuries", "prompt": "Are you hurt? Is anyone injured or bleeding?", "keywords": ["hurt", "injured", "bleeding"]},
    {"id": "children", "prompt": "Are there any children or anyone else in the home?", "keywords": ["children", "kids"]},
    {"id": "safety", "prompt": "Can you stay somewhere safe with the door locked?", "keywords": ["safe", "locked"]}
  ],
  "dialogue": [
    {"speaker": "caller", "text": "Please, I need help... he has a knife.", "emotional_state": "fearful", "delay_ms": 0},
    {"speaker": "operator", "text": "911, what is the address of your emergency?", "covers": ["location"], "delay_ms": 1500},
    {"speaker": "caller", "text": "1432 Maple Street, apartment 3B. Please hurry, he's right outside the door.", "emotional_state": "fearful", "delay_ms": 2500},
    {"speaker": "operator", "text": "I'm sending officers to 1432 Maple Street right now. What's your name, and who is threatening you?", "covers": ["suspect"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Maria... Maria Lopez. It's my boyfriend, Daniel Reyes. He's been drinking all night and he took the big knife from the kitchen.", "emotional_state": "terrified", "delay_ms": 3500},
    {"speaker": "operator", "text": "Maria, does he have any other weapon besides the knife? Are there any guns in the apartment?", "covers": ["weapons"], "delay_ms": 1800},
    {"speaker": "caller", "text": "No guns, just the knife. I'm in the bathroom. He's banging on the door, he keeps saying he'll break it.", "emotional_state": "terrified", "delay_ms": 3000},
    {"speaker": "operator", "text": "Are you hurt? Is anyone injured or bleeding?", "covers": ["injuries"], "delay_ms": 1500},
    {"speaker": "caller", "text": "He cut my arm when I pushed him away. It's bleeding, not a lot... I'm holding a towel on it.", "emotional_state": "in pain", "delay_ms": 3000},
    {"speaker": "operator", "text": "Keep pressing the towel on it. Are there any children or anyone else in the apartment?", "covers": ["children"], "delay_ms": 1800},
    {"speaker": "caller", "text": "My kids, they're six and nine, they're asleep in the back bedroom. Oh God, if he wakes them up...", "emotional_state": "panicked", "delay_ms": 2500},
    {"speaker": "operator", "text": "Stay in the bathroom with the door locked, you're safe there. Don't open it for him, even if he calms down. Officers are two minutes away. Stay on the line with me.", "covers": ["safety"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Okay... okay. I hear sirens. He stopped banging, I think he's going to the front door.", "emotional_state": "tense", "delay_ms": 6000},
    {"speaker": "operator", "text": "Those are our officers. Stay in the bathroom until they knock and tell you it's the police. I'm staying on the line with you, Maria.", "covers": [], "delay_ms": 2000}
  ],
  "expected_outcome": "Police dispatched at the highest priority with EMS staged nearby; the caller stays locked in the bathroom on the line until officers detain Daniel Reyes; her arm wound is treated and the children are checked by officers."
}$json$::jsonb
),
-- 2. Medical Emergency - Heart Attack (hard)
(
    'bde5e112-af02-4dc3-a5ba-86f47159722f',
    'Medical Emergency - Heart Attack',
    'hard',
    'A wife screams that her husband clutched his chest and collapsed; he is unresponsive with agonal breathing. The caller is panicked and keeps asking whether he will die: the operator must get the address, confirm he is unconscious and not breathing normally, take control and coach hands-only CPR with firm, simple instructions, gather his cardiac history and arrange access for paramedics without letting her stop compressions.',
    $json${
  "name": "Karen Whitfield",
  "age": 58,
  "emotional_state": "panicked",
  "background": "Her husband Robert, 63, has high blood pressure and had a coronary stent placed two years ago; he takes blood thinners. They live alone with their dog in a two-storey house; she has never done CPR.",
  "personality": "Talks fast and repeats herself, struggles to follow instructions until she is given one simple, firm step at a time; calms down and becomes steady once she has a task.",
  "speech_traits": [
    "shouts her husband's name",
    "speaks in fragments",
    "asks 'is he going to die?'",
    "counts compressions out loud once coached"
  ]
}$json$::jsonb,
    $json${
  "initial_conditions": {
    "summary": "A wife calls screaming that her husband clutched his chest and collapsed in the living room; he is unresponsive and only gasping. Paramedics are eight minutes out and the caller must do CPR until they arrive.",
    "location": "87 Birchwood Lane",
    "time_of_day": "07:15",
    "hazards": [
      "patient unresponsive with agonal breathing",
      "patient hit his head when he fell",
      "front door locked",
      "family dog loose in the house"
    ]
  },
  "key_entities": [
    {"type": "LOCATION", "value": "87 Birchwood Lane"},
    {"type": "PERSON", "value": "Robert"},
    {"type": "MEDICAL_CONDITION", "value": "chest pain"},
    {"type": "MEDICAL_CONDITION", "value": "not breathing"},
    {"type": "INJURY", "value": "hit his head"},
    {"type": "HAZARD", "value": "dog"}
  ],
  "key_questions": [
    {"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]},
    {"id": "conscious", "prompt": "Is he awake? Is he conscious?", "keywords": ["awake", "conscious"]},
    {"id": "breathing", "prompt": "Is he breathing normally?", "keywords": ["breathing"]},
    {"id": "cpr", "prompt": "I'm going to tell you how to do CPR.", "keywords": ["cpr", "compressions", "push"]},
    {"id": "history", "prompt": "Does he have heart problems or take any medication?", "keywords": ["heart problems", "medication"]},
    {"id": "access", "prompt": "Is the front door unlocked for the paramedics?", "keywords": ["door", "unlock"]}
  ],
  "dialogue": [
    {"speaker": "caller", "text": "Oh my God, help me! My husband just collapsed, he was holding his chest!", "emotional_state": "panicked", "delay_ms": 0},
    {"speaker": "operator", "text": "911, I'm here to help you. What is the address of your emergency?", "covers": ["location"], "delay_ms": 1200},
    {"speaker": "caller", "text": "87 Birchwood Lane! Please hurry, he's on the floor!", "emotional_state": "panicked", "delay_ms": 1500},
    {"speaker": "operator", "text": "Paramedics are on the way to 87 Birchwood Lane. Is he awake? Is he conscious, can he answer you?", "covers": ["conscious"], "delay_ms": 1500},
    {"speaker": "caller", "text": "Robert! Robert! He's not answering me! He said he had chest pain and then he just fell and hit his head on the coffee table!", "emotional_state": "hysterical", "delay_ms": 3000},
    {"speaker": "operator", "text": "Look at his chest. Is he breathing normally?", "covers": ["breathing"], "delay_ms": 1500},
    {"speaker": "caller", "text": "He's making this gasping sound... he's not breathing, not really. Is he going to die?", "emotional_state": "hysterical", "delay_ms": 3500},
    {"speaker": "operator", "text": "Listen to me, I'm going to tell you how to do CPR. Get him flat on his back on the floor. Put the heel of your hand in the center of his chest and your other hand on top.", "covers": ["cpr"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Okay, okay, he's on his back. My hands are on his chest.", "emotional_state": "panicked", "delay_ms": 4000},
    {"speaker": "operator", "text": "Push down hard and fast, two inches deep, twice a second. Count out loud with me: one, two, three, four. Don't stop the compressions.", "covers": ["cpr"], "delay_ms": 1500},
    {"speaker": "caller", "text": "One, two, three, four... I'm pushing! Oh God, he's so gray.", "emotional_state": "frantic", "delay_ms": 5000},
    {"speaker": "operator", "text": "You're doing great, don't stop. Does he have heart problems or take any medication?", "covers": ["history"], "delay_ms": 3000},
    {"speaker": "caller", "text": "He had a stent two years ago, he takes blood thinners... twenty-nine, thirty... I'm still going!", "emotional_state": "focused", "delay_ms": 3500},
    {"speaker": "operator", "text": "Keep going. Is the front door locked? Can anyone else unlock it for the paramedics?", "covers": ["access"], "delay_ms": 4000},
    {"speaker": "caller", "text": "It's locked and the dog is loose, I can't leave him! Wait... I hear the siren!", "emotional_state": "overwhelmed", "delay_ms": 3000},
    {"speaker": "operator", "text": "Keep doing compressions, don't leave him. When the paramedics knock, shout that the door is locked and the dog is loose; they will get in. Stay on the line with me until they take over.", "covers": ["cpr", "access"], "delay_ms": 2000}
  ],
  "expected_outcome": "ALS ambulance and fire first responders dispatched immediately; continuous hands-only CPR from the second minute of the call until paramedics take over; crew warned about the locked door, the dog and the head injury; cardiac history passed to the crew."
}$json$::jsonb
),
-- 3. Car Accident - Minor Injuries (easy)
(
    '5b8e0096-161b-4f6e-af5c-a0102a68f12e',
    'Car Accident - Minor Injuries',
    'easy',
    'A calm passing driver reports a low-speed rear-end collision at a city intersection: one driver has a small bleeding cut, the other a sore neck, and a car is leaking coolant into the lane. A straightforward call for practising the standard sequence: location, vehicles involved, injuries, hazards, then scene-safety instructions.',
    $json${
  "name": "James Okafor",
  "age": 45,
  "emotional_state": "calm",
  "background": "Parcel delivery driver who stopped his van after witnessing a collision on his route; first-aid trained through work and has reported accidents before.",
  "personality": "Composed and observant; gives precise details and follows instructions without being asked twice.",
  "speech_traits": [
    "reads street signs aloud",
    "uses exact numbers and colours",
    "speaks clearly and evenly"
  ]
}$json$::jsonb,
    $json${
  "initial_conditions": {
    "summary": "A passing driver reports that a silver Honda Civic rear-ended a blue Ford pickup at a red light; both drivers are out of their cars, one with a cut on her forehead, one with a sore neck.",
    "location": "Elm Avenue and 5th Street",
    "time_of_day": "17:20",
    "hazards": [
      "vehicles partially blocking the eastbound lane",
      "coolant leaking onto the road",
      "rush-hour traffic"
    ]
  },
  "key_entities": [
    {"type": "LOCATION", "value": "Elm Avenue and 5th Street"},
    {"type": "VEHICLE", "value": "silver Honda Civic"},
    {"type": "VEHICLE", "value": "blue Ford pickup"},
    {"type": "PERSON", "value": "Anna"},
    {"type": "INJURY", "value": "cut on her forehead"},
    {"type": "HAZARD", "value": "leaking"}
  ],
  "key_questions": [
    {"id": "location", "prompt": "Where is the accident? What is the address or nearest intersection?", "keywords": ["where", "address", "intersection"]},
    {"id": "vehicles", "prompt": "How many vehicles are involved?", "keywords": ["vehicles"]},
    {"id": "injuries", "prompt": "Is anyone hurt? What injuries can you see?", "keywords": ["hurt", "injured", "injuries"]},
    {"id": "hazards", "prompt": "Is there any smoke, fire, or anything leaking?", "keywords": ["smoke", "fire", "leaking"]},
    {"id": "safety", "prompt": "Please stay safe, away from traffic.", "keywords": ["safe"]}
  ],
  "dialogue": [
    {"speaker": "caller", "text": "Hi, I'd like to report a car accident. Nobody seems badly hurt, but one of the drivers is bleeding a little.", "emotional_state": "calm", "delay_ms": 0},
    {"speaker": "operator", "text": "911, where is the accident? What is the address or the nearest intersection?", "covers": ["location"], "delay_ms": 1500},
    {"speaker": "caller", "text": "It's at the intersection of Elm Avenue and 5th Street, right by the Quick Stop gas station.", "emotional_state": "calm", "delay_ms": 2500},
    {"speaker": "operator", "text": "Thank you. How many vehicles are involved, and what kind are they?", "covers": ["vehicles"], "delay_ms": 1500},
    {"speaker": "caller", "text": "Two. A silver Honda Civic rear-ended a blue Ford pickup at the red light. Both drivers are out of their cars.", "emotional_state": "calm", "delay_ms": 3000},
    {"speaker": "operator", "text": "Is anyone hurt? Tell me about any injuries you can see.", "covers": ["injuries"], "delay_ms": 1500},
    {"speaker": "caller", "text": "The woman from the Civic, she said her name is Anna, has a cut on her forehead. It's bleeding a bit but she's talking and walking around. The pickup driver says his neck is sore.", "emotional_state": "concerned", "delay_ms": 4000},
    {"speaker": "operator", "text": "Is there any smoke, fire, or anything leaking from the cars?", "covers": ["hazards"], "delay_ms": 1500},
    {"speaker": "caller", "text": "No smoke. There's green fluid leaking under the Civic, probably coolant. They're blocking part of the eastbound lane.", "emotional_state": "calm", "delay_ms": 3000},
    {"speaker": "operator", "text": "Okay. Please stay safe on the sidewalk, away from traffic, and don't move the cars. Have Anna sit down and press a clean cloth on the cut.", "covers": ["safety"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Got it. She's sitting on the curb now with a cloth on it, and the other driver is with her.", "emotional_state": "calm", "delay_ms": 4000},
    {"speaker": "operator", "text": "Police and an ambulance are on the way to Elm Avenue and 5th Street. Stay on the line until they arrive and tell me if anything changes.", "covers": [], "delay_ms": 1500}
  ],
  "expected_outcome": "Police and a basic life support ambulance dispatched at normal priority; the witness keeps everyone on the sidewalk away from traffic; Anna's cut is covered and the pickup driver is assessed for a neck injury on arrival."
}$json$::jsonb
),
-- 4. Active Shooter Report (hard)
(
    '75588c5f-0f37-49d8-9da1-2af521c58324',
    'Active Shooter Report',
    'hard',
    'A hysterical store employee calls from a stockroom in a shopping mall: a man with a rifle is shooting in the food court and at least one person has been shot. The operator must cut through the panic with short, direct commands: location, number of shooters, weapon, description, victims; keep the caller hidden, locked in and silent, and prepare them for the arrival of armed officers.',
    $json${
  "name": "Tyler Brooks",
  "age": 22,
  "emotional_state": "hysterical",
  "background": "Part-time employee at Summit Sports in the Riverside Plaza mall; was on his lunch break in the food court when the shooting started, ran back to the store and is hiding in the stockroom with two coworkers.",
  "personality": "Overwhelmed and jumping between topics; guilt about the people he left behind makes him want to go back out. Becomes focused once given concrete tasks.",
  "speech_traits": [
    "sobs between sentences",
    "whispers, then suddenly raises his voice",
    "repeats 'they're shooting'"
  ]
}$json$::jsonb,
    $json${
  "initial_conditions": {
    "summary": "A store employee calls whispering and sobbing from a stockroom: a man with a rifle is shooting in the food court of a shopping mall; at least one person has been shot and crowds are fleeing.",
    "location": "Riverside Plaza, 2200 Commerce Drive",
    "time_of_day": "13:05",
    "hazards": [
      "active shooter with a rifle",
      "at least one victim down in the food court",
      "crowds fleeing through the exits",
      "caller wants to leave his hiding place"
    ]
  },
  "key_entities": [
    {"type": "LOCATION", "value": "Riverside Plaza"},
    {"type": "LOCATION", "value": "2200 Commerce Drive"},
    {"type": "WEAPON", "value": "rifle"},
    {"type": "INJURY", "value": "shot in the leg"},
    {"type": "PERSON", "value": "Tyler Brooks"},
    {"type": "HAZARD", "value": "gunshots"}
  ],
  "key_questions": [
    {"id": "location", "prompt": "Where are you? What is the address?", "keywords": ["where", "address"]},
    {"id": "safety", "prompt": "Lock the door, turn off the lights, stay quiet.", "keywords": ["lock", "silent", "quiet"]},
    {"id": "shooters", "prompt": "How many shooters did you see?", "keywords": ["shooters", "more than one"]},
    {"id": "weapon", "prompt": "What kind of weapon does he have?", "keywords": ["weapon", "rifle"]},
    {"id": "description", "prompt": "Can you describe him? What is he wearing?", "keywords": ["describe", "wearing"]},
    {"id": "victims", "prompt": "Did you see anyone hurt or injured?", "keywords": ["hurt", "injured"]}
  ],
  "dialogue": [
    {"speaker": "caller", "text": "They're shooting! Someone's shooting in the mall, oh my God, oh my God!", "emotional_state": "hysterical", "delay_ms": 0},
    {"speaker": "operator", "text": "911, tell me where you are. What is the address?", "covers": ["location"], "delay_ms": 1000},
    {"speaker": "caller", "text": "Riverside Plaza! The mall at 2200 Commerce Drive! I'm in the back of Summit Sports, in the stockroom.", "emotional_state": "hysterical", "delay_ms": 2000},
    {"speaker": "operator", "text": "Officers are on the way to Riverside Plaza. Lock the stockroom door, turn off the lights, and put your phone on silent. Can you do that?", "covers": ["safety"], "delay_ms": 1500},
    {"speaker": "caller", "text": "Okay... okay, it's locked. There's three of us in here. I can still hear gunshots, they're so loud.", "emotional_state": "terrified", "delay_ms": 4000},
    {"speaker": "operator", "text": "How many shooters did you see, and what kind of weapon does he have?", "covers": ["shooters", "weapon"], "delay_ms": 1500},
    {"speaker": "caller", "text": "Just one guy, I think. I saw him from the door... he has a rifle, a big black rifle.", "emotional_state": "terrified", "delay_ms": 3000},
    {"speaker": "operator", "text": "Can you describe him? What is he wearing?", "covers": ["description"], "delay_ms": 1500},
    {"speaker": "caller", "text": "White guy, tall, black hoodie, camo pants... he walked into the food court and just started shooting.", "emotional_state": "sobbing", "delay_ms": 3500},
    {"speaker": "operator", "text": "Did you see anyone hurt or injured?", "covers": ["victims"], "delay_ms": 1500},
    {"speaker": "caller", "text": "A man by the pretzel stand got shot in the leg, he was screaming, and I just ran. Oh God, I left him there.", "emotional_state": "distraught", "delay_ms": 4000},
    {"speaker": "operator", "text": "You did the right thing. Stay hidden, keep quiet, and do not open the door for anyone until officers identify themselves. What is your name?", "covers": ["safety"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Tyler. Tyler Brooks. I hear people yelling 'police' out there.", "emotional_state": "terrified", "delay_ms": 5000},
    {"speaker": "operator", "text": "Tyler, don't move. Officers are clearing the building. When they come in, keep your hands empty and visible and follow every command. Stay on the line with me.", "covers": [], "delay_ms": 2000}
  ],
  "expected_outcome": "All available units and tactical response dispatched to Riverside Plaza with the shooter's description and weapon; EMS staged for the victim in the food court; the caller and his coworkers stay locked in the stockroom, silent, until officers reach them."
}$json$::jsonb
),
-- 5. Burglary in Progress (medium)
(
    'c9b2c2e1-c9d8-494c-b1b2-ff68095fabab',
    'Burglary in Progress',
    'medium',
    'An anxious homeowner wakes at night to breaking glass: at least two intruders are downstairs, one with a crowbar, while he and his eight-year-old daughter are upstairs. He wants to go down with a baseball bat: the operator must get the address, find out who is in the house, get him behind a locked door with his daughter, talk him out of confronting the intruders and collect suspect and vehicle details for responding officers.',
    $json${
  "name": "David Chen",
  "age": 41,
  "emotional_state": "anxious",
  "background": "Software engineer home alone with his daughter Emily, 8, while his wife is travelling; woke at 02:30 to glass breaking at the back door. Owns a baseball bat, no firearms.",
  "personality": "Analytical but rattled; protective and angry, wants to confront the intruders and needs to be talked out of it firmly; follows instructions once he understands why.",
  "speech_traits": [
    "speaks quickly in a low voice",
    "asks whether he should go downstairs",
    "describes sounds in detail"
  ]
}$json$::jsonb,
    $json${
  "initial_conditions": {
    "summary": "A homeowner calls at night after hearing glass break at his back door; at least two people are moving around downstairs. He and his daughter are upstairs and he is thinking of going down.",
    "location": "509 Oakridge Court",
    "time_of_day": "02:30",
    "hazards": [
      "intruders inside the house",
      "one intruder carries a crowbar",
      "child in the home",
      "homeowner wants to confront the intruders with a baseball bat"
    ]
  },
  "key_entities": [
    {"type": "LOCATION", "value": "509 Oakridge Court"},
    {"type": "PERSON", "value": "David Chen"},
    {"type": "PERSON", "value": "Emily"},
    {"type": "WEAPON", "value": "crowbar"},
    {"type": "VEHICLE", "value": "white van"},
    {"type": "HAZARD", "value": "broken glass"}
  ],
  "key_questions": [
    {"id": "location", "prompt": "What is the address of your emergency?", "keywords": ["address", "where"]},
    {"id": "occupants", "prompt": "Is anyone else home with you?", "keywords": ["anyone else"]},
    {"id": "safety", "prompt": "Lock yourselves in a room and do not go downstairs.", "keywords": ["lock", "locked", "downstairs"]},
    {"id": "intruders", "prompt": "How many intruders do you hear?", "keywords": ["intruders", "how many"]},
    {"id": "weapons", "prompt": "Are they armed? Did you see any weapon?", "keywords": ["weapon", "armed"]},
    {"id": "vehicle", "prompt": "Is there a vehicle outside?", "keywords": ["vehicle"]}
  ],
  "dialogue": [
    {"speaker": "caller", "text": "Somebody's breaking into my house! I heard the back door window smash, there's broken glass on the kitchen floor, I can hear it crunching.", "emotional_state": "anxious", "delay_ms": 0},
    {"speaker": "operator", "text": "911, what is the address of your emergency?", "covers": ["location"], "delay_ms": 1200},
    {"speaker": "caller", "text": "509 Oakridge Court. It's the gray house at the end of the cul-de-sac.", "emotional_state": "anxious", "delay_ms": 2000},
    {"speaker": "operator", "text": "Officers are on the way. Is anyone else home with you?", "covers": ["occupants"], "delay_ms": 1500},
    {"speaker": "caller", "text": "My daughter Emily, she's eight, she's asleep in her room. I'm in the upstairs hallway. I'm David, David Chen.", "emotional_state": "anxious", "delay_ms": 3000},
    {"speaker": "operator", "text": "David, go into Emily's room with her and lock the door. Do not go downstairs.", "covers": ["safety"], "delay_ms": 1500},
    {"speaker": "caller", "text": "I've got a baseball bat. Shouldn't I just go down there? They're taking our stuff!", "emotional_state": "angry", "delay_ms": 2500},
    {"speaker": "operator", "text": "No. Your things can be replaced, you and Emily can't. Stay in her room. How many intruders do you hear? Do they sound armed, did you see any weapon?", "covers": ["intruders", "weapons"], "delay_ms": 2000},
    {"speaker": "caller", "text": "Okay, we're in her room, the door's locked. At least two of them, I hear two voices. I saw one through the stair rail with a crowbar.", "emotional_state": "frightened", "delay_ms": 4000},
    {"speaker": "operator", "text": "Good. Is there a vehicle outside? Look out the window only if you can do it without being seen.", "covers": ["vehicle"], "delay_ms": 1800},
    {"speaker": "caller", "text": "There's a white van backed into my driveway with its lights off. I can't read the plate.", "emotional_state": "anxious", "delay_ms": 3500},
    {"speaker": "operator", "text": "Stay away from the window now and keep the door locked. Stay quiet; officers are almost there and I'll tell you when they're inside.", "covers": ["safety"], "delay_ms": 2000},
    {"speaker": "caller", "text": "I hear the back door... they're running out! The van's pulling away!", "emotional_state": "agitated", "delay_ms": 4000},
    {"speaker": "operator", "text": "Stay in the room with Emily. Officers are arriving now and will check the house. Don't go downstairs until an officer tells you it's clear. Stay on the line with me.", "covers": ["safety"], "delay_ms": 2000}
  ],
  "expected_outcome": "Police dispatched at high priority with the suspects' number, the crowbar and the white van broadcast to units; the caller and Emily stay locked in her room until officers clear the house; no confrontation with the intruders."
}$json$::jsonb
)
ON CONFLICT (id) DO UPDATE SET
    name             = EXCLUDED.name,
    difficulty_level = EXCLUDED.difficulty_level,
    description      = EXCLUDED.description,
    caller_profile   = EXCLUDED.caller_profile,
    scenario_script  = EXCLUDED.scenario_script;
