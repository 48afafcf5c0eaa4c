//! A Streamdata / diff source's state document: a `data` event replaces it,
//! a `patch` event applies an RFC 6902 patch all or nothing. Each change is
//! remembered with its path, its time and, for a scalar, the value before
//! it — so the state view can show `old → new`.

use serde_json::Value;

use super::{MAX_CHANGED_PATHS, SourceState, patch};
use crate::event::Event;

/// One recent change of a state document.
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// JSON pointer of what changed (`""`: the whole document).
    pub path: String,
    /// When, unix ms.
    pub at: i64,
    /// The value before, when it was a scalar that was replaced or removed
    /// (objects and arrays are not kept: a change must stay cheap).
    pub old: Option<Value>,
}

/// Apply a `data` or `patch` event to its source's state document. Returns
/// true when the state went out of sync and a fresh snapshot is needed.
pub(super) fn apply_state(source: &mut SourceState, ev: &Event, now: i64) -> bool {
    match ev.ty.as_str() {
        "data" => match serde_json::from_str::<Value>(&ev.data) {
            Ok(doc) => {
                source.state = Some(doc);
                source.out_of_sync = false;
                note_change(source, String::new(), None, now);
                false
            }
            Err(e) => {
                source.unparsable += 1;
                source.last_error = Some(format!("snapshot is not JSON: {e}"));
                source.out_of_sync = true;
                true
            }
        },
        "patch" => {
            if source.out_of_sync {
                return false; // already waiting for a snapshot
            }
            let Some(doc) = source.state.as_mut() else {
                source.unparsable += 1;
                source.last_error = Some("patch before any snapshot".into());
                source.out_of_sync = true;
                return true;
            };
            let patch = match serde_json::from_str::<json_patch::Patch>(&ev.data) {
                Ok(p) => p,
                Err(e) => {
                    source.unparsable += 1;
                    source.last_error = Some(format!("patch is not an RFC 6902 array: {e}"));
                    source.out_of_sync = true;
                    return true;
                }
            };
            // The scalars about to be replaced or removed. Looked up before
            // the whole patch is applied: a later op of the same patch may
            // change the same path again, and the first old value is the one
            // the user saw.
            let olds: Vec<Option<Value>> = patch.0.iter().map(|op| old_scalar(doc, op)).collect();
            match patch::apply(doc, &patch) {
                Ok(()) => {
                    for (op, old) in patch.0.iter().zip(olds) {
                        note_change(source, op_path(op), old, now);
                    }
                    false
                }
                Err(e) => {
                    source.unparsable += 1;
                    source.last_error = Some(format!("patch failed, state kept, resyncing: {e}"));
                    source.out_of_sync = true;
                    true
                }
            }
        }
        _ => false,
    }
}

/// The scalar at the path a `replace` or `remove` touches, if any.
fn old_scalar(doc: &Value, op: &json_patch::PatchOperation) -> Option<Value> {
    use json_patch::PatchOperation as P;
    let path = match op {
        P::Replace(o) => &o.path,
        P::Remove(o) => &o.path,
        _ => return None,
    };
    doc.pointer(path.as_str())
        .filter(|v| !v.is_object() && !v.is_array())
        .cloned()
}

fn op_path(op: &json_patch::PatchOperation) -> String {
    use json_patch::PatchOperation as P;
    match op {
        P::Add(o) => o.path.to_string(),
        P::Remove(o) => o.path.to_string(),
        P::Replace(o) => o.path.to_string(),
        P::Move(o) => o.path.to_string(),
        P::Copy(o) => o.path.to_string(),
        P::Test(o) => o.path.to_string(),
    }
}

fn note_change(source: &mut SourceState, path: String, old: Option<Value>, now: i64) {
    if source.changed.len() == MAX_CHANGED_PATHS {
        source.changed.pop_front();
    }
    source.changed.push_back(Change { path, at: now, old });
}
