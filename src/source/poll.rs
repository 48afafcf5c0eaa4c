//! Polling sources (SPEC 3.3, 3.4): an HTTP endpoint asked again and again.
//!
//! ```text
//!  ┌─▶ GET url (+ limit=, cursor_param=, If-None-Match)
//!  │     ├─ 2xx ─▶ events: the page's new events, oldest first; next page while has_more
//!  │     │         diff:   `data` snapshot, or a `patch`, or nothing
//!  │     ├─ 304 ─▶ quiet poll
//!  │     ├─ 401/403/404 ─▶ status shows it; wait at least 30 s
//!  │     ├─ 429/5xx ─▶ wait Retry-After, else backoff
//!  │     └─ network error ─▶ backoff with jitter
//!  └── wait: never shorter than interval or X-Poll-Interval
//! ```
//!
//! - **events** mode ([`events`]): the first poll is the backlog (the
//!   newest page, `limit=` when set), followed by
//!   [`SourceMsg::CaughtUp`] once it is sent. Later polls send `cursor_param` = the
//!   newest id seen and follow `has_more` (Stripe's `ending_before`
//!   semantics: each page is the one just newer than the cursor). Every
//!   event is emitted once, oldest first; without a cursor, events are
//!   deduplicated by id. One batch of events per poll.
//! - **diff** mode ([`diff`]): the body is a resource; the first is a `data`
//!   snapshot, each change a `patch` event, so the store keeps the state.
//!
//! The wait after a poll is never shorter than `interval` or the server's
//! `X-Poll-Interval`; see [`wait::next_wait`]. A body that is not JSON, or
//! has no array at the `items` pointer, is reported as a drop naming the
//! pointer (once while it stays the same), and polling goes on. Status is
//! reported only when it changes: `live (HTTP 200)` from the first answer,
//! `retrying` on errors.

mod config;
pub mod diff;
pub mod events;
pub mod http;
pub mod page;
pub mod wait;

pub use config::{KIND, keeps_state, listed_interval};

use std::sync::Arc;
use std::time::Duration;

use reqwest::Url;
use reqwest::header::ACCEPT;
use serde_json::Value;
use tokio::time::Instant;

use super::http::TransportError;
use super::{Backoff, DropKind, SourceCtx, SourceMsg, Status, base_headers};
use crate::config::{PollMode, PollOptions, SourceSpec};
use crate::event::{Event, Pointers, now_millis};
use diff::DiffState;
use events::EventsState;
use http::{Http, Reply, with_params};
use wait::{Outcome, next_wait};

/// Most pages fetched in one poll while `has_more` holds; the rest waits for
/// the next poll (the cursor keeps the place), so a huge backlog cannot
/// hold one batch in memory.
pub const MAX_PAGES_PER_POLL: usize = 100;
/// Least body size accepted in events mode (a page holds many events);
/// `max_event_bytes` raises it.
pub const MIN_PAGE_BYTES: usize = 32 << 20;
/// The query parameter `limit` is sent as.
pub const LIMIT_PARAM: &str = "limit";

/// Run a polling source until shutdown.
pub async fn run(spec: Arc<SourceSpec>, opts: PollOptions, ctx: SourceCtx) {
    let start = base_headers(&spec, &[(ACCEPT, "application/json")]).and_then(|headers| {
        let url = Url::parse(&spec.url).map_err(|e| TransportError::InvalidUrl(e.to_string()))?;
        Ok((headers, url))
    });
    let (headers, url) = match start {
        Ok(v) => v,
        Err(e) => {
            ctx.status(Status::Closed(e.to_string())).await;
            return;
        }
    };
    let mode = match opts.mode {
        PollMode::Events => Mode::Events(EventsState::new(
            ctx.id,
            &spec.pointers,
            opts.order,
            ctx.max_event_bytes,
        )),
        PollMode::Diff => Mode::Diff(DiffState::default()),
    };
    // In diff mode the type is `data` or `patch`, whatever the resource says.
    let pointers = Pointers {
        type_pointer: None,
        ..spec.pointers.clone()
    };
    let io = Io {
        opts,
        pointers,
        url,
        http: Http::new(headers),
        status: Status::Connecting,
        last_drop: None,
        caught_up: false,
        ctx,
    };
    Poller {
        io,
        mode,
        backoff: Backoff::default().stable_after(Duration::ZERO),
    }
    .run()
    .await;
}

enum Mode {
    Events(EventsState),
    Diff(DiffState),
}

struct Poller {
    io: Io,
    mode: Mode,
    backoff: Backoff,
}

/// Everything a poll needs besides its mode's state.
struct Io {
    opts: PollOptions,
    /// Diff mode's id and time pointers.
    pointers: Pointers,
    url: Url,
    http: Http,
    ctx: SourceCtx,
    /// The status last reported.
    status: Status,
    /// The last unusable-body report, so the same one is not repeated
    /// every poll; cleared by a readable body or an error.
    last_drop: Option<String>,
    /// The first readable page (the backlog) was sent and
    /// [`SourceMsg::CaughtUp`] said so.
    caught_up: bool,
}

impl Poller {
    async fn run(&mut self) {
        let cancel = self.io.ctx.cancel.clone();
        if !self.io.report(Status::Connecting).await {
            return;
        }
        loop {
            let outcome = tokio::select! {
                _ = cancel.cancelled() => return,
                o = self.poll_once() => o,
            };
            let wait = next_wait(
                &outcome,
                self.io.opts.interval,
                self.io.http.server_interval,
                &mut self.backoff,
                Instant::now(),
            );
            match outcome {
                Outcome::Cancelled => return,
                Outcome::Polled => {}
                Outcome::Failed(e) => {
                    self.io.last_drop = None;
                    let reason = e.to_string();
                    if !self.io.report(Status::Retrying { delay: wait, reason }).await {
                        return;
                    }
                }
            }
            if !self.sleep(wait).await {
                return;
            }
            if matches!(self.io.status, Status::Retrying { .. }) && !self.io.report(Status::Connecting).await
            {
                return;
            }
        }
    }

    async fn poll_once(&mut self) -> Outcome {
        match &mut self.mode {
            Mode::Events(state) => self.io.poll_events(state).await,
            Mode::Diff(state) => self.io.poll_diff(state).await,
        }
    }

    /// Wait `wait`; false on shutdown. A resync request (the store lost the
    /// state) makes the next diff-mode body a fresh snapshot.
    async fn sleep(&mut self, wait: Duration) -> bool {
        let deadline = Instant::now() + wait;
        loop {
            tokio::select! {
                biased;
                _ = self.io.ctx.cancel.cancelled() => return false,
                _ = self.io.ctx.resync.notified() => {
                    if let Mode::Diff(state) = &mut self.mode {
                        state.reset();
                        self.io.http.forget_etag();
                    }
                }
                _ = tokio::time::sleep_until(deadline) => return true,
            }
        }
    }
}

impl Io {
    /// Report `status` when it differs from the last one reported. False
    /// when nobody listens any more.
    async fn report(&mut self, status: Status) -> bool {
        if status == self.status && status != Status::Connecting {
            return true;
        }
        self.status = status.clone();
        self.ctx.status(status).await
    }

    /// GET `url`: the body text, or `None` for a quiet poll (304) or a body
    /// that could not be used (reported). The first answer after a start or
    /// an error makes the source live. `Err(Outcome::Cancelled)` when nobody
    /// listens any more.
    async fn get(&mut self, url: &Url, max_body: usize) -> Result<Option<String>, Outcome> {
        let reply = self
            .http
            .get(url, max_body, &self.ctx)
            .await
            .map_err(Outcome::from)?;
        if !matches!(self.status, Status::Live(_)) {
            let code = match &reply {
                Reply::Body { status, .. } | Reply::Unusable { status, .. } => *status,
                Reply::NotModified => 304,
            };
            if !self.report(Status::Live(format!("HTTP {code}"))).await {
                return Err(Outcome::Cancelled);
            }
        }
        match reply {
            Reply::Body { text, .. } => Ok(Some(text)),
            Reply::NotModified => Ok(None),
            Reply::Unusable { kind, detail, .. } => {
                if self.unreadable(kind, detail).await {
                    Ok(None)
                } else {
                    Err(Outcome::Cancelled)
                }
            }
        }
    }

    /// Report a body that could not be used, unless the previous body had
    /// the same problem. False when nobody listens any more.
    async fn unreadable(&mut self, kind: DropKind, detail: String) -> bool {
        if self.last_drop.as_ref() == Some(&detail) {
            return true;
        }
        self.last_drop = Some(detail.clone());
        self.ctx.dropped(kind, detail).await
    }

    /// Send a batch. False when nobody listens any more.
    async fn send(&self, events: Vec<Event>, cursor: Option<String>) -> bool {
        if events.is_empty() && cursor.is_none() {
            return true;
        }
        let msg = SourceMsg::Events {
            source: self.ctx.id,
            events,
            cursor,
        };
        self.ctx.tx.send(msg).await.is_ok()
    }

    /// One events-mode poll: the backlog page, or every page newer than the
    /// cursor; the new events go out as one batch.
    async fn poll_events(&mut self, state: &mut EventsState) -> Outcome {
        let max_body = MIN_PAGE_BYTES.max(self.ctx.max_event_bytes);
        let start_cursor = state.cursor().map(str::to_owned);
        let limit = self.opts.limit.map(|l| l.to_string());
        let mut events = Vec::new();
        let mut oversize = Vec::new();
        let mut outcome = Outcome::Polled;
        let mut read_a_page = false;
        for _ in 0..MAX_PAGES_PER_POLL {
            let mut params = Vec::with_capacity(2);
            if let Some(limit) = &limit {
                params.push((LIMIT_PARAM, limit.as_str()));
            }
            // Paging needs a cursor; the backlog (no cursor yet) is one page.
            let cursor = (self.opts.cursor_param.clone()).zip(state.cursor().map(str::to_owned));
            if let Some((param, value)) = &cursor {
                params.push((param.as_str(), value.as_str()));
            }
            let url = with_params(&self.url, &params);
            let text = match self.get(&url, max_body).await {
                Ok(Some(text)) => text,
                Ok(None) => break,
                Err(o) => {
                    outcome = o;
                    break;
                }
            };
            let page = match page::parse(&text, self.opts.items.as_deref(), self.opts.has_more.as_deref()) {
                Ok(page) => page,
                Err(e) => {
                    if !self.unreadable(DropKind::Unparsable, e.to_string()).await {
                        return Outcome::Cancelled;
                    }
                    break;
                }
            };
            self.last_drop = None;
            read_a_page = true;
            let taken = state.take(&page.items, now_millis());
            events.extend(taken.events);
            oversize.extend(taken.oversize);
            let moved = state.cursor() != cursor.as_ref().map(|(_, c)| c.as_str());
            if !(cursor.is_some() && page.has_more && moved) {
                break;
            }
        }
        let cursor = match state.cursor() {
            Some(c) if Some(c) != start_cursor.as_deref() => Some(self.ctx.mask(c)),
            _ => None,
        };
        if !self.send(events, cursor).await {
            return Outcome::Cancelled;
        }
        // The first page read is the backlog: say where it ends, even when
        // it listed nothing.
        if read_a_page && !self.caught_up {
            self.caught_up = true;
            if !self.ctx.caught_up().await {
                return Outcome::Cancelled;
            }
        }
        for bytes in oversize {
            let detail = format!(
                "event of {bytes} bytes skipped: over max_event_bytes = {}",
                self.ctx.max_event_bytes
            );
            if !self.ctx.dropped(DropKind::Oversize, detail).await {
                return Outcome::Cancelled;
            }
        }
        outcome
    }

    /// One diff-mode poll: a snapshot, a patch, or nothing.
    async fn poll_diff(&mut self, state: &mut DiffState) -> Outcome {
        let limit = self.opts.limit.map(|l| l.to_string());
        let params: Vec<(&str, &str)> = limit.iter().map(|l| (LIMIT_PARAM, l.as_str())).collect();
        let url = with_params(&self.url, &params);
        // The body becomes one event, so it is bounded like one.
        let text = match self.get(&url, self.ctx.max_event_bytes).await {
            Ok(Some(text)) => text,
            Ok(None) => return Outcome::Polled,
            Err(o) => return o,
        };
        let body: Value = match serde_json::from_str(&text) {
            Ok(v) => v,
            Err(_) => {
                let detail = match page::parse_json(&text) {
                    Err(e) => e.to_string(),
                    Ok(_) => "response is not JSON".to_owned(),
                };
                if !self.unreadable(DropKind::Unparsable, detail).await {
                    return Outcome::Cancelled;
                }
                return Outcome::Polled;
            }
        };
        self.last_drop = None;
        let mut ev = Event {
            source: self.ctx.id,
            id: None,
            ty: String::new(),
            time: None,
            received: now_millis(),
            data: String::new(),
            json: Some(true),
            meta: None,
        };
        self.pointers.apply(&body, &mut ev);
        let Some(change) = state.next(&text, body, self.ctx.max_event_bytes) else {
            return Outcome::Polled;
        };
        ev.ty = change.event_type().to_owned();
        ev.data = change.into_data();
        if !self.send(vec![ev], None).await {
            return Outcome::Cancelled;
        }
        Outcome::Polled
    }
}
