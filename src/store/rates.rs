//! Per-second event counts over the last minutes: what the sparklines draw
//! and what "events/s" means.

/// Seconds of history kept per type (five minutes).
pub const RATE_SECONDS: usize = 300;

/// Seconds averaged for the "current rate".
const CURRENT_WINDOW: i64 = 5;

/// A ring of per-second counts ending at the second of the last `add`.
#[derive(Debug, Clone)]
pub struct RateHistory {
    buckets: Box<[u32]>,
    /// Unix second of the newest bucket.
    head_sec: i64,
}

impl Default for RateHistory {
    fn default() -> Self {
        RateHistory {
            buckets: vec![0; RATE_SECONDS].into_boxed_slice(),
            head_sec: i64::MIN,
        }
    }
}

impl RateHistory {
    /// Count `n` events at `now_ms`.
    pub fn add(&mut self, now_ms: i64, n: u32) {
        let sec = now_ms.div_euclid(1000);
        self.advance(sec);
        let i = self.index(self.head_sec);
        self.buckets[i] = self.buckets[i].saturating_add(n);
    }

    fn index(&self, sec: i64) -> usize {
        sec.rem_euclid(RATE_SECONDS as i64) as usize
    }

    fn advance(&mut self, sec: i64) {
        if self.head_sec == i64::MIN || sec - self.head_sec >= RATE_SECONDS as i64 {
            self.buckets.fill(0);
            self.head_sec = sec;
            return;
        }
        while self.head_sec < sec {
            self.head_sec += 1;
            let i = self.index(self.head_sec);
            self.buckets[i] = 0;
        }
    }

    /// Count in the second `sec` (0 outside the history).
    fn at(&self, sec: i64) -> u32 {
        if self.head_sec == i64::MIN || sec > self.head_sec || self.head_sec - sec >= RATE_SECONDS as i64 {
            0
        } else {
            self.buckets[self.index(sec)]
        }
    }

    /// Events/s averaged over the last complete seconds before `now_ms`.
    pub fn rate(&self, now_ms: i64) -> f64 {
        let now = now_ms.div_euclid(1000);
        let sum: u64 = (1..=CURRENT_WINDOW).map(|k| u64::from(self.at(now - k))).sum();
        sum as f64 / CURRENT_WINDOW as f64
    }

    /// The last `n` complete seconds before `now_ms`, oldest first (what a
    /// sparkline `n` cells wide draws).
    pub fn history(&self, now_ms: i64, n: usize) -> Vec<u64> {
        let now = now_ms.div_euclid(1000);
        let n = n.min(RATE_SECONDS - 1) as i64;
        (1..=n).rev().map(|k| u64::from(self.at(now - k))).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_land_in_their_second_and_age_out() {
        let mut r = RateHistory::default();
        let t0 = 1_000_000_000;
        r.add(t0, 1);
        r.add(t0 + 500, 2);
        r.add(t0 + 1000, 5);
        assert_eq!(r.history(t0 + 2000, 3), vec![0, 3, 5]);
        // 5 complete seconds before t0+2000: 3 + 5 = 8 → 1.6/s
        assert!((r.rate(t0 + 2000) - 1.6).abs() < 1e-9);
        // Long after, everything is gone.
        assert_eq!(r.history(t0 + 1_000_000, 3), vec![0, 0, 0]);
        r.add(t0 + 1_000_000, 1);
        assert_eq!(r.history(t0 + 1_001_000, 2), vec![0, 1]);
    }

    #[test]
    fn a_gap_zeroes_the_skipped_seconds() {
        let mut r = RateHistory::default();
        let t0 = 5_000_000;
        r.add(t0, 4);
        r.add(t0 + 10_000, 1);
        let h = r.history(t0 + 11_000, 11);
        assert_eq!(h[0], 4);
        assert!(h[1..10].iter().all(|&c| c == 0), "{h:?}");
        assert_eq!(h[10], 1);
    }

    #[test]
    fn history_wraps_the_ring() {
        let mut r = RateHistory::default();
        let t0 = 0;
        for s in 0..(RATE_SECONDS as i64 + 50) {
            r.add(t0 + s * 1000, (s % 7) as u32 + 1);
        }
        let now = t0 + (RATE_SECONDS as i64 + 50) * 1000;
        let h = r.history(now, 10);
        let want: Vec<u64> = ((RATE_SECONDS as i64 + 40)..(RATE_SECONDS as i64 + 50))
            .map(|s| (s % 7) as u64 + 1)
            .collect();
        assert_eq!(h, want);
    }
}
