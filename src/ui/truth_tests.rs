//! Issue 12 screens at 80×24 and 120×40: source health in the status bar
//! (quiet, degraded, a count of failing sources, never cut mid-word),
//! disconnection markers in the feed, and narrow columns that keep what
//! tells ids and names apart — with the demo's real names.

use std::time::Duration;

use crate::app::App;
use crate::app::fixture::{self, T0, screen};
use crate::filter::Filter;
use crate::source::{DropKind, SourceMsg, Status};
use crate::store::Store;

const DEMO_TYPES: [&str; 8] = [
    "payment_intent.succeeded",
    "payment_intent.created",
    "payment_intent.payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "checkout.session.completed",
    "charge.succeeded",
    "invoice.payment_failed",
];

/// The demo's four sources, `stripe` sending every second for a minute
/// (ids as the demo makes them), then: stripe silent for 40 s, quotes
/// degraded, stripe-api retrying, stripe-hooks closed.
fn demo_app() -> App {
    let specs: Vec<_> = ["stripe", "quotes", "stripe-api", "stripe-hooks"]
        .iter()
        .map(|n| fixture::spec(n, false))
        .collect();
    let start = T0 - 100_000;
    let mut app = App::new(Store::new(1000, &specs, start), Filter::default(), false, start);
    app.ingest((0..4).map(|i| SourceMsg::Status {
        source: i,
        status: Status::Live("HTTP 200".into()),
    }));
    for i in 0..60i64 {
        app.now = start + i * 1000;
        let ty = DEMO_TYPES[i as usize % DEMO_TYPES.len()];
        let id = format!("evt_{:016x}", (i as u64) ^ 0x5eed_0000_0000);
        let data = format!(
            r#"{{"id":"{id}","type":"{ty}","data":{{"object":{{"amount":{}}}}}}}"#,
            1000 + i
        );
        let source = (i % 4 == 0) as u16 * 2; // some from stripe-api
        let id = if source == 2 {
            format!("evt_list_{i:06}")
        } else {
            id
        };
        app.ingest([SourceMsg::Events {
            source,
            events: vec![fixture::event(source, ty, Some(&id), &data, app.now)],
            cursor: None,
        }]);
    }
    let last = app.now;
    app.ingest([
        SourceMsg::Dropped {
            source: 1,
            kind: DropKind::Unparsable,
            detail: "data is not JSON".into(),
        },
        SourceMsg::Status {
            source: 2,
            status: Status::Retrying {
                delay: Duration::from_secs(30),
                reason: "HTTP 503 Service Unavailable".into(),
            },
        },
        SourceMsg::Status {
            source: 3,
            status: Status::Closed("HTTP 204".into()),
        },
    ]);
    app.now = last + 40_000;
    app
}

#[test]
fn status_bar_tells_quiet_degraded_and_failing_120x40() {
    let app = demo_app();
    let s = screen(&app, 120, 40);
    let top = s.lines().next().unwrap();
    assert!(top.contains("stripe quiet 40s"), "{top}");
    assert!(!top.contains("stripe live"), "{top}");
    insta::assert_snapshot!(s);
}

#[test]
fn status_bar_counts_failing_and_is_never_cut_80x24() {
    let app = demo_app();
    let s = screen(&app, 80, 24);
    let top = s.lines().next().unwrap();
    assert!(top.contains("2 failing"), "{top}");
    // Every item whole: the bar ends with the summary, not a cut word.
    assert!(top.trim_end().ends_with("(s)"), "{top}");
    insta::assert_snapshot!(s);
    // 200×50 fits every source with its state.
    let wide = screen(&app, 200, 50);
    let top = wide.lines().next().unwrap();
    for want in [
        "stripe quiet 40s",
        "quotes degraded: data is not JSON",
        "stripe-api HTTP 503 Service Unavailable",
        "stripe-hooks closed: HTTP 204",
    ] {
        assert!(top.contains(want), "{want:?} not in {top}");
    }
}

#[test]
fn narrow_feed_keeps_id_ends_and_tells_types_apart_80x24() {
    let mut app = demo_app();
    app.show_types = false;
    let s = screen(&app, 80, 24);
    // Ids differ at the end: `…eed0000003b`, not `evt_00005ee…`.
    assert!(s.contains("…eed0000003b"), "{s}");
    assert!(!s.contains("evt_0000"), "{s}");
    // Two different types never look the same: rows whose amounts say
    // different types show different type cells.
    let mut cells: Vec<(i64, String)> = Vec::new();
    for row in s.lines().skip(2) {
        let Some(amount) = row.split("amount=").nth(1) else {
            continue;
        };
        let i: i64 = amount.trim().parse::<i64>().unwrap() - 1000;
        cells.push((i % 8, row.chars().skip(20).take(20).collect()));
    }
    assert!(cells.len() > 10, "{s}");
    for (a, ca) in &cells {
        for (b, cb) in &cells {
            assert_eq!(a == b, ca == cb, "{ca:?} / {cb:?}:\n{s}");
        }
    }
    insta::assert_snapshot!(s);
}

#[test]
fn markers_show_disconnections_80x24_and_120x40() {
    let mut app = fixture::app();
    app.ingest([SourceMsg::Status {
        source: 1,
        status: Status::Retrying {
            delay: Duration::from_secs(1),
            reason: "connection reset".into(),
        },
    }]);
    app.now = T0 + 24_000;
    app.ingest([SourceMsg::Status {
        source: 1,
        status: Status::Live("HTTP 200".into()),
    }]);
    app.ingest([SourceMsg::Events {
        source: 0,
        events: vec![fixture::event(
            0,
            "charge.succeeded",
            Some("evt_99"),
            "{}",
            T0 + 24_000,
        )],
        cursor: None,
    }]);
    let small = screen(&app, 80, 24);
    assert!(
        small.contains("── quotes disconnected 10:00:00, back 10:00:24 (24s) ──"),
        "{small}"
    );
    insta::assert_snapshot!("markers_80x24", small);
    insta::assert_snapshot!("markers_120x40", screen(&app, 120, 40));
}

#[test]
fn help_has_the_filter_language() {
    let mut app = fixture::app();
    app.handle(&crossterm::event::Event::Key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('?'),
        crossterm::event::KeyModifiers::NONE,
    )));
    // The whole help on one screen (it scrolls at 40 rows).
    let s = screen(&app, 120, 70);
    for want in ["type:GLOB", ".path OP VALUE", "-TERM", "f / p"] {
        assert!(s.contains(want), "{want:?} not in help:\n{s}");
    }
}
