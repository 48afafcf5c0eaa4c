//! `evtop catalog` (SPEC 10): the catalog of recordings, or of live sources
//! for a while, written as an AsyncAPI 3.0 document, evtop's own JSON, or
//! Markdown.
//!
//! Recordings are read as fast as they can be: each line is parsed once,
//! its `data` straight into a JSON value that the catalog walks (no event
//! is built). Every event is learned ([`Sampling::All`]).

pub mod asyncapi;
pub mod report;

use std::borrow::Cow;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use crate::config::Config;
use crate::engine::Engine;
use crate::event::parse_rfc3339_millis;
use crate::filter::Filter;
use crate::source::SourceMsg;
use crate::store::catalog::{Catalog, Sampling};
use crate::tail::stderr::Diagnostics;

/// What `--format` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum CatalogFormat {
    /// AsyncAPI 3.0 (JSON; YAML when `-o` ends in `.yaml` or `.yml`).
    Asyncapi,
    /// evtop's catalog as JSON: every statistic it keeps.
    Json,
    /// A table per type, for a README or a review.
    Markdown,
}

/// A catalog and where it was learned from.
#[derive(Debug)]
pub struct Learned {
    pub catalog: Catalog,
    /// Events learned.
    pub events: u64,
    /// Lines that were not evtop NDJSON (skipped, reported).
    pub bad_lines: u64,
    /// What it was learned from, for the document's description
    /// (`rec.ndjson`, `3 sources for 5m`).
    pub from: String,
}

/// One recorded line as the catalog needs it.
#[derive(Deserialize)]
struct Line<'a> {
    #[serde(borrow)]
    source: Cow<'a, str>,
    #[serde(rename = "type", borrow)]
    ty: Cow<'a, str>,
    #[serde(borrow)]
    received: Cow<'a, str>,
    data: Value,
}

/// Learn from recordings, in order. A line that is not an evtop NDJSON
/// line is skipped and named on `diag` (`FILE:LINE: why`); only events
/// matching `filter` are learned (a relative filter counts from the latest
/// `received` in the files, [`crate::recording::latest_received`]).
pub fn from_recordings(files: &[PathBuf], filter: &Filter, diag: &Diagnostics) -> Result<Learned, String> {
    let mut catalog = Catalog::new(Sampling::All);
    let (mut events, mut bad_lines) = (0u64, 0u64);
    let mut filter = filter.clone();
    if filter.is_relative() {
        let latest = crate::recording::latest_received(files).map_err(|e| format!("cannot read {e}"))?;
        filter.set_now(latest.unwrap_or(0));
    }
    let filter = &filter;
    for path in files {
        let file = std::fs::File::open(path).map_err(|e| format!("{}: cannot read: {e}", path.display()))?;
        let mut reader = BufReader::with_capacity(1 << 20, file);
        let mut line = String::new();
        let mut no = 0u64;
        loop {
            line.clear();
            match reader.read_line(&mut line) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => return Err(format!("{}: cannot read: {e}", path.display())),
            }
            no += 1;
            let text = line.trim_end();
            if text.is_empty() {
                continue;
            }
            match learn_line(&mut catalog, text, filter) {
                Ok(true) => events += 1,
                Ok(false) => {}
                Err(why) => {
                    bad_lines += 1;
                    diag.line(format!("evtop: {}:{no}: {why}", path.display()));
                }
            }
        }
    }
    let from = files
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ");
    Ok(Learned {
        catalog,
        events,
        bad_lines,
        from,
    })
}

/// Learn one line; false when the filter leaves it out.
fn learn_line(catalog: &mut Catalog, text: &str, filter: &Filter) -> Result<bool, String> {
    if !filter.is_empty() {
        let rec = crate::recording::parse_line(text, 0)?;
        if !filter.matches(&rec.event.as_ref(&rec.source)) {
            return Ok(false);
        }
    }
    let line: Line<'_> = serde_json::from_str(text).map_err(|e| format!("not an evtop NDJSON line: {e}"))?;
    let received = parse_rfc3339_millis(&line.received)
        .ok_or_else(|| format!("`received` is not an RFC 3339 time: {:?}", line.received))?;
    catalog.learn_value(&line.ty, &line.source, &line.data, text.len(), received);
    Ok(true)
}

/// Learn from the configured sources until `duration` passes (or SIGINT /
/// SIGTERM); status changes go to `diag`.
pub async fn from_sources(
    config: &Config,
    filter: &Filter,
    duration: Option<Duration>,
    diag: &Diagnostics,
) -> anyhow::Result<Learned> {
    let mut engine = Engine::start(&config.sources, &config.settings, &config.secrets)?;
    let names: Vec<&str> = config.sources.iter().map(|s| s.name.as_str()).collect();
    let mut catalog = Catalog::new(Sampling::All);
    let mut events = 0u64;
    let mut filter = filter.clone();
    let relative = filter.is_relative();
    let replay = !config.sources.is_empty() && config.sources.iter().all(|s| s.kind.is_recording());
    let mut clock = crate::tail::StreamClock::new(replay);
    let deadline = tokio::time::sleep(duration.unwrap_or(Duration::MAX / 4));
    tokio::pin!(deadline);
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut batch = Vec::with_capacity(64);
    loop {
        tokio::select! {
            _ = &mut deadline => break,
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            n = engine.rx.recv_many(&mut batch, 64) => {
                if n == 0 {
                    break;
                }
                for msg in batch.drain(..) {
                    match msg {
                        SourceMsg::Events { events: evs, .. } => {
                            let wall = crate::event::now_millis();
                            for ev in evs {
                                if relative {
                                    filter.set_now(clock.now(wall, ev.received));
                                }
                                let source = names.get(ev.source as usize).copied().unwrap_or("?");
                                if filter.matches(&ev.as_ref(source)) {
                                    catalog.learn_named(&ev.ty, source, &ev.data, ev.received);
                                    events += 1;
                                }
                            }
                        }
                        SourceMsg::Status { source, status } => {
                            let name = names.get(source as usize).copied().unwrap_or("?");
                            diag.line(format!("{name}: {status}"));
                        }
                        SourceMsg::Dropped { source, detail, .. } => {
                            let name = names.get(source as usize).copied().unwrap_or("?");
                            diag.line(format!("{name}: {detail}"));
                        }
                        SourceMsg::CaughtUp { .. } => {}
                    }
                }
            }
        }
    }
    engine.shutdown().await;
    let from = match duration {
        Some(d) => format!("{} sources for {}", names.len(), humantime::format_duration(d)),
        None => format!("{} sources", names.len()),
    };
    Ok(Learned {
        catalog,
        events,
        bad_lines: 0,
        from,
    })
}

/// Whether `path` asks for YAML (`.yaml`, `.yml`).
pub fn wants_yaml(path: Option<&Path>) -> bool {
    path.and_then(|p| p.extension())
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("yaml") || e.eq_ignore_ascii_case("yml"))
}

/// The catalog in `format`; YAML for AsyncAPI when `yaml`.
pub fn render(learned: &Learned, format: CatalogFormat, yaml: bool) -> anyhow::Result<Vec<u8>> {
    Ok(match format {
        CatalogFormat::Asyncapi => {
            let doc = asyncapi::document(learned);
            if yaml {
                yaml_serde::to_string(&doc)?.into_bytes()
            } else {
                let mut out = serde_json::to_vec_pretty(&doc)?;
                out.push(b'\n');
                out
            }
        }
        CatalogFormat::Json => {
            let mut out = serde_json::to_vec_pretty(&report::json(learned))?;
            out.push(b'\n');
            out
        }
        CatalogFormat::Markdown => report::markdown(learned).into_bytes(),
    })
}

/// Write `bytes` to `path`, or stdout.
pub fn write_out(bytes: &[u8], path: Option<&Path>) -> std::io::Result<()> {
    match path {
        Some(p) => std::fs::write(p, bytes),
        None => {
            let mut out = std::io::stdout().lock();
            out.write_all(bytes)?;
            out.flush()
        }
    }
}
