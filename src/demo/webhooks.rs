//! The demo's webhook source: evtop's own receiver on a free loopback port,
//! and a built-in sender that posts signed Stripe-style deliveries to it —
//! now and then one with a bad signature (`✗`), now and then a retry of an
//! earlier one (`↻2`) — so verification marks show without any setup.

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
/// One delivery in this many is signed with the wrong secret.
const BAD_EVERY: u32 = 7;
/// One delivery in this many is a retry of an earlier one.
const RETRY_EVERY: u32 = 5;

const TYPES: &[&str] = &[
    "checkout.session.completed",
    "invoice.paid",
    "customer.subscription.created",
    "payment_intent.payment_failed",
    "charge.dispute.created",
];

/// The webhook source (the `stripe` preset's settings), listening on a
/// free port, with its sender started.
pub fn start(tasks: &crate::shutdown::Tasks) -> anyhow::Result<SourceSpec> {
    // A free port now; the source binds it a moment later (and retries if
    // something else took it meanwhile).
    let port = std::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0))?
        .local_addr()?
        .port();
    let listen = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let url = listen_url(listen, PATH);
    tasks.spawn(send(url.clone()));
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

/// Post a delivery every 0.4–2 s, forever, as Stripe would: JSON body,
/// `Stripe-Signature`, `User-Agent: Stripe/1.0`.
async fn send(url: String) {
    let Ok(client) = reqwest::Client::builder().no_proxy().build() else {
        return;
    };
    let mut rng = fastrand::Rng::new();
    let mut sent: Vec<String> = Vec::new();
    let mut n = 0u32;
    loop {
        tokio::time::sleep(Duration::from_millis(rng.u64(400..2000))).await;
        n += 1;
        let body = if n % RETRY_EVERY == 0 && !sent.is_empty() {
            sent[rng.usize(..sent.len())].clone()
        } else {
            let body = delivery(&mut rng, n);
            sent.push(body.clone());
            if sent.len() > 20 {
                sent.remove(0);
            }
            body
        };
        let secret = if n % BAD_EVERY == 0 {
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

/// One Stripe-style event.
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
