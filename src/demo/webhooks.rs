//! The demo's webhook source: evtop's own receiver on a free loopback port,
//! and a built-in sender that posts signed Stripe-style deliveries to it of
//! the events the demo's `/v1/events` list gains — now and then one with a
//! bad signature (`✗`), now and then a retry of an earlier one (`↻2`) — so
//! verification marks show without any setup. Like a provider having a bad
//! day, it skips one listed event now and then (reconciliation reports it
//! "not delivered") and now and then delivers one the list never shows
//! ("not listed").

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use serde_json::json;

use crate::config::{DEFAULT_TOLERANCE, SecretKey, SourceSpec, Verify, WebhookOptions, listen_url};
use crate::event::{Pointers, now_millis};
use crate::source::webhook::verify::stripe_header;

/// The demo's signing secret (shown nowhere; a real one comes from
/// `${STRIPE_WEBHOOK_SECRET}`).
const SECRET: &str = "whsec_evtop_demo_secret";
/// The path deliveries are posted to.
const PATH: &str = "/webhooks/stripe";
/// One delivery in this many (at random) is signed with the wrong secret.
const BAD_EVERY: u32 = 7;
/// After one delivery in this many, an earlier one is retried.
const RETRY_EVERY: u32 = 5;
/// One listed event in this many is never delivered (about one every 15 s
/// at the list's ~3 events a second).
const SKIP_EVERY: u32 = 40;
/// After one delivery in this many, one of an event the list never shows.
const UNLISTED_EVERY: u32 = 90;
/// Listed events waiting for the sender; when it lags, the list drops what
/// does not fit (they show up as "not delivered", as they should).
pub const LISTED_QUEUE: usize = 256;

const TYPES: &[&str] = &[
    "checkout.session.completed",
    "invoice.paid",
    "customer.subscription.created",
    "payment_intent.payment_failed",
    "charge.dispute.created",
];

/// The webhook source (the `stripe` preset's settings), listening on a
/// free port, with its sender started: it delivers what `listed` gives.
pub fn start(
    tasks: &crate::shutdown::Tasks,
    listed: tokio::sync::mpsc::Receiver<serde_json::Value>,
) -> anyhow::Result<SourceSpec> {
    // A free port now; the source binds it a moment later (and retries if
    // something else took it meanwhile).
    let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let url = listen_url(listen, PATH);
    tasks.spawn(send(url.clone(), listed));
    Ok(SourceSpec {
        name: "stripe-hooks".to_owned(),
        url_display: url.clone(),
        url,
        headers: Vec::new(),
        pointers: Pointers {
            type_pointer: Some("/type".into()),
            id_pointer: Some("/id".into()),
            time_pointer: Some("/created".into()),
        },
        kind: (WebhookOptions {
            listen,
            path: PATH.to_owned(),
            verify: Verify::Stripe,
            key: SecretKey(SECRET.as_bytes().to_vec()),
            tolerance: DEFAULT_TOLERANCE,
            forward_to: None,
            type_header: None,
            id_header: None,
        })
        .into(),
        named_after_host: false,
    })
}

/// Deliver each listed event as Stripe would (JSON body,
/// `Stripe-Signature`, `User-Agent: Stripe/1.0`), forever, with the
/// demo's faults: skips, retries, bad signatures, unlisted events.
async fn send(url: String, mut listed: tokio::sync::mpsc::Receiver<serde_json::Value>) {
    let Ok(client) = reqwest::Client::builder().no_proxy().build() else {
        return;
    };
    let mut rng = fastrand::Rng::new();
    let mut sent: Vec<String> = Vec::new();
    let mut n = 0u32;
    let mut listed_n = 0u32;
    while let Some(event) = listed.recv().await {
        listed_n += 1;
        if listed_n % SKIP_EVERY == 0 {
            continue;
        }
        // A provider's delivery comes a moment after the event.
        tokio::time::sleep(Duration::from_millis(rng.u64(50..400))).await;
        let body = event.to_string();
        let mut bodies = vec![body.clone()];
        sent.push(body);
        if sent.len() > 20 {
            sent.remove(0);
        }
        n += 1;
        if n % RETRY_EVERY == 0 {
            bodies.push(sent[rng.usize(..sent.len())].clone());
        }
        if n % UNLISTED_EVERY == 0 {
            bodies.push(delivery(&mut rng, n));
        }
        for body in bodies {
            let secret = if rng.u32(..BAD_EVERY) == 0 {
                "whsec_not_the_right_one"
            } else {
                SECRET
            };
            let signature = stripe_header(secret.as_bytes(), now_millis() / 1000, body.as_bytes());
            let _ = client
                .post(&url)
                .header("Content-Type", "application/json; charset=utf-8")
                .header("User-Agent", "Stripe/1.0 (+https://stripe.com/docs/webhooks)")
                .header("Stripe-Signature", signature)
                .body(body)
                .send()
                .await;
        }
    }
}

/// One Stripe-style event the list never shows.
fn delivery(rng: &mut fastrand::Rng, n: u32) -> String {
    let ty = TYPES[rng.usize(..TYPES.len())];
    json!({
        "id": format!("evt_hook_{n:05}"),
        "object": "event",
        "api_version": "2024-06-20",
        "created": now_millis() / 1000,
        "type": ty,
        "livemode": false,
        "pending_webhooks": 1,
        "data": {"object": {
            "id": format!("obj_{:08x}", rng.u32(..)),
            "amount": rng.u32(500..90_000),
            "currency": "usd",
            "customer": format!("cus_{:06x}", rng.u32(..0xff_ffff)),
        }},
    })
    .to_string()
}
