//! Load server for the ingest benchmark: serves N SSE events of ~130 bytes
//! (six types, JSON data) to each connection as fast as the socket takes
//! them, then closes. The stream is rendered once up front so the server is
//! never the bottleneck.
//!
//! `cargo run --release --example loadserver -- [N]` prints `PORT`.

use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Six types, half of them `charge.*` (so `--count 500000` with
/// `type:charge.*` ends exactly at the last event of a 1M run).
const TYPES: [&str; 6] = [
    "charge.succeeded",
    "payment_intent.created",
    "charge.failed",
    "invoice.paid",
    "charge.refunded",
    "customer.created",
];

#[tokio::main]
async fn main() -> std::io::Result<()> {
    let n: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let mut body = Vec::with_capacity(n * 140);
    for i in 0..n {
        let ty = TYPES[i % TYPES.len()];
        body.extend_from_slice(
            format!(
                "id: {i}\nevent: {ty}\ndata: {{\"id\":\"evt_{i:08}\",\"type\":\"{ty}\",\"amount\":{},\"currency\":\"usd\"}}\n\n",
                (i * 37) % 100_000
            )
                .as_bytes(),
        );
    }
    let body: &'static [u8] = body.leak();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    println!("{}", listener.local_addr()?.port());
    eprintln!(
        "{n} events, {} bytes, {:.0} bytes/event",
        body.len(),
        body.len() as f64 / n as f64
    );
    loop {
        let (mut sock, _) = listener.accept().await?;
        tokio::spawn(async move {
            let mut head = [0u8; 4096];
            let _ = sock.read(&mut head).await;
            let _ = sock
                .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nConnection: close\r\n\r\n")
                .await;
            let _ = sock.write_all(body).await;
        });
    }
}
