//! One delivery to one webhook source: read the body (bounded in size and
//! time), verify it, recognise a redelivery, pass it on to the app when
//! `forward_to` is set, answer, and hand the event to the feeder without
//! waiting.

use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::{Bytes, BytesMut};
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{CONNECTION, HeaderValue};
use hyper::{HeaderMap, Request, Response, StatusCode};
use tokio::sync::{Notify, mpsc};

use super::drain::early_reply;
use super::server::{Router, text};
use super::{QUEUE_EVENTS, SEEN_IDS, forward, recorded_headers, verify};
use crate::config::{SourceSpec, WebhookOptions};
use crate::event::{Event, WebhookMeta, now_millis};
use crate::source::{DropKind, SourceCtx, SourceMsg};

/// The type of a delivery when neither a header nor a pointer names one.
pub const DEFAULT_TYPE: &str = "webhook";

/// What the feeder passes on to the engine.
enum Item {
    Event(Event),
    Dropped(DropKind, String),
}

/// One webhook source on its server.
pub(super) struct Route {
    spec: Arc<SourceSpec>,
    opts: WebhookOptions,
    ctx: SourceCtx,
    seen: Mutex<SeenIds>,
    queue: mpsc::Sender<Item>,
    /// Answered deliveries that found the queue full, not yet reported.
    lost: AtomicU64,
    lost_notify: Notify,
}

impl Route {
    /// The route and its feeder task.
    pub(super) fn start(spec: Arc<SourceSpec>, opts: WebhookOptions, ctx: SourceCtx) -> Arc<Route> {
        let (queue, rx) = mpsc::channel(QUEUE_EVENTS);
        let route = Arc::new(Route {
            spec,
            opts,
            ctx,
            seen: Mutex::new(SeenIds::new(SEEN_IDS)),
            queue,
            lost: AtomicU64::new(0),
            lost_notify: Notify::new(),
        });
        let tasks = route.ctx.tasks.clone();
        tasks.spawn(feed(route.clone(), rx));
        route
    }

    /// Handle one POST to this route's path.
    pub(super) async fn deliver(&self, router: &Router, req: Request<Incoming>) -> Response<Full<Bytes>> {
        let (parts, mut body) = req.into_parts();
        let limit = self.ctx.max_event_bytes;
        let limits = &router.limits;
        let body = match read_body(&mut body, limit, limits.body_timeout).await {
            Ok(bytes) => bytes,
            Err(BodyError::TooLarge { announced, started }) => {
                let size = announced.map(|b| format!(" of {b} bytes")).unwrap_or_default();
                let detail = format!("delivery{size} over max_event_bytes = {limit}, answered 413");
                self.enqueue(Item::Dropped(DropKind::Oversize, detail));
                let reply = text(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    format!("body over {limit} bytes (max_event_bytes)\n"),
                );
                return early_reply(&parts.headers, body, started, reply, router);
            }
            Err(BodyError::Timeout) => {
                let mut reply = text(StatusCode::REQUEST_TIMEOUT, "body not received in time\n");
                reply
                    .headers_mut()
                    .insert(CONNECTION, HeaderValue::from_static("close"));
                return reply;
            }
            Err(BodyError::Broken) => return text(StatusCode::BAD_REQUEST, "body could not be read\n"),
        };
        let received = now_millis();
        let verdict = verify::verify(
            self.opts.verify,
            &self.opts.key.0,
            &parts.headers,
            &body,
            received.div_euclid(1000),
            self.opts.tolerance,
        );
        let mut ev = self.event(&parts.headers, &body, received);
        let attempt = match &ev.id {
            Some(id) => self.seen.lock().unwrap_or_else(|e| e.into_inner()).note(id),
            None => 1,
        };
        let mut meta = WebhookMeta {
            verified: (self.opts.verify != crate::config::Verify::None).then_some(verdict.is_ok()),
            reason: verdict.as_ref().err().map(ToString::to_string),
            headers: recorded_headers(&parts.headers, &self.ctx.secrets),
            forward: None,
            attempt,
        };
        let reply = match (&verdict, &self.opts.forward_to) {
            (Err(failure), _) => text(
                StatusCode::BAD_REQUEST,
                format!("webhook verification failed: {failure}\n"),
            ),
            (Ok(()), Some(url)) => {
                let (reply, outcome) =
                    forward::forward(&router.forward_client, url, &parts, body, limit, &self.ctx).await;
                meta.forward = Some(outcome);
                reply
            }
            (Ok(()), None) => text(StatusCode::OK, ""),
        };
        ev.meta = Some(Box::new(crate::event::Meta::Webhook(meta)));
        self.enqueue(Item::Event(ev));
        reply
    }

    /// The event for a delivery: data is the body as text; type, id and
    /// time from the headers and pointers the options name.
    fn event(&self, headers: &HeaderMap, body: &[u8], received: i64) -> Event {
        let header = |name: &Option<String>| {
            name.as_deref()
                .and_then(|n| headers.get(n))
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let data = String::from_utf8_lossy(body).into_owned();
        let type_header = header(&self.opts.type_header);
        let mut pointers = self.spec.pointers.clone();
        // With a type header, type_pointer's value is a suffix (GitHub's
        // `issues` + `opened`), applied below.
        let suffix_pointer = match type_header {
            Some(_) => pointers.type_pointer.take(),
            None => None,
        };
        let ty = type_header.clone().unwrap_or_else(|| DEFAULT_TYPE.to_owned());
        let mut ev = pointers.build(self.ctx.id, header(&self.opts.id_header), ty, data, received);
        if let (Some(ty), Some(p)) = (type_header, suffix_pointer) {
            let suffix = serde_json::from_str::<serde_json::Value>(&ev.data)
                .ok()
                .and_then(|v| v.pointer(&p).and_then(|s| s.as_str().map(str::to_owned)));
            if let Some(suffix) = suffix {
                ev.ty = format!("{ty}.{suffix}");
            }
        }
        ev
    }

    /// Queue for the feeder without waiting; count the loss when full.
    fn enqueue(&self, item: Item) {
        if self.queue.try_send(item).is_err() {
            self.lost.fetch_add(1, Ordering::Relaxed);
            self.lost_notify.notify_one();
        }
    }
}

/// Move queued events to the engine's channel (waiting there is fine: the
/// senders were answered already) and report losses.
async fn feed(route: Arc<Route>, mut rx: mpsc::Receiver<Item>) {
    let ctx = &route.ctx;
    let mut batch = Vec::new();
    loop {
        let item = tokio::select! {
            _ = ctx.cancel.cancelled() => return,
            item = rx.recv() => match item {
                Some(item) => item,
                None => return,
            },
            _ = route.lost_notify.notified() => {
                let n = route.lost.swap(0, Ordering::Relaxed);
                if n > 0 {
                    let detail = format!(
                        "{n} deliver{} answered but not shown: the display fell behind",
                        if n == 1 { "y" } else { "ies" }
                    );
                    if !ctx.dropped(DropKind::Overflow, detail).await {
                        return;
                    }
                }
                continue;
            }
        };
        // Take what else is queued as one batch.
        let mut next = Some(item);
        while let Some(item) = next.take().or_else(|| rx.try_recv().ok()) {
            match item {
                Item::Event(ev) => batch.push(ev),
                Item::Dropped(kind, detail) => {
                    if !ctx.dropped(kind, detail).await {
                        return;
                    }
                }
            }
        }
        if batch.is_empty() {
            continue;
        }
        let msg = SourceMsg::Events {
            source: ctx.id,
            events: std::mem::take(&mut batch),
            cursor: None,
        };
        if ctx.tx.send(msg).await.is_err() {
            return;
        }
    }
}

/// Why a body could not be read.
enum BodyError {
    /// Over the limit: refused from its announced size before any of it
    /// was read, or `started` and cut once past the limit.
    TooLarge { announced: Option<u64>, started: bool },
    /// Not all there within the body timeout.
    Timeout,
    /// The connection broke.
    Broken,
}

/// The whole body, at most `limit` bytes, within `timeout`. A
/// `Content-Length` over the limit is refused before reading anything.
/// On `TooLarge` the rest of the body stays in `body`, for
/// [`early_reply`] to drain.
async fn read_body(body: &mut Incoming, limit: usize, timeout: Duration) -> Result<Bytes, BodyError> {
    if let Some(len) = body.size_hint().exact()
        && len > limit as u64
    {
        return Err(BodyError::TooLarge {
            announced: Some(len),
            started: false,
        });
    }
    let read = async {
        let mut buf = BytesMut::new();
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|_| BodyError::Broken)?;
            if let Ok(data) = frame.into_data() {
                if buf.len() + data.len() > limit {
                    return Err(BodyError::TooLarge {
                        announced: None,
                        started: true,
                    });
                }
                buf.extend_from_slice(&data);
            }
        }
        Ok(buf.freeze())
    };
    tokio::time::timeout(timeout, read)
        .await
        .unwrap_or(Err(BodyError::Timeout))
}

/// The last `cap` delivery ids seen, each with how often: bounded memory
/// (ids are kept as 64-bit hashes under a per-process random key, oldest
/// forgotten first).
pub struct SeenIds {
    counts: HashMap<u64, u32>,
    order: VecDeque<u64>,
    cap: usize,
    hasher: std::collections::hash_map::RandomState,
}

impl SeenIds {
    /// Remember at most `cap` ids.
    pub fn new(cap: usize) -> Self {
        SeenIds {
            counts: HashMap::new(),
            order: VecDeque::new(),
            cap: cap.max(1),
            hasher: std::collections::hash_map::RandomState::new(),
        }
    }

    /// Note a delivery of `id`: 1 the first time, n for the n-th.
    pub fn note(&mut self, id: &str) -> u32 {
        let key = self.hasher.hash_one(id);
        if let Some(n) = self.counts.get_mut(&key) {
            *n = n.saturating_add(1);
            return *n;
        }
        if self.order.len() == self.cap
            && let Some(old) = self.order.pop_front()
        {
            self.counts.remove(&old);
        }
        self.order.push_back(key);
        self.counts.insert(key, 1);
        1
    }
}

#[cfg(test)]
mod tests {
    use super::SeenIds;

    #[test]
    fn repeats_are_numbered_and_memory_is_bounded() {
        let mut seen = SeenIds::new(3);
        assert_eq!(seen.note("a"), 1);
        assert_eq!(seen.note("a"), 2);
        assert_eq!(seen.note("b"), 1);
        assert_eq!(seen.note("c"), 1);
        assert_eq!(seen.note("a"), 3, "a is still remembered");
        assert_eq!(seen.note("d"), 1, "a, the oldest, is forgotten");
        assert_eq!(seen.counts.len(), 3);
        assert_eq!(seen.note("a"), 1);
        for i in 0..10_000 {
            seen.note(&format!("id{i}"));
        }
        assert_eq!((seen.counts.len(), seen.order.len()), (3, 3));
    }
}
