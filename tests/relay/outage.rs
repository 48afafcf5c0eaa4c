//! The relay and the broker going away: a relay killed and restarted
//! publishes nothing twice; a broker down for a while costs nothing within
//! the queue bound, drops (counted) beyond it, and never delays a webhook
//! reply.

use std::collections::HashSet;
use std::time::Duration;

use crate::common::{Running, count_before, deliver, spawn, wait_count};
use crate::feed::{Feed, numbered};
use crate::nats::{NatsServer, client, stream_messages};

/// A relay with one webhook source, `hooks` (`--listen hooks=0/h`), into
/// `to`, with `extra` arguments: the relay, its webhook URL and a client to
/// deliver with.
async fn hooks_relay(dir: &std::path::Path, to: &str, extra: &[&str]) -> (Running, String, reqwest::Client) {
    let mut args = vec!["--listen", "hooks=0/h", "--to", to];
    args.extend_from_slice(extra);
    let relay = spawn(dir, "relay", &args, Some("hooks")).await;
    let url = relay.hook_url.clone().unwrap();
    (relay, url, crate::support::sender())
}

/// Deliver each body in turn: every one answered 200 within a second,
/// whatever the broker is doing.
async fn answered_at_once(sender: &reqwest::Client, url: &str, bodies: impl Iterator<Item = String>) {
    for (i, body) in bodies.enumerate() {
        let (status, took) = deliver(sender, url, &body).await;
        assert_eq!(status, 200, "delivery {i}: {body}");
        assert!(
            took < Duration::from_secs(1),
            "delivery {i} ({body}) took {took:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_relay_killed_and_restarted_publishes_no_event_twice() {
    const N: usize = 3000;
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path()).await;
    let to = nats.url();
    let js = async_nats::jetstream::new(client(&to).await);
    // A stream that takes a while, so the kill lands while events flow.
    let feed = Feed::start_paced(numbered(N), N / 2, 20, Duration::from_millis(5)).await;
    let shop = format!("shop={}", feed.url());
    let relay = spawn(dir.path(), "relay", &[&shop, "--to", &to], None).await;
    wait_count(&js, "EVTOP", 300, 30).await;
    relay.signal("KILL");
    let mut relay = relay;
    relay.exit_code(10).await;
    let before = crate::nats::stream_count(&js, "EVTOP").await;
    assert!(before >= 300 && before <= (N / 2) as u64, "{before}");

    // The restarted relay has no Last-Event-ID: the server replays every
    // event from the first, and more.
    feed.release(N);
    let mut relay = spawn(dir.path(), "relay", &[&shop, "--to", &to], None).await;
    relay.wait_stderr("stream EVTOP reused", 20).await;
    wait_count(&js, "EVTOP", N as u64, 60).await;
    // The last event is stored, so every one before it was sent; SIGTERM
    // waits for the acks still out.
    let code = relay.terminate(20).await;
    let summary = relay.summary().await;
    assert_eq!(code, 0, "{}", relay.stderr_text());
    assert_eq!(count_before(&summary, "acknowledged"), N as u64, "{summary}");
    let dup = count_before(&summary, "already in the stream");
    assert!(
        dup >= before,
        "the replayed events were duplicates: {summary} (stream had {before})"
    );

    let stored = stream_messages(&js, "EVTOP").await;
    assert_eq!(stored.len(), N, "one message per distinct event");
    let ids: HashSet<_> = stored.iter().map(|s| s.msg_id.clone().unwrap()).collect();
    assert_eq!(ids.len(), N);
    assert!((1..=N).all(|i| ids.contains(&format!("shop:e{i}"))));
    assert_eq!(
        feed.last_ids.lock().unwrap().as_slice(),
        [None, None],
        "both relays started from the beginning"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn while_the_broker_is_down_webhooks_are_answered_and_queued_events_arrive() {
    let dir = tempfile::tempdir().unwrap();
    let mut nats = NatsServer::start(dir.path()).await;
    let to = nats.url();
    let (mut relay, url, sender) = hooks_relay(dir.path(), &to, &[]).await;
    relay.wait_stderr("stream EVTOP created", 20).await;
    let body = |i: usize| format!(r#"{{"id":"evt_{i}","type":"charge.succeeded","n":{i}}}"#);
    for i in 1..=5 {
        assert_eq!(deliver(&sender, &url, &body(i)).await.0, 200);
    }
    {
        let js = async_nats::jetstream::new(client(&to).await);
        wait_count(&js, "EVTOP", 5, 20).await;
    }

    nats.kill().await;
    relay.wait_stderr("lost the connection to the broker", 20).await;
    answered_at_once(&sender, &url, (6..=55).map(body)).await;
    nats.restart().await;
    relay.wait_stderr("reconnected to", 30).await;
    let js = async_nats::jetstream::new(client(&to).await);
    wait_count(&js, "EVTOP", 55, 30).await;
    assert_eq!(relay.terminate(15).await, 0, "{}", relay.stderr_text());
    let summary = relay.summary().await;
    assert_eq!(count_before(&summary, "dropped"), 0, "{summary}");
    let stored = stream_messages(&js, "EVTOP").await;
    let ids: Vec<String> = stored.iter().map(|s| s.msg_id.clone().unwrap()).collect();
    let want: Vec<String> = (1..=55).map(|i| format!("hooks:evt_{i}")).collect();
    assert_eq!(ids, want, "nothing lost, nothing twice, in order");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_the_queue_bound_the_oldest_are_dropped_and_counted() {
    let dir = tempfile::tempdir().unwrap();
    let mut nats = NatsServer::start(dir.path()).await;
    let to = nats.url();
    let (mut relay, url, sender) = hooks_relay(dir.path(), &to, &["--queue", "5"]).await;
    relay.wait_stderr("stream EVTOP created", 20).await;
    let body = |i: usize| format!(r#"{{"id":"evt_{i}","type":"t","n":{i}}}"#);
    assert_eq!(deliver(&sender, &url, &body(0)).await.0, 200);
    {
        let js = async_nats::jetstream::new(client(&to).await);
        wait_count(&js, "EVTOP", 1, 20).await;
    }
    nats.kill().await;
    relay.wait_stderr("lost the connection to the broker", 20).await;
    answered_at_once(&sender, &url, (1..=20).map(body)).await;
    let line = relay.wait_stderr("events dropped so far", 10).await;
    assert!(line.contains("(--queue 5)"), "{line}");
    nats.restart().await;
    let js = async_nats::jetstream::new(client(&to).await);
    wait_count(&js, "EVTOP", 6, 30).await;
    assert_eq!(relay.terminate(15).await, 1, "events were lost: exit 1");
    let summary = relay.summary().await;
    assert_eq!(count_before(&summary, "dropped"), 15, "{summary}");
    let ids: Vec<String> = stream_messages(&js, "EVTOP")
        .await
        .into_iter()
        .map(|s| s.msg_id.unwrap())
        .collect();
    let mut want = vec!["hooks:evt_0".to_string()];
    want.extend((16..=20).map(|i| format!("hooks:evt_{i}")));
    assert_eq!(ids, want, "the newest five were kept");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_broker_down_at_start_is_waited_for() {
    let dir = tempfile::tempdir().unwrap();
    let mut nats = NatsServer::start(dir.path()).await;
    nats.kill().await;
    let to = nats.url();
    let (mut relay, url, sender) = hooks_relay(dir.path(), &to, &[]).await;
    let line = relay.wait_stderr("cannot reach", 20).await;
    assert!(line.contains("connection refused; retrying"), "{line}");
    answered_at_once(
        &sender,
        &url,
        (1..=3).map(|i| format!(r#"{{"id":"evt_{i}","type":"t"}}"#)),
    )
    .await;
    nats.restart().await;
    relay.wait_stderr("stream EVTOP created", 30).await;
    let js = async_nats::jetstream::new(client(&to).await);
    wait_count(&js, "EVTOP", 3, 30).await;
    assert_eq!(relay.terminate(15).await, 0, "{}", relay.stderr_text());
}
