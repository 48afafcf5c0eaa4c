//! One shutdown path: stopping the engine (or the demo's servers) ends
//! every task they started, down to a single connection, before it returns.

use std::time::Duration;

use futures_util::StreamExt;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{config_sources, live_webhooks};

/// Whether the peer has closed `sock` (EOF or reset) within `within`.
async fn closed_within(sock: &mut TcpStream, within: Duration) -> bool {
    let mut buf = [0u8; 256];
    let deadline = tokio::time::Instant::now() + within;
    loop {
        match tokio::time::timeout_at(deadline, sock.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0)) | Ok(Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn engine_shutdown_ends_a_webhook_connection_still_sending_its_head() {
    let specs = config_sources(
        "[[source]]\nname = \"hooks\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\npath = \"/h\"\n",
    );
    let (engine, urls) = live_webhooks(&specs, 1 << 20).await;
    let addr = urls[0]
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // A sender half-way through its request head: its connection task
    // waits (the header timeout is 10 s) and is no source's top-level task.
    let mut sock = TcpStream::connect(&addr).await.unwrap();
    sock.write_all(b"POST /h HTTP/1.1\r\nHost: x\r\n").await.unwrap();
    assert!(
        !closed_within(&mut sock, Duration::from_millis(300)).await,
        "the connection is open before shutdown"
    );
    engine.shutdown().await;
    // Shutdown returned: every task has ended, so the connection is closed
    // now, not when its header timeout fires.
    assert!(
        closed_within(&mut sock, Duration::from_millis(200)).await,
        "the connection outlived the engine's shutdown"
    );
    assert!(
        TcpStream::connect(&addr).await.is_err(),
        "the server still accepts"
    );
}

#[tokio::test]
async fn demo_shutdown_ends_its_servers_their_connections_and_senders() {
    let tasks = evtop::shutdown::Tasks::default();
    let sources = evtop::demo::start(&tasks).await.unwrap();
    let ticker = sources.iter().find(|s| s.name == "ticker").unwrap();
    let (mut ws, _) = tokio_tungstenite::connect_async(ticker.url.as_str())
        .await
        .unwrap();
    let stripe = sources.iter().find(|s| s.name == "stripe").unwrap();
    let http_addr = stripe
        .url
        .trim_start_matches("http://")
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    // A long-lived SSE response from the demo's HTTP server.
    let mut sse = TcpStream::connect(&http_addr).await.unwrap();
    sse.write_all(b"GET /stripe/events HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut head = [0u8; 64];
    assert!(sse.read(&mut head).await.unwrap() > 0);
    assert!(
        tasks.len() >= 5,
        "servers, senders and connections: {}",
        tasks.len()
    );

    assert!(
        tasks.shutdown(Duration::from_secs(2)).await,
        "every demo task ended in time"
    );
    assert!(tasks.is_empty());
    let ws_end = tokio::time::timeout(Duration::from_millis(500), async {
        while let Some(Ok(_)) = ws.next().await {}
    })
    .await;
    assert!(ws_end.is_ok(), "the ticker connection outlived shutdown");
    assert!(
        closed_within(&mut sse, Duration::from_millis(500)).await,
        "the SSE response outlived shutdown"
    );
    assert!(
        TcpStream::connect(&http_addr).await.is_err(),
        "the HTTP server still accepts"
    );
    let ticker_addr = ticker.url.trim_start_matches("ws://").split('/').next().unwrap();
    assert!(
        TcpStream::connect(ticker_addr).await.is_err(),
        "the ticker still accepts"
    );
}
