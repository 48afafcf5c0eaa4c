//! Keys and mouse: what each does (SPEC §6). Only key *presses* count, so
//! terminals that report releases and repeats do not double every key.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use super::{App, Overlay, Pane, Prompt, TypeSelection, Undo};
use crate::filter::Filter;

/// What the loop must do after an input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    None,
    Quit,
    /// Copy this text to the clipboard (OSC 52).
    Copy(String),
    /// Write the filtered feed as NDJSON.
    Export,
}

/// Rows the mouse wheel scrolls.
const WHEEL_ROWS: isize = 3;

impl App {
    /// Handle one terminal input event.
    pub fn handle(&mut self, ev: &Event) -> Action {
        match ev {
            Event::Key(k) if k.kind == KeyEventKind::Press => self.key(k),
            Event::Mouse(m) => {
                match m.kind {
                    MouseEventKind::ScrollUp => self.scroll(-WHEEL_ROWS),
                    MouseEventKind::ScrollDown => self.scroll(WHEEL_ROWS),
                    _ => {}
                }
                Action::None
            }
            _ => Action::None,
        }
    }

    fn key(&mut self, k: &KeyEvent) -> Action {
        if k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char('c') {
            return Action::Quit;
        }
        if self.prompt.is_some() {
            self.prompt_key(k);
            return Action::None;
        }
        if self.overlay == Some(Overlay::Catalog) {
            return self.catalog_key(k);
        }
        if self.overlay == Some(Overlay::Chart) {
            return self.chart_key(k);
        }
        if let Some(o) = self.overlay {
            match k.code {
                KeyCode::Esc | KeyCode::Char('q') => self.overlay = None,
                KeyCode::Char('y') if o == Overlay::State => return self.copy_states(),
                KeyCode::Char('?') if o == Overlay::Help => self.overlay = None,
                KeyCode::Char('s') if o == Overlay::Sources => self.overlay = None,
                KeyCode::Char('v') if o == Overlay::State => self.overlay = None,
                KeyCode::Char('?') => self.open(Overlay::Help),
                KeyCode::Char('s') => self.open(Overlay::Sources),
                KeyCode::Char('v') => self.open(Overlay::State),
                KeyCode::Char('c') => self.open_catalog(),
                KeyCode::Char('!') => self.toggle_alerts(),
                KeyCode::Char('r') => self.open_chart(),
                KeyCode::Char('j') | KeyCode::Down => {
                    self.overlay_scroll = self.overlay_scroll.saturating_add(1)
                }
                KeyCode::Char('k') | KeyCode::Up => {
                    self.overlay_scroll = self.overlay_scroll.saturating_sub(1)
                }
                KeyCode::PageDown => {
                    self.overlay_scroll = self.overlay_scroll.saturating_add(self.page as u16)
                }
                KeyCode::PageUp => self.overlay_scroll = self.overlay_scroll.saturating_sub(self.page as u16),
                KeyCode::Char('g') | KeyCode::Home => self.overlay_scroll = 0,
                _ => {}
            }
            return Action::None;
        }
        if self.focus == Pane::Detail && self.show_detail {
            if let Some(a) = self.detail_key(k) {
                return a;
            }
        }
        match k.code {
            KeyCode::Char('q') if self.show_detail => self.close_detail(),
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.open(Overlay::Help),
            KeyCode::Char('s') => self.open(Overlay::Sources),
            KeyCode::Char('v') => self.open(Overlay::State),
            KeyCode::Char('c') => self.open_catalog(),
            KeyCode::Char('!') => self.toggle_alerts(),
            KeyCode::Char('r') => self.open_chart(),
            KeyCode::Char('w') => {
                self.spark_window = (self.spark_window + 1) % super::SPARK_WINDOWS.len();
            }
            KeyCode::Char('/') => {
                self.prompt = Some(Prompt::with(self.filter.source_text().to_owned()));
            }
            KeyCode::Char('t') => {
                if self.focus == Pane::Types {
                    self.show_types = false;
                    self.focus = Pane::Feed;
                } else {
                    self.show_types = true;
                    self.focus = Pane::Types;
                }
            }
            KeyCode::Tab => self.next_pane(),
            KeyCode::Enter => {
                if self.focus == Pane::Types {
                    self.only_type();
                } else {
                    self.open_detail();
                }
            }
            KeyCode::Esc => {
                if self.show_detail {
                    self.close_detail();
                } else if self.focus == Pane::Types {
                    self.focus = Pane::Feed;
                } else if !self.filter.is_empty() || self.types != TypeSelection::default() {
                    self.undo = Some(Undo {
                        filter: self.filter.source_text().to_owned(),
                        types: std::mem::take(&mut self.types),
                    });
                    self.filter = Filter::default();
                    self.new_types.clear();
                    self.refilter();
                    self.notify("filter cleared — u to undo", false);
                }
            }
            KeyCode::Char('u') => match self.undo.take() {
                Some(u) => {
                    self.filter = Filter::parse(&u.filter).unwrap_or_default();
                    self.types = u.types;
                    self.refilter();
                    self.notify("filter restored", false);
                }
                None => self.notify("nothing to undo", true),
            },
            KeyCode::Char('y') => {
                let text = if self.show_detail {
                    self.pinned_json()
                } else {
                    self.selected_json()
                };
                if let Some(text) = text {
                    return Action::Copy(text);
                }
                self.notify("nothing selected to copy", true);
            }
            KeyCode::Char('e') => return Action::Export,
            _ => self.pane_key(k),
        }
        Action::None
    }

    fn close_detail(&mut self) {
        self.show_detail = false;
        self.pinned = None;
        self.focus = Pane::Feed;
    }

    /// `y` in the state view: the state documents (one source's document
    /// alone when only one keeps state).
    fn copy_states(&mut self) -> Action {
        let docs: Vec<(&str, &serde_json::Value)> = self
            .store
            .sources()
            .iter()
            .filter_map(|s| Some((s.name.as_str(), s.state.as_ref()?)))
            .collect();
        let text = match docs.as_slice() {
            [] => {
                self.notify("no state document to copy", true);
                return Action::None;
            }
            [(_, doc)] => doc.to_string(),
            many => serde_json::Value::Object(
                many.iter()
                    .map(|(n, d)| ((*n).to_owned(), (*d).clone()))
                    .collect(),
            )
            .to_string(),
        };
        Action::Copy(text)
    }

    fn pane_key(&mut self, k: &KeyEvent) {
        let page = self.page.max(1) as isize;
        match (self.focus, k.code) {
            (Pane::Types, KeyCode::Char(' ')) => self.toggle_type(),
            (Pane::Types, KeyCode::Char('o')) => self.only_type(),
            (Pane::Types, KeyCode::Char('a')) => {
                self.types = TypeSelection::default();
                self.new_types.clear();
                self.refilter();
            }
            (Pane::Types, KeyCode::Char('j') | KeyCode::Down) => self.move_types(1),
            (Pane::Types, KeyCode::Char('k') | KeyCode::Up) => self.move_types(-1),
            (Pane::Types, KeyCode::PageDown) => self.move_types(page),
            (Pane::Types, KeyCode::PageUp) => self.move_types(-page),
            (Pane::Types, KeyCode::Char('g') | KeyCode::Home) => self.move_types(isize::MIN / 2),
            (Pane::Types, KeyCode::Char('G') | KeyCode::End) => self.move_types(isize::MAX / 2),
            (_, KeyCode::Char(' ')) => {
                if self.feed.paused {
                    self.feed.follow();
                } else {
                    self.feed.pause();
                }
            }
            (_, KeyCode::Char('j') | KeyCode::Down) => self.move_feed(1),
            (_, KeyCode::Char('k') | KeyCode::Up) => self.move_feed(-1),
            (_, KeyCode::PageDown) => self.move_feed(page),
            (_, KeyCode::PageUp) => self.move_feed(-page),
            (_, KeyCode::Char('g') | KeyCode::Home) => {
                self.feed.top();
                self.repin();
            }
            (_, KeyCode::Char('G') | KeyCode::End) => {
                self.feed.follow();
                self.repin();
            }
            _ => {}
        }
    }

    fn move_feed(&mut self, delta: isize) {
        self.feed.move_by(delta);
        self.repin();
    }

    /// The user moved the selection: the open detail shows the new one.
    fn repin(&mut self) {
        if self.show_detail {
            self.pin_selected();
        }
    }

    fn scroll(&mut self, delta: isize) {
        if self.overlay == Some(Overlay::Catalog) {
            let code = if delta < 0 { KeyCode::Up } else { KeyCode::Down };
            for _ in 0..delta.unsigned_abs() {
                self.catalog_key(&KeyEvent::from(code));
            }
        } else if self.overlay.is_some() {
            self.overlay_scroll = (self.overlay_scroll as isize + delta).max(0) as u16;
        } else {
            self.move_feed(delta);
        }
    }

    pub(super) fn open(&mut self, o: Overlay) {
        self.overlay = Some(o);
        self.overlay_scroll = 0;
    }

    fn next_pane(&mut self) {
        let mut order = vec![Pane::Feed];
        if self.show_types {
            order.push(Pane::Types);
        }
        if self.show_detail {
            order.push(Pane::Detail);
        }
        let i = order.iter().position(|&p| p == self.focus).unwrap_or(0);
        self.focus = order[(i + 1) % order.len()];
    }

    fn move_types(&mut self, delta: isize) {
        let sorted = self.types_sorted();
        if sorted.is_empty() {
            return;
        }
        let row = self.type_cursor_row(&sorted) as isize;
        let next = row.saturating_add(delta).clamp(0, sorted.len() as isize - 1) as usize;
        self.type_cursor = Some(sorted[next]);
    }

    fn cursor_type(&self) -> Option<u32> {
        let sorted = self.types_sorted();
        sorted.get(self.type_cursor_row(&sorted)).copied()
    }

    /// `space` in the type panel: show or hide the type under the cursor.
    fn toggle_type(&mut self) {
        let Some(ty) = self.cursor_type() else { return };
        if !self.types.set.remove(&ty) {
            self.types.set.insert(ty);
        }
        self.new_types.remove(&ty);
        if self.types.only && self.types.set.is_empty() {
            self.types = TypeSelection::default();
        }
        self.refilter();
    }

    /// `o`: only the type under the cursor.
    fn only_type(&mut self) {
        let Some(ty) = self.cursor_type() else { return };
        self.types = TypeSelection {
            only: true,
            set: [ty].into(),
        };
        self.new_types.clear();
        self.refilter();
    }

    /// The selected event as its NDJSON object (what `y` copies).
    pub fn selected_json(&self) -> Option<String> {
        let rec = self.store.get(self.feed.selected_seq()?)?;
        let mut out = Vec::new();
        let drift = self.store.drift_reasons(rec);
        crate::output::ndjson_with(&self.store.view(rec), &drift, &mut out, &mut Default::default());
        out.pop();
        String::from_utf8(out).ok()
    }
}
