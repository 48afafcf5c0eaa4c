//! Fixed data and a fixed clock for app and UI tests.

use crate::config::{SourceKind, SourceSpec, SseOptions};
use crate::event::{Event, Pointers, is_json};
use crate::filter::Filter;
use crate::source::{SourceMsg, Status};
use crate::store::Store;

use super::App;

/// 2026-11-22T10:00:00Z.
pub const T0: i64 = 1_795_341_600_000;

pub fn spec(name: &str, patch: bool) -> SourceSpec {
    SourceSpec {
        name: name.into(),
        url: format!("https://{name}.example.com/stream"),
        url_display: format!("https://{name}.example.com/stream?key=***"),
        headers: vec![],
        pointers: Pointers::default(),
        kind: SourceKind::Sse(SseOptions {
            patch,
            idle_timeout: None,
        }),
        named_after_host: false,
    }
}

pub fn event(source: u16, ty: &str, id: Option<&str>, data: &str, received: i64) -> Event {
    Event {
        source,
        id: id.map(str::to_owned),
        ty: ty.into(),
        time: Some(received - received % 1000),
        received,
        data: data.into(),
        json: is_json(data),
        webhook: None,
    }
}

/// Two sources (payments; quotes in patch mode), a few types, fixed times.
pub fn app() -> App {
    let specs = [spec("payments", false), spec("quotes", true)];
    let store = Store::new(1000, &specs, T0);
    let mut app = App::new(store, Filter::default(), true, T0);
    app.ingest([
        SourceMsg::Status {
            source: 0,
            status: Status::Live("HTTP 200".into()),
        },
        SourceMsg::Status {
            source: 1,
            status: Status::Live("HTTP 200".into()),
        },
    ]);
    let mut events = Vec::new();
    for i in 0..30i64 {
        let ty = ["charge.succeeded", "payment_intent.created", "charge.failed"][(i % 3) as usize];
        let data = format!(
            r#"{{"id":"evt_{i}","type":"{ty}","data":{{"object":{{"amount":{},"currency":"usd","status":"ok"}}}}}}"#,
            (i + 1) * 250
        );
        events.push(event(
            0,
            ty,
            Some(&format!("evt_{i}")),
            &data,
            T0 - 30_000 + i * 1000,
        ));
    }
    app.now = T0 - 30_000;
    app.ingest([SourceMsg::Events {
        source: 0,
        events,
        cursor: Some("evt_29".into()),
    }]);
    app.now = T0 - 2000;
    app.ingest([SourceMsg::Events {
        source: 1,
        events: vec![
            event(
                1,
                "data",
                None,
                r#"{"quotes":[{"sym":"ACME","px":10},{"sym":"INIT","px":20}]}"#,
                T0 - 2000,
            ),
            event(
                1,
                "patch",
                None,
                r#"[{"op":"replace","path":"/quotes/1/px","value":21.5}]"#,
                T0 - 1500,
            ),
        ],
        cursor: None,
    }]);
    app.now = T0;
    app
}
