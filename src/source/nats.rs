//! `kind = "nats"` (SPEC 9.1): a NATS subject as a source, live (a core
//! subscription) or from a JetStream stream (an ordered, ephemeral
//! consumer), on `async-nats`, the NATS maintainers' client.
//!
//! ```text
//! connect ──ok──▶ [core: subscribe SUBJECT]          ─▶ messages ─▶ events
//!    │            [JetStream: stream info ─▶ consumer ─▶ pull   ─▶ events]
//!    │                 ▲  a reconnection, a gap, an error: a new consumer  │
//!    │                 └──── from the last stream sequence received + 1 ◀──┘
//!    └─refused / authorization violation──▶ backoff (≥ 30 s for auth) ─▶ connect
//! ```
//!
//! Once connected, the client reconnects by itself (to any server of
//! `urls` or that the cluster announced), and a core subscription is
//! renewed with it; the status says when it is away and how many times it
//! came back. A JetStream source owns its resume point (see `jetstream`).
//!
//! Bounds: a message is at most the server's `max_payload` (1 MiB by
//! default); one over `max_event_bytes` is dropped, counted and reported
//! without a copy. The client's per-subscription queue holds at most
//! [`SUBSCRIPTION_CAPACITY`] messages: past that a slow core subscriber
//! loses messages, which are reported; a JetStream consumer pulls at most
//! `jetstream::PULL_BATCH` at a time, so it never gets that far behind.
//!
//! The kind's keys are in [`config`], subjects and type pushdown in
//! `subject`, the event metadata in [`meta`].

pub mod config;
#[cfg(test)]
mod config_tests;
mod jetstream;
pub mod meta;
mod subject;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use async_nats::header::NATS_MESSAGE_ID;
use async_nats::{ConnectErrorKind, ConnectOptions, HeaderMap};
use futures_util::StreamExt;
use tokio::time::Instant;

pub use config::{Auth, Format, KIND, NatsOptions, Start, TypeFrom};
pub use meta::NatsMeta;

use super::{AUTH_RETRY_MIN, Backoff, DropKind, SourceCtx, SourceMsg, Status};
use crate::config::SourceSpec;
use crate::event::{Event, Meta, now_millis};
use crate::recording::parse_event;

/// Messages the client queues per subscription before it drops them (the
/// client's default is 65,536: up to 64 GiB of 1 MiB messages).
pub const SUBSCRIPTION_CAPACITY: usize = 1024;
/// How often the live status (pending count) is refreshed at most.
const STATUS_EVERY: Duration = Duration::from_millis(250);
/// Events sent down the channel per batch at most.
const BATCH: usize = 256;
/// How long the first connection may take.
const CONNECT_TIMEOUT: Duration = super::http::CONNECT_TIMEOUT;
/// Longest wait between the client's own reconnection attempts.
const RECONNECT_MAX: Duration = Duration::from_secs(5);

/// Run a NATS source until shutdown.
pub async fn run(spec: Arc<SourceSpec>, opts: NatsOptions, ctx: SourceCtx) {
    let mut backoff = Backoff::default();
    loop {
        if !ctx.status(Status::Connecting).await {
            return;
        }
        let link = Arc::new(Link::default());
        let connected = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            c = connect(&opts, &ctx.tls, link.clone()) => c,
        };
        let (delay, reason) = match connected {
            Ok(client) => {
                let since = Instant::now();
                let source = Source {
                    spec: &spec,
                    opts: &opts,
                    ctx: &ctx,
                    link,
                    fixed: subject::fixed_tokens(&opts.subject),
                };
                let ended = source.session(&client).await;
                // Best effort and bounded: the client's buffers go now.
                let _ = tokio::time::timeout(Duration::from_millis(500), client.flush()).await;
                drop(client);
                match ended {
                    None => return,
                    Some(reason) => {
                        backoff.reset(since);
                        (backoff.next_delay(Instant::now()), reason)
                    }
                }
            }
            Err((reason, auth)) => {
                let delay = backoff.next_delay(Instant::now());
                (if auth { delay.max(AUTH_RETRY_MIN) } else { delay }, reason)
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

/// What the client's event callback tells the source task.
#[derive(Default)]
struct Link {
    /// Connected now (false between a disconnection and the reconnection).
    up: AtomicBool,
    /// Bumped at every (re)connection: a JetStream source makes a new
    /// consumer when it changes.
    connections: AtomicU64,
    /// Messages the client dropped because a subscription's queue was full.
    slow: AtomicU64,
    /// The last error the server or client reported, for the status.
    error: std::sync::Mutex<Option<String>>,
    /// The next reconnection delay the client will use, for the status.
    delay_ms: AtomicU64,
    /// Woken at every event.
    changed: tokio::sync::Notify,
}

/// Connect to the first server of `urls` that answers. A connection error
/// in words, and whether the server refused our credentials. TLS (a
/// `tls://` URL, or a server that asks for it) gets evtop's checks:
/// `--cacert`, `--insecure` ([`super::tls::client_config`]).
async fn connect(
    opts: &NatsOptions,
    tls: &crate::config::Tls,
    link: Arc<Link>,
) -> Result<async_nats::Client, (String, bool)> {
    let mut options = match &opts.auth {
        Auth::None => ConnectOptions::new(),
        Auth::Token(t) => ConnectOptions::with_token(t.clone()),
        Auth::UserPassword(u, p) => ConnectOptions::with_user_and_password(u.clone(), p.clone()),
        Auth::Credentials(path) => ConnectOptions::with_credentials_file(path)
            .await
            .map_err(|e| (format!("cannot read credentials {}: {e}", path.display()), true))?,
    };
    let config = super::tls::client_config(tls).map_err(|e| (e.to_string(), false))?;
    if opts
        .urls
        .iter()
        .any(|u| u.get(..6).is_some_and(|s| s.eq_ignore_ascii_case("tls://")))
    {
        options = options.require_tls(true);
    }
    options = options.tls_client_config((*config).clone());
    let on_event = link.clone();
    let on_delay = link.clone();
    options = options
        .name("evtop")
        .connection_timeout(CONNECT_TIMEOUT)
        .subscription_capacity(SUBSCRIPTION_CAPACITY)
        .reconnect_delay_callback(move |attempts| {
            let delay = reconnect_delay(attempts);
            on_delay
                .delay_ms
                .store(delay.as_millis() as u64, Ordering::Relaxed);
            delay
        })
        .event_callback(move |event| {
            let link = on_event.clone();
            async move { link.observe(event) }
        });
    let addrs: Vec<async_nats::ServerAddr> = opts.urls.iter().filter_map(|u| u.parse().ok()).collect();
    match options.connect(addrs.as_slice()).await {
        Ok(client) => {
            link.up.store(true, Ordering::Relaxed);
            Ok(client)
        }
        Err(e) => Err(connect_error(&e)),
    }
}

/// The delay before the client's `attempts`-th reconnection: quick at
/// first (a server restart), then up to [`RECONNECT_MAX`].
fn reconnect_delay(attempts: usize) -> Duration {
    match attempts {
        0 | 1 => Duration::ZERO,
        n => Duration::from_millis(100u64.saturating_mul(1 << (n - 2).min(6))).min(RECONNECT_MAX),
    }
}

/// A failed first connection in words.
fn connect_error(e: &async_nats::ConnectError) -> (String, bool) {
    if let Some(words) = super::tls::certificate_problem(e) {
        return (format!("cannot connect: {words}"), false);
    }
    let kind = e.kind();
    let text = e.to_string();
    let reason = match kind {
        ConnectErrorKind::AuthorizationViolation => "authorization violation".to_owned(),
        ConnectErrorKind::Authentication => format!("authentication failed: {text}"),
        ConnectErrorKind::TimedOut => "timed out connecting".to_owned(),
        ConnectErrorKind::Io if text.to_lowercase().contains("refused") => "connection refused".to_owned(),
        _ => format!("cannot connect: {text}"),
    };
    let auth = matches!(
        kind,
        ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication
    );
    (reason, auth)
}

impl Link {
    fn observe(&self, event: async_nats::Event) {
        use async_nats::Event as E;
        match event {
            E::Connected => {
                self.up.store(true, Ordering::Relaxed);
                self.connections.fetch_add(1, Ordering::Relaxed);
                *self.error.lock().unwrap_or_else(|p| p.into_inner()) = None;
            }
            E::Disconnected => self.up.store(false, Ordering::Relaxed),
            E::SlowConsumer(_) => {
                self.slow.fetch_add(1, Ordering::Relaxed);
            }
            E::ServerError(async_nats::ServerError::AuthorizationViolation) => {
                self.set_error("authorization violation".into());
            }
            E::ServerError(e) => self.set_error(format!("server error: {e}")),
            E::ClientError(e) => self.set_error(e.to_string()),
            E::LameDuckMode => self.set_error("server entering lame duck mode".into()),
            E::Draining | E::Closed => {}
        }
        self.changed.notify_one();
    }

    fn set_error(&self, text: String) {
        *self.error.lock().unwrap_or_else(|p| p.into_inner()) = Some(text);
    }

    fn error(&self) -> Option<String> {
        self.error.lock().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

/// One connected source.
struct Source<'a> {
    spec: &'a SourceSpec,
    opts: &'a NatsOptions,
    ctx: &'a SourceCtx,
    link: Arc<Link>,
    /// The configured subject's fixed leading tokens (for the type).
    fixed: Option<usize>,
}

/// What one message became.
enum Built {
    Event(Event),
    Dropped(DropKind, String),
}

impl Source<'_> {
    /// Run on a connected client until shutdown (`None`) or until the
    /// source must start over (the reason).
    async fn session(&self, client: &async_nats::Client) -> Option<String> {
        match &self.opts.stream {
            Some(stream) => jetstream::run(self, client, stream).await,
            None => self.core(client).await,
        }
    }

    /// The subject filters when the initial filter's `type:` terms narrow
    /// the configured subject (`subject::pushdown`); `None`: the subject.
    fn pushdown(&self) -> Option<Vec<String>> {
        if self.opts.type_from != TypeFrom::Subject || self.opts.format != Format::Json {
            return None;
        }
        let types = self.ctx.filter.required_types()?;
        subject::pushdown(&self.opts.subject, &types)
    }

    /// A core subscription (one per pushed-down subject): live messages
    /// only, renewed by the client after every reconnection.
    async fn core(&self, client: &async_nats::Client) -> Option<String> {
        let pushed = self.pushdown();
        let subjects = pushed.clone().unwrap_or_else(|| vec![self.opts.subject.clone()]);
        let mut subs = Vec::with_capacity(subjects.len());
        for s in &subjects {
            match client.subscribe(s.clone()).await {
                Ok(sub) => subs.push(sub),
                Err(e) => return Some(format!("cannot subscribe to {s}: {e}")),
            }
        }
        let mut sub = futures_util::stream::select_all(subs);
        let what = match pushed {
            Some(_) => format!(
                "core subscription {} (pushed down from type filter)",
                subjects.join(", ")
            ),
            None => format!("core subscription {}", self.opts.subject),
        };
        let mut status = StatusLine::new(what);
        let mut tick = tokio::time::interval(STATUS_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut batch = Vec::new();
        loop {
            let msg = tokio::select! {
                _ = self.ctx.cancel.cancelled() => return None,
                m = sub.next() => m,
                _ = tick.tick() => {
                    if !status.refresh(self, client, None).await {
                        return None;
                    }
                    continue;
                }
                _ = self.link.changed.notified() => {
                    if !status.refresh(self, client, None).await {
                        return None;
                    }
                    continue;
                }
            };
            let Some(first) = msg else {
                return Some("subscription closed by the client".into());
            };
            // Take what else is ready now, up to a batch.
            let mut next = Some(first);
            while let Some(m) = next.take() {
                let built = self.build(m.subject.as_str(), m.headers.as_ref(), &m.payload, None, None);
                if !self.take(built, &mut batch).await {
                    return None;
                }
                if batch.len() < BATCH {
                    next = futures_util::FutureExt::now_or_never(sub.next()).flatten();
                }
            }
            if !self.flush(&mut batch).await {
                return None;
            }
        }
    }

    /// An event from a message: `seq` and `published` (unix ms) from a
    /// JetStream stream.
    fn build(
        &self,
        msg_subject: &str,
        headers: Option<&HeaderMap>,
        payload: &[u8],
        seq: Option<u64>,
        published: Option<i64>,
    ) -> Built {
        let max = self.ctx.max_event_bytes;
        let at = match seq {
            Some(s) => format!("{msg_subject} (seq {s})"),
            None => msg_subject.to_owned(),
        };
        if payload.len() > max {
            return Built::Dropped(
                DropKind::Oversize,
                format!(
                    "message of {} bytes on {at} skipped: over max_event_bytes = {max}",
                    payload.len()
                ),
            );
        }
        let Ok(text) = std::str::from_utf8(payload) else {
            return Built::Dropped(
                DropKind::Unparsable,
                format!("message of {} bytes on {at} is not UTF-8 text", payload.len()),
            );
        };
        let received = now_millis();
        if self.opts.format == Format::Evtop {
            let mut origin = String::new();
            let parsed = parse_event(text, |name| {
                origin = name.to_owned();
                self.ctx.id
            });
            return match parsed {
                Ok(mut ev) => {
                    let inner = ev.meta.take().map(|m| *m);
                    let meta = NatsMeta::relayed(msg_subject.to_owned(), seq, origin, inner);
                    ev.meta = Some(Box::new(Meta::Nats(meta)));
                    Built::Event(ev)
                }
                Err(reason) => Built::Dropped(DropKind::Unparsable, format!("message on {at}: {reason}")),
            };
        }
        let header_id = headers
            .and_then(|h| h.get(NATS_MESSAGE_ID))
            .map(|v| v.as_str().to_owned())
            .filter(|id| !id.is_empty());
        // From the subject; with `type_from = "pointer"` the pointer's
        // value replaces it, and it stays when the pointer finds nothing.
        let ty = subject::type_of(self.fixed, msg_subject);
        let transport_id = seq.map(|s| s.to_string());
        let mut ev = self
            .spec
            .pointers
            .build(self.ctx.id, transport_id, ty, text.to_owned(), received);
        if header_id.is_some() {
            ev.id = header_id;
        }
        if ev.time.is_none() {
            ev.time = published;
        }
        ev.meta = Some(Box::new(Meta::Nats(NatsMeta::new(msg_subject.to_owned(), seq))));
        Built::Event(ev)
    }

    /// Queue an event (sending a full batch), or report a drop. False when
    /// nobody listens any more.
    async fn take(&self, built: Built, batch: &mut Vec<Event>) -> bool {
        match built {
            Built::Event(ev) => {
                batch.push(ev);
                batch.len() < BATCH || self.flush(batch).await
            }
            Built::Dropped(kind, detail) => self.flush(batch).await && self.ctx.dropped(kind, detail).await,
        }
    }

    /// Send the queued events.
    async fn flush(&self, batch: &mut Vec<Event>) -> bool {
        if batch.is_empty() {
            return true;
        }
        let events = std::mem::take(batch);
        let msg = SourceMsg::Events {
            source: self.ctx.id,
            events,
            cursor: None,
        };
        self.ctx.tx.send(msg).await.is_ok()
    }
}

/// The live status, sent when it changed and at most every
/// [`STATUS_EVERY`]; or, while the client is away, why and when it tries
/// again.
struct StatusLine {
    /// What this source does (`stream "ORDERS", subjects orders.>`).
    what: String,
    last: Option<Status>,
    slow_seen: u64,
}

impl StatusLine {
    fn new(what: String) -> Self {
        StatusLine {
            what,
            last: None,
            slow_seen: 0,
        }
    }

    /// Send the status if it changed; report messages the client dropped.
    /// `pending`: how far behind the stream the consumer is.
    async fn refresh(
        &mut self,
        source: &Source<'_>,
        client: &async_nats::Client,
        pending: Option<u64>,
    ) -> bool {
        let link = &source.link;
        let slow = link.slow.load(Ordering::Relaxed);
        if slow > self.slow_seen {
            let detail = format!(
                "the NATS client dropped messages: more than {SUBSCRIPTION_CAPACITY} waiting \
                 ({} time(s) so far)",
                slow
            );
            self.slow_seen = slow;
            if !source.ctx.dropped(DropKind::Overflow, detail).await {
                return false;
            }
        }
        let status = if link.up.load(Ordering::Relaxed) {
            Status::Live(self.live_text(client, pending))
        } else {
            let why = link.error().unwrap_or_else(|| "disconnected".into());
            Status::Retrying {
                delay: Duration::from_millis(link.delay_ms.load(Ordering::Relaxed)),
                reason: format!("{why} (the client reconnects by itself)"),
            }
        };
        if self.last.as_ref() == Some(&status) {
            return true;
        }
        self.last = Some(status.clone());
        source.ctx.status(status).await
    }

    fn live_text(&self, client: &async_nats::Client, pending: Option<u64>) -> String {
        let info = client.server_info();
        let mut text = format!("{}:{}", info.host, info.port);
        if !info.server_name.is_empty() && info.server_name != info.server_id {
            text.push_str(&format!(" ({})", info.server_name));
        }
        text.push_str(", ");
        text.push_str(&self.what);
        if let Some(p) = pending {
            text.push_str(&format!(", {p} pending"));
        }
        let reconnections = client
            .statistics()
            .connects
            .load(Ordering::Relaxed)
            .saturating_sub(1);
        match reconnections {
            0 => {}
            1 => text.push_str(", 1 reconnection"),
            n => text.push_str(&format!(", {n} reconnections")),
        }
        text
    }
}
