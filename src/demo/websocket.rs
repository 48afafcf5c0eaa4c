//! The demo's WebSocket servers, on 127.0.0.1:0:
//!
//! - an exchange ticker in the style of a crypto exchange's feed: nothing
//!   until the client sends `{"type":"subscribe","channels":["ticker"]}`,
//!   then a `subscriptions` confirmation and `ticker` messages (product,
//!   price, `sequence`, `time`) with a `heartbeat` now and then;
//! - a GraphQL server speaking `graphql-transport-ws`: after
//!   `connection_init`/`connection_ack`, every `subscribe` gets `next`
//!   messages of `orderPlaced` (a shop's new orders).

use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{ErrorResponse, Request, Response};
use tokio_tungstenite::tungstenite::http::HeaderValue;

use crate::config::SourceSpec;
use crate::shutdown::Tasks;

const PRODUCTS: &[(&str, f64)] = &[
    ("BTC-USD", 97_250.0),
    ("ETH-USD", 3_640.0),
    ("SOL-USD", 241.5),
    ("DOGE-USD", 0.41),
];

/// Start both servers; returns their sources (`ticker`, `orders`), made
/// from config text exactly as a user's would be.
pub async fn start(tasks: &Tasks) -> anyhow::Result<Vec<SourceSpec>> {
    let ticker = TcpListener::bind("127.0.0.1:0").await?;
    let ticker_addr = ticker.local_addr()?;
    tasks.spawn(accept_loop(ticker, false, tasks.clone()));
    let gql = TcpListener::bind("127.0.0.1:0").await?;
    let gql_addr = gql.local_addr()?;
    tasks.spawn(accept_loop(gql, true, tasks.clone()));
    let toml = format!(
        r#"
[[source]]
name = "ticker"
kind = "websocket"
url = "ws://{ticker_addr}/feed"
subscribe = ['{{"type":"subscribe","channels":["ticker"]}}']
type_pointer = "/type"
id_pointer = "/sequence"
time_pointer = "/time"
ping = "10s"
idle_timeout = "30s"

[[source]]
name = "orders"
kind = "websocket"
protocol = "graphql-ws"
url = "ws://{gql_addr}/graphql"
query = "subscription OnOrder($shop: ID!) {{ orderPlaced(shop: $shop) {{ id total currency items }} }}"
variables = {{ shop = "eu-1" }}
init_payload = {{ token = "demo" }}
id_pointer = "/data/orderPlaced/id"
"#
    );
    Ok(crate::config::parse_config(&toml, "demo", &|_| None)?.sources)
}

async fn accept_loop(listener: TcpListener, graphql: bool, tasks: Tasks) {
    while let Ok((sock, _)) = listener.accept().await {
        let inner = tasks.clone();
        tasks.spawn(async move {
            let result = if graphql {
                graphql_conn(sock, inner).await
            } else {
                ticker_conn(sock, inner).await
            };
            if let Err(e) = result {
                tracing::debug!("demo websocket connection ended: {e}");
            }
        });
    }
}

/// One ticker client: wait for its subscribe frame, then stream.
async fn ticker_conn(sock: TcpStream, tasks: Tasks) -> anyhow::Result<()> {
    let ws = tokio_tungstenite::accept_async(sock).await?;
    let (mut tx, mut rx) = ws.split();
    // Wait for the subscribe frame; answer pings meanwhile (tungstenite does).
    loop {
        match rx.next().await {
            Some(Ok(Message::Text(t))) => {
                let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
                if v["type"] == "subscribe" {
                    let channels = v["channels"].clone();
                    tx.send(Message::text(
                        json!({"type": "subscriptions", "channels": channels}).to_string(),
                    ))
                    .await?;
                    break;
                }
            }
            Some(Ok(_)) => {}
            _ => return Ok(()),
        }
    }
    // Keep reading (pongs, closes) while writing.
    let reader = tasks.spawn(async move { while let Some(Ok(_)) = rx.next().await {} });
    let mut rng = fastrand::Rng::new();
    let mut prices: Vec<f64> = PRODUCTS.iter().map(|(_, p)| *p).collect();
    let mut sequence: u64 = 1_000_000 + rng.u64(..1000);
    loop {
        if reader.is_finished() {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(rng.u64(60..350))).await;
        sequence += 1;
        let msg = if rng.u32(..25) == 0 {
            json!({"type": "heartbeat", "sequence": sequence, "time": now_rfc3339()})
        } else {
            let i = rng.usize(..PRODUCTS.len());
            prices[i] *= 1.0 + (rng.f64() - 0.5) * 0.002;
            json!({
                "type": "ticker", "sequence": sequence, "product_id": PRODUCTS[i].0,
                "price": format!("{:.2}", prices[i]), "side": if rng.bool() { "buy" } else { "sell" },
                "last_size": format!("{:.4}", rng.f64()), "time": now_rfc3339(),
            })
        };
        tx.send(Message::text(msg.to_string())).await?;
    }
}

/// One GraphQL client: `graphql-transport-ws` with `orderPlaced` results.
async fn graphql_conn(sock: TcpStream, tasks: Tasks) -> anyhow::Result<()> {
    let ws = tokio_tungstenite::accept_hdr_async(sock, choose_subprotocol).await?;
    let (mut tx, mut rx) = ws.split();
    let (out, mut outgoing) = mpsc::channel::<String>(64);
    let writer = tasks.spawn(async move {
        while let Some(text) = outgoing.recv().await {
            if tx.send(Message::text(text)).await.is_err() {
                break;
            }
        }
    });
    let mut streams = Vec::new();
    while let Some(Ok(msg)) = rx.next().await {
        let Message::Text(t) = msg else { continue };
        let v: Value = serde_json::from_str(t.as_str()).unwrap_or(Value::Null);
        match v["type"].as_str().unwrap_or("") {
            "connection_init" => out.send(json!({"type": "connection_ack"}).to_string()).await?,
            "ping" => out.send(json!({"type": "pong"}).to_string()).await?,
            "subscribe" => {
                let id = v["id"].as_str().unwrap_or("1").to_owned();
                let shop = v["payload"]["variables"]["shop"]
                    .as_str()
                    .unwrap_or("main")
                    .to_owned();
                streams.push(tasks.spawn(orders(id, shop, out.clone())));
            }
            _ => {}
        }
    }
    streams.iter().for_each(|s| s.abort());
    writer.abort();
    Ok(())
}

/// Accept `graphql-transport-ws` when the client asks for it.
#[allow(clippy::result_large_err)] // the error type is tungstenite's callback's
fn choose_subprotocol(req: &Request, mut resp: Response) -> Result<Response, ErrorResponse> {
    let asked = req
        .headers()
        .get("sec-websocket-protocol")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if asked.split(',').any(|p| p.trim() == "graphql-transport-ws") {
        resp.headers_mut().insert(
            "sec-websocket-protocol",
            HeaderValue::from_static("graphql-transport-ws"),
        );
    }
    Ok(resp)
}

/// `next` messages of one `orderPlaced` subscription.
async fn orders(id: String, shop: String, out: mpsc::Sender<String>) {
    let mut rng = fastrand::Rng::new();
    let mut n = rng.u32(5000..6000);
    loop {
        tokio::time::sleep(Duration::from_millis(rng.u64(400..2000))).await;
        n += 1;
        let order = json!({
            "id": format!("{shop}-{n}"), "total": rng.u32(500..50_000) as f64 / 100.0,
            "currency": "EUR", "items": rng.u32(1..6),
        });
        let msg = json!({"type": "next", "id": id, "payload": {"data": {"orderPlaced": order}}});
        if out.send(msg.to_string()).await.is_err() {
            return;
        }
    }
}

fn now_rfc3339() -> String {
    chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
