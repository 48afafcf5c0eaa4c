//! `evtop relay`: the sources of `tail`, published into NATS JetStream
//! (SPEC 9.2) — one message per event on `PREFIX.<source>.<type>`, payload
//! the event's NDJSON line, `Nats-Msg-Id` from the event's id — so that
//! many viewers (`kind = "nats"`, `format = "evtop"`) share one upstream.
//!
//! ```text
//! runtime thread (as tail's)                      publisher thread (relay/publisher.rs)
//!  sources ─▶ engine ─▶ relay loop: filter, NDJSON ─▶ Queue ─▶ NATS client ─▶ JetStream
//!  webhook servers (answer first)          ▲ bounded, drop-oldest while      acks in a window
//!                                          │ the broker is away (queue.rs)
//!  stderr thread ◀── diagnostics from both ┘
//! ```
//!
//! The runtime thread never awaits the broker: it only moves events into
//! the [`queue::Queue`]. While the broker acknowledges, a full queue makes
//! the relay loop wait (SSE and polling sources slow down, nothing is
//! lost); while it does not, the oldest events are dropped, counted and
//! reported. SIGINT/SIGTERM stop the sources, then the publisher sends
//! what is queued and waits for the acks, up to [`EXIT_GRACE`]; the last
//! stderr line sums it up, and the exit status says whether every event
//! made it.

mod broker;
mod publisher;
pub mod queue;
pub mod subject;

pub use broker::{BrokerOptions, DEFAULT_MAX_AGE, DEFAULT_REPLICAS, DUPLICATE_WINDOW, parse_servers};
pub use publisher::WINDOW;

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use tokio::time::Instant;

use crate::config::Config;
use crate::engine::Engine;
use crate::event::{MetaValue, now_millis};
use crate::filter::Filter;
use crate::output;
use crate::sanitize::inert;
use crate::source::SourceMsg;
use crate::store::Store;
use crate::tail::{Diagnostics, health::Health};
use publisher::{Counters, Outcome, Publisher};
use queue::{Item, Pushed, Queue};

/// Messages taken from the engine's channel per wake-up.
const BATCH: usize = 64;
/// After SIGINT/SIGTERM: how long the publisher may take to have what is
/// queued and in flight acknowledged before the relay exits anyway.
pub const EXIT_GRACE: Duration = Duration::from_secs(5);
/// Dropped events are reported at once, then at most this often.
const DROP_REPORT: Duration = Duration::from_secs(5);

/// What `relay` was asked to do.
#[derive(Debug, Clone)]
pub struct RelayOptions {
    pub broker: BrokerOptions,
    /// `--queue`: events waiting for the broker at most.
    pub queue: usize,
    /// `--filter`: only matching events are relayed.
    pub filter: Filter,
}

/// Why the relay loop ended.
enum End {
    /// Every source stopped (a recording read to its end): publish
    /// everything, however long it takes.
    Sources,
    /// A signal: publish what is queued within [`EXIT_GRACE`].
    Asked,
    /// The publisher stopped by itself.
    Publisher,
}

/// Run until SIGINT/SIGTERM, every source has stopped, or the publisher
/// fails for good. Returns the exit code: 0 when every relayed event was
/// acknowledged; 1 when events were lost (dropped, refused, unsent), no
/// source ever connected, or the broker refused the relay (credentials,
/// stream).
pub async fn run(config: Config, opts: RelayOptions) -> anyhow::Result<u8> {
    let mut engine = Engine::start(&config.sources, &config.settings, &config.secrets)?;
    let mut store = Store::new(0, &config.sources, now_millis());
    let names: Vec<String> = store.sources().iter().map(|s| s.name.clone()).collect();
    let diag = Diagnostics::start()?;
    let queue = Arc::new(Queue::new(opts.queue));
    let counters = Arc::new(Counters::default());
    let mut publisher = Publisher::start(
        opts.broker.clone(),
        queue.clone(),
        counters.clone(),
        diag.sender(),
    )?;
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    let mut health = Health::new(config.sources.iter().map(|s| s.name.clone()));
    let mut msgs = Vec::with_capacity(BATCH);
    let mut format = Formatter {
        prefix: opts.broker.prefix.clone(),
        names,
        relative: opts.filter.is_relative(),
        filter: opts.filter.clone(),
        clock: crate::tail::StreamClock::new(store.is_replay()),
        received: output::Received::default(),
        line: Vec::with_capacity(1024),
    };
    let mut drops = DropReport::default();
    let end = 'run: loop {
        let n = tokio::select! {
            n = engine.rx.recv_many(&mut msgs, BATCH) => n,
            _ = sigint.recv() => break 'run End::Asked,
            _ = sigterm.recv() => break 'run End::Asked,
            _ = publisher.stopped() => break 'run End::Publisher,
        };
        if n == 0 {
            break End::Sources;
        }
        let mut items = Vec::new();
        for msg in msgs.drain(..) {
            health.observe(&msg);
            let SourceMsg::Events {
                source,
                events,
                cursor,
            } = msg
            else {
                if let Some(line) = crate::tail::diagnose(&store, &msg) {
                    diag.line(line);
                }
                store.ingest(msg, now_millis(), |_, _| {});
                continue;
            };
            if let Some(id) = store.observe(source, &events, cursor, now_millis()) {
                let s = &store.sources()[id as usize];
                let why = s.last_error.as_deref().unwrap_or("state out of sync");
                diag.line(format!("{}: {}", inert(&s.name), inert(why)));
                engine.resync(id);
            }
            let wall = now_millis();
            items.extend(events.iter().filter_map(|ev| format.item(ev, wall)));
        }
        // Hand the batch over; wait for room only while the broker takes
        // events (the queue drops the oldest otherwise).
        while let Pushed::Full(rest) = queue.push(std::mem::take(&mut items)) {
            items = rest;
            tokio::select! {
                _ = queue.wait_room() => {}
                _ = sigint.recv() => break 'run End::Asked,
                _ = sigterm.recv() => break 'run End::Asked,
                _ = publisher.stopped() => break 'run End::Publisher,
            }
        }
        drops.maybe(&queue, &diag);
    };

    engine.shutdown().await;
    let outcome = match end {
        End::Publisher => publisher.stopped().await,
        End::Sources => {
            queue.close(None);
            let mut stopped = std::pin::pin!(publisher.stopped());
            tokio::select! {
                o = &mut stopped => o,
                _ = sigint.recv() => { queue.close(Some(std::time::Instant::now() + EXIT_GRACE)); stopped.await }
                _ = sigterm.recv() => { queue.close(Some(std::time::Instant::now() + EXIT_GRACE)); stopped.await }
            }
        }
        End::Asked => {
            queue.close(Some(std::time::Instant::now() + EXIT_GRACE));
            // The publisher looks at its deadline between steps; a connect
            // attempt in progress may take a few seconds more, not longer.
            tokio::time::timeout(EXIT_GRACE * 3, publisher.stopped())
                .await
                .unwrap_or_else(|_| Outcome {
                    fatal: None,
                    unsent: queue.len() as u64,
                })
        }
    };
    let code = summary(&diag, &queue, &counters, &outcome, &health);
    drop(publisher);
    tokio::task::spawn_blocking(move || diag.finish(EXIT_GRACE)).await?;
    Ok(code)
}

/// The last lines on stderr, and the exit code they add up to.
fn summary(diag: &Diagnostics, queue: &Queue, c: &Counters, outcome: &Outcome, health: &Health) -> u8 {
    let get = Counters::get;
    let (dropped, failed) = (queue.dropped(), get(&c.failed));
    let mut code = 0;
    if let Some(why) = &outcome.fatal {
        diag.line(format!("evtop relay: {}", inert(why)));
        code = 1;
    }
    if health.exit_code() != 0 {
        diag.line(format!(
            "evtop: no source ever connected: {}",
            inert(&health.reasons())
        ));
        code = 1;
    }
    diag.line(format!(
        "evtop relay: {} published, {} acknowledged ({} already in the stream), {dropped} dropped (queue full), {failed} refused, {} unsent at exit",
        get(&c.published),
        get(&c.acked),
        get(&c.duplicates),
        outcome.unsent,
    ));
    if dropped + failed + outcome.unsent > 0 {
        code = 1;
    }
    code
}

/// Says on stderr how many events the queue dropped: at the first drop,
/// then at most every [`DROP_REPORT`].
#[derive(Default)]
struct DropReport {
    said: u64,
    at: Option<Instant>,
}

impl DropReport {
    fn maybe(&mut self, queue: &Queue, diag: &Diagnostics) {
        let dropped = queue.dropped();
        if dropped == self.said || self.at.is_some_and(|t| t.elapsed() < DROP_REPORT) {
            return;
        }
        diag.line(format!(
            "evtop relay: {dropped} events dropped so far: the broker is not taking events and the queue is full (--queue {})",
            queue.capacity()
        ));
        self.said = dropped;
        self.at = Some(Instant::now());
    }
}

/// Turns events into queue items: filter, subject, message id, NDJSON.
struct Formatter {
    prefix: String,
    names: Vec<String>,
    filter: Filter,
    /// The filter has time terms that count from now.
    relative: bool,
    /// "Now" for them: the wall clock, or a replay's clock.
    clock: crate::tail::StreamClock,
    received: output::Received,
    line: Vec<u8>,
}

impl Formatter {
    /// The item for `ev`, or `None` when `--filter` leaves it out; `wall`
    /// is the wall clock, unix ms.
    fn item(&mut self, ev: &crate::event::Event, wall: i64) -> Option<Item> {
        let name = self.names.get(ev.source as usize).map_or("?", String::as_str);
        if self.relative {
            self.filter.set_now(self.clock.now(wall, ev.received));
        }
        let r = ev.as_ref(name);
        if !self.filter.is_empty() && !self.filter.matches(&r) {
            return None;
        }
        self.line.clear();
        output::ndjson_with(&r, &[], &mut self.line, &mut self.received);
        let payload = Bytes::copy_from_slice(self.line.strip_suffix(b"\n").unwrap_or(&self.line));
        let attempt = r.meta.and_then(|m| match m.term("attempt") {
            Some(MetaValue::Number(n)) => Some(n),
            _ => None,
        });
        Some(Item {
            subject: subject::subject(&self.prefix, name, r.ty),
            msg_id: r.id.map(|id| subject::msg_id(name, id, attempt)),
            payload,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::Event;

    fn formatter(filter: &str, replay: bool) -> Formatter {
        let filter = Filter::parse(filter).unwrap();
        Formatter {
            prefix: "evtop".into(),
            names: vec!["pay".into()],
            relative: filter.is_relative(),
            filter,
            clock: crate::tail::StreamClock::new(replay),
            received: output::Received::default(),
            line: Vec::new(),
        }
    }

    fn at(received: i64) -> Event {
        Event {
            source: 0,
            id: Some(received.to_string()),
            ty: "t".into(),
            time: None,
            received,
            data: "{}".into(),
            json: Some(true),
            meta: None,
        }
    }

    #[test]
    fn a_time_filter_counts_from_the_wall_live_and_from_the_replays_clock() {
        let wall = 1_796_220_300_000;
        let mut live = formatter("since:1m", false);
        assert!(live.item(&at(wall - 60_000), wall).is_some());
        assert!(live.item(&at(wall - 60_001), wall).is_none());
        // In a replay, now is the latest received so far.
        let mut replay = formatter("until:1s", true);
        let relayed: Vec<bool> = [0, 2_000, 1_000, 1_001, 3_000]
            .iter()
            .map(|&d| replay.item(&at(1_000_000 + d), wall).is_some())
            .collect();
        assert_eq!(relayed, [false, false, true, false, false]);
    }
}
