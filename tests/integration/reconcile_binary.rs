//! Reconciliation (SPEC 11.3) through the real binary: a Stripe-style
//! `/v1/events` list on a real local server, polled by evtop, and signed
//! deliveries posted to evtop's webhook source on real sockets; `evtop
//! tail` with a `[[reconcile]]` reports on stderr exactly the ids never
//! delivered and the deliveries never listed — not the backlog, not a
//! delivery of an event from before the start, and a redelivery once.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::header;
use axum::response::IntoResponse;
use evtop::source::webhook::verify::stripe_header;

use tokio::io::AsyncBufReadExt;

use crate::support::*;

/// The webhook signing secret of the test's source.
const SECRET: &str = "whsec_reconcile_test";

/// A Stripe-style events list: ids and `created` seconds, oldest first,
/// served newest first with `limit`, `ending_before` and `has_more`.
#[derive(Clone, Default)]
struct List(Arc<Mutex<Vec<(String, i64)>>>);

impl List {
    fn add(&self, id: &str, created: i64) {
        self.0.lock().unwrap().push((id.to_owned(), created));
    }

    async fn start(self) -> std::net::SocketAddr {
        let app = axum::Router::new()
            .route("/v1/events", axum::routing::get(list))
            .with_state(self);
        serve(app).await
    }
}

fn event(id: &str, created: i64) -> String {
    format!(
        r#"{{"id":"{id}","object":"event","type":"invoice.paid","created":{created},"data":{{"object":{{"amount":900}}}}}}"#
    )
}

async fn list(State(l): State<List>, Query(q): Query<HashMap<String, String>>) -> impl IntoResponse {
    let all = l.0.lock().unwrap().clone();
    let limit = q.get("limit").and_then(|v| v.parse().ok()).unwrap_or(10usize);
    let newer: &[(String, i64)] = match q.get("ending_before") {
        Some(id) => match all.iter().position(|(i, _)| i == id) {
            Some(at) => &all[at + 1..],
            None => &[],
        },
        None => &all[all.len().saturating_sub(limit)..],
    };
    let page = &newer[..limit.min(newer.len())];
    let has_more = q.contains_key("ending_before") && newer.len() > limit;
    let data: Vec<String> = page.iter().rev().map(|(id, c)| event(id, *c)).collect();
    (
        [(header::CONTENT_TYPE, "application/json")],
        format!(
            r#"{{"object":"list","url":"/v1/events","has_more":{has_more},"data":[{}]}}"#,
            data.join(",")
        ),
    )
}

fn now_secs() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Post one signed Stripe-style delivery of `id`; 200 expected.
async fn deliver(url: &str, id: &str, created: i64) {
    let body = event(id, created);
    let resp = sender()
        .post(url)
        .header("Content-Type", "application/json")
        .header(
            "Stripe-Signature",
            stripe_header(SECRET.as_bytes(), now_secs(), body.as_bytes()),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_reports_exactly_the_undelivered_and_unlisted_ids() {
    let list = List::default();
    let t0 = now_secs();
    // The backlog: listed before evtop starts.
    list.add("evt_backlog_1", t0 - 30);
    list.add("evt_backlog_2", t0 - 20);
    let addr = list.clone().start().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.toml");
    // Each finding runs `exec` (the alerts' way) with its JSON on stdin.
    let paged = dir.path().join("paged.ndjson");
    std::fs::write(
        &config,
        format!(
            "[[source]]\nname = \"stripe\"\nkind = \"poll\"\npreset = \"stripe\"\nurl = \"http://{addr}/v1/events\"\ninterval = \"300ms\"\n\
             [[source]]\nname = \"hooks\"\nkind = \"webhook\"\npreset = \"stripe\"\nlisten = \"127.0.0.1:0\"\npath = \"/stripe\"\nsecret = \"{SECRET}\"\n\
             [[reconcile]]\nname = \"stripe webhooks\"\nlisted = \"stripe\"\ndelivered = \"hooks\"\nwithin = \"3s\"\n\
             exec = [\"/bin/sh\", \"-c\", \"cat >> {paged}; echo >> {paged}\"]\n",
            paged = paged.display()
        ),
    )
    .unwrap();
    let mut child = evtop(dir.path())
        .args(["tail", "--config"])
        .arg(&config)
        .args(["--format", "ndjson", "--duration", "14s"])
        .spawn()
        .unwrap();
    let (url, mut stderr) = listening_url(&mut child, "hooks").await;
    let mut seen = Vec::new();
    // The first poll was answered (the backlog) before anything new is listed.
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), stderr.next_line())
            .await
            .expect("the poll source connects")
            .unwrap()
            .expect("stderr open");
        let connected = line.starts_with("stripe: connected");
        seen.push(line);
        if connected {
            break;
        }
    }
    let now = now_secs();
    // A late delivery of a backlog event matches; the other backlog event
    // is never delivered and not reported either.
    deliver(&url, "evt_backlog_1", t0 - 30).await;
    // A retry of an event from before the start that the list never shows:
    // not reconciled.
    deliver(&url, "evt_from_yesterday", now - 86_400).await;
    // Listed after evtop started: 1, 2, 3 and 5 delivered (3 twice), 4 and
    // 6 never.
    for i in 1..=6 {
        list.add(&format!("evt_new_{i}"), now);
    }
    for id in ["evt_new_1", "evt_new_2", "evt_new_3", "evt_new_3", "evt_new_5"] {
        deliver(&url, id, now).await;
    }
    // Delivered first, listed a second later: in time.
    deliver(&url, "evt_early", now).await;
    // Delivered (and redelivered) but never listed.
    deliver(&url, "evt_unlisted", now).await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    list.add("evt_early", now);
    deliver(&url, "evt_unlisted", now).await;

    let out = tokio::time::timeout(Duration::from_secs(30), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            seen.push(line);
        }
        child.wait_with_output().await.unwrap()
    })
    .await
    .expect("tail ends after --duration");
    assert!(out.status.success(), "{out:?}\n{seen:#?}");
    let mut findings: Vec<&str> = seen
        .iter()
        .map(String::as_str)
        .filter(|l| l.starts_with("reconcile:"))
        .collect();
    findings.sort_unstable();
    assert_eq!(
        findings,
        [
            "reconcile: stripe webhooks: not delivered evt_new_4",
            "reconcile: stripe webhooks: not delivered evt_new_6",
            "reconcile: stripe webhooks: not listed evt_unlisted",
        ],
        "stderr:\n{seen:#?}"
    );
    // `exec` got each finding as an alert's JSON.
    let text = std::fs::read_to_string(&paged).unwrap();
    let mut paged: Vec<String> = text
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}"));
            assert_eq!(v["alert"], "stripe webhooks");
            assert_eq!(v["state"], "firing");
            assert_eq!(
                (&v["value"], &v["events"]),
                (&serde_json::Value::Null, &serde_json::json!([]))
            );
            v["text"].as_str().unwrap().to_owned()
        })
        .collect();
    paged.sort_unstable();
    assert_eq!(
        paged,
        [
            "not delivered evt_new_4",
            "not delivered evt_new_6",
            "not listed evt_unlisted"
        ]
    );
    // Every event reached stdout as usual: 2 backlog + 7 listed, 10 deliveries.
    let printed = ndjson_lines(&out.stdout);
    let count = |source: &str| printed.iter().filter(|v| v["source"] == source).count();
    assert_eq!((count("stripe"), count("hooks")), (9, 10), "{printed:#?}");
}

/// `evtop demo` pairs its events list with its webhook sender, which skips
/// a listed event now and then: a new user sees "not delivered" within a
/// minute (the 40th listed event, about 15 s in, plus `within` = 15 s).
#[tokio::test(flavor = "multi_thread")]
async fn the_demo_reports_an_event_its_sender_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = evtop(dir.path())
        .args(["demo", "--tail", "--format", "ndjson", "--duration", "90s"])
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut stderr = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let mut seen = Vec::new();
    let found = tokio::time::timeout(Duration::from_secs(80), async {
        while let Ok(Some(line)) = stderr.next_line().await {
            if line.starts_with("reconcile: stripe webhooks: not delivered evt_list_") {
                return Some(line);
            }
            seen.push(line);
        }
        None
    })
    .await;
    let _ = child.start_kill();
    let line = found.ok().flatten();
    assert!(line.is_some(), "no finding in 80 s; stderr:\n{seen:#?}");
}
