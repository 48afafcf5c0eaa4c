//! `evtop demo`: real HTTP servers on 127.0.0.1, so anyone can see evtop
//! work with no endpoint and no config. The sources that watch them are
//! ordinary sources on the same code paths as real endpoints:
//!
//! - `stripe`: an SSE stream of Stripe-like events, ten types at different
//!   rates, with a burst of one type now and then;
//! - `quotes`: a Streamdata-style quote board — a `data` snapshot, then
//!   `patch` events moving prices (patch mode, state view `v`);
//! - `stripe-api`: a Stripe-style `GET /v1/events` list (`ending_before`,
//!   `limit`, `has_more`) polled with the `stripe` preset's settings;
//! - `stripe-hooks`: evtop's own webhook receiver, fed signed Stripe-style
//!   deliveries of the events `stripe-api` lists by a built-in sender (some
//!   with a bad signature, some retried, one now and then skipped, and now
//!   and then one the list never shows), verified with the `stripe` scheme
//!   ([`webhooks`]); [`reconcile`] pairs the two (SPEC 11.3);
//! - `ticker`: an exchange's WebSocket ticker, subscribed with a subscribe
//!   frame, and `orders`: a GraphQL `orderPlaced` subscription
//!   ([`websocket`]).
//!
//! With no `[[alert]]` in the config, the demo watches two alerts of its own
//! ([`ALERTS_TOML`]): one that fires now and then, one on every large
//! refund.

mod webhooks;
mod websocket;

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::{Query, State};
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::routing::get;
use axum::{Extension, Json, Router};
use futures_util::{Stream, StreamExt};
use serde_json::json;
use tokio_util::sync::CancellationToken;

use crate::config::{SourceSpec, SseOptions};
use crate::event::{Pointers, now_millis};
use crate::shutdown::Tasks;

/// Event types of the demo stream and their relative weights.
const TYPES: &[(&str, u32)] = &[
    ("charge.succeeded", 30),
    ("payment_intent.created", 22),
    ("payment_intent.succeeded", 20),
    ("customer.created", 8),
    ("invoice.paid", 7),
    ("checkout.session.completed", 6),
    ("customer.subscription.updated", 4),
    ("charge.refunded", 2),
    ("invoice.payment_failed", 1),
    ("payout.paid", 1),
];

const SYMBOLS: &[(&str, f64)] = &[
    ("ACME", 123.40),
    ("GLOBX", 58.10),
    ("INITECH", 14.25),
    ("UMBRL", 301.00),
    ("HOOLI", 911.50),
    ("STARK", 420.00),
    ("WAYNE", 233.75),
    ("CYBER", 77.30),
    ("SOYL", 5.60),
    ("TYRELL", 189.90),
];

/// The demo's alerts (SPEC 11.2), used when the config file has none:
/// invoice payment failures arrive about 15 a minute, so more than 18 in a
/// minute happens now and then; a refund of $2,400 or more about once a
/// minute.
pub const ALERTS_TOML: &str = r#"
[[alert]]
name = "payment failures"
when = "type:invoice.payment_failed"
rate = "> 18/1m"

[[alert]]
name = "large refund"
when = "type:charge.refunded .data.object.amount>=240000"
each = true
"#;

/// [`ALERTS_TOML`], parsed by the config's own code.
pub fn alerts() -> Vec<crate::alert::AlertSpec> {
    crate::config::parse_config(ALERTS_TOML, "demo", &|_| None)
        .map(|c| c.alerts)
        .unwrap_or_default()
}

/// Start the demo servers and senders on `tasks` (shutting it down stops
/// them all); returns the sources that watch them.
pub async fn start(tasks: &Tasks) -> anyhow::Result<Vec<SourceSpec>> {
    let list = EventList::default();
    // Each event the list gains is also handed to the webhook sender, which
    // delivers most of them (see `webhooks`): the two sides to reconcile.
    let (listed_tx, listed_rx) = tokio::sync::mpsc::channel(webhooks::LISTED_QUEUE);
    tasks.spawn(list.clone().grow(listed_tx));
    let app = Router::new()
        .route("/stripe/events", get(stripe))
        .route("/quotes", get(quotes))
        .route("/v1/events", get(list_events))
        .with_state(list)
        .layer(Extension(tasks.cancelled()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    // axum runs each connection on a task of its own: the server is not
    // cancelled but shut down gracefully, which waits for its connections,
    // and the streams above end when the token fires.
    let stop = tasks.cancelled();
    tasks.track(async move {
        let serve = axum::serve(listener, app).with_graceful_shutdown(stop.cancelled_owned());
        if let Err(e) = serve.await {
            tracing::error!("demo server stopped: {e}");
        }
    });
    let sse = |name: &str, path: &str, patch: bool, pointers: Pointers| SourceSpec {
        name: name.to_owned(),
        url: format!("http://{addr}{path}"),
        url_display: format!("http://{addr}{path}"),
        headers: Vec::new(),
        pointers,
        kind: SseOptions {
            patch,
            idle_timeout: Some(Duration::from_secs(60)),
        }
        .into(),
        named_after_host: false,
    };
    let stripe_pointers = Pointers {
        time_pointer: Some("/created".into()),
        ..Pointers::default()
    };
    // The polled list goes through the config's own `stripe` preset, exactly
    // as a user's `preset = "stripe"` would.
    let toml = format!(
        "[[source]]\nname = \"stripe-api\"\nkind = \"poll\"\npreset = \"stripe\"\nurl = \"http://{addr}/v1/events\"\ninterval = \"1s\"\n"
    );
    let api = crate::config::parse_config(&toml, "demo", &|_| None)?
        .sources
        .remove(0);
    let mut sources = vec![
        sse("stripe", "/stripe/events", false, stripe_pointers),
        sse("quotes", "/quotes", true, Pointers::default()),
        api,
        webhooks::start(tasks, listed_rx)?,
    ];
    sources.extend(websocket::start(tasks).await?);
    Ok(sources)
}

/// The Stripe-like stream, until the demo shuts down.
async fn stripe(
    Extension(stop): Extension<CancellationToken>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let stream = futures_util::stream::unfold(Stripe::new(), |mut s| async move {
        let ev = s.next().await;
        Some((Ok(ev), s))
    });
    Sse::new(stream.take_until(stop.cancelled_owned())).keep_alive(KeepAlive::default())
}

/// Events of the Stripe-like stream before it starts drifting (about two
/// minutes, past the catalog's first 1,000 charges, so what appears then
/// is marked new).
const DRIFT_AFTER: u64 = 3_500;

/// The Stripe-like generator: ~25 events/s with a burst every ~20 s.
struct Stripe {
    rng: fastrand::Rng,
    n: u64,
    burst: Option<(&'static str, u32)>,
}

impl Stripe {
    fn new() -> Self {
        Stripe {
            rng: fastrand::Rng::new(),
            n: 0,
            burst: None,
        }
    }

    async fn next(&mut self) -> SseEvent {
        let ty = match &mut self.burst {
            Some((ty, left)) if *left > 0 => {
                *left -= 1;
                tokio::time::sleep(Duration::from_millis(4)).await;
                *ty
            }
            _ => {
                self.burst = None;
                tokio::time::sleep(Duration::from_millis(self.rng.u64(10..70))).await;
                if self.rng.u32(0..400) == 0 {
                    let (ty, _) = TYPES[self.rng.usize(..4)];
                    self.burst = Some((ty, self.rng.u32(80..200)));
                }
                self.pick()
            }
        };
        self.n += 1;
        let created = now_millis() / 1000;
        let amount = self.rng.u32(100..250_000);
        let object = match ty.split('.').next().unwrap_or("") {
            "charge" => {
                let mut charge = json!({"id": format!("ch_{:08x}", self.rng.u32(..)), "object": "charge", "amount": amount, "currency": "usd", "status": if ty == "charge.refunded" { "refunded" } else { "succeeded" }, "customer": format!("cus_{:06x}", self.rng.u32(..0xffffff))});
                self.drift(&mut charge, amount);
                charge
            }
            "payment_intent" => {
                json!({"id": format!("pi_{:08x}", self.rng.u32(..)), "object": "payment_intent", "amount": amount, "currency": "eur", "status": if ty.ends_with("created") { "requires_payment_method" } else { "succeeded" }})
            }
            "invoice" => {
                json!({"id": format!("in_{:08x}", self.rng.u32(..)), "object": "invoice", "amount_due": amount, "paid": ty == "invoice.paid", "attempt_count": self.rng.u32(1..4)})
            }
            "customer" => {
                json!({"id": format!("cus_{:06x}", self.rng.u32(..0xffffff)), "object": "customer", "email": format!("user{}@example.com", self.rng.u32(..10_000))})
            }
            _ => json!({"id": format!("obj_{:08x}", self.rng.u32(..)), "amount": amount}),
        };
        let id = format!("evt_{:016x}", self.n ^ 0x5eed_0000_0000);
        let data = json!({"id": id, "object": "event", "type": ty, "created": created, "livemode": false, "data": {"object": object}});
        SseEvent::default().event(ty).id(id).data(data.to_string())
    }

    /// The stream drifts after a while, as real providers' do, so the
    /// catalog (`c`) has something to say: after [`DRIFT_AFTER`] events a
    /// new optional field appears on charges, and now and then a charge's
    /// `amount` arrives as a string.
    fn drift(&mut self, charge: &mut serde_json::Value, amount: u32) {
        if self.n < DRIFT_AFTER {
            return;
        }
        if self.rng.u8(..3) == 0 {
            charge["risk_level"] = json!(["normal", "elevated", "highest"][self.rng.usize(..3)]);
        }
        if self.rng.u8(..40) == 0 {
            charge["amount"] = json!(format!("{}.{:02}", amount / 100, amount % 100));
        }
    }

    fn pick(&mut self) -> &'static str {
        let total: u32 = TYPES.iter().map(|(_, w)| w).sum();
        let mut r = self.rng.u32(..total);
        for (ty, w) in TYPES {
            if r < *w {
                return ty;
            }
            r -= w;
        }
        TYPES[0].0
    }
}

/// The quote board (snapshot, then patches), until the demo shuts down.
async fn quotes(
    Extension(stop): Extension<CancellationToken>,
) -> Sse<impl Stream<Item = Result<SseEvent, Infallible>>> {
    let board: Vec<serde_json::Value> = SYMBOLS
        .iter()
        .map(|(s, px)| json!({"symbol": s, "price": px, "volume": 0}))
        .collect();
    let snapshot = SseEvent::default()
        .event("data")
        .data(json!({"quotes": board, "market": "open"}).to_string());
    let prices: Vec<f64> = SYMBOLS.iter().map(|(_, p)| *p).collect();
    let patches = futures_util::stream::unfold(
        (fastrand::Rng::new(), prices, 0u64),
        |(mut rng, mut prices, n)| async move {
            tokio::time::sleep(Duration::from_millis(rng.u64(150..400))).await;
            let mut ops = Vec::new();
            for _ in 0..rng.usize(1..4) {
                let i = rng.usize(..prices.len());
                let step = (rng.f64() - 0.5) * prices[i] * 0.01;
                prices[i] = ((prices[i] + step).max(0.01) * 100.0).round() / 100.0;
                ops.push(json!({"op": "replace", "path": format!("/quotes/{i}/price"), "value": prices[i]}));
                ops.push(json!({"op": "replace", "path": format!("/quotes/{i}/volume"), "value": n * 10 + rng.u64(..10)}));
            }
            let ev = SseEvent::default()
                .event("patch")
                .data(serde_json::Value::Array(ops).to_string());
            Some((Ok(ev), (rng, prices, n + 1)))
        },
    );
    let stream = futures_util::stream::once(async { Ok(snapshot) }).chain(patches);
    Sse::new(stream.take_until(stop.cancelled_owned())).keep_alive(KeepAlive::default())
}

/// Events the demo's list endpoint serves, oldest first (at most
/// [`LIST_KEEP`]).
#[derive(Clone, Default)]
struct EventList(Arc<Mutex<Vec<serde_json::Value>>>);

/// Events the list endpoint remembers.
const LIST_KEEP: usize = 1000;

const LIST_TYPES: &[&str] = &[
    "balance.available",
    "payout.created",
    "transfer.created",
    "invoice.paid",
    "checkout.session.completed",
];

/// The demo's `[[reconcile]]`: the polled list against the webhook source,
/// with a short `within` so a new user sees a "not delivered" (the sender
/// skips an event now and then) within a minute or two.
pub fn reconcile() -> Vec<crate::config::ReconcileSpec> {
    vec![crate::config::ReconcileSpec {
        name: "stripe webhooks".to_owned(),
        listed: "stripe-api".to_owned(),
        delivered: "stripe-hooks".to_owned(),
        within: Duration::from_secs(15),
        interval: Duration::from_secs(1),
        notify: Default::default(),
        exec: None,
    }]
}

impl EventList {
    /// Append one to three events about every 700 ms, forever, each also
    /// sent to `delivered` (the webhook sender; dropped when it lags).
    async fn grow(self, delivered: tokio::sync::mpsc::Sender<serde_json::Value>) {
        let mut rng = fastrand::Rng::new();
        let mut n = 0u64;
        loop {
            tokio::time::sleep(Duration::from_millis(rng.u64(300..1100))).await;
            let mut list = self.0.lock().unwrap_or_else(|e| e.into_inner());
            for _ in 0..rng.usize(1..4) {
                n += 1;
                let ty = LIST_TYPES[rng.usize(..LIST_TYPES.len())];
                let event = json!({
                    "id": format!("evt_list_{n:06}"), "object": "event", "type": ty,
                    "api_version": "2024-06-20", "created": now_millis() / 1000, "livemode": false,
                    "data": {"object": {"amount": rng.u32(100..90_000), "currency": "usd"}},
                });
                let _ = delivered.try_send(event.clone());
                list.push(event);
            }
            let excess = list.len().saturating_sub(LIST_KEEP);
            list.drain(..excess);
        }
    }
}

/// `GET /v1/events?limit=&ending_before=` with Stripe's semantics: newest
/// first; `ending_before=X` gives the page of events just newer than X.
async fn list_events(
    State(list): State<EventList>,
    Query(q): Query<HashMap<String, String>>,
) -> Json<serde_json::Value> {
    let list = list.0.lock().unwrap_or_else(|e| e.into_inner());
    let limit = q
        .get("limit")
        .and_then(|l| l.parse::<usize>().ok())
        .unwrap_or(10)
        .clamp(1, 100);
    let (page, has_more): (Vec<serde_json::Value>, bool) = match q
        .get("ending_before")
        .and_then(|id| list.iter().position(|e| e["id"] == id.as_str()))
    {
        Some(i) => {
            let newer = &list[i + 1..];
            let page = &newer[..limit.min(newer.len())];
            (page.iter().rev().cloned().collect(), newer.len() > limit)
        }
        None => {
            let start = list.len().saturating_sub(limit);
            (list[start..].iter().rev().cloned().collect(), start > 0)
        }
    };
    Json(json!({"object": "list", "url": "/v1/events", "has_more": has_more, "data": page}))
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_demo_alerts_load() {
        let names: Vec<String> = super::alerts().into_iter().map(|a| a.name).collect();
        assert_eq!(names, ["payment failures", "large refund"]);
    }
}
