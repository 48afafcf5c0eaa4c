//! Benchmarks 3–6 of the performance issue, one command:
//! `cargo bench --bench engine`
//!
//! 3. memory: RSS with 1,000,000 events of ~130 bytes buffered;
//! 4. filtering: a `type:` filter and a `.field>N` filter over them, and
//!    scrolling to the top of the filtered view;
//! 5. Streamdata: 100,000 small patches against a 10,000-element document;
//! 6. terminal output: bytes written per second in a 120×40 window while
//!    1,000 events/s arrive (what crosses an SSH link);
//! 2. the TUI under load: events/s ingested while drawing, frame time with
//!    1M buffered, key-to-frame latency (in process, on `TestBackend`);
//! 7. alerts: the cost of evaluating `[[alert]]`s on ingest — the TUI's
//!    ingest with 0 and with 5 alerts, and the evaluator alone as `tail`
//!    runs it before its printer.

use std::io::Write;
use std::time::Instant;

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};
#[path = "support/common.rs"]
mod common;
use common::{NOW, TYPES, spec};
use evtop::app::App;
use evtop::event::Event;
use evtop::filter::Filter;
use evtop::source::SourceMsg;
use evtop::store::Store;
use ratatui::backend::CrosstermBackend;
use ratatui::layout::Rect;
use ratatui::{Terminal, TerminalOptions, Viewport};

fn event(i: usize, received: i64) -> Event {
    let ty = TYPES[i % TYPES.len()];
    Event {
        source: 0,
        id: Some(format!("{i}")),
        ty: ty.into(),
        time: None,
        received,
        data: format!(
            r#"{{"id":"evt_{i:08}","type":"{ty}","amount":{},"currency":"usd"}}"#,
            (i * 37) % 100_000
        ),
        json: Some(true),
        meta: None,
    }
}

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

fn key(app: &mut App, code: KeyCode) {
    app.handle(&CEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)));
}

fn main() {
    // 3. Memory.
    const N: usize = 1_000_000;
    let before = rss_kib();
    let mut app = App::new(Store::new(N, &[spec(false)], NOW), Filter::default(), true, NOW);
    let mut raw_bytes = 0usize;
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..N {
        let e = event(i, NOW);
        raw_bytes += e.data.len() + e.id.as_ref().map_or(0, String::len);
        batch.push(e);
        if batch.len() == 10_000 {
            app.ingest([SourceMsg::Events {
                source: 0,
                events: std::mem::take(&mut batch),
                cursor: None,
            }]);
        }
    }
    let after = rss_kib();
    let grown = (after - before) * 1024;
    println!(
        "3. memory: {N} events buffered (data+id {:.0} bytes/event on average)",
        raw_bytes as f64 / N as f64
    );
    println!(
        "   RSS {:.1} MiB; growth {:.1} MiB; {:.0} bytes/event beyond the raw data",
        after as f64 / 1024.0,
        grown as f64 / 1048576.0,
        (grown as f64 - raw_bytes as f64) / N as f64
    );

    // 4. Filtering.
    for expr in ["type:charge.*", ".amount>50000"] {
        let t = Instant::now();
        app.filter = Filter::parse(expr).unwrap();
        app.refilter();
        let dt = t.elapsed();
        let t2 = Instant::now();
        key(&mut app, KeyCode::Char('g'));
        let mut term = Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
        term.draw(|f| evtop::ui::draw(f, &app)).unwrap();
        let dt2 = t2.elapsed();
        println!(
            "4. filter `{expr}` over {N} buffered: {:.1} ms ({} match); scroll to top + draw: {:.2} ms",
            dt.as_secs_f64() * 1e3,
            app.feed.seqs.len(),
            dt2.as_secs_f64() * 1e3
        );
        key(&mut app, KeyCode::Char('G'));
    }
    drop(app);

    // 5. Streamdata patches.
    let mut store = Store::new(1000, &[spec(true)], NOW);
    let doc: Vec<serde_json::Value> = (0..10_000)
        .map(|i| serde_json::json!({"sym": format!("S{i}"), "px": i as f64, "vol": 0}))
        .collect();
    let snapshot = Event {
        ty: "data".into(),
        data: serde_json::Value::Array(doc).to_string(),
        ..event(0, NOW)
    };
    store.ingest(
        SourceMsg::Events {
            source: 0,
            events: vec![snapshot],
            cursor: None,
        },
        NOW,
        |_, _| {},
    );
    const P: usize = 100_000;
    let patches: Vec<Event> = (0..P)
        .map(|i| Event {
            ty: "patch".into(),
            data: format!(
                r#"[{{"op":"replace","path":"/{}/px","value":{}.5}}]"#,
                (i * 7919) % 10_000,
                i
            ),
            ..event(i, NOW)
        })
        .collect();
    let t = Instant::now();
    for chunk in patches.chunks(1000) {
        store.ingest(
            SourceMsg::Events {
                source: 0,
                events: chunk.to_vec(),
                cursor: None,
            },
            NOW,
            |_, _| {},
        );
    }
    let dt = t.elapsed().as_secs_f64();
    assert!(!store.sources()[0].out_of_sync);
    println!(
        "5. {P} patches on a 10,000-element document: {:.2} s, {:.0} patches/s",
        dt,
        P as f64 / dt
    );

    // 6. Terminal output, frames drawn by the loop's own policy.
    let mut app = App::new(
        Store::new(100_000, &[spec(false)], NOW),
        Filter::default(),
        true,
        NOW,
    );
    let sink = Counting::default();
    let counter = sink.0.clone();
    let backend = CrosstermBackend::new(sink);
    let mut term = Terminal::with_options(
        backend,
        TerminalOptions {
            viewport: Viewport::Fixed(Rect::new(0, 0, 120, 40)),
        },
    )
    .unwrap();
    const SECONDS: i64 = 20;
    const FPS: i64 = 30;
    let frame = std::time::Duration::from_millis(1000 / FPS as u64);
    let (mut i, mut last_draw, mut drawn) = (0, NOW, 0);
    for tick in 0..SECONDS * FPS {
        let now = NOW + tick * 1000 / FPS;
        app.now = now;
        // 1,000 events/s, arriving every tick.
        let per_tick = 1000 / FPS as usize + usize::from(tick % 3 == 0);
        let events: Vec<Event> = (0..per_tick)
            .map(|_| {
                i += 1;
                event(i, now)
            })
            .collect();
        app.ingest([SourceMsg::Events {
            source: 0,
            events,
            cursor: None,
        }]);
        let second_changed = now / 1000 != (now - 1000 / FPS) / 1000;
        let since = std::time::Duration::from_millis((now - last_draw) as u64);
        if evtop::tui::frame_due(false, true, second_changed, since, frame) {
            term.draw(|f| evtop::ui::draw(f, &app)).unwrap();
            last_draw = now;
            drawn += 1;
        }
    }
    let bytes = *counter.lock().unwrap();
    println!(
        "6. terminal: 120x40, 1,000 events/s for {SECONDS} s, {:.0} frames/s drawn: {:.1} KiB/s written",
        drawn as f64 / SECONDS as f64,
        bytes as f64 / SECONDS as f64 / 1024.0
    );
    drop(app);

    // 2. TUI under load, with the catalog learning (as the monitor runs)
    // and without, to show what it costs.
    // Alternated and best of two each: the first run of the process pays
    // for fresh memory (page faults on the 1M ring), which would otherwise
    // count against whichever goes first.
    let (mut with, mut without) = (0f64, 0f64);
    for _ in 0..2 {
        without = without.max(tui_under_load(N, frame, false));
        with = with.max(tui_under_load(N, frame, true));
    }
    println!(
        "2. catalog cost on TUI ingest: {:.0} events/s with, {:.0} without ({:+.1} %)",
        with,
        without,
        (with / without - 1.0) * 100.0
    );

    // 7. Alerts on ingest: alternated, best of two each (as above).
    let five = five_alerts();
    let (mut none, mut some) = (0f64, 0f64);
    for _ in 0..2 {
        none = none.max(alerts_on_ingest(N, &[]));
        some = some.max(alerts_on_ingest(N, &five));
    }
    println!(
        "7. alerts on TUI ingest: {:.0} events/s with 0 alerts, {:.0} with 5 ({:+.1} %)",
        none,
        some,
        (some / none - 1.0) * 100.0
    );
    for (label, specs) in [
        ("the 5", five.clone()),
        ("the 4 without a field term", five[..4].to_vec()),
    ] {
        let rate = evaluator_alone(2 * N, &specs);
        println!(
            "7. alert evaluator alone (tail's path), {label}: {:.0} events/s ({:.0} ns/event)",
            rate,
            1e9 / rate
        );
    }
}

/// Five alerts of the kinds a user writes: rates on a type and on a glob,
/// a silent, a negated type, and an `each` on a field (which parses every
/// event's JSON, the costly kind; it is last).
fn five_alerts() -> Vec<evtop::alert::AlertSpec> {
    let toml = r#"
[[alert]]
name = "failed"
when = "type:charge.failed"
rate = "> 5/1m"
[[alert]]
name = "charges"
when = "type:charge.*"
rate = "> 100000/10s"
[[alert]]
name = "invoices quiet"
when = "type:invoice.paid"
silent = "2m"
[[alert]]
name = "not customers"
when = "source:bench -type:customer.created"
rate = ">= 100/1m"
[[alert]]
name = "big"
when = ".amount>99990"
each = true
"#;
    evtop::config::parse_config(toml, "bench", &|_| None)
        .expect("bench alerts load")
        .alerts
}

/// Ingest 2 × `n` events (1,000 a batch, the clock at 2 M events/s) into an
/// `App` buffering `n`, with these alerts, drawing nothing. Events/s.
fn alerts_on_ingest(n: usize, specs: &[evtop::alert::AlertSpec]) -> f64 {
    let mut app =
        App::new(Store::new(n, &[spec(false)], NOW), Filter::default(), true, NOW).with_alerts(specs);
    app.store.set_learning(false);
    let start = Instant::now();
    let mut total = 0usize;
    while total < 2 * n {
        total += ingest_thousand(&mut app, total);
        let _ = app.alerts.drain();
    }
    total as f64 / start.elapsed().as_secs_f64()
}

/// [`evtop::alert::Alerts`] alone over `n` events, as `tail` feeds it: every
/// event observed, a verdict per 1,000. Events are made before the clock
/// starts. Events/s.
fn evaluator_alone(n: usize, specs: &[evtop::alert::AlertSpec]) -> f64 {
    let events: Vec<Event> = (0..n).map(|i| event(i, NOW + (i / 2000) as i64)).collect();
    let mut alerts = evtop::alert::Alerts::new(specs, &["bench"], NOW);
    let start = Instant::now();
    for (i, e) in events.iter().enumerate() {
        alerts.observe(&e.as_ref("bench"), e.received);
        if i % 1000 == 999 {
            alerts.evaluate(e.received, |_| true);
            let _ = alerts.drain();
        }
    }
    n as f64 / start.elapsed().as_secs_f64()
}

/// Ingest events `from` .. `from + 1000` into `app`, the clock at 2 M
/// events/s (1 ms per 2,000 events). Returns how many.
fn ingest_thousand(app: &mut App, from: usize) -> usize {
    let clock = NOW + (from / 2000) as i64;
    app.now = clock;
    let events: Vec<Event> = (0..1000).map(|j| event(from + j, clock)).collect();
    let n = events.len();
    app.ingest([SourceMsg::Events {
        source: 0,
        events,
        cursor: None,
    }]);
    n
}

/// Part 2: ingest 10 × `n` events as fast as possible into an `App` with
/// `n` buffered, drawing whenever the loop's policy says so, a key every
/// 100 ms; the clock advances 1 ms per 2,000 events (2 M events/s), so the
/// catalog samples as it would live. Returns events/s.
fn tui_under_load(n: usize, frame: std::time::Duration, learning: bool) -> f64 {
    let mut app = App::new(Store::new(n, &[spec(false)], NOW), Filter::default(), true, NOW);
    app.store.set_learning(learning);
    let mut term = Terminal::new(ratatui::backend::TestBackend::new(120, 40)).unwrap();
    let mut frames = Vec::new();
    let mut key_to_frame = Vec::new();
    let start = Instant::now();
    let (mut last_draw, mut last_key) = (Instant::now(), Instant::now());
    let mut pending_key: Option<Instant> = None;
    let mut total = 0usize;
    let mut k = 0usize;
    while total < 10 * n {
        total += ingest_thousand(&mut app, total);
        if last_key.elapsed() >= std::time::Duration::from_millis(100) {
            key(
                &mut app,
                if k % 2 == 0 {
                    KeyCode::Char('k')
                } else {
                    KeyCode::Char('j')
                },
            );
            k += 1;
            last_key = Instant::now();
            pending_key = Some(last_key);
        }
        if evtop::tui::frame_due(pending_key.is_some(), true, false, last_draw.elapsed(), frame) {
            let t = Instant::now();
            term.draw(|f| evtop::ui::draw(f, &app)).unwrap();
            frames.push(t.elapsed().as_secs_f64() * 1e3);
            if let Some(at) = pending_key.take() {
                key_to_frame.push(at.elapsed().as_secs_f64() * 1e3);
            }
            last_draw = Instant::now();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    frames.sort_by(f64::total_cmp);
    key_to_frame.sort_by(f64::total_cmp);
    let pct = |v: &[f64], p: usize| v[(v.len() * p / 100).min(v.len() - 1)];
    println!(
        "2. TUI under load (catalog {}): {:.0} events/s ingested while drawing ({} frames); frame median {:.2} ms p99 {:.2} ms with {} buffered; key-to-frame median {:.2} ms p99 {:.2} ms",
        if learning { "learning" } else { "off" },
        total as f64 / secs,
        frames.len(),
        pct(&frames, 50),
        pct(&frames, 99),
        app.store.records().len(),
        pct(&key_to_frame, 50),
        pct(&key_to_frame, 99),
    );
    total as f64 / secs
}

#[derive(Default)]
struct Counting(std::sync::Arc<std::sync::Mutex<usize>>);

impl Write for Counting {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        *self.0.lock().unwrap() += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
