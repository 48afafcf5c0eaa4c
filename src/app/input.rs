//! Keys and mouse: what each does (SPEC §6). Only key *presses* count, so
//! terminals that report releases and repeats do not double every key.

use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers, MouseEventKind};

use super::{App, HISTORY_MAX, Overlay, Pane, Prompt, TypeSelection};
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
        if let Some(o) = self.overlay {
            match k.code {
                KeyCode::Esc => self.overlay = None,
                KeyCode::Char('q') => return Action::Quit,
                KeyCode::Char('?') if o == Overlay::Help => self.overlay = None,
                KeyCode::Char('s') if o == Overlay::Sources => self.overlay = None,
                KeyCode::Char('v') if o == Overlay::State => self.overlay = None,
                KeyCode::Char('?') => self.open(Overlay::Help),
                KeyCode::Char('s') => self.open(Overlay::Sources),
                KeyCode::Char('v') => self.open(Overlay::State),
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
        match k.code {
            KeyCode::Char('q') => return Action::Quit,
            KeyCode::Char('?') => self.open(Overlay::Help),
            KeyCode::Char('s') => self.open(Overlay::Sources),
            KeyCode::Char('v') => self.open(Overlay::State),
            KeyCode::Char('/') => {
                let before = self.filter.source_text().to_owned();
                self.prompt = Some(Prompt {
                    text: before.clone(),
                    before,
                    ..Prompt::default()
                });
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
                    self.show_detail = true;
                    self.detail_scroll = 0;
                    self.focus = Pane::Detail;
                }
            }
            KeyCode::Esc => {
                if self.show_detail {
                    self.show_detail = false;
                    self.focus = Pane::Feed;
                } else if self.focus == Pane::Types {
                    self.focus = Pane::Feed;
                } else if !self.filter.is_empty() || self.types != TypeSelection::default() {
                    self.filter = Filter::default();
                    self.types = TypeSelection::default();
                    self.refilter();
                    self.notify("filter cleared", false);
                }
            }
            KeyCode::Char('y') => {
                if let Some(text) = self.selected_json() {
                    return Action::Copy(text);
                }
                self.notify("nothing selected to copy", true);
            }
            KeyCode::Char('e') => return Action::Export,
            _ => self.pane_key(k),
        }
        Action::None
    }

    fn pane_key(&mut self, k: &KeyEvent) {
        let page = self.page.max(1) as isize;
        match (self.focus, k.code) {
            (Pane::Types, KeyCode::Char(' ')) => self.toggle_type(),
            (Pane::Types, KeyCode::Char('o')) => self.only_type(),
            (Pane::Types, KeyCode::Char('a')) => {
                self.types = TypeSelection::default();
                self.refilter();
            }
            (Pane::Types, KeyCode::Char('j') | KeyCode::Down) => self.move_types(1),
            (Pane::Types, KeyCode::Char('k') | KeyCode::Up) => self.move_types(-1),
            (Pane::Types, KeyCode::PageDown) => self.move_types(page),
            (Pane::Types, KeyCode::PageUp) => self.move_types(-page),
            (Pane::Types, KeyCode::Char('g') | KeyCode::Home) => self.move_types(isize::MIN / 2),
            (Pane::Types, KeyCode::Char('G') | KeyCode::End) => self.move_types(isize::MAX / 2),
            (Pane::Detail, KeyCode::Char('j') | KeyCode::Down) => {
                self.detail_scroll = self.detail_scroll.saturating_add(1)
            }
            (Pane::Detail, KeyCode::Char('k') | KeyCode::Up) => {
                self.detail_scroll = self.detail_scroll.saturating_sub(1)
            }
            (Pane::Detail, KeyCode::PageDown) => {
                self.detail_scroll = self.detail_scroll.saturating_add(page as u16)
            }
            (Pane::Detail, KeyCode::PageUp) => {
                self.detail_scroll = self.detail_scroll.saturating_sub(page as u16)
            }
            (Pane::Detail, KeyCode::Char('g') | KeyCode::Home) => self.detail_scroll = 0,
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
                self.detail_scroll = 0;
            }
            (_, KeyCode::Char('G') | KeyCode::End) => {
                self.feed.follow();
                self.detail_scroll = 0;
            }
            _ => {}
        }
    }

    fn move_feed(&mut self, delta: isize) {
        self.feed.move_by(delta);
        self.detail_scroll = 0;
    }

    fn scroll(&mut self, delta: isize) {
        if self.overlay.is_some() {
            self.overlay_scroll = (self.overlay_scroll as isize + delta).max(0) as u16;
        } else {
            self.move_feed(delta);
        }
    }

    fn open(&mut self, o: Overlay) {
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
        self.refilter();
    }

    fn prompt_key(&mut self, k: &KeyEvent) {
        let Some(p) = self.prompt.as_mut() else { return };
        match k.code {
            KeyCode::Esc => {
                let before = p.before.clone();
                self.prompt = None;
                if self.filter.source_text() != before {
                    self.filter = Filter::parse(&before).unwrap_or_default();
                    self.refilter();
                }
                return;
            }
            KeyCode::Enter => {
                if p.error.is_none() {
                    let text = p.text.trim().to_owned();
                    self.prompt = None;
                    if !text.is_empty() {
                        self.history.retain(|h| h != &text);
                        self.history.push(text);
                        if self.history.len() > HISTORY_MAX {
                            self.history.remove(0);
                        }
                    }
                }
                return;
            }
            KeyCode::Up => {
                if self.history.is_empty() {
                    return;
                }
                let pos = p
                    .history_pos
                    .map_or(self.history.len() - 1, |i| i.saturating_sub(1));
                p.history_pos = Some(pos);
                p.text = self.history[pos].clone();
            }
            KeyCode::Down => {
                if let Some(i) = p.history_pos {
                    if i + 1 < self.history.len() {
                        p.history_pos = Some(i + 1);
                        p.text = self.history[i + 1].clone();
                    } else {
                        p.history_pos = None;
                        p.text.clear();
                    }
                }
            }
            KeyCode::Backspace => {
                p.text.pop();
            }
            KeyCode::Char('u') if k.modifiers.contains(KeyModifiers::CONTROL) => p.text.clear(),
            KeyCode::Char('w') if k.modifiers.contains(KeyModifiers::CONTROL) => {
                let t = p.text.trim_end();
                let cut = t.rfind(' ').map_or(0, |i| i + 1);
                p.text.truncate(cut);
            }
            KeyCode::Char(c) if !k.modifiers.contains(KeyModifiers::CONTROL) => p.text.push(c),
            _ => return,
        }
        self.preview();
    }

    /// Live preview: apply the prompt's text as soon as it parses.
    fn preview(&mut self) {
        let Some(p) = self.prompt.as_mut() else { return };
        match Filter::parse(&p.text) {
            Ok(f) => {
                p.error = None;
                if f.source_text() != self.filter.source_text() {
                    self.filter = f;
                    self.refilter();
                }
            }
            Err(e) => p.error = Some(e.to_string()),
        }
    }

    /// The selected event as its NDJSON object (what `y` copies).
    pub fn selected_json(&self) -> Option<String> {
        let rec = self.store.get(self.feed.selected_seq()?)?;
        let mut out = Vec::new();
        crate::output::ndjson(&self.store.view(rec), &mut out);
        out.pop();
        String::from_utf8(out).ok()
    }
}
