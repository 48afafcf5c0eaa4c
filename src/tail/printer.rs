//! `tail`'s output thread: filtering, formatting and writing to stdout, on a
//! thread of its own behind a bounded queue.
//!
//! ```text
//! runtime thread (sources, webhook servers, store)      printer thread
//!   tail loop ──▶ bounded mpsc (batches of Event) ──▶ filter ─▶ format ─▶ stdout
//!       ▲ waits only for room in the queue ◀── back-pressure ──┘ (may block)
//! ```
//!
//! Nothing on the runtime thread ever writes to stdout, so a consumer that
//! stops reading blocks this thread alone: webhook deliveries are still
//! answered at once (and dropped-and-counted by their source past its queue,
//! as in the TUI), while SSE and polling sources slow down because the tail
//! loop waits for room in the queue and TCP pushes back on their servers.
//!
//! Work is split so that the runtime thread parses and this thread does the
//! rest: the filter's `type:`/`source:` verdict is decided once per (source,
//! type) and cached ([`Verdicts`]), and an event's JSON is checked only when
//! it is printed or its data is filtered on. With a contract, an event is
//! validated here, on this thread, and only once the rest of the filter has
//! let it through (its `drift`/`-drift` terms are decided last,
//! [`Filter::split_drift`]); text lines need the verdict alone, NDJSON lines
//! the reasons too.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::io::Write;
use std::sync::Arc;

use rustc_hash::FxHasher;
use tokio::sync::{mpsc, oneshot};

use super::StreamClock;
use crate::contract::Contract;
use crate::event::{Event, Meta};
use crate::filter::Filter;
use crate::output::{self, Format};

/// Batches waiting for the printer. Each holds what the tail loop took in
/// one turn (about 1 MiB of event data at most, see `tail.rs`), so this
/// bounds memory at about 16 MiB while letting the parser run ahead of a
/// momentarily slow writer.
pub const QUEUE_BATCHES: usize = 16;
/// Bytes formatted before they are written: fewer, larger writes.
const WRITE_CHUNK: usize = 1 << 17;
/// Most (source, type) verdicts cached before the cache starts over, so a
/// server inventing a type per event cannot grow it without end.
const MAX_VERDICTS: usize = 10_000;

/// What the printer is asked to do.
pub struct PrinterOptions {
    pub format: Format,
    pub color: bool,
    pub filter: Filter,
    /// Stop after this many printed events.
    pub limit: u64,
    /// Source names by source id.
    pub names: Arc<[String]>,
    /// What events are checked against (`--contract`), if anything.
    pub contract: Option<Arc<Contract>>,
    /// "Now" for a relative filter (`since:`, `until:`, clock times).
    pub clock: StreamClock,
    /// The wall clock, unix ms: read once per batch, and only for a
    /// relative filter (tests give a fixed one).
    pub wall: fn() -> i64,
}

/// Why the printer stopped.
#[derive(Debug)]
pub enum Finished {
    /// `--count` events printed.
    Count,
    /// Its queue was closed and everything in it written.
    Drained,
    /// The reader went away (EPIPE): a normal end for `| head`.
    Closed,
    /// Writing failed otherwise.
    Failed(std::io::Error),
}

/// Handle to the output thread.
pub struct Printer {
    tx: Option<mpsc::Sender<Vec<Event>>>,
    done: oneshot::Receiver<(Finished, u64)>,
}

impl Printer {
    /// Start the thread, writing to stdout.
    pub fn start(opts: PrinterOptions) -> std::io::Result<Printer> {
        Printer::start_with(opts, std::io::stdout())
    }

    /// Start the thread, writing to `out` (tests give it a pipe).
    pub fn start_with<W: Write + Send + 'static>(opts: PrinterOptions, out: W) -> std::io::Result<Printer> {
        let (tx, rx) = mpsc::channel(QUEUE_BATCHES);
        let (done_tx, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("evtop-printer".into())
            .spawn(move || {
                let result = print(opts, rx, out);
                let _ = done_tx.send(result);
            })?;
        Ok(Printer { tx: Some(tx), done })
    }

    /// Queue a batch, waiting for room (this is the back-pressure). Returns
    /// false once the printer has stopped.
    pub async fn send(&self, batch: Vec<Event>) -> bool {
        match &self.tx {
            Some(tx) => tx.send(batch).await.is_ok(),
            None => false,
        }
    }

    /// Resolves when the printer stops by itself (count reached, reader
    /// gone, write error), with the events printed.
    pub async fn stopped(&mut self) -> (Finished, u64) {
        (&mut self.done)
            .await
            .unwrap_or((Finished::Failed(std::io::Error::other("output thread ended")), 0))
    }

    /// Close the queue and wait up to `grace` for everything queued to be
    /// written. `None` when stdout stayed blocked past the grace period.
    pub async fn finish(mut self, grace: std::time::Duration) -> Option<(Finished, u64)> {
        self.tx = None;
        tokio::time::timeout(grace, self.stopped()).await.ok()
    }
}

/// The thread's loop.
fn print<W: Write>(opts: PrinterOptions, mut rx: mpsc::Receiver<Vec<Event>>, mut w: W) -> (Finished, u64) {
    let mut verdicts = Verdicts::default();
    let mut out = Vec::with_capacity(WRITE_CHUNK + (1 << 12));
    let mut printed = 0u64;
    let mut received = output::Received::default();
    let (mut filter, drift_rule) = opts.filter.split_drift();
    let relative = filter.is_relative();
    let mut clock = opts.clock;
    let mut reasons: Vec<String> = Vec::new();
    while let Some(mut batch) = rx.blocking_recv() {
        loop {
            let wall = if relative { (opts.wall)() } else { 0 };
            for ev in &batch {
                if relative {
                    filter.set_now(clock.now(wall, ev.received));
                }
                if printed >= opts.limit {
                    break;
                }
                let name = opts.names.get(ev.source as usize).map_or("?", String::as_str);
                // A relayed event shows its original source name: decided
                // on that name, not cached per source id.
                let verdict = match ev.meta.as_deref().and_then(Meta::source_name) {
                    Some(origin) => filter.decide_type_source(&ev.ty, origin),
                    None => verdicts.get(&filter, ev.source, &ev.ty, name),
                };
                if verdict == Some(false) {
                    continue;
                }
                let mut r = ev.as_ref(name);
                if verdict.is_none() && !filter.matches(&r) {
                    continue;
                }
                reasons.clear();
                if let Some(c) = &opts.contract {
                    r.drift = match opts.format {
                        Format::Ndjson => {
                            reasons = c.reasons(r.ty, r.data, r.json);
                            !reasons.is_empty()
                        }
                        Format::Text => c.drifts(r.ty, r.data, r.json),
                    };
                }
                if !drift_rule.allows(r.drift) {
                    continue;
                }
                printed += 1;
                match opts.format {
                    Format::Ndjson => output::ndjson_with(&r, &reasons, &mut out, &mut received),
                    Format::Text => output::text(&r, opts.color, &mut out),
                }
            }
            // Keep formatting what is already waiting, up to a chunk, so a
            // firehose is written in large pieces; write as soon as the
            // queue is empty, so a trickle is never held back.
            if out.len() >= WRITE_CHUNK || printed >= opts.limit {
                break;
            }
            match rx.try_recv() {
                Ok(next) => batch = next,
                Err(_) => break,
            }
        }
        if let Err(e) = w.write_all(&out).and_then(|()| w.flush()) {
            let end = if e.kind() == std::io::ErrorKind::BrokenPipe {
                Finished::Closed
            } else {
                Finished::Failed(e)
            };
            return (end, printed);
        }
        out.clear();
        if printed >= opts.limit {
            return (Finished::Count, printed);
        }
    }
    (Finished::Drained, printed)
}

/// The filter's verdict on type and source alone, per (source, type):
/// decided by the filter once, then a hash lookup.
#[derive(Default)]
struct Verdicts {
    by_source: Vec<HashMap<Box<str>, Option<bool>, BuildHasherDefault<FxHasher>>>,
    len: usize,
}

impl Verdicts {
    /// `Some(verdict)` when type and source decide; `None` when the event
    /// itself must be matched.
    fn get(&mut self, filter: &Filter, source: u16, ty: &str, name: &str) -> Option<bool> {
        let i = source as usize;
        if self.by_source.len() <= i {
            self.by_source.resize_with(i + 1, HashMap::default);
        }
        if let Some(&v) = self.by_source[i].get(ty) {
            return v;
        }
        if self.len >= MAX_VERDICTS {
            self.by_source.iter_mut().for_each(HashMap::clear);
            self.len = 0;
        }
        let v = filter.decide_type_source(ty, name);
        self.by_source[i].insert(ty.into(), v);
        self.len += 1;
        v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(source: u16, ty: &str, data: &str) -> Event {
        Event {
            source,
            id: None,
            ty: ty.into(),
            time: None,
            received: 0,
            data: data.into(),
            json: None,
            meta: None,
        }
    }

    /// A writer that collects everything into a shared buffer.
    #[derive(Clone, Default)]
    struct Sink(Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// The fixed wall clock of these tests: 2026-12-02T14:05:00Z.
    const WALL: i64 = 1_796_220_300_000;

    fn run(filter: &str, limit: u64, batches: Vec<Vec<Event>>) -> (Vec<serde_json::Value>, u64) {
        run_with(filter, limit, batches, StreamClock::new(false))
    }

    fn run_with(
        filter: &str,
        limit: u64,
        batches: Vec<Vec<Event>>,
        clock: StreamClock,
    ) -> (Vec<serde_json::Value>, u64) {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let sink = Sink::default();
        let opts = PrinterOptions {
            format: Format::Ndjson,
            color: false,
            filter: Filter::parse(filter).unwrap(),
            limit,
            names: vec!["a".to_owned(), "b".to_owned()].into(),
            contract: None,
            clock,
            wall: || WALL,
        };
        let (_, printed) = rt.block_on(async {
            let p = Printer::start_with(opts, sink.clone()).unwrap();
            for b in batches {
                if !p.send(b).await {
                    break;
                }
            }
            p.finish(std::time::Duration::from_secs(10)).await.unwrap()
        });
        let text = String::from_utf8(sink.0.lock().unwrap().clone()).unwrap();
        let lines = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
        (lines, printed)
    }

    #[test]
    fn filters_by_cached_type_and_by_data_and_checks_json_late() {
        let batch = vec![
            ev(0, "charge.ok", r#"{"amount":5}"#),
            ev(1, "charge.ok", r#"{"amount":50}"#),
            ev(0, "invoice.paid", r#"{"amount":500}"#),
            ev(0, "charge.ok", "not json"),
            ev(0, "charge.ok", r#"{"amount":7}"#),
        ];
        let (lines, printed) = run("type:charge.* source:a", u64::MAX, vec![batch.clone()]);
        assert_eq!(printed, 3);
        assert_eq!(lines[0]["data"]["amount"], 5);
        assert_eq!(lines[1]["data"], "not json", "non-JSON data printed as a string");
        assert_eq!(lines[2]["data"]["amount"], 7);
        let (lines, _) = run("type:charge.* .amount>6", u64::MAX, vec![batch]);
        let amounts: Vec<_> = lines.iter().map(|l| l["data"]["amount"].clone()).collect();
        assert_eq!(amounts, [50, 7]);
    }

    #[test]
    fn relative_filters_count_from_the_wall_live_and_from_the_replay_clock_in_a_replay() {
        let at = |received: i64| Event {
            received,
            ..ev(0, "t", &received.to_string())
        };
        let printed = |lines: Vec<serde_json::Value>| -> Vec<i64> {
            lines.iter().map(|l| l["data"].as_i64().unwrap()).collect()
        };
        // Live: now is the (fixed) wall clock for the whole batch.
        let batch = vec![at(WALL - 60_001), at(WALL - 60_000), at(WALL - 1), at(WALL)];
        let (lines, _) = run("since:1m", u64::MAX, vec![batch.clone()]);
        assert_eq!(printed(lines), [WALL - 60_000, WALL - 1, WALL]);
        let (lines, _) = run("until:1m", u64::MAX, vec![batch]);
        assert_eq!(printed(lines), [WALL - 60_001, WALL - 60_000]);
        // A replay: now is the latest received so far, this event included,
        // whatever the batches.
        let t0 = 1_000_000;
        let events: Vec<Event> = [0, 10_000, 59_999, 60_000, 61_000, 500, 120_000]
            .iter()
            .map(|d| at(t0 + d))
            .collect();
        for split in [1, 3, 7] {
            let batches: Vec<Vec<Event>> = events.chunks(split).map(<[Event]>::to_vec).collect();
            let (lines, _) = run_with("until:1m", u64::MAX, batches.clone(), StreamClock::new(true));
            // Only the event out of order (0.5 s, when the clock says 61 s)
            // is a minute old when it passes.
            assert_eq!(printed(lines), [t0 + 500], "batches of {split}");
            let (lines, _) = run_with("since:30s", u64::MAX, batches, StreamClock::new(true));
            assert_eq!(
                printed(lines).len(),
                6,
                "batches of {split}: all but the late one"
            );
        }
    }

    #[test]
    fn stops_at_the_limit_across_batches() {
        let batches = (0..10)
            .map(|b| (0..10).map(|i| ev(0, "t", &format!("{}", b * 10 + i))).collect())
            .collect();
        let (lines, printed) = run("", 25, batches);
        assert_eq!(printed, 25);
        assert_eq!(lines.len(), 25);
        assert_eq!(lines[24]["data"], 24);
    }
}

#[cfg(test)]
mod contract_tests {
    use super::*;

    #[test]
    fn drift_terms_are_decided_after_the_rest_and_ndjson_carries_reasons() {
        let contract = Contract::from_text(
            r#"{"t": {"type": "object", "properties": {"n": {"type": "integer"}}}}"#,
            std::path::Path::new("c.json"),
        )
        .unwrap();
        let contract = Some(Arc::new(contract));
        let batch = || {
            ["{\"n\":1}", "{\"n\":\"x\"}", "{\"n\":2}", "{\"n\":true}"]
                .iter()
                .map(|d| Event {
                    source: 0,
                    id: None,
                    ty: "t".into(),
                    time: None,
                    received: 0,
                    data: (*d).into(),
                    json: None,
                    meta: None,
                })
                .collect::<Vec<_>>()
        };
        let run = |filter: &str, format: Format| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            let sink = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
            struct W(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
            impl Write for W {
                fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                    self.0.lock().unwrap().extend_from_slice(b);
                    Ok(b.len())
                }
                fn flush(&mut self) -> std::io::Result<()> {
                    Ok(())
                }
            }
            let opts = PrinterOptions {
                format,
                color: false,
                filter: Filter::parse(filter).unwrap(),
                limit: u64::MAX,
                names: vec!["a".to_owned()].into(),
                contract: contract.clone(),
                clock: StreamClock::new(false),
                wall: crate::event::now_millis,
            };
            rt.block_on(async {
                let p = Printer::start_with(opts, W(sink.clone())).unwrap();
                p.send(batch()).await;
                p.finish(std::time::Duration::from_secs(10)).await.unwrap();
            });
            String::from_utf8(sink.lock().unwrap().clone()).unwrap()
        };
        let all = run("", Format::Ndjson);
        let drift: Vec<serde_json::Value> = all
            .lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap()["drift"].clone())
            .collect();
        assert_eq!(
            drift,
            [
                serde_json::Value::Null,
                serde_json::json!(["/n: expected integer, got string"]),
                serde_json::Value::Null,
                serde_json::json!(["/n: expected integer, got boolean"]),
            ]
        );
        assert_eq!(run("drift", Format::Ndjson).lines().count(), 2);
        assert_eq!(run("-drift .n>1", Format::Ndjson).lines().count(), 1);
        assert_eq!(run("drift -drift", Format::Ndjson).lines().count(), 0);
        let text = run("drift", Format::Text);
        assert!(text.lines().all(|l| l.contains(" ≠ ")), "{text}");
        assert_eq!(text.lines().count(), 2);
    }
}
