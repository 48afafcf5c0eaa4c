//! Diff mode (SPEC 3.4) without the network: a polled resource becomes a
//! stream of events the way a Streamdata.io proxy made one.
//!
//! The first body is a `data` event (the snapshot: the body's JSON,
//! minified); each later body that differs is one `patch` event whose data
//! is the RFC 6902 patch (`json_patch::diff`) from the previous body; an
//! unchanged body is nothing. These are exactly the events the store
//! applies for Streamdata sources, so the state document — live, and later
//! from a recording — is always the latest body.

use serde_json::Value;

use super::page::minify;

/// Event type of the snapshot.
pub const SNAPSHOT_TYPE: &str = "data";
/// Event type of a change.
pub const PATCH_TYPE: &str = "patch";

/// What a new body means.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// The whole document (event type `data`), as minified JSON.
    Snapshot(String),
    /// An RFC 6902 patch array from the previous body (event type `patch`).
    Patch(String),
}

impl Change {
    /// The event type this change is sent as.
    pub fn event_type(&self) -> &'static str {
        match self {
            Change::Snapshot(_) => SNAPSHOT_TYPE,
            Change::Patch(_) => PATCH_TYPE,
        }
    }

    /// The event data.
    pub fn into_data(self) -> String {
        match self {
            Change::Snapshot(d) | Change::Patch(d) => d,
        }
    }
}

/// The last body of a diff-mode source.
#[derive(Debug, Default)]
pub struct DiffState {
    prev: Option<Value>,
}

impl DiffState {
    /// Take in a new body (`text`, parsed as `body`). `None` when it equals
    /// the previous one. A patch longer than `max_bytes` — possible when
    /// most of a large document changed — is sent as a fresh snapshot
    /// instead, which the caller already knows fits.
    pub fn next(&mut self, text: &str, body: Value, max_bytes: usize) -> Option<Change> {
        let change = match &self.prev {
            None => Change::Snapshot(minify(text)),
            Some(prev) => {
                let patch = json_patch::diff(prev, &body);
                if patch.0.is_empty() {
                    return None;
                }
                match serde_json::to_string(&patch) {
                    Ok(p) if p.len() <= max_bytes => Change::Patch(p),
                    _ => Change::Snapshot(minify(text)),
                }
            }
        };
        self.prev = Some(body);
        Some(change)
    }

    /// Forget the previous body: the next one is sent as a snapshot (after
    /// the store lost sync).
    pub fn reset(&mut self) {
        self.prev = None;
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;
    use serde_json::json;

    use super::*;

    fn next(state: &mut DiffState, v: &Value) -> Option<Change> {
        state.next(&serde_json::to_string_pretty(v).unwrap(), v.clone(), 1 << 20)
    }

    #[test]
    fn snapshot_then_patches_then_nothing_when_unchanged() {
        let mut s = DiffState::default();
        let first = json!({"status": "open", "items": [1, 2]});
        assert_eq!(
            next(&mut s, &first),
            Some(Change::Snapshot(r#"{"status":"open","items":[1,2]}"#.into()))
        );
        assert_eq!(next(&mut s, &first), None);
        let second = json!({"status": "paid", "items": [1, 2, 3]});
        let Some(Change::Patch(p)) = next(&mut s, &second) else {
            panic!("expected a patch")
        };
        let ops: Value = serde_json::from_str(&p).unwrap();
        assert_eq!(
            ops,
            json!([
                {"op": "replace", "path": "/status", "value": "paid"},
                {"op": "add", "path": "/items/2", "value": 3}
            ])
        );
        assert_eq!(next(&mut s, &second), None);
        s.reset();
        assert!(matches!(next(&mut s, &second), Some(Change::Snapshot(_))));
    }

    #[test]
    fn snapshot_keeps_the_bodys_key_order() {
        let mut s = DiffState::default();
        let text = "{ \"z\": 1, \"a\": [ 1.0 ] }";
        let change = s.next(text, serde_json::from_str(text).unwrap(), 1 << 20);
        assert_eq!(change, Some(Change::Snapshot(r#"{"z":1,"a":[1.0]}"#.into())));
    }

    #[test]
    fn a_patch_too_large_becomes_a_snapshot() {
        let mut s = DiffState::default();
        let a = json!({"k": "a".repeat(50)});
        let b = json!({"k": "b".repeat(50)});
        s.next(&a.to_string(), a.clone(), 60);
        assert_eq!(
            s.next(&b.to_string(), b.clone(), 60),
            Some(Change::Snapshot(b.to_string()))
        );
    }

    fn json_value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::from),
            (-5i64..5).prop_map(Value::from),
            "[a-c/~]{0,3}".prop_map(Value::from),
        ];
        leaf.prop_recursive(4, 32, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
                prop::collection::btree_map("[a-c/~]{0,2}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Replaying the emitted patches onto the snapshot gives the last
        /// body, whatever the documents.
        #[test]
        fn patches_replay_to_the_latest_body(bodies in prop::collection::vec(json_value(), 1..6)) {
            let mut s = DiffState::default();
            let mut state: Option<Value> = None;
            for body in &bodies {
                match next(&mut s, body) {
                    Some(Change::Snapshot(d)) => state = Some(serde_json::from_str(&d).unwrap()),
                    Some(Change::Patch(p)) => {
                        let patch: json_patch::Patch = serde_json::from_str(&p).unwrap();
                        json_patch::patch(state.as_mut().unwrap(), &patch).unwrap();
                    }
                    None => prop_assert_eq!(state.as_ref(), Some(body)),
                }
                prop_assert_eq!(state.as_ref(), Some(body));
            }
        }
    }
}
