//! Keeping a `since:` / `until:` filter true as the clock moves, without
//! matching the buffer again.
//!
//! The window ([`Window`]) only moves forward with the clock: events below
//! its new start leave the feed, and waiting events (matched, but received
//! after its end) at or below its new end join it. Both are found by a
//! walk from the front of a list in arrival order, which is nearly the
//! order of `received`: it stops at the first event received more than
//! [`FeedView::disorder`] past the bound. Why that is exact: an event
//! received before the bound but stored after one received more than
//! `disorder` past it would have been received more than `disorder`
//! before an earlier event, which `disorder` says never happened. Live,
//! `disorder` is a few milliseconds and a walk touches only the events that
//! move (plus those within `disorder` of the bound); replaying recordings
//! of different times together widens it, and the walks with it.
//!
//! A clock that goes back (the wall clock stepped back; a replay's first
//! event) moves the window back: the caller rebuilds the view.

use super::FeedView;
use crate::filter::Filter;
use crate::store::Store;

impl FeedView {
    /// Bring the view to the window `filter` (the filter it was built with,
    /// at a later now) puts on `received`. Returns true when the window moved
    /// back and the caller must rebuild the view instead.
    pub fn advance(&mut self, store: &Store, filter: &Filter) -> bool {
        let (Some(old), Some(new), Some(_)) = (self.window, filter.window(), &self.rest) else {
            return false;
        };
        if new.min < old.min || new.max < old.max {
            return true;
        }
        if new == old {
            return false;
        }
        let first = store.first_seq();
        let recs = store.records();
        let received = |seq: u64| recs[(seq - first) as usize].received;
        // Events evicted since the last turn are not looked at.
        self.drop_evicted(first);
        if new.min > old.min {
            let reach = new.min.saturating_add(self.disorder);
            let mut kept = Vec::new();
            while let Some(&seq) = self.seqs.front() {
                let r = received(seq);
                if r >= reach {
                    break;
                }
                self.seqs.pop_front();
                if r >= new.min {
                    kept.push(seq);
                }
            }
            for &seq in kept.iter().rev() {
                self.seqs.push_front(seq);
            }
        }
        if new.max > old.max {
            let reach = new.max.saturating_add(self.disorder);
            let mut kept = Vec::new();
            while let Some(&seq) = self.waiting.front() {
                let r = received(seq);
                if r > reach {
                    break;
                }
                self.waiting.pop_front();
                if r > new.max {
                    kept.push(seq);
                } else if r >= new.min {
                    // Usually the newest in the feed; after events received
                    // out of order, somewhere near the end.
                    let at = self.seqs.partition_point(|&s| s < seq);
                    self.seqs.insert(at, seq);
                    if self.paused {
                        self.new_since_pause += 1;
                    }
                }
            }
            for &seq in kept.iter().rev() {
                self.waiting.push_front(seq);
            }
        }
        self.window = Some(new);
        self.clamp_selection();
        false
    }
}
