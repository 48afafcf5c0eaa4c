//! The other end of the relay: viewers. Every engineer's evtop reads the
//! relay's stream with `kind = "nats"`, `format = "evtop"` and shows the
//! events exactly as the relay's sources produced them — the same lines,
//! byte for byte, as the stream holds, for every viewer.

use crate::common::{deliver, spawn, wait_count};
use crate::feed::{Feed, numbered};
use crate::nats::{NatsServer, client, stream_messages};

#[tokio::test(flavor = "multi_thread")]
async fn two_viewers_print_the_relayed_events_exactly_as_the_stream_holds_them() {
    let dir = tempfile::tempdir().unwrap();
    let nats = NatsServer::start(dir.path()).await;
    let mut feed = Feed::start(numbered(20), 20).await;
    let shop = format!("shop={}", feed.url());
    let to = nats.url();
    let relay = spawn(
        dir.path(),
        "relay",
        &[
            &shop,
            "--listen",
            "hooks=0/h",
            "--to",
            &to,
            "--stream",
            "TEAM",
            "--prefix",
            "team",
        ],
        Some("hooks"),
    )
    .await;
    let hook = relay.hook_url.clone().unwrap();
    let sender = reqwest::Client::new();
    for body in [
        r#"{"id":"evt_1","type":"charge.succeeded","amount":150}"#,
        r#"{"id":"evt_1","type":"charge.succeeded","amount":150}"#,
        r#"{"id":"evt_2","type":"invoice.paid"}"#,
    ] {
        assert_eq!(deliver(&sender, &hook, body).await.0, 200);
    }
    let js = async_nats::jetstream::new(client(&to).await);
    wait_count(&js, "TEAM", 23, 20).await;
    let stored: Vec<String> = stream_messages(&js, "TEAM")
        .await
        .into_iter()
        .map(|m| m.payload)
        .collect();
    assert_eq!(stored.len(), 23);

    let viewer = format!(
        "[[source]]\nname = \"team\"\nkind = \"nats\"\nurl = \"{to}\"\nstream = \"TEAM\"\nsubject = \"team.>\"\nstart = \"all\"\nformat = \"evtop\"\n"
    );
    let mut seen = Vec::new();
    for n in 0..2 {
        let vdir = dir.path().join(format!("viewer{n}"));
        std::fs::create_dir_all(&vdir).unwrap();
        let cfg = vdir.join("viewer.toml");
        std::fs::write(&cfg, &viewer).unwrap();
        let v = spawn(
            &vdir,
            "tail",
            &["--format", "ndjson", "--count", "23", "-c", cfg.to_str().unwrap()],
            None,
        )
        .await;
        seen.push(v.wait_stdout(23, 20).await);
    }
    assert_eq!(
        seen[0], stored,
        "a viewer prints what the stream holds, byte for byte"
    );
    assert_eq!(seen[1], seen[0], "two viewers see the same events");
    // Original source names, ids, the webhook redelivery's attempt.
    let lines: Vec<serde_json::Value> = seen[0].iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert!(lines.iter().filter(|l| l["source"] == "shop").count() == 20);
    let hooks: Vec<&serde_json::Value> = lines.iter().filter(|l| l["source"] == "hooks").collect();
    assert_eq!(hooks.len(), 3);
    assert_eq!(hooks[1]["id"], "evt_1");
    assert_eq!(hooks[1]["webhook"]["attempt"], 2);
    feed.stop().await;
}
