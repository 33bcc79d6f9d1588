//! Did-you-mean: the declared name closest to one that is not declared.
//!
//! A name is compared with each candidate after folding letters of other scripts that
//! look Latin (Cyrillic `а`, Greek `Κ`) and lowercasing, by normalized
//! Damerau–Levenshtein similarity; the best candidate above 0.6 is suggested. The
//! work is bounded so a check run stays linear in its input however hostile: a
//! length window skips candidates that cannot score, names longer than
//! `MAX_COMPARED_CHARS` get only an exact match, and one run spends at most
//! `SUGGESTION_BUDGET` comparisons. Suggestions are a courtesy, never a result: a
//! name past the budget is still reported, only without one.

use std::cell::Cell;

/// The most candidates one check run looks at for suggestions. A comparison costs at
/// most one Damerau–Levenshtein distance between a name of `MAX_COMPARED_CHARS` and
/// a candidate of fewer than 5/3 as many characters (the length window): measured at
/// 16 µs for two names of 64 characters in a release build, so 50,000 of them take
/// about a second in the worst case (20,000 unknown names of 64 characters, each
/// against 20,000 candidates inside its window: `check` takes 0.9–1.2 s). A model of
/// 1,000 declared names still gets suggestions for its first 50 unknown names, one
/// of 200 for its first 250.
pub const SUGGESTION_BUDGET: u64 = 50_000;

/// Names longer than this are matched only exactly, ignoring case and look-alikes:
/// the distance is quadratic in the length, and no one mistypes a 65-character name
/// into another one by a few edits. Far longer than any name in the shipped models.
pub const MAX_COMPARED_CHARS: usize = 64;

/// Similarity a candidate must exceed to be suggested: one edit in a five-letter
/// name, two in a six-letter one (two edits in five letters would offer `CaM` for
/// `CaCaM`).
const THRESHOLD: f64 = 0.6;

/// A check run's suggestions, with what they have cost so far.
#[derive(Debug, Default)]
pub struct Suggestions {
    spent: Cell<u64>,
}

impl Suggestions {
    pub fn new() -> Suggestions {
        Suggestions::default()
    }

    /// The comparisons spent so far; never more than `SUGGESTION_BUDGET`.
    pub fn spent(&self) -> u64 {
        self.spent.get()
    }

    /// The candidate closest to `name`, if one is close enough and the budget still
    /// covers every candidate. A name is searched in full or not at all, so what is
    /// suggested never depends on the order the candidates come in.
    pub fn suggest<'a>(
        &self,
        name: &str,
        candidates: impl ExactSizeIterator<Item = &'a str>,
    ) -> Option<String> {
        let spent = self.spent.get();
        let count = candidates.len() as u64;
        if spent.saturating_add(count) > SUGGESTION_BUDGET {
            return None;
        }
        let (best, comparisons) = closest(name, candidates);
        self.spent.set(spent + comparisons);
        best
    }
}

/// The closest candidate to `name` and how many candidates were compared (every one
/// given: each is looked at once, most only for their length). Ties go to the
/// candidate first in byte order, so any order of the candidates gives one answer.
pub fn closest<'a>(name: &str, candidates: impl Iterator<Item = &'a str>) -> (Option<String>, u64) {
    let key = fold(name);
    let n = key.chars().count();
    let fuzzy = n <= MAX_COMPARED_CHARS;
    // Normalized Damerau–Levenshtein is 1 − d / max(n, m) for lengths n and m, and
    // d ≥ |n − m|, so a score above 0.6 needs |n − m| < 0.4 · max(n, m): m > 0.6 n
    // and m < n / 0.6, in integers 5m > 3n and 3m < 5n. Candidates outside that
    // window cannot score, so skipping them changes no suggestion. An exact match
    // has m = n. A folded name has at least as many characters as its bytes / 4.
    let most_chars = if fuzzy { (5 * n).div_ceil(3) } else { n };
    let mut best: Option<(f64, &str)> = None;
    let mut comparisons = 0;
    for c in candidates {
        comparisons += 1;
        if c.len() > 4 * most_chars {
            continue;
        }
        let other = fold(c);
        let score = if other == key {
            2.0
        } else if fuzzy {
            let m = other.chars().count();
            if 5 * m <= 3 * n || 3 * m >= 5 * n {
                continue;
            }
            strsim::normalized_damerau_levenshtein(&key, &other)
        } else {
            continue;
        };
        let better = match best {
            None => true,
            Some((s, b)) => score > s || (score == s && c < b),
        };
        if score > THRESHOLD && better {
            best = Some((score, c));
        }
    }
    (best.map(|(_, c)| c.to_string()), comparisons)
}

/// What a name is compared as: look-alike letters of other scripts replaced by the
/// Latin letters they imitate, then lowercased (in that order: Greek `Κ` lowercases
/// to `κ`, which imitates nothing).
fn fold(name: &str) -> String {
    name.chars()
        .map(|c| latin_look_alike(c).unwrap_or(c))
        .flat_map(char::to_lowercase)
        .collect()
}

/// Cyrillic and Greek letters drawn the same as a Latin letter in common fonts, after
/// Unicode's confusables (UTS #39) restricted to single letters that look like Latin
/// ones. Names may hold Greek letters (`RARα`), so these only steer suggestions.
const LOOK_ALIKES: &[(char, char)] = &[
    // Greek capitals, then the two small letters that pass for Latin ones.
    ('Α', 'A'),
    ('Β', 'B'),
    ('Ε', 'E'),
    ('Ζ', 'Z'),
    ('Η', 'H'),
    ('Ι', 'I'),
    ('Κ', 'K'),
    ('Μ', 'M'),
    ('Ν', 'N'),
    ('Ο', 'O'),
    ('Ρ', 'P'),
    ('Τ', 'T'),
    ('Υ', 'Y'),
    ('Χ', 'X'),
    ('ν', 'v'),
    ('ο', 'o'),
    // Cyrillic capitals, then small letters.
    ('Ѕ', 'S'),
    ('І', 'I'),
    ('Ј', 'J'),
    ('А', 'A'),
    ('В', 'B'),
    ('Е', 'E'),
    ('К', 'K'),
    ('М', 'M'),
    ('Н', 'H'),
    ('О', 'O'),
    ('Р', 'P'),
    ('С', 'C'),
    ('Т', 'T'),
    ('Х', 'X'),
    ('а', 'a'),
    ('е', 'e'),
    ('о', 'o'),
    ('р', 'p'),
    ('с', 'c'),
    ('у', 'y'),
    ('х', 'x'),
    ('ѕ', 's'),
    ('і', 'i'),
    ('ј', 'j'),
    ('ԁ', 'd'),
    ('ԛ', 'q'),
    ('ԝ', 'w'),
];

/// The Latin letter `c` imitates, if it is a look-alike from another script.
pub fn latin_look_alike(c: char) -> Option<char> {
    if c.is_ascii() {
        return None;
    }
    LOOK_ALIKES
        .iter()
        .find(|&&(from, _)| from == c)
        .map(|&(_, to)| to)
}

/// The letters of `written` that are look-alikes of the Latin letters at the same
/// places in `suggested`, when those are all that tell the two apart; for the help
/// to say "`а` here is Cyrillic". Empty when the names differ otherwise too.
pub fn look_alikes_in(written: &str, suggested: &str) -> Vec<char> {
    let (w, s): (Vec<char>, Vec<char>) = (written.chars().collect(), suggested.chars().collect());
    if w.len() != s.len() {
        return Vec::new();
    }
    let mut found = Vec::new();
    for (&a, &b) in w.iter().zip(&s) {
        if a == b {
            continue;
        }
        match latin_look_alike(a) {
            Some(l) if l == b => found.push(a),
            _ => return Vec::new(),
        }
    }
    found
}

/// The script a look-alike letter comes from, for the help.
pub fn script(c: char) -> &'static str {
    match c as u32 {
        0x0370..=0x03FF => "Greek",
        0x0400..=0x052F => "Cyrillic",
        _ => "another script",
    }
}
