//! A transcript line cut into words, with character offsets, for the rules to walk.

use super::{Entity, EntityType};

/// One word: a run of letters and digits, kept whole across an inner apostrophe or hyphen so
/// that "can't", "O'Brien" and "I-95" are single words and "knifed" never contains "knife".
#[derive(Debug, Clone)]
pub(super) struct Token {
    /// Character offset of the first character.
    pub start: usize,
    /// Character offset one past the last character.
    pub end: usize,
    /// The word as written.
    pub text: String,
    /// Lowercase, with typographic apostrophes folded to `'`, for comparing with word lists.
    pub lower: String,
}

/// The characters of a line and its words.
pub(super) struct Text {
    chars: Vec<char>,
    /// The words, in order.
    pub tokens: Vec<Token>,
}

fn is_joiner(c: char) -> bool {
    matches!(c, '\'' | '\u{2019}' | '-')
}

impl Text {
    pub(super) fn new(text: &str) -> Self {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            if !chars[i].is_alphanumeric() {
                i += 1;
                continue;
            }
            let start = i;
            while i < chars.len()
                && (chars[i].is_alphanumeric()
                    || (is_joiner(chars[i])
                        && chars.get(i + 1).is_some_and(|c| c.is_alphanumeric())))
            {
                i += 1;
            }
            let text: String = chars[start..i].iter().collect();
            let lower = text.to_lowercase().replace('\u{2019}', "'");
            tokens.push(Token {
                start,
                end: i,
                text,
                lower,
            });
        }
        Text { chars, tokens }
    }

    /// The number of words.
    pub(super) fn len(&self) -> usize {
        self.tokens.len()
    }

    /// The lowercase form of word `i`, or "" past the end so callers can compare freely.
    pub(super) fn lower(&self, i: usize) -> &str {
        self.tokens.get(i).map_or("", |t| t.lower.as_str())
    }

    /// The characters between word `i - 1` and word `i` (before the first word for `i == 0`).
    pub(super) fn gap_before(&self, i: usize) -> &[char] {
        if i > self.len() {
            return &[];
        }
        let from = if i == 0 { 0 } else { self.tokens[i - 1].end };
        let to = self.tokens.get(i).map_or(self.chars.len(), |t| t.start);
        &self.chars[from..to]
    }

    /// Whether words `i` and `i + 1` both exist and only spaces separate them, i.e. they can be
    /// read as one phrase.
    pub(super) fn joined(&self, i: usize) -> bool {
        i + 1 < self.len()
            && self
                .gap_before(i + 1)
                .iter()
                .all(|c| *c == ' ' || *c == '\t')
    }

    /// Whether words `i` and `i + 1` both exist and the gap between them holds only spaces and
    /// characters accepted by `also`.
    pub(super) fn joined_by(&self, i: usize, also: fn(char) -> bool) -> bool {
        i + 1 < self.len()
            && self
                .gap_before(i + 1)
                .iter()
                .all(|c| c.is_whitespace() || also(*c))
    }

    /// Whether word `i` opens a sentence, where capitals say nothing about names.
    pub(super) fn starts_sentence(&self, i: usize) -> bool {
        i == 0
            || self
                .gap_before(i)
                .iter()
                .any(|c| matches!(c, '.' | '!' | '?' | '\n' | '"' | '\u{201c}'))
    }

    /// Whether word `i` is written with a capital then lowercase letters ("Daniel", "McKay"),
    /// which excludes the pronoun "I" and acronyms such as "SUV".
    pub(super) fn is_capitalised(&self, i: usize) -> bool {
        let Some(token) = self.tokens.get(i) else {
            return false;
        };
        let mut chars = token.text.chars();
        chars.next().is_some_and(char::is_uppercase) && chars.any(char::is_lowercase)
    }

    /// Whether word `i` is all digits.
    pub(super) fn is_number(&self, i: usize) -> bool {
        self.tokens
            .get(i)
            .is_some_and(|t| t.text.chars().all(|c| c.is_ascii_digit()))
    }

    /// An entity covering words `first..=last`.
    pub(super) fn entity(
        &self,
        kind: EntityType,
        first: usize,
        last: usize,
        confidence: f64,
    ) -> Entity {
        let (start, end) = (self.tokens[first].start, self.tokens[last].end);
        Entity {
            entity_type: kind,
            value: self.chars[start..end].iter().collect(),
            start_char: start,
            end_char: end,
            confidence,
        }
    }
}

/// Whether `word` (lowercase) is one of `list`.
pub(super) fn is_in(list: &[&str], word: &str) -> bool {
    list.contains(&word)
}
