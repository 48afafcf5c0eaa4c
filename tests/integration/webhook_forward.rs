//! `forward_to`: evtop in front of a real app (axum on 127.0.0.1:0) passes
//! deliveries through untouched, returns the app's answer, records its
//! status and latency, and answers 502 when the app is down.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::http::{HeaderMap, Method, StatusCode};
use axum::routing::any;
use evtop::source::webhook::verify::github_header;

use crate::support::*;

/// What the app saw: method, headers, body.
type Seen = Arc<Mutex<Vec<(Method, HeaderMap, Bytes)>>>;

/// An app that records each request and answers `status` with a body and
/// a header of its own.
async fn app(status: StatusCode) -> (std::net::SocketAddr, Seen) {
    let seen: Seen = Arc::default();
    let seen2 = seen.clone();
    let router = axum::Router::new().route(
        "/app/hooks",
        any(move |method: Method, headers: HeaderMap, body: Bytes| {
            let seen = seen2.clone();
            async move {
                seen.lock().unwrap().push((method, headers, body));
                (
                    status,
                    [("x-app", "yes"), ("content-type", "text/plain")],
                    "app says hi",
                )
            }
        }),
    );
    (serve(router).await, seen)
}

fn forwarding_source(target: &str, extra: &str) -> Vec<evtop::config::SourceSpec> {
    config_sources(&format!(
        "[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\npath = \"/in\"\nforward_to = \"{target}\"\n{extra}"
    ))
}

#[tokio::test(flavor = "multi_thread")]
async fn deliveries_pass_through_and_the_sender_gets_the_apps_answer() {
    let (addr, seen) = app(StatusCode::CREATED).await;
    let specs = forwarding_source(&format!("http://{addr}/app/hooks"), "");
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let body = "{\"id\":\"evt_1\",\"keys\":[3,1,2],  \"spaced\" : true}";
    let resp = sender()
        .post(&urls[0])
        .header("Content-Type", "application/json")
        .header("Stripe-Signature", "t=1,v1=abc")
        .header("X-Custom", "one")
        .header("User-Agent", "Stripe/1.0")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 201, "the app's status");
    assert_eq!(resp.headers()["x-app"], "yes", "the app's headers");
    assert_eq!(resp.text().await.unwrap(), "app says hi", "the app's body");

    let (method, headers, got) = seen.lock().unwrap()[0].clone();
    assert_eq!(method, Method::POST);
    assert_eq!(got, body.as_bytes(), "the body, byte for byte");
    for (name, value) in [
        ("content-type", "application/json"),
        ("stripe-signature", "t=1,v1=abc"),
        ("x-custom", "one"),
        ("user-agent", "Stripe/1.0"),
    ] {
        assert_eq!(headers[name], value, "{name} passed on unmasked");
    }

    let ev = &n_events(&mut engine, 1, 10).await[0];
    let meta = ev.meta.as_deref().and_then(evtop::event::Meta::webhook).unwrap();
    let forward = meta.forward.expect("the forward is recorded");
    assert_eq!(forward.status, 201);
    assert!(forward.ms < 20_000, "a latency in milliseconds: {}", forward.ms);
    assert_eq!(
        meta.headers["stripe-signature"], "***",
        "masked in the event only"
    );
    assert_eq!(ev.data, body);
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_app_error_is_passed_back_and_marked() {
    let (addr, _) = app(StatusCode::INTERNAL_SERVER_ERROR).await;
    let specs = forwarding_source(&format!("http://{addr}/app/hooks"), "");
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let resp = sender().post(&urls[0]).body("{}").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 500);
    assert_eq!(resp.text().await.unwrap(), "app says hi");
    let ev = &n_events(&mut engine, 1, 10).await[0];
    let meta = ev.meta.as_deref().and_then(evtop::event::Meta::webhook).unwrap();
    assert_eq!(meta.forward.unwrap().status, 500);
    assert_eq!(meta.mark(), "→500");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn app_down_is_a_502_to_the_sender_and_recorded() {
    let down = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap()
    };
    let specs = forwarding_source(&format!("http://{down}/app/hooks"), "");
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let resp = sender()
        .post(&urls[0])
        .body("{\"id\":\"evt_9\"}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 502);
    let text = resp.text().await.unwrap();
    assert!(
        text.starts_with("evtop: the app behind forward_to did not answer: cannot connect"),
        "{text}"
    );
    let ev = &n_events(&mut engine, 1, 10).await[0];
    let meta = ev.meta.as_deref().and_then(evtop::event::Meta::webhook).unwrap();
    assert_eq!(meta.forward.unwrap().status, 502);
    assert_eq!(meta.mark(), "→502");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_delivery_that_fails_verification_is_not_forwarded() {
    let (addr, seen) = app(StatusCode::OK).await;
    let specs = forwarding_source(
        &format!("http://{addr}/app/hooks"),
        "verify = \"github\"\nsecret = \"gh_secret\"\n",
    );
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let body = "{\"zen\":\"Keep it logically awesome.\"}";
    let bad = sender()
        .post(&urls[0])
        .header("X-Hub-Signature-256", github_header(b"other", body.as_bytes()))
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status().as_u16(), 400);
    let good = sender()
        .post(&urls[0])
        .header(
            "X-Hub-Signature-256",
            github_header(b"gh_secret", body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(good.status().as_u16(), 200);
    assert_eq!(
        seen.lock().unwrap().len(),
        1,
        "only the verified delivery reached the app"
    );
    let events = n_events(&mut engine, 2, 10).await;
    assert_eq!(
        events[0]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .forward,
        None
    );
    assert_eq!(
        events[1]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .forward
            .unwrap()
            .status,
        200
    );
    engine.shutdown().await;
}
