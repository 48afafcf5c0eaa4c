//! The TUI's state and how it changes: `App` owns the store and the view
//! of it (which events pass the filter and the type selection, what is
//! selected, which panes are open). It does no I/O and reads no clock:
//! the loop in `tui.rs` feeds it source messages, input and the time, and
//! performs the [`Action`]s it returns (quit, copy, export).

mod alerts;
mod catalog;
mod chart;
mod detail;
mod input;
mod markers;
mod prompt;
mod reconcile;
mod view;

use std::collections::{HashSet, VecDeque};

pub use catalog::{CatalogView, Level};
pub use chart::{CHART_BUCKETS, ChartView, MAX_CHART_TYPES, SPANS, rfc3339, type_term};
pub use detail::Pinned;
pub use input::Action;
pub use markers::{MAX_MARKERS, Marker};
pub use reconcile::{MAX_MARKED, Marked};
pub use view::FeedView;

use crate::filter::Filter;
use crate::source::SourceMsg;
use crate::store::Store;

/// Which pane has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pane {
    Feed,
    Types,
    Detail,
}

/// A full-screen view drawn over the panes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Overlay {
    Help,
    Sources,
    State,
    /// The event catalog (`c`).
    Catalog,
    /// Alerts: state, value, since when, history (`!`).
    Alerts,
    /// The rate chart (`r`).
    Chart,
}

/// Which event types the feed shows (the type panel's toggles).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeSelection {
    /// `true`: only the types in `set`; `false`: all but the types in `set`.
    pub only: bool,
    pub set: HashSet<u32>,
}

impl TypeSelection {
    pub fn visible(&self, ty: u32) -> bool {
        self.set.contains(&ty) == self.only
    }
}

/// The filter prompt while it is open.
#[derive(Debug, Clone, Default)]
pub struct Prompt {
    pub text: String,
    /// The parse error of `text`, shown inline; the feed keeps the last
    /// filter that parsed.
    pub error: Option<String>,
    /// Filter in force when the prompt opened (restored by Esc).
    pub before: String,
    /// Position in the history while browsing it with up/down.
    pub history_pos: Option<usize>,
    /// The cursor: a char index into `text` (0 ..= its length).
    pub cursor: usize,
}

/// What `Esc` cleared, so `u` can restore it.
#[derive(Debug, Clone)]
pub struct Undo {
    pub filter: String,
    pub types: TypeSelection,
}

/// A short message in the status bar (export path, copy done, errors).
#[derive(Debug, Clone)]
pub struct Notice {
    pub text: String,
    pub at: i64,
    pub error: bool,
}

/// How long a notice stays, ms.
pub const NOTICE_MS: i64 = 6000;
/// Filter history entries kept.
pub const HISTORY_MAX: usize = 100;
/// The windows the type panel's sparklines cycle through with `w`, seconds.
pub const SPARK_WINDOWS: [i64; 3] = [60, 5 * 60, 15 * 60];
const _: () = assert!(SPARK_WINDOWS[2] <= crate::store::LONGEST_WINDOW_SECONDS);

/// See the module docs.
pub struct App {
    pub store: Store,
    /// The time of the current frame, unix ms.
    pub now: i64,
    pub filter: Filter,
    pub types: TypeSelection,
    pub feed: FeedView,
    pub focus: Pane,
    pub show_types: bool,
    pub show_detail: bool,
    /// The event the detail shows: pinned by sequence number when opened,
    /// with a copy (so it survives the ring evicting it).
    pub pinned: Option<Pinned>,
    /// The detail's line cursor (`f` filters on that line's field).
    pub detail_cursor: usize,
    /// The detail shows each field as `.path value` (`p`).
    pub detail_paths: bool,
    /// Disconnection markers in the feed, oldest first.
    pub markers: VecDeque<Marker>,
    /// Types that appeared while "only" hid them (marked `new`).
    pub new_types: HashSet<u32>,
    /// What the last `Esc` cleared (`u` restores it).
    pub undo: Option<Undo>,
    /// The `source:` terms of the filter alone: which sources' markers show.
    marker_filter: Filter,
    pub overlay: Option<Overlay>,
    pub prompt: Option<Prompt>,
    pub history: Vec<String>,
    /// The type under the type panel's cursor. A type id, not a row: the
    /// rows re-sort by rate every second, and the cursor stays on the type
    /// the user moved to.
    pub type_cursor: Option<u32>,
    pub overlay_scroll: u16,
    /// The catalog view's levels, cursors and rows (kept while closed).
    pub catalog: CatalogView,
    /// The rate chart's zoom and cursor (kept while closed).
    pub chart: ChartView,
    /// Index into [`SPARK_WINDOWS`]: what the type panel's sparklines span.
    pub spark_window: usize,
    pub notice: Option<Notice>,
    /// `[[alert]]`s and external findings ([`App::with_alerts`]).
    pub alerts: crate::alert::Alerts,
    pub color: bool,
    /// Rows the feed pane had at the last draw (for PgUp/PgDn).
    pub page: usize,
    /// `[[reconcile]]` at work (SPEC 11.3; empty without any).
    pub reconcile: crate::reconcile::Reconcile,
    /// The events its findings marked.
    pub marked: Marked,
    /// Each pairing's external alert in [`App::alerts`].
    reconcile_alerts: Vec<crate::alert::ExternalId>,
    /// Re-match the buffer in slices after a filter change (the TUI loop
    /// sets this and calls [`App::refilter_step`]); tests keep it off and get
    /// a complete view at once.
    pub incremental: bool,
}

impl App {
    pub fn new(store: Store, filter: Filter, color: bool, now: i64) -> Self {
        let mut app = App {
            store,
            now,
            filter,
            types: TypeSelection::default(),
            feed: FeedView::default(),
            focus: Pane::Feed,
            show_types: true,
            show_detail: false,
            pinned: None,
            detail_cursor: 0,
            detail_paths: false,
            markers: VecDeque::new(),
            new_types: HashSet::new(),
            undo: None,
            marker_filter: Filter::default(),
            overlay: None,
            prompt: None,
            history: Vec::new(),
            type_cursor: None,
            overlay_scroll: 0,
            catalog: CatalogView::default(),
            chart: ChartView::default(),
            spark_window: 0,
            notice: None,
            alerts: crate::alert::Alerts::default(),
            color,
            page: 20,
            reconcile: crate::reconcile::Reconcile::default(),
            marked: Marked::default(),
            reconcile_alerts: Vec::new(),
            incremental: false,
        };
        app.refilter();
        app
    }

    /// "Now" for what reads time off events — rates, sparklines, the chart:
    /// the frame's time, or in a replay the replay's clock ([`Store::clock`]).
    pub fn clock(&self) -> i64 {
        self.store.clock(self.now)
    }

    /// Seconds the type panel's sparklines span.
    pub fn spark_seconds(&self) -> i64 {
        SPARK_WINDOWS[self.spark_window % SPARK_WINDOWS.len()]
    }

    /// Take in source messages. Returns the sources that need a resync.
    pub fn ingest(&mut self, msgs: impl IntoIterator<Item = SourceMsg>) -> Vec<u16> {
        let mut resync = Vec::new();
        let before = self.store.first_seq() + self.store.records().len() as u64;
        let types_before = self.store.types().len();
        for msg in msgs {
            if let SourceMsg::Status { source, status } = &msg {
                self.note_status(*source, status);
            }
            self.reconcile_msg(&msg);
            // Each event at its own now (`tail`'s rule): in a replay the
            // latest `received` so far, itself included.
            let (alerts, wall) = (&mut self.alerts, self.now);
            let watch = !alerts.is_empty();
            let mut clock = crate::tail::StreamClock::new(self.store.is_replay());
            if let Some(id) = self.store.ingest(msg, self.now, |_, ev| {
                if watch {
                    alerts.observe(&ev, clock.now(wall, ev.received));
                }
            }) {
                resync.push(id);
            }
        }
        self.evaluate_alerts();
        self.prune_markers();
        self.catalog.touch();
        self.feed
            .append_from(&self.store, before, &self.filter, &self.types);
        let _ = self.advance_clock();
        self.announce_new_types(types_before);
        resync
    }

    /// Bring a filter whose verdict depends on now (`since:`, `until:`,
    /// clock times) to the store's clock at [`App::now`] (the wall clock, or
    /// a replay's clock): events age out of `since:` and into `until:`
    /// without matching the buffer again; a new UTC day (clock times) or a
    /// clock gone back re-matches it. The loop calls it every tick. Returns
    /// whether the feed may have changed (worth a frame).
    pub fn advance_clock(&mut self) -> bool {
        if !self.filter.is_relative() {
            return false;
        }
        let day = self.filter.clock_day();
        self.filter.set_now(self.store.clock(self.now));
        let ends = |f: &FeedView| (f.seqs.len(), f.seqs.front().copied(), f.seqs.back().copied());
        let before = ends(&self.feed);
        if self.filter.clock_day() != day || self.feed.advance(&self.store, &self.filter) {
            self.refilter();
            return true;
        }
        ends(&self.feed) != before
    }

    /// Under "only this type", a type seen for the first time is hidden:
    /// say so (status line) and mark it in the type panel.
    fn announce_new_types(&mut self, types_before: usize) {
        let now_types = self.store.types().len();
        if !self.types.only || now_types == types_before {
            return;
        }
        let fresh: Vec<u32> = (types_before as u32..now_types as u32).collect();
        let first = crate::sanitize::inert(&self.store.types()[fresh[0] as usize].name).into_owned();
        let text = match fresh.len() {
            1 => format!("new type {first} (hidden by \"only\"; t then space shows it)"),
            n => format!("{n} new types, {first}, … (hidden by \"only\"; a shows all)"),
        };
        self.new_types.extend(fresh);
        self.notify(text, false);
    }

    /// Rebuild the feed after the filter or type selection changed: at
    /// once, or in slices when `incremental` (a field filter over a million
    /// events takes half a second; the UI keeps answering meanwhile).
    pub fn refilter(&mut self) {
        self.marker_filter = markers::source_terms(&self.filter);
        self.filter.set_now(self.store.clock(self.now));
        if self.incremental {
            self.feed.start_rebuild(&self.store, &self.filter);
            self.refilter_step();
        } else {
            self.feed.rebuild(&self.store, &self.filter, &self.types);
        }
    }

    /// Match one more slice of a rebuild under way; true while one is.
    pub fn refilter_step(&mut self) -> bool {
        self.feed
            .step(&self.store, &self.filter, &self.types, view::REBUILD_SLICE);
        self.feed.rebuilding(&self.store).is_some()
    }

    /// Type ids in the type panel's order: by current rate, then count, then name.
    pub fn types_sorted(&self) -> Vec<u32> {
        let types = self.store.types();
        let mut ids: Vec<u32> = (0..types.len() as u32).collect();
        let now = self.clock();
        let rate = |i: u32| types[i as usize].rate.rate(now);
        ids.sort_by(|&a, &b| {
            rate(b)
                .total_cmp(&rate(a))
                .then(types[b as usize].count.cmp(&types[a as usize].count))
                .then(types[a as usize].name.cmp(&types[b as usize].name))
        });
        ids
    }

    /// Row of the type panel's cursor in `sorted` (the first row when no
    /// type was chosen yet).
    pub fn type_cursor_row(&self, sorted: &[u32]) -> usize {
        self.type_cursor
            .and_then(|t| sorted.iter().position(|&s| s == t))
            .unwrap_or(0)
    }

    fn notify(&mut self, text: impl Into<String>, error: bool) {
        self.notice = Some(Notice {
            text: text.into(),
            at: self.now,
            error,
        });
    }

    /// The notice to show now, if any.
    pub fn current_notice(&self) -> Option<&Notice> {
        self.notice.as_ref().filter(|n| self.now - n.at < NOTICE_MS)
    }

    /// Record the outcome of an action the loop performed.
    pub fn action_done(&mut self, result: Result<String, String>) {
        match result {
            Ok(text) => self.notify(text, false),
            Err(text) => self.notify(text, true),
        }
    }
}

#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod chart_tests;
#[cfg(test)]
pub(crate) mod fixture;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod time_tests;
#[cfg(test)]
mod truth_tests;
