//! What keeps a typo from becoming a silent word search (SPEC 5: "a term
//! that looks like one of these but is not is an error that says what was
//! meant").
//!
//! A term that is about to be taken as a word is checked here first:
//!
//! * `NAME:…` where NAME is a keyword in the wrong case (`Type:x`) or one
//!   or two edits away from one (`typ:x`, `sorce:x`, `verifed:false`) is an
//!   error suggesting the keyword. A NAME far from every keyword stays a
//!   word (`http://x`, `error:timeout`).
//! * `name OP value` without the leading `.` (`amount>5`, `status=failed`)
//!   is an error suggesting `.amount>5`.
//! * `drift` with a value (`drift:x`, `drift=1`) or in capitals is an error
//!   saying it is written `drift` or `-drift`.
//! * `Time>…`, `Received>…` (capitals) and `time:…`, `received:…` (a colon
//!   instead of an operator) are errors saying how the time terms are
//!   written.
//!
//! A quoted term is never checked: `"typ:x"`, `"a=b"` and `"drift"` are
//! words.

use super::parse::Unit::{self, Plain};

/// Keywords written `NAME:VALUE`.
const COLON_KEYWORDS: [&str; 7] = ["type", "source", "verified", "forward", "since", "until", "drift"];
/// Keywords written `NAME OP VALUE`.
const OP_KEYWORDS: [&str; 3] = ["attempt", "time", "received"];
/// What `drift` with a value, or in capitals, says.
const DRIFT_ALONE: &str = "`drift` takes no value: write `drift` (events that failed their contract) \
     or `-drift`; to search for the word, quote it: `\"drift\"`";

/// Check a term that would otherwise be a word. `units` follow any leading
/// `-`; `written` is the same part of the term as the user wrote it.
pub(super) fn check_word(units: &[Unit], written: &str) -> Result<(), String> {
    if units.iter().all(|u| matches!(u, Plain(_))) && written.eq_ignore_ascii_case("drift") {
        // `drift` itself is a term (parse.rs); this is `Drift`, `DRIFT`.
        return Err("keywords are lower-case: did you mean `drift`?".to_owned());
    }
    let head: String = units
        .iter()
        .map_while(|u| match u {
            Plain(c) if c.is_ascii_alphanumeric() || *c == '_' || *c == '.' || *c == '[' || *c == ']' => {
                Some(*c)
            }
            _ => None,
        })
        .collect();
    let next = units.get(head.chars().count());
    let starts_alpha = head.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_');
    if !starts_alpha {
        return Ok(());
    }
    let lower = head.to_ascii_lowercase();
    if next == Some(&Plain(':')) {
        return colon_prefix(&head, &lower);
    }
    if is_operator_at(&units[head.chars().count()..]) {
        if OP_KEYWORDS.contains(&lower.as_str()) {
            // `attempt`, `time` and `received` themselves are terms
            // (parse.rs): this is `Attempt>1`, `TIME>14:05`.
            return Err(format!("keywords are lower-case: did you mean `{lower}`?"));
        }
        if lower == "drift" {
            return Err(DRIFT_ALONE.to_owned());
        }
        if COLON_KEYWORDS.contains(&lower.as_str()) {
            return Err(format!(
                "did you mean the keyword `{lower}:…`, or the field `.{written}`?"
            ));
        }
        // `recived>=14:05`, `tme<14:05`: a time or attempt keyword misspelt.
        if let Some(k) = nearest(&lower).filter(|k| OP_KEYWORDS.contains(k)) {
            let rest = written.get(head.len()..).unwrap_or("");
            return Err(format!(
                "did you mean the keyword `{k}{rest}`, or the field `.{written}`?"
            ));
        }
        return Err(format!(
            "a comparison needs a `.path`: did you mean `.{written}`?"
        ));
    }
    Ok(())
}

/// `NAME:` at the start of a word: a keyword misspelt or in the wrong case
/// is an error; anything else is fine.
fn colon_prefix(head: &str, lower: &str) -> Result<(), String> {
    if lower == "drift" {
        return Err(DRIFT_ALONE.to_owned());
    }
    if COLON_KEYWORDS.contains(&lower) {
        return Err(format!("keywords are lower-case: did you mean `{lower}:`?"));
    }
    if lower == "attempt" {
        return Err(
            "`attempt` takes an operator, not `:`: did you mean `attempt=N` or `attempt>N`?".to_owned(),
        );
    }
    if lower == "time" || lower == "received" {
        return Err(format!(
            "`{lower}` takes an operator, not `:`: did you mean `{lower}>=14:05` or `{lower}<2026-12-02T14:05:00Z`?"
        ));
    }
    let Some(keyword) = nearest(lower) else {
        return Ok(());
    };
    let suggestion = if OP_KEYWORDS.contains(&keyword) {
        format!("`{keyword}` (written `{keyword}>…`)")
    } else {
        format!("`{keyword}:`")
    };
    Err(format!("unknown prefix `{head}:` — did you mean {suggestion}?"))
}

/// Whether `units` start with a comparison operator (a lone `!` is not one).
fn is_operator_at(units: &[Unit]) -> bool {
    match units {
        [Plain('!'), Plain('='), ..] => true,
        [Plain(c), ..] => matches!(c, '=' | '<' | '>' | '~'),
        _ => false,
    }
}

/// The keyword `name` is most likely a misspelling of: within one edit for
/// names of up to four letters, two for longer ones (a transposition
/// counts as one edit).
fn nearest(name: &str) -> Option<&'static str> {
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    COLON_KEYWORDS
        .iter()
        .chain(&OP_KEYWORDS)
        .map(|k| (edit_distance(name, k), *k))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| k)
}

/// The word of `words` that `name` is most likely a misspelling of, by
/// the same rule as the filter's keywords (one edit for up to four
/// letters, two for longer; a transposition is one edit): config errors
/// use it to suggest a source name.
pub fn nearest_word<'a>(name: &str, words: &[&'a str]) -> Option<&'a str> {
    let limit = if name.chars().count() <= 4 { 1 } else { 2 };
    words
        .iter()
        .map(|w| (edit_distance(name, w), *w))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, _)| *d)
        .map(|(_, w)| w)
}

/// Optimal string alignment distance: insertions, deletions, substitutions
/// and transpositions of adjacent characters, each one edit.
pub(super) fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut d = vec![vec![0usize; b.len() + 1]; a.len() + 1];
    for (i, row) in d.iter_mut().enumerate() {
        row[0] = i;
    }
    d[0] = (0..=b.len()).collect();
    for i in 1..=a.len() {
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut best = (d[i - 1][j] + 1).min(d[i][j - 1] + 1).min(d[i - 1][j - 1] + cost);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                best = best.min(d[i - 2][j - 2] + 1);
            }
            d[i][j] = best;
        }
    }
    d[a.len()][b.len()]
}
