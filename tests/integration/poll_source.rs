//! Polling sources against real servers: Stripe-style cursor paging, ETag,
//! the server's interval rules, GitHub-style dedupe, diff mode, and bodies
//! that cannot be read.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use evtop::source::{DropKind, SourceMsg};
use evtop::store::Store;
use serde_json::{Value, json};
use tokio::time::Instant;

use crate::poll_servers::*;
use crate::support::*;

/// Wait until the server has seen `n` requests (or panic after `secs`).
async fn until_requests(seen: &Arc<Mutex<Vec<Request>>>, n: usize, secs: u64) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while seen.lock().unwrap().len() < n {
        assert!(Instant::now() < deadline, "server saw fewer than {n} requests");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// Events arriving on `eng` until `n` have come; returns every message.
async fn until_events(eng: &mut evtop::engine::Engine, n: usize, secs: u64) -> Vec<SourceMsg> {
    let mut count = 0;
    until(eng, secs, |m| {
        if let SourceMsg::Events { events, .. } = m {
            count += events.len();
        }
        count >= n
    })
    .await
}

#[tokio::test]
async fn stripe_list_growing_in_bursts_larger_than_limit() {
    const LIMIT: usize = 5;
    const BURST: usize = 12;
    let stripe = Stripe::with(8);
    let addr = stripe.clone().start().await;
    let url = format!("http://{addr}/v1/events");
    let specs = config_sources(&poll_config(
        "stripe",
        &url,
        &format!("preset = \"stripe\"\nlimit = {LIMIT}\ninterval = \"100ms\""),
    ));
    let mut eng = engine(&specs, 1 << 20);
    let grower = stripe.clone();
    tokio::spawn(async move {
        for _ in 0..5 {
            tokio::time::sleep(Duration::from_millis(300)).await;
            grower.grow(BURST);
        }
    });
    // The backlog is the newest page (3..8), then every burst whole.
    let want: Vec<String> = (8 - LIMIT..8 + 5 * BURST).map(evt_id).collect();
    let msgs = until_events(&mut eng, want.len(), 30).await;
    let got = events_of(&msgs);
    let ids: Vec<&str> = got.iter().map(|e| e.id.as_deref().unwrap()).collect();
    assert_eq!(ids, want, "every event exactly once, oldest first");
    for ev in &got {
        let i: usize = ev.id.as_deref().unwrap()[4..].parse().unwrap();
        assert_eq!(ev.time, Some((CREATED0 + i as i64) * 1000));
        assert_eq!(ev.data, stripe_event(i), "data is the event as listed");
        assert!(ev.ty.starts_with("charge.") || ev.ty.starts_with("payment_intent."));
    }
    let largest_batch = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Events { events, .. } => Some(events.len()),
            _ => None,
        })
        .max();
    // Pages hold 5: a batch of 12 or more was paged within one poll.
    assert!(largest_batch >= Some(BURST), "{largest_batch:?}");
    let last_cursor = msgs.iter().rev().find_map(|m| match m {
        SourceMsg::Events { cursor, .. } => cursor.clone(),
        _ => None,
    });
    assert_eq!(last_cursor, Some(evt_id(8 + 5 * BURST - 1)));

    let log = stripe.log.lock().unwrap().clone();
    assert!(
        log.iter()
            .all(|l| l.query.get("limit").map(String::as_str) == Some("5"))
    );
    assert_eq!(
        log[0].query.get("ending_before"),
        None,
        "the backlog has no cursor"
    );
    assert!(log[0].has_more, "older events existed, and were not fetched");
    assert_eq!(log[1].query.get("ending_before"), Some(&evt_id(7)));
    assert!(
        log.iter()
            .any(|l| l.query.contains_key("ending_before") && l.has_more),
        "a burst larger than limit was paged: {log:?}"
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn etag_is_sent_back_and_304_is_a_quiet_poll() {
    let (addr, seen) = raw_server(|n, req, mut sock| async move {
        let (tag, body) = if n < 4 {
            ("\"v1\"", r#"[{"id":"a"}]"#)
        } else {
            ("\"v2\"", r#"[{"id":"b"},{"id":"a"}]"#)
        };
        if req.header("If-None-Match") == Some(tag) {
            respond(&mut sock, "304 Not Modified", &[("ETag", tag)], "").await;
        } else {
            respond(&mut sock, "200 OK", &[("ETag", tag)], body).await;
        }
    })
    .await;
    let specs = config_sources(&poll_config(
        "gh",
        &format!("http://{addr}/"),
        "interval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1 << 20);
    let msgs = until_events(&mut eng, 2, 10).await;
    let batches: Vec<Vec<String>> = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Events { events, .. } => Some(events.iter().map(|e| e.data.clone()).collect()),
            _ => None,
        })
        .collect();
    assert_eq!(
        batches,
        [vec![r#"{"id":"a"}"#.to_owned()], vec![r#"{"id":"b"}"#.to_owned()]],
        "one batch per change, none for the 304s"
    );
    let reqs = seen.lock().unwrap().clone();
    let sent: Vec<Option<&str>> = reqs.iter().take(5).map(|r| r.header("If-None-Match")).collect();
    assert_eq!(
        sent,
        [
            None,
            Some("\"v1\""),
            Some("\"v1\""),
            Some("\"v1\""),
            Some("\"v1\"")
        ],
        "requests 1-3 were answered 304, request 4 got v2"
    );
    assert!(
        reqs.iter()
            .all(|r| r.header("Accept") == Some("application/json"))
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn x_poll_interval_lengthens_the_interval() {
    let (addr, seen) = raw_server(|_, _, mut sock| async move {
        respond(&mut sock, "200 OK", &[("X-Poll-Interval", "1")], "[]").await;
    })
    .await;
    let specs = config_sources(&poll_config(
        "gh",
        &format!("http://{addr}/"),
        "interval = \"200ms\"",
    ));
    let eng = engine(&specs, 1 << 20);
    until_requests(&seen, 1, 10).await;
    tokio::time::sleep(Duration::from_millis(2500)).await;
    let n = seen.lock().unwrap().len();
    // At 200 ms that would be 13 requests; at 1 s it is 3 (0 s, 1 s, 2 s).
    assert!(
        n <= 4,
        "{n} requests in 2.5 s: polled faster than X-Poll-Interval: 1"
    );
    assert!(n >= 2, "kept polling: {n}");
    eng.shutdown().await;
}

#[tokio::test]
async fn http_429_honours_retry_after() {
    let times = Arc::new(Mutex::new(Vec::new()));
    let t = times.clone();
    let (addr, _) = raw_server(move |n, _, mut sock| {
        t.lock().unwrap().push(Instant::now());
        async move {
            if n == 0 {
                respond(
                    &mut sock,
                    "429 Too Many Requests",
                    &[("Retry-After", "1")],
                    "slow down",
                )
                .await;
            } else {
                respond(&mut sock, "200 OK", &[], r#"{"items":[{"id":"x"}]}"#).await;
            }
        }
    })
    .await;
    let specs = config_sources(&poll_config(
        "api",
        &format!("http://{addr}/"),
        "interval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1 << 20);
    let msgs = until_events(&mut eng, 1, 10).await;
    let r = retrying(&msgs);
    assert_eq!(r.len(), 1, "{r:?}");
    assert_eq!(r[0].0, Duration::from_secs(1), "the Retry-After delay");
    assert!(
        r[0].1.contains("HTTP 429 Too Many Requests") && r[0].1.contains("slow down"),
        "{}",
        r[0].1
    );
    let times = times.lock().unwrap().clone();
    assert!(
        times[1] - times[0] >= Duration::from_millis(900),
        "asked again after {:?}",
        times[1] - times[0]
    );
    assert_eq!(events_of(&msgs)[0].id.as_deref(), Some("x"));
    eng.shutdown().await;
}

/// GitHub's events API: the newest window, no cursor, pretty-printed.
#[tokio::test]
async fn github_preset_dedupes_an_overlapping_window() {
    let event = |i: usize| {
        json!({"id": (1000 + i).to_string(), "type": "PushEvent",
               "created_at": format!("2026-11-28T10:00:{i:02}Z"), "payload": {"n": i}})
    };
    let (addr, _) = raw_server(move |n, _, mut sock| async move {
        // Each request sees two more events; the window of 5 overlaps by 3.
        let total = 5 + 2 * n;
        let window: Vec<Value> = (total - 5..total).rev().map(event).collect();
        let body = serde_json::to_string_pretty(&window).unwrap();
        respond(
            &mut sock,
            "200 OK",
            &[("Content-Type", "application/json")],
            &body,
        )
        .await;
    })
    .await;
    let specs = config_sources(&poll_config(
        "gh",
        &format!("http://{addr}/repos/o/r/events"),
        "preset = \"github\"\ninterval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1 << 20);
    let msgs = until_events(&mut eng, 15, 15).await;
    let got = events_of(&msgs);
    let ids: Vec<&str> = got.iter().take(15).map(|e| e.id.as_deref().unwrap()).collect();
    let want: Vec<String> = (0..15).map(|i| (1000 + i).to_string()).collect();
    assert_eq!(ids, want, "each event once, oldest first");
    assert_eq!(got[3].ty, "PushEvent");
    assert_eq!(got[3].time, Some(1_795_860_003_000));
    assert_eq!(got[3].data, serde_json::to_string(&event(3)).unwrap(), "minified");
    eng.shutdown().await;
}

#[tokio::test]
async fn diff_mode_emits_one_patch_per_change() {
    let bodies = [
        json!({"id": 42, "status": "open", "lines": [{"sku": "A1", "qty": 1}]}),
        json!({"id": 42, "status": "open", "lines": [{"sku": "A1", "qty": 2}]}),
        json!({"id": 42, "status": "paid", "lines": [{"sku": "A1", "qty": 2}, {"sku": "B7", "qty": 1}]}),
        json!({"id": 42, "status": "paid", "lines": [{"sku": "B7", "qty": 1}], "note": "split"}),
        json!({"id": 42, "status": "shipped", "lines": [{"sku": "B7", "qty": 1}]}),
    ];
    // Each body is served two or three times: unchanged polls in between.
    let script: Vec<usize> = vec![0, 0, 1, 1, 1, 2, 3, 3, 4];
    let served = bodies.clone();
    let (addr, seen) = raw_server(move |n, _, mut sock| {
        let body = served[script[n.min(script.len() - 1)]].to_string();
        async move { respond(&mut sock, "200 OK", &[], &body).await }
    })
    .await;
    let specs = config_sources(&poll_config(
        "order",
        &format!("http://{addr}/v1/orders/42"),
        "mode = \"diff\"\ninterval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1 << 20);
    let mut msgs = until_events(&mut eng, 5, 15).await;
    // Keep polling the unchanged last body: no more events.
    until_requests(&seen, 14, 15).await;
    while let Ok(m) = eng.rx.try_recv() {
        msgs.push(m);
    }
    let got = events_of(&msgs);
    let types: Vec<&str> = got.iter().map(|e| e.ty.as_str()).collect();
    assert_eq!(types, ["data", "patch", "patch", "patch", "patch"]);
    let mut doc: Value = serde_json::from_str(&got[0].data).unwrap();
    assert_eq!(doc, bodies[0]);
    for ev in &got[1..] {
        let patch: json_patch::Patch = serde_json::from_str(&ev.data).unwrap();
        json_patch::patch(&mut doc, &patch).unwrap();
    }
    assert_eq!(doc, bodies[4], "the patches replay to the last body");
    // The store rebuilds the same state from the same events.
    let mut store = Store::new(100, &specs, 0);
    for m in msgs {
        assert_eq!(store.ingest(m, 0, |_, _| {}), None);
    }
    assert_eq!(store.sources()[0].state.as_ref(), Some(&bodies[4]));
    assert_eq!(store.sources()[0].unparsable, 0);
    eng.shutdown().await;
}

#[tokio::test]
async fn unreadable_bodies_are_reported_and_polling_recovers() {
    let (addr, _) = raw_server(|n, _, mut sock| async move {
        match n {
            // The same page three times: reported once.
            0..=2 => {
                let html = "<html>\n<h1>Service  page</h1>\n</html>";
                respond(&mut sock, "200 OK", &[("Content-Type", "text/html")], html).await
            }
            3 => respond(&mut sock, "200 OK", &[], r#"{"error":"maintenance"}"#).await,
            _ => {
                let body =
                    r#"{"object":"list","data":[{"id":"evt_1","type":"t","created":1}],"has_more":false}"#;
                respond(&mut sock, "200 OK", &[], body).await
            }
        }
    })
    .await;
    let specs = config_sources(&poll_config(
        "stripe",
        &format!("http://{addr}/v1/events"),
        "preset = \"stripe\"\ninterval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1 << 20);
    let msgs = until_events(&mut eng, 1, 10).await;
    let d = drops(&msgs);
    assert_eq!(d.len(), 2, "a repeated problem is reported once: {d:?}");
    assert_eq!(d[0].0, DropKind::Unparsable);
    assert!(
        d[0].1
            .starts_with("response is not JSON (expected value at line 1 column 1)")
            && d[0].1.ends_with("<html> <h1>Service page</h1> </html>"),
        "{}",
        d[0].1
    );
    assert_eq!(
        d[1],
        (
            DropKind::Unparsable,
            "response has no array at /data (items)".into()
        )
    );
    assert!(
        retrying(&msgs).is_empty(),
        "an unreadable body is not a connection error"
    );
    assert_eq!(events_of(&msgs)[0].id.as_deref(), Some("evt_1"));
    eng.shutdown().await;
}

#[tokio::test]
async fn diff_body_over_max_event_bytes_is_skipped() {
    let (addr, _) = raw_server(|n, _, mut sock| async move {
        let body = match n {
            0 => json!({"blob": "x".repeat(2000)}).to_string(),
            _ => json!({"blob": "small"}).to_string(),
        };
        respond(&mut sock, "200 OK", &[], &body).await;
    })
    .await;
    let specs = config_sources(&poll_config(
        "big",
        &format!("http://{addr}/"),
        "mode = \"diff\"\ninterval = \"100ms\"",
    ));
    let mut eng = engine(&specs, 1024);
    let msgs = until_events(&mut eng, 1, 10).await;
    assert_eq!(
        drops(&msgs),
        [(
            DropKind::Oversize,
            "response of more than 1024 bytes skipped".into()
        )]
    );
    let got = events_of(&msgs);
    assert_eq!(
        (got[0].ty.as_str(), got[0].data.as_str()),
        ("data", r#"{"blob":"small"}"#)
    );
    eng.shutdown().await;
}

/// The first page read is the backlog: `CaughtUp` follows its batch, once,
/// even when the list was empty — so what a later poll lists is new
/// (reconciliation reconciles only that).
#[tokio::test]
async fn caught_up_follows_the_backlog_once_even_when_it_is_empty() {
    for backlog in [3usize, 0] {
        let stripe = Stripe::with(backlog);
        let addr = stripe.clone().start().await;
        let specs = config_sources(&poll_config(
            "stripe",
            &format!("http://{addr}/v1/events"),
            "preset = \"stripe\"\ninterval = \"100ms\"",
        ));
        let mut eng = engine(&specs, 1 << 20);
        let before = until(&mut eng, 10, |m| matches!(m, SourceMsg::CaughtUp { .. })).await;
        assert_eq!(events_of(&before).len(), backlog, "the backlog comes first");
        stripe.grow(2);
        let after = until_events(&mut eng, 2, 10).await;
        let ids: Vec<String> = events_of(&after).into_iter().filter_map(|e| e.id).collect();
        assert_eq!(ids, [evt_id(backlog), evt_id(backlog + 1)]);
        // More polls (every 100 ms): no second CaughtUp.
        let polls = stripe.log.lock().unwrap().len();
        let mut later = Vec::new();
        let _ = tokio::time::timeout(Duration::from_secs(1), async {
            while let Some(m) = eng.rx.recv().await {
                later.push(m);
            }
        })
        .await;
        assert!(stripe.log.lock().unwrap().len() >= polls + 3, "polling went on");
        assert!(
            !after
                .iter()
                .chain(&later)
                .any(|m| matches!(m, SourceMsg::CaughtUp { .. })),
            "{after:?} {later:?}"
        );
        eng.shutdown().await;
    }
}
