//! The detail pane's state: the event it shows is *pinned* when opened —
//! by the store's sequence number, with a copy of the event — so new
//! events do not replace it while following, and the ring evicting it does
//! not swap in another one (the pane says it was evicted and keeps the
//! copy). Moving the feed's selection re-pins. A line cursor over the JSON
//! lets `f` filter on the field under it, `p` shows every field's path.

use crossterm::event::{KeyCode, KeyEvent};
use serde_json::Value;

use super::{Action, App, Pane};
use crate::event::Event;
use crate::filter::Filter;
use crate::ui::json;

/// The event the detail shows.
#[derive(Debug, Clone)]
pub struct Pinned {
    /// Its sequence number in the store.
    pub seq: u64,
    /// A copy taken when it was pinned.
    pub event: Event,
    /// Why it failed the contract, asked of the contract when it was pinned
    /// (empty: it did not, or there is no contract). The store keeps only
    /// a flag per event; one event's reasons are cheap to compute again.
    pub drift: Vec<String>,
}

impl App {
    /// Open the detail on the selected event (or on nothing).
    pub(super) fn open_detail(&mut self) {
        self.show_detail = true;
        self.focus = Pane::Detail;
        self.pin_selected();
    }

    /// Pin the feed's selected event (the detail follows the user's moves,
    /// never the arrival of new events).
    pub(super) fn pin_selected(&mut self) {
        self.detail_cursor = 0;
        self.pinned = self.feed.selected_seq().and_then(|seq| {
            let rec = self.store.get(seq)?;
            let v = self.store.view(rec);
            Some(Pinned {
                seq,
                event: Event {
                    source: rec.source,
                    id: v.id.map(str::to_owned),
                    ty: v.ty.to_owned(),
                    time: v.time,
                    received: v.received,
                    data: v.data.to_owned(),
                    json: Some(v.json),
                    meta: rec.meta.clone(),
                },
                drift: self.store.drift_reasons(rec),
            })
        });
        // Start on the first field a filter can take.
        if let Some(doc) = self.pinned_doc() {
            self.detail_cursor = json::detail_rows(&doc, self.detail_paths)
                .iter()
                .position(|l| json::filter_term(&doc, &l.path).is_some())
                .unwrap_or(0);
        }
    }

    /// Whether the pinned event has left the ring buffer.
    pub fn pinned_evicted(&self) -> bool {
        self.pinned
            .as_ref()
            .is_some_and(|p| self.store.get(p.seq).is_none())
    }

    /// The pinned event's data as JSON, when it is.
    pub fn pinned_doc(&self) -> Option<Value> {
        let p = self.pinned.as_ref()?;
        if p.event.json != Some(true) {
            return None;
        }
        serde_json::from_str(&p.event.data).ok()
    }

    /// The pinned event as its NDJSON object (`y` while the detail is open).
    pub fn pinned_json(&self) -> Option<String> {
        let p = self.pinned.as_ref()?;
        let mut out = Vec::new();
        let ev = crate::event::EventRef {
            drift: !p.drift.is_empty(),
            ..p.event.as_ref(self.store.source_name(p.event.source))
        };
        crate::output::ndjson_with(&ev, &p.drift, &mut out, &mut Default::default());
        out.pop();
        String::from_utf8(out).ok()
    }

    /// Keys of the focused detail pane; `None`: not a detail key.
    pub(super) fn detail_key(&mut self, k: &KeyEvent) -> Option<Action> {
        let page = self.page.max(1);
        match k.code {
            KeyCode::Char('j') | KeyCode::Down => self.detail_cursor = self.detail_cursor.saturating_add(1),
            KeyCode::Char('k') | KeyCode::Up => self.detail_cursor = self.detail_cursor.saturating_sub(1),
            KeyCode::PageDown => self.detail_cursor = self.detail_cursor.saturating_add(page),
            KeyCode::PageUp => self.detail_cursor = self.detail_cursor.saturating_sub(page),
            KeyCode::Char('g') | KeyCode::Home => self.detail_cursor = 0,
            KeyCode::Char('G') | KeyCode::End => self.detail_cursor = usize::MAX / 2,
            KeyCode::Char('p') => {
                // Stay on the same field in the other view.
                let doc = self.pinned_doc();
                let path = doc.as_ref().and_then(|d| {
                    let rows = json::detail_rows(d, self.detail_paths);
                    rows.get(self.detail_cursor).map(|l| l.path.clone())
                });
                self.detail_paths = !self.detail_paths;
                self.detail_cursor = doc
                    .zip(path)
                    .and_then(|(d, p)| {
                        json::detail_rows(&d, self.detail_paths)
                            .iter()
                            .position(|l| l.path == p)
                    })
                    .unwrap_or(0);
            }
            KeyCode::Char('f') => self.filter_on_cursor(),
            _ => return None,
        }
        self.clamp_detail_cursor();
        Some(Action::None)
    }

    fn clamp_detail_cursor(&mut self) {
        let rows = match self.pinned_doc() {
            Some(d) => json::detail_rows(&d, self.detail_paths).len(),
            None => self.pinned.as_ref().map_or(0, |p| p.event.data.lines().count()),
        };
        self.detail_cursor = self.detail_cursor.min(rows.saturating_sub(1));
    }

    /// `f`: add `.path=value` of the field under the cursor to the filter.
    fn filter_on_cursor(&mut self) {
        let Some(doc) = self.pinned_doc() else {
            self.notify("f filters on a JSON field; this event's data is not JSON", true);
            return;
        };
        let rows = json::detail_rows(&doc, self.detail_paths);
        let Some(term) = rows
            .get(self.detail_cursor)
            .and_then(|l| json::filter_term(&doc, &l.path))
        else {
            self.notify("f filters on a value: move to a field with j/k", true);
            return;
        };
        let text = match self.filter.source_text() {
            "" => term,
            old => format!("{old} {term}"),
        };
        match Filter::parse(&text) {
            Ok(f) => {
                self.filter = f;
                self.remember(text.clone());
                self.refilter();
                self.notify(format!("filter: {text}"), false);
            }
            Err(e) => self.notify(e.to_string(), true),
        }
    }
}
