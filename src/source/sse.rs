//! The SSE source: one long-lived `GET` per connection, parsed incrementally,
//! reconnected after every end or error exactly as SPEC 3.1 says.
//!
//! ```text
//! connect ──200 text/event-stream──▶ stream ──end / error / idle──┐
//!    ▲  └─204──▶ closed (stop)                                    │
//!    │  └─401/403/404──▶ wait ≥ 30 s ─────────────────────────────┤
//!    │  └─429/5xx──▶ wait Retry-After, else retry:/backoff ───────┤
//!    │  └─other / wrong content type / network error ──▶ backoff ─┤
//!    └────────────────────────────────────────────────────────────┘
//! ```
//!
//! The wait after an ordinary end is the server's `retry:` (clamped to
//! 100 ms – 60 s) when it sent one, else jittered exponential backoff that
//! starts over only once a connection has stayed up for [`STABLE_AFTER`].
//! `Last-Event-ID` carries the last event ID string (WHATWG), which an
//! id-only block updates too; it is sent only when non-empty.
//!
//! In Streamdata mode (`patch = true`) the store applies `data` and `patch`
//! events; when a patch fails it fires `ctx.resync`, and this task drops the
//! connection and reconnects *without* `Last-Event-ID`, so the server sends
//! a fresh snapshot instead of resuming after the bad patch.

mod config;
pub mod parser;

pub use config::KIND;

use std::sync::Arc;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{ACCEPT, CACHE_CONTROL, CONTENT_TYPE, HeaderMap, HeaderValue};
use tokio::time::Instant;

use super::http::TransportError;
use super::{
    Backoff, DropKind, SERVER_RETRY_MAX, SERVER_RETRY_MIN, SourceCtx, SourceMsg, Status, base_headers,
    http_failure,
};
use crate::config::{SourceSpec, SseOptions};
use crate::event::now_millis;
use parser::{Item, Parser};

/// How one connection ended, and so how long to wait before the next.
enum Outcome {
    /// evtop is shutting down (or nobody reads events any more).
    Cancelled,
    /// HTTP 204: the server wants us to stop.
    Stop,
    /// The stream was up and ended (closed, error, idle, resync).
    Ended {
        reason: String,
        up_for: Duration,
        resync: bool,
    },
    /// Could not connect, an HTTP error status, or connected to something
    /// that is not SSE.
    Failed(TransportError),
}

/// Run an SSE source until shutdown or HTTP 204.
pub async fn run(spec: Arc<SourceSpec>, opts: SseOptions, ctx: SourceCtx) {
    let mut conn = Connection {
        last_event_id: String::new(),
        server_retry: None,
    };
    let mut backoff = Backoff::default();
    let defaults = [(ACCEPT, "text/event-stream"), (CACHE_CONTROL, "no-cache")];
    let headers = match base_headers(&spec, &defaults) {
        Ok(h) => h,
        Err(e) => {
            ctx.status(Status::Closed(e.to_string())).await;
            return;
        }
    };
    loop {
        if !ctx.status(Status::Connecting).await {
            return;
        }
        let outcome = tokio::select! {
            _ = ctx.cancel.cancelled() => Outcome::Cancelled,
            o = conn.run_once(&spec, &opts, &headers, &ctx) => o,
        };
        let (delay, reason) = match outcome {
            Outcome::Cancelled => return,
            Outcome::Stop => {
                ctx.status(Status::Closed("closed by server (HTTP 204)".into()))
                    .await;
                return;
            }
            Outcome::Ended {
                reason,
                up_for,
                resync,
            } => {
                let now = Instant::now();
                backoff.reset(now.checked_sub(up_for).unwrap_or(now));
                if resync {
                    conn.last_event_id.clear();
                }
                (
                    conn.server_retry
                        .unwrap_or_else(|| backoff.next_delay(Instant::now())),
                    reason,
                )
            }
            Outcome::Failed(e) => {
                let now = Instant::now();
                let delay = match e.status() {
                    Some(status) => {
                        backoff.after_status(status.as_u16(), e.retry_after().or(conn.server_retry), now)
                    }
                    None => conn.server_retry.unwrap_or_else(|| backoff.next_delay(now)),
                };
                (delay, e.to_string())
            }
        };
        if !ctx.status(Status::Retrying { delay, reason }).await {
            return;
        }
        tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

/// What outlives one connection.
struct Connection {
    /// WHATWG's last event ID string.
    last_event_id: String,
    /// The server's `retry:`, clamped.
    server_retry: Option<Duration>,
}

impl Connection {
    async fn run_once(
        &mut self,
        spec: &SourceSpec,
        opts: &SseOptions,
        headers: &HeaderMap,
        ctx: &SourceCtx,
    ) -> Outcome {
        let mut req = ctx.client.get(&spec.url).headers(headers.clone());
        if !self.last_event_id.is_empty() {
            if let Ok(v) = HeaderValue::from_str(&self.last_event_id) {
                req = req.header("Last-Event-ID", v);
            }
        }
        let resp = match req.send().await {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(e.into()),
        };
        let status = resp.status();
        if status == StatusCode::NO_CONTENT {
            return Outcome::Stop;
        }
        if !status.is_success() {
            return Outcome::Failed(http_failure(resp).await);
        }
        let content_type = resp
            .headers()
            .get(CONTENT_TYPE)
            .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
            .unwrap_or_default();
        let essence = content_type
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase();
        if essence != "text/event-stream" {
            let got = if content_type.is_empty() {
                "no content type".to_owned()
            } else {
                content_type
            };
            // JSON is the usual mistake: an API endpoint, not a stream.
            let hint = if essence == "application/json" || essence.ends_with("+json") {
                "; it is not an SSE stream: if it lists events, try --poll URL; \
                 if it is one resource, try --diff URL"
            } else {
                ""
            };
            return Outcome::Failed(TransportError::ContentType {
                status: status.as_u16(),
                content_type: got,
                expected: "text/event-stream",
                hint,
            });
        }
        if !ctx
            .status(Status::Live(format!("HTTP {}", status.as_u16())))
            .await
        {
            return Outcome::Cancelled;
        }
        self.stream(resp, spec, opts, ctx).await
    }

    async fn stream(
        &mut self,
        resp: reqwest::Response,
        spec: &SourceSpec,
        opts: &SseOptions,
        ctx: &SourceCtx,
    ) -> Outcome {
        let started = Instant::now();
        let mut body = resp.bytes_stream();
        let mut parser = Parser::new(ctx.max_event_bytes);
        let mut items = Vec::new();
        let ended = |reason: String, resync: bool| Outcome::Ended {
            reason,
            up_for: started.elapsed(),
            resync,
        };
        loop {
            let idle = opts.idle_timeout.unwrap_or(Duration::MAX);
            let next = tokio::select! {
                biased;
                _ = ctx.resync.notified() => {
                    return ended("state out of sync, reconnecting for a fresh snapshot".into(), true);
                }
                r = tokio::time::timeout(idle, body.next()) => r,
            };
            let chunk = match next {
                Err(_) => {
                    return ended(
                        format!("nothing received for {}", super::fmt_duration(idle)),
                        false,
                    );
                }
                Ok(None) => return ended("connection closed by server".into(), false),
                Ok(Some(Err(e))) => return ended(TransportError::from(e).to_string(), false),
                Ok(Some(Ok(chunk))) => chunk,
            };
            parser.feed(&chunk, &mut items);
            if items.is_empty() {
                continue;
            }
            let received = now_millis();
            let mut events = Vec::with_capacity(items.len());
            for item in items.drain(..) {
                match item {
                    Item::Event(e) => {
                        events.push(spec.pointers.build(ctx.id, e.id, e.event_type, e.data, received))
                    }
                    Item::Retry(ms) => {
                        self.server_retry =
                            Some(Duration::from_millis(ms).clamp(SERVER_RETRY_MIN, SERVER_RETRY_MAX));
                    }
                    Item::Oversize { bytes } => {
                        let detail = format!(
                            "event of {bytes} bytes skipped: over max_event_bytes = {}",
                            ctx.max_event_bytes
                        );
                        if !ctx.dropped(DropKind::Oversize, detail).await {
                            return Outcome::Cancelled;
                        }
                    }
                }
            }
            let cursor = match parser.last_event_id() {
                Some(id) if id != self.last_event_id => {
                    self.last_event_id = id.to_owned();
                    Some(ctx.mask(id))
                }
                _ => None,
            };
            if events.is_empty() && cursor.is_none() {
                continue;
            }
            let msg = SourceMsg::Events {
                source: ctx.id,
                events,
                cursor,
            };
            if ctx.tx.send(msg).await.is_err() {
                return Outcome::Cancelled;
            }
        }
    }
}
