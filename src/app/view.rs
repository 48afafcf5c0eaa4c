//! The feed's view of the store: the sequence numbers of the events that
//! pass the filter and the type selection, the selection, and following.
//!
//! Matching is done once per event as it arrives, and again over the whole
//! buffer only when the filter or type selection changes. Type and source
//! decisions are cached per (type, source) pair, so a `type:` filter over a
//! million events is a table lookup per event; data is parsed only for
//! filters that look inside it.
//!
//! A filter with `since:` / `until:` terms is matched in two parts: its
//! other terms once per event, as above, and the window those terms put on
//! `received`, which moves with the clock (`view/window.rs`): as it moves,
//! events leave the front of the feed and waiting ones join it, without
//! matching the buffer again.

mod window;

use std::collections::VecDeque;

use super::TypeSelection;
use crate::event::Meta;
use crate::filter::{Filter, Window};
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
    /// The filter's verdicts per (type, source).
    verdicts: Verdicts,
    /// A rebuild in slices is under way: the next sequence number to match.
    /// New events wait for it (it reaches them too), so nothing is matched
    /// twice.
    rebuild_next: Option<u64>,
    /// The filter without its `since:` / `until:` terms, when it has some;
    /// the events are matched against this and [`FeedView::window`].
    rest: Option<Filter>,
    /// The bounds on `received` the view was last brought to.
    window: Option<Window>,
    /// Sequence numbers (ascending) that match `rest` but were received
    /// after the window's end: they join the feed as the clock reaches them
    /// (`until:`).
    waiting: VecDeque<u64>,
    /// The latest `received` among the events matched since the rebuild.
    max_received: i64,
    /// How far, at most, an event was received before one matched ahead of
    /// it (0 when `received` never went back): how far past a bound the
    /// window's walks must look (`view/window.rs`).
    disorder: i64,
}

/// Where an event goes.
enum Place {
    Feed,
    /// Matches but was received after the window's end.
    Waiting,
    Out,
}

/// The filter's verdicts cached per (type, source).
#[derive(Debug, Default)]
struct Verdicts {
    /// (type, source) → 0 unknown, 1 pass, 2 fail, 3 look at the data.
    cache: Vec<u8>,
    sources: usize,
}

/// Buffered events matched per slice of an incremental rebuild: a field
/// filter (~0.5 µs an event) takes ~8 ms a slice; the loop runs slices for
/// up to [`crate::tui::REBUILD_BUDGET`] a tick.
pub const REBUILD_SLICE: usize = 16_384;

impl FeedView {
    /// Re-match the whole buffer now.
    pub fn rebuild(&mut self, store: &Store, filter: &Filter, types: &TypeSelection) {
        self.start_rebuild(store, filter);
        self.step(store, filter, types, usize::MAX);
    }

    /// Start re-matching the buffer in slices ([`FeedView::step`]) with
    /// `filter`, at its now.
    pub fn start_rebuild(&mut self, store: &Store, filter: &Filter) {
        self.verdicts.cache.clear();
        self.verdicts.sources = store.sources().len().max(1);
        self.seqs.clear();
        self.rebuild_next = Some(store.first_seq());
        self.window = filter.window();
        self.rest = self.window.map(|_| filter.without_window());
        self.waiting.clear();
        self.max_received = i64::MIN;
        self.disorder = 0;
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
            match self.place(store, rec, filter, types) {
                Place::Feed => self.seqs.push_back(seq),
                Place::Waiting => self.waiting.push_back(seq),
                Place::Out => {}
            }
        }
        self.rebuild_next = (stop < end).then_some(stop);
        self.drop_evicted(first);
        self.clamp_selection();
    }

    /// Match the events stored from `from_seq` on, and drop evicted ones.
    pub fn append_from(&mut self, store: &Store, from_seq: u64, filter: &Filter, types: &TypeSelection) {
        let first = store.first_seq();
        if self.rebuild_next.is_some() {
            // The rebuild under way will reach the new events itself.
            self.drop_evicted(first);
            return;
        }
        let start = from_seq.max(first);
        let recs = store.records();
        for seq in start..first + recs.len() as u64 {
            let rec = &recs[(seq - first) as usize];
            match self.place(store, rec, filter, types) {
                Place::Feed => {
                    self.seqs.push_back(seq);
                    if self.paused {
                        self.new_since_pause += 1;
                    }
                }
                Place::Waiting => self.waiting.push_back(seq),
                Place::Out => {}
            }
        }
        self.drop_evicted(first);
        self.clamp_selection();
    }

    /// Forget the sequence numbers the ring evicted (below `first`).
    fn drop_evicted(&mut self, first: u64) {
        while self.seqs.front().is_some_and(|&s| s < first) {
            self.seqs.pop_front();
        }
        while self.waiting.front().is_some_and(|&s| s < first) {
            self.waiting.pop_front();
        }
    }

    /// Match one event: the filter (without its window, if it has one) and
    /// the type selection, then the window.
    fn place(&mut self, store: &Store, rec: &Record, filter: &Filter, types: &TypeSelection) -> Place {
        let Some(window) = self.window else {
            return if self.verdicts.accepts(store, rec, filter, types) {
                Place::Feed
            } else {
                Place::Out
            };
        };
        if rec.received < self.max_received {
            self.disorder = self.disorder.max(self.max_received - rec.received);
        } else {
            self.max_received = rec.received;
        }
        // Below the window's start an event never matches again: the
        // window only moves forward (backwards, the view is rebuilt).
        if rec.received < window.min {
            return Place::Out;
        }
        let rest = self.rest.as_ref().unwrap_or(filter);
        if !self.verdicts.accepts(store, rec, rest, types) {
            Place::Out
        } else if rec.received > window.max {
            Place::Waiting
        } else {
            Place::Feed
        }
    }
}

impl Verdicts {
    fn accepts(&mut self, store: &Store, rec: &Record, filter: &Filter, types: &TypeSelection) -> bool {
        if !types.visible(rec.ty) {
            return false;
        }
        // An event relayed from another source's name is not decided per
        // (type, source id): the name it shows varies within one source.
        if rec.meta.as_deref().and_then(Meta::source_name).is_some() {
            return filter.matches(&store.view(rec));
        }
        let key = rec.ty as usize * self.sources + rec.source as usize;
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
}

impl FeedView {
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
