//! Webhook sources over real sockets: the replies (200/400/404/405/413),
//! what each delivery records, the presets' types and ids, redeliveries,
//! and a reply that never waits for the consumer.

use evtop::event::{Event, now_millis};
use evtop::source::webhook::verify::{github_header, standard_header, stripe_header};
use evtop::source::{DropKind, SourceMsg};
use evtop::store::Store;

use crate::support::*;

const STRIPE_SECRET: &str = "whsec_stripe_test_secret";

/// A Stripe-verified source on /stripe and an unverified one on /plain,
/// sharing one server on a free port.
fn two_sources() -> Vec<evtop::config::SourceSpec> {
    config_sources(&format!(
        "[[source]]\nname = \"stripe\"\nkind = \"webhook\"\npreset = \"stripe\"\nlisten = \"127.0.0.1:0\"\npath = \"/stripe\"\nsecret = \"{STRIPE_SECRET}\"\n\n\
         [[source]]\nname = \"plain\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\npath = \"/plain\"\n"
    ))
}

fn stripe_body(id: &str, amount: u32) -> String {
    format!(
        r#"{{"id":"{id}","object":"event","type":"charge.succeeded","created":1795341600,"data":{{"object":{{"amount":{amount}}}}}}}"#
    )
}

/// POST `body` to `url` with `headers`; returns status and body text.
async fn post(url: &str, headers: &[(&str, &str)], body: impl Into<reqwest::Body>) -> (u16, String) {
    let mut req = sender().post(url).body(body);
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = req.send().await.expect("delivery answered");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap())
}

fn now_secs() -> i64 {
    now_millis() / 1000
}

#[tokio::test(flavor = "multi_thread")]
async fn replies_are_as_specified_and_every_delivery_is_recorded() {
    let specs = two_sources();
    let (mut engine, urls) = live_webhooks(&specs, 2048).await;
    assert_eq!(
        urls[0].rsplit_once(':').unwrap().1.split('/').next(),
        urls[1].rsplit_once(':').unwrap().1.split('/').next(),
        "one server, one port"
    );
    let (stripe, plain) = (&urls[0], &urls[1]);
    let key = STRIPE_SECRET.as_bytes();

    // Verified → 200.
    let body = stripe_body("evt_ok", 1200);
    let sig = stripe_header(key, now_secs(), body.as_bytes());
    let (status, text) = post(stripe, &[("Stripe-Signature", &sig), ("X-Request", "r1")], body).await;
    assert_eq!((status, text.as_str()), (200, ""));
    // Tampered body → 400 naming the reason, never the secret.
    let signed = stripe_body("evt_tampered", 1200);
    let sig = stripe_header(key, now_secs(), signed.as_bytes());
    let (status, text) = post(
        stripe,
        &[("Stripe-Signature", &sig)],
        stripe_body("evt_tampered", 999_999),
    )
    .await;
    assert_eq!(
        (status, text.as_str()),
        (400, "webhook verification failed: bad signature\n")
    );
    assert!(!text.contains(STRIPE_SECRET));
    // Missing header, stale timestamp → 400 with their reasons.
    let (status, text) = post(stripe, &[], stripe_body("evt_unsigned", 1)).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "webhook verification failed: no Stripe-Signature header\n")
    );
    let stale = stripe_body("evt_stale", 1);
    let sig = stripe_header(key, now_secs() - 3600, stale.as_bytes());
    let (status, text) = post(stripe, &[("Stripe-Signature", &sig)], stale).await;
    assert_eq!(
        (status, text.as_str()),
        (
            400,
            "webhook verification failed: timestamp outside tolerance: signed 60m ago, tolerance 5m\n"
        )
    );
    // Not POST → 405 with Allow; unknown path → 404.
    let resp = sender().get(stripe.as_str()).send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 405);
    assert_eq!(resp.headers()["allow"], "POST");
    let nowhere = stripe.replace("/stripe", "/nowhere");
    assert_eq!(post(&nowhere, &[], "{}").await.0, 404);
    // Over max_event_bytes → 413, announced or streamed.
    assert_eq!(post(plain, &[], vec![b'x'; 3000]).await.0, 413);
    let chunks = futures_util::stream::iter((0..6).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 512])));
    assert_eq!(post(plain, &[], reqwest::Body::wrap_stream(chunks)).await.0, 413);
    // Unverified text → 200.
    let (status, _) = post(
        plain,
        &[("Authorization", "Bearer tok_in_header"), ("Cookie", "sid=1")],
        "hello\tworld",
    )
    .await;
    assert_eq!(status, 200);

    let msgs = until(&mut engine, 10, {
        let mut n = 0;
        move |m| {
            n += events_of_ref(m);
            n == 5
        }
    })
    .await;
    let oversize = msgs
        .iter()
        .filter(|m| {
            matches!(
                m,
                SourceMsg::Dropped {
                    source: 1,
                    kind: DropKind::Oversize,
                    ..
                }
            )
        })
        .count();
    let events: Vec<Event> = events_in(msgs);
    let hook = |e: &Event| {
        e.meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .cloned()
            .expect("webhook meta")
    };

    let ok = &events[0];
    assert_eq!(
        (ok.source, ok.id.as_deref(), ok.ty.as_str()),
        (0, Some("evt_ok"), "charge.succeeded")
    );
    assert_eq!(ok.time, Some(1_795_341_600_000));
    assert!(ok.json == Some(true) && ok.data.contains("\"amount\":1200"));
    let meta = hook(ok);
    assert_eq!(
        (meta.verified, meta.reason.as_deref(), meta.attempt, meta.forward),
        (Some(true), None, 1, None)
    );
    assert_eq!(meta.headers["stripe-signature"], "***");
    assert_eq!(meta.headers["x-request"], "r1");
    assert!(meta.headers.keys().all(|k| k == &k.to_lowercase()));

    let reasons: Vec<(Option<bool>, Option<String>)> = events[1..4]
        .iter()
        .map(|e| (hook(e).verified, hook(e).reason.clone()))
        .collect();
    assert_eq!(reasons[0], (Some(false), Some("bad signature".into())));
    assert_eq!(
        reasons[1],
        (Some(false), Some("no Stripe-Signature header".into()))
    );
    assert!(
        reasons[2]
            .1
            .as_deref()
            .unwrap()
            .starts_with("timestamp outside tolerance")
    );
    assert!(events[1].data.contains("999999"), "the body as received");

    let text = &events[4];
    assert_eq!(
        (
            text.source,
            text.ty.as_str(),
            text.data.as_str(),
            text.as_ref("").json
        ),
        (1, "webhook", "hello\tworld", false)
    );
    let meta = hook(text);
    assert_eq!(meta.verified, None);
    assert_eq!(
        (
            meta.headers["authorization"].as_str(),
            meta.headers["cookie"].as_str()
        ),
        ("***", "***")
    );
    // Both 413s were counted, announced size or not (they may trail the events).
    let mut oversize = oversize;
    while oversize < 2 {
        if let SourceMsg::Dropped {
            kind: DropKind::Oversize,
            ..
        } = next_msg(&mut engine, 10).await
        {
            oversize += 1;
        }
    }
    engine.shutdown().await;
}

fn events_of_ref(m: &SourceMsg) -> usize {
    match m {
        SourceMsg::Events { events, .. } => events.len(),
        _ => 0,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_200_does_not_wait_for_a_slow_consumer() {
    let specs = config_sources("[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\n");
    let (mut engine, urls) = live_webhooks(&specs, 4096).await;
    // Nobody reads the engine's channel while 300 deliveries arrive: each
    // is answered all the same (a reply that waited would never come).
    const N: usize = 300;
    for i in 0..N {
        let (status, _) = post(&urls[0], &[], format!("{{\"n\":{i}}}")).await;
        assert_eq!(status, 200, "delivery {i}");
    }
    // Now read: what could not be queued is counted, none is lost silently.
    let mut shown = 0;
    let mut lost = 0;
    while shown + lost < N {
        match next_msg(&mut engine, 10).await {
            SourceMsg::Events { events, .. } => shown += events.len(),
            SourceMsg::Dropped {
                kind: DropKind::Overflow,
                detail,
                ..
            } => {
                lost += detail.split(' ').next().unwrap().parse::<usize>().unwrap();
                assert!(detail.contains("answered but not shown"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
    }
    assert_eq!(shown + lost, N);
    assert!(lost > 0 && shown > 0, "shown {shown}, lost {lost}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn github_and_standard_presets_type_and_identify_deliveries() {
    let std_key = b"0123456789abcdef0123456789abcdef";
    let std_secret = {
        use base64::Engine as _;
        format!(
            "whsec_{}",
            base64::engine::general_purpose::STANDARD.encode(std_key)
        )
    };
    let specs = config_sources(&format!(
        "[[source]]\nname = \"gh\"\nkind = \"webhook\"\npreset = \"github\"\nlisten = \"127.0.0.1:0\"\npath = \"/gh\"\nsecret = \"It's a Secret to Everybody\"\n\n\
         [[source]]\nname = \"std\"\nkind = \"webhook\"\npreset = \"standard\"\nlisten = \"127.0.0.1:0\"\npath = \"/std\"\nsecret = \"{std_secret}\"\n"
    ));
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let gh_key = b"It's a Secret to Everybody";
    for (event, body) in [
        ("issues", r#"{"action":"opened","issue":{"number":1}}"#),
        ("push", r#"{"ref":"refs/heads/main"}"#),
    ] {
        let sig = github_header(gh_key, body.as_bytes());
        let delivery = format!("guid-{event}");
        let headers = [
            ("X-GitHub-Event", event),
            ("X-GitHub-Delivery", delivery.as_str()),
            ("X-Hub-Signature-256", sig.as_str()),
        ];
        assert_eq!(post(&urls[0], &headers, body).await.0, 200);
    }
    let body = r#"{"type":"invoice.paid","timestamp":"2026-11-22T10:00:00Z","data":{"id":"in_1"}}"#;
    let t = now_secs();
    let sig = standard_header(std_key, "msg_42", t, body.as_bytes());
    let t_text = t.to_string();
    let headers = [
        ("webhook-id", "msg_42"),
        ("webhook-timestamp", t_text.as_str()),
        ("webhook-signature", sig.as_str()),
    ];
    assert_eq!(post(&urls[1], &headers, body).await.0, 200);
    // Signed for another message id: rejected.
    let headers = [
        ("webhook-id", "msg_43"),
        ("webhook-timestamp", t_text.as_str()),
        ("webhook-signature", sig.as_str()),
    ];
    let (status, text) = post(&urls[1], &headers, body).await;
    assert_eq!(
        (status, text.as_str()),
        (400, "webhook verification failed: bad signature\n")
    );

    let events = n_events(&mut engine, 4, 10).await;
    let summary: Vec<(&str, Option<&str>, Option<bool>)> = events
        .iter()
        .map(|e| {
            (
                e.ty.as_str(),
                e.id.as_deref(),
                e.meta
                    .as_deref()
                    .and_then(evtop::event::Meta::webhook)
                    .unwrap()
                    .verified,
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            ("issues.opened", Some("guid-issues"), Some(true)),
            ("push", Some("guid-push"), Some(true)),
            ("invoice.paid", Some("msg_42"), Some(true)),
            ("invoice.paid", Some("msg_43"), Some(false)),
        ]
    );
    assert_eq!(
        events[0]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .headers["x-hub-signature-256"],
        "***"
    );
    assert_eq!(
        events[2]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .headers["webhook-signature"],
        "***"
    );
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_redelivery_is_marked_and_not_counted_again() {
    let specs = config_sources(&format!(
        "[[source]]\nname = \"stripe\"\nkind = \"webhook\"\npreset = \"stripe\"\nlisten = \"127.0.0.1:0\"\nsecret = \"{STRIPE_SECRET}\"\n"
    ));
    let (mut engine, urls) = live_webhooks(&specs, 65536).await;
    let key = STRIPE_SECRET.as_bytes();
    // Stripe retries with the same event id and a fresh signature.
    for (id, signed) in [
        ("evt_1", true),
        ("evt_2", true),
        ("evt_1", true),
        ("evt_1", false),
    ] {
        let body = stripe_body(id, 500);
        let sig = if signed {
            stripe_header(key, now_secs(), body.as_bytes())
        } else {
            "t=1,v1=00".to_owned()
        };
        post(&urls[0], &[("Stripe-Signature", &sig)], body).await;
    }
    let events = n_events(&mut engine, 4, 10).await;
    let attempts: Vec<(&str, u32)> = events
        .iter()
        .map(|e| {
            (
                e.id.as_deref().unwrap(),
                e.meta
                    .as_deref()
                    .and_then(evtop::event::Meta::webhook)
                    .unwrap()
                    .attempt,
            )
        })
        .collect();
    assert_eq!(attempts, [("evt_1", 1), ("evt_2", 1), ("evt_1", 2), ("evt_1", 3)]);
    assert_eq!(
        events[2]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .mark(),
        "✓↻2"
    );
    assert_eq!(
        events[3]
            .meta
            .as_deref()
            .and_then(evtop::event::Meta::webhook)
            .unwrap()
            .mark(),
        "✗↻3"
    );

    // The store shows all four, counts each event id once in the rates.
    let now = now_millis();
    let mut store = Store::new(100, &specs, now);
    store.ingest(
        SourceMsg::Events {
            source: 0,
            events,
            cursor: None,
        },
        now,
        |_, _| {},
    );
    assert_eq!(store.records().len(), 4);
    let ty = &store.types()[0];
    assert_eq!((&*ty.name, ty.count), ("charge.succeeded", 2));
    assert_eq!(
        store.total_rate().rate(now + 1000) * 5.0,
        2.0,
        "two events in the 5 s window"
    );
    let s = &store.sources()[0];
    assert_eq!((s.events, s.redeliveries, s.failed_verifications), (4, 2, 1));
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_taken_address_is_retried_and_named_in_the_status() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let specs = config_sources(&format!(
        "[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"{addr}\"\n"
    ));
    let mut engine = engine(&specs, 65536);
    let msgs = until(&mut engine, 10, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: evtop::source::Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let Some(SourceMsg::Status { status, .. }) = msgs.last() else {
        unreachable!()
    };
    assert!(
        status
            .to_string()
            .starts_with(&format!("cannot listen on {addr}: ")),
        "{status}"
    );
    drop(taken);
    let msgs = until(&mut engine, 20, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: evtop::source::Status::Live(_),
                ..
            }
        )
    })
    .await;
    let Some(SourceMsg::Status { status, .. }) = msgs.last() else {
        unreachable!()
    };
    assert_eq!(status.to_string(), format!("live (listening on http://{addr}/)"));
    engine.shutdown().await;
}
