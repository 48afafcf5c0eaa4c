//! The rate chart (`r`, SPEC 11.1): its zoom and cursor, its keys, and
//! `Enter` — the cursor's bucket becomes the feed's filter.
//!
//! The chart shows [`CHART_BUCKETS`] buckets of `span / CHART_BUCKETS`
//! seconds, aligned to their width on the clock (a 5-second bucket starts
//! at :00, :05, …), the newest holding "now" ([`App::clock`]: the wall
//! clock, a replay's clock in a replay). Counts come from the store's rate
//! history, never from the buffer. Its lines: all events, and each type of
//! the type panel's "only" selection (`o`, then `space` to add types) —
//! with no "only" selection, all events alone.
//!
//! `Enter` *replaces* the filter with the bucket's window
//! (`received>=… received<…`, RFC 3339 UTC) plus a `type:` term per chart
//! type, because the chart counts all events: the feed then lists the
//! events the chart counted (those still buffered; webhook redeliveries,
//! which the rates count once, are listed too). The text opens in the
//! filter prompt with the feed already filtered: `Enter` keeps it, `Esc`
//! goes back to the filter before.

use crossterm::event::{KeyCode, KeyEvent};

use super::{Action, App, Overlay, Prompt};
use crate::filter::Filter;

/// Buckets across the chart at every zoom.
pub const CHART_BUCKETS: i64 = 60;
/// The spans `[` and `]` step through, seconds: 1 minute of 1-second
/// buckets up to a day of 24-minute ones. Spans past the fine history
/// (15 minutes) have whole-minute buckets, which the coarse history keeps.
pub const SPANS: [i64; 8] = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 12 * 3600, 24 * 3600];
/// The span the chart opens with the first time: 5 minutes.
pub const DEFAULT_ZOOM: usize = 1;
/// Types drawn as their own line; more selected types are named as a count.
pub const MAX_CHART_TYPES: usize = 6;

const _: () = assert!(SPANS[2] <= crate::store::LONGEST_WINDOW_SECONDS);
const _: () = assert!(SPANS[3] / CHART_BUCKETS % crate::store::COARSE_WIDTH == 0);

/// The chart's zoom and cursor (kept while it is closed; the cursor goes
/// back to the newest bucket when it opens).
#[derive(Debug, Clone)]
pub struct ChartView {
    /// Index into [`SPANS`].
    pub zoom: usize,
    /// Start (unix second) of the cursor's bucket; `None`: the newest,
    /// following time.
    cursor: Option<i64>,
}

impl Default for ChartView {
    fn default() -> Self {
        ChartView {
            zoom: DEFAULT_ZOOM,
            cursor: None,
        }
    }
}

impl ChartView {
    /// Seconds the chart spans.
    pub fn span(&self) -> i64 {
        SPANS[self.zoom]
    }

    /// Width of a bucket, seconds.
    pub fn width(&self) -> i64 {
        self.span() / CHART_BUCKETS
    }

    /// Start (unix second) of the newest bucket: the one holding `now_ms`.
    pub fn newest(&self, now_ms: i64) -> i64 {
        let w = self.width();
        now_ms.div_euclid(1000).div_euclid(w) * w
    }

    /// Start of the oldest bucket shown.
    pub fn oldest(&self, now_ms: i64) -> i64 {
        self.newest(now_ms) - (CHART_BUCKETS - 1) * self.width()
    }

    /// Start of the cursor's bucket (time moving on can push it to the oldest).
    pub fn cursor(&self, now_ms: i64) -> i64 {
        let newest = self.newest(now_ms);
        self.cursor
            .map_or(newest, |c| c.clamp(self.oldest(now_ms), newest))
    }

    /// The cursor's bucket, counted from the oldest (0 ..< [`CHART_BUCKETS`]).
    pub fn cursor_index(&self, now_ms: i64) -> usize {
        ((self.cursor(now_ms) - self.oldest(now_ms)) / self.width()) as usize
    }

    fn set_cursor(&mut self, start: i64, now_ms: i64) {
        let newest = self.newest(now_ms);
        self.cursor = (start < newest).then(|| start.max(self.oldest(now_ms)));
    }

    /// Move the cursor `by` buckets (negative: older), within the chart.
    pub fn move_by(&mut self, by: i64, now_ms: i64) {
        let start = self.cursor(now_ms) + by * self.width();
        self.set_cursor(start, now_ms);
    }

    /// Zoom to `zoom`, keeping the cursor on the bucket holding its time.
    fn zoom_to(&mut self, zoom: usize, now_ms: i64) {
        let at = self.cursor.map(|_| self.cursor(now_ms));
        self.zoom = zoom;
        if let Some(at) = at {
            let w = self.width();
            self.set_cursor(at.div_euclid(w) * w, now_ms);
        }
    }
}

impl App {
    /// `r`: open the chart, the cursor on the newest bucket.
    pub(super) fn open_chart(&mut self) {
        self.chart.cursor = None;
        self.open(Overlay::Chart);
    }

    /// The widest zoom worth having: the first span that covers the buffer
    /// (from its oldest event to now), at least the default.
    pub fn chart_max_zoom(&self) -> usize {
        let covered = self
            .store
            .records()
            .front()
            .map_or(0, |r| (self.clock() - r.received).div_euclid(1000) + 1);
        SPANS
            .iter()
            .position(|&s| s >= covered)
            .unwrap_or(SPANS.len() - 1)
            .max(DEFAULT_ZOOM)
    }

    /// The types the chart draws a line for: the type panel's "only"
    /// selection, by name (empty without one).
    pub fn chart_types(&self) -> Vec<u32> {
        if !self.types.only {
            return Vec::new();
        }
        let mut ids: Vec<u32> = self.types.set.iter().copied().collect();
        let types = self.store.types();
        ids.sort_by(|&a, &b| types[a as usize].name.cmp(&types[b as usize].name));
        ids
    }

    pub(super) fn chart_key(&mut self, k: &KeyEvent) -> Action {
        let now = self.clock();
        match k.code {
            KeyCode::Esc | KeyCode::Char('q') | KeyCode::Char('r') => self.overlay = None,
            KeyCode::Char('?') => self.open(Overlay::Help),
            KeyCode::Left | KeyCode::Char('h') => self.chart.move_by(-1, now),
            KeyCode::Right | KeyCode::Char('l') => self.chart.move_by(1, now),
            KeyCode::Home | KeyCode::Char('g') => self.chart.move_by(-CHART_BUCKETS, now),
            KeyCode::End | KeyCode::Char('G') => self.chart.move_by(CHART_BUCKETS, now),
            KeyCode::Char('[') => {
                if self.chart.zoom < self.chart_max_zoom() {
                    self.chart.zoom_to(self.chart.zoom + 1, now);
                } else {
                    self.notify("the chart already spans the buffer", false);
                }
            }
            KeyCode::Char(']') => {
                if self.chart.zoom > 0 {
                    self.chart.zoom_to(self.chart.zoom - 1, now);
                } else {
                    self.notify("1-second buckets: the chart's finest", false);
                }
            }
            KeyCode::Enter => self.chart_enter(now),
            _ => {}
        }
        Action::None
    }

    /// The filter text for the cursor's bucket and the chart's types.
    pub fn chart_filter_text(&self, now_ms: i64) -> String {
        let from = self.chart.cursor(now_ms);
        let to = from + self.chart.width();
        let mut text = format!(
            "received>={} received<{}",
            rfc3339(from * 1000),
            rfc3339(to * 1000)
        );
        for ty in self.chart_types() {
            text.push(' ');
            text.push_str(&type_term(&self.store.types()[ty as usize].name));
        }
        text
    }

    /// `Enter`: the feed filtered to the cursor's bucket (see the module docs).
    fn chart_enter(&mut self, now_ms: i64) {
        let text = self.chart_filter_text(now_ms);
        match Filter::parse(&text) {
            Ok(mut f) => {
                f.set_now(now_ms);
                let before = self.filter.source_text().to_owned();
                self.filter = f;
                self.refilter();
                self.overlay = None;
                self.prompt = Some(Prompt {
                    before,
                    ..Prompt::with(text)
                });
            }
            Err(e) => self.notify(format!("cannot filter on the bucket: {e}"), true),
        }
    }
}

/// `ms` as RFC 3339 UTC with `Z`; fractional seconds only when not whole
/// (`2026-12-02T14:05:00Z`, `2026-12-02T14:05:00.25Z`).
pub fn rfc3339(ms: i64) -> String {
    let Some(t) = chrono::DateTime::from_timestamp_millis(ms) else {
        return ms.to_string();
    };
    if ms.rem_euclid(1000) == 0 {
        t.format("%Y-%m-%dT%H:%M:%SZ").to_string()
    } else {
        let s = t.format("%Y-%m-%dT%H:%M:%S%.3f").to_string();
        format!("{}Z", s.trim_end_matches('0'))
    }
}

/// A `type:` term matching exactly this name: quoted unless it is plain
/// (quoting keeps `*`, `?`, spaces and operators literal).
pub fn type_term(name: &str) -> String {
    let plain = !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | ':' | '/'));
    if plain {
        format!("type:{name}")
    } else {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        format!("type:\"{escaped}\"")
    }
}
