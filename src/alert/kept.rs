//! The matching events an alert keeps for its JSON (`"events"`, SPEC
//! 11.2): the latest [`RECENT_EVENTS`], copied into reused buffers as they
//! match and formatted as NDJSON only when a change carries them — most
//! matching events never are, and formatting each one as it arrived cost
//! more than judging it.

use std::collections::VecDeque;

use super::{RECENT_EVENT_BYTES, RECENT_EVENTS};
use crate::event::EventRef;

/// A matching event kept for the alert JSON (`"events"`), owning its parts.
#[derive(Debug, Default)]
pub(super) struct Kept {
    source: String,
    id: Option<String>,
    ty: String,
    time: Option<i64>,
    received: i64,
    /// The data, or empty when it was over [`RECENT_EVENT_BYTES`].
    data: String,
    /// The data's length when it was too large to keep.
    too_large: Option<usize>,
    json: bool,
    meta: Option<crate::event::Meta>,
    drift: bool,
}

impl Kept {
    /// Its NDJSON object (one line, no newline); an event whose data was too
    /// large to keep as a stub saying so.
    pub(super) fn ndjson(&self, (line, received): &mut (Vec<u8>, crate::output::Received)) -> String {
        if let Some(len) = self.too_large {
            let short = serde_json::json!({
                "source": self.source, "id": self.id, "type": self.ty,
                "data": format!("({len} bytes, too large to keep)"),
            });
            return short.to_string();
        }
        let ev = EventRef {
            source: &self.source,
            id: self.id.as_deref(),
            ty: &self.ty,
            time: self.time,
            received: self.received,
            data: &self.data,
            json: self.json,
            meta: self.meta.as_ref(),
            drift: self.drift,
        };
        line.clear();
        crate::output::ndjson_with(&ev, &[], line, received);
        if line.last() == Some(&b'\n') {
            line.pop();
        }
        String::from_utf8_lossy(line).into_owned()
    }
}

/// Keep `ev` among the latest [`RECENT_EVENTS`], reusing the oldest one's
/// buffers: a copy of its parts, no formatting (a change formats the few
/// it carries).
pub(super) fn remember(recent: &mut VecDeque<Kept>, ev: &EventRef<'_>) {
    let mut slot = if recent.len() == RECENT_EVENTS {
        recent.pop_front().unwrap_or_default()
    } else {
        Kept::default()
    };
    slot.source.clear();
    slot.source.push_str(ev.source);
    match (ev.id, &mut slot.id) {
        (Some(id), Some(kept)) => {
            kept.clear();
            kept.push_str(id);
        }
        (id, kept) => *kept = id.map(str::to_owned),
    }
    slot.ty.clear();
    slot.ty.push_str(ev.ty);
    slot.time = ev.time;
    slot.received = ev.received;
    slot.data.clear();
    if ev.data.len() > RECENT_EVENT_BYTES {
        slot.too_large = Some(ev.data.len());
    } else {
        slot.too_large = None;
        slot.data.push_str(ev.data);
    }
    slot.json = ev.json;
    slot.meta = ev.meta.cloned();
    slot.drift = ev.drift;
    recent.push_back(slot);
}
