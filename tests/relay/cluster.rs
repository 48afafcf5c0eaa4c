//! The relay on a three-node cluster with an R3 stream: the stream's
//! leader killed while events flow loses no acknowledged event and stores
//! none twice.

use std::collections::HashSet;
use std::time::Duration;

use crate::common::{count_before, spawn, wait_count};
use crate::feed::{Feed, numbered};
use crate::nats::{Cluster, client, stream_messages};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cluster_node_killed_while_publishing_loses_nothing() {
    const N: usize = 2000;
    let dir = tempfile::tempdir().unwrap();
    let mut cluster = Cluster::start(dir.path()).await;
    let to = cluster.urls();
    let feed = Feed::start_paced(numbered(N), N, 20, Duration::from_millis(10)).await;
    let shop = format!("shop={}", feed.url());
    let mut relay = spawn(
        dir.path(),
        "relay",
        &[&shop, "--to", &to, "--replicas", "3"],
        None,
    )
    .await;
    relay.wait_stderr("stream EVTOP created", 30).await;
    let js = async_nats::jetstream::new(client(&to).await);
    wait_count(&js, "EVTOP", 300, 30).await;

    // Kill the stream's leader: the node that acknowledged every event so far.
    let mut stream = js.get_stream("EVTOP").await.unwrap();
    let info = stream.info().await.unwrap();
    assert_eq!(info.config.num_replicas, 3);
    let leader = info
        .cluster
        .as_ref()
        .and_then(|c| c.leader.clone())
        .expect("a leader");
    let i = cluster
        .nodes
        .iter()
        .position(|n| n.name == leader)
        .expect("leader is a node");
    cluster.nodes[i].kill().await;
    let survivors: Vec<String> = cluster
        .nodes
        .iter()
        .enumerate()
        .filter(|(j, _)| *j != i)
        .map(|(_, n)| n.url())
        .collect();
    let js = async_nats::jetstream::new(client(&survivors.join(",")).await);
    wait_count(&js, "EVTOP", N as u64, 90).await;
    assert_eq!(relay.terminate(20).await, 0, "{}", relay.stderr_text());
    let summary = relay.summary().await;
    assert_eq!(count_before(&summary, "acknowledged"), N as u64, "{summary}");

    let stored = stream_messages(&js, "EVTOP").await;
    let ids: HashSet<String> = stored.iter().map(|s| s.msg_id.clone().unwrap()).collect();
    assert_eq!(stored.len(), N, "every event once: {summary}");
    assert_eq!(ids.len(), N);
    assert!((1..=N).all(|i| ids.contains(&format!("shop:e{i}"))));
}
