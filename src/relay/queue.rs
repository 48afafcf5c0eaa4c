//! The relay's queue between its sources and its publisher: bounded, and
//! shared by two threads that never wait on each other's I/O.
//!
//! ```text
//! runtime thread (sources, webhooks)          publisher thread (NATS client)
//!   relay loop ──push──▶ Queue (≤ --queue events) ──take──▶ publish, await acks
//!        ▲ waits for room only while the broker acks ──┘
//! ```
//!
//! While the broker takes events ([`Queue::set_flowing`]), a full queue
//! makes the relay loop wait, and that pushes back on SSE and polling
//! sources as a slow stdout does for `tail` (nothing lost). While it does
//! not (unreachable, or not acknowledging), the queue keeps the newest
//! events: the oldest are dropped and counted ([`Queue::dropped`]), so the
//! sources — webhook replies above all — never wait for the broker.

use std::collections::VecDeque;
use std::sync::Mutex;
use std::time::Instant;

use bytes::Bytes;
use tokio::sync::Notify;

/// `--queue` when not given: events waiting for the broker at most.
pub const DEFAULT_QUEUE: usize = 100_000;

/// One event ready to publish.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    /// `prefix.source.type` ([`super::subject::subject`]).
    pub subject: String,
    /// `Nats-Msg-Id`, for events with an id.
    pub msg_id: Option<String>,
    /// The event's NDJSON line, without its newline.
    pub payload: Bytes,
}

#[derive(Debug, Default)]
struct State {
    items: VecDeque<Item>,
    dropped: u64,
    closed: bool,
    /// After [`Queue::close`]: when the publisher must give up on what is
    /// left (`None`: never, send everything).
    deadline: Option<Instant>,
    flowing: bool,
}

/// The bounded queue (see the module doc).
#[derive(Debug)]
pub struct Queue {
    state: Mutex<State>,
    cap: usize,
    /// Wakes the publisher: events arrived, or the queue closed.
    ready: Notify,
    /// Wakes the relay loop: room was made, or the broker stopped flowing.
    room: Notify,
}

/// What [`Queue::push`] did with a batch.
#[derive(Debug, PartialEq, Eq)]
pub enum Pushed {
    /// All of it is queued (the oldest events may have gone to make room).
    Done,
    /// The queue is full and the broker is taking events: these wait for
    /// [`Queue::wait_room`].
    Full(Vec<Item>),
}

impl Queue {
    /// A queue of at most `cap` events (at least 1), flowing until the
    /// publisher says otherwise: a relay starting up waits for its first
    /// connection rather than dropping what its sources read meanwhile,
    /// and starts dropping only once a connection attempt has failed.
    pub fn new(cap: usize) -> Queue {
        Queue {
            state: Mutex::new(State {
                flowing: true,
                ..State::default()
            }),
            cap: cap.max(1),
            ready: Notify::new(),
            room: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        // A panic while holding it cannot leave the deque inconsistent.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Queue a batch, never waiting: when full, either drop the oldest
    /// (broker not flowing) or hand back what did not fit (flowing).
    pub fn push(&self, batch: Vec<Item>) -> Pushed {
        let mut s = self.lock();
        let mut rest = batch.into_iter();
        let mut pushed = false;
        while s.items.len() < self.cap {
            let Some(item) = rest.next() else { break };
            s.items.push_back(item);
            pushed = true;
        }
        let left: Vec<Item> = rest.collect();
        let result = if left.is_empty() {
            Pushed::Done
        } else if s.flowing && !s.closed {
            Pushed::Full(left)
        } else {
            for item in left {
                s.items.pop_front();
                s.dropped += 1;
                s.items.push_back(item);
                pushed = true;
            }
            Pushed::Done
        };
        drop(s);
        if pushed {
            self.ready.notify_one();
        }
        result
    }

    /// Wait until the queue has room or the broker stops flowing (then
    /// [`Queue::push`] again).
    pub async fn wait_room(&self) {
        let notified = self.room.notified();
        {
            let s = self.lock();
            if s.items.len() < self.cap || !s.flowing || s.closed {
                return;
            }
        }
        notified.await;
    }

    /// Take up to `max` of the oldest events (the publisher).
    pub fn take(&self, max: usize, into: &mut VecDeque<Item>) -> usize {
        let mut s = self.lock();
        let n = max.min(s.items.len());
        into.extend(s.items.drain(..n));
        drop(s);
        if n > 0 {
            self.room.notify_one();
        }
        n
    }

    /// Resolves when events may be waiting or the queue closed (the
    /// publisher, after finding it empty).
    pub async fn ready(&self) {
        let notified = self.ready.notified();
        {
            let s = self.lock();
            if !s.items.is_empty() || s.closed {
                return;
            }
        }
        notified.await;
    }

    /// Whether the broker is taking events (set by the publisher): decides
    /// between waiting for room and dropping the oldest.
    pub fn set_flowing(&self, flowing: bool) {
        let mut s = self.lock();
        let changed = s.flowing != flowing;
        s.flowing = flowing;
        drop(s);
        if changed && !flowing {
            self.room.notify_one();
        }
    }

    /// Whether the broker is taking events.
    pub fn flowing(&self) -> bool {
        self.lock().flowing
    }

    /// No more events will come: the publisher sends what is left and
    /// stops, giving up at `until` (`None`: not before everything is
    /// acknowledged). Closing again can only bring the deadline closer.
    pub fn close(&self, until: Option<Instant>) {
        let mut s = self.lock();
        s.deadline = match (s.closed, s.deadline, until) {
            (false, _, u) => u,
            (true, Some(d), Some(u)) => Some(d.min(u)),
            (true, d, u) => d.or(u),
        };
        s.closed = true;
        drop(s);
        self.ready.notify_one();
        self.room.notify_one();
    }

    /// `None` while open; once closed, its deadline ([`Queue::close`]).
    pub fn closed(&self) -> Option<Option<Instant>> {
        let s = self.lock();
        s.closed.then_some(s.deadline)
    }

    /// Events waiting.
    pub fn len(&self) -> usize {
        self.lock().items.len()
    }

    /// Whether no event is waiting.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Events dropped so far to make room.
    pub fn dropped(&self) -> u64 {
        self.lock().dropped
    }

    /// The bound (`--queue`).
    pub fn capacity(&self) -> usize {
        self.cap
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    fn item(n: usize) -> Item {
        Item {
            subject: format!("evtop.s.t{n}"),
            msg_id: Some(format!("s:{n}")),
            payload: Bytes::from(n.to_string()),
        }
    }

    fn items(r: std::ops::Range<usize>) -> Vec<Item> {
        r.map(item).collect()
    }

    fn drain(q: &Queue) -> Vec<Item> {
        let mut out = VecDeque::new();
        q.take(usize::MAX, &mut out);
        out.into()
    }

    #[test]
    fn while_the_broker_is_away_the_newest_events_stay_and_drops_are_counted() {
        let q = Queue::new(3);
        q.set_flowing(false);
        assert_eq!(q.push(items(0..2)), Pushed::Done);
        assert_eq!(q.push(items(2..7)), Pushed::Done);
        assert_eq!(q.dropped(), 4);
        assert_eq!(drain(&q), items(4..7));
        assert_eq!(q.push(items(7..8)), Pushed::Done);
        assert_eq!(q.dropped(), 4, "room again: nothing dropped");
    }

    #[test]
    fn while_the_broker_takes_events_a_full_queue_hands_the_rest_back() {
        let q = Queue::new(3);
        assert!(q.flowing(), "flowing from the start");
        assert_eq!(q.push(items(0..5)), Pushed::Full(items(3..5)));
        assert_eq!(q.dropped(), 0);
        let mut got = VecDeque::new();
        assert_eq!(q.take(1, &mut got), 1);
        assert_eq!(q.push(items(3..5)), Pushed::Full(items(4..5)));
        // The broker goes away: the same push now drops the oldest.
        q.set_flowing(false);
        assert_eq!(q.push(items(4..5)), Pushed::Done);
        assert_eq!(q.dropped(), 1);
        assert_eq!(drain(&q), items(2..5));
    }

    #[test]
    fn a_closed_queue_never_makes_the_caller_wait() {
        let q = Queue::new(1);
        q.set_flowing(true);
        q.close(None);
        assert_eq!(q.push(items(0..2)), Pushed::Done);
        assert_eq!(q.dropped(), 1);
        assert_eq!(q.closed(), Some(None), "no deadline: send everything");
        let soon = Instant::now() + Duration::from_secs(5);
        q.close(Some(soon));
        q.close(Some(soon + Duration::from_secs(1)));
        assert_eq!(
            q.closed(),
            Some(Some(soon)),
            "a later close never extends the deadline"
        );
    }

    #[tokio::test]
    async fn room_wakes_the_waiting_relay_loop() {
        let q = std::sync::Arc::new(Queue::new(1));
        q.set_flowing(true);
        assert!(matches!(q.push(items(0..2)), Pushed::Full(_)));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.wait_room().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        drain(&q);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken by take")
            .unwrap();
        // And the broker going away wakes it too.
        q.push(items(0..1));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.wait_room().await }
        });
        tokio::task::yield_now().await;
        q.set_flowing(false);
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken when the broker stops flowing")
            .unwrap();
    }

    #[tokio::test]
    async fn ready_wakes_the_publisher() {
        let q = std::sync::Arc::new(Queue::new(4));
        let waiter = tokio::spawn({
            let q = q.clone();
            async move { q.ready().await }
        });
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        q.push(items(0..1));
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .expect("woken by push")
            .unwrap();
    }
}
