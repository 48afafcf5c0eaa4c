//! NATS sources through the real binary (`evtop tail -c cfg.toml --format
//! ndjson`) against real `nats-server`s, publishing with async-nats: core
//! subjects, JetStream `start` policies, ids and times, authentication,
//! type pushdown seen on the server, no consumer left behind, a server
//! killed and restarted under a running tail, and relayed evtop lines.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_nats::HeaderMap;
use async_nats::jetstream::{self, stream};
use futures_util::TryStreamExt;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout};
use tokio::time::Instant;

use crate::nats::*;
use crate::support::*;

/// A running `evtop tail`: its stdout lines as they come, its stderr
/// collected in the background.
struct Tail {
    child: Child,
    out: Lines<BufReader<ChildStdout>>,
    err: Arc<Mutex<String>>,
    _dir: tempfile::TempDir,
}

impl Tail {
    /// `evtop tail --format ndjson -c CONFIG ARGS…` with `config` as the
    /// config file.
    fn start(config: &str, args: &[&str]) -> Tail {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("evtop.toml");
        std::fs::write(&path, config).unwrap();
        let mut child = evtop(dir.path())
            .args(["tail", "--format", "ndjson", "-c"])
            .arg(&path)
            .args(args)
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut err_lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let err = Arc::new(Mutex::new(String::new()));
        let sink = err.clone();
        tokio::spawn(async move {
            while let Ok(Some(line)) = err_lines.next_line().await {
                let mut s = sink.lock().unwrap();
                s.push_str(&line);
                s.push('\n');
            }
        });
        Tail {
            child,
            out,
            err,
            _dir: dir,
        }
    }

    fn stderr(&self) -> String {
        self.err.lock().unwrap().clone()
    }

    /// Poll stderr until it contains `needle`.
    async fn wait_stderr(&self, needle: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.stderr().contains(needle) {
            assert!(
                Instant::now() < deadline,
                "stderr never said {needle:?}:\n{}",
                self.stderr()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// The next `n` NDJSON lines.
    async fn lines(&mut self, n: usize) -> Vec<Value> {
        let text = self.text_lines(n).await;
        text.iter().map(|l| serde_json::from_str(l).unwrap()).collect()
    }

    /// The next `n` lines of stdout as printed.
    async fn text_lines(&mut self, n: usize) -> Vec<String> {
        let mut got = Vec::new();
        while got.len() < n {
            let line = tokio::time::timeout(Duration::from_secs(20), self.out.next_line())
                .await
                .unwrap_or_else(|_| panic!("only {} of {n} lines; stderr:\n{}", got.len(), self.stderr()))
                .unwrap()
                .unwrap_or_else(|| {
                    panic!(
                        "stdout ended after {} lines; stderr:\n{}",
                        got.len(),
                        self.stderr()
                    )
                });
            got.push(line);
        }
        got
    }

    /// SIGINT, then wait for the exit: its code and stderr.
    async fn stop(mut self) -> (i32, String) {
        let pid = self.child.id().unwrap().to_string();
        std::process::Command::new("kill")
            .args(["-INT", &pid])
            .status()
            .unwrap();
        let status = tokio::time::timeout(Duration::from_secs(10), self.child.wait())
            .await
            .expect("tail exits on SIGINT")
            .unwrap();
        (status.code().unwrap_or(-1), self.stderr())
    }
}

/// A `[[source]]` named `n` of kind nats with these extra lines.
fn config(url: &str, body: &str) -> String {
    format!("[[source]]\nname = \"n\"\nkind = \"nats\"\nurl = \"{url}\"\n{body}\n")
}

/// A JetStream context on `url`, with stream `ORDERS` on `orders.>`.
async fn orders_stream(url: &str) -> jetstream::Context {
    let js = jetstream::new(async_nats::connect(url).await.unwrap());
    js.create_stream(stream::Config {
        name: "ORDERS".into(),
        subjects: vec!["orders.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    js
}

/// Publish `{"n":i}` on `subject` and wait for JetStream's ack; with an
/// `id` as `Nats-Msg-Id`.
async fn js_publish(js: &jetstream::Context, subject: &str, i: u64, id: Option<&str>) {
    let mut headers = HeaderMap::new();
    if let Some(id) = id {
        headers.insert("Nats-Msg-Id", id);
    }
    let payload = serde_json::json!({ "n": i }).to_string();
    js.publish_with_headers(subject.to_owned(), headers, payload.into())
        .await
        .unwrap()
        .await
        .unwrap();
}

fn ns(lines: &[Value]) -> Vec<u64> {
    lines.iter().map(|l| l["data"]["n"].as_u64().unwrap()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn core_subject_events_arrive_in_order_typed_by_subject() {
    let server = NatsServer::temp().await;
    let mut tail = Tail::start(
        &config(&server.url(), "subject = \"orders.>\""),
        &["--count", "30"],
    );
    tail.wait_stderr("n: connected (").await;
    let client = async_nats::connect(server.url()).await.unwrap();
    for i in 0..30u64 {
        let subject = format!("orders.{}.card", ["paid", "refunded"][i as usize % 2]);
        let mut headers = HeaderMap::new();
        if i % 3 == 0 {
            headers.insert("Nats-Msg-Id", format!("m{i}").as_str());
        }
        let payload = if i == 29 {
            "not json".to_owned()
        } else {
            format!("{{\"n\":{i}}}")
        };
        client
            .publish_with_headers(subject, headers, payload.into())
            .await
            .unwrap();
    }
    client.flush().await.unwrap();
    let lines = tail.lines(30).await;
    assert_eq!(ns(&lines[..29]), (0..29).collect::<Vec<_>>());
    assert_eq!(lines[29]["data"], "not json");
    assert_eq!(lines[0]["type"], "paid.card");
    assert_eq!(lines[1]["type"], "refunded.card");
    assert_eq!(lines[0]["source"], "n");
    assert_eq!(lines[0]["id"], "m0");
    assert_eq!(
        lines[1]["id"],
        Value::Null,
        "core: no header, no id_pointer: no id"
    );
    assert_eq!(lines[1]["time"], Value::Null);
    assert_eq!(
        lines[3]["nats"],
        serde_json::json!({"subject": "orders.refunded.card", "seq": null})
    );
    assert!(
        tail.stderr().contains("core subscription orders.>"),
        "{}",
        tail.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn core_types_and_ids_from_pointers_and_oversize_reported() {
    let server = NatsServer::temp().await;
    let cfg = format!(
        "[settings]\nmax_event_bytes = 1024\n{}",
        config(
            &server.url(),
            "subject = \"shop\"\ntype_pointer = \"/kind\"\nid_pointer = \"/id\"\ntime_pointer = \"/at\""
        )
    );
    let mut tail = Tail::start(&cfg, &["--count", "2"]);
    tail.wait_stderr("n: connected (").await;
    let client = async_nats::connect(server.url()).await.unwrap();
    let big = format!("{{\"kind\":\"big\",\"pad\":\"{}\"}}", "x".repeat(2000));
    client.publish("shop", big.clone().into()).await.unwrap();
    for (i, kind) in ["order.placed", "order.paid"].iter().enumerate() {
        let body = serde_json::json!({"kind": kind, "id": format!("o{i}"), "at": "2026-11-22T10:00:00Z"});
        client.publish("shop", body.to_string().into()).await.unwrap();
    }
    client.flush().await.unwrap();
    let lines = tail.lines(2).await;
    assert_eq!(
        (lines[0]["type"].as_str(), lines[0]["id"].as_str()),
        (Some("order.placed"), Some("o0"))
    );
    assert_eq!(lines[1]["type"], "order.paid");
    assert_eq!(lines[1]["time"], "2026-11-22T10:00:00Z");
    let dropped = format!(
        "n: dropped: message of {} bytes on shop skipped: over max_event_bytes = 1024",
        big.len()
    );
    tail.wait_stderr(&dropped).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn jetstream_start_all_last_sequence_and_new() {
    let server = NatsServer::temp().await;
    let js = orders_stream(&server.url()).await;
    for i in 1..=5u64 {
        let id = (i % 2 == 1).then(|| format!("ord_{i}"));
        js_publish(&js, &format!("orders.{i}.paid"), i, id.as_deref()).await;
    }
    let js_cfg = |start: &str| {
        config(
            &server.url(),
            &format!("subject = \"orders.>\"\nstream = \"ORDERS\"\nstart = {start}"),
        )
    };

    // all: every message; ids from Nats-Msg-Id, else the stream sequence;
    // times are JetStream's.
    let before = chrono::Utc::now();
    let mut tail = Tail::start(&js_cfg("\"all\""), &["--count", "5"]);
    let lines = tail.lines(5).await;
    assert_eq!(ns(&lines), [1, 2, 3, 4, 5]);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ord_1", "2", "ord_3", "4", "ord_5"]);
    assert_eq!(lines[1]["type"], "2.paid");
    assert_eq!(
        lines[4]["nats"],
        serde_json::json!({"subject": "orders.5.paid", "seq": 5})
    );
    for l in &lines {
        let t = chrono::DateTime::parse_from_rfc3339(l["time"].as_str().unwrap()).unwrap();
        let age = before.signed_duration_since(t);
        assert!(
            age > chrono::TimeDelta::zero() && age < chrono::TimeDelta::seconds(30),
            "{l}"
        );
    }
    // The consumer's pending count when it started: how far behind it was.
    tail.wait_stderr("stream ORDERS, orders.>, 5 pending").await;

    // last: the last message, then what comes.
    let mut tail = Tail::start(&js_cfg("\"last\""), &["--count", "1"]);
    assert_eq!(ns(&tail.lines(1).await), [5]);

    // a sequence: from there on.
    let mut tail = Tail::start(&js_cfg("4"), &["--count", "2"]);
    assert_eq!(ns(&tail.lines(2).await), [4, 5]);

    // new: only what is published after it started.
    let mut tail = Tail::start(&js_cfg("\"new\""), &["--count", "2"]);
    tail.wait_stderr("n: connected (").await;
    js_publish(&js, "orders.6.paid", 6, None).await;
    js_publish(&js, "orders.7.paid", 7, None).await;
    let lines = tail.lines(2).await;
    assert_eq!(ns(&lines), [6, 7]);
    assert_eq!(lines[0]["id"], "6");
}

#[tokio::test(flavor = "multi_thread")]
async fn jetstream_start_by_age_skips_older_messages() {
    let server = NatsServer::temp().await;
    let js = orders_stream(&server.url()).await;
    js_publish(&js, "orders.old", 1, None).await;
    // The point of the test is a message older than `start`: time has to
    // pass, there is no condition to poll.
    tokio::time::sleep(Duration::from_secs(2)).await;
    js_publish(&js, "orders.young", 2, None).await;
    let cfg = config(
        &server.url(),
        "subject = \"orders.>\"\nstream = \"ORDERS\"\nstart = \"1500ms\"",
    );
    let mut tail = Tail::start(&cfg, &["--count", "2"]);
    tail.wait_stderr("n: connected (").await;
    js_publish(&js, "orders.later", 3, None).await;
    assert_eq!(ns(&tail.lines(2).await), [2, 3]);
    let cfg = config(
        &server.url(),
        "subject = \"orders.>\"\nstream = \"ORDERS\"\nstart = \"1h\"",
    );
    let mut tail = Tail::start(&cfg, &["--count", "3"]);
    assert_eq!(ns(&tail.lines(3).await), [1, 2, 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn token_and_user_password_auth_and_refusals_in_words() {
    let token_server = NatsServer::temp_with(&["--auth", "s3cret-token"]).await;
    let user_server = NatsServer::temp_with(&["--user", "viewer", "--pass", "pw-9"]).await;
    let cfg = format!(
        "{}token = \"s3cret-token\"\n{}user = \"viewer\"\npassword = \"${{NATS_PASS}}\"\n{}token = \"wrong-token\"\n",
        config(&token_server.url(), "subject = \"a\""),
        config(&user_server.url(), "subject = \"b\"").replace("name = \"n\"", "name = \"u\""),
        config(&token_server.url(), "subject = \"a\"").replace("name = \"n\"", "name = \"bad\""),
    );
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("c.toml"), &cfg).unwrap();
    let mut child = evtop(dir.path())
        .env("NATS_PASS", "pw-9")
        .args(["tail", "--format", "ndjson", "--count", "2", "-c"])
        .arg(dir.path().join("c.toml"))
        .spawn()
        .unwrap();
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let (mut seen, mut live) = (String::new(), 0);
    let deadline = Instant::now() + Duration::from_secs(20);
    while live < 2 || !seen.contains("bad: authorization violation") {
        let line = tokio::time::timeout_at(deadline, stderr.next_line())
            .await
            .unwrap_or_else(|_| panic!("stderr so far:\n{seen}"))
            .unwrap()
            .unwrap();
        live += usize::from(line.starts_with("n: connected (") || line.starts_with("u: connected ("));
        seen.push_str(&line);
        seen.push('\n');
    }
    assert!(!seen.contains("wrong-token") && !seen.contains("pw-9"), "{seen}");
    let a = async_nats::ConnectOptions::with_token("s3cret-token".into())
        .connect(token_server.url())
        .await
        .unwrap();
    a.publish("a", "{\"from\":\"token\"}".into()).await.unwrap();
    a.flush().await.unwrap();
    let b = async_nats::ConnectOptions::with_user_and_password("viewer".into(), "pw-9".into())
        .connect(user_server.url())
        .await
        .unwrap();
    b.publish("b", "{\"from\":\"user\"}".into()).await.unwrap();
    b.flush().await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(20), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    let mut sources: Vec<String> = ndjson_lines(&out.stdout)
        .iter()
        .map(|l| format!("{}:{}", l["source"], l["data"]["from"]))
        .collect();
    sources.sort();
    assert_eq!(sources, ["\"n\":\"token\"", "\"u\":\"user\""]);
}

#[tokio::test(flavor = "multi_thread")]
async fn unreachable_server_and_missing_stream_are_said_in_words() {
    let server = NatsServer::temp().await;
    let closed = free_port();
    let cfg = format!(
        "{}{}",
        config(&format!("nats://127.0.0.1:{closed}"), "subject = \"a\""),
        config(&server.url(), "subject = \"a.>\"\nstream = \"NOPE\"")
            .replace("name = \"n\"", "name = \"js\""),
    );
    let tail = Tail::start(&cfg, &[]);
    tail.wait_stderr("n: connection refused; retrying in").await;
    tail.wait_stderr("js: stream \"NOPE\" not found; retrying in")
        .await;
    let (code, _) = tail.stop().await;
    assert_eq!(code, 1, "no source ever connected: exit 1 (SPEC 1)");
}

/// The consumers of stream `ORDERS`.
async fn consumers(js: &jetstream::Context) -> Vec<jetstream::consumer::Info> {
    let stream = js.get_stream("ORDERS").await.unwrap();
    stream.consumers().try_collect().await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn type_pushdown_shows_on_the_server_and_no_consumer_is_left() {
    let server = NatsServer::temp().await;
    let js = orders_stream(&server.url()).await;
    let cfg = config(
        &server.url(),
        "subject = \"orders.>\"\nstream = \"ORDERS\"\nstart = \"all\"",
    );
    for (i, subject) in ["orders.1.a", "orders.2.9", "orders.1.b.c", "orders.3"]
        .iter()
        .enumerate()
    {
        js_publish(&js, subject, i as u64, None).await;
    }
    // `type:1.*` is exactly `orders.1.>`; `type:2.9` exactly `orders.2.9`.
    let mut tail = Tail::start(&cfg, &["-f", "type:1.* type:2.9"]);
    let lines = tail.lines(3).await;
    assert_eq!(ns(&lines), [0, 1, 2]);
    let running = consumers(&js).await;
    assert_eq!(running.len(), 1, "{running:?}");
    let c = &running[0].config;
    assert_eq!(
        (c.filter_subject.as_str(), &c.filter_subjects),
        ("", &vec!["orders.1.>".to_owned(), "orders.2.9".to_owned()])
    );
    assert!(c.durable_name.is_none(), "ephemeral");
    assert_eq!(running[0].num_pending, 0, "the server sent only what matches");
    assert_eq!(running[0].delivered.stream_sequence, 3);
    let (code, stderr) = tail.stop().await;
    assert_eq!(code, 0, "{stderr}");
    assert!(
        stderr.contains("orders.1.>, orders.2.9 (pushed down from type filter)"),
        "{stderr}"
    );
    // Gone as soon as evtop is (deleted at shutdown, not left to lapse).
    let deadline = Instant::now() + Duration::from_secs(5);
    while !consumers(&js).await.is_empty() {
        assert!(
            Instant::now() < deadline,
            "consumer left behind: {:?}",
            consumers(&js).await
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // A glob subjects cannot express exactly (letters: globs ignore case)
    // leaves the subject as configured.
    let tail = Tail::start(&cfg, &["-f", "type:paid.*"]);
    tail.wait_stderr("n: connected (").await;
    let running = consumers(&js).await;
    assert_eq!(running[0].config.filter_subject, "orders.>");
    assert!(running[0].config.filter_subjects.is_empty());
    assert_eq!(tail.stop().await.0, 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_killed_and_restarted_loses_and_repeats_nothing() {
    let mut server = NatsServer::temp().await;
    let js = orders_stream(&server.url()).await;
    let cfg = config(
        &server.url(),
        "subject = \"orders.>\"\nstream = \"ORDERS\"\nstart = \"all\"",
    );
    for i in 1..=10u64 {
        js_publish(&js, "orders.x", i, None).await;
    }
    let mut tail = Tail::start(&cfg, &["--count", "30"]);
    assert_eq!(ns(&tail.lines(10).await), (1..=10).collect::<Vec<_>>());
    server.kill().await;
    tail.wait_stderr("retrying in").await;
    server.restart().await;
    // A fresh client: published while evtop may still be away.
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    for i in 11..=20u64 {
        js_publish(&js, "orders.x", i, None).await;
    }
    assert_eq!(ns(&tail.lines(10).await), (11..=20).collect::<Vec<_>>());
    tail.wait_stderr("1 reconnection").await;
    // And once more, now that it is certainly back.
    server.kill().await;
    server.restart().await;
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    for i in 21..=30u64 {
        js_publish(&js, "orders.x", i, None).await;
    }
    let lines = tail.lines(10).await;
    assert_eq!(ns(&lines), (21..=30).collect::<Vec<_>>());
    assert_eq!(lines[9]["nats"]["seq"], 30);
    let status = tokio::time::timeout(Duration::from_secs(10), tail.child.wait())
        .await
        .unwrap()
        .unwrap();
    assert!(status.success(), "--count 30 reached, nothing more came");
}

#[tokio::test(flavor = "multi_thread")]
async fn relayed_evtop_lines_come_out_as_they_went_in() {
    use evtop::event::{EventRef, Meta, WebhookMeta};
    let server = NatsServer::temp().await;
    let js = jetstream::new(async_nats::connect(server.url()).await.unwrap());
    js.create_stream(stream::Config {
        name: "EVTOP".into(),
        subjects: vec!["evtop.>".into()],
        ..Default::default()
    })
    .await
    .unwrap();
    let hook = Meta::Webhook(WebhookMeta {
        verified: Some(true),
        reason: None,
        headers: [("stripe-signature".to_owned(), "***".to_owned())].into(),
        forward: None,
        attempt: 2,
    });
    let events = [
        (
            "stripe",
            Some("evt_1"),
            "charge.succeeded",
            Some(1_795_341_600_000),
            r#"{"amount":1200}"#,
            true,
            Some(&hook),
        ),
        ("github", None, "issues.opened", None, "plain text", false, None),
        (
            "stripe",
            Some("evt_2"),
            "charge.failed",
            Some(1_795_341_601_000),
            r#"{"a":[1,2]}"#,
            true,
            None,
        ),
    ];
    let mut sent = Vec::new();
    for (source, id, ty, time, data, json, meta) in events {
        let ev = EventRef {
            source,
            id,
            ty,
            time,
            received: 1_795_341_602_345,
            data,
            json,
            meta,
            drift: false,
        };
        let mut line = Vec::new();
        evtop::output::ndjson(&ev, &mut line);
        let text = String::from_utf8(line).unwrap();
        js.publish(format!("evtop.{source}.{ty}"), text.trim_end().to_owned().into())
            .await
            .unwrap()
            .await
            .unwrap();
        sent.push(text);
    }
    let cfg = config(
        &server.url(),
        "subject = \"evtop.>\"\nstream = \"EVTOP\"\nstart = \"all\"\nformat = \"evtop\"",
    );
    let mut tail = Tail::start(&cfg, &["--count", "3"]);
    let printed: Vec<String> = tail.text_lines(3).await.into_iter().map(|l| l + "\n").collect();
    assert_eq!(printed.concat(), sent.concat(), "byte for byte what was relayed");
    let lines = ndjson_lines(printed.concat().as_bytes());
    assert_eq!(lines[0]["source"], "stripe");
    assert_eq!(lines[0]["webhook"]["attempt"], 2);
    // `source:` filters on the original names.
    let mut tail = Tail::start(&cfg, &["--count", "1", "-f", "source:github"]);
    assert_eq!(tail.lines(1).await[0]["type"], "issues.opened");
}

/// A client of any of these servers.
async fn connect_any(urls: &[String]) -> async_nats::Client {
    let addrs: Vec<async_nats::ServerAddr> = urls.iter().map(|u| u.parse().unwrap()).collect();
    async_nats::connect(addrs.as_slice()).await.unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cluster_node_going_down_loses_nothing() {
    let mut cluster = Cluster::temp().await;
    let urls = cluster.url_list();
    let js = jetstream::new(connect_any(&urls).await);
    js.create_stream(stream::Config {
        name: "ORDERS".into(),
        subjects: vec!["orders.>".into()],
        num_replicas: 3,
        ..Default::default()
    })
    .await
    .unwrap();
    for i in 1..=10u64 {
        js_publish(&js, "orders.x", i, None).await;
    }
    let list: Vec<String> = urls.iter().map(|u| format!("\"{u}\"")).collect();
    let cfg = format!(
        "[[source]]\nname = \"n\"\nkind = \"nats\"\nurls = [{}]\nsubject = \"orders.>\"\nstream = \"ORDERS\"\nstart = \"all\"\n",
        list.join(", ")
    );
    let mut tail = Tail::start(&cfg, &["--count", "20"]);
    assert_eq!(ns(&tail.lines(10).await), (1..=10).collect::<Vec<_>>());
    // The node evtop is connected to goes down.
    let stderr = tail.stderr();
    let at = stderr.find("n: connected (127.0.0.1:").expect("connected") + "n: connected (127.0.0.1:".len();
    let port: u16 = stderr[at..]
        .split(|c: char| !c.is_ascii_digit())
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let node = cluster
        .nodes
        .iter()
        .position(|n| n.port == port)
        .expect("one of the nodes");
    cluster.nodes[node].kill().await;
    let others: Vec<String> = urls
        .iter()
        .filter(|u| !u.ends_with(&format!(":{port}")))
        .cloned()
        .collect();
    let js = jetstream::new(connect_any(&others).await);
    for i in 11..=20u64 {
        // The stream may be electing a new leader: publish until acked.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let sent = js
                .publish("orders.x", serde_json::json!({ "n": i }).to_string().into())
                .await;
            if let Ok(ack) = sent
                && ack.await.is_ok()
            {
                break;
            }
            assert!(Instant::now() < deadline, "message {i} never acknowledged");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
    assert_eq!(ns(&tail.lines(10).await), (11..=20).collect::<Vec<_>>());
    tail.wait_stderr("1 reconnection").await;
}

#[tokio::test(flavor = "multi_thread")]
async fn tls_servers_take_the_same_certificate_checks_and_cacert_as_https() {
    let dir = tempfile::tempdir().unwrap();
    crate::tls_binary::make_certs(dir.path());
    let (cert, key, ca) = (
        dir.path().join("leaf.pem"),
        dir.path().join("leaf.key"),
        dir.path().join("ca.pem"),
    );
    let server = NatsServer::temp_with(&[
        "--tls",
        "--tlscert",
        cert.to_str().unwrap(),
        "--tlskey",
        key.to_str().unwrap(),
    ])
    .await;
    let url = format!("tls://127.0.0.1:{}", server.port);
    let cfg = config(&url, "subject = \"orders.>\"");

    let refused = Tail::start(&cfg, &["--duration", "2s"]);
    refused.wait_stderr("certificate not trusted").await;
    let (_, err) = refused.stop().await;
    assert!(err.contains("use --cacert FILE"), "{err}");

    let mut tail = Tail::start(&cfg, &["--count", "3", "--cacert", ca.to_str().unwrap()]);
    tail.wait_stderr("n: connected (").await;
    let client = async_nats::ConnectOptions::new()
        .add_root_certificates(ca.clone())
        .require_tls(true)
        .connect(&url)
        .await
        .unwrap();
    for i in 0..3u64 {
        client
            .publish("orders.paid", format!("{{\"n\":{i}}}").into())
            .await
            .unwrap();
    }
    client.flush().await.unwrap();
    assert_eq!(ns(&tail.lines(3).await), [0, 1, 2]);
}
