//! `kind = "websocket"` (SPEC 8.1) and GraphQL subscriptions over it
//! (`protocol = "graphql-ws"`, SPEC 8.2), on `tokio-tungstenite`.
//!
//! ```text
//! connect ──101──▶ [graphql: connection_init ─▶ connection_ack, subscribe × N]
//!    ▲             [plain: subscribe frames]  ─▶ frames ──close / error / idle──┐
//!    │  └─401/403/404 (or close 4401/4403)──▶ wait ≥ 30 s ──────────────────────┤
//!    │  └─other status / network error / oversize message ──▶ backoff ─────────┤
//!    └──────────────────────────────────────────────────────────────────────────┘
//! ```
//!
//! The wait between connections is SSE's: jittered backoff from 1 s to
//! 30 s, started over once a connection stayed up [`STABLE_AFTER`](super::STABLE_AFTER). A text
//! frame is one event (plain); a binary frame that is UTF-8 is text, any
//! other is dropped and reported. The size bound is tungstenite's own
//! `max_message_size`/`max_frame_size`, checked on each frame's header, so a
//! message over `max_event_bytes` is refused before it is read whole; the
//! protocol cannot skip it, so the source reconnects.
//!
//! The kind's config keys are in [`config`], the GraphQL messages in
//! `graphql`, `wss://` uses the shared [`super::tls::client_config`].

pub mod config;
#[cfg(test)]
mod config_tests;
mod graphql;
mod status;

use std::sync::Arc;
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use reqwest::header::{HeaderValue, SEC_WEBSOCKET_PROTOCOL};
use tokio::net::TcpStream;
use tokio::time::Instant;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::{Error as WsError, Message, error::CapacityError};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

pub use config::{GraphqlOptions, KIND, Protocol, WebSocketOptions, check_url};

use super::{AUTH_RETRY_MIN, Backoff, DropKind, SourceCtx, SourceMsg, Status, base_headers, fmt_duration};
use crate::config::SourceSpec;
use crate::event::now_millis;
use graphql::ServerMsg;
use status::{close_text, upgrade_failure};

type Ws = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// How long the upgrade (and GraphQL's `connection_ack`) may take.
const HANDSHAKE_TIMEOUT: Duration = super::http::CONNECT_TIMEOUT;

/// How one connection ended.
enum Outcome {
    /// evtop is shutting down (or nobody reads events any more).
    Cancelled,
    /// The connection was up and ended; `auth`: the server refused us
    /// (close 4401/4403), so wait at least [`AUTH_RETRY_MIN`].
    Ended {
        reason: String,
        up_for: Duration,
        auth: bool,
    },
    /// The upgrade failed with an HTTP status.
    Http {
        status: u16,
        retry_after: Option<Duration>,
        reason: String,
    },
    /// Could not connect.
    Failed(String),
}

/// Run a WebSocket source until shutdown.
pub async fn run(spec: Arc<SourceSpec>, opts: WebSocketOptions, ctx: SourceCtx) {
    let mut backoff = Backoff::default();
    let setup = base_headers(&spec, &[]).and_then(|headers| {
        let connector = if spec.url.starts_with("wss:") {
            Some(tokio_tungstenite::Connector::Rustls(super::tls::client_config(
                &ctx.tls,
            )?))
        } else {
            None
        };
        Ok((headers, connector))
    });
    let (headers, connector) = match setup {
        Ok(s) => s,
        Err(e) => {
            ctx.status(Status::Closed(e.to_string())).await;
            return;
        }
    };
    let conn = Conn {
        spec: &spec,
        opts: &opts,
        ctx: &ctx,
    };
    loop {
        if !ctx.status(Status::Connecting).await {
            return;
        }
        let outcome = tokio::select! {
            _ = ctx.cancel.cancelled() => Outcome::Cancelled,
            o = conn.run_once(&headers, connector.clone()) => o,
        };
        let (delay, reason) = match outcome {
            Outcome::Cancelled => return,
            Outcome::Ended { reason, up_for, auth } => {
                let now = Instant::now();
                backoff.reset(now.checked_sub(up_for).unwrap_or(now));
                let delay = backoff.next_delay(now);
                (if auth { delay.max(AUTH_RETRY_MIN) } else { delay }, reason)
            }
            Outcome::Http {
                status,
                retry_after,
                reason,
            } => (backoff.after_status(status, retry_after, Instant::now()), reason),
            Outcome::Failed(reason) => (backoff.next_delay(Instant::now()), reason),
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

/// One source's connections.
struct Conn<'a> {
    spec: &'a SourceSpec,
    opts: &'a WebSocketOptions,
    ctx: &'a SourceCtx,
}

impl Conn<'_> {
    async fn run_once(
        &self,
        headers: &reqwest::header::HeaderMap,
        connector: Option<tokio_tungstenite::Connector>,
    ) -> Outcome {
        let mut request = match self.spec.url.as_str().into_client_request() {
            Ok(r) => r,
            Err(e) => return Outcome::Failed(format!("invalid URL: {e}")),
        };
        request.headers_mut().extend(headers.clone());
        if let Protocol::GraphqlWs(_) = self.opts.protocol {
            request.headers_mut().insert(
                SEC_WEBSOCKET_PROTOCOL,
                HeaderValue::from_static(graphql::SUBPROTOCOL),
            );
        }
        let max = self.ctx.max_event_bytes;
        let config = WebSocketConfig::default()
            .max_message_size(Some(max))
            .max_frame_size(Some(max));
        let connect =
            tokio_tungstenite::connect_async_tls_with_config(request, Some(config), true, connector);
        let mut ws = match tokio::time::timeout(HANDSHAKE_TIMEOUT, connect).await {
            Err(_) => return Outcome::Failed("timed out: no answer to the upgrade".into()),
            Ok(Err(e)) => return upgrade_failure(e),
            Ok(Ok((ws, _response))) => ws,
        };
        let started = Instant::now();
        let ended = |reason: String, auth: bool| Outcome::Ended {
            reason,
            up_for: started.elapsed(),
            auth,
        };
        let live = match &self.opts.protocol {
            Protocol::Plain => {
                for frame in &self.opts.subscribe {
                    if let Err(e) = ws.send(Message::text(frame.clone())).await {
                        return ended(format!("connection lost sending a subscribe frame: {e}"), false);
                    }
                }
                match self.opts.subscribe.len() {
                    0 => "websocket".to_owned(),
                    1 => "websocket, 1 subscribe frame sent".to_owned(),
                    n => format!("websocket, {n} subscribe frames sent"),
                }
            }
            Protocol::GraphqlWs(g) => {
                if let Err(outcome) = self.graphql_start(&mut ws, g, &ended).await {
                    return outcome;
                }
                match g.queries.len() {
                    1 => "graphql-ws, 1 subscription".to_owned(),
                    n => format!("graphql-ws, {n} subscriptions"),
                }
            }
        };
        if !self.ctx.status(Status::Live(live.clone())).await {
            return Outcome::Cancelled;
        }
        self.frames(&mut ws, &live, &ended).await
    }

    /// `connection_init`, wait for `connection_ack`, then one `subscribe`
    /// per query.
    async fn graphql_start(
        &self,
        ws: &mut Ws,
        g: &GraphqlOptions,
        ended: &(dyn Fn(String, bool) -> Outcome + Sync),
    ) -> Result<(), Outcome> {
        let lost = |e: WsError| ended(format!("connection lost: {e}"), false);
        ws.send(Message::text(graphql::connection_init(g)))
            .await
            .map_err(lost)?;
        let deadline = Instant::now() + HANDSHAKE_TIMEOUT;
        loop {
            let msg = match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => {
                    return Err(ended(
                        format!("no connection_ack within {}", fmt_duration(HANDSHAKE_TIMEOUT)),
                        false,
                    ));
                }
                Ok(None) => return Err(ended("connection closed before connection_ack".into(), false)),
                Ok(Some(Err(e))) => return Err(lost(e)),
                Ok(Some(Ok(m))) => m,
            };
            match msg {
                Message::Close(frame) => {
                    let (reason, auth) = close_text(frame.as_ref());
                    return Err(ended(reason, auth));
                }
                Message::Text(t) => match graphql::decode(t.as_str()) {
                    ServerMsg::ConnectionAck => break,
                    ServerMsg::Ping => ws.send(Message::text(graphql::pong())).await.map_err(lost)?,
                    _ => {}
                },
                _ => {}
            }
        }
        for i in 0..g.queries.len() {
            ws.send(Message::text(graphql::subscribe(g, i)))
                .await
                .map_err(lost)?;
        }
        Ok(())
    }

    /// Read frames until the connection ends.
    async fn frames(
        &self,
        ws: &mut Ws,
        live: &str,
        ended: &(dyn Fn(String, bool) -> Outcome + Sync),
    ) -> Outcome {
        let mut pinger = self
            .opts
            .ping
            .map(|p| tokio::time::interval_at(Instant::now() + p, p));
        let mut last_frame = Instant::now();
        let mut notes: Vec<String> = Vec::new();
        loop {
            let idle_at = self.opts.idle_timeout.map(|d| last_frame + d);
            let msg = tokio::select! {
                biased;
                m = ws.next() => m,
                _ = tick(&mut pinger) => {
                    let ping = match self.opts.protocol {
                        Protocol::Plain => Message::Ping(Default::default()),
                        Protocol::GraphqlWs(_) => Message::text(graphql::ping()),
                    };
                    if let Err(e) = ws.send(ping).await {
                        return ended(format!("connection lost: {e}"), false);
                    }
                    continue;
                }
                _ = sleep_until(idle_at) => {
                    let idle = self.opts.idle_timeout.unwrap_or_default();
                    return ended(format!("nothing received for {} (pong included)", fmt_duration(idle)), false);
                }
            };
            last_frame = Instant::now();
            let text = match msg {
                None => return ended("connection closed without a close frame".into(), false),
                Some(Err(WsError::Capacity(CapacityError::MessageTooLong { size, max_size }))) => {
                    let detail = format!(
                        "message of {size} bytes refused: over max_event_bytes = {max_size}; reconnecting \
                         (a WebSocket message cannot be skipped)"
                    );
                    if !self.ctx.dropped(DropKind::Oversize, detail).await {
                        return Outcome::Cancelled;
                    }
                    return ended(
                        format!("message over max_event_bytes = {max_size} refused"),
                        false,
                    );
                }
                Some(Err(e)) => return ended(format!("connection lost: {e}"), false),
                Some(Ok(Message::Close(frame))) => {
                    let (reason, auth) = close_text(frame.as_ref());
                    return ended(reason, auth);
                }
                Some(Ok(Message::Text(t))) => t.as_str().to_owned(),
                Some(Ok(Message::Binary(b))) => match String::from_utf8(b.to_vec()) {
                    Ok(t) => t,
                    Err(_) => {
                        let detail = format!("binary frame of {} bytes is not UTF-8 text", b.len());
                        if !self.ctx.dropped(DropKind::Unparsable, detail).await {
                            return Outcome::Cancelled;
                        }
                        continue;
                    }
                },
                Some(Ok(_)) => continue, // ping (answered by tungstenite), pong
            };
            let sent = match &self.opts.protocol {
                Protocol::Plain => self.event(None, "message".into(), text).await,
                Protocol::GraphqlWs(g) => match graphql::decode(&text) {
                    ServerMsg::Next { id, payload, root } => {
                        let ty = root.unwrap_or_else(|| label(g, &id));
                        self.event(None, ty, payload).await
                    }
                    ServerMsg::Ping => {
                        if let Err(e) = ws.send(Message::text(graphql::pong())).await {
                            return ended(format!("connection lost: {e}"), false);
                        }
                        true
                    }
                    ServerMsg::Error { id, message } => {
                        self.note(live, &mut notes, format!("{}: error: {message}", label(g, &id)))
                            .await
                    }
                    ServerMsg::Complete { id } => {
                        self.note(
                            live,
                            &mut notes,
                            format!("{}: completed by server", label(g, &id)),
                        )
                        .await
                    }
                    ServerMsg::Unexpected(what) => self.note(live, &mut notes, what).await,
                    ServerMsg::ConnectionAck | ServerMsg::Pong => true,
                },
            };
            if !sent {
                return Outcome::Cancelled;
            }
        }
    }

    /// Send one event.
    async fn event(&self, id: Option<String>, ty: String, data: String) -> bool {
        let event = self.spec.pointers.build(self.ctx.id, id, ty, data, now_millis());
        let msg = SourceMsg::Events {
            source: self.ctx.id,
            events: vec![event],
            cursor: None,
        };
        self.ctx.tx.send(msg).await.is_ok()
    }

    /// Add a note (a subscription's error or end) to the live status.
    async fn note(&self, live: &str, notes: &mut Vec<String>, note: String) -> bool {
        notes.push(note);
        let keep = notes.len().saturating_sub(3);
        notes.drain(..keep);
        self.ctx
            .status(Status::Live(format!("{live}; {}", notes.join("; "))))
            .await
    }
}

/// How a subscription is named in the status: its root field as the query
/// text has it (`orderPlaced`), else `subscription N`.
fn label(g: &GraphqlOptions, id: &str) -> String {
    let query = id
        .parse::<usize>()
        .ok()
        .and_then(|n| g.queries.get(n.wrapping_sub(1)));
    let field = query.and_then(|q| {
        let after = &q[q.find('{')? + 1..];
        let name: String = after
            .trim_start()
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        (!name.is_empty()).then_some(name)
    });
    match field {
        Some(f) => format!("subscription {f}"),
        None => format!("subscription {id}"),
    }
}

async fn tick(pinger: &mut Option<tokio::time::Interval>) {
    match pinger {
        Some(p) => {
            p.tick().await;
        }
        None => std::future::pending().await,
    }
}

async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subscriptions_are_named_by_their_root_field() {
        let g = GraphqlOptions {
            queries: vec![
                "subscription OnOrder($shop: ID!) { orderPlaced(shop: $shop) { id } }".into(),
                "subscription{refund{id}}".into(),
            ],
            variables: None,
            init_payload: None,
        };
        assert_eq!(label(&g, "1"), "subscription orderPlaced");
        assert_eq!(label(&g, "2"), "subscription refund");
        assert_eq!(label(&g, "9"), "subscription 9");
    }
}
