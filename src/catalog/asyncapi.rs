//! The catalog as an AsyncAPI 3.0 document (SPEC 10): one channel per
//! source, one message per event type (its `name` the type exactly), the
//! payload a JSON Schema (draft-07, which AsyncAPI's schema format extends)
//! of the learned fields with 1 to 3 real payloads as `examples`, and the
//! statistics under `x-evtop`.
//!
//! Component and channel keys must match `^[A-Za-z0-9._-]+$`: a name with
//! other characters gets them replaced by `_` (and `-2`, `-3` … when two
//! names meet); the message's `name` and the channel's `address` keep the
//! original.

use std::collections::HashMap;

use serde_json::{Map, Value, json};

use super::Learned;
use crate::event::rfc3339;
use crate::store::catalog::TypeEntry;
use crate::store::catalog::schema::schema;

/// The document.
pub fn document(learned: &Learned) -> Value {
    let catalog = &learned.catalog;
    let mut message_keys = Keys::default();
    let mut messages = Map::new();
    let mut by_source: Vec<(String, Vec<String>)> = Vec::new();
    for t in catalog.types() {
        let key = message_keys.key(&t.name);
        messages.insert(key.clone(), message(t));
        for source in &t.sources {
            match by_source.iter_mut().find(|(s, _)| **s == **source) {
                Some((_, keys)) => keys.push(key.clone()),
                None => by_source.push((source.to_string(), vec![key.clone()])),
            }
        }
    }
    let mut channel_keys = Keys::default();
    let mut channels = Map::new();
    let mut operations = Map::new();
    for (source, keys) in &by_source {
        let channel = channel_keys.key(source);
        let refs: Map<String, Value> = keys
            .iter()
            .map(|k| (k.clone(), json!({ "$ref": format!("#/components/messages/{k}") })))
            .collect();
        channels.insert(
            channel.clone(),
            json!({
                "address": source,
                "title": source,
                "description": format!("Events of evtop's source `{source}`."),
                "messages": refs,
            }),
        );
        let op_refs: Vec<Value> = keys
            .iter()
            .map(|k| json!({ "$ref": format!("#/channels/{channel}/messages/{k}") }))
            .collect();
        operations.insert(
            format!("receive-{channel}"),
            json!({
                "action": "receive",
                "channel": { "$ref": format!("#/channels/{channel}") },
                "messages": op_refs,
            }),
        );
    }
    let types = catalog.types().count();
    json!({
        "asyncapi": "3.0.0",
        "info": {
            "title": "Events seen by evtop",
            "version": "1.0.0",
            "description": format!(
                "Learned by evtop {} from {} events of {types} types ({}).",
                env!("CARGO_PKG_VERSION"), learned.events, learned.from
            ),
        },
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages },
    })
}

/// One type's message.
fn message(t: &TypeEntry) -> Value {
    let mut payload = schema(t);
    if let (Value::Object(p), false) = (&mut payload, t.payloads.is_empty()) {
        p.insert("examples".into(), Value::Array(t.payloads.clone()));
    }
    json!({
        "name": &*t.name,
        "title": &*t.name,
        "payload": payload,
        "x-evtop": x_evtop(t),
    })
}

/// The statistics SPEC 10 puts on each message.
pub fn x_evtop(t: &TypeEntry) -> Value {
    let mut x = Map::new();
    x.insert("count".into(), json!(t.count));
    x.insert("first_seen".into(), json!(rfc3339(t.first_seen, true)));
    x.insert("last_seen".into(), json!(rfc3339(t.last_seen, true)));
    x.insert("sources".into(), json!(t.sources));
    if t.learned != t.count {
        x.insert("learned".into(), json!(t.learned));
    }
    if t.not_catalogued() > 0 {
        x.insert("not_catalogued".into(), json!(t.not_catalogued()));
    }
    Value::Object(x)
}

/// Keys for names: valid characters only, each name its own key.
#[derive(Default)]
struct Keys {
    given: HashMap<String, String>,
    taken: HashMap<String, ()>,
}

impl Keys {
    fn key(&mut self, name: &str) -> String {
        if let Some(k) = self.given.get(name) {
            return k.clone();
        }
        let mut base: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        if base.is_empty() {
            base.push('_');
        }
        let mut key = base.clone();
        let mut n = 2;
        while self.taken.contains_key(&key) {
            key = format!("{base}-{n}");
            n += 1;
        }
        self.taken.insert(key.clone(), ());
        self.given.insert(name.to_owned(), key.clone());
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_valid_and_distinct() {
        let mut k = Keys::default();
        assert_eq!(k.key("charge.succeeded"), "charge.succeeded");
        assert_eq!(k.key("a b"), "a_b");
        assert_eq!(k.key("a/b"), "a_b-2");
        assert_eq!(k.key("a b"), "a_b");
        assert_eq!(k.key(""), "_");
    }
}
