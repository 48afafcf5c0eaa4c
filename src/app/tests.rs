//! The app driven with scripted keys, as a user would.

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::fixture::{self, T0};
use super::*;

fn key(app: &mut App, code: KeyCode) -> Action {
    app.handle(&CEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        key(app, KeyCode::Char(c));
    }
}

fn visible_types(app: &App) -> Vec<String> {
    let mut tys: Vec<String> = app
        .feed
        .seqs
        .iter()
        .map(|&s| app.store.view(app.store.get(s).unwrap()).ty.to_owned())
        .collect();
    tys.sort();
    tys.dedup();
    tys
}

#[test]
fn filter_prompt_previews_commits_and_remembers() {
    let mut app = fixture::app();
    assert_eq!(app.feed.seqs.len(), 32);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "type:charge.*");
    // Live preview while typing.
    assert_eq!(visible_types(&app), ["charge.failed", "charge.succeeded"]);
    key(&mut app, KeyCode::Enter);
    assert!(app.prompt.is_none());
    assert_eq!(app.history, ["type:charge.*"]);
    // A second filter, then history recalls the first.
    key(&mut app, KeyCode::Char('/'));
    app.handle(&CEvent::Key(KeyEvent::new(
        KeyCode::Char('u'),
        KeyModifiers::CONTROL,
    )));
    typed(&mut app, "source:quotes");
    key(&mut app, KeyCode::Enter);
    assert_eq!(visible_types(&app), ["data", "patch"]);
    key(&mut app, KeyCode::Char('/'));
    key(&mut app, KeyCode::Up);
    assert_eq!(app.prompt.as_ref().unwrap().text, "source:quotes");
    key(&mut app, KeyCode::Up);
    assert_eq!(app.prompt.as_ref().unwrap().text, "type:charge.*");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.filter.source_text(), "type:charge.*");
}

#[test]
fn bad_filter_shows_error_and_keeps_previous() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "type:charge.* .amount>>1");
    let p = app.prompt.as_ref().unwrap();
    assert!(
        p.error.as_deref().unwrap().contains(".amount>>1"),
        "{:?}",
        p.error
    );
    // The last filter that parsed still rules the feed: "type:charge.*
    // .amount>" is bad too, "type:charge.* .amount" (the field is present)
    // is the one in force.
    assert_eq!(app.filter.source_text(), "type:charge.* .amount");
    key(&mut app, KeyCode::Enter);
    assert!(app.prompt.is_some(), "Enter does not keep a bad filter");
    key(&mut app, KeyCode::Esc);
    assert!(app.prompt.is_none());
    assert_eq!(
        app.filter.source_text(),
        "",
        "Esc restores the filter from before the prompt"
    );
    assert_eq!(app.feed.seqs.len(), 32);
}

#[test]
fn type_panel_toggle_only_and_all() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('t'));
    assert_eq!(app.focus, Pane::Types);
    let order = app.types_sorted();
    let first = app.store.types()[order[0] as usize].name.to_string();
    key(&mut app, KeyCode::Char(' '));
    assert!(!visible_types(&app).contains(&first), "space hides {first}");
    key(&mut app, KeyCode::Char(' '));
    assert!(visible_types(&app).contains(&first), "space shows it again");
    key(&mut app, KeyCode::Char('j'));
    let second = app.store.types()[order[1] as usize].name.to_string();
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(visible_types(&app), [second]);
    key(&mut app, KeyCode::Char('a'));
    assert_eq!(app.feed.seqs.len(), 32);
}

#[test]
fn new_types_stay_hidden_under_only() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('o'));
    let before = app.feed.seqs.len();
    app.ingest([SourceMsg::Events {
        source: 0,
        events: vec![fixture::event(0, "brand.new", None, "{}", T0)],
        cursor: None,
    }]);
    assert_eq!(app.feed.seqs.len(), before);
}

#[test]
fn pause_keeps_ingesting_and_counts_new() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char(' '));
    assert!(app.feed.paused);
    let selected = app.feed.selected_seq();
    let more: Vec<_> = (0..5)
        .map(|i| fixture::event(0, "charge.succeeded", None, "{}", T0 + i))
        .collect();
    app.ingest([SourceMsg::Events {
        source: 0,
        events: more,
        cursor: None,
    }]);
    assert_eq!(app.feed.seqs.len(), 37, "nothing is dropped while paused");
    assert_eq!(app.feed.new_since_pause, 5);
    assert_eq!(app.feed.selected_seq(), selected, "the selection stays put");
    key(&mut app, KeyCode::Char('G'));
    assert!(!app.feed.paused);
    assert_eq!(app.feed.selected_seq(), app.feed.seqs.back().copied());
}

#[test]
fn moving_up_pauses_and_moving_past_the_end_follows() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('k'));
    assert!(app.feed.paused);
    assert_eq!(app.feed.selected_index(), Some(30));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.feed.selected_index(), Some(31));
    key(&mut app, KeyCode::Char('j'));
    assert!(!app.feed.paused, "past the newest row: following again");
    key(&mut app, KeyCode::Char('g'));
    assert_eq!(app.feed.selected_index(), Some(0));
}

#[test]
fn detail_opens_and_scrolls() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Enter);
    assert!(app.show_detail);
    assert_eq!(app.focus, Pane::Detail);
    let start = app.detail_cursor;
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('j'));
    assert_eq!(app.detail_cursor, start + 2);
    key(&mut app, KeyCode::Char('k'));
    assert_eq!(app.detail_cursor, start + 1);
    key(&mut app, KeyCode::Esc);
    assert!(!app.show_detail);
    assert_eq!(app.focus, Pane::Feed);
}

#[test]
fn copy_gives_the_selected_events_json() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('k'));
    key(&mut app, KeyCode::Char('k'));
    let Action::Copy(text) = key(&mut app, KeyCode::Char('y')) else {
        panic!("no copy")
    };
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(v["id"], "evt_29");
    assert_eq!(v["source"], "payments");
}

#[test]
fn export_writes_exactly_the_filtered_feed() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "type:charge.failed");
    key(&mut app, KeyCode::Enter);
    assert_eq!(key(&mut app, KeyCode::Char('e')), Action::Export);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.ndjson");
    let msg = crate::tui::export(&app, &path).unwrap();
    assert!(msg.contains("exported 10 events"), "{msg}");
    let text = std::fs::read_to_string(&path).unwrap();
    let ids: Vec<String> = text
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["id"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    let want: Vec<String> = (0..30)
        .filter(|i| i % 3 == 2)
        .map(|i| format!("evt_{i}"))
        .collect();
    assert_eq!(ids, want);
    assert!(crate::tui::export(&app, &dir.path().join("no/such/dir/x")).is_err());
}

#[test]
fn overlays_open_and_close_and_q_quits() {
    let mut app = fixture::app();
    for (k, o) in [
        ('?', Overlay::Help),
        ('s', Overlay::Sources),
        ('v', Overlay::State),
    ] {
        key(&mut app, KeyCode::Char(k));
        assert_eq!(app.overlay, Some(o));
        key(&mut app, KeyCode::Esc);
        assert_eq!(app.overlay, None);
    }
    assert_eq!(key(&mut app, KeyCode::Char('q')), Action::Quit);
    assert_eq!(
        app.handle(&CEvent::Key(KeyEvent::new(
            KeyCode::Char('c'),
            KeyModifiers::CONTROL
        ))),
        Action::Quit
    );
}

#[test]
fn key_releases_are_ignored() {
    let mut app = fixture::app();
    let mut release = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    release.kind = KeyEventKind::Release;
    assert_eq!(app.handle(&CEvent::Key(release)), Action::None);
}

#[test]
fn refilter_over_evictions_keeps_view_consistent() {
    let specs = [fixture::spec("a", false)];
    let store = Store::new(10, &specs, T0);
    let mut app = App::new(store, Filter::parse("type:x").unwrap(), false, T0);
    for i in 0..50 {
        let ty = if i % 2 == 0 { "x" } else { "y" };
        app.ingest([SourceMsg::Events {
            source: 0,
            events: vec![fixture::event(0, ty, None, "{}", T0)],
            cursor: None,
        }]);
    }
    assert_eq!(app.feed.seqs.len(), 5);
    assert!(app.feed.seqs.iter().all(|&s| app.store.get(s).is_some()));
}

#[test]
fn incremental_refilter_reaches_the_same_view_and_new_events_once() {
    let build = |incremental: bool| {
        let specs = [fixture::spec("a", false)];
        let mut app = App::new(Store::new(100_000, &specs, T0), Filter::default(), false, T0);
        app.incremental = incremental;
        let events = (0..40_000)
            .map(|i| fixture::event(0, if i % 2 == 0 { "charge.x" } else { "other" }, None, "{}", T0))
            .collect();
        app.ingest([SourceMsg::Events {
            source: 0,
            events,
            cursor: None,
        }]);
        app.filter = Filter::parse("type:charge.*").unwrap();
        app.refilter();
        app
    };
    let (mut sync, mut inc) = (build(false), build(true));
    let progress = inc
        .feed
        .rebuilding(&inc.store)
        .expect("a rebuild in slices is under way");
    assert!(progress > 0.0 && progress < 1.0, "{progress}");
    // Events arriving mid-rebuild are matched once, by the rebuild.
    let more = || SourceMsg::Events {
        source: 0,
        events: (0..3)
            .map(|i| fixture::event(0, "charge.x", None, "{}", T0 + i))
            .collect(),
        cursor: None,
    };
    sync.ingest([more()]);
    inc.ingest([more()]);
    while inc.refilter_step() {}
    assert_eq!(inc.feed.seqs, sync.feed.seqs);
    assert_eq!(inc.feed.seqs.len(), 20_003);
    assert!(inc.feed.rebuilding(&inc.store).is_none());
}

#[test]
fn type_cursor_stays_on_its_type_when_rows_re_sort() {
    let mut app = fixture::app();
    key(&mut app, KeyCode::Char('t'));
    key(&mut app, KeyCode::Char('j'));
    let chosen = app.type_cursor.expect("a type is under the cursor");
    let name = app.store.types()[chosen as usize].name.to_string();
    let row_before = app.type_cursor_row(&app.types_sorted());
    // A burst of a new type outranks everything by rate: the rows move.
    app.now = T0 - 2000;
    let burst = (0..50)
        .map(|_| fixture::event(0, "burst", None, "{}", T0 - 2000))
        .collect();
    app.ingest([SourceMsg::Events {
        source: 0,
        events: burst,
        cursor: None,
    }]);
    app.now = T0;
    let sorted = app.types_sorted();
    assert_eq!(&*app.store.types()[sorted[0] as usize].name, "burst");
    assert_ne!(app.type_cursor_row(&sorted), row_before, "the rows moved");
    key(&mut app, KeyCode::Char('o'));
    assert_eq!(visible_types(&app), [name], "`o` acts on the type the user chose");
}
