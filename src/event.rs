//! The event record every source produces.
//!
//! Every kind of source turns what it receives into one [`Event`]. Nothing
//! downstream — the store, the filters, `tail`'s output, the TUI panes —
//! knows which kind of source an event came from: what a kind adds besides
//! the data travels in [`Event::meta`] and renders itself.

use serde_json::Value;

/// Index of a source in the engine's source table (the order of the merged
/// config and command-line sources). Small so the store can keep one per
/// buffered event cheaply.
pub type SourceId = u16;

/// One event as a source produced it.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// Which source produced it.
    pub source: SourceId,
    /// The event's id (`id_pointer`, else the transport's id), when known.
    pub id: Option<String>,
    /// The event type (`type_pointer`, else the transport's type).
    pub ty: String,
    /// When the event happened according to its data (`time_pointer`), in
    /// unix milliseconds.
    pub time: Option<i64>,
    /// When evtop received it, in unix milliseconds.
    pub received: i64,
    /// The data exactly as received (JSON text, or any other text).
    pub data: String,
    /// Whether `data` is valid JSON: decided once, by the source when it
    /// parsed the data anyway (pointers, polling), else `None` until first
    /// needed ([`Event::as_ref`]), so that `tail` checks only the events it
    /// prints, on its output thread, and never the ones its filter drops by
    /// type.
    pub json: Option<bool>,
    /// What the kind of source adds besides the data (a webhook delivery's
    /// verification, attempt, headers); `None` for most events. It renders
    /// itself into NDJSON, the detail pane and the feed mark ([`Meta`]).
    /// Boxed: one pointer in the common case.
    pub meta: Option<Box<Meta>>,
}

pub use crate::source::nats::meta::NatsMeta;
pub use crate::source::registry::{DetailLine, Meta, MetaValue, Tone};
pub use crate::source::webhook::meta::{Forward, WebhookMeta};

/// A borrowed view of an event with its source resolved to a name: what the
/// filter matches against and what the output formats print. Both the store's
/// compact records and fresh [`Event`]s can lend one.
#[derive(Debug, Clone, Copy)]
pub struct EventRef<'a> {
    pub source: &'a str,
    pub id: Option<&'a str>,
    pub ty: &'a str,
    pub time: Option<i64>,
    pub received: i64,
    pub data: &'a str,
    pub json: bool,
    pub meta: Option<&'a Meta>,
    /// Whether it failed the `--contract` (SPEC 10): decided by whoever
    /// checked it (the store at ingest, `tail`'s printer before printing);
    /// `false` when nothing checked it. Why it drifted is not here: the
    /// contract says so on demand ([`crate::contract::Contract::reasons`]).
    pub drift: bool,
}

impl Event {
    /// Borrow this event as an [`EventRef`], naming its source.
    pub fn as_ref<'a>(&'a self, source_name: &'a str) -> EventRef<'a> {
        let meta = self.meta.as_deref();
        EventRef {
            source: meta.and_then(Meta::source_name).unwrap_or(source_name),
            id: self.id.as_deref(),
            ty: &self.ty,
            time: self.time,
            received: self.received,
            data: &self.data,
            json: self.json.unwrap_or_else(|| is_json(&self.data)),
            meta,
            drift: false,
        }
    }
}

/// Where to find an event's type, id and time inside its JSON data. Each is
/// an RFC 6901 JSON pointer; `None` keeps what the transport said.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Pointers {
    pub type_pointer: Option<String>,
    pub id_pointer: Option<String>,
    pub time_pointer: Option<String>,
}

impl Pointers {
    /// Build an [`Event`] from raw data and what the transport said about it.
    ///
    /// When pointers are set the data is parsed once, which also decides
    /// whether it is JSON; without pointers that check waits until the event
    /// is used ([`Event::json`]). A pointer that finds nothing leaves the
    /// transport's value in place.
    pub fn build(
        &self,
        source: SourceId,
        transport_id: Option<String>,
        transport_type: String,
        data: String,
        received: i64,
    ) -> Event {
        let mut ev = Event {
            source,
            id: transport_id,
            ty: transport_type,
            time: None,
            received,
            json: None,
            data,
            meta: None,
        };
        let wants_value =
            self.type_pointer.is_some() || self.id_pointer.is_some() || self.time_pointer.is_some();
        if wants_value {
            if let Ok(value) = serde_json::from_str::<Value>(&ev.data) {
                ev.json = Some(true);
                self.apply(&value, &mut ev);
            } else {
                ev.json = Some(false);
            }
        }
        ev
    }

    /// Read type, id and time from `value` into `ev` where the pointers find
    /// something usable.
    pub fn apply(&self, value: &Value, ev: &mut Event) {
        if let Some(ty) = self.type_pointer.as_deref().and_then(|p| value.pointer(p)) {
            if let Some(s) = scalar_text(ty) {
                ev.ty = s;
            }
        }
        if let Some(id) = self.id_pointer.as_deref().and_then(|p| value.pointer(p)) {
            if let Some(s) = scalar_text(id) {
                ev.id = Some(s);
            }
        }
        if let Some(t) = self.time_pointer.as_deref().and_then(|p| value.pointer(p)) {
            ev.time = time_millis(t);
        }
    }
}

/// Whether `text` is one valid JSON value, without building it.
pub fn is_json(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// A JSON scalar as text: strings as themselves, numbers and booleans as
/// their JSON form. Objects, arrays and null give `None`.
fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

/// A time value from event data in unix milliseconds: a number of unix
/// seconds (fractions kept), a string of digits (unix seconds), or an
/// RFC 3339 string.
pub fn time_millis(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64().and_then(|s| s.checked_mul(1000)).or_else(|| {
            n.as_f64()
                .filter(|f| f.is_finite() && f.abs() < 1e15)
                .map(|f| (f * 1000.0).round() as i64)
        }),
        Value::String(s) => {
            if let Ok(secs) = s.parse::<i64>() {
                secs.checked_mul(1000)
            } else {
                chrono::DateTime::parse_from_rfc3339(s)
                    .ok()
                    .map(|d| d.timestamp_millis())
            }
        }
        _ => None,
    }
}

/// Now, in unix milliseconds.
pub fn now_millis() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

/// Unix milliseconds as RFC 3339 in UTC: `2026-11-22T10:00:00.123Z`, or
/// without the fraction when it is zero and `millis_always` is false.
pub fn rfc3339(ms: i64, millis_always: bool) -> String {
    let mut out = Vec::with_capacity(24);
    write_rfc3339(ms, millis_always, &mut out);
    String::from_utf8(out).unwrap_or_default()
}

/// [`rfc3339`] appended to `out` without allocating: this runs once or
/// twice per event on `tail`'s hot path. Years outside 0000–9999 are
/// written as the plain number of milliseconds.
pub fn write_rfc3339(ms: i64, millis_always: bool, out: &mut Vec<u8>) {
    const MIN: i64 = -62_167_219_200_000; // 0000-01-01T00:00:00Z
    const MAX: i64 = 253_402_300_799_999; // 9999-12-31T23:59:59.999Z
    if !(MIN..=MAX).contains(&ms) {
        out.extend_from_slice(ms.to_string().as_bytes());
        return;
    }
    let secs = ms.div_euclid(1000);
    let milli = ms.rem_euclid(1000) as u32;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400) as u32;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = (yoe + era * 400 + i64::from(m <= 2)) as u32;
    digits_into(out, y, 4);
    out.push(b'-');
    digits_into(out, m, 2);
    out.push(b'-');
    digits_into(out, d, 2);
    out.push(b'T');
    digits_into(out, sod / 3600, 2);
    out.push(b':');
    digits_into(out, sod / 60 % 60, 2);
    out.push(b':');
    digits_into(out, sod % 60, 2);
    if millis_always || milli != 0 {
        out.push(b'.');
        digits_into(out, milli, 3);
    }
    out.push(b'Z');
}

/// The inverse of [`write_rfc3339`] for what it writes
/// (`YYYY-MM-DDTHH:MM:SS[.fff]Z`, years 0000–9999), else whatever chrono's
/// RFC 3339 parser accepts (offsets, other fraction lengths): unix
/// milliseconds. The fast path is what a replay spends its time on, since
/// every recorded line carries `received` in exactly that form.
pub fn parse_rfc3339_millis(s: &str) -> Option<i64> {
    fast_rfc3339(s.as_bytes()).or_else(|| {
        chrono::DateTime::parse_from_rfc3339(s)
            .ok()
            .map(|d| d.timestamp_millis())
    })
}

fn fast_rfc3339(b: &[u8]) -> Option<i64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> {
        b.get(r)?.iter().try_fold(0i64, |acc, &c| {
            c.is_ascii_digit().then(|| acc * 10 + i64::from(c - b'0'))
        })
    };
    let shape = b.len() >= 20
        && b[4] == b'-'
        && b[7] == b'-'
        && b[10] == b'T'
        && b[13] == b':'
        && b[16] == b':'
        && b.last() == Some(&b'Z');
    if !shape {
        return None;
    }
    let millis = match b.len() {
        20 => 0,
        24 if b[19] == b'.' => num(20..23)?,
        _ => return None,
    };
    let (y, m, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (hh, mm, ss) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let leap = y % 4 == 0 && (y % 100 != 0 || y % 400 == 0);
    let month_days = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d < 1 || d > month_days[(m - 1) as usize] || hh > 23 || mm > 59 || ss > 59 {
        return None; // leap seconds and the impossible: chrono decides
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 86_400 + hh * 3600 + mm * 60 + ss) * 1000) + millis)
}

fn digits_into(out: &mut Vec<u8>, n: u32, width: usize) {
    let mut buf = [b'0'; 4];
    let mut n = n;
    for i in (0..width).rev() {
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
    out.extend_from_slice(&buf[..width]);
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone, Utc};

    #[test]
    fn parsing_rfc3339_agrees_with_chrono() {
        let mut rng = fastrand::Rng::with_seed(4);
        for _ in 0..100_000 {
            let ms = rng.i64(-62_167_219_200_000..=253_402_300_799_999);
            for millis_always in [true, false] {
                let text = rfc3339(ms, millis_always);
                let want = chrono::DateTime::parse_from_rfc3339(&text)
                    .unwrap()
                    .timestamp_millis();
                assert_eq!(fast_rfc3339(text.as_bytes()), Some(want), "{text}");
                assert_eq!(parse_rfc3339_millis(&text), Some(want), "{text}");
            }
        }
        // Random mutations of valid times: the fast path never disagrees
        // with chrono (it may only decline and leave the text to chrono).
        let alphabet = b"0123456789-T:.Z+ ";
        for _ in 0..100_000 {
            let mut b = rfc3339(rng.i64(0..=253_402_300_799_999), rng.bool()).into_bytes();
            for _ in 0..rng.usize(1..3) {
                let i = rng.usize(..b.len());
                b[i] = alphabet[rng.usize(..alphabet.len())];
            }
            let text = String::from_utf8(b).unwrap();
            let chrono = chrono::DateTime::parse_from_rfc3339(&text)
                .ok()
                .map(|d| d.timestamp_millis());
            if let Some(fast) = fast_rfc3339(text.as_bytes()) {
                assert_eq!(Some(fast), chrono, "{text}");
            }
            assert_eq!(parse_rfc3339_millis(&text), chrono, "{text}");
        }
    }

    #[test]
    fn rfc3339_agrees_with_chrono() {
        let mut rng = fastrand::Rng::with_seed(3);
        let fixed = [
            0,
            1,
            999,
            1000,
            -1,
            -1001,
            951_782_400_000,
            1_795_341_600_123,
            253_402_300_799_999,
        ];
        let random = (0..100_000).map(|_| rng.i64(-62_167_219_200_000..=253_402_300_799_999));
        for ms in fixed.into_iter().chain(random) {
            let t = Utc.timestamp_millis_opt(ms).single().unwrap();
            assert_eq!(
                rfc3339(ms, true),
                t.to_rfc3339_opts(SecondsFormat::Millis, true),
                "{ms}"
            );
            let auto = if ms.rem_euclid(1000) == 0 {
                SecondsFormat::Secs
            } else {
                SecondsFormat::Millis
            };
            assert_eq!(rfc3339(ms, false), t.to_rfc3339_opts(auto, true), "{ms}");
        }
    }
}
