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
}

impl FeedView {
    /// Re-match the whole buffer.
    pub fn rebuild(&mut self, store: &Store, filter: &Filter, types: &TypeSelection) {
        self.cache.clear();
        self.cache_sources = store.sources().len().max(1);
        self.seqs.clear();
        let first = store.first_seq();
        for (i, rec) in store.records().iter().enumerate() {
            if self.accepts(store, rec, filter, types) {
                self.seqs.push_back(first + i as u64);
            }
        }
        self.clamp_selection();
    }

    /// Match the events stored from `from_seq` on, and drop evicted ones.
    pub fn append_from(&mut self, store: &Store, from_seq: u64, filter: &Filter, types: &TypeSelection) {
        let first = store.first_seq();
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
