//! The catalog view driven with scripted keys on a store fed with known
//! events: what it shows, what `f` filters and what `y` copies.

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};

use super::fixture::{self, T0, feed_events};
use super::*;

fn key(app: &mut App, code: KeyCode) -> Action {
    app.handle(&CEvent::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn names(app: &App) -> Vec<String> {
    let cat = app.store.catalog();
    app.catalog
        .rows
        .iter()
        .map(|&id| cat.get(id).unwrap().name.to_string())
        .collect()
}

/// Move the types cursor to `name` with `j`.
fn goto_type(app: &mut App, name: &str) {
    key(app, KeyCode::Char('g'));
    for _ in 0..app.catalog.rows.len() {
        if app.catalog_type().is_some_and(|(_, t)| &*t.name == name) {
            return;
        }
        key(app, KeyCode::Char('j'));
    }
    panic!("type {name} not in the catalog: {:?}", names(app));
}

/// Move the fields cursor to `path` with `j`.
fn goto_field(app: &mut App, path: &str) {
    key(app, KeyCode::Char('g'));
    for _ in 0..app.catalog.fields.len() {
        if app.catalog_field().is_some_and(|f| &*f.path == path) {
            return;
        }
        key(app, KeyCode::Char('j'));
    }
    panic!("field {path} not in the fields");
}

/// The cells of a screen row, borders left out.
fn cells(row: &str) -> Vec<&str> {
    row.split_whitespace()
        .map(|c| c.trim_matches('│'))
        .filter(|c| !c.is_empty())
        .collect()
}

/// The screen row holding `needle` (panics with the screen without one).
fn row_with<'a>(screen: &'a str, needle: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(needle))
        .unwrap_or_else(|| panic!("{needle:?} not on screen:\n{screen}"))
}

#[test]
fn c_lists_the_types_by_count_with_shares_and_the_sampling() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.overlay, Some(Overlay::Catalog));
    assert_eq!(names(&app), ["charge.failed", "charge.succeeded", "ping"]);
    assert_eq!((app.catalog.total, app.catalog.learned), (10, 10));
    let s = fixture::screen(&app, 120, 40);
    assert!(
        s.contains("3 types · learned from 10 of 10 events: at most 100 a second per type"),
        "{s}"
    );
    // count, share, rate, first and last seen, fields, drifts.
    let failed = row_with(&s, "charge.failed");
    let cols = cells(failed);
    assert_eq!(&cols[..3], ["charge.failed", "6", "60.0%"], "{failed}");
    assert!(
        failed.contains("09:59:50 09:59:55"),
        "first and last seen: {failed}"
    );
    // id, data, object, amount, currency, decline_code, items, *, sku, qty
    assert_eq!(cols[cols.len() - 3..], ["10", "0", "-"], "{failed}");
    assert!(
        failed.trim_start_matches('│').starts_with("charge.failed"),
        "{failed}"
    );
    let ping = row_with(&s, "ping ");
    assert!(ping.contains(" 1  10.0%"), "{ping}");
    // At 80 columns too, the counts and shares are there.
    let s = fixture::screen(&app, 80, 24);
    assert!(row_with(&s, "charge.succeeded").contains(" 3  30.0%"), "{s}");
}

#[test]
fn enter_shows_fields_with_presence_and_top_values() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.catalog.level, Level::Fields);
    let paths: Vec<String> = app
        .catalog
        .fields
        .iter()
        .map(|&(i, _)| {
            app.catalog_type().unwrap().1.fields()[i as usize]
                .path
                .to_string()
        })
        .collect();
    assert_eq!(
        paths,
        [
            "/id",
            "/data",
            "/data/object",
            "/data/object/amount",
            "/data/object/currency",
            "/data/object/decline_code",
            "/data/object/items",
            "/data/object/items/*",
            "/data/object/items/*/sku",
            "/data/object/items/*/qty",
        ],
        "tree order: members under their object"
    );
    let s = fixture::screen(&app, 120, 40);
    assert!(s.contains("charge.failed · Enter values"), "{s}");
    assert!(s.contains("learned from 6 of 6 events"), "{s}");
    let code = row_with(&s, "decline_code");
    assert!(code.contains("string 4"), "{code}");
    assert!(code.contains("66.7%"), "4 of 6 events carry it: {code}");
    assert!(
        code.contains(r#""insufficient_funds" ×3 ·"#),
        "top values with counts: {code}"
    );
    let amount = row_with(&s, "amount");
    assert!(amount.contains("100.0%"), "{amount}");
    assert!(amount.contains("min 100 max 600 avg 350"), "{amount}");
    let currency = row_with(&s, "currency");
    assert!(currency.contains(r#""usd" ×4 · "eur" ×2"#), "{currency}");
    let sku = row_with(&s, "sku");
    assert!(sku.contains("33.3%"), "2 of 6 events: {sku}");
    // Enter on a field: its values, with counts and shares of its values;
    // at 120 columns they are beside the fields already.
    goto_field(&mut app, "/data/object/decline_code");
    let s = fixture::screen(&app, 120, 40);
    assert!(s.contains("VALUES .data.object.decline_code"), "{s}");
    row_with(&s, "\"insufficient_funds\"      3   75%");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.catalog.level, Level::Values);
    let s = fixture::screen(&app, 80, 24);
    assert!(s.contains("VALUES .data.object.decline_code"), "{s}");
    let v = row_with(&s, "\"insufficient_funds\"");
    assert!(v.contains("3   75%"), "{v}");
    // An array has no values to pick: the view says why and stays.
    key(&mut app, KeyCode::Esc);
    goto_field(&mut app, "/data/object/items");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.catalog.level, Level::Fields);
    let notice = app.current_notice().unwrap();
    assert!(notice.text.contains("objects or arrays"), "{}", notice.text);
}

#[test]
fn f_on_a_type_filters_the_feed_to_it_and_u_undoes() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    goto_type(&mut app, "charge.succeeded");
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(app.overlay, None, "f shows the feed");
    assert_eq!(app.filter.source_text(), "type:charge.succeeded");
    let ids: Vec<_> = feed_events(&app)
        .into_iter()
        .map(|(_, id, _)| id.unwrap())
        .collect();
    assert_eq!(ids, ["evt_s0", "evt_s1", "evt_s2"]);
    assert_eq!(app.history.last().unwrap(), "type:charge.succeeded");
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.filter.source_text(), "");
    assert_eq!(app.feed.seqs.len(), 10);
}

#[test]
fn f_on_a_field_filters_the_events_carrying_it() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/decline_code");
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(
        app.filter.source_text(),
        "type:charge.failed .data.object.decline_code"
    );
    let ids: Vec<_> = feed_events(&app)
        .into_iter()
        .map(|(_, id, _)| id.unwrap())
        .collect();
    assert_eq!(ids, ["evt_f0", "evt_f1", "evt_f3", "evt_f5"]);
    // Under an array: any element carrying it.
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.catalog.level, Level::Types, "the view opens on the types");
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/items/*/sku");
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(
        app.filter.source_text(),
        "type:charge.failed .data.object.items[*].sku"
    );
    let got = feed_events(&app);
    assert_eq!(got.len(), 2);
    for (ty, _, data) in got {
        assert_eq!(ty, "charge.failed");
        assert!(data.pointer("/data/object/items/0/sku").is_some(), "{data}");
    }
}

#[test]
fn f_on_a_top_value_filters_that_value() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/decline_code");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('j'));
    key(&mut app, KeyCode::Char('f'));
    assert_eq!(
        app.filter.source_text(),
        r#"type:charge.failed .data.object.decline_code="expired_card""#
    );
    let ids: Vec<_> = feed_events(&app)
        .into_iter()
        .map(|(_, id, _)| id.unwrap())
        .collect();
    assert_eq!(ids, ["evt_f1"]);
    // A number: unquoted; Enter on a value filters too.
    key(&mut app, KeyCode::Char('c'));
    goto_type(&mut app, "charge.failed");
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/currency");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.filter.source_text(),
        r#"type:charge.failed .data.object.currency="usd""#
    );
    assert_eq!(feed_events(&app).len(), 4);
}

#[test]
fn y_copies_a_schema_that_validates_the_fed_events() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    for ty in ["charge.failed", "charge.succeeded", "ping"] {
        goto_type(&mut app, ty);
        let Action::Copy(text) = key(&mut app, KeyCode::Char('y')) else {
            panic!("y copies");
        };
        assert!(text.contains('\n'), "pretty JSON");
        let schema: serde_json::Value = serde_json::from_str(&text).unwrap();
        let validator = jsonschema::draft7::new(&schema).expect("a draft-07 schema");
        let events: Vec<_> = app
            .store
            .records()
            .iter()
            .map(|r| app.store.view(r))
            .filter(|e| e.ty == ty)
            .collect();
        assert!(!events.is_empty());
        for e in events {
            let data: serde_json::Value = serde_json::from_str(e.data).unwrap();
            assert!(validator.is_valid(&data), "{ty}: {data} against {schema}");
        }
        if ty == "charge.failed" {
            assert_eq!(
                schema.pointer("/properties/data/properties/object/required"),
                Some(&serde_json::json!(["amount", "currency"])),
                "{schema}"
            );
            // Not valid: what the events never were.
            assert!(!validator.is_valid(&serde_json::json!({"id": 5})));
        }
    }
    // From the fields too: the open type's schema.
    goto_type(&mut app, "charge.failed");
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/amount");
    let Action::Copy(text) = key(&mut app, KeyCode::Char('y')) else {
        panic!("y copies in the fields");
    };
    assert!(text.contains("\"decline_code\""), "{text}");
}

#[test]
fn esc_goes_back_a_level_and_q_closes() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Enter);
    goto_field(&mut app, "/data/object/currency");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.catalog.level, Level::Values);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.catalog.level, Level::Fields);
    assert_eq!(
        app.catalog_field().map(|f| f.path.to_string()).as_deref(),
        Some("/data/object/currency"),
        "back on the same field"
    );
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.catalog.level, Level::Types);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.overlay, None);
    assert_eq!(
        app.filter.source_text(),
        "",
        "Esc closing the view clears nothing"
    );
    // q closes from any level, and does not quit.
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Enter);
    assert_eq!(key(&mut app, KeyCode::Char('q')), Action::None);
    assert_eq!(app.overlay, None);
    // c toggles; the help lists it and so does the bottom line.
    key(&mut app, KeyCode::Char('c'));
    key(&mut app, KeyCode::Char('c'));
    assert_eq!(app.overlay, None);
    let s = fixture::screen(&app, 120, 40);
    assert!(s.lines().last().unwrap().contains("c catalog"), "{s}");
    key(&mut app, KeyCode::Char('?'));
    assert!(fixture::screen(&app, 120, 40).contains("catalog: types by count"));
}

#[test]
fn new_fields_are_marked_with_when_and_the_rows_follow_new_events() {
    let mut app = fixture::catalog_app();
    key(&mut app, KeyCode::Char('c'));
    // 1,001 ticks in one second: counted, 100 learned; then a new field.
    let tick = |i: i64, data: &str| fixture::event(0, "tick", Some(&format!("t{i}")), data, T0);
    app.ingest([crate::source::SourceMsg::Events {
        source: 0,
        events: (0..1001).map(|i| tick(i, r#"{"n":1}"#)).collect(),
        cursor: None,
    }]);
    app.now = T0 + 1000;
    app.ingest([crate::source::SourceMsg::Events {
        source: 0,
        events: vec![tick(1001, r#"{"n":2,"extra":"x"}"#)],
        cursor: None,
    }]);
    // The rows are brought up to date once a frame, not per event.
    assert_eq!(names(&app).len(), 3);
    app.prepare_frame();
    assert_eq!(names(&app)[0], "tick");
    let s = fixture::screen(&app, 120, 40);
    assert!(
        s.contains("4 types · learned from 111 of 1012 events: at most 100 a second per type"),
        "{s}"
    );
    let row = row_with(&s, "tick");
    assert_eq!(cells(row).last(), Some(&"1"), "one new field: {row}");
    key(&mut app, KeyCode::Char('g'));
    key(&mut app, KeyCode::Enter);
    let s = fixture::screen(&app, 120, 40);
    let extra = row_with(&s, "extra");
    assert!(extra.contains("new since 10:00:01"), "{extra}");
    assert!(!row_with(&s, "│n ").contains("new"), "{s}");
}
