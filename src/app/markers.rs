//! Disconnection markers: when a live source goes to retrying, connecting
//! or closed, a marker row goes into the feed at that point
//! (`── stripe disconnected 22:15:33 ──`), and when the source is back the
//! marker says when and after how long — a gap in the events is visibly a
//! gap in the connection. Markers are not events: export and copy never
//! see them. Under a filter they show for the sources the filter shows.

use crate::event::SourceId;
use crate::filter::Filter;
use crate::source::Status;

use super::App;

/// Markers kept; the oldest go first (and with the events they sat among).
pub const MAX_MARKERS: usize = 1000;

/// One disconnection of one source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marker {
    pub source: SourceId,
    /// Sequence number of the first event stored after the disconnection:
    /// the marker is drawn just before it.
    pub at_seq: u64,
    /// When the source stopped being live, unix ms.
    pub down: i64,
    /// When it was live again.
    pub up: Option<i64>,
    /// Why it stopped (the retry reason, `closed: …`, `reconnecting`).
    pub why: String,
}

impl App {
    /// Note a status change before the store takes it in.
    pub(super) fn note_status(&mut self, source: SourceId, status: &Status) {
        let Some(s) = self.store.sources().get(source as usize) else {
            return;
        };
        let was_live = matches!(s.status, Status::Live(_));
        let is_live = matches!(status, Status::Live(_));
        // A recording that reached its end did not disconnect.
        let finished = matches!(status, Status::Finished(_));
        if was_live && !is_live && !finished {
            let why = match status {
                Status::Retrying { reason, .. } => reason.clone(),
                Status::Closed(r) => format!("closed: {r}"),
                _ => "reconnecting".to_owned(),
            };
            if self.markers.len() == MAX_MARKERS {
                self.markers.pop_front();
            }
            self.markers.push_back(Marker {
                source,
                at_seq: self.store.first_seq() + self.store.records().len() as u64,
                down: self.now,
                up: None,
                why,
            });
        } else if !was_live && is_live {
            if let Some(m) = self
                .markers
                .iter_mut()
                .rev()
                .find(|m| m.source == source && m.up.is_none())
            {
                m.up = Some(self.now);
            }
        }
    }

    /// Markers whose events have all left the buffer go too.
    pub(super) fn prune_markers(&mut self) {
        let first = self.store.first_seq();
        while self.markers.front().is_some_and(|m| m.at_seq < first) {
            self.markers.pop_front();
        }
    }

    /// Whether the feed shows this marker under the current filter: when
    /// the filter's `source:` terms let its source through.
    pub fn marker_shown(&self, m: &Marker) -> bool {
        let name = self.store.source_name(m.source);
        self.marker_filter.matches_type_source("", name) != Some(false)
    }

    /// The markers that belong between feed rows whose sequence numbers
    /// are `after` (exclusive; `None`: from the start) and `upto`
    /// (inclusive; `None`: to the end), in order.
    pub fn markers_between(&self, after: Option<u64>, upto: Option<u64>) -> impl Iterator<Item = &Marker> {
        let lo = self
            .markers
            .partition_point(|m| after.is_some_and(|a| m.at_seq <= a));
        self.markers
            .range(lo..)
            .take_while(move |m| upto.is_none_or(|u| m.at_seq <= u))
            .filter(|m| self.marker_shown(m))
    }
}

/// The `source:` and `-source:` terms of a filter, as a filter of their own
/// (quotes honoured when splitting). A filter that does not parse gives the
/// empty filter: every marker shows.
pub(super) fn source_terms(filter: &Filter) -> Filter {
    let mut terms = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut escaped = false;
    for c in filter.source_text().chars() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if !quoted && c.is_ascii_whitespace() {
            terms.push(std::mem::take(&mut cur));
            continue;
        }
        cur.push(c);
    }
    terms.push(cur);
    let kept: Vec<String> = terms
        .into_iter()
        .filter(|t| t.starts_with("source:") || t.starts_with("-source:"))
        .collect();
    Filter::parse(&kept.join(" ")).unwrap_or_default()
}
