//! The sliding count of a `rate` alert: one bucket per second of its
//! window, so memory is the window's length in seconds whatever the event
//! rate (two million events a second cost what one does).
//!
//! The window at second `S` (the clock's `now / 1000`) covers the seconds
//! `S - len + 1 ..= S`: "in the last minute" is the current second and the
//! 59 before it. An event is counted in the second it was received; one
//! older than the window is not counted — unless the window is empty, which
//! then moves back to it (a replay's clock starts in the past).

/// See the module docs.
#[derive(Debug, Clone)]
pub struct Window {
    /// Counts per second, indexed by `second mod len`.
    buckets: Box<[u64]>,
    /// The newest second covered.
    head: i64,
    /// The sum of `buckets`.
    total: u64,
}

impl Window {
    /// An empty window of `secs` seconds (at least 1), its newest second
    /// the one of `now` (unix ms).
    pub fn new(secs: u64, now: i64) -> Self {
        let len = usize::try_from(secs.max(1)).unwrap_or(usize::MAX);
        Window {
            buckets: vec![0; len].into_boxed_slice(),
            head: now.div_euclid(1000),
            total: 0,
        }
    }

    /// The count as it stands (without moving the window).
    pub fn total(&self) -> u64 {
        self.total
    }

    /// Length in seconds.
    pub fn len_secs(&self) -> u64 {
        self.buckets.len() as u64
    }

    /// Whether counting an event at `at` (unix ms) would move the window
    /// past its newest second: that second and the count as it stands.
    pub fn closes(&self, at: i64) -> Option<(i64, u64)> {
        (at.div_euclid(1000) > self.head).then_some((self.head, self.total))
    }

    /// Count one event received at `at` (unix ms).
    pub fn add(&mut self, at: i64) {
        let second = at.div_euclid(1000);
        self.reanchor(second);
        self.advance(second);
        let len = self.buckets.len() as i64;
        if second <= self.head - len {
            return;
        }
        self.buckets[second.rem_euclid(len) as usize] += 1;
        self.total += 1;
    }

    /// The events in the window that ends at `now` (unix ms); moves the
    /// window forward (never back: a clock that steps back sees the newest
    /// window it saw).
    pub fn count(&mut self, now: i64) -> u64 {
        let second = now.div_euclid(1000);
        self.reanchor(second);
        self.advance(second);
        self.total
    }

    /// An empty window moves back to an earlier `second`: a replay's clock
    /// starts where its recording does, before the wall clock the window
    /// began at. A window that holds events never moves back.
    fn reanchor(&mut self, second: i64) {
        if self.total == 0 && second < self.head {
            self.head = second;
        }
    }

    /// Make `second` the newest covered, emptying the seconds that leave.
    fn advance(&mut self, second: i64) {
        if second <= self.head {
            return;
        }
        let len = self.buckets.len() as i64;
        if second - self.head >= len {
            self.buckets.fill(0);
            self.total = 0;
        } else {
            for s in self.head + 1..=second {
                let b = &mut self.buckets[s.rem_euclid(len) as usize];
                self.total -= *b;
                *b = 0;
            }
        }
        self.head = second;
    }
}
