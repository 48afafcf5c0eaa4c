//! Event counts over time: what "events/s", the type panel's sparklines and
//! the rate chart read. Counted at each event's `received` time, so a
//! replay's rates are the recording's, not the wall clock's.
//!
//! A [`RateHistory`] is up to three rings of counts. Every bucket is aligned
//! to its width on the clock: bucket `k` of a ring `w` seconds wide covers
//! the seconds `[k·w, (k+1)·w)` since the epoch.
//!
//! | ring | buckets | covers | who has it |
//! | --- | --- | --- | --- |
//! | recent | 1 s × [`RECENT_SECONDS`] | the "current rate" | every history |
//! | fine | 1 s × [`FINE_SECONDS`] | the 15-minute sparkline, the chart up to 15 minutes | [`RateHistory::full`] |
//! | coarse | [`COARSE_WIDTH`] s × [`COARSE_BUCKETS`] | the chart zoomed out, up to 24 hours | [`RateHistory::full`] |
//!
//! The fine and coarse rings cost [`FULL_HISTORY_BYTES`] (9.6 kB); the store
//! hands them out within its bound (`store::RATE_HISTORY_BYTES`). An event
//! older than a ring's reach (a replay interleaving recordings) is counted
//! in the rings that still reach it and dropped from the others.

/// Seconds averaged for the "current rate" (the type panel's `/s` column
/// and its sort order, the status bar's `ev/s`).
const CURRENT_WINDOW: i64 = 5;
/// One-second buckets every history keeps: the current-rate window plus
/// the second under way and a margin for events a little out of order.
pub const RECENT_SECONDS: usize = 8;
/// The longest sparkline window (15 minutes).
pub const LONGEST_WINDOW_SECONDS: i64 = 15 * 60;
/// One-second buckets of a full history: the longest sparkline window, plus
/// a minute so that window's oldest cell is still whole while the newest
/// second fills.
pub const FINE_SECONDS: usize = LONGEST_WINDOW_SECONDS as usize + 60;
/// Width of a coarse bucket, seconds.
pub const COARSE_WIDTH: i64 = 60;
/// Coarse buckets of a full history: 24 hours of minutes.
pub const COARSE_BUCKETS: usize = 24 * 60;
/// Heap bytes of a full history's fine and coarse rings.
pub const FULL_HISTORY_BYTES: usize = (FINE_SECONDS + COARSE_BUCKETS) * std::mem::size_of::<u32>();

/// No bucket counted yet.
const EMPTY: i64 = i64::MIN;

/// A ring of counts in buckets `width` seconds wide, ending at the newest
/// bucket counted.
#[derive(Debug, Clone)]
struct Ring {
    width: i64,
    counts: Box<[u32]>,
    /// Number (`second / width`) of the newest bucket, or [`EMPTY`].
    head: i64,
}

impl Ring {
    fn new(width: i64, buckets: usize) -> Self {
        Ring {
            width,
            counts: vec![0; buckets].into_boxed_slice(),
            head: EMPTY,
        }
    }

    fn len(&self) -> i64 {
        self.counts.len() as i64
    }

    fn slot(&self, bucket: i64) -> usize {
        bucket.rem_euclid(self.len()) as usize
    }

    /// Number of the oldest bucket still kept (meaningless while empty).
    fn oldest(&self) -> i64 {
        self.head.saturating_sub(self.len() - 1)
    }

    fn add(&mut self, sec: i64, n: u32) {
        let b = sec.div_euclid(self.width);
        if self.head == EMPTY {
            self.head = b;
        } else if b > self.head {
            if b - self.head >= self.len() {
                self.counts.fill(0);
            } else {
                for k in self.head + 1..=b {
                    let i = self.slot(k);
                    self.counts[i] = 0;
                }
            }
            self.head = b;
        } else if b < self.oldest() {
            return;
        }
        let i = self.slot(b);
        self.counts[i] = self.counts[i].saturating_add(n);
    }

    /// The count of bucket `b` (0 outside what is kept).
    fn at(&self, b: i64) -> u32 {
        if self.head == EMPTY || b > self.head || b < self.oldest() {
            0
        } else {
            self.counts[self.slot(b)]
        }
    }

    /// Whether bucket `b` is still kept (or not yet reached).
    fn reaches(&self, b: i64) -> bool {
        self.head == EMPTY || b >= self.oldest()
    }
}

#[derive(Debug, Clone)]
struct Tiers {
    fine: Ring,
    coarse: Ring,
}

/// Counts of one type (or of all events) over time; see the module docs.
#[derive(Debug, Clone)]
pub struct RateHistory {
    recent: Ring,
    /// Fine and coarse rings; `None` past the store's memory bound.
    tiers: Option<Box<Tiers>>,
}

impl Default for RateHistory {
    /// A full history.
    fn default() -> Self {
        RateHistory::full()
    }
}

impl RateHistory {
    /// Recent seconds only: the current rate, no sparkline or chart line.
    pub fn recent_only() -> Self {
        RateHistory {
            recent: Ring::new(1, RECENT_SECONDS),
            tiers: None,
        }
    }

    /// With fine and coarse rings ([`FULL_HISTORY_BYTES`] on the heap).
    pub fn full() -> Self {
        RateHistory {
            tiers: Some(Box::new(Tiers {
                fine: Ring::new(1, FINE_SECONDS),
                coarse: Ring::new(COARSE_WIDTH, COARSE_BUCKETS),
            })),
            ..RateHistory::recent_only()
        }
    }

    /// Whether this history keeps more than the recent seconds.
    pub fn is_full(&self) -> bool {
        self.tiers.is_some()
    }

    /// Count `n` events received at `at_ms`.
    pub fn add(&mut self, at_ms: i64, n: u32) {
        let sec = at_ms.div_euclid(1000);
        self.recent.add(sec, n);
        if let Some(t) = &mut self.tiers {
            t.fine.add(sec, n);
            t.coarse.add(sec, n);
        }
    }

    /// Events/s averaged over the last complete seconds before `now_ms`.
    pub fn rate(&self, now_ms: i64) -> f64 {
        let now = now_ms.div_euclid(1000);
        let sum: u64 = (1..=CURRENT_WINDOW)
            .map(|k| u64::from(self.recent.at(now - k)))
            .sum();
        sum as f64 / CURRENT_WINDOW as f64
    }

    /// Events received in the seconds `[from, to)`, or `None` when this
    /// history does not keep them: a recent-only history, or older than the
    /// rings reach (the fine ring for any span, the coarse ring for spans
    /// aligned to [`COARSE_WIDTH`]).
    pub fn count(&self, from: i64, to: i64) -> Option<u64> {
        let t = self.tiers.as_ref()?;
        if to <= from {
            return Some(0);
        }
        if t.fine.reaches(from) {
            return Some((from..to).map(|s| u64::from(t.fine.at(s))).sum());
        }
        let (a, b) = (from.div_euclid(COARSE_WIDTH), to.div_euclid(COARSE_WIDTH));
        let aligned = from.rem_euclid(COARSE_WIDTH) == 0 && to.rem_euclid(COARSE_WIDTH) == 0;
        (aligned && t.coarse.reaches(a)).then(|| (a..b).map(|k| u64::from(t.coarse.at(k))).sum())
    }

    /// A sparkline over the last `window` complete seconds before `now_ms`
    /// in `cells` cells, oldest first: each cell's events/s × 1000 (cells
    /// of a window that does not divide evenly differ by a second in width,
    /// so they are compared as rates, not counts). `None` without the fine
    /// ring. `window` is at most [`LONGEST_WINDOW_SECONDS`].
    pub fn sparkline(&self, now_ms: i64, window: i64, cells: usize) -> Option<Vec<u64>> {
        let fine = &self.tiers.as_ref()?.fine;
        let window = window.clamp(1, LONGEST_WINDOW_SECONDS);
        let cells = (cells as i64).clamp(1, window);
        let start = now_ms.div_euclid(1000) - window;
        let edge = |i: i64| start + i * window / cells;
        Some(
            (0..cells)
                .map(|i| {
                    let (a, b) = (edge(i), edge(i + 1));
                    let sum: u64 = (a..b).map(|s| u64::from(fine.at(s))).sum();
                    sum * 1000 / (b - a) as u64
                })
                .collect(),
        )
    }
}

#[cfg(test)]
mod tests;
