//! The lines `tail` prints: NDJSON (SPEC 4) and readable text.
//!
//! NDJSON is written by hand rather than through a `Value` so that JSON data
//! is copied as it arrived — key order and number spelling intact, no parse
//! on the hot path. Only data whose JSON text spans several lines (SSE
//! multi-line `data`) is re-serialised, so every event stays on one line.

use std::io::Write;

use crate::event::{EventRef, write_rfc3339};
use crate::sanitize::inert;

/// `tail --format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// One JSON object a line (SPEC 4).
    Ndjson,
    /// One readable line an event.
    Text,
}

/// Characters of data shown on a text line before it is cut with `…`.
pub const TEXT_SUMMARY_CHARS: usize = 2000;

/// Append the NDJSON line for `ev` (with its newline) to `out`, without a
/// `drift` member (see [`ndjson_with`]).
pub fn ndjson(ev: &EventRef<'_>, out: &mut Vec<u8>) {
    ndjson_with(ev, &[], out, &mut Received::default());
}

/// The text-line mark of an event that failed its contract.
pub const DRIFT_MARK: &str = "≠";

/// The last `received` time written and its RFC 3339 text: the events of
/// one read share it, so a stream of lines formats it once per batch.
#[derive(Debug, Default)]
pub struct Received {
    ms: Option<i64>,
    text: Vec<u8>,
}

/// [`ndjson`], reusing the `received` text across calls, with the event's
/// drift reasons (SPEC 10) as a last `"drift": [...]` member when there are
/// any. The reasons are JSON strings here: whatever a path from the data
/// holds is escaped, never raw.
pub fn ndjson_with(ev: &EventRef<'_>, drift: &[String], out: &mut Vec<u8>, received: &mut Received) {
    out.extend_from_slice(b"{\"source\":");
    json_str(ev.source, out);
    out.extend_from_slice(b",\"id\":");
    match ev.id {
        Some(id) => json_str(id, out),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"type\":");
    json_str(ev.ty, out);
    out.extend_from_slice(b",\"time\":");
    match ev.time {
        Some(t) => {
            out.push(b'"');
            write_rfc3339(t, false, out);
            out.push(b'"');
        }
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(b",\"received\":\"");
    if received.ms != Some(ev.received) {
        received.text.clear();
        write_rfc3339(ev.received, true, &mut received.text);
        received.ms = Some(ev.received);
    }
    out.extend_from_slice(&received.text);
    out.extend_from_slice(b"\",\"data\":");
    data_json(ev, out);
    if let Some(meta) = ev.meta {
        meta.write_ndjson(out);
    }
    if !drift.is_empty() {
        out.extend_from_slice(b",\"drift\":");
        let _ = serde_json::to_writer(&mut *out, drift);
    }
    out.extend_from_slice(b"}\n");
}

/// The event's data as JSON: itself when it is JSON, else a JSON string.
pub fn data_json(ev: &EventRef<'_>, out: &mut Vec<u8>) {
    if ev.json {
        if memchr::memchr2(b'\n', b'\r', ev.data.as_bytes()).is_none() {
            out.extend_from_slice(ev.data.trim().as_bytes());
            return;
        }
        if let Ok(v) = serde_json::from_str::<serde_json::Value>(ev.data) {
            let _ = serde_json::to_writer(&mut *out, &v);
            return;
        }
    }
    json_str(ev.data, out);
}

fn json_str(s: &str, out: &mut Vec<u8>) {
    let _ = serde_json::to_writer(&mut *out, s);
}

/// Append a readable line for `ev`: `HH:MM:SS.mmm source type id [mark] [≠] data`
/// (the mark of a webhook delivery: `✓`, `✗`, `↻2`, `→502`; `≠` when it
/// failed its contract),
/// times in UTC, everything made inert, data cut at [`TEXT_SUMMARY_CHARS`].
pub fn text(ev: &EventRef<'_>, color: bool, out: &mut Vec<u8>) {
    let time = chrono::DateTime::from_timestamp_millis(ev.received)
        .map(|t| t.format("%H:%M:%S%.3f").to_string())
        .unwrap_or_default();
    let (dim, cyan, reset) = if color {
        ("\x1b[2m", "\x1b[36m", "\x1b[0m")
    } else {
        ("", "", "")
    };
    let _ = write!(
        out,
        "{dim}{time}{reset} {} {cyan}{}{reset}",
        inert(ev.source),
        inert(ev.ty)
    );
    if let Some(id) = ev.id {
        let _ = write!(out, " {dim}{}{reset}", inert(id));
    }
    if let Some(mark) = ev.meta.map(|m| m.mark()).filter(|m| !m.is_empty()) {
        let _ = write!(out, " {mark}");
    }
    if ev.drift {
        let (on, off) = if color { ("\x1b[33m", reset) } else { ("", "") };
        let _ = write!(out, " {on}{DRIFT_MARK}{off}");
    }
    out.push(b' ');
    let data = ev.data.trim();
    let cut = data.char_indices().nth(TEXT_SUMMARY_CHARS).map(|(i, _)| i);
    match cut {
        Some(i) => {
            out.extend_from_slice(inert(&data[..i]).as_bytes());
            out.extend_from_slice("…".as_bytes());
        }
        None => out.extend_from_slice(inert(data).as_bytes()),
    }
    out.push(b'\n');
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev<'a>(data: &'a str, json: bool) -> EventRef<'a> {
        EventRef {
            source: "payments",
            id: Some("evt_1"),
            ty: "charge.succeeded",
            time: Some(1_795_860_000_000),
            received: 1_795_860_000_123,
            data,
            json,
            meta: None,
            drift: false,
        }
    }

    fn line(e: &EventRef<'_>) -> serde_json::Value {
        let mut out = Vec::new();
        ndjson(e, &mut out);
        assert_eq!(out.iter().filter(|&&b| b == b'\n').count(), 1, "one line");
        assert_eq!(out.last(), Some(&b'\n'));
        serde_json::from_slice(&out).expect("valid JSON")
    }

    #[test]
    fn ndjson_matches_spec_shape() {
        let v = line(&ev(r#"{"amount":1200}"#, true));
        assert_eq!(
            v,
            serde_json::json!({"source":"payments","id":"evt_1","type":"charge.succeeded",
                "time":"2026-11-28T10:00:00Z","received":"2026-11-28T10:00:00.123Z","data":{"amount":1200}})
        );
    }

    #[test]
    fn ndjson_keeps_key_order_and_numbers() {
        let mut out = Vec::new();
        ndjson(&ev(r#"{"z":1,"a":1.50}"#, true), &mut out);
        assert!(
            String::from_utf8(out)
                .unwrap()
                .contains(r#""data":{"z":1,"a":1.50}}"#)
        );
    }

    #[test]
    fn ndjson_nulls_and_strings() {
        let mut e = ev("not json \"quoted\"\nline2", false);
        e.id = None;
        e.time = None;
        let v = line(&e);
        assert_eq!(v["id"], serde_json::Value::Null);
        assert_eq!(v["time"], serde_json::Value::Null);
        assert_eq!(v["data"], "not json \"quoted\"\nline2");
    }

    #[test]
    fn ndjson_multiline_json_stays_one_line() {
        let v = line(&ev("{\n\"a\": [1,\n2]\n}", true));
        assert_eq!(v["data"], serde_json::json!({"a":[1,2]}));
    }

    #[test]
    fn drift_is_the_last_member_only_when_there_is_one() {
        let mut out = Vec::new();
        let reasons = [
            "/amount: expected integer, got string".to_owned(),
            "/a\u{1b}[2J: x".to_owned(),
        ];
        let mut e = ev(r#"{"amount":"1"}"#, true);
        e.drift = true;
        ndjson_with(&e, &reasons, &mut out, &mut Received::default());
        let text = String::from_utf8(out).unwrap();
        assert!(
            text.ends_with(
                r#""data":{"amount":"1"},"drift":["/amount: expected integer, got string","/a\u001b[2J: x"]}
"#
            ),
            "{text}"
        );
        let mut out = Vec::new();
        ndjson_with(&ev("{}", true), &[], &mut out, &mut Received::default());
        assert!(!String::from_utf8(out).unwrap().contains("drift"));
    }

    #[test]
    fn text_lines_mark_drift() {
        let mut e = ev("{}", true);
        e.drift = true;
        let mut out = Vec::new();
        text(&e, false, &mut out);
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "10:00:00.123 payments charge.succeeded evt_1 ≠ {}\n"
        );
    }

    #[test]
    fn text_line_is_inert_and_single() {
        let mut out = Vec::new();
        text(&ev("a\x1b[2J\nb", false), false, &mut out);
        let s = String::from_utf8(out).unwrap();
        assert_eq!(s, "10:00:00.123 payments charge.succeeded evt_1 a␛[2J␊b\n");
    }
}

#[cfg(test)]
mod webhook_tests {
    use super::*;
    use crate::event::{Forward, WebhookMeta};

    #[test]
    fn webhook_events_carry_their_object() {
        let meta = WebhookMeta {
            verified: Some(false),
            reason: Some("bad signature".into()),
            headers: [("stripe-signature".to_owned(), "***".to_owned())].into(),
            forward: Some(Forward { status: 200, ms: 12 }),
            attempt: 2,
        };
        let ev = EventRef {
            source: "hooks",
            id: Some("evt_1"),
            ty: "charge.succeeded",
            time: None,
            received: 0,
            data: "{}",
            json: true,
            meta: Some(&crate::event::Meta::Webhook(meta)),
            drift: false,
        };
        let mut out = Vec::new();
        ndjson(&ev, &mut out);
        let v: serde_json::Value = serde_json::from_slice(&out).unwrap();
        assert_eq!(
            v["webhook"],
            serde_json::json!({"verified": false, "reason": "bad signature",
                "headers": {"stripe-signature": "***"}, "forward": {"status": 200, "ms": 12}, "attempt": 2})
        );
    }

    #[test]
    fn text_lines_carry_the_webhook_mark_after_the_id() {
        let mut meta = WebhookMeta {
            verified: Some(false),
            reason: Some("bad signature".into()),
            headers: Default::default(),
            forward: None,
            attempt: 2,
        };
        let line = |meta: &WebhookMeta| {
            let ev = EventRef {
                source: "hooks",
                id: Some("evt_1"),
                ty: "invoice.paid",
                time: None,
                received: 0,
                data: "{}",
                json: true,
                meta: Some(&crate::event::Meta::Webhook(meta.clone())),
                drift: false,
            };
            let mut out = Vec::new();
            text(&ev, false, &mut out);
            String::from_utf8(out).unwrap()
        };
        assert_eq!(line(&meta), "00:00:00.000 hooks invoice.paid evt_1 ✗↻2 {}\n");
        meta.verified = None;
        meta.attempt = 1;
        meta.forward = Some(Forward { status: 502, ms: 3 });
        assert_eq!(line(&meta), "00:00:00.000 hooks invoice.paid evt_1 →502 {}\n");
        meta.forward = Some(Forward { status: 200, ms: 3 });
        assert_eq!(
            line(&meta),
            "00:00:00.000 hooks invoice.paid evt_1 {}\n",
            "nothing to mark"
        );
    }
}
