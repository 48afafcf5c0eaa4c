//! WebSocket sources through the real binary: `evtop tail ws://…`, a
//! GraphQL config, and the size bound measured by the OS.

use serde_json::json;

use crate::support::*;
use crate::websocket_servers::*;

/// `tail ARGS…` as owned strings.
fn args(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| s.to_string()).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_a_ws_url_prints_every_frame_in_order() {
    let server = python(json!({"frames": 20})).await;
    let dir = tempfile::tempdir().unwrap();
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "20"])
        .arg(format!("ticks={}", server.url("/feed")))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    let seqs: Vec<u64> = lines.iter().map(|l| l["data"]["seq"].as_u64().unwrap()).collect();
    assert_eq!(seqs, (0..20).collect::<Vec<_>>());
    assert_eq!(lines[0]["source"], "ticks");
    assert_eq!(lines[0]["type"], "message");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("ticks: connected (websocket)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_shows_a_close_frame_and_a_401_upgrade() {
    let server = node_ws(json!({"close": [1008, "policy violation"]})).await;
    let guarded = python(json!({"token": "s3cret"})).await;
    let dir = tempfile::tempdir().unwrap();
    let out = evtop(dir.path())
        .args(["tail", "--duration", "2s"])
        .args([
            format!("closing={}", server.url("/")),
            format!("guarded={}", guarded.url("/")),
        ])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("closing: closed by server: 1008 policy violation; retrying in"),
        "{stderr}"
    );
    assert!(
        stderr.contains("guarded: HTTP 401 Unauthorized: invalid token; retrying in"),
        "{stderr}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_a_graphql_subscription_from_a_config() {
    let server = node_graphql(json!({"token": "tok_live", "count": 3})).await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("evtop.toml");
    std::fs::write(
        &config,
        format!(
            r#"[[source]]
name = "shop"
kind = "websocket"
protocol = "graphql-ws"
url = "{}"
query = "subscription OnOrder($shop: String!) {{ orderPlaced(shop: $shop) {{ id total }} }}"
variables = {{ shop = "eu-1" }}
init_payload = {{ token = "${{SHOP_TOKEN}}" }}
id_pointer = "/data/orderPlaced/id"
"#,
            server.url("/graphql")
        ),
    )
    .unwrap();
    let out = evtop(dir.path())
        .env("SHOP_TOKEN", "tok_live")
        .args(["tail", "--format", "ndjson", "--count", "3", "-c"])
        .arg(&config)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    let ids: Vec<&str> = lines.iter().map(|l| l["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["ord_0", "ord_1", "ord_2"]);
    assert_eq!(lines[0]["type"], "orderPlaced");
    assert_eq!(lines[0]["data"]["data"]["orderPlaced"]["total"], 10.5);
}

/// `tail --duration 3s` on a Python server that sends one small frame and
/// then a text message of `big` bytes: peak RSS (KiB) and stderr.
async fn peak_with_message_of(big: usize) -> (u64, String) {
    let server = python(json!({"frames": 1, "big": big})).await;
    let list = ["tail", "--format", "ndjson", "--duration", "3s"];
    let (peak, out) = crate::memory::peak_rss(
        &args(&list)
            .into_iter()
            .chain([server.url("/")])
            .collect::<Vec<_>>(),
    )
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(peak > 0);
    (peak, String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_over_the_bound_is_refused_before_it_is_buffered_whole() {
    // 12 MB: under tungstenite's own default limits (16 MiB a frame), so
    // only evtop's bound (max_event_bytes, 1 MiB by default) refuses it.
    // Buffered whole, it would add well over its size to the peak (a run
    // without the bound peaked about 48 MiB above the baseline).
    let (baseline, _) = peak_with_message_of(0).await;
    let (peak, stderr) = peak_with_message_of(12_000_000).await;
    assert!(
        stderr.contains("message of 12000000 bytes refused: over max_event_bytes = 1048576"),
        "{stderr}"
    );
    eprintln!("websocket oversize: peak RSS {peak} KiB, baseline {baseline} KiB");
    assert!(
        peak < baseline + 6 * 1024,
        "peak RSS {peak} KiB vs {baseline} KiB without the message"
    );
}
