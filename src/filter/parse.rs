//! Turning expression text into compiled terms: splitting on whitespace while
//! honouring quotes, then recognising each term's kind.
//!
//! Splitting keeps, for every character, whether it was quoted, so later
//! stages can tell an operator from a quoted `=` or a path dot from a quoted
//! one without re-scanning the text. Every error carries the term as the
//! user wrote it.

use regex::Regex;

use super::{
    Cmp, Field, FilterError, Glob, GlobPart, Num, Operand, OrderOp, Segment, Term, Test, guard, meta, time,
};

/// One character of a term after quote processing.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Unit {
    /// An unquoted character: may be syntax (`-`, `.`, an operator, `*`).
    Plain(char),
    /// A character inside quotes (escapes resolved): always literal text.
    Quoted(char),
    /// Where a quote opened or closed; keeps `""` visible as "text given".
    Quote,
}

use Unit::{Plain, Quote, Quoted};

/// A term as split from the expression, before its kind is known.
#[derive(Debug)]
pub(super) struct RawTerm<'a> {
    /// The term as written, for error messages.
    pub(super) text: &'a str,
    pub(super) units: Vec<Unit>,
}

/// The characters that start an operator in a field term.
const OP_CHARS: [char; 5] = ['=', '!', '<', '>', '~'];

/// The operators, longest first so `>=` wins over `>`.
const OPS: [&str; 7] = ["!=", ">=", "<=", "=", ">", "<", "~"];

/// Split an expression into terms on unquoted ASCII whitespace, resolving
/// quotes and the `\"`/`\\` escapes inside them.
pub(super) fn split(expr: &str) -> Result<Vec<RawTerm<'_>>, FilterError> {
    let mut terms = Vec::new();
    let mut chars = expr.char_indices().peekable();
    loop {
        while chars.next_if(|&(_, c)| c.is_ascii_whitespace()).is_some() {}
        let Some(&(start, _)) = chars.peek() else {
            return Ok(terms);
        };
        let mut units = Vec::new();
        let mut in_quote = false;
        let mut end = expr.len();
        while let Some(&(i, c)) = chars.peek() {
            if !in_quote && c.is_ascii_whitespace() {
                end = i;
                break;
            }
            chars.next();
            units.push(match (in_quote, c) {
                (_, '"') => {
                    in_quote = !in_quote;
                    Quote
                }
                (false, c) => Plain(c),
                (true, '\\') => match chars.next_if(|&(_, e)| e == '"' || e == '\\') {
                    Some((_, escaped)) => Quoted(escaped),
                    None => Quoted('\\'),
                },
                (true, c) => Quoted(c),
            });
        }
        let text = &expr[start..end];
        if in_quote {
            return Err(error(text, "unterminated quote; expected a closing `\"`"));
        }
        terms.push(RawTerm { text, units });
    }
}

/// Recognise and compile one term.
pub(super) fn term(raw: &RawTerm<'_>) -> Result<Term, FilterError> {
    let (negated, units) = match raw.units.split_first() {
        Some((Plain('-'), rest)) => (true, rest),
        _ => (false, raw.units.as_slice()),
    };
    if negated {
        match units.first() {
            None => {
                return Err(error(
                    raw.text,
                    "nothing after `-`; expected a term to negate, like `-type:ping`",
                ));
            }
            Some(Plain('-')) => {
                return Err(error(
                    raw.text,
                    "more than one `-`; expected a single `-` before a term",
                ));
            }
            Some(_) => {}
        }
    }
    // The term as written after its `-`, for suggestions.
    let written = if negated { &raw.text[1..] } else { raw.text };
    let test = if let Some(rest) = strip_keyword(units, "type:") {
        glob(rest, "type").map(Test::Type)
    } else if let Some(rest) = strip_keyword(units, "source:") {
        glob(rest, "source").map(Test::Source)
    } else if let Some((Plain('.'), rest)) = units.split_first() {
        field(rest).map(Test::Field)
    } else if let Some(rest) = strip_keyword(units, "verified:") {
        meta::verified(&text(rest)).map(Test::Meta)
    } else if let Some(rest) = strip_keyword(units, "forward:") {
        meta::forward(&text(rest)).map(Test::Meta)
    } else if units.iter().all(|u| matches!(u, Plain(_))) && written == "drift" {
        Ok(Test::Drift)
    } else if let Some(rest) = strip_keyword(units, "attempt")
        .filter(|rest| matches!(rest.first(), Some(Plain(c)) if OP_CHARS.contains(c)))
    {
        meta::attempt(&text(rest)).map(Test::Meta)
    } else if let Some(rest) = strip_keyword(units, "since:") {
        time::duration(&text(rest), "since").map(|d| Test::Time(time::TimeTest::Since(d)))
    } else if let Some(rest) = strip_keyword(units, "until:") {
        time::duration(&text(rest), "until").map(|d| Test::Time(time::TimeTest::Until(d)))
    } else if let Some((keyword, rest)) = ["received", "time"].into_iter().find_map(|k| {
        strip_keyword(units, k)
            .filter(|rest| matches!(rest.first(), Some(Plain(c)) if OP_CHARS.contains(c)))
            .map(|rest| (k, rest))
    }) {
        time::compare(&text(rest), keyword).map(Test::Time)
    } else {
        guard::check_word(units, written).and_then(|()| word(units).map(Test::Word))
    };
    test.map(|test| Term { negated, test })
        .map_err(|reason| error(raw.text, &reason))
}

fn error(term: &str, reason: &str) -> FilterError {
    FilterError {
        term: term.to_owned(),
        reason: reason.to_owned(),
    }
}

/// The units after an unquoted keyword such as `type:`, if the term starts
/// with it.
fn strip_keyword<'u>(units: &'u [Unit], keyword: &str) -> Option<&'u [Unit]> {
    let n = keyword.chars().count();
    let head = units.get(..n)?;
    head.iter()
        .zip(keyword.chars())
        .all(|(u, k)| *u == Plain(k))
        .then(|| &units[n..])
}

/// The text of some units, quoted or not.
fn text(units: &[Unit]) -> String {
    units
        .iter()
        .filter_map(|u| match *u {
            Plain(c) | Quoted(c) => Some(c),
            Quote => None,
        })
        .collect()
}

/// A `type:`/`source:` glob: unquoted `*` and `?` are wildcards, everything
/// else is literal; case-insensitive; anchored at both ends.
fn glob(units: &[Unit], what: &str) -> Result<Glob, String> {
    if text(units).is_empty() {
        return Err(format!(
            "empty {what} pattern; expected a name or glob, like `{what}:a*`"
        ));
    }
    let mut pattern = String::from(r"(?is)\A");
    let mut buf = [0u8; 4];
    let mut parts: Vec<GlobPart> = Vec::new();
    for unit in units {
        match *unit {
            Plain('*') => {
                pattern.push_str(".*");
                parts.push(GlobPart::AnyRun);
            }
            Plain('?') => {
                pattern.push('.');
                parts.push(GlobPart::AnyChar);
            }
            Plain(c) | Quoted(c) => {
                pattern.push_str(&regex::escape(c.encode_utf8(&mut buf)));
                match parts.last_mut() {
                    Some(GlobPart::Text(t)) => t.push(c),
                    _ => parts.push(GlobPart::Text(c.to_string())),
                }
            }
            Quote => {}
        }
    }
    pattern.push_str(r"\z");
    Regex::new(&pattern)
        .map(|re| Glob { re, parts })
        .map_err(|e| format!("{what} pattern too complex: {}", regex_reason(&e)))
}

/// A bare or quoted word: a case-insensitive literal search.
fn word(units: &[Unit]) -> Result<Regex, String> {
    let word = text(units);
    if word.is_empty() {
        return Err("empty word; expected text between the quotes".to_owned());
    }
    Regex::new(&format!("(?i){}", regex::escape(&word)))
        .map_err(|e| format!("word too long: {}", regex_reason(&e)))
}

/// A field term after its leading `.`: path, operator, value.
fn field(units: &[Unit]) -> Result<Field, String> {
    let Some(at) = units
        .iter()
        .position(|u| matches!(u, Plain(c) if OP_CHARS.contains(c)))
    else {
        // No operator: the field is present (whatever its value, null too).
        if units.is_empty() {
            return Err("missing field path; expected a path like `.status` or `.status=failed`".to_owned());
        }
        return Ok(Field {
            path: path(units)?,
            cmp: Cmp::Exists,
        });
    };
    let Some(op) = OPS.into_iter().find(|op| {
        op.chars().count() <= units.len() - at && op.chars().zip(&units[at..]).all(|(o, u)| *u == Plain(o))
    }) else {
        return Err("`!` must be followed by `=`; expected `!=`".to_owned());
    };
    if at == 0 {
        return Err(format!(
            "missing field path before `{op}`; expected a path like `.status{op}…`"
        ));
    }
    let path = path(&units[..at])?;
    let value = &units[at + op.len()..];
    if let Some(Plain(c)) = value.first()
        && OP_CHARS.contains(c)
    {
        return Err(format!(
            "unexpected `{c}` after operator `{op}`; quote the value if it starts with `{c}`"
        ));
    }
    if value.is_empty() && op != "=" && op != "!=" {
        return Err(format!(
            "missing value after `{op}`; only `=` and `!=` accept an empty value"
        ));
    }
    let text = text(value);
    let operand = || Operand {
        num: Num::parse(&text),
        text: text.clone(),
    };
    let cmp = match op {
        "=" => Cmp::Eq(operand()),
        "!=" => Cmp::Ne(operand()),
        ">" => Cmp::Order(OrderOp::Gt, operand()),
        ">=" => Cmp::Order(OrderOp::Ge, operand()),
        "<" => Cmp::Order(OrderOp::Lt, operand()),
        "<=" => Cmp::Order(OrderOp::Le, operand()),
        _ => Cmp::Regex(Regex::new(&text).map_err(|e| format!("invalid regex: {}", regex_reason(&e)))?),
    };
    Ok(Field { path, cmp })
}

/// Where the path parser is between units.
#[derive(Clone, Copy, PartialEq)]
enum At {
    /// Nothing read yet.
    Start,
    /// Just after a separating `.`.
    Dot,
    /// Inside a name segment.
    Name,
    /// Just after a `[N]`.
    Index,
}

const EMPTY_SEGMENT: &str = "empty path segment; expected a name between dots";

/// A field path (without its leading `.`): names separated by unquoted dots,
/// each optionally followed by `[N]`s or `[*]`s (any element).
fn path(units: &[Unit]) -> Result<Vec<Segment>, String> {
    let mut segments = Vec::new();
    let mut name = String::new();
    let mut quoted = false;
    let mut at = At::Start;
    let mut iter = units.iter();
    while let Some(unit) = iter.next() {
        match *unit {
            Plain('.') => {
                match at {
                    At::Start | At::Dot => return Err(EMPTY_SEGMENT.to_owned()),
                    At::Name => segments.push(name_segment(std::mem::take(&mut name), quoted)),
                    At::Index => {}
                }
                quoted = false;
                at = At::Dot;
            }
            Plain('[') => {
                match at {
                    At::Dot => return Err(EMPTY_SEGMENT.to_owned()),
                    At::Name => segments.push(name_segment(std::mem::take(&mut name), quoted)),
                    At::Start | At::Index => {}
                }
                segments.push(index_segment(&mut iter)?);
                quoted = false;
                at = At::Index;
            }
            Plain(']') => return Err("unexpected `]`; expected `[` before it".to_owned()),
            Plain(c) | Quoted(c) if at != At::Index => {
                name.push(c);
                at = At::Name;
            }
            Quote if at != At::Index => {
                quoted = true;
                at = At::Name;
            }
            Plain(_) | Quoted(_) | Quote => {
                return Err("expected `.` or `[` after `]`".to_owned());
            }
        }
    }
    match at {
        At::Start | At::Dot => Err(EMPTY_SEGMENT.to_owned()),
        At::Name => {
            segments.push(name_segment(name, quoted));
            Ok(segments)
        }
        At::Index => Ok(segments),
    }
}

/// A name segment: a key, and also an array index when it is unquoted digits.
fn name_segment(key: String, quoted: bool) -> Segment {
    let index = if !quoted && key.bytes().all(|b| b.is_ascii_digit()) {
        key.parse().ok()
    } else {
        None
    };
    Segment {
        key,
        index,
        any: false,
    }
}

/// The rest of a `[N]` or `[*]` after its `[`.
fn index_segment<'u>(iter: &mut impl Iterator<Item = &'u Unit>) -> Result<Segment, String> {
    let mut digits = String::new();
    while let Some(unit) = iter.next() {
        match *unit {
            Plain(']') if !digits.is_empty() => {
                let index = digits
                    .parse()
                    .map_err(|_| format!("array index `{digits}` is too large"))?;
                return Ok(Segment {
                    key: digits,
                    index: Some(index),
                    any: false,
                });
            }
            Plain('*') if digits.is_empty() => {
                return match iter.next() {
                    Some(Plain(']')) => Ok(Segment {
                        key: "*".to_owned(),
                        index: None,
                        any: true,
                    }),
                    _ => Err("expected `]` after `[*`".to_owned()),
                };
            }
            Plain(c) if c.is_ascii_digit() => digits.push(c),
            _ => return Err("array index must be digits or `*`, like `[0]` or `[*]`".to_owned()),
        }
    }
    Err("unclosed `[`; expected digits and `]`, like `[0]`".to_owned())
}

/// A `regex` error as one lower-case line: for syntax errors the line that
/// says what is wrong (the full text also repeats the pattern with a caret).
fn regex_reason(e: &regex::Error) -> String {
    let full = e.to_string();
    let line = full
        .lines()
        .rev()
        .find_map(|l| l.trim().strip_prefix("error: "))
        .or_else(|| full.lines().map(str::trim).find(|l| !l.is_empty()))
        .unwrap_or("unknown error")
        .trim_end_matches('.');
    let mut chars = line.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}
