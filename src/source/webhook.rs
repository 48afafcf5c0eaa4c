//! The webhook source (SPEC 7.1): an HTTP server that receives deliveries,
//! verifies their signatures, answers at once, optionally passes them on to
//! your app, and turns each into one [`Event`](crate::event::Event).
//!
//! ```text
//!              one server per `listen` address (hyper, HTTP/1.1)
//! sender ──▶ accept (≤ 64 connections; the rest wait in the OS backlog)
//!              │ headers within 10 s, body ≤ max_event_bytes within 30 s
//!              ▼
//!           route by path ──no──▶ 404        not POST ──▶ 405     too big ──▶ 413
//!              │
//!           verify (verify.rs) ──fails──▶ event ✗ ─┬─▶ 400 "webhook verification failed: <reason>"
//!              │                                   │
//!              ├─ forward_to? ──▶ your app ─────────┼─▶ your app's status and body (502 if unreachable)
//!              │                (forward.rs)        │
//!              └────────────────▶ event ✓ ──────────┴─▶ 200
//!                                   │ try_send: never waits
//!                                   ▼
//!               per-source queue (64) ──▶ feeder task ──▶ engine channel ──▶ store / screen
//! ```
//!
//! The reply never waits for the store or the screen: the event is put on
//! a small per-source queue without waiting, and a feeder task moves it to
//! the engine's channel. If the consumer has fallen so far behind that the
//! queue is full, the delivery is still answered and the loss is counted
//! and reported as a drop.
//!
//! A reply sent before the body is read (404, 405, 413) goes out at once,
//! and the rest of the body is drained in the background, bounded by
//! [`DRAIN_BYTES`] and [`DRAIN_TIMEOUT`], so that a sender that writes its
//! whole body before reading gets the reply rather than a reset
//! (`drain.rs`).
//!
//! Sources that share a `listen` address share one server and are routed
//! by `path` ([`Listeners`]). Redeliveries are recognised by event id: each
//! source remembers the last [`SEEN_IDS`] ids (as 64-bit hashes, so a
//! sender's long ids cannot grow memory) and numbers repeats
//! (`attempt` 2, 3, …).

pub mod config;
mod delivery;
mod drain;
mod forward;
pub mod listen;
pub mod meta;
mod server;
pub mod verify;

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use config::KIND;
pub use server::{Limits, serve};

use super::registry::{SourceKind, Started};
use super::{Backoff, SourceCtx, Status};
use crate::config::{SourceSpec, listen_url};

/// How long a connection may take to send a request's headers (the first
/// request, and each next one on a kept-alive connection): a sender that
/// trickles bytes, or opens a connection and says nothing, is cut off.
pub const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a request's body may take once its headers are in.
pub const BODY_TIMEOUT: Duration = Duration::from_secs(30);
/// At most this much of a refused request's body (413, 404, 405) is read
/// and thrown away after the reply, so that a sender that writes its whole
/// body before reading the answer (Python's urllib, most HTTP libraries)
/// gets to read it instead of a reset; the connection is then kept. A body
/// announced or found to be longer is not drained: the reply goes out with
/// `Connection: close` and the connection is closed, and such a sender may
/// see a reset instead of the reply.
pub const DRAIN_BYTES: usize = 8 << 20;
/// How long the drain of a refused body may take before the connection is
/// closed (a sender that stalls mid-body cannot hold a connection longer).
pub const DRAIN_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections served at once per address; further ones wait, unaccepted,
/// in the operating system's backlog until one ends.
pub const MAX_CONNECTIONS: usize = 64;
/// Delivery ids remembered per source to recognise redeliveries.
pub const SEEN_IDS: usize = 10_000;
/// Deliveries waiting per source between the reply and the engine channel.
pub const QUEUE_EVENTS: usize = 64;
/// How long the app behind `forward_to` may take to answer.
pub const FORWARD_TIMEOUT: Duration = Duration::from_secs(30);
/// Request headers whose values are secrets whatever their name says to
/// [`crate::config::is_sensitive_header`] (which covers these too).
pub const MASKED_HEADERS: &[&str] = &[
    "stripe-signature",
    "x-hub-signature",
    "x-hub-signature-256",
    "webhook-signature",
    "authorization",
    "proxy-authorization",
    "cookie",
];

/// Webhook sources with their contexts: what one server serves.
pub type Routes = Vec<(Arc<SourceSpec>, SourceCtx)>;

/// Webhook sources grouped by `listen` address, in the order added: the
/// engine adds every webhook source, then [`Listeners::spawn`] starts one
/// server per address.
#[derive(Default)]
pub struct Listeners {
    groups: Vec<(SocketAddr, Routes)>,
}

impl Listeners {
    /// Add a webhook source (other kinds are ignored).
    pub fn add(&mut self, spec: Arc<SourceSpec>, ctx: SourceCtx) {
        let SourceKind::Webhook(opts) = &spec.kind else {
            return;
        };
        let addr = opts.listen;
        match self.groups.iter_mut().find(|(a, _)| *a == addr) {
            Some((_, routes)) => routes.push((spec, ctx)),
            None => self.groups.push((addr, vec![(spec, ctx)])),
        }
    }

    /// Start one task per address: bind (retrying while the address is
    /// taken), report each source live, then serve until shutdown.
    pub fn spawn(self) -> Vec<JoinHandle<()>> {
        self.groups
            .into_iter()
            .filter_map(|(addr, routes)| {
                let tasks = routes.first()?.1.tasks.clone();
                Some(tasks.spawn(run(addr, routes)))
            })
            .collect()
    }
}

/// Start the webhook sources: one server per `listen` address.
pub fn start(sources: Started) -> Vec<JoinHandle<()>> {
    let mut listeners = Listeners::default();
    for (spec, ctx) in sources {
        listeners.add(spec, ctx);
    }
    listeners.spawn()
}

/// Bind `addr` (retrying with backoff while that fails, the reason in each
/// source's status), report each source live with the address it got, then
/// serve `routes` on it until shutdown.
pub async fn run(addr: SocketAddr, routes: Routes) {
    let Some(cancel) = routes.first().map(|(_, ctx)| ctx.cancel.clone()) else {
        return;
    };
    let mut backoff = Backoff::default();
    let listener = loop {
        match TcpListener::bind(addr).await {
            Ok(listener) => break listener,
            Err(e) => {
                let delay = backoff.next_delay(tokio::time::Instant::now());
                let reason = format!("cannot listen on {addr}: {e}");
                for (_, ctx) in &routes {
                    let status = Status::Retrying {
                        delay,
                        reason: reason.clone(),
                    };
                    if !ctx.status(status).await {
                        return;
                    }
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(delay) => {}
                }
            }
        }
    };
    let local = listener.local_addr().unwrap_or(addr);
    for (spec, ctx) in &routes {
        if let SourceKind::Webhook(opts) = &spec.kind {
            let status = Status::Live(format!("listening on {}", listen_url(local, &opts.path)));
            if !ctx.status(status).await {
                return;
            }
        }
    }
    serve(listener, routes, Limits::default()).await;
}

/// Request headers as an event records them: names in lower case, values
/// of [`MASKED_HEADERS`] and other credential-bearing names as `***`,
/// configured secrets masked in the rest; repeated headers joined by `, `.
pub fn recorded_headers(headers: &hyper::HeaderMap, secrets: &[String]) -> BTreeMap<String, String> {
    let mut out: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in headers {
        let name = name.as_str();
        let text = if MASKED_HEADERS.contains(&name) || crate::config::is_sensitive_header(name) {
            "***".to_owned()
        } else {
            crate::config::mask_secrets(&String::from_utf8_lossy(value.as_bytes()), secrets).into_owned()
        };
        out.entry(name.to_owned())
            .and_modify(|v| {
                v.push_str(", ");
                v.push_str(&text);
            })
            .or_insert(text);
    }
    out
}
