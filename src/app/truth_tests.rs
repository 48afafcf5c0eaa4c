//! Issue 12, driven with scripted keys: the detail pins its event, keys
//! are safe (q closes, Esc can be undone), new types are announced, the
//! prompt edits like a shell line, `f` filters on a detail field,
//! disconnections leave markers that export never sees.

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, T0, screen};
use super::*;
use crate::source::Status;

fn key(app: &mut App, code: KeyCode) -> Action {
    app.handle(&CEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(app: &mut App, c: char) {
    app.handle(&CEvent::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn events(n: i64, ty: &str, id_from: i64, at: i64) -> SourceMsg {
    SourceMsg::Events {
        source: 0,
        events: (0..n)
            .map(|i| {
                let id = format!("new_{}", id_from + i);
                fixture::event(0, ty, Some(&id), &format!(r#"{{"n":{}}}"#, id_from + i), at + i)
            })
            .collect(),
        cursor: None,
    }
}

#[test]
fn detail_opened_while_following_stays_on_its_event() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('G')); // following again
    key(&mut app, KeyCode::Enter);
    let pinned = app.pinned.as_ref().expect("pinned").seq;
    let before = screen(&app, 120, 40);
    assert!(before.contains("type patch"), "{before}");
    for k in 0..5 {
        app.ingest([events(2, "charge.succeeded", 100 + 2 * k, T0 + k)]);
    }
    assert!(!app.feed.paused, "the feed still follows");
    assert_eq!(
        app.pinned.as_ref().unwrap().seq,
        pinned,
        "the detail did not jump"
    );
    let after = screen(&app, 120, 40);
    assert!(
        after.contains("type patch") && !after.contains("id new_"),
        "{after}"
    );
}

#[test]
fn evicted_detail_says_so_and_keeps_its_copy() {
    let specs = [fixture::spec("a", false)];
    let mut app = App::new(Store::new(5, &specs, T0), Filter::default(), false, T0);
    app.ingest([events(5, "x", 0, T0)]);
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Enter);
    let shown = app.pinned.as_ref().unwrap().event.id.clone();
    assert_eq!(shown.as_deref(), Some("new_2"));
    app.ingest([events(10, "x", 100, T0 + 10)]);
    assert!(app.pinned_evicted());
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(s.contains("evicted from the buffer"), "{s}");
        assert!(
            s.contains("id new_2") && s.contains("\"n\": 2"),
            "the copy stays:\n{s}"
        );
    }
    // `y` copies the pinned event, not what is now selected.
    let Action::Copy(text) = key(&mut app, KeyCode::Char('y')) else {
        panic!("no copy")
    };
    assert!(text.contains("\"id\":\"new_2\""), "{text}");
}

#[test]
fn moving_the_selection_with_the_detail_open_repins() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Enter);
    let first = app.pinned.as_ref().unwrap().seq;
    key(&mut app, KeyCode::Tab); // back to the feed
    assert_eq!(app.focus, Pane::Feed);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.pinned.as_ref().unwrap().seq, first - 1);
}

#[test]
fn q_closes_views_and_the_detail_and_quits_at_the_top() {
    let mut app = fixture::app();
    for k in ['?', 's', 'v'] {
        key(&mut app, KeyCode::Char(k));
        assert_eq!(key(&mut app, KeyCode::Char('q')), Action::None);
        assert_eq!(app.overlay, None, "q closed {k}");
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Action::None);
    assert!(!app.show_detail);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Action::Quit);
}

#[test]
fn esc_clear_can_be_undone() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "type:charge.*");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Esc); // leaves the type panel
    let (filter, types, n) = (
        app.filter.source_text().to_owned(),
        app.types.clone(),
        app.feed.seqs.len(),
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.filter.is_empty() && app.types == TypeSelection::default());
    assert_eq!(app.current_notice().unwrap().text, "filter cleared — u to undo");
    assert!(screen(&app, 80, 24).contains("filter cleared — u to undo"));
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.filter.source_text(), filter);
    assert_eq!(app.types, types);
    assert_eq!(app.feed.seqs.len(), n);
}

#[test]
fn focused_pane_is_marked() {
    let mut app = fixture::app();
    let s = screen(&app, 120, 40);
    assert!(s.contains("▸ feed") && !s.contains("▸ types"), "{s}");
    key(&mut app, KeyCode::Tab);
    let s = screen(&app, 120, 40);
    assert!(s.contains("▸ types") && !s.contains("▸ feed"), "{s}");
    key(&mut app, KeyCode::Enter); // only this type; focus stays
    key(&mut app, KeyCode::Tab);
    key(&mut app, KeyCode::Enter);
    let s = screen(&app, 80, 24);
    assert!(s.contains("▸ detail"), "{s}");
}

#[test]
fn new_type_under_only_is_announced_and_marked() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('o'));
    app.ingest([events(1, "brand.new", 0, T0)]);
    let notice = app.current_notice().expect("announced").text.clone();
    assert!(notice.contains("new type brand.new"), "{notice}");
    let ty = app
        .store
        .types()
        .iter()
        .position(|t| &*t.name == "brand.new")
        .unwrap() as u32;
    assert!(app.new_types.contains(&ty));
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        assert!(s.contains("brand.new new"), "marked in the type panel:\n{s}");
    }
    // Showing it clears the mark.
    key(&mut app, KeyCode::Char('a'));
    assert!(app.new_types.is_empty());
}

#[test]
fn prompt_edits_like_a_shell_line() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "abc def");
    for _ in 0..3 {
        key(&mut app, KeyCode::Left);
    }
    ctrl(&mut app, 'w'); // the word before the cursor
    assert_eq!(app.prompt.as_ref().unwrap().text, "def");
    assert_eq!(app.prompt.as_ref().unwrap().cursor, 0);
    key(&mut app, KeyCode::End);
    typed(&mut app, "x");
    key(&mut app, KeyCode::Home);
    typed(&mut app, "y");
    assert_eq!(app.prompt.as_ref().unwrap().text, "ydefx");
    ctrl(&mut app, 'a');
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Delete);
    key(&mut app, KeyCode::Right);
    key(&mut app, KeyCode::Backspace);
    assert_eq!(app.prompt.as_ref().unwrap().text, "yfx");
    // The cursor is drawn where it is: on `f`, column 1 + 1.
    let buf = fixture::buffer(&app, 80, 24);
    let cell = &buf[(2, 22)];
    assert_eq!(cell.symbol(), "f");
    assert!(
        cell.modifier.contains(ratatui::style::Modifier::REVERSED),
        "{cell:?}"
    );
    ctrl(&mut app, 'e');
    key(&mut app, KeyCode::Left);
    ctrl(&mut app, 'u'); // everything before the cursor
    assert_eq!(app.prompt.as_ref().unwrap().text, "x");
    // The hint line under the prompt.
    let s = screen(&app, 80, 24);
    assert!(
        s.lines().nth(23).unwrap().starts_with("type:charge.*  source:"),
        "{s}"
    );
}

#[test]
fn f_in_the_detail_filters_on_the_field_under_the_cursor() {
    let mut app = fixture::app();
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('k'));
    }
    key(&mut app, KeyCode::Enter); // evt_28, amount 7250
    key(&mut app, KeyCode::Char('p'));
    let s = screen(&app, 120, 40);
    assert!(s.contains(".data.object.amount 7250"), "paths shown:\n{s}");
    let rows = crate::ui::json::detail_rows(&app.pinned_doc().unwrap(), true);
    let at = rows.iter().position(|l| l.path == "/data/object/amount").unwrap();
    while app.detail_cursor < at {
        key(&mut app, KeyCode::Char('j'));
    }
    assert!(screen(&app, 80, 24).contains("path .data.object.amount"));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.filter.source_text(), ".data.object.amount=7250");
    assert_eq!(app.feed.seqs.len(), 1);
    // A string field is quoted as the parser wants, and terms add up.
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(
        app.filter.source_text(),
        ".data.object.amount=7250 .data.object.currency=\"usd\""
    );
    assert_eq!(app.feed.seqs.len(), 1);
}

#[test]
fn disconnections_leave_markers_that_export_never_sees() {
    let mut app = fixture::app();
    let status = |s: Status| SourceMsg::Status { source: 0, status: s };
    // 10:00:00 payments drops; 24 s later it is back with two events.
    app.ingest([status(Status::Retrying {
        delay: std::time::Duration::from_secs(5),
        reason: "HTTP 503".into(),
    })]);
    let down = screen(&app, 120, 40);
    assert!(
        down.contains("── payments disconnected 10:00:00: HTTP 503 ──"),
        "{down}"
    );
    app.now = T0 + 24_000;
    app.ingest([
        status(Status::Connecting),
        status(Status::Live("HTTP 200".into())),
    ]);
    app.ingest([events(2, "charge.succeeded", 0, T0 + 24_000)]);
    assert_eq!(app.markers.len(), 1);
    for (w, h) in [(120, 40), (80, 24)] {
        let s = screen(&app, w, h);
        let line = s
            .lines()
            .find(|l| l.contains("disconnected"))
            .unwrap_or_else(|| panic!("no marker:\n{s}"));
        assert!(
            line.starts_with("── payments disconnected 10:00:00, back 10:00:24 (24s) ──"),
            "{line}"
        );
        // Between the last event before and the first after.
        let rows: Vec<&str> = s.lines().collect();
        let i = rows.iter().position(|l| l.contains("disconnected")).unwrap();
        assert!(rows[i - 1].contains("replace /quotes/1/px"), "{s}");
        assert!(rows[i + 1].contains("new_0"), "{s}");
    }
    // Under a filter: shown for the sources shown.
    app.filter = Filter::parse("source:quotes").unwrap();
    app.refilter();
    assert!(!screen(&app, 120, 40).contains("disconnected"));
    app.filter = Filter::parse("source:pay* .n>=0").unwrap();
    app.refilter();
    assert!(screen(&app, 120, 40).contains("payments disconnected"));
    // Export writes events only.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ndjson");
    crate::tui::export(&app, &path).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    assert_eq!(text.lines().count(), 2);
    assert!(!text.contains("disconnected"));
}

#[test]
fn y_in_the_state_view_copies_the_document() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('v'));
    let Action::Copy(text) = key(&mut app, KeyCode::Char('y')) else {
        panic!("no copy")
    };
    assert_eq!(
        text, r#"{"quotes":[{"sym":"ACME","px":10},{"sym":"INIT","px":21.5}]}"#,
        "the document, keys in document order"
    );
}
