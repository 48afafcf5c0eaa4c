//! NATS subjects: checking the configured one, the event type a message's
//! subject gives (`type_from = "subject"`), and type pushdown — the subject
//! filter(s) a JetStream consumer can use so that the server sends only
//! what the initial filter's `type:` terms may show (SPEC 9.1).
//!
//! Pushdown must never ask for less than what is shown. Two properties of
//! the filter's globs make that stricter than it looks:
//!
//! - a glob's `*` is any run of characters, dots included: `type:paid.*`
//!   matches `paid.card.visa`, so it becomes `paid.>`, never `paid.*`; a
//!   `*` (or `?`) anywhere but as the whole last token makes the rest of the
//!   glob `>`;
//! - globs match case-insensitively while subjects are case-sensitive: a
//!   literal token can be pushed only when no character of it has case
//!   (`2026`, `eu_1`, `v-2` — digits, `_`, `-`); `paid` cannot, since
//!   `orders.PAID.x` would be shown but not sent. From the first such token
//!   on, the rest is `>`.
//!
//! What is left is intersected with the configured subject token by token.
//! The result is a superset of what the filter shows by construction; the
//! property test at the bottom checks it on random subjects and globs.

use crate::filter::GlobPart;

/// A subject or subject filter is well formed: non-empty tokens without
/// whitespace, `*` and `>` only as whole tokens, `>` only last.
pub fn check(subject: &str) -> Result<(), String> {
    if subject.is_empty() {
        return Err("must not be empty".into());
    }
    let tokens: Vec<&str> = subject.split('.').collect();
    for (i, token) in tokens.iter().enumerate() {
        if token.is_empty() {
            return Err(format!(
                "{subject:?} has an empty token (`..`, or a leading or trailing `.`)"
            ));
        }
        if token.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(format!("{subject:?} contains whitespace"));
        }
        if *token != "*" && *token != ">" && token.contains(['*', '>']) {
            return Err(format!(
                "{subject:?}: `*` and `>` are wildcards only as a whole token (`orders.*`, `orders.>`)"
            ));
        }
        if *token == ">" && i + 1 != tokens.len() {
            return Err(format!("{subject:?}: `>` may only be the last token"));
        }
    }
    Ok(())
}

/// How many leading tokens of the configured subject are fixed (before its
/// first wildcard); `None` when it has no wildcard.
pub fn fixed_tokens(subject: &str) -> Option<usize> {
    subject.split('.').position(|t| t == "*" || t == ">")
}

/// The event type of a message on `msg` received through the configured
/// `subject`: the tokens after the subject's fixed leading tokens
/// (`orders.>`: `orders.paid.card` → `paid.card`), or the whole subject
/// when the configured one has no wildcard.
pub fn type_of(fixed: Option<usize>, msg: &str) -> String {
    let Some(n) = fixed else {
        return msg.to_owned();
    };
    let mut rest = msg;
    for _ in 0..n {
        match rest.split_once('.') {
            Some((_, after)) => rest = after,
            None => return msg.to_owned(),
        }
    }
    rest.to_owned()
}

/// The subject filters a consumer of `subject` can use so that it receives
/// every message whose type (see [`type_of`]) one of `globs` matches — a
/// superset of what the filter shows; `None` when nothing narrower than
/// `subject` itself can be said (no wildcard in `subject`, a glob that
/// constrains nothing NATS can express, filters that would overlap).
pub fn pushdown(subject: &str, globs: &[&[GlobPart]]) -> Option<Vec<String>> {
    let fixed = fixed_tokens(subject)?;
    let configured: Vec<&str> = subject.split('.').collect();
    let mut out: Vec<Vec<String>> = Vec::new();
    for glob in globs {
        let mut wanted: Vec<String> = configured[..fixed].iter().map(|t| t.to_string()).collect();
        wanted.extend(glob_tokens(glob)?);
        let Some(narrow) = intersect(&configured, &wanted) else {
            continue; // this glob can match nothing here
        };
        out.push(narrow);
    }
    // Drop filters another one covers; filters that overlap otherwise
    // cannot be given together (the server refuses them).
    let mut kept: Vec<Vec<String>> = Vec::new();
    for (i, f) in out.iter().enumerate() {
        let covered = out
            .iter()
            .enumerate()
            .any(|(j, g)| j != i && covers(g, f) && (!covers(f, g) || j < i));
        if !covered {
            kept.push(f.clone());
        }
    }
    for (i, a) in kept.iter().enumerate() {
        if kept[i + 1..].iter().any(|b| intersect_strs(a, b).is_some()) {
            return None;
        }
    }
    let subjects: Vec<String> = kept.iter().map(|t| t.join(".")).collect();
    // Every glob matching nothing here (or one filter equal to the
    // configured subject) is not a narrowing worth a consumer change.
    if subjects.is_empty() || subjects == [subject] {
        return None;
    }
    Some(subjects)
}

/// A type glob as subject tokens that match (at least) every type it
/// matches: literal caseless tokens, then `>` from the first token that is
/// not one. `None` when the glob can match no valid subject's type (an
/// empty token) — nothing is pushed then, to stay simple and safe.
fn glob_tokens(glob: &[GlobPart]) -> Option<Vec<String>> {
    // The pieces, split into tokens at literal dots.
    let mut tokens: Vec<Vec<GlobPart>> = vec![Vec::new()];
    for part in glob {
        match part {
            GlobPart::Text(t) => {
                for (i, piece) in t.split('.').enumerate() {
                    if i > 0 {
                        tokens.push(Vec::new());
                    }
                    if let Some(token) = tokens.last_mut().filter(|_| !piece.is_empty()) {
                        token.push(GlobPart::Text(piece.to_owned()));
                    }
                }
            }
            wildcard => tokens.last_mut()?.push(wildcard.clone()),
        }
    }
    let mut out = Vec::new();
    for token in &tokens {
        match token.as_slice() {
            [] => return None,
            [GlobPart::Text(t)] if pushable(t) => out.push(t.clone()),
            // A wildcard, a cased letter: this token and all after it may
            // be anything (a last `*` is exactly `>`: a type has no empty
            // token).
            _ => {
                out.push(">".into());
                return Some(out);
            }
        }
    }
    Some(out)
}

/// A literal token NATS matches exactly as the case-insensitive glob does:
/// no character with case, nothing a subject cannot hold or would read as
/// a wildcard.
fn pushable(token: &str) -> bool {
    token.chars().all(|c| {
        !c.is_whitespace()
            && !c.is_control()
            && c != '*'
            && c != '>'
            && c.to_lowercase().eq([c])
            && c.to_uppercase().eq([c])
    })
}

/// The subject filter matching exactly what both `a` and `b` match, or
/// `None` when they share no subject.
fn intersect(a: &[&str], b: &[String]) -> Option<Vec<String>> {
    let b: Vec<&str> = b.iter().map(String::as_str).collect();
    intersect_strs(a, &b)
}

fn intersect_strs<A: AsRef<str>, B: AsRef<str>>(a: &[A], b: &[B]) -> Option<Vec<String>> {
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match (a.get(i).map(AsRef::as_ref), b.get(i).map(AsRef::as_ref)) {
            (None, None) => return Some(out),
            (None, Some(_)) | (Some(_), None) => return None,
            (Some(">"), Some(_)) => {
                out.extend(b[i..].iter().map(|t| t.as_ref().to_owned()));
                return Some(out);
            }
            (Some(_), Some(">")) => {
                out.extend(a[i..].iter().map(|t| t.as_ref().to_owned()));
                return Some(out);
            }
            (Some("*"), Some(t)) | (Some(t), Some("*")) => out.push(t.to_owned()),
            (Some(x), Some(y)) if x == y => out.push(x.to_owned()),
            _ => return None,
        }
        i += 1;
    }
}

/// Whether filter `wide` matches every subject filter `narrow` matches.
fn covers(wide: &[String], narrow: &[String]) -> bool {
    for (i, w) in wide.iter().enumerate() {
        let Some(n) = narrow.get(i) else { return false };
        match (w.as_str(), n.as_str()) {
            (">", _) => return true,
            (_, ">") => return false,
            ("*", _) => {}
            (w, n) if w == n => {}
            _ => return false,
        }
    }
    wide.len() == narrow.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::Filter;

    /// Whether subject filter `pattern` matches the subject `subject`.
    fn matches(pattern: &str, subject: &str) -> bool {
        let p: Vec<&str> = pattern.split('.').collect();
        let s: Vec<&str> = subject.split('.').collect();
        for (i, t) in p.iter().enumerate() {
            match (*t, s.get(i)) {
                (">", Some(_)) => return true,
                (_, None) => return false,
                ("*", Some(_)) => {}
                (t, Some(x)) if t == *x => {}
                _ => return false,
            }
        }
        p.len() == s.len()
    }

    fn push(subject: &str, filter: &str) -> Option<Vec<String>> {
        let f = Filter::parse(filter).unwrap();
        pushdown(subject, &f.required_types()?)
    }

    /// A type the glob matches: `*` filled with zero to two tokens' worth
    /// of text, `?` with one character, letters in random case.
    fn instance(rng: &mut fastrand::Rng, glob: &str, tokens: &[&str]) -> String {
        let mut out = String::new();
        for c in glob.chars() {
            match c {
                '*' => {
                    let n = rng.usize(0..3);
                    let fill: Vec<&str> = (0..n).map(|_| tokens[rng.usize(..tokens.len())]).collect();
                    out.push_str(&fill.join("."));
                }
                '?' => out.push(['a', 'Z', '1'][rng.usize(..3)]),
                c if rng.bool() => out.extend(c.to_uppercase()),
                c => out.extend(c.to_lowercase()),
            }
        }
        out
    }

    #[test]
    fn subjects_are_checked() {
        assert!(check("orders.>").is_ok() && check("a.*.c").is_ok() && check("a").is_ok());
        for bad in ["", "a..b", ".a", "a.", "a.>.b", "a.b*", "a b", "a.>x"] {
            assert!(check(bad).is_err(), "{bad:?}");
        }
        assert!(check("a.>.b").unwrap_err().contains("last token"));
    }

    #[test]
    fn types_are_the_tokens_after_the_fixed_ones() {
        let t = |subject: &str, msg: &str| type_of(fixed_tokens(subject), msg);
        assert_eq!(t("orders.>", "orders.paid.card"), "paid.card");
        assert_eq!(t("orders.*.eu", "orders.paid.eu"), "paid.eu");
        assert_eq!(t("*.created", "user.created"), "user.created");
        assert_eq!(t("orders.paid", "orders.paid"), "orders.paid");
        assert_eq!(t(">", "a.b"), "a.b");
    }

    #[test]
    fn pushdown_examples() {
        let s = |v: &[&str]| Some(v.iter().map(|x| x.to_string()).collect::<Vec<_>>());
        assert_eq!(push("orders.>", "type:2026.*"), s(&["orders.2026.>"]));
        assert_eq!(push("orders.>", "type:1.2"), s(&["orders.1.2"]));
        assert_eq!(
            push("orders.>", "type:1.* type:2.*"),
            s(&["orders.1.>", "orders.2.>"])
        );
        // `*` spans dots: a middle `*` makes the rest `>`.
        assert_eq!(push("orders.>", "type:1.*.3"), s(&["orders.1.>"]));
        // Intersected with the configured subject's own wildcards.
        assert_eq!(push("orders.*.eu.>", "type:7.*"), s(&["orders.7.eu.>"]));
        assert_eq!(push("orders.*", "type:7"), s(&["orders.7"]));
        // One filter covering another: only the wider one.
        assert_eq!(push("o.>", "type:1.* type:1.2"), s(&["o.1.>"]));
        // Nothing NATS can say exactly, or nothing narrower.
        assert_eq!(push("orders.>", "type:pa*"), None);
        assert_eq!(
            push("orders.>", "type:paid.*"),
            None,
            "globs ignore case, subjects do not"
        );
        assert_eq!(push("orders.>", "type:* type:1"), None);
        assert_eq!(push("orders.>", "-type:1"), None);
        assert_eq!(push("orders.>", ""), None);
        assert_eq!(
            push("orders.paid", "type:1"),
            None,
            "no wildcard: nothing to narrow"
        );
        assert_eq!(push("orders.>", "type:1..2"), None);
        // Negated and other terms leave the positive group as it is.
        assert_eq!(push("orders.>", "type:1.* -type:1.2 .a=1"), s(&["orders.1.>"]));
        // Quoted wildcards are literal text NATS would read as wildcards.
        assert_eq!(push("orders.>", "type:1.\"*\""), s(&["orders.1.>"]));
    }

    /// For random configured subjects, type globs and message subjects:
    /// every message whose type the filter shows is one the pushed-down
    /// subject filters let through.
    #[test]
    fn pushdown_never_narrows_what_is_shown() {
        let mut rng = fastrand::Rng::with_seed(91);
        let tokens = ["a", "A", "1", "2", "x_1", "é", "É", "7-9", "0"];
        let configured = ["o.>", "o.*", "o.*.1.>", "o.a.>", "*.>", ">", "o.*.*"];
        let (mut pushed, mut shown) = (0, 0);
        for _ in 0..6_000 {
            let subject = configured[rng.usize(..configured.len())];
            // Mostly dot-separated tokens (so that pushdown happens),
            // sometimes any mix of pieces.
            let piece = |rng: &mut fastrand::Rng| match rng.usize(..10) {
                0 | 1 => "*".to_owned(),
                2 => "?".to_owned(),
                3 => format!("{}*", tokens[rng.usize(..tokens.len())]),
                _ => tokens[rng.usize(..tokens.len())].to_owned(),
            };
            let glob: String = if rng.usize(..4) == 0 {
                (0..rng.usize(1..7))
                    .map(|_| {
                        if rng.usize(..4) == 0 {
                            ".".to_owned()
                        } else {
                            piece(&mut rng)
                        }
                    })
                    .collect()
            } else {
                let n = rng.usize(1..4);
                (0..n).map(|_| piece(&mut rng)).collect::<Vec<_>>().join(".")
            };
            let globs = if rng.bool() {
                format!("type:{glob}")
            } else {
                format!("type:{glob} type:{}", tokens[rng.usize(..tokens.len())])
            };
            let Ok(filter) = Filter::parse(&globs) else {
                continue;
            };
            let Some(types) = filter.required_types() else {
                continue;
            };
            let Some(filters) = pushdown(subject, &types) else {
                continue;
            };
            pushed += 1;
            for f in &filters {
                check(f).unwrap_or_else(|e| panic!("{subject} {globs}: {e}"));
                assert!(
                    filters
                        .iter()
                        .filter(|g| *g != f)
                        .all(|g| !matches(g, f) && !matches(f, g)),
                    "{filters:?} overlap"
                );
            }
            // Messages of random types, and of types made to match the
            // glob (wildcards filled in, letters in either case).
            let prefix: Vec<&str> = subject
                .split('.')
                .take(fixed_tokens(subject).unwrap_or(0))
                .collect();
            for k in 0..40 {
                let ty = if k % 2 == 0 {
                    let n = rng.usize(1..5);
                    (0..n)
                        .map(|_| tokens[rng.usize(..tokens.len())])
                        .collect::<Vec<_>>()
                        .join(".")
                } else {
                    instance(&mut rng, &glob, &tokens)
                };
                let msg = prefix
                    .iter()
                    .copied()
                    .chain([ty.as_str()])
                    .collect::<Vec<_>>()
                    .join(".");
                if check(&msg).is_err() || !matches(subject, &msg) {
                    continue;
                }
                let ty = type_of(fixed_tokens(subject), &msg);
                if filter.matches_type_source(&ty, "s") == Some(true) {
                    shown += 1;
                    assert!(
                        filters.iter().any(|f| matches(f, &msg)),
                        "{subject} with {globs}: {msg} (type {ty}) is shown but {filters:?} would not send it"
                    );
                }
            }
        }
        assert!(pushed > 500, "pushdown happened only {pushed} times");
        assert!(shown > 2000, "only {shown} shown messages were checked");
    }
}
