//! The rate chart and the sparkline windows on `TestBackend` at 80×24 and
//! 120×40, with the scripted burst and a fixed clock.

use crate::app::fixture::{press, screen};
use crossterm::event::KeyCode;

use crate::app::{App, TypeSelection, fixture};

fn burst() -> App {
    fixture::burst_app(&[fixture::spec("payments", false)])
}

/// The burst with `charge.failed` and `ping` selected ("only"), the cursor
/// on the burst's bucket.
fn on_the_burst() -> App {
    let mut app = burst();
    let id = |name: &str| app.store.types().iter().position(|t| &*t.name == name).unwrap() as u32;
    app.types = TypeSelection {
        only: true,
        set: [id("charge.failed"), id("ping")].into(),
    };
    app.refilter();
    press(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        press(&mut app, KeyCode::Left);
    }
    app
}

#[test]
fn chart_80x24() {
    insta::assert_snapshot!(screen(&on_the_burst(), 80, 24));
}

#[test]
fn chart_120x40() {
    insta::assert_snapshot!(screen(&on_the_burst(), 120, 40));
}

#[test]
fn chart_all_events_zoomed_in_120x40() {
    let mut app = burst();
    press(&mut app, KeyCode::Char('r'));
    press(&mut app, KeyCode::Char(']'));
    insta::assert_snapshot!(screen(&app, 120, 40));
}

#[test]
fn chart_cursor_shows_without_colour() {
    let mut app = on_the_burst();
    app.color = false;
    let buf = fixture::buffer(&app, 120, 40);
    // The burst's bar (the tallest) is reversed; its neighbours are not.
    let reversed: Vec<u16> = (0..120)
        .filter(|&x| buf[(x, 3)].modifier.contains(ratatui::style::Modifier::REVERSED))
        .collect();
    assert!(!reversed.is_empty());
    assert!(
        reversed.iter().all(|&x| buf[(x, 3)].symbol() == "█"),
        "{reversed:?}"
    );
}

#[test]
fn sparkline_windows_80x24_and_120x40() {
    let mut app = burst();
    insta::assert_snapshot!("sparklines_1m_120x40", screen(&app, 120, 40));
    press(&mut app, KeyCode::Char('w'));
    insta::assert_snapshot!("sparklines_5m_120x40", screen(&app, 120, 40));
    press(&mut app, KeyCode::Char('w'));
    insta::assert_snapshot!("sparklines_15m_80x24", screen(&app, 80, 24));
    // Focused, the panel's title is longer: the window shows as its span.
    press(&mut app, KeyCode::Char('t'));
    let s = screen(&app, 120, 40);
    let title = s.lines().find(|l| l.contains("▸ types")).unwrap();
    assert!(title.contains(" 15m "), "{title}");
    let s = screen(&app, 80, 24);
    let title = s.lines().find(|l| l.contains("▸ types")).unwrap();
    assert!(title.contains(" last 15m (w) "), "{title}");
}

#[test]
fn chart_draws_at_any_size_with_the_cursor_in_view() {
    let mut app = on_the_burst();
    for (w, h) in [(1, 1), (12, 4), (24, 8), (40, 12), (61, 10), (200, 50)] {
        let s = screen(&app, w, h);
        if w >= 40 {
            assert!(s.contains("rate chart"), "{w}x{h}:\n{s}");
        }
    }
    // 40 columns hold fewer than 60 buckets: the view follows the cursor
    // to the oldest bucket and back to the newest.
    let cursor_columns = |app: &App| {
        let buf = fixture::buffer(app, 40, 12);
        (0..40u16)
            .filter(|&x| (2..6u16).all(|y| buf[(x, y)].modifier.contains(ratatui::style::Modifier::REVERSED)))
            .collect::<Vec<u16>>()
    };
    press(&mut app, KeyCode::Home);
    let s = screen(&app, 40, 12);
    assert!(s.contains("▶ 09:55:05–09:55:10"), "{s}");
    let at_oldest = cursor_columns(&app);
    press(&mut app, KeyCode::End);
    let s = screen(&app, 40, 12);
    assert!(s.contains("▶ 10:00:00–10:00:05"), "{s}");
    let at_newest = cursor_columns(&app);
    // The gutter at 40 columns is 8 wide (7 + 1), the plot 30 columns: the
    // oldest bucket is its first column, the newest its last.
    assert_eq!((at_oldest, at_newest), (vec![9], vec![38]));
}

/// The bucket under way is averaged over the part of it that has passed:
/// six events half a second into a 5-second bucket are 6/s (not 1.2/s),
/// and 2/s three seconds in.
#[test]
fn the_bucket_under_way_is_averaged_over_its_elapsed_part() {
    use crate::source::SourceMsg;
    let mut app = burst();
    let t0 = fixture::T0;
    let events = (0..6)
        .map(|k| fixture::event(0, "ping", None, "{}", t0 + 100 + k * 50))
        .collect();
    app.ingest([SourceMsg::Events {
        source: 0,
        events,
        cursor: None,
    }]);
    press(&mut app, KeyCode::Char('r'));
    let s = screen(&app, 120, 40);
    assert!(s.contains("all 6 (6/s)"), "{s}");
    app.now = t0 + 3000;
    let s = screen(&app, 120, 40);
    assert!(s.contains("all 6 (2/s)"), "{s}");
}
