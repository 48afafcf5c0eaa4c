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
        json: Some(is_json(data)),
        meta: None,
    }
}

/// Two sources (payments; quotes in patch mode), a few types, fixed times.
pub fn app() -> App {
    app_with_alerts(&[])
}

/// [`app`] with these alerts evaluated over its events.
pub fn app_with_alerts(alerts: &[crate::alert::AlertSpec]) -> App {
    let specs = [spec("payments", false), spec("quotes", true)];
    let store = Store::new(1000, &specs, T0);
    let mut app = App::new(store, Filter::default(), true, T0).with_alerts(alerts);
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

/// One webhook source (Stripe-verified) with four deliveries: verified,
/// failed verification, a redelivery of the first, and one whose app
/// behind `forward_to` could not be reached.
pub fn webhook_app() -> App {
    use crate::config::{SecretKey, Verify, WebhookOptions};
    use crate::event::{Forward, WebhookMeta};
    let spec = SourceSpec {
        name: "stripe-hooks".into(),
        url: "http://127.0.0.1:8787/webhooks/stripe".into(),
        url_display: "http://127.0.0.1:8787/webhooks/stripe → http://127.0.0.1:3000/hooks".into(),
        headers: vec![],
        pointers: Pointers::default(),
        kind: SourceKind::Webhook(WebhookOptions {
            listen: "127.0.0.1:8787".parse().unwrap(),
            path: "/webhooks/stripe".into(),
            verify: Verify::Stripe,
            key: SecretKey(b"whsec_x".to_vec()),
            tolerance: crate::config::DEFAULT_TOLERANCE,
            forward_to: Some("http://127.0.0.1:3000/hooks".into()),
            type_header: None,
            id_header: None,
        }),
        named_after_host: false,
    };
    let store = Store::new(1000, std::slice::from_ref(&spec), T0);
    let mut app = App::new(store, Filter::default(), true, T0);
    let meta = |verified: bool, reason: Option<&str>, attempt: u32, status: u16| WebhookMeta {
        verified: Some(verified),
        reason: reason.map(str::to_owned),
        headers: [
            ("content-type", "application/json"),
            ("stripe-signature", "***"),
            ("user-agent", "Stripe/1.0"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect(),
        forward: verified.then_some(Forward { status, ms: 12 }),
        attempt,
    };
    let deliveries = [
        ("evt_1", meta(true, None, 1, 200)),
        ("evt_2", meta(false, Some("bad signature"), 1, 0)),
        ("evt_1", meta(true, None, 2, 200)),
        ("evt_3", meta(true, None, 1, 502)),
    ];
    let events = deliveries
        .into_iter()
        .enumerate()
        .map(|(i, (id, m))| {
            let data = format!(
                r#"{{"id":"{id}","type":"invoice.paid","data":{{"object":{{"amount":{}}}}}}}"#,
                100 * (i + 1)
            );
            let mut ev = event(0, "invoice.paid", Some(id), &data, T0 - 4000 + i as i64 * 1000);
            ev.meta = Some(Box::new(crate::event::Meta::Webhook(m)));
            ev
        })
        .collect();
    app.ingest([
        SourceMsg::Status {
            source: 0,
            status: Status::Live("listening on http://127.0.0.1:8787/webhooks/stripe".into()),
        },
        SourceMsg::Events {
            source: 0,
            events,
            cursor: None,
        },
    ]);
    app
}

/// The whole screen drawn at `w`×`h`, as text (one line per row).
pub fn screen(app: &App, w: u16, h: u16) -> String {
    let buf = buffer(app, w, h);
    let mut out = String::new();
    for y in 0..h {
        for x in 0..w {
            out.push_str(buf[(x, y)].symbol());
        }
        out.push('\n');
    }
    out
}

/// The whole screen drawn at `w`×`h`, with styles.
pub fn buffer(app: &App, w: u16, h: u16) -> ratatui::buffer::Buffer {
    let mut t = ratatui::Terminal::new(ratatui::backend::TestBackend::new(w, h)).unwrap();
    t.draw(|f| crate::ui::draw(f, app)).unwrap();
    t.backend().buffer().clone()
}

/// One source checked against a contract (`charge.succeeded` needs an
/// integer `amount` and a `currency`): six events, of which the 2nd (amount
/// as a string), 4th (a type the contract does not name) and 5th (a
/// hostile key, no currency) drift.
pub fn contract_app() -> App {
    let contract = crate::contract::Contract::from_text(
        r#"{"charge.succeeded": {"type": "object", "required": ["amount", "currency"],
              "properties": {"amount": {"type": "integer"}, "currency": {"type": "string"}},
              "additionalProperties": {"type": "integer"}},
            "ping": {"type": "string"}}"#,
        std::path::Path::new("contract.json"),
    )
    .expect("the fixture's contract loads");
    let store = Store::new(1000, &[spec("payments", false)], T0).with_contract(std::sync::Arc::new(contract));
    let mut app = App::new(store, Filter::default(), true, T0);
    let events = [
        ("charge.succeeded", r#"{"amount":1200,"currency":"usd"}"#),
        ("charge.succeeded", r#"{"amount":"1200","currency":"usd"}"#),
        ("ping", "hello"),
        ("refund.created", r#"{"amount":300}"#),
        ("charge.succeeded", "{\"amount\":5,\"\\u001b[2Jx\":\"y\"}"),
        ("charge.succeeded", r#"{"amount":7,"currency":"eur"}"#),
    ]
    .iter()
    .enumerate()
    .map(|(i, (ty, data))| {
        let mut e = event(
            0,
            ty,
            Some(&format!("evt_{i}")),
            data,
            T0 - 6000 + i as i64 * 1000,
        );
        e.json = Some(is_json(data));
        e
    })
    .collect();
    app.ingest([
        SourceMsg::Status {
            source: 0,
            status: Status::Live("HTTP 200".into()),
        },
        SourceMsg::Events {
            source: 0,
            events,
            cursor: None,
        },
    ]);
    app.now = T0;
    app
}

/// For the catalog view: one source, three types with known fields —
/// `charge.failed` ×6 (decline codes on 4 of them, items on 2), then
/// `charge.succeeded` ×3, `ping` ×1 — one event a second from T0 − 10 s.
pub fn catalog_app() -> App {
    let store = Store::new(5000, &[spec("payments", false)], T0);
    let mut app = App::new(store, Filter::default(), true, T0 - 10_000);
    let mut events = Vec::new();
    let codes = [
        Some("insufficient_funds"),
        Some("expired_card"),
        None,
        Some("insufficient_funds"),
        None,
        Some("insufficient_funds"),
    ];
    for (i, code) in codes.iter().enumerate() {
        let mut object = serde_json::json!({
            "amount": 100 * (i + 1),
            "currency": if i % 3 == 2 { "eur" } else { "usd" },
        });
        if let Some(code) = code {
            object["decline_code"] = (*code).into();
        }
        if i < 2 {
            object["items"] = serde_json::json!([{"sku": format!("A{i}")}, {"qty": 1}]);
        }
        let data = serde_json::json!({ "id": format!("ch_{i}"), "data": { "object": object } });
        events.push(event(
            0,
            "charge.failed",
            Some(&format!("evt_f{i}")),
            &data.to_string(),
            T0 - 10_000 + i as i64 * 1000,
        ));
    }
    for i in 0..3i64 {
        let data = format!(
            r#"{{"id":"ch_s{i}","data":{{"object":{{"amount":{},"currency":"usd"}}}}}}"#,
            500 + i
        );
        events.push(event(
            0,
            "charge.succeeded",
            Some(&format!("evt_s{i}")),
            &data,
            T0 - 4000 + i * 1000,
        ));
    }
    events.push(event(0, "ping", None, "{}", T0 - 1000));
    for ev in events {
        app.now = ev.received;
        app.ingest([SourceMsg::Events {
            source: 0,
            events: vec![ev],
            cursor: None,
        }]);
    }
    app.now = T0;
    app
}

/// The type, id and data of every event the feed shows.
pub fn feed_events(app: &App) -> Vec<(String, Option<String>, serde_json::Value)> {
    app.feed
        .seqs
        .iter()
        .map(|&s| {
            let v = app.store.view(app.store.get(s).unwrap());
            (
                v.ty.to_owned(),
                v.id.map(str::to_owned),
                serde_json::from_str(v.data).unwrap_or(serde_json::Value::Null),
            )
        })
        .collect()
}

/// Start of the burst's 5-second bucket: 09:58:00Z, two minutes before T0.
pub const BURST: i64 = T0 - 120_000;

/// One `ping` every 10 s (at :05.003, :15.003, …) over the 5 minutes
/// before T0, and a burst in [09:58:00, 09:58:05): 40 `charge.failed` and
/// 10 `charge.succeeded`, with neighbours on both edges (a ping 1 ms
/// before, a `charge.failed` exactly at its end). The clock is T0 + 0.5 s.
pub fn burst_app(specs: &[crate::config::SourceSpec]) -> App {
    let store = Store::new(10_000, specs, T0 - 300_000);
    let mut app = App::new(store, Filter::default(), true, T0 - 300_000);
    let mut events = Vec::new();
    for k in 0..31 {
        events.push(event(0, "ping", None, "{}", T0 - 305_000 + k * 10_000 + 3));
    }
    events.push(event(0, "ping", None, "{}", BURST - 1));
    for k in 0..50 {
        let ty = if k % 5 == 4 {
            "charge.succeeded"
        } else {
            "charge.failed"
        };
        events.push(event(0, ty, Some(&format!("evt_{k}")), "{}", BURST + k * 99));
    }
    events.push(event(0, "charge.failed", Some("after"), "{}", BURST + 5000));
    events.sort_by_key(|e| e.received);
    app.now = T0 + 500;
    app.ingest([SourceMsg::Events {
        source: 0,
        events,
        cursor: None,
    }]);
    app
}

/// One key press without modifiers, as the terminal would send it.
pub fn press(app: &mut App, c: crossterm::event::KeyCode) {
    use crossterm::event::{Event, KeyEvent, KeyModifiers};
    app.handle(&Event::Key(KeyEvent::new(c, KeyModifiers::NONE)));
}
