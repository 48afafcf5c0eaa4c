//! One `[[reconcile]]` pairing's ids: which were listed, which delivered,
//! and their deadlines. Pure: the caller passes the time.
//!
//! Every id is kept once, in a map, and in a queue in the order it was
//! first seen. Because the time is kept monotonic (a clock stepping back is
//! read as standing still), the queue is also ordered by deadline, so the
//! ids due for a verdict, and later those due to be forgotten, are always
//! at its front: each costs O(1) amortized, whatever the rate.
//!
//! ```text
//!  first seen at T ──▶ waiting ──(other side by T + within)──▶ matched
//!                         └──(nothing by then)──▶ reported (not delivered / not listed)
//!  forgotten (counted) after T + within + interval; the oldest dropped (counted) at MAX_IDS
//! ```

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use super::{Counts, Missing};

/// Most ids one pairing keeps, whatever the rate: at the cap the oldest id
/// is dropped (and counted in [`Counts::dropped`]) to make room. About
/// 140 bytes each for Stripe's 30-byte ids (measured: 26.6 MB of RSS for
/// 200,000), so at most some 27 MB per pairing.
pub const MAX_IDS: usize = 200_000;
/// Longest id reconciled, in bytes; a longer one is not kept (counted in
/// [`Counts::unusable`]): providers' ids are short, and a sender must not
/// make evtop keep long strings.
pub const MAX_ID_BYTES: usize = 200;

/// What is known of one id.
#[derive(Debug, Clone, Copy)]
struct Entry {
    /// When it was first seen (listed or delivered), unix ms.
    at: i64,
    listed: bool,
    delivered: bool,
    /// Part of the backlog (listed by the first poll, or a delivery of an
    /// event from before the start): never reported.
    backlog: bool,
    /// Its deadline passed without the other side: reported.
    reported: bool,
}

/// The ids of one pairing. See the module docs.
#[derive(Debug)]
pub struct Ids {
    within: i64,
    forget_after: i64,
    cap: usize,
    map: HashMap<Arc<str>, Entry>,
    /// Ids in the order first seen (so by `at`).
    queue: VecDeque<Arc<str>>,
    /// Index in `queue` of the first id whose deadline has not been judged.
    next_due: usize,
    /// The latest time seen: time never goes back.
    now: i64,
    /// Ids neither matched, nor reported, nor backlog.
    waiting: usize,
    counts: Counts,
}

impl Entry {
    /// Waiting for its other side, to be judged at its deadline.
    fn waiting(&self) -> bool {
        !(self.backlog || self.reported || (self.listed && self.delivered))
    }
}

impl Ids {
    /// Ids with a deadline of `within` ms, forgotten `forget_after` ms after
    /// they were first seen (at least `within`), at most `cap` kept.
    pub fn new(within: i64, forget_after: i64, cap: usize) -> Self {
        Ids {
            within,
            forget_after: forget_after.max(within),
            cap: cap.max(1),
            map: HashMap::new(),
            queue: VecDeque::new(),
            next_due: 0,
            now: i64::MIN,
            waiting: 0,
            counts: Counts::default(),
        }
    }

    /// What happened so far.
    pub fn counts(&self) -> &Counts {
        &self.counts
    }

    /// Ids kept now.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no id is kept.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Ids waiting for their other side before their deadline.
    pub fn waiting(&self) -> usize {
        self.waiting
    }

    /// Advance the time to `now`: judge every id whose deadline passed
    /// (`now` later than first seen + within) into `found`, then forget
    /// those older than `forget_after`.
    pub fn tick(&mut self, now: i64, found: &mut Vec<(Missing, Arc<str>)>) {
        self.now = self.now.max(now);
        while let Some(id) = self.queue.get(self.next_due) {
            let Some(e) = self.map.get_mut(id) else {
                self.next_due += 1;
                continue;
            };
            if self.now - e.at <= self.within {
                break;
            }
            if e.waiting() {
                e.reported = true;
                self.waiting -= 1;
                let missing = if e.listed {
                    self.counts.not_delivered += 1;
                    Missing::NotDelivered
                } else {
                    self.counts.not_listed += 1;
                    Missing::NotListed
                };
                found.push((missing, id.clone()));
            }
            self.next_due += 1;
        }
        while let Some(id) = self.queue.front() {
            if self
                .map
                .get(id)
                .is_some_and(|e| self.now - e.at <= self.forget_after)
            {
                break;
            }
            self.pop_front();
            self.counts.forgotten += 1;
        }
    }

    /// `id` was listed at the time of the last [`Ids::tick`]; `backlog`:
    /// by the first poll.
    pub fn listed(&mut self, id: &str, backlog: bool) {
        self.saw(id, true, backlog);
    }

    /// `id` was delivered at the time of the last [`Ids::tick`];
    /// `backlog`: it is an event from before the start.
    pub fn delivered(&mut self, id: &str, backlog: bool) {
        self.saw(id, false, backlog);
    }

    fn saw(&mut self, id: &str, listed: bool, backlog: bool) {
        if id.len() > MAX_ID_BYTES {
            self.counts.unusable += 1;
            return;
        }
        if listed {
            self.counts.listed += 1;
        } else {
            self.counts.delivered += 1;
        }
        if backlog {
            self.counts.backlog += 1;
        }
        if let Some(e) = self.map.get_mut(id) {
            let (seen, other) = if listed {
                (e.listed, e.delivered)
            } else {
                (e.delivered, e.listed)
            };
            if seen {
                // Listed again, or a redelivery: not a new sighting.
                self.counts.repeated += 1;
                return;
            }
            let was_waiting = e.waiting();
            if listed {
                e.listed = true;
            } else {
                e.delivered = true;
            }
            if other {
                self.waiting -= usize::from(was_waiting);
                if e.reported {
                    self.counts.late += 1;
                } else {
                    self.counts.matched += 1;
                }
            }
            return;
        }
        if self.map.len() >= self.cap {
            self.pop_front();
            self.counts.dropped += 1;
        }
        let id: Arc<str> = id.into();
        let entry = Entry {
            at: self.now,
            listed,
            delivered: !listed,
            backlog,
            reported: false,
        };
        self.waiting += usize::from(entry.waiting());
        self.map.insert(id.clone(), entry);
        self.queue.push_back(id);
    }

    fn pop_front(&mut self) {
        if let Some(old) = self.queue.pop_front() {
            if self.map.remove(&old).is_some_and(|e| e.waiting()) {
                self.waiting -= 1;
            }
            self.next_due = self.next_due.saturating_sub(1);
        }
    }
}
