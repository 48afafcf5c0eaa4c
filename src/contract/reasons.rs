//! Validation errors as drift reasons: one short line each, the JSON
//! pointer into the event's data first (`/` for the data itself), then what
//! was expected — `/amount: expected integer, got string`,
//! `/currency: missing (required)`, `/status: "lost" is not one of
//! ["paid","open"]`. Values quoted from the data are cut at
//! [`VALUE_CHARS`]; kinds without a wording of their own use the
//! validator's text with the value in it cut the same way.

use jsonschema::error::{TypeKind, ValidationErrorKind};
use jsonschema::{ErrorIterator, ValidationError};
use serde_json::Value;

use super::MAX_REASONS;

/// Characters of a value (or of a list of allowed values) quoted in a reason.
pub const VALUE_CHARS: usize = 40;
/// Errors counted for `+N more` at most: past this the count stops (an
/// array of a million wrong items needs no exact tally).
const COUNT_CAP: usize = 10_000;

/// The first [`MAX_REASONS`] errors as reasons, a `+N more` line when there
/// were more, and the total count of errors (to pick the closest schema).
pub(super) fn collect(errors: ErrorIterator<'_>) -> (Vec<String>, usize) {
    let mut lines = Vec::new();
    let mut total = 0;
    for e in errors.take(COUNT_CAP) {
        if total < MAX_REASONS {
            lines.push(reason(&e));
        }
        total += 1;
    }
    if total > MAX_REASONS {
        lines.push(format!("+{} more", total - MAX_REASONS));
    }
    (lines, total)
}

/// One validation error as a reason line.
pub(super) fn reason(e: &ValidationError<'_>) -> String {
    let at = e.instance_path().as_str();
    let path = if at.is_empty() { "/" } else { at };
    let value = || short(e.instance());
    match e.kind() {
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => t.as_str().to_owned(),
                TypeKind::Multiple(set) => set.iter().map(|t| t.as_str()).collect::<Vec<_>>().join(" or "),
            };
            format!("{path}: expected {expected}, got {}", kind_of(e.instance()))
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().map_or_else(|| property.to_string(), escape);
            format!("{}/{name}: missing (required)", at)
        }
        ValidationErrorKind::AdditionalProperties { unexpected } => match unexpected.as_slice() {
            [one] => format!("{at}/{}: not allowed (additionalProperties)", escape(one)),
            many => format!(
                "{path}: properties {} not allowed (additionalProperties)",
                cut(&many.join(", "))
            ),
        },
        ValidationErrorKind::Enum { options } => {
            format!("{path}: {} is not one of {}", value(), short(options))
        }
        ValidationErrorKind::Constant { expected_value } => {
            format!("{path}: expected {}, got {}", short(expected_value), value())
        }
        ValidationErrorKind::FalseSchema => format!("{path}: not allowed (the schema is false)"),
        _ => format!("{path}: {}", e.masked_with(value())),
    }
}

/// The JSON kind of a value as a schema's `type` names it: a number without
/// a fraction is an `integer`.
pub(super) fn kind_of(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "integer",
        Value::Number(n) if n.as_f64().is_some_and(|f| f.fract() == 0.0) => "integer",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

/// A property name as a JSON pointer segment (RFC 6901: `~` → `~0`, `/` → `~1`).
fn escape(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// A value as compact JSON, cut at [`VALUE_CHARS`].
fn short(v: &Value) -> String {
    cut(&v.to_string())
}

fn cut(s: &str) -> String {
    match s.char_indices().nth(VALUE_CHARS) {
        Some((i, _)) => format!("{}…", &s[..i]),
        None => s.to_owned(),
    }
}
