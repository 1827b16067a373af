//! Which customer, person or event type a name typed in a command means.
//!
//! People type names the way they say them: "Jane" for Jane Doe, "acme" for
//! "ACME, Inc.", "Müller" as "Muller", "30 min" for the `30min` event type, and
//! now and then "Jnae". So names are compared as normalized words: case,
//! accents and punctuation do not count, company suffixes (Inc, GmbH, Ltd, …)
//! are dropped, and "30 minutes", "30-minute" and "30min" are one word.
//!
//! A name fits a thing [`Fit::Whole`] (every word, in any order), [`Fit::Part`]
//! (some of its words: a first or last name alone) or [`Fit::Typo`] (every
//! typed word within a small edit distance of one of its words). The best fit
//! wins; when several things fit equally well the answer is
//! [`Resolved::Ambiguous`] with all of them, so a command never acts on a
//! guess between two people.

use std::cmp::Reverse;

use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

/// Something a command can name, with every name it answers to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Named<K> {
    /// What the caller gets back when this one is meant.
    pub key: K,
    /// Names matched word by word, in part and with typos ("Jane Doe" answers to "Jane").
    pub names: Vec<String>,
    /// Identifiers matched only whole and exactly, up to case: email addresses and
    /// domains, which a part of would name someone else ("acme" is not jane@acme.com).
    pub identifiers: Vec<String>,
}

/// What a typed name means among some [`Named`] things.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved<K> {
    /// Exactly one thing fits best.
    One(K),
    /// Several fit equally well: the caller must ask which (in the order given).
    Ambiguous(Vec<K>),
    /// Nothing fits.
    NotFound,
}

/// How well a typed name fits one name; a greater fit beats a lesser one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Fit {
    /// Every typed word is one of the name's words give or take a few typos; the
    /// fewer edits, the better.
    Typo(Reverse<usize>),
    /// Every typed word is one of the name's words, but the name has more.
    Part,
    /// The same words, or an identifier exactly.
    Whole,
}

/// Finds what `typed` names among `among`: the best fit, or every thing tied for it.
pub fn resolve<K: Clone>(typed: &str, among: &[Named<K>]) -> Resolved<K> {
    let query = words(typed);
    let identifier = typed.trim().to_lowercase();
    let fits: Vec<(Fit, &K)> = among
        .iter()
        .filter_map(|named| {
            let by_id = named
                .identifiers
                .iter()
                .any(|id| !identifier.is_empty() && id.trim().to_lowercase() == identifier)
                .then_some(Fit::Whole);
            let by_name = named.names.iter().filter_map(|n| fit(&query, &words(n)));
            by_id
                .into_iter()
                .chain(by_name)
                .max()
                .map(|f| (f, &named.key))
        })
        .collect();
    let Some(best) = fits.iter().map(|(f, _)| *f).max() else {
        return Resolved::NotFound;
    };
    let mut keys: Vec<K> = fits
        .into_iter()
        .filter(|(f, _)| *f == best)
        .map(|(_, k)| k.clone())
        .collect();
    match keys.len() {
        1 => Resolved::One(keys.remove(0)),
        _ => Resolved::Ambiguous(keys),
    }
}

/// How `query` fits `name` (both normalized words), if at all.
fn fit(query: &[String], name: &[String]) -> Option<Fit> {
    if query.is_empty() || name.is_empty() {
        return None;
    }
    if query.concat() == name.concat() {
        return Some(Fit::Whole);
    }
    let mut unused: Vec<&str> = name.iter().map(String::as_str).collect();
    let mut misspelt = Vec::new();
    for word in query {
        match unused.iter().position(|n| n == word) {
            Some(i) => {
                unused.remove(i);
            }
            None => misspelt.push(word),
        }
    }
    if misspelt.is_empty() {
        return Some(if unused.is_empty() {
            Fit::Whole
        } else {
            Fit::Part
        });
    }
    let mut edits = 0;
    for word in misspelt {
        let (i, distance) = unused
            .iter()
            .enumerate()
            .map(|(i, n)| (i, strsim::damerau_levenshtein(word, n)))
            .filter(|(_, d)| *d <= tolerance(word))
            .min_by_key(|(_, d)| *d)
            .or_else(|| {
                // The words may be split differently ("JaneDoe", "Acme Corp" as "acmecorp").
                let whole = query.concat();
                let d = strsim::damerau_levenshtein(&whole, &name.concat());
                (d <= tolerance(&whole)).then_some((usize::MAX, d))
            })?;
        if i == usize::MAX {
            return Some(Fit::Typo(Reverse(distance)));
        }
        unused.remove(i);
        edits += distance;
    }
    Some(Fit::Typo(Reverse(edits)))
}

/// The edits a typed word may be away from a name's word: none for short words
/// (Jon, Joe and Jen are different people) or numbers (a 40min meeting is no 30min
/// one), one up to seven letters, two beyond.
fn tolerance(word: &str) -> usize {
    if word.chars().any(|c| c.is_ascii_digit()) {
        return 0;
    }
    match word.chars().count() {
        0..=3 => 0,
        4..=7 => 1,
        _ => 2,
    }
}

/// Company suffixes that are not part of what people call a company.
const COMPANY_SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "llp",
    "lp",
    "plc",
    "gmbh",
    "mbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "sarl",
    "srl",
    "spa",
    "bv",
    "nv",
    "oy",
    "ab",
    "pty",
];

/// A name as comparable words: lower case, accents and punctuation gone, lengths
/// written one way (`30min`, `60min` for an hour), company suffixes dropped.
pub fn words(name: &str) -> Vec<String> {
    let mut plain = String::with_capacity(name.len());
    for c in name.nfd().filter(|c| !is_combining_mark(*c)) {
        match c {
            // Inside a word: O'Brien is obrien, S.A. is sa.
            '\'' | '’' | '`' | '.' => {}
            'ß' => plain.push_str("ss"),
            'æ' | 'Æ' => plain.push_str("ae"),
            'œ' | 'Œ' => plain.push_str("oe"),
            'ø' | 'Ø' => plain.push('o'),
            'ł' | 'Ł' => plain.push('l'),
            'đ' | 'Đ' | 'ð' | 'Ð' => plain.push('d'),
            'þ' | 'Þ' => plain.push_str("th"),
            'ı' => plain.push('i'),
            c if c.is_alphanumeric() => plain.extend(c.to_lowercase()),
            _ => plain.push(' '),
        }
    }
    let mut out: Vec<String> = Vec::new();
    for word in plain.split_whitespace() {
        match (
            out.last().and_then(|w| w.parse::<u32>().ok()),
            minutes_per(word),
        ) {
            (Some(n), Some(per)) => {
                out.pop();
                out.push(format!("{}min", n.saturating_mul(per)));
            }
            _ => out.push(length(word).unwrap_or_else(|| word.to_string())),
        }
    }
    while out.len() > 1
        && out
            .last()
            .is_some_and(|w| COMPANY_SUFFIXES.contains(&w.as_str()))
    {
        out.pop();
    }
    out
}

/// Minutes in one `unit` ("min", "minutes", "h", "hours", …).
fn minutes_per(unit: &str) -> Option<u32> {
    match unit {
        "min" | "mins" | "minute" | "minutes" => Some(1),
        "h" | "hr" | "hrs" | "hour" | "hours" => Some(60),
        _ => None,
    }
}

/// A length written as one word (`30mins`, `1h`) the one way: `30min`, `60min`.
fn length(word: &str) -> Option<String> {
    let digits = word.find(|c: char| !c.is_ascii_digit())?;
    let n: u32 = word[..digits].parse().ok()?;
    let per = minutes_per(&word[digits..])?;
    Some(format!("{}min", n.saturating_mul(per)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn named(key: &'static str, names: &[&str], identifiers: &[&str]) -> Named<&'static str> {
        Named {
            key,
            names: names.iter().map(|n| n.to_string()).collect(),
            identifiers: identifiers.iter().map(|i| i.to_string()).collect(),
        }
    }

    #[test]
    fn names_become_plain_words() {
        #[rustfmt::skip]
        let cases: &[(&str, &[&str])] = &[
            ("Jane Doe", &["jane", "doe"]),
            ("  JANE   doe ", &["jane", "doe"]),
            ("José Müller-Lüdenscheidt", &["jose", "muller", "ludenscheidt"]),
            ("Søren Łukasz Straße", &["soren", "lukasz", "strasse"]),
            ("O'Brien", &["obrien"]),
            ("ACME, Inc.", &["acme"]),
            ("Acme Corp", &["acme"]),
            ("Müller GmbH & Co. KG", &["muller"]),
            ("Initech S.A.", &["initech"]),
            ("Inc", &["inc"]),
            ("30min", &["30min"]),
            ("30 min", &["30min"]),
            ("30-minute", &["30min"]),
            ("30 Minutes", &["30min"]),
            ("30mins", &["30min"]),
            ("1 hour", &["60min"]),
            ("1h", &["60min"]),
            ("30 Minute Meeting", &["30min", "meeting"]),
            ("jane@acme.com", &["jane", "acmecom"]),
            ("", &[]),
            ("?!", &[]),
        ];
        for (name, expected) in cases {
            assert_eq!(words(name), *expected, "{name}");
        }
    }

    #[test]
    fn the_best_fit_wins_and_ties_are_ambiguous() {
        let people = [
            named("jane-doe", &["Jane Doe"], &["jane@acme.com"]),
            named("jane-roe", &["Jane Roe"], &["jane.roe@globex.com"]),
            named("bob", &["Bob Smith"], &["bob@acme.com"]),
            named("jose", &["José Núñez"], &[]),
            named("sean", &["Seán O'Brien"], &[]),
            named("janet", &["Janet Smith"], &[]),
        ];
        use Resolved::*;
        #[rustfmt::skip]
        let cases: &[(&str, Resolved<&str>)] = &[
            ("Jane Doe", One("jane-doe")),
            ("jane doe", One("jane-doe")),
            ("Doe, Jane", One("jane-doe")),
            ("JANE DOE.", One("jane-doe")),
            ("Doe", One("jane-doe")),
            ("Roe", One("jane-roe")),
            ("Jane", Ambiguous(vec!["jane-doe", "jane-roe"])),
            ("jane@acme.com", One("jane-doe")),
            ("JANE@ACME.COM", One("jane-doe")),
            ("Jnae Doe", One("jane-doe")),
            ("Jane Deo", One("jane-doe")),
            ("JaneDoe", One("jane-doe")),
            ("Janet", One("janet")),
            ("Smith", Ambiguous(vec!["bob", "janet"])),
            ("Bob", One("bob")),
            ("Rob", NotFound),
            ("Jose Nunez", One("jose")),
            ("jose", One("jose")),
            ("Sean OBrien", One("sean")),
            ("obrien", One("sean")),
            ("Jane Doe Smith", NotFound),
            ("acme", NotFound),
            ("acme.com", NotFound),
            ("Zed", NotFound),
            ("", NotFound),
        ];
        for (typed, expected) in cases {
            assert_eq!(&resolve(typed, &people), expected, "{typed}");
        }
    }

    #[test]
    fn exact_beats_part_beats_typo() {
        let customers = [
            named("acme", &["ACME, Inc."], &["acme.com", "acme.io"]),
            named("acme-labs", &["Acme Labs"], &["acmelabs.com"]),
            named("globex", &["Globex Corporation"], &["globex.com"]),
            named("initech", &["Initech"], &[]),
            named("initrode", &["Initrode"], &[]),
        ];
        use Resolved::*;
        #[rustfmt::skip]
        let cases: &[(&str, Resolved<&str>)] = &[
            ("Acme", One("acme")),
            ("acme inc", One("acme")),
            ("Acme GmbH", One("acme")),
            ("acme.io", One("acme")),
            ("Labs", One("acme-labs")),
            ("Acme Labs", One("acme-labs")),
            ("Globex", One("globex")),
            ("globex corp", One("globex")),
            ("Globx", One("globex")),
            ("Initech", One("initech")),
            ("Initeck", One("initech")),
            ("Initrod", One("initrode")),
            ("Inittech", One("initech")),
            ("Intech", One("initech")),
            ("Umbrella", NotFound),
        ];
        for (typed, expected) in cases {
            assert_eq!(&resolve(typed, &customers), expected, "{typed}");
        }
    }

    #[test]
    fn event_types_answer_to_their_length_in_any_spelling() {
        let types = [
            named("30min", &["30min", "30 Minute Meeting"], &[]),
            named("60min", &["60min", "60 Minute Meeting"], &[]),
            named("intro", &["intro-call", "Intro call"], &[]),
        ];
        use Resolved::*;
        #[rustfmt::skip]
        let cases: &[(&str, Resolved<&str>)] = &[
            ("30min", One("30min")),
            ("30 min", One("30min")),
            ("30-minute", One("30min")),
            ("30 minute meeting", One("30min")),
            ("1 hour", One("60min")),
            ("60 minutes", One("60min")),
            ("intro", One("intro")),
            ("Intro Call", One("intro")),
            ("meeting", Ambiguous(vec!["30min", "60min"])),
            ("45min", NotFound),
            ("40min", NotFound),
        ];
        for (typed, expected) in cases {
            assert_eq!(&resolve(typed, &types), expected, "{typed}");
        }
    }
}
