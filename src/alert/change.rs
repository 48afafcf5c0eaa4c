//! What the evaluator reports: a [`Change`] to act on (a `tail` line, a
//! notification, an `exec`'s JSON) and a [`HistoryItem`] of the `!` view.

use std::sync::Arc;

use serde_json::Value;

use super::{Exec, Notify};

/// A state change to act on.
#[derive(Debug, Clone)]
pub struct Change {
    /// Index of the alert ([`Alerts::entries`](super::Alerts::entries)).
    pub alert: usize,
    /// The alert's name.
    pub name: String,
    /// See [`Entry::kind`](super::Entry::kind).
    pub kind: &'static str,
    /// `true`: fired; `false`: resolved.
    pub firing: bool,
    /// The count, the seconds silent, or `None` (`each`, external).
    pub value: Option<u64>,
    /// `7 in 1m`, `silent for 2m`, `charge.failed evt_1 from stripe`, a
    /// reconciliation finding; empty when resolved.
    pub text: String,
    /// NDJSON objects, oldest first: up to [`RECENT_EVENTS`](super::RECENT_EVENTS) of the latest
    /// matching events for a state change; the one event for a firing per
    /// event (`each`, or a report that came with one), so a flood of them
    /// holds one event each.
    pub events: Vec<String>,
    /// When it changed, ms (the clock passed in).
    pub at: i64,
    /// The alert's `notify` ([`Change::notify_bytes`]).
    pub notify: Notify,
    /// The alert's `exec`, run with [`Change::json`] on stdin.
    pub exec: Option<Arc<Exec>>,
}

impl Change {
    /// The bytes of its `notify` (bell, desktop notification): only for a
    /// firing; empty for a resolution or when the alert asks for nothing.
    pub fn notify_bytes(&self) -> Vec<u8> {
        if !self.firing || !self.notify.any() {
            return Vec::new();
        }
        let title = format!("evtop: {}", self.name);
        let body = format!("{} {}", self.state(), self.text);
        super::notify::sequence(self.notify, &title, body.trim())
    }

    /// `firing` or `resolved`.
    pub fn state(&self) -> &'static str {
        if self.firing { "firing" } else { "resolved" }
    }

    /// The `tail` stderr line: `alert: NAME firing: TEXT`, `alert: NAME
    /// resolved`; an external alert's is `KIND: NAME: TEXT`. Not yet made
    /// inert: the caller does.
    pub fn line(&self) -> String {
        match (self.kind, self.firing) {
            ("alert", true) => format!("alert: {} firing: {}", self.name, self.text),
            ("alert", false) => format!("alert: {} resolved", self.name),
            (kind, _) => format!("{kind}: {}: {}", self.name, self.text),
        }
    }

    /// What `exec` gets on stdin: `{"alert", "state", "value", "text",
    /// "events"}`, one line.
    pub fn json(&self) -> String {
        let mut out = String::with_capacity(256 + self.events.iter().map(String::len).sum::<usize>());
        out.push_str("{\"alert\":");
        out.push_str(&Value::from(self.name.as_str()).to_string());
        out.push_str(",\"state\":\"");
        out.push_str(self.state());
        out.push_str("\",\"value\":");
        match self.value {
            Some(v) => out.push_str(&v.to_string()),
            None => out.push_str("null"),
        }
        out.push_str(",\"text\":");
        out.push_str(&Value::from(self.text.as_str()).to_string());
        out.push_str(",\"events\":[");
        for (i, e) in self.events.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(e);
        }
        out.push_str("]}");
        out
    }
}

/// One line of the `!` view's history.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryItem {
    /// When, ms.
    pub at: i64,
    /// Index of the alert.
    pub alert: usize,
    /// `firing`, `resolved`, `exec failed`, …
    pub what: String,
    /// The value's text, or what failed.
    pub text: String,
}
