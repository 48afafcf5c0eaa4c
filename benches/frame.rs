//! Frame cost against buffer size: the same 120×40 screen drawn with 100
//! and with 1,000,000 buffered events. `draw` looks only at visible rows,
//! so the two figures should match. A third figure: 1,000,000 buffered
//! with the rate chart (`r`) open over all six types ("only" all of them,
//! one line each) and the type panel's sparklines at 15 minutes (`w w`) —
//! both read the rate history, never the buffer.
//!
//! Run: `cargo bench --bench frame`

use std::time::Instant;

#[path = "support/common.rs"]
mod common;
use evtop::app::{App, Overlay, TypeSelection};
use evtop::event::Event;
use evtop::filter::Filter;
use evtop::source::SourceMsg;
use evtop::store::Store;
use ratatui::Terminal;
use ratatui::backend::TestBackend;

const FRAMES: usize = 300;
const TYPES: [&str; 6] = [
    "charge.succeeded",
    "charge.failed",
    "payment_intent.created",
    "invoice.paid",
    "customer.created",
    "payout.paid",
];

fn app_with(n: usize) -> App {
    let (spec, now) = (common::spec(false), common::NOW);
    let mut app = App::new(Store::new(n, &[spec], now), Filter::default(), true, now);
    let mut batch = Vec::with_capacity(10_000);
    for i in 0..n {
        let ty = TYPES[i % TYPES.len()];
        batch.push(Event {
            source: 0,
            id: Some(format!("evt_{i:010}")),
            ty: ty.into(),
            time: None,
            received: now - (n - i) as i64,
            data: format!(r#"{{"id":"evt_{i:010}","type":"{ty}","data":{{"object":{{"amount":{},"currency":"usd"}}}}}}"#, i % 5000),
            json: Some(true),
            meta: None,
        });
        if batch.len() == 10_000 {
            app.ingest([SourceMsg::Events {
                source: 0,
                events: std::mem::take(&mut batch),
                cursor: None,
            }]);
        }
    }
    app.ingest([SourceMsg::Events {
        source: 0,
        events: batch,
        cursor: None,
    }]);
    app
}

fn measure(n: usize, chart: bool) -> (f64, f64) {
    let mut app = app_with(n);
    if chart {
        app.types = TypeSelection {
            only: true,
            set: (0..TYPES.len() as u32).collect(),
        };
        app.refilter();
        app.spark_window = 2;
        app.overlay = Some(Overlay::Chart);
        assert_eq!(app.spark_seconds(), 15 * 60);
    }
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let mut times = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        let t = Instant::now();
        term.draw(|f| evtop::ui::draw(f, &app)).unwrap();
        times.push(t.elapsed().as_secs_f64() * 1e3);
    }
    times.sort_by(f64::total_cmp);
    (times[FRAMES / 2], times[FRAMES * 99 / 100])
}

fn main() {
    println!("frame cost, 120x40 TestBackend, {FRAMES} frames each (ms)");
    for n in [100, 1_000_000] {
        let (median, p99) = measure(n, false);
        println!("buffered {n:>9}: median {median:.3} ms   p99 {p99:.3} ms");
    }
    let (median, p99) = measure(1_000_000, true);
    println!(
        "buffered {:>9}: median {median:.3} ms   p99 {p99:.3} ms   (rate chart open, 6 type lines, 15-min sparklines)",
        1_000_000
    );
}
