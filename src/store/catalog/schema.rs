//! A type's learned fields as a JSON Schema (draft-07): `type` from the
//! kinds seen, `properties` and `required` (the members present in every
//! occurrence of their object), `items` for arrays, `format` when every
//! string had one, `examples` (up to 3, never of secret fields).
//!
//! Every event the catalog learned from validates against it: each schema
//! keyword only narrows what was seen at its path, and members left out by
//! the bounds are simply not listed (JSON Schema allows unlisted members).

use serde_json::{Map, Value, json};

use super::{EXAMPLE_CHARS, Field, Kind, TypeEntry, unescape};

/// Examples written per field.
pub const SCHEMA_EXAMPLES: usize = 3;

/// The schema of the type's data.
pub fn schema(t: &TypeEntry) -> Value {
    match t.field("") {
        Some(root) => node(t, root),
        None => json!({}),
    }
}

/// The schema of one field and everything below it.
fn node(t: &TypeEntry, f: &Field) -> Value {
    let mut s = Map::new();
    let mut types: Vec<&str> = f.kinds_seen().map(|(k, _)| k.name()).collect();
    // Every integer is a number: "number" alone says both.
    if types.contains(&"integer") && types.contains(&"number") {
        types.retain(|k| *k != "integer");
    }
    match types.as_slice() {
        [] => {}
        [one] => {
            s.insert("type".into(), json!(one));
        }
        many => {
            s.insert("type".into(), json!(many));
        }
    }
    if let Some(format) = f.format() {
        s.insert("format".into(), json!(format));
    }
    if f.count(Kind::Object) > 0 {
        let mut properties = Map::new();
        let mut required = Vec::new();
        for child in t.children(&f.path).filter(|c| c.name() != "*") {
            let key = unescape(child.name());
            if child.occurrences == f.count(Kind::Object) {
                required.push(Value::String(key.clone()));
            }
            properties.insert(key, node(t, child));
        }
        if !properties.is_empty() {
            s.insert("properties".into(), Value::Object(properties));
        }
        if !required.is_empty() {
            s.insert("required".into(), Value::Array(required));
        }
    }
    if f.count(Kind::Array) > 0 {
        let items = format!("{}/*", f.path);
        if let Some(item) = t.field(&items) {
            s.insert("items".into(), node(t, item));
        }
    }
    // Cut strings are not examples of anything (a cut URI is no URI).
    let examples: Vec<Value> = f
        .examples
        .iter()
        .filter(|e| {
            !e.as_str()
                .is_some_and(|s| s.ends_with('…') && s.chars().count() > EXAMPLE_CHARS)
        })
        .take(SCHEMA_EXAMPLES)
        .cloned()
        .collect();
    if !f.secret && !examples.is_empty() {
        s.insert("examples".into(), Value::Array(examples));
    }
    Value::Object(s)
}
