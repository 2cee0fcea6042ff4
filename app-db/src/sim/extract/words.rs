//! Word lists shared by the rules, all lowercase.

/// Words that are capitalised at the start of a sentence or in speech ("Please", "Oh") but never
/// part of a name or a place, so capital-letter rules skip them.
#[rustfmt::skip]
pub(super) const STOPWORDS: &[&str] = &[
    "a", "an", "the", "my", "his", "her", "our", "their", "your", "i", "i'm", "we", "he", "she",
    "they", "it", "it's", "you", "me", "him", "them", "on", "at", "in", "to", "of", "and", "or",
    "but", "from", "near", "by", "with", "for", "is", "was", "are", "be", "been", "please", "help",
    "yes", "yeah", "no", "okay", "ok", "hello", "hi", "oh", "god", "sir", "ma'am", "this", "that",
    "there", "here", "what", "where", "when", "who", "how", "why", "down", "up", "off", "out",
    "just", "now", "hurry", "911", "police", "officer", "ambulance", "fire", "hey", "so", "if",
    "not", "don't", "can't", "wait", "listen", "thank", "thanks", "sorry", "jesus", "christ",
    "lord", "mom", "dad", "mommy", "daddy", "english", "spanish", "america", "american", "monday",
    "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january", "february",
    "march", "april", "may", "june", "july", "august", "september", "october", "november",
    "december", "north", "south", "east", "west", "he's", "she's", "that's", "there's", "what's",
    "where's", "who's", "here's", "let's", "somebody's", "someone's", "everybody's", "everyone's",
    "nobody's", "good", "right", "quick", "great", "fine", "alright", "sure", "stop", "go", "run",
    "come", "stay", "keep", "hold", "look", "yesterday", "today", "tonight", "earlier", "then",
    "also", "well", "anyway", "actually", "maybe", "suddenly", "somebody", "someone", "nobody",
    "everyone", "anyone", "nothing", "something", "ow", "ouch", "wow", "damn", "ugh", "um", "uh",
    "one", "two", "three", "four", "five", "six", "seven", "eight", "nine", "ten",
];

/// Last words of a street name.
#[rustfmt::skip]
pub(super) const STREET_SUFFIXES: &[&str] = &[
    "street", "st", "avenue", "ave", "road", "rd", "boulevard", "blvd", "drive", "dr", "lane", "ln",
    "way", "court", "ct", "place", "pl", "terrace", "parkway", "pkwy", "circle", "cir", "highway",
    "hwy", "trail", "alley",
];

/// Last words of a named place ("Lincoln High School", "Riverside Mall").
#[rustfmt::skip]
pub(super) const PLACE_NOUNS: &[&str] = &[
    "school", "mall", "park", "hospital", "bank", "store", "station", "church", "library", "center",
    "centre", "market", "supermarket", "hotel", "motel", "airport", "stadium", "plaza",
    "restaurant", "cafe", "bar", "gym", "pharmacy", "building", "tower", "apartments", "university",
    "college", "academy", "clinic", "theater", "theatre", "cinema", "museum", "zoo", "bridge",
    "diner", "casino", "arena",
];

/// Words that introduce an apartment or unit after a street address.
#[rustfmt::skip]
pub(super) const UNIT_WORDS: &[&str] = &[
    "apartment", "apt", "unit", "suite", "ste", "room", "rm",
];

/// Relatives and acquaintances whose name often follows ("my husband Daniel").
#[rustfmt::skip]
pub(super) const RELATIONS: &[&str] = &[
    "husband", "wife", "son", "daughter", "boyfriend", "girlfriend", "partner", "brother", "sister",
    "father", "mother", "dad", "mom", "mum", "friend", "neighbor", "neighbour", "roommate", "ex",
    "ex-husband", "ex-wife", "ex-boyfriend", "ex-girlfriend", "uncle", "aunt", "grandmother",
    "grandfather", "grandma", "grandpa", "baby", "kid", "child", "boss", "coworker", "co-worker",
    "cousin", "nephew", "niece", "stepfather", "stepson", "fiance", "fiancee",
];

/// Titles that precede a surname ("Officer Diaz").
#[rustfmt::skip]
pub(super) const TITLES: &[&str] = &[
    "mr", "mrs", "ms", "miss", "dr", "doctor", "officer", "deputy", "sergeant", "sgt", "detective",
    "captain", "nurse",
];

/// Vehicle colours, with the shades that may precede them.
#[rustfmt::skip]
pub(super) const COLOURS: &[&str] = &[
    "black", "white", "silver", "gray", "grey", "red", "blue", "green", "yellow", "orange", "brown",
    "gold", "tan", "beige", "maroon", "purple", "dark", "light",
];

/// Vehicle makes.
#[rustfmt::skip]
pub(super) const MAKES: &[&str] = &[
    "honda", "toyota", "ford", "chevy", "chevrolet", "nissan", "bmw", "mercedes", "audi", "dodge",
    "jeep", "hyundai", "kia", "subaru", "tesla", "volkswagen", "vw", "mazda", "lexus", "gmc",
    "buick", "cadillac", "chrysler", "volvo", "acura", "infiniti", "mitsubishi", "porsche",
    "harley",
];

/// Vehicle models, accepted only after a make or a colour because many are ordinary words.
#[rustfmt::skip]
pub(super) const MODELS: &[&str] = &[
    "civic", "accord", "camry", "corolla", "prius", "f-150", "f150", "mustang", "explorer", "focus",
    "fusion", "escape", "ranger", "malibu", "impala", "silverado", "tahoe", "altima", "sentra",
    "wrangler", "charger", "challenger", "ram", "outback", "forester", "jetta", "passat", "elantra",
    "sonata", "odyssey", "pilot", "cr-v", "rav4", "tacoma", "tundra", "model",
];

/// Kinds of vehicle.
#[rustfmt::skip]
pub(super) const VEHICLE_KINDS: &[&str] = &[
    "car", "truck", "pickup", "van", "minivan", "suv", "sedan", "coupe", "motorcycle", "hatchback",
    "convertible", "bus", "semi", "wagon", "motorbike", "scooter", "jeep", "cab", "taxi",
];
