//! The catalog as evtop's own JSON (every statistic it keeps) and as
//! Markdown (a table per type).

use std::fmt::Write as _;

use serde_json::{Map, Value, json};

use super::Learned;
use crate::event::rfc3339;
use crate::store::catalog::schema::schema;
use crate::store::catalog::{Field, Sampling, TypeEntry};

/// evtop's catalog JSON.
pub fn json(learned: &Learned) -> Value {
    let c = &learned.catalog;
    let types: Vec<Value> = c.types().map(type_json).collect();
    json!({
        "generated_by": format!("evtop {}", env!("CARGO_PKG_VERSION")),
        "from": learned.from,
        "events": learned.events,
        "sampled": c.sampling() == Sampling::PerSecond,
        "types": types,
    })
}

/// One type with its fields and schema.
pub fn type_json(t: &TypeEntry) -> Value {
    let fields: Vec<Value> = t.fields().iter().map(|f| field_json(t, f)).collect();
    json!({
        "type": &*t.name,
        "count": t.count,
        "learned": t.learned,
        "sources": t.sources,
        "first_seen": rfc3339(t.first_seen, true),
        "last_seen": rfc3339(t.last_seen, true),
        "not_catalogued": t.not_catalogued(),
        "fields": fields,
        "schema": schema(t),
    })
}

fn field_json(t: &TypeEntry, f: &Field) -> Value {
    let mut o = Map::new();
    o.insert("path".into(), json!(&*f.path));
    let kinds: Map<String, Value> = f
        .kinds_seen()
        .map(|(k, n)| (k.name().to_owned(), json!(n)))
        .collect();
    o.insert("kinds".into(), Value::Object(kinds));
    o.insert("presence".into(), json!(round3(t.presence(f))));
    if !f.examples.is_empty() {
        o.insert("examples".into(), json!(f.examples));
    }
    if f.has_numbers() {
        o.insert("min".into(), json!(f.min));
        o.insert("max".into(), json!(f.max));
        o.insert("sum".into(), json!(f.sum));
    }
    if let Some(format) = f.format() {
        o.insert("format".into(), json!(format));
    }
    if let Some(top) = f.top_values() {
        o.insert("top".into(), json!(top));
    }
    if f.secret {
        o.insert("secret".into(), json!(true));
    }
    if f.is_new() {
        o.insert("new_since".into(), json!(rfc3339(f.first_seen, true)));
    }
    let new_kinds: Vec<&str> = f.new_kinds().map(|k| k.name()).collect();
    if !new_kinds.is_empty() {
        o.insert("new_kinds".into(), json!(new_kinds));
    }
    Value::Object(o)
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// A Markdown table per type.
pub fn markdown(learned: &Learned) -> String {
    let c = &learned.catalog;
    let total: u64 = c.types().map(|t| t.count).sum();
    let mut out = String::new();
    let _ = writeln!(out, "# Event catalog\n");
    let _ = writeln!(
        out,
        "{} events of {} types, learned by evtop {} from {}.\n",
        learned.events,
        c.types().count(),
        env!("CARGO_PKG_VERSION"),
        learned.from
    );
    for t in c.types() {
        let share = if total == 0 {
            0.0
        } else {
            t.count as f64 * 100.0 / total as f64
        };
        let _ = writeln!(out, "## `{}`\n", cell(&t.name));
        let _ = writeln!(
            out,
            "{} event{} ({share:.1} %) from {}, first {}, last {}.{}\n",
            t.count,
            if t.count == 1 { "" } else { "s" },
            t.sources
                .iter()
                .map(|s| format!("`{}`", cell(s)))
                .collect::<Vec<_>>()
                .join(", "),
            rfc3339(t.first_seen, false),
            rfc3339(t.last_seen, false),
            if t.not_catalogued() > 0 {
                format!(" {} values beyond the catalog's bounds.", t.not_catalogued())
            } else {
                String::new()
            }
        );
        let _ = writeln!(out, "| field | kinds | presence | format | examples / values |");
        let _ = writeln!(out, "|---|---|---|---|---|");
        for f in t.fields().iter().filter(|f| !f.path.is_empty()) {
            let kinds = f
                .kinds_seen()
                .map(|(k, _)| k.name())
                .collect::<Vec<_>>()
                .join(", ");
            let values = match f.top_values() {
                Some(top) => top
                    .iter()
                    .take(5)
                    .map(|(v, n)| format!("{v} ×{n}"))
                    .collect::<Vec<_>>()
                    .join(", "),
                None => f
                    .examples
                    .iter()
                    .map(Value::to_string)
                    .collect::<Vec<_>>()
                    .join(", "),
            };
            let new = if f.is_new() { " (new)" } else { "" };
            let _ = writeln!(
                out,
                "| `{}`{new} | {kinds} | {:.0} % | {} | {} |",
                cell(&f.path),
                t.presence(f) * 100.0,
                f.format().unwrap_or(""),
                cell(&values)
            );
        }
        out.push('\n');
    }
    out
}

/// Text safe in a table cell: no pipes, no line breaks, no backticks.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
        .replace(['\n', '\r'], " ")
        .replace('`', "'")
}
