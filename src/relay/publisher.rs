//! The relay's publisher: a thread of its own, with its own single-threaded
//! runtime, that owns the NATS client. Nothing on the sources' runtime ever
//! awaits the broker: they meet only at the [`Queue`].
//!
//! ```text
//!   Queue ──take──▶ publish (Nats-Msg-Id) ──▶ window of ≤ WINDOW acks, in order
//!     ▲                                        │ ack: counted
//!     └────────── retried first ◀──────────────┘ no ack (timeout, broker gone,
//!                                               no stream): held, then resent
//! ```
//!
//! Publishing stops while the client is disconnected (the client reconnects
//! by itself, to any server of `--to` or of the cluster), and after a
//! failed ack until every outstanding ack is settled and a short pause has
//! passed; the failed events then go first, in their order. A resent event
//! with an id that did reach the stream is dropped by the stream's
//! duplicate window, so retries never store an event twice.

use std::collections::VecDeque;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use async_nats::connection::State as ConnState;
use async_nats::jetstream::{self, context::PublishErrorKind};
use futures_util::StreamExt;
use futures_util::future::BoxFuture;
use futures_util::stream::FuturesOrdered;
use tokio::sync::{mpsc, oneshot};
use tokio::time::Instant;

use super::broker::{self, ACK_TIMEOUT, BrokerOptions, Failure};
use super::queue::{Item, Queue};
use crate::tail::LineSender;

/// Publishes awaiting their ack at most. Enough to keep a loopback or LAN
/// broker busy (each ack is one round trip, and they overlap), small enough
/// that a broker failing mid-flight leaves few events to resend.
pub const WINDOW: usize = 256;
/// First pause after a failed ack or connection attempt; it doubles up to
/// [`MAX_PAUSE`] and starts over after an ack.
const FIRST_PAUSE: Duration = Duration::from_millis(100);
const MAX_PAUSE: Duration = Duration::from_secs(2);
/// How often the loop looks at the clock and the queue when nothing else
/// wakes it (a close while disconnected, a pause ending).
const TICK: Duration = Duration::from_millis(200);
/// The same failure is said again on stderr at most this often.
const REPEAT_REPORT: Duration = Duration::from_secs(30);
/// Bytes a message's headers add on the wire besides the id.
const HEADER_OVERHEAD: usize = 32;

/// What the publisher did, shared with the relay loop for its summary.
#[derive(Debug, Default)]
pub struct Counters {
    /// Events sent to the broker at least once.
    pub published: AtomicU64,
    /// Events the stream acknowledged (stored, or already stored).
    pub acked: AtomicU64,
    /// Of those, the ones the stream already held (its duplicate window).
    pub duplicates: AtomicU64,
    /// Events the broker refused (too large, rejected by the stream).
    pub failed: AtomicU64,
}

impl Counters {
    fn add(n: &AtomicU64) {
        n.fetch_add(1, Ordering::Relaxed);
    }

    pub fn get(n: &AtomicU64) -> u64 {
        n.load(Ordering::Relaxed)
    }
}

/// How the publisher ended.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    /// Why it stopped by itself, when it did (credentials refused, stream
    /// unfit).
    pub fatal: Option<String>,
    /// Events still unacknowledged when it stopped.
    pub unsent: u64,
}

/// Handle to the publisher thread.
pub struct Publisher {
    done: Option<oneshot::Receiver<Outcome>>,
    outcome: Option<Outcome>,
}

impl Publisher {
    /// Start the thread; it connects, sets up the stream and publishes
    /// what `queue` holds until the queue is closed.
    pub fn start(
        opts: BrokerOptions,
        queue: Arc<Queue>,
        counters: Arc<Counters>,
        diag: LineSender,
    ) -> std::io::Result<Publisher> {
        let (tx, done) = oneshot::channel();
        std::thread::Builder::new()
            .name("evtop-publisher".into())
            .spawn(move || {
                let outcome = match tokio::runtime::Builder::new_current_thread().enable_all().build() {
                    Ok(rt) => rt.block_on(run(opts, queue, counters, diag)),
                    Err(e) => Outcome {
                        fatal: Some(format!("cannot start the publisher: {e}")),
                        unsent: queue.len() as u64,
                    },
                };
                let _ = tx.send(outcome);
            })?;
        Ok(Publisher {
            done: Some(done),
            outcome: None,
        })
    }

    /// Resolves when the publisher has stopped: by itself (a fatal error),
    /// or after the queue was closed and drained or its deadline passed.
    pub async fn stopped(&mut self) -> Outcome {
        if let Some(done) = &mut self.done {
            let outcome = done.await.unwrap_or_else(|_| Outcome {
                fatal: Some("the publisher thread ended".into()),
                unsent: 0,
            });
            self.done = None;
            self.outcome = Some(outcome);
        }
        self.outcome.clone().unwrap_or_default()
    }
}

/// One event on its way, with how many times it was sent.
struct Flight {
    item: Item,
    sent: u32,
}

type Ack = BoxFuture<
    'static,
    (
        Flight,
        Result<jetstream::publish::PublishAck, jetstream::context::PublishError>,
    ),
>;

/// Doubling pauses, reset by a success.
struct Pause {
    next: Duration,
}

impl Pause {
    fn new() -> Pause {
        Pause { next: FIRST_PAUSE }
    }
    fn take(&mut self) -> Duration {
        let d = self.next;
        self.next = (self.next * 2).min(MAX_PAUSE);
        d
    }
    fn reset(&mut self) {
        self.next = FIRST_PAUSE;
    }
}

/// Says a failure on stderr, but the same one at most every
/// [`REPEAT_REPORT`].
struct Reporter {
    diag: LineSender,
    last: Option<(String, Instant)>,
}

impl Reporter {
    fn say(&self, line: String) {
        self.diag.line(format!("evtop relay: {line}"));
    }
    fn failure(&mut self, line: String) {
        let now = Instant::now();
        if let Some((last, at)) = &self.last {
            if *last == line && now.duration_since(*at) < REPEAT_REPORT {
                return;
            }
        }
        self.say(line.clone());
        self.last = Some((line, now));
    }
}

/// The thread's work: connect, make sure of the stream, publish.
async fn run(opts: BrokerOptions, queue: Arc<Queue>, counters: Arc<Counters>, diag: LineSender) -> Outcome {
    let mut report = Reporter { diag, last: None };
    let fatal = |msg: String, left: u64| Outcome {
        fatal: Some(msg),
        unsent: left,
    };
    let (ev_tx, mut events) = mpsc::unbounded_channel();
    let mut pause = Pause::new();
    let waiting = |q: &Queue| {
        format!(
            "events wait in the queue ({} now, at most --queue {}, then the oldest are dropped)",
            q.len(),
            q.capacity()
        )
    };

    // Connect (retrying while the broker cannot be reached), then the
    // stream (retrying while JetStream cannot answer).
    let client = loop {
        let tx = ev_tx.clone();
        match broker::connect(&opts, move |e| {
            let _ = tx.send(e);
        })
        .await
        {
            Ok(c) => break c,
            Err(Failure::Fatal(m)) => return fatal(m, queue.len() as u64),
            Err(Failure::Transient(m)) => {
                queue.set_flowing(false);
                report.failure(format!("{m}; retrying; {}", waiting(&queue)));
            }
        }
        if give_up(&queue) || !wait(pause.take(), &queue).await {
            return Outcome {
                fatal: None,
                unsent: queue.len() as u64,
            };
        }
    };
    let js = jetstream::context::ContextBuilder::new()
        .timeout(ACK_TIMEOUT)
        .max_ack_inflight(WINDOW * 4)
        .build(client.clone());
    loop {
        match broker::ensure_stream(&js, &opts).await {
            Ok(line) => {
                report.say(format!("connected to {}; {line}", server(&client.server_info())));
                break;
            }
            Err(Failure::Fatal(m)) => return fatal(m, queue.len() as u64),
            Err(Failure::Transient(m)) => {
                queue.set_flowing(false);
                report.failure(format!("{m}; retrying; {}", waiting(&queue)));
            }
        }
        if give_up(&queue) || !wait(pause.take(), &queue).await {
            return Outcome {
                fatal: None,
                unsent: queue.len() as u64,
            };
        }
    }
    pause.reset();
    let mut max_payload = client.server_info().max_payload;
    let mut connected = true;
    // A failed ack since the last good one: hold new publishes.
    let mut stalled = false;
    let mut hold_until: Option<Instant> = None;
    let mut check_stream = false;
    queue.set_flowing(true);

    let mut window: FuturesOrdered<Ack> = FuturesOrdered::new();
    let mut retry: VecDeque<Flight> = VecDeque::new();
    let mut batch: VecDeque<Item> = VecDeque::new();
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    // Events not yet acknowledged, wherever they are.
    macro_rules! left {
        () => {
            (window.len() + retry.len() + batch.len() + queue.len()) as u64
        };
    }
    loop {
        let now = Instant::now();
        let deadline = queue.closed();
        if let Some(until) = deadline {
            if left!() == 0 || until.is_some_and(|u| Instant::from_std(u) <= now) {
                return Outcome {
                    fatal: None,
                    unsent: left!(),
                };
            }
        }
        connected = connected && client.connection_state() == ConnState::Connected;
        let held = hold_until.is_some_and(|t| now < t || !window.is_empty());
        if !held {
            hold_until = None;
        }
        let can_send = connected && !held;
        if can_send && check_stream {
            match broker::ensure_stream(&js, &opts).await {
                Ok(line) => {
                    report.say(line);
                    check_stream = false;
                }
                Err(Failure::Fatal(m)) => return fatal(m, left!()),
                Err(Failure::Transient(m)) => {
                    report.failure(format!("{m}; retrying"));
                    hold_until = Some(Instant::now() + pause.take());
                    continue;
                }
            }
        }
        if can_send {
            while window.len() < WINDOW {
                let flight = match retry.pop_front() {
                    Some(f) => f,
                    None => match batch.pop_front() {
                        Some(item) => Flight { item, sent: 0 },
                        None => {
                            if queue.take(WINDOW, &mut batch) == 0 {
                                break;
                            }
                            continue;
                        }
                    },
                };
                let size = flight.item.payload.len()
                    + flight
                        .item
                        .msg_id
                        .as_ref()
                        .map_or(0, |m| m.len() + HEADER_OVERHEAD);
                if size > max_payload {
                    Counters::add(&counters.failed);
                    report.failure(format!(
                        "an event of {size} bytes on {} is over the server's max_payload ({max_payload} bytes): not published",
                        flight.item.subject
                    ));
                    continue;
                }
                let mut headers = async_nats::HeaderMap::new();
                if let Some(id) = &flight.item.msg_id {
                    headers.insert(async_nats::header::NATS_MESSAGE_ID, id.as_str());
                }
                match js
                    .publish_with_headers(flight.item.subject.clone(), headers, flight.item.payload.clone())
                    .await
                {
                    Ok(ack) => {
                        if flight.sent == 0 {
                            Counters::add(&counters.published);
                        }
                        let flight = Flight {
                            sent: flight.sent + 1,
                            ..flight
                        };
                        window.push_back(Box::pin(async move { (flight, ack.await) }));
                    }
                    Err(e) => {
                        report.failure(format!("cannot publish: {e}; retrying"));
                        retry.push_front(flight);
                        stalled = true;
                        queue.set_flowing(false);
                        hold_until = Some(Instant::now() + pause.take());
                        break;
                    }
                }
            }
        }
        let idle =
            can_send && deadline.is_none() && retry.is_empty() && batch.is_empty() && window.len() < WINDOW;
        tokio::select! {
            Some((flight, result)) = window.next(), if !window.is_empty() => match result {
                Ok(ack) => {
                    Counters::add(&counters.acked);
                    if ack.duplicate {
                        Counters::add(&counters.duplicates);
                    }
                    if stalled {
                        stalled = false;
                        report.say(format!("JetStream acknowledges again; {} events waiting", left!()));
                    }
                    pause.reset();
                    queue.set_flowing(connected);
                }
                Err(e) => {
                    let transient = matches!(
                        e.kind(),
                        PublishErrorKind::TimedOut
                            | PublishErrorKind::BrokenPipe
                            | PublishErrorKind::StreamNotFound
                            | PublishErrorKind::MaxAckPending
                    );
                    if transient {
                        if !stalled {
                            report.failure(format!(
                                "no ack from JetStream for {} ({}); resending; {}",
                                flight.item.subject,
                                e.kind(),
                                waiting(&queue)
                            ));
                        }
                        if e.kind() == PublishErrorKind::StreamNotFound {
                            check_stream = true;
                        }
                        retry.push_back(flight);
                        if !stalled || hold_until.is_none() {
                            hold_until = Some(Instant::now() + pause.take());
                        }
                        stalled = true;
                        queue.set_flowing(false);
                    } else {
                        Counters::add(&counters.failed);
                        report.failure(format!("JetStream refused an event on {}: {e}", flight.item.subject));
                    }
                }
            },
            Some(event) = events.recv() => match event {
                async_nats::Event::Disconnected => {
                    connected = false;
                    queue.set_flowing(false);
                    report.say(format!("lost the connection to the broker; reconnecting; {}", waiting(&queue)));
                }
                async_nats::Event::Connected => {
                    let info = client.server_info();
                    max_payload = info.max_payload;
                    queue.set_flowing(!stalled);
                    // The first connection was said already.
                    if !std::mem::replace(&mut connected, true) {
                        report.say(format!("reconnected to {}; {} events to send", server(&info), left!()));
                    }
                }
                async_nats::Event::ServerError(e) => report.failure(format!("server error: {e}")),
                async_nats::Event::ClientError(e) => report.failure(format!("client error: {e}")),
                async_nats::Event::LameDuckMode => {
                    report.say("the server is shutting down (lame duck mode); the client moves to another".into());
                }
                _ => {}
            },
            _ = queue.ready(), if idle => {}
            _ = tick.tick() => {}
        }
    }
}

/// The server connected to, as `host:port`, with its name when it has one.
fn server(info: &async_nats::ServerInfo) -> String {
    if info.server_name.is_empty() || info.server_name == info.server_id {
        format!("{}:{}", info.host, info.port)
    } else {
        format!("{}:{} ({})", info.host, info.port, info.server_name)
    }
}

/// Whether to stop trying to connect: the queue was closed and is empty
/// (nothing to publish) or its deadline has passed.
fn give_up(queue: &Queue) -> bool {
    match queue.closed() {
        None => false,
        Some(deadline) => queue.is_empty() || deadline.is_some_and(|t| t <= std::time::Instant::now()),
    }
}

/// Sleep `d`, waking early when the queue closes; false when it closed
/// with a deadline that has passed.
async fn wait(d: Duration, queue: &Queue) -> bool {
    let until = Instant::now() + d;
    while Instant::now() < until {
        tokio::time::sleep(TICK.min(until - Instant::now())).await;
        if give_up(queue) {
            return false;
        }
    }
    true
}
