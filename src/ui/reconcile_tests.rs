//! Reconciliation on screen, fixed clock: the `⊘` mark on the listed event
//! not delivered and on the delivery not listed (and on nothing else), the
//! finding as an alert in the status bar with the counts, the detail, and
//! the pairing in the sources view.

use crate::app::fixture::{press, screen};
use crossterm::event::KeyCode;

use crate::app::App;
use crate::app::fixture::{T0, event};
use crate::filter::Filter;
use crate::source::{SourceMsg, Status};
use crate::store::Store;

/// A Stripe list (`stripe`, polled every second) and a webhook source
/// (`hooks`) reconciled within 2 s: evt_1 listed and delivered, evt_2 only
/// listed, evt_9 only delivered, evt_0 in the backlog; judged 2.6 s on.
fn app() -> App {
    let text = "[[source]]\nname = \"stripe\"\nkind = \"poll\"\npreset = \"stripe\"\nurl = \"https://api.stripe.com/v1/events\"\ninterval = \"1s\"\n\
                [[source]]\nname = \"hooks\"\nkind = \"webhook\"\nlisten = \"8787\"\n\
                [[reconcile]]\nname = \"stripe webhooks\"\nlisted = \"stripe\"\ndelivered = \"hooks\"\nwithin = \"2s\"\n";
    let config = crate::config::parse_config(text, "test", &|_| None).unwrap();
    let store = Store::new(1000, &config.sources, T0);
    let mut app = App::new(store, Filter::default(), true, T0);
    app.start_reconcile(&config.reconcile, &config.sources);
    let live = |source| SourceMsg::Status {
        source,
        status: Status::Live("HTTP 200".into()),
    };
    let data =
        |id: &str| format!(r#"{{"id":"{id}","type":"invoice.paid","data":{{"object":{{"amount":900}}}}}}"#);
    let evs = |source, ids: &[&str], at| SourceMsg::Events {
        source,
        events: ids
            .iter()
            .map(|id| event(source, "invoice.paid", Some(id), &data(id), at))
            .collect(),
        cursor: None,
    };
    app.ingest([
        live(0),
        live(1),
        evs(0, &["evt_0"], T0),
        SourceMsg::CaughtUp { source: 0 },
        evs(0, &["evt_1", "evt_2"], T0),
    ]);
    app.now = T0 + 500;
    app.ingest([evs(1, &["evt_1", "evt_9"], T0 + 500)]);
    app.now = T0 + 2_600;
    app.reconcile_tick();
    app
}

/// The feed row of the event `id` on `source`.
fn row<'a>(screen: &'a str, source: &str, id: &str) -> &'a str {
    screen
        .lines()
        .skip(2)
        .find(|l| l.contains(source) && l.contains(id))
        .unwrap_or_else(|| panic!("no row for {source} {id}:\n{screen}"))
}

#[test]
fn findings_mark_their_events_count_in_the_status_bar_and_notify_120x40_80x24() {
    let app = app();
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(row(&s, "stripe", "evt_2").contains('⊘'), "not delivered:\n{s}");
        assert!(row(&s, "hooks", "evt_9").contains('⊘'), "not listed:\n{s}");
        for (source, id) in [("stripe", "evt_0"), ("stripe", "evt_1"), ("hooks", "evt_1")] {
            assert!(!row(&s, source, id).contains('⊘'), "{source} {id} marked:\n{s}");
        }
        // The latest finding as an alert; the counts where there is room.
        let top = s.lines().next().unwrap();
        assert!(top.contains("! stripe webhooks not listed evt_9"), "{s}");
        assert_eq!(top.contains("⊘ 1 not delivered · 1 not listed"), w == 120, "{s}");
        insta::assert_snapshot!(format!("reconcile_feed_{w}x{h}"), s);
    }
}

#[test]
fn the_sources_view_shows_each_pairing_with_its_counts_and_memory() {
    let mut app = app();
    press(&mut app, KeyCode::Char('s'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("not delivered 1   not listed 1   late 0"), "{s}");
    assert!(s.contains("matched 1   waiting 0   backlog 1"), "{s}");
    insta::assert_snapshot!("reconcile_sources_120x40", s);
}

#[test]
fn the_detail_of_a_marked_event_says_what_is_missing() {
    let mut app = app();
    press(&mut app, KeyCode::Enter);
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("reconcile ⊘ not listed within 2s (stripe webhooks)"),
        "{s}"
    );
    for c in [KeyCode::Esc, KeyCode::Char('k'), KeyCode::Enter] {
        press(&mut app, c);
    }
    let s = screen(&app, 120, 40);
    assert!(
        s.contains("id evt_1") && !s.contains("reconcile ⊘"),
        "hooks evt_1 was delivered and listed:\n{s}"
    );
    for c in [KeyCode::Esc, KeyCode::Char('k'), KeyCode::Enter] {
        press(&mut app, c);
    }
    let s = screen(&app, 120, 40);
    assert!(s.contains("id evt_2"), "{s}");
    assert!(
        s.contains("reconcile ⊘ not delivered within 2s (stripe webhooks)"),
        "{s}"
    );
}

#[test]
fn both_findings_are_in_the_alerts_view() {
    let mut app = app();
    press(&mut app, KeyCode::Char('!'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("not delivered evt_2"), "{s}");
    assert!(s.contains("not listed evt_9"), "{s}");
}
