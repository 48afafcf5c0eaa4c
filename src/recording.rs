//! Recordings: section-4 NDJSON — exactly what `tail --format ndjson`
//! prints and the TUI's `e` exports — read back as events. One format, one
//! reader: `evtop replay`, `kind = "file"` and `evtop resend` all use
//! [`parse_line`].

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::config::{FileOptions, SourceKind, SourceSpec, Speed};
use crate::event::{Event, Pointers, SourceId, WebhookMeta};

/// One recorded event, with the name of the source it came from.
#[derive(Debug, Clone, PartialEq)]
pub struct Recorded {
    pub source: String,
    pub event: Event,
}

#[derive(Deserialize)]
struct Line<'a> {
    source: String,
    id: Option<String>,
    #[serde(rename = "type")]
    ty: String,
    time: Option<String>,
    received: String,
    #[serde(borrow)]
    data: &'a RawValue,
    #[serde(default)]
    webhook: Option<WebhookMeta>,
}

/// Parse one NDJSON line. `data` that is a JSON string comes back as that
/// text (not JSON); anything else comes back as its JSON text. Unknown
/// members are ignored, so recordings from later versions still play.
pub fn parse_line(line: &str, source: SourceId) -> Result<Recorded, String> {
    let l: Line<'_> = serde_json::from_str(line).map_err(|e| format!("not an evtop NDJSON line: {e}"))?;
    let received = chrono::DateTime::parse_from_rfc3339(&l.received)
        .map_err(|e| format!("`received` is not an RFC 3339 time: {e}"))?
        .timestamp_millis();
    let time = match l.time {
        Some(t) => Some(
            chrono::DateTime::parse_from_rfc3339(&t)
                .map_err(|e| format!("`time` is not an RFC 3339 time: {e}"))?
                .timestamp_millis(),
        ),
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
    Ok(Recorded {
        source: l.source,
        event: Event {
            source,
            id: l.id,
            ty: l.ty,
            time,
            received,
            data,
            json,
            webhook: l.webhook.map(Box::new),
        },
    })
}

/// What a look through a recording found: its source names in order of
/// appearance, and which of them keep a state document (they have `data`
/// snapshots, as Streamdata and diff sources do).
#[derive(Debug, Default)]
pub struct Scan {
    pub names: Vec<String>,
    pub patched: Vec<bool>,
}

/// Read a recording once to find its sources. Bad lines are skipped here;
/// the replay reports them with their line numbers.
pub fn scan(path: &Path) -> std::io::Result<Scan> {
    use std::io::BufRead;
    let file = std::fs::File::open(path)?;
    let mut scan = Scan::default();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in std::io::BufReader::new(file).split(b'\n') {
        let line = line?;
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        let Ok(rec) = parse_line(text, 0) else { continue };
        let i = *index.entry(rec.source.clone()).or_insert_with(|| {
            scan.names.push(rec.source.clone());
            scan.patched.push(false);
            scan.names.len() - 1
        });
        if rec.event.ty == "data" {
            scan.patched[i] = true;
        }
    }
    Ok(scan)
}

/// The sources that replay `files`: per file, one reader (named after the
/// file's first recorded source) and one route for each other source it
/// recorded, so every event keeps its source name. Names already taken (by
/// another file or `taken`) get `-2`, `-3`…
pub fn plan(
    files: &[PathBuf],
    follow: bool,
    speed: f64,
    taken: &[String],
) -> Result<Vec<SourceSpec>, String> {
    let mut used: Vec<String> = taken.to_vec();
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
            SourceKind::File(FileOptions {
                path: path.clone(),
                follow,
                speed: Speed(speed),
                routes: routes.clone(),
                patched: scan.patched.first().copied().unwrap_or(false),
            }),
        ));
        for (i, name) in route_names.into_iter().enumerate() {
            specs.push(spec(
                name,
                SourceKind::FileRoute {
                    patched: scan.patched[i + 1],
                },
            ));
        }
    }
    Ok(specs)
}

/// `kind = "file"` sources from a config show every recorded event under
/// their own name; they keep a state document when the recording has
/// snapshots. An unreadable file is left for the source to report.
pub fn prepare_config_files(specs: &mut [SourceSpec]) {
    for spec in specs {
        if let SourceKind::File(opts) = &mut spec.kind {
            if let Ok(scan) = scan(&opts.path) {
                opts.patched = scan.patched.iter().any(|&p| p);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventRef;

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
            let ev = EventRef {
                source: "payments",
                id: Some("evt_1"),
                ty: "charge.succeeded",
                time: Some(1_795_341_600_000),
                received: 1_795_341_600_123,
                data,
                json,
                webhook,
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
            assert_eq!((e.data.as_str(), e.json), (data, json));
            assert_eq!(e.webhook.as_deref(), webhook);
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
