//! Recordings: section-4 NDJSON — exactly what `tail --format ndjson`
//! prints and the TUI's `e` exports — read back as events. One format, one
//! reader: `evtop replay`, `kind = "file"` and `evtop resend` all use
//! [`parse_line`].

mod latest;

pub use latest::latest_received;

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{FileOptions, SourceKind, SourceSpec, Speed};
use crate::event::{Event, Meta, NatsMeta, Pointers, SourceId, WebhookMeta, parse_rfc3339_millis};

/// One recorded event, with the name of the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub source: String,
    pub event: Event,
}

#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(borrow)]
    id: Option<Cow<'a, str>>,
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    time: Option<Cow<'a, str>>,
    #[serde(borrow)]
    received: Cow<'a, str>,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default)]
    webhook: Option<WebhookMeta>,
    #[serde(default)]
    nats: Option<NatsMeta>,
}

/// Parse one NDJSON line. `data` that is a JSON string comes back as that
/// text (not JSON); anything else comes back as its JSON text. Unknown
/// members are ignored, so recordings from later versions still play.
pub fn parse_line(line: &str, source: SourceId) -> Result<Recorded, String> {
    let mut name = String::new();
    let event = parse_event(line, |n| {
        name = n.to_owned();
        source
    })?;
    Ok(Recorded { source: name, event })
}

/// [`parse_line`] for a replay: the recorded source name is only lent to
/// `route`, which says which source shows the event (no copy of the name
/// per line).
pub fn parse_event(line: &str, route: impl FnOnce(&str) -> SourceId) -> Result<Event, String> {
    let l: Line<'_> = serde_json::from_str(line).map_err(|e| format!("not an evtop NDJSON line: {e}"))?;
    let received = parse_rfc3339_millis(&l.received)
        .ok_or_else(|| format!("`received` is not an RFC 3339 time: {:?}", l.received))?;
    let time = match l.time {
        Some(t) => {
            Some(parse_rfc3339_millis(&t).ok_or_else(|| format!("`time` is not an RFC 3339 time: {t:?}"))?)
        }
        None => None,
    };
    let raw = l.data.get();
    let (data, json) = if raw.starts_with('"') {
        (
            serde_json::from_str::<String>(raw).map_err(|e| format!("bad `data`: {e}"))?,
            false,
        )
    } else {
        (raw.to_owned(), true)
    };
    Ok(Event {
        source: route(&l.source),
        id: l.id.map(Cow::into_owned),
        ty: l.ty.into_owned(),
        time,
        received,
        data,
        json: Some(json),
        meta: match (l.webhook, l.nats) {
            (Some(m), _) => Some(Box::new(Meta::Webhook(m))),
            (None, Some(m)) => Some(Box::new(Meta::Nats(m))),
            (None, None) => None,
        },
    })
}

/// What a look through a recording found: its source names in order of
/// appearance, which of them keep a state document (they have `data`
/// snapshots, as Streamdata and diff sources do), and how many events it
/// holds (so a replay can size its buffer to hold them all).
#[derive(Debug, Default)]
pub struct Scan {
    pub names: Vec<String>,
    pub patched: Vec<bool>,
    pub events: u64,
}

/// Lines longer than this are not looked at by [`scan`] (the replay skips
/// and reports them): the scan's memory stays bounded on a corrupt file.
const SCAN_LINE_MAX: usize = 64 << 20;

/// Read a recording once to find its sources and count its events. Bad
/// lines are skipped here; the replay reports them with their line numbers.
///
/// Only each line's source and type are needed, so lines in the form
/// evtop writes (`{"source":…,"id":…,"type":…`) are read up to their type
/// ([`canonical_head`]); any other line is parsed whole. A large file is
/// read as two halves on two threads (the halves meet at a line break), since
/// a replay cannot start before its scan ends.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    let file = std::fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len < SCAN_SPLIT_MIN {
        return scan_range(&file, 0, u64::MAX);
    }
    let mid = next_line_start(&file, len / 2)?;
    let (first, second) = std::thread::scope(|s| {
        let second = s.spawn(|| scan_range(&file, mid, u64::MAX));
        let first = scan_range(&file, 0, mid);
        (first, second.join())
    });
    let mut scan = first?;
    let second = second.map_err(|_| std::io::Error::other("scan thread panicked"))??;
    scan.events += second.events;
    for (name, patched) in second.names.into_iter().zip(second.patched) {
        match scan.names.iter().position(|n| *n == name) {
            Some(i) => scan.patched[i] |= patched,
            None => {
                scan.names.push(name);
                scan.patched.push(patched);
            }
        }
    }
    Ok(scan)
}

/// Files smaller than this are scanned on one thread.
const SCAN_SPLIT_MIN: u64 = 8 << 20;
/// Bytes read at a time by the scan.
const SCAN_CHUNK: usize = 1 << 20;

/// The offset just past the first line break at or after `from` (the file's
/// length when there is none).
fn next_line_start(file: &std::fs::File, from: u64) -> std::io::Result<u64> {
    use std::os::unix::fs::FileExt;
    let mut buf = vec![0u8; 64 << 10];
    let mut at = from;
    loop {
        let n = file.read_at(&mut buf, at)?;
        if n == 0 {
            return Ok(at);
        }
        if let Some(i) = memchr::memchr(b'\n', &buf[..n]) {
            return Ok(at + i as u64 + 1);
        }
        at += n as u64;
    }
}

/// [`scan`] of the lines that start in `start..end` (`start` at a line
/// start).
fn scan_range(file: &std::fs::File, start: u64, end: u64) -> std::io::Result<Scan> {
    use std::os::unix::fs::FileExt;
    let mut scan = Scan::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    let mut look = |line: &[u8]| {
        if line.iter().all(u8::is_ascii_whitespace) {
            return;
        }
        let head = canonical_head(line).or_else(|| {
            let text = std::str::from_utf8(line).ok()?;
            let rec = parse_line(text.trim_end_matches('\r'), 0).ok()?;
            Some((Cow::Owned(rec.source), Cow::Owned(rec.event.ty)))
        });
        let Some((source, ty)) = head else { return };
        scan.events += 1;
        let i = match index.get(source.as_ref()) {
            Some(&i) => i,
            None => {
                scan.names.push(source.clone().into_owned());
                scan.patched.push(false);
                index.insert(source.into_owned(), scan.names.len() - 1);
                scan.names.len() - 1
            }
        };
        if ty == "data" {
            scan.patched[i] = true;
        }
    };
    let mut buf = vec![0u8; SCAN_CHUNK];
    let mut carry: Vec<u8> = Vec::new();
    let mut skipping = false;
    let mut at = start;
    while at < end {
        let want = (end - at).min(SCAN_CHUNK as u64) as usize;
        let n = file.read_at(&mut buf[..want], at)?;
        if n == 0 {
            break;
        }
        at += n as u64;
        let mut chunk = &buf[..n];
        while let Some(i) = memchr::memchr(b'\n', chunk) {
            if skipping {
                skipping = false;
            } else if carry.is_empty() {
                look(&chunk[..i]);
            } else {
                carry.extend_from_slice(&chunk[..i]);
                look(&carry);
                carry.clear();
            }
            chunk = &chunk[i + 1..];
        }
        if !skipping {
            if carry.len() + chunk.len() > SCAN_LINE_MAX {
                carry = Vec::new();
                skipping = true;
            } else {
                carry.extend_from_slice(chunk);
            }
        }
    }
    if !skipping && !carry.is_empty() {
        look(&carry);
    }
    Ok(scan)
}

/// The source and type of a line that starts as evtop writes it —
/// `{"source":"…","id":"…" or null,"type":"…"` — read without parsing the
/// rest (`data` is most of a line). `None` for any other shape; the caller
/// then parses the line whole.
fn canonical_head(line: &[u8]) -> Option<(Cow<'_, str>, Cow<'_, str>)> {
    let rest = line.strip_prefix(b"{\"source\":")?;
    let (source, rest) = json_string(rest)?;
    let rest = rest.strip_prefix(b",\"id\":")?;
    let rest = match rest.strip_prefix(b"null") {
        Some(r) => r,
        None => json_string(rest)?.1,
    };
    let rest = rest.strip_prefix(b",\"type\":")?;
    let (ty, _) = json_string(rest)?;
    Some((source, ty))
}

/// The JSON string at the start of `b`, decoded, and what follows it.
fn json_string(b: &[u8]) -> Option<(Cow<'_, str>, &[u8])> {
    if b.first() != Some(&b'"') {
        return None;
    }
    let mut i = 1;
    let mut escaped = false;
    loop {
        i += memchr::memchr2(b'"', b'\\', &b[i..])?;
        if b[i] == b'"' {
            break;
        }
        escaped = true;
        i += 2; // a backslash and the character it escapes
    }
    let s = if escaped {
        Cow::Owned(serde_json::from_slice::<String>(&b[..=i]).ok()?)
    } else {
        let s = std::str::from_utf8(&b[1..i]).ok()?;
        if s.bytes().any(|c| c < 0x20) {
            return None; // not valid JSON: leave it to the full parse
        }
        Cow::Borrowed(s)
    };
    Some((s, &b[i + 1..]))
}

/// Most events a replay holds when neither `--buffer` nor a config says
/// (SPEC 1): enough for a long incident, about 1.5 GiB of small events.
pub const REPLAY_BUFFER_MAX: usize = 10_000_000;

/// What a replay needs to start: its sources, and how many events the
/// recordings hold.
#[derive(Debug)]
pub struct Plan {
    pub sources: Vec<SourceSpec>,
    pub events: u64,
}

impl Plan {
    /// The buffer that holds every recorded event (at least the usual
    /// default, so a followed recording has room to grow), up to
    /// [`REPLAY_BUFFER_MAX`].
    pub fn buffer(&self) -> usize {
        (self.events.min(REPLAY_BUFFER_MAX as u64) as usize).max(crate::config::DEFAULT_BUFFER)
    }
}

/// The sources that replay `files`: per file, one reader (named after the
/// file's first recorded source) and one route for each other source it
/// recorded, so every event keeps its source name. Names already taken (by
/// another file or `taken`) get `-2`, `-3`…
pub fn plan(files: &[PathBuf], follow: bool, speed: f64, taken: &[String]) -> Result<Plan, String> {
    let mut used: Vec<String> = taken.to_vec();
    let mut events = 0;
    let mut unique = |name: &str| {
        let mut candidate = name.to_owned();
        let mut n = 2;
        while used.contains(&candidate) {
            candidate = format!("{name}-{n}");
            n += 1;
        }
        used.push(candidate.clone());
        candidate
    };
    let mut specs = Vec::new();
    for path in files {
        let scan = scan(path).map_err(|e| format!("cannot read recording {}: {e}", path.display()))?;
        events += scan.events;
        let stem = path
            .file_stem()
            .map_or("recording".into(), |s| s.to_string_lossy().into_owned());
        let first = scan.names.first().cloned().unwrap_or(stem);
        let routes: Vec<String> = scan.names.iter().skip(1).cloned().collect();
        let display = format!("file://{}", path.display());
        let spec = |name: String, kind: SourceKind| SourceSpec {
            name,
            url: display.clone(),
            url_display: display.clone(),
            headers: Vec::new(),
            pointers: Pointers::default(),
            kind,
            named_after_host: false,
        };
        let reader_name = unique(&first);
        let route_names: Vec<String> = routes.iter().map(|r| unique(r)).collect();
        specs.push(spec(
            reader_name,
            FileOptions {
                path: path.clone(),
                follow,
                speed: Speed(speed),
                routes: routes.clone(),
                patched: scan.patched.first().copied().unwrap_or(false),
            }
            .into(),
        ));
        for (i, name) in route_names.into_iter().enumerate() {
            specs.push(spec(name, crate::source::file::route(scan.patched[i + 1])));
        }
    }
    Ok(Plan {
        sources: specs,
        events,
    })
}

/// `kind = "file"` sources from a config: the events of the recording's
/// first source show under the configured name, and each other recorded
/// source gets a source of its own, named `NAME/RECORDED` — so several
/// recorded Streamdata or diff sources keep their state documents apart.
/// Each keeps a state document when the recording has snapshots for it. An
/// unreadable file is left for the source to report.
pub fn prepare_config_files(specs: Vec<SourceSpec>) -> Vec<SourceSpec> {
    let mut out = Vec::with_capacity(specs.len());
    for mut spec in specs {
        let Some(opts) = crate::source::file::options_mut(&mut spec.kind) else {
            out.push(spec);
            continue;
        };
        let Ok(scan) = scan(&opts.path) else {
            out.push(spec);
            continue;
        };
        opts.patched = scan.patched.first().copied().unwrap_or(false);
        opts.routes = scan.names.iter().skip(1).cloned().collect();
        let routes: Vec<SourceSpec> = scan
            .names
            .iter()
            .zip(&scan.patched)
            .skip(1)
            .map(|(recorded, &patched)| SourceSpec {
                name: format!("{}/{recorded}", spec.name),
                url: spec.url.clone(),
                url_display: spec.url_display.clone(),
                headers: Vec::new(),
                pointers: Pointers::default(),
                kind: crate::source::file::route(patched),
                named_after_host: false,
            })
            .collect();
        out.push(spec);
        out.extend(routes);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventRef;

    /// The scan's shortcut reads the same source and type as the full parse,
    /// on lines written by `output::ndjson` with awkward names.
    #[test]
    fn canonical_head_agrees_with_the_full_parse() {
        let mut rng = fastrand::Rng::with_seed(9);
        let pieces = [
            "a",
            "é",
            "\\",
            "\"",
            "\n",
            "\u{1}",
            "\u{202e}",
            ",\"type\":\"",
            "null",
            " ",
        ];
        let text = |rng: &mut fastrand::Rng| -> String {
            (0..rng.usize(0..6))
                .map(|_| pieces[rng.usize(..pieces.len())])
                .collect()
        };
        for _ in 0..5_000 {
            let (source, ty, id) = (text(&mut rng), text(&mut rng), text(&mut rng));
            let ev = EventRef {
                source: &source,
                id: rng.bool().then_some(id.as_str()),
                ty: &ty,
                time: None,
                received: 0,
                data: "{}",
                json: true,
                meta: None,
                drift: false,
            };
            let mut line = Vec::new();
            crate::output::ndjson(&ev, &mut line);
            line.pop();
            let (s, t) = canonical_head(&line).expect("evtop's own lines take the shortcut");
            assert_eq!((s.as_ref(), t.as_ref()), (source.as_str(), ty.as_str()));
            let full = parse_line(std::str::from_utf8(&line).unwrap(), 0).unwrap();
            assert_eq!(
                (full.source.as_str(), full.event.ty.as_str()),
                (source.as_str(), ty.as_str())
            );
        }
        assert!(
            canonical_head(br#"{"type":"x","source":"y"}"#).is_none(),
            "other orders parse whole"
        );
    }

    /// A file scanned as two halves finds what one pass finds: the same
    /// names in order of first appearance, the same snapshots and count.
    #[test]
    fn a_scan_in_two_halves_agrees_with_one_pass() {
        use std::io::Write;
        let mut f = tempfile::NamedTempFile::new().unwrap();
        let mut rng = fastrand::Rng::with_seed(5);
        let mut lines = 0u64;
        let mut written = 0u64;
        while written < SCAN_SPLIT_MIN + (1 << 20) {
            let source = ["a", "b", "c"][rng.usize(..3)];
            // "late" appears only in the second half, "d" with a snapshot
            // only near the end.
            let source = if written > SCAN_SPLIT_MIN {
                ["late", "a", "d"][rng.usize(..3)]
            } else {
                source
            };
            let ty = if source == "d" { "data" } else { "t" };
            let line = format!(
                "{{\"source\":\"{source}\",\"id\":null,\"type\":\"{ty}\",\"time\":null,\"received\":\"2026-12-01T00:00:00Z\",\"data\":{{\"pad\":\"{}\"}}}}\n",
                "x".repeat(rng.usize(0..300))
            );
            f.write_all(line.as_bytes()).unwrap();
            written += line.len() as u64;
            lines += 1;
        }
        f.write_all(b"not a line\n").unwrap();
        f.flush().unwrap();
        let file = std::fs::File::open(f.path()).unwrap();
        let one = scan_range(&file, 0, u64::MAX).unwrap();
        let two = scan(f.path()).unwrap();
        assert_eq!(one.events, lines);
        assert_eq!(
            (&two.names, &two.patched, two.events),
            (&one.names, &one.patched, one.events)
        );
        let mut names = one.names.clone();
        names.sort();
        assert_eq!(names, ["a", "b", "c", "d", "late"]);
        assert!(one.patched[one.names.iter().position(|n| n == "d").unwrap()]);
    }

    #[test]
    fn round_trips_what_tail_writes() {
        let meta = WebhookMeta {
            verified: Some(true),
            reason: None,
            headers: [("content-type".to_owned(), "application/json".to_owned())].into(),
            forward: None,
            attempt: 1,
        };
        let cases = [
            (r#"{"amount":1.50,"z":[1,2]}"#, true, None),
            ("plain text with \"quotes\"", false, None),
            (r#"{"id":"evt_1"}"#, true, Some(&meta)),
        ];
        for (data, json, webhook) in cases {
            let meta = webhook.cloned().map(Meta::Webhook);
            let ev = EventRef {
                source: "payments",
                id: Some("evt_1"),
                ty: "charge.succeeded",
                time: Some(1_795_341_600_000),
                received: 1_795_341_600_123,
                data,
                json,
                meta: meta.as_ref(),
                drift: false,
            };
            let mut line = Vec::new();
            crate::output::ndjson(&ev, &mut line);
            let rec = parse_line(std::str::from_utf8(&line).unwrap().trim_end(), 3).unwrap();
            assert_eq!(rec.source, "payments");
            let e = rec.event;
            assert_eq!(
                (e.source, e.id.as_deref(), e.ty.as_str()),
                (3, Some("evt_1"), "charge.succeeded")
            );
            assert_eq!((e.time, e.received), (Some(1_795_341_600_000), 1_795_341_600_123));
            assert_eq!((e.data.as_str(), e.json), (data, Some(json)));
            assert_eq!(e.meta.as_deref().and_then(Meta::webhook), webhook);
        }
    }

    #[test]
    fn bad_lines_say_why() {
        let cases = [
            ("not json", "not an evtop NDJSON line"),
            (
                r#"{"source":"a","id":null,"type":"t","time":null,"data":1}"#,
                "missing field `received`",
            ),
            (
                r#"{"source":"a","id":null,"type":"t","time":null,"received":"yesterday","data":1}"#,
                "`received` is not an RFC 3339",
            ),
        ];
        for (line, want) in cases {
            let err = parse_line(line, 0).unwrap_err();
            assert!(err.contains(want), "{line}: {err}");
        }
    }
}
