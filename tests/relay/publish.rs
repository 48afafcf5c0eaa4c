//! What the relay publishes: the same lines `tail --format ndjson` prints,
//! on the subjects and with the message ids SPEC 9.2 names, into a stream
//! it creates as asked or reuses.

use std::collections::BTreeMap;
use std::time::Duration;

use crate::common::{count_before, deliver, spawn, wait_count};
use crate::feed::{Feed, FeedEvent};
use crate::nats::{NatsServer, client, stream_messages};

/// The SSE events: types with characters subjects cannot carry, JSON data
/// whose key order and number spelling must survive, data that is not JSON.
fn shop_events() -> Vec<FeedEvent> {
    let e = |id: &str, ty: &str, data: &str| FeedEvent {
        id: id.into(),
        ty: ty.into(),
        data: data.into(),
    };
    vec![
        e(
            "e1",
            "charge.succeeded",
            r#"{"z":1,"amount":1.50,"nested":{"b":[1,2.0e3]}}"#,
        ),
        e("e2", "customer created", r#"{"name":"Zoë \"Z\" ☃"}"#),
        e("e3", "a..b", r#"{"n":3}"#),
        e("e4", "x>y.*", "not json at all"),
        e("e5", "invoice.paid", r#"{"n":5}"#),
        e("e6", "charge.succeeded", r#"{"n":6}"#),
        e("e7", "ping", r#"[1,2,3]"#),
        e("e8", "charge.refunded", r#"{"n":8}"#),
        e("e9", "invoice.paid", r#""a string""#),
        e("e10", "charge.succeeded", r#"{"n":10}"#),
    ]
}

/// The deliveries POSTed to both webhook sources: two ids, a redelivery of
/// the first (attempt 2), and one without an id.
const DELIVERIES: [&str; 4] = [
    r#"{"id":"evt_1","type":"charge.succeeded","amount":1.50}"#,
    r#"{"id":"evt_2","type":"invoice.paid"}"#,
    r#"{"id":"evt_1","type":"charge.succeeded","amount":1.50}"#,
    r#"{"type":"ping"}"#,
];

/// `tail`'s line made comparable with the relay's payload: what differs
/// between two processes receiving the same event is only when each
/// received it (`received`) and, for a delivery, the `host` header naming
/// the port each one listens on. Those two values are taken from the
/// relay's payload; every other byte must already be equal.
fn comparable(tail_line: &str, relay_payload: &str) -> String {
    fn value_after<'a>(s: &'a str, key: &str) -> Option<(usize, &'a str)> {
        let at = s.find(key)? + key.len();
        let end = at + s[at..].find('"')?;
        Some((at, &s[at..end]))
    }
    let mut out = tail_line.to_owned();
    for key in ["\"received\":\"", "\"host\":\""] {
        if let (Some((at, old)), Some((_, new))) = (value_after(&out, key), value_after(relay_payload, key)) {
            out.replace_range(at..at + old.len(), new);
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_messages_are_tails_ndjson_lines_on_the_specified_subjects() {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path()).await;
    let mut feed = Feed::start(shop_events(), 5).await;
    let shop = format!("shop={}", feed.url());
    let to = nats.url();
    let mut relay = spawn(
        dir.path(),
        "relay",
        &[
            &shop,
            "--listen",
            "hooks=0/h",
            "--to",
            &to,
            "--stream",
            "T1",
            "--replicas",
            "1",
            "--max-age",
            "1h",
        ],
        Some("hooks"),
    )
    .await;
    let tail_dir = dir.path().join("tail");
    std::fs::create_dir_all(&tail_dir).unwrap();
    let mut tail = spawn(
        &tail_dir,
        "tail",
        &["--format", "ndjson", &shop, "--listen", "hooks=0/h"],
        Some("hooks"),
    )
    .await;

    let js = async_nats::jetstream::new(client(&to).await);
    relay.wait_stderr("stream T1 created", 20).await;
    wait_count(&js, "T1", 5, 20).await;
    tail.wait_stdout(5, 20).await;

    // The SSE server goes away and comes back; both resume after e5.
    feed.stop().await;
    feed.release(10);
    feed.restart().await;
    let sender = crate::support::sender();
    for body in DELIVERIES {
        for url in [relay.hook_url.as_ref().unwrap(), tail.hook_url.as_ref().unwrap()] {
            let (status, _) = deliver(&sender, url, body).await;
            assert_eq!(status, 200);
        }
    }
    wait_count(&js, "T1", 14, 30).await;
    let tail_lines = tail.wait_stdout(14, 30).await;
    assert_eq!(relay.terminate(15).await, 0, "{}", relay.stderr_text());
    let summary = relay.summary().await;
    assert_eq!(count_before(&summary, "published"), 14, "{summary}");
    assert_eq!(count_before(&summary, "acknowledged"), 14, "{summary}");
    tail.terminate(15).await;
    let resumed: Vec<Option<String>> = feed.last_ids.lock().unwrap().clone();
    assert_eq!(
        resumed,
        [None, None, Some("e5".into()), Some("e5".into())],
        "the relay and tail both resumed after e5"
    );

    let stored = stream_messages(&js, "T1").await;
    assert_eq!(stored.len(), 14);
    // Per source, in order: the relay's payload is tail's line, byte for
    // byte, but for `received` and the host header (see `comparable`).
    let by_source = |lines: Vec<(String, Option<String>, String)>| {
        let mut m: BTreeMap<String, Vec<(String, Option<String>, String)>> = BTreeMap::new();
        for l in lines {
            let v: serde_json::Value = serde_json::from_str(&l.2).unwrap();
            m.entry(v["source"].as_str().unwrap().to_owned())
                .or_default()
                .push(l);
        }
        m
    };
    let relayed = by_source(
        stored
            .iter()
            .map(|s| (s.subject.clone(), s.msg_id.clone(), s.payload.clone()))
            .collect(),
    );
    let printed = by_source(
        tail_lines
            .iter()
            .map(|l| (String::new(), None, l.clone()))
            .collect(),
    );
    assert_eq!(relayed.keys().collect::<Vec<_>>(), ["hooks", "shop"]);
    for (source, msgs) in &relayed {
        let lines = &printed[source];
        assert_eq!(msgs.len(), lines.len(), "{source}");
        for ((_, _, payload), (_, _, line)) in msgs.iter().zip(lines) {
            assert!(!payload.ends_with('\n'), "one line without its newline");
            assert_eq!(&comparable(line, payload), payload, "{source}");
        }
    }
    // Subjects and message ids.
    let shop = subjects_and_ids(&relayed["shop"]);
    assert_eq!(
        shop,
        [
            ("evtop.shop.charge.succeeded", Some("shop:e1")),
            ("evtop.shop.customer_created", Some("shop:e2")),
            ("evtop.shop.a._.b", Some("shop:e3")),
            ("evtop.shop.x_y._", Some("shop:e4")),
            ("evtop.shop.invoice.paid", Some("shop:e5")),
            ("evtop.shop.charge.succeeded", Some("shop:e6")),
            ("evtop.shop.ping", Some("shop:e7")),
            ("evtop.shop.charge.refunded", Some("shop:e8")),
            ("evtop.shop.invoice.paid", Some("shop:e9")),
            ("evtop.shop.charge.succeeded", Some("shop:e10")),
        ]
    );
    let hooks = subjects_and_ids(&relayed["hooks"]);
    assert_eq!(
        hooks,
        [
            ("evtop.hooks.charge.succeeded", Some("hooks:evt_1")),
            ("evtop.hooks.invoice.paid", Some("hooks:evt_2")),
            ("evtop.hooks.charge.succeeded", Some("hooks:evt_1:2")),
            ("evtop.hooks.ping", None),
        ]
    );
    let redelivery: serde_json::Value = serde_json::from_str(&relayed["hooks"][2].2).unwrap();
    assert_eq!(redelivery["webhook"]["attempt"], 2);

    // The stream as asked.
    let mut stream = js.get_stream("T1").await.unwrap();
    let config = stream.info().await.unwrap().config.clone();
    assert_eq!(config.subjects, ["evtop.>"]);
    assert_eq!(config.num_replicas, 1);
    assert_eq!(config.max_age, Duration::from_secs(3600));
    assert_eq!(config.duplicate_window, Duration::from_secs(120));
    assert_eq!(config.storage, async_nats::jetstream::stream::StorageType::File);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_stream_is_reused_and_an_unfit_one_refused_in_words() {
    use async_nats::jetstream::stream::Config;
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path()).await;
    let to = nats.url();
    let js = async_nats::jetstream::new(client(&to).await);
    let day = Duration::from_secs(86_400);
    js.create_stream(Config {
        name: "PRE".into(),
        subjects: vec!["evtop.>".into()],
        max_age: day,
        ..Default::default()
    })
    .await
    .unwrap();
    js.create_stream(Config {
        name: "OTHER".into(),
        subjects: vec!["other.*".into()],
        ..Default::default()
    })
    .await
    .unwrap();

    // Reused: its settings stay, the flags that differ are said not to apply.
    let mut relay = spawn(
        dir.path(),
        "relay",
        &[
            "--listen",
            "hooks=0/h",
            "--to",
            &to,
            "--stream",
            "PRE",
            "--max-age",
            "1h",
        ],
        Some("hooks"),
    )
    .await;
    let line = relay.wait_stderr("stream PRE reused", 20).await;
    assert!(
        line.contains("apply only to a stream the relay creates"),
        "{line}"
    );
    let (status, _) = deliver(
        &crate::support::sender(),
        relay.hook_url.as_ref().unwrap(),
        r#"{"id":"a","type":"t"}"#,
    )
    .await;
    assert_eq!(status, 200);
    wait_count(&js, "PRE", 1, 20).await;
    assert_eq!(relay.terminate(15).await, 0, "{}", relay.stderr_text());
    let mut pre = js.get_stream("PRE").await.unwrap();
    assert_eq!(
        pre.info().await.unwrap().config.max_age,
        day,
        "a reused stream keeps its settings"
    );

    // --filter: only the matching events are relayed.
    let mut relay = spawn(
        dir.path(),
        "relay",
        &[
            "--listen",
            "hooks=0/h",
            "--to",
            &to,
            "--stream",
            "PRE",
            "-f",
            "type:keep.*",
        ],
        Some("hooks"),
    )
    .await;
    relay.wait_stderr("stream PRE reused", 20).await;
    let sender = crate::support::sender();
    for body in [r#"{"id":"b","type":"drop.me"}"#, r#"{"id":"c","type":"keep.me"}"#] {
        assert_eq!(
            deliver(&sender, relay.hook_url.as_ref().unwrap(), body).await.0,
            200
        );
    }
    wait_count(&js, "PRE", 2, 20).await;
    assert_eq!(relay.terminate(15).await, 0, "{}", relay.stderr_text());
    assert_eq!(count_before(&relay.summary().await, "published"), 1);
    let subjects: Vec<String> = stream_messages(&js, "PRE")
        .await
        .into_iter()
        .map(|m| m.subject)
        .collect();
    assert_eq!(subjects, ["evtop.hooks.t", "evtop.hooks.keep.me"]);

    // A stream whose subjects do not cover prefix.>: exit 1, in words.
    let mut relay = spawn(
        dir.path(),
        "relay",
        &["--listen", "0", "--to", &to, "--stream", "OTHER"],
        None,
    )
    .await;
    assert_eq!(relay.exit_code(20).await, 1);
    let err = relay.stderr_text();
    assert!(
        err.contains("stream OTHER exists but its subjects [other.*] do not cover evtop.>"),
        "{err}"
    );
    // Creating a stream whose subjects another stream holds: said so.
    let mut relay = spawn(dir.path(), "relay", &["--listen", "0", "--to", &to], None).await;
    assert_eq!(relay.exit_code(20).await, 1);
    let err = relay.stderr_text();
    assert!(
        err.contains("stream EVTOP: its subjects overlap those of another stream"),
        "{err}"
    );
    // Flags checked before anything starts.
    let mut relay = spawn(
        dir.path(),
        "relay",
        &["--listen", "0", "--to", &to, "--prefix", "a.*"],
        None,
    )
    .await;
    assert_eq!(relay.exit_code(10).await, 2);
    assert!(
        relay.stderr_text().contains("--prefix"),
        "{}",
        relay.stderr_text()
    );
}

/// Each relayed message's subject and message id, in order.
fn subjects_and_ids(msgs: &[(String, Option<String>, String)]) -> Vec<(&str, Option<&str>)> {
    msgs.iter()
        .map(|(s, id, _)| (s.as_str(), id.as_deref()))
        .collect()
}
