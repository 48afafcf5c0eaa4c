//! WebSocket sources through the engine, against third-party servers
//! (Python `websockets`, node `ws`, the `graphql-ws` library's server) on
//! 127.0.0.1:0 (SPEC 8.1, 8.2).

use std::time::Duration;

use evtop::source::{DropKind, SourceMsg, Status};
use serde_json::json;

use crate::support::*;
use crate::websocket_servers::*;

const SUBSCRIBE: &str = r#"subscribe = ['{"type":"subscribe","channels":["ticker"]}']
type_pointer = "/type"
id_pointer = "/seq""#;

/// The `seq` of each event, checking each is a `tick`.
fn seqs(events: &[evtop::event::Event]) -> Vec<u64> {
    events
        .iter()
        .map(|e| {
            assert_eq!(e.ty, "tick", "{e:?}");
            let v: serde_json::Value = serde_json::from_str(&e.data).unwrap();
            v["seq"].as_u64().unwrap()
        })
        .collect()
}

/// Wait for a `Retrying` status; its delay and reason.
async fn retrying(engine: &mut Engine, secs: u64) -> (Duration, String) {
    let msgs = until(engine, secs, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    match msgs.into_iter().last() {
        Some(SourceMsg::Status {
            status: Status::Retrying { delay, reason },
            ..
        }) => (delay, reason),
        other => unreachable!("{other:?}"),
    }
}

use evtop::engine::Engine;

#[tokio::test(flavor = "multi_thread")]
async fn python_frames_arrive_once_and_in_order_after_one_subscribe_frame() {
    let server = python(json!({"frames": 500, "waitSubscribe": true})).await;
    let mut engine = engine(&[ws_source(SUBSCRIBE, &server.url("/feed"))], 1 << 20);
    let events = n_events(&mut engine, 500, 30).await;
    assert_eq!(seqs(&events), (0..500).collect::<Vec<_>>());
    assert_eq!(events[7].id.as_deref(), Some("7"));
    // The server's log is read from its pipe: wait for it, then count.
    server.wait_for("RECV ", 1, 10).await;
    assert_eq!(
        server.lines()[..2],
        ["CONN", r#"RECV {"type":"subscribe","channels":["ticker"]}"#]
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn node_ws_frames_arrive_once_and_in_order() {
    let server = node_ws(json!({"frames": 500, "waitSubscribe": true})).await;
    let mut engine = engine(&[ws_source(SUBSCRIBE, &server.url("/"))], 1 << 20);
    let events = n_events(&mut engine, 500, 30).await;
    assert_eq!(seqs(&events), (0..500).collect::<Vec<_>>());
    server.wait_for("RECV ", 1, 10).await;
    assert_eq!(server.count("RECV "), 1, "{:?}", server.lines());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn subscribe_frames_are_sent_once_per_connection_across_a_sigkilled_server() {
    let opts = json!({"frames": 3, "waitSubscribe": true});
    let mut first = python(opts.clone()).await;
    let port = first.port;
    let mut engine = engine(&[ws_source(SUBSCRIBE, &first.url("/feed"))], 1 << 20);
    assert_eq!(seqs(&n_events(&mut engine, 3, 20).await), [0, 1, 2]);
    first.kill().await;
    let mut opts = opts;
    opts["port"] = json!(port);
    let second = python(opts).await;
    assert_eq!(second.port, port);
    assert_eq!(seqs(&n_events(&mut engine, 3, 30).await), [0, 1, 2]);
    for server in [&first, &second] {
        server.wait_for("RECV ", 1, 10).await;
        assert_eq!(server.count("CONN"), 1, "{:?}", server.lines());
        assert_eq!(server.count("RECV "), 1, "{:?}", server.lines());
    }
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_close_frame_is_shown_with_code_and_reason_then_reconnects() {
    let server = python(json!({"frames": 1, "close": [1008, "policy violation"]})).await;
    let mut engine = engine(&[plain(&server.url("/"))], 1 << 20);
    let (_, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "closed by server: 1008 policy violation");
    server.wait_for("CONN", 2, 20).await;
    engine.shutdown().await;

    let server = node_ws(json!({"close": [4000, "rotating keys"]})).await;
    let mut engine = crate::support::engine(&[plain(&server.url("/"))], 1 << 20);
    let (_, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "closed by server: 4000: rotating keys");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_stops_answering_pings_is_noticed_within_idle_timeout() {
    let server = node_ws(json!({"frames": 1, "autoPong": false})).await;
    let spec = ws_source("ping = \"200ms\"\nidle_timeout = \"1s\"", &server.url("/"));
    let mut engine = engine(&[spec], 1 << 20);
    let (_, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "nothing received for 1s (pong included)");
    server.wait_for("PING", 2, 10).await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn pongs_keep_a_quiet_connection_up() {
    // The same quiet server, answering pings: no reconnect while pongs come.
    let server = node_ws(json!({"frames": 0})).await;
    let spec = ws_source("ping = \"100ms\"\nidle_timeout = \"500ms\"", &server.url("/"));
    let engine = engine(&[spec], 1 << 20);
    server.wait_for("PING", 15, 20).await;
    assert_eq!(server.count("CONN"), 1, "{:?}", server.lines());
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_401_upgrade_shows_its_status_and_waits_30s_and_the_env_token_connects() {
    let server = python(json!({"frames": 2, "token": "s3cret"})).await;
    let mut engine = engine(&[plain(&server.url("/"))], 1 << 20);
    let (delay, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "HTTP 401 Unauthorized: invalid token");
    assert!(delay >= Duration::from_secs(30), "{delay:?}");
    engine.shutdown().await;

    let toml = format!(
        "[[source]]\nname = \"ws\"\nkind = \"websocket\"\nurl = \"{}\"\nheaders = {{ Authorization = \"Bearer ${{WS_TOKEN}}\" }}\n",
        server.url("/")
    );
    let env = |k: &str| (k == "WS_TOKEN").then(|| "s3cret".to_owned());
    let config = evtop::config::parse_config(&toml, "t.toml", &env).unwrap();
    let mut engine = Engine::start(&config.sources, &settings(1 << 20), &config.secrets).unwrap();
    assert_eq!(n_events(&mut engine, 2, 20).await.len(), 2);
    server.wait_for("REFUSED", 1, 10).await;
    assert_eq!(server.count("REFUSED"), 1);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn utf8_binary_frames_are_text_and_others_are_dropped_and_reported() {
    let server = python(json!({"binary": true})).await;
    let mut engine = engine(&[plain(&server.url("/"))], 1 << 20);
    let msgs = until(
        &mut engine,
        20,
        |m| matches!(m, SourceMsg::Events { events, .. } if events[0].data.contains("after-binary")),
    )
    .await;
    let dropped: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Dropped { kind, detail, .. } => Some((*kind, detail.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(
        dropped,
        [(
            DropKind::Unparsable,
            "binary frame of 12 bytes is not UTF-8 text".to_owned()
        )]
    );
    let events = events_in(msgs);
    assert_eq!(events[0].data, "café as binary");
    assert_eq!(events[0].ty, "message");
    assert_eq!(events.len(), 2);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_the_bound_is_refused_and_the_source_reconnects() {
    let server = python(json!({"frames": 1, "big": 5000})).await;
    let mut engine = engine(&[plain(&server.url("/"))], 4096);
    let msgs = until(&mut engine, 20, |m| matches!(m, SourceMsg::Dropped { .. })).await;
    assert_eq!(events_in(msgs).len(), 1, "the frame before it arrived");
    let (_, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "message over max_event_bytes = 4096 refused");
    server.wait_for("CONN", 2, 20).await;
    engine.shutdown().await;
}

const GRAPHQL: &str = r#"protocol = "graphql-ws"
query = [
  "subscription OnOrder($shop: String!) { orderPlaced(shop: $shop) { id shop total } }",
  "subscription { refundIssued { id amount } }",
]
variables = { shop = "eu-1" }
init_payload = { token = "tok_live" }"#;

#[tokio::test(flavor = "multi_thread")]
async fn graphql_two_subscriptions_stream_at_once_typed_by_root_field() {
    let server = node_graphql(json!({"token": "tok_live", "count": 3})).await;
    let mut engine = engine(&[ws_source(GRAPHQL, &server.url("/graphql"))], 1 << 20);
    let events = n_events(&mut engine, 6, 20).await;
    let orders: Vec<_> = events.iter().filter(|e| e.ty == "orderPlaced").collect();
    let refunds: Vec<_> = events.iter().filter(|e| e.ty == "refundIssued").collect();
    assert_eq!((orders.len(), refunds.len()), (3, 3), "{events:#?}");
    let first: serde_json::Value = serde_json::from_str(&orders[0].data).unwrap();
    assert_eq!(
        first,
        json!({"data": {"orderPlaced": {"id": "ord_0", "shop": "eu-1", "total": 10.5}}})
    );
    server.wait_for("SUBSCRIBE", 2, 10).await;
    assert_eq!(
        server.count("INIT {\"token\":\"tok_live\"}"),
        1,
        "{:?}",
        server.lines()
    );
    assert_eq!(server.count("SUBSCRIBE"), 2);
    // Both finish: the server's `complete`s are shown.
    until(&mut engine, 20, |m| {
        matches!(m, SourceMsg::Status { status: Status::Live(d), .. }
            if d.contains("subscription orderPlaced: completed by server")
            && d.contains("subscription refundIssued: completed by server"))
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_auth_failure_in_connection_init_is_shown() {
    let server = node_graphql(json!({"token": "another"})).await;
    let mut engine = engine(&[ws_source(GRAPHQL, &server.url("/graphql"))], 1 << 20);
    let (delay, reason) = retrying(&mut engine, 20).await;
    assert_eq!(reason, "closed by server: 4403 forbidden");
    assert!(delay >= Duration::from_secs(30), "{delay:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_errors_are_shown_as_status() {
    let server = node_graphql(json!({})).await;
    let spec = ws_source(
        "protocol = \"graphql-ws\"\nquery = \"subscription { orderShipped { id } }\"",
        &server.url("/graphql"),
    );
    let mut engine = engine(&[spec], 1 << 20);
    until(&mut engine, 20, |m| {
        matches!(m, SourceMsg::Status { status: Status::Live(d), .. }
            if d == "graphql-ws, 1 subscription; subscription orderShipped: error: \
                     Cannot query field \"orderShipped\" on type \"Subscription\". \
                     Did you mean \"orderPlaced\"?")
    })
    .await;
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn graphql_subscriptions_are_sent_again_after_a_reconnect() {
    let mut first = node_graphql(json!({"count": 1000})).await;
    let spec = ws_source(
        "protocol = \"graphql-ws\"\nquery = \"subscription { refundIssued { id } }\"",
        &first.url("/graphql"),
    );
    let mut engine = engine(&[spec], 1 << 20);
    assert_eq!(n_events(&mut engine, 2, 20).await[0].ty, "refundIssued");
    first.kill().await;
    let second = node_graphql(json!({"count": 1000, "port": first.port})).await;
    let events = n_events(&mut engine, 2, 30).await;
    assert_eq!(events[0].data, r#"{"data":{"refundIssued":{"id":"re_0"}}}"#);
    for server in [&first, &second] {
        server.wait_for("SUBSCRIBE", 1, 10).await;
        assert_eq!(server.count("INIT"), 1, "{:?}", server.lines());
        assert_eq!(server.count("SUBSCRIBE"), 1, "{:?}", server.lines());
    }
    engine.shutdown().await;
}
