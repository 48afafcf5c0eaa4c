//! Whether a live source is telling the truth: a connection can stay open
//! while nothing arrives (a stalled upstream, a proxy holding the socket),
//! or while everything that arrives is unreadable. The status bar shows
//! such a source as `quiet` or `degraded` instead of `● live`.
//!
//! The rule for quiet: a source is quiet when it has been silent for more
//! than `max(QUIET_MIN_MS, QUIET_FACTOR × its median gap)`, the median
//! taken over its last [`GAP_SAMPLES`] gaps between arrivals, once it has
//! [`GAP_MIN_SAMPLES`] of them (a source that never showed a rhythm is not
//! judged). Silence counts from its last event or from when it (re)connected,
//! whichever is later. Degraded: the last thing it sent could not be read
//! (a `Dropped` message of kind unparsable newer than its last event).

use std::collections::VecDeque;

use super::SourceState;
use crate::source::Status;

/// Least silence that counts as quiet, ms: below this a pause is normal.
pub const QUIET_MIN_MS: i64 = 10_000;
/// Silence longer than this many median gaps counts as quiet.
pub const QUIET_FACTOR: i64 = 10;
/// Gaps between arrivals remembered per source.
pub const GAP_SAMPLES: usize = 32;
/// Gaps needed before a source's rhythm is judged.
pub const GAP_MIN_SAMPLES: usize = 3;

/// Arrival rhythm and readability of one source (part of [`SourceState`]).
#[derive(Debug, Clone, Default)]
pub struct Rhythm {
    /// Recent gaps between arrivals, ms (events arriving in one batch are
    /// one arrival), newest last.
    gaps: VecDeque<i64>,
    /// When the source last sent something that could not be read, and why.
    pub unreadable: Option<(i64, String)>,
}

impl Rhythm {
    /// Note an arrival at `now`, `prev` being the previous arrival. A gap
    /// that spans a reconnection (`since` is the last status change) is
    /// not the source's rhythm and is not kept.
    pub(super) fn arrival(&mut self, prev: Option<i64>, since: i64, now: i64) {
        let Some(prev) = prev else { return };
        if now <= prev || prev < since {
            return;
        }
        if self.gaps.len() == GAP_SAMPLES {
            self.gaps.pop_front();
        }
        self.gaps.push_back(now - prev);
    }

    /// The median of the recent gaps, once there are enough of them.
    pub fn median_gap(&self) -> Option<i64> {
        if self.gaps.len() < GAP_MIN_SAMPLES {
            return None;
        }
        let mut g: Vec<i64> = self.gaps.iter().copied().collect();
        g.sort_unstable();
        Some(g[g.len() / 2])
    }
}

/// What the status bar says of a source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Health {
    /// Live and sending as usual (or not judged yet).
    Live,
    /// Live, but silent for this long (ms), far longer than its usual gap.
    Quiet(i64),
    /// Live, but what it last sent could not be read: why.
    Degraded(String),
    /// Not live: connecting, retrying or closed (see [`SourceState::status`]).
    Down,
}

impl SourceState {
    /// The source's health at `now` (see the module docs for the rule).
    pub fn health(&self, now: i64) -> Health {
        if !matches!(self.status, Status::Live(_)) {
            return Health::Down;
        }
        if let Some((at, why)) = &self.rhythm.unreadable {
            if self.last_event_at.is_none_or(|t| *at >= t) {
                return Health::Degraded(why.clone());
            }
        }
        let Some(median) = self.rhythm.median_gap() else {
            return Health::Live;
        };
        let from = self
            .last_event_at
            .unwrap_or(self.status_since)
            .max(self.status_since);
        let silent = now - from;
        if silent > quiet_after(median) {
            Health::Quiet(silent)
        } else {
            Health::Live
        }
    }

    /// Whether the source is failing: retrying or closed.
    pub fn failing(&self) -> bool {
        matches!(self.status, Status::Retrying { .. } | Status::Closed(_))
    }
}

/// Silence after which a source with this median gap is quiet, ms.
pub fn quiet_after(median_gap: i64) -> i64 {
    QUIET_MIN_MS.max(median_gap.saturating_mul(QUIET_FACTOR))
}
