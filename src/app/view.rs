//! The feed's view of the store: the sequence numbers of the events that
//! pass the filter and the type selection, the selection, and following.
//!
//! Matching is done once per event as it arrives, and again over the whole
//! buffer only when the filter or type selection changes. Type and source
//! decisions are cached per (type, source) pair, so a `type:` filter over a
//! million events is a table lookup per event; data is parsed only for
//! filters that look inside it.

use std::collections::VecDeque;

use super::TypeSelection;
use crate::event::Meta;
use crate::filter::Filter;
use crate::store::{Record, Store};

/// See the module docs.
#[derive(Debug, Default)]
pub struct FeedView {
    /// Matching sequence numbers, ascending.
    pub seqs: VecDeque<u64>,
    /// Following: the selection is the newest event and moves with it.
    pub paused: bool,
    /// Selected event's sequence number while paused.
    pub selected: Option<u64>,
    /// Matching events that arrived since the view was paused.
    pub new_since_pause: u64,
    /// (type, source) → 0 unknown, 1 pass, 2 fail, 3 look at the data.
    cache: Vec<u8>,
    cache_sources: usize,
    /// A rebuild in slices is under way: the next sequence number to match.
    /// New events wait for it (it reaches them too), so nothing is matched
    /// twice.
    rebuild_next: Option<u64>,
}

/// Buffered events matched per slice of an incremental rebuild: a field
/// filter (~0.5 µs an event) takes ~8 ms a slice; the loop runs slices for
/// up to [`crate::tui::REBUILD_BUDGET`] a tick.
pub const REBUILD_SLICE: usize = 16_384;

impl FeedView {
    /// Re-match the whole buffer now.
    pub fn rebuild(&mut self, store: &Store, filter: &Filter, types: &TypeSelection) {
        self.start_rebuild(store);
        self.step(store, filter, types, usize::MAX);
    }

    /// Start re-matching the buffer in slices ([`FeedView::step`]).
    pub fn start_rebuild(&mut self, store: &Store) {
        self.cache.clear();
        self.cache_sources = store.sources().len().max(1);
        self.seqs.clear();
        self.rebuild_next = Some(store.first_seq());
    }

    /// Whether a rebuild in slices is still under way, and how far (0–1).
    pub fn rebuilding(&self, store: &Store) -> Option<f64> {
        let next = self.rebuild_next?;
        let first = store.first_seq();
        let len = store.records().len().max(1) as f64;
        Some((next.saturating_sub(first)) as f64 / len)
    }

    /// Match up to `budget` more events of a rebuild under way.
    pub fn step(&mut self, store: &Store, filter: &Filter, types: &TypeSelection, budget: usize) {
        let Some(next) = self.rebuild_next else { return };
        let first = store.first_seq();
        let recs = store.records();
        let end = first + recs.len() as u64;
        let start = next.max(first);
        let stop = end.min(start.saturating_add(budget as u64));
        for seq in start..stop {
            let rec = &recs[(seq - first) as usize];
            if self.accepts(store, rec, filter, types) {
                self.seqs.push_back(seq);
            }
        }
        self.rebuild_next = (stop < end).then_some(stop);
        while self.seqs.front().is_some_and(|&s| s < first) {
            self.seqs.pop_front();
        }
        self.clamp_selection();
    }

    /// Match the events stored from `from_seq` on, and drop evicted ones.
    pub fn append_from(&mut self, store: &Store, from_seq: u64, filter: &Filter, types: &TypeSelection) {
        let first = store.first_seq();
        if self.rebuild_next.is_some() {
            // The rebuild under way will reach the new events itself.
            while self.seqs.front().is_some_and(|&s| s < first) {
                self.seqs.pop_front();
            }
            return;
        }
        let start = from_seq.max(first);
        let recs = store.records();
        for seq in start..first + recs.len() as u64 {
            let rec = &recs[(seq - first) as usize];
            if self.accepts(store, rec, filter, types) {
                self.seqs.push_back(seq);
                if self.paused {
                    self.new_since_pause += 1;
                }
            }
        }
        while self.seqs.front().is_some_and(|&s| s < first) {
            self.seqs.pop_front();
        }
        self.clamp_selection();
    }

    fn accepts(&mut self, store: &Store, rec: &Record, filter: &Filter, types: &TypeSelection) -> bool {
        if !types.visible(rec.ty) {
            return false;
        }
        // An event relayed from another source's name is not decided per
        // (type, source id): the name it shows varies within one source.
        if rec.meta.as_deref().and_then(Meta::source_name).is_some() {
            return filter.matches(&store.view(rec));
        }
        let key = rec.ty as usize * self.cache_sources + rec.source as usize;
        if key >= self.cache.len() {
            self.cache.resize(key + 1, 0);
        }
        if self.cache[key] == 0 {
            let ev = store.view(rec);
            self.cache[key] = match filter.matches_type_source(ev.ty, ev.source) {
                Some(true) => 1,
                Some(false) => 2,
                None => 3,
            };
        }
        match self.cache[key] {
            1 => true,
            2 => false,
            _ => filter.matches(&store.view(rec)),
        }
    }

    fn clamp_selection(&mut self) {
        if let Some(sel) = self.selected {
            if self.seqs.is_empty() {
                self.selected = None;
            } else if self.seqs.binary_search(&sel).is_err() {
                // The selected event left the view: select its nearest neighbour.
                let i = self.seqs.partition_point(|&s| s < sel).min(self.seqs.len() - 1);
                self.selected = Some(self.seqs[i]);
            }
        }
    }

    /// Index in `seqs` of the selected row (the last one while following).
    pub fn selected_index(&self) -> Option<usize> {
        if self.seqs.is_empty() {
            return None;
        }
        if !self.paused {
            return Some(self.seqs.len() - 1);
        }
        let sel = self.selected?;
        Some(self.seqs.partition_point(|&s| s < sel).min(self.seqs.len() - 1))
    }

    /// Sequence number of the selected event.
    pub fn selected_seq(&self) -> Option<u64> {
        self.selected_index().map(|i| self.seqs[i])
    }

    /// Move the selection by `delta` rows; moving pauses the view, moving
    /// past the newest row resumes following.
    pub fn move_by(&mut self, delta: isize) {
        let Some(cur) = self.selected_index() else { return };
        let last = self.seqs.len() - 1;
        let next = (cur as isize + delta).clamp(0, last as isize) as usize;
        if delta > 0 && next == last && cur == last {
            self.follow();
            return;
        }
        self.pause();
        self.selected = Some(self.seqs[next]);
    }

    /// Jump to the oldest row (pauses).
    pub fn top(&mut self) {
        if let Some(&first) = self.seqs.front() {
            self.pause();
            self.selected = Some(first);
        }
    }

    pub fn pause(&mut self) {
        if !self.paused {
            self.paused = true;
            self.new_since_pause = 0;
            self.selected = self.seqs.back().copied();
        }
    }

    pub fn follow(&mut self) {
        self.paused = false;
        self.selected = None;
        self.new_since_pause = 0;
    }
}
