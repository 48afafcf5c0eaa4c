//! Whole-screen snapshots on `TestBackend` at 80×24 and 120×40, with fixed
//! data and a fixed clock; plus checks that event text cannot reach the
//! terminal as control sequences.

use crate::app::fixture::{press, screen};
use crossterm::event::KeyCode;

use crate::app::{App, fixture};

#[test]
fn main_screen_120x40() {
    insta::assert_snapshot!(screen(&fixture::app(), 120, 40));
}

#[test]
fn main_screen_80x24() {
    insta::assert_snapshot!(screen(&fixture::app(), 80, 24));
}

#[test]
fn detail_120x40_and_80x24() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("detail_120x40", screen(&app, 120, 40));
    insta::assert_snapshot!("detail_80x24", screen(&app, 80, 24));
}

#[test]
fn overlays_120x40() {
    let mut app = fixture::app();
    for (k, name) in [('?', "help"), ('s', "sources"), ('v', "state")] {
        press(&mut app, KeyCode::Char(k));
        insta::assert_snapshot!(format!("overlay_{name}"), screen(&app, 120, 40));
        press(&mut app, KeyCode::Esc);
    }
}

#[test]
fn prompt_with_error_and_types_focus_80x24() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char('t'));
    press(&mut app, KeyCode::Char('o'));
    press(&mut app, KeyCode::Char('/'));
    for c in ".amount>>1".chars() {
        press(&mut app, KeyCode::Char(c));
    }
    insta::assert_snapshot!(screen(&app, 80, 24));
}

#[test]
fn paused_marker_counts_new_events() {
    let mut app = fixture::app();
    press(&mut app, KeyCode::Char(' '));
    app.ingest([crate::source::SourceMsg::Events {
        source: 0,
        events: (0..3)
            .map(|i| fixture::event(0, "ping", None, "{}", fixture::T0 + i))
            .collect(),
        cursor: None,
    }]);
    let s = screen(&app, 120, 40);
    assert!(s.contains("PAUSED — 3 new"), "{s}");
}

#[test]
fn hostile_event_text_is_inert_in_every_pane() {
    let mut app = fixture::app();
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}]52;c;aGk=\u{7}\u{1b}[2J\u{1b}[31mred\u{202e}txet";
    let data = serde_json::json!({ "note": evil }).to_string();
    app.ingest([crate::source::SourceMsg::Events {
        source: 0,
        events: vec![fixture::event(0, evil, Some(evil), &data, fixture::T0)],
        cursor: None,
    }]);
    press(&mut app, KeyCode::Enter);
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(s.contains("␛]0;pwned"), "the type is shown, inert:\n{s}");
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
            assert!(!s.contains(bad), "{bad:?} reached the screen:\n{s}");
        }
    }
    press(&mut app, KeyCode::Char('s'));
    assert!(!screen(&app, 120, 40).contains('\u{1b}'));
}

#[test]
fn drift_marks_the_feed_and_the_detail_lists_reasons_80x24() {
    let mut app = fixture::contract_app();
    let main = screen(&app, 80, 24);
    let marked: Vec<&str> = main.lines().filter(|l| l.contains('≠')).collect();
    assert_eq!(marked.len(), 3, "three drifted events are marked:\n{main}");
    insta::assert_snapshot!("drift_main_80x24", main);
    // The 5th event: a key with an escape sequence and no currency.
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Enter);
    let detail = screen(&app, 80, 24);
    assert!(detail.contains("/currency: missing (required)"), "{detail}");
    assert!(
        detail.contains("/␛[2Jx: expected integer, got string"),
        "{detail}"
    );
    assert!(!detail.contains('\u{1b}'));
    insta::assert_snapshot!("drift_detail_80x24", detail);
    // A clean event says it matches.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    assert!(screen(&app, 80, 24).contains("contract matches"));
}

#[test]
fn no_color_draws_no_colour() {
    let mut app = fixture::app();
    app.color = false;
    let buf = fixture::buffer(&app, 120, 40);
    for cell in buf.content() {
        assert_eq!(cell.fg, ratatui::style::Color::Reset, "coloured cell {cell:?}");
        assert_eq!(cell.bg, ratatui::style::Color::Reset, "coloured cell {cell:?}");
    }
}

#[test]
fn webhook_marks_detail_and_sources_120x40() {
    let mut app = fixture::webhook_app();
    let main = screen(&app, 120, 40);
    // One mark per row, before the summary.
    for mark in [
        "✓ amount=100",
        "✗ amount=200",
        "✓↻2 amount=300",
        "✓→502 amount=400",
    ] {
        assert!(main.contains(mark), "{mark:?} not on screen:\n{main}");
    }
    insta::assert_snapshot!("webhook_main_120x40", main);
    // The failed delivery's detail: the reason and the masked headers.
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Enter);
    let detail = screen(&app, 120, 40);
    for line in [
        "verified NO ✗ — bad signature",
        "attempt 1",
        "stripe-signature: ***",
        "user-agent: Stripe/1.0",
    ] {
        assert!(detail.contains(line), "{line:?} not in the detail:\n{detail}");
    }
    insta::assert_snapshot!("webhook_detail_120x40", detail);
    // The redelivery's detail: its attempt and the app's answer.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('j'));
    press(&mut app, KeyCode::Enter);
    let detail = screen(&app, 120, 40);
    assert!(detail.contains("attempt 2 ↻ redelivery"), "{detail}");
    assert!(detail.contains("forward HTTP 200 in 12 ms"), "{detail}");
    // The sources view counts failed verifications and redeliveries.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('s'));
    let sources = screen(&app, 120, 40);
    assert!(
        sources.contains("webhooks    failed verification 1   redeliveries 1"),
        "{sources}"
    );
    insta::assert_snapshot!("webhook_sources_120x40", sources);
    // Types count the redelivered event once: 3 of 4 deliveries.
    assert_eq!(app.store.types()[0].count, 3);
}

#[test]
fn status_bar_puts_troubled_sources_first_and_counts_the_rest() {
    use crate::source::{SourceMsg, Status};
    let specs: Vec<_> = (0..8)
        .map(|i| fixture::spec(&format!("source{i}"), false))
        .collect();
    let store = crate::store::Store::new(10, &specs, fixture::T0);
    let mut app = App::new(store, crate::filter::Filter::default(), false, fixture::T0);
    let mut msgs: Vec<SourceMsg> = (0..8)
        .map(|i| SourceMsg::Status {
            source: i,
            status: Status::Live("HTTP 200".into()),
        })
        .collect();
    msgs.push(SourceMsg::Status {
        source: 7,
        status: Status::Retrying {
            delay: std::time::Duration::from_secs(30),
            reason: "HTTP 401 Unauthorized".into(),
        },
    });
    app.ingest(msgs);
    let top = screen(&app, 80, 24).lines().next().unwrap().to_owned();
    assert!(
        top.contains("source7"),
        "the failing source is shown first: {top}"
    );
    assert!(
        top.contains("│ 1 failing · 7 live (s)"),
        "what does not fit is counted by state: {top}"
    );
    assert!(!top.contains("more"), "{top}");
}
