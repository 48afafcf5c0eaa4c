//! Snapshots of the catalog view (types, fields, values) at 80×24 and
//! 120×40, and hostile type names, paths and values shown inert.

use crossterm::event::KeyCode;

use crate::app::fixture;
use crate::app::fixture::press;
use crate::source::SourceMsg;

#[test]
fn catalog_and_fields_80x24_and_120x40() {
    let mut app = fixture::catalog_app();
    press(&mut app, KeyCode::Char('c'));
    insta::assert_snapshot!("catalog_types_120x40", fixture::screen(&app, 120, 40));
    insta::assert_snapshot!("catalog_types_80x24", fixture::screen(&app, 80, 24));
    press(&mut app, KeyCode::Enter);
    for _ in 0..5 {
        press(&mut app, KeyCode::Char('j'));
    }
    insta::assert_snapshot!("catalog_fields_120x40", fixture::screen(&app, 120, 40));
    insta::assert_snapshot!("catalog_fields_80x24", fixture::screen(&app, 80, 24));
    press(&mut app, KeyCode::Enter);
    insta::assert_snapshot!("catalog_values_80x24", fixture::screen(&app, 80, 24));
}

#[test]
fn hostile_names_paths_and_values_are_inert_in_the_catalog() {
    let mut app = fixture::catalog_app();
    let evil = "\u{1b}]0;pwned\u{7}\u{1b}[2J\u{1b}[31mred\u{202e}x";
    let mut data = serde_json::Map::new();
    data.insert(evil.to_owned(), serde_json::json!({ "k": evil }));
    data.insert("v".to_owned(), serde_json::json!(evil));
    let data = serde_json::Value::Object(data).to_string();
    app.ingest([SourceMsg::Events {
        source: 0,
        events: vec![fixture::event(0, evil, Some("x"), &data, fixture::T0)],
        cursor: None,
    }]);
    press(&mut app, KeyCode::Char('c'));
    for _ in 0..4 {
        if app.catalog_type().is_some_and(|(_, t)| &*t.name == evil) {
            break;
        }
        press(&mut app, KeyCode::Char('j'));
    }
    assert!(app.catalog_type().is_some_and(|(_, t)| &*t.name == evil));
    let types = fixture::screen(&app, 120, 40);
    press(&mut app, KeyCode::Enter);
    let fields = fixture::screen(&app, 120, 40);
    press(&mut app, KeyCode::Char('G'));
    press(&mut app, KeyCode::Enter);
    let values = fixture::screen(&app, 80, 24);
    for (name, s) in [("types", &types), ("fields", &fields), ("values", &values)] {
        assert!(s.contains("␛]0;pwned"), "{name}: the text is shown, inert:\n{s}");
        for bad in ['\u{1b}', '\u{7}', '\u{202e}', '\u{9b}'] {
            assert!(!s.contains(bad), "{name}: {bad:?} reached the screen:\n{s}");
        }
    }
    insta::assert_snapshot!("catalog_hostile_fields_120x40", fields);
    insta::assert_snapshot!("catalog_hostile_types_80x24", fixture::screen(&app, 80, 24));
}
