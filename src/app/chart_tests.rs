//! The rate chart driven with keys: a scripted burst found with the cursor
//! and turned into the feed's filter; zoom, the cursor's bounds, the
//! replay's clock; the sparkline window key.

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, BURST, T0, burst_app};
use super::*;

fn key(app: &mut App, code: KeyCode) -> Action {
    app.handle(&CEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn live_burst_app() -> App {
    burst_app(&[fixture::spec("payments", false)])
}

fn feed_ids(app: &App) -> Vec<String> {
    app.feed
        .seqs
        .iter()
        .map(|&s| app.store.get(s).unwrap().id().unwrap_or("-").to_owned())
        .collect()
}

fn burst_ids(pred: impl Fn(i64) -> bool) -> Vec<String> {
    (0..50).filter(|&k| pred(k)).map(|k| format!("evt_{k}")).collect()
}

#[test]
fn the_chart_opens_on_the_newest_5_second_bucket() {
    let mut app = live_burst_app();
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.overlay, Some(Overlay::Chart));
    assert_eq!((app.chart.span(), app.chart.width()), (300, 5));
    let now = app.clock();
    assert_eq!(app.chart.cursor(now), T0 / 1000);
    assert_eq!(app.chart.cursor_index(now), CHART_BUCKETS as usize - 1);
    assert_eq!(app.chart.oldest(now), T0 / 1000 - 295);
    assert_eq!(
        app.chart_filter_text(now),
        "received>=2026-11-22T10:00:00Z received<2026-11-22T10:00:05Z"
    );
    // Right of the newest: stays.
    key(&mut app, KeyCode::Right);
    assert_eq!(app.chart.cursor(now), T0 / 1000);
    // Esc closes; `r` again starts on the newest bucket.
    key(&mut app, KeyCode::Char('h'));
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);
    key(&mut app, KeyCode::Char('r'));
    assert_eq!(app.chart.cursor(now), T0 / 1000);
    key(&mut app, KeyCode::Char('q'));
    assert_eq!(app.overlay, None);
}

#[test]
fn the_cursor_finds_the_burst_and_its_count() {
    let mut app = live_burst_app();
    key(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        key(&mut app, KeyCode::Left);
    }
    let now = app.clock();
    assert_eq!(app.chart.cursor(now), BURST / 1000);
    let (from, to) = (BURST / 1000, BURST / 1000 + 5);
    assert_eq!(app.store.total_rate().count(from, to), Some(50));
    assert_eq!(
        app.chart_filter_text(now),
        "received>=2026-11-22T09:58:00Z received<2026-11-22T09:58:05Z"
    );
    // `l` back one, `h` again: the same bucket; Home is the oldest, End the newest.
    key(&mut app, KeyCode::Char('l'));
    key(&mut app, KeyCode::Char('h'));
    assert_eq!(app.chart.cursor(now), BURST / 1000);
    key(&mut app, KeyCode::Home);
    assert_eq!(app.chart.cursor_index(now), 0);
    key(&mut app, KeyCode::Left);
    assert_eq!(app.chart.cursor_index(now), 0, "the cursor stops at the oldest");
    key(&mut app, KeyCode::End);
    assert_eq!(app.chart.cursor(now), T0 / 1000);
}

#[test]
fn enter_on_the_burst_lists_exactly_its_events() {
    let mut app = live_burst_app();
    app.filter = Filter::parse("charge").unwrap();
    app.refilter();
    key(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        key(&mut app, KeyCode::Left);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.notice.as_ref().map(|n| &n.text), None);
    assert_eq!(app.overlay, None, "Enter closes the chart");
    // The filter is replaced (not AND-ed with "charge"): the window alone.
    let text = "received>=2026-11-22T09:58:00Z received<2026-11-22T09:58:05Z";
    assert_eq!(app.filter.source_text(), text);
    assert_eq!(app.prompt.as_ref().map(|p| p.text.as_str()), Some(text));
    assert_eq!(feed_ids(&app), burst_ids(|_| true));
    // Enter in the prompt keeps it and remembers it.
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.history, [text]);
    assert_eq!(feed_ids(&app).len(), 50);
}

#[test]
fn enter_with_an_only_selection_adds_its_types() {
    let mut app = live_burst_app();
    let failed = app
        .store
        .types()
        .iter()
        .position(|t| &*t.name == "charge.failed")
        .unwrap() as u32;
    app.types = TypeSelection {
        only: true,
        set: [failed].into(),
    };
    app.refilter();
    assert_eq!(app.chart_types(), [failed]);
    key(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        key(&mut app, KeyCode::Char('h'));
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.filter.source_text(),
        "received>=2026-11-22T09:58:00Z received<2026-11-22T09:58:05Z type:charge.failed"
    );
    assert_eq!(feed_ids(&app), burst_ids(|k| k % 5 != 4));
    // Esc in the prompt goes back to the filter before the chart.
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.filter.source_text(), "");
    assert_eq!(feed_ids(&app).len(), 41, "every charge.failed");
}

#[test]
fn a_second_enter_replaces_the_older_window() {
    let mut app = live_burst_app();
    key(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        key(&mut app, KeyCode::Left);
    }
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    // A 1-second window with nothing in it.
    key(&mut app, KeyCode::Char('r'));
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.chart.width(), 1);
    key(&mut app, KeyCode::Home);
    let now = app.clock();
    assert_eq!(app.chart.cursor(now), T0 / 1000 - 59);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.filter.source_text(),
        "received>=2026-11-22T09:59:01Z received<2026-11-22T09:59:02Z"
    );
    assert_eq!(feed_ids(&app), Vec::<String>::new());
}

#[test]
fn zoom_keeps_the_cursors_time_and_stops_at_the_buffers_span() {
    let mut app = live_burst_app();
    key(&mut app, KeyCode::Char('r'));
    for _ in 0..24 {
        key(&mut app, KeyCode::Left);
    }
    let now = app.clock();
    // Out: 15-second buckets; 09:58:00 is on a 15-second boundary.
    key(&mut app, KeyCode::Char('['));
    assert_eq!((app.chart.span(), app.chart.width()), (900, 15));
    assert_eq!(app.chart.cursor(now), BURST / 1000);
    // The buffer spans 5 minutes: no further.
    assert_eq!(app.chart_max_zoom(), 2);
    key(&mut app, KeyCode::Char('['));
    assert_eq!(app.chart.span(), 900);
    assert!(app.notice.as_ref().unwrap().text.contains("spans the buffer"));
    // In twice: 1-second buckets, the finest; the burst is older than the
    // minute shown, so the cursor sits on the oldest bucket.
    key(&mut app, KeyCode::Char(']'));
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.chart.width(), 1);
    assert_eq!(app.chart.cursor_index(now), 0);
    key(&mut app, KeyCode::Char(']'));
    assert_eq!(app.chart.width(), 1);
    assert!(app.notice.as_ref().unwrap().text.contains("finest"));
}

#[test]
fn in_a_replay_the_chart_runs_on_the_recordings_clock() {
    use crate::config::SourceKind;
    let mut spec = fixture::spec("recorded", false);
    spec.kind = SourceKind::FileRoute { patched: false };
    let mut app = burst_app(&[spec]);
    // The wall clock is a day later; the replay's clock is its latest
    // event, the ping at 09:59:55.003.
    app.now = T0 + 86_400_000;
    assert_eq!(app.clock(), T0 - 4_997);
    key(&mut app, KeyCode::Char('r'));
    let now = app.clock();
    assert_eq!(app.chart.cursor(now), T0 / 1000 - 5);
    for _ in 0..23 {
        key(&mut app, KeyCode::Left);
    }
    assert_eq!(
        app.chart_filter_text(now),
        "received>=2026-11-22T09:58:00Z received<2026-11-22T09:58:05Z"
    );
    // The buffer's span is measured on the same clock: its 5 minutes (not
    // the day since, on the wall clock) take the 15-minute zoom.
    assert_eq!(app.chart_max_zoom(), 2);
}

#[test]
fn w_cycles_the_sparkline_window() {
    let mut app = live_burst_app();
    assert_eq!(app.spark_seconds(), 60);
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.spark_seconds(), 300);
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.spark_seconds(), 900);
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.spark_seconds(), 60);
    // Typed into the prompt, `w` is text.
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Char('w'));
    assert_eq!(app.spark_seconds(), 60);
    assert_eq!(app.prompt.as_ref().unwrap().text, "w");
}

#[test]
fn filter_text_helpers() {
    assert_eq!(rfc3339(T0), "2026-11-22T10:00:00Z");
    assert_eq!(rfc3339(T0 + 250), "2026-11-22T10:00:00.25Z");
    assert_eq!(rfc3339(T0 + 1), "2026-11-22T10:00:00.001Z");
    assert_eq!(type_term("charge.failed"), "type:charge.failed");
    assert_eq!(type_term("a b*"), r#"type:"a b*""#);
    assert_eq!(type_term(r#"x"y\z"#), r#"type:"x\"y\\z""#);
    // What they write parses back to the same type.
    let f = Filter::parse(&type_term("a b*")).unwrap();
    assert_eq!(f.source_text(), r#"type:"a b*""#);
}
