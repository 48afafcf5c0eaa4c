//! The filter prompt (`/`): live preview as the text parses, history with
//! ↑/↓, and editing like a shell line — `←` `→` `Home` `End`, `Ctrl-A`
//! `Ctrl-E`, `Ctrl-W` (the word before the cursor), `Ctrl-U` (everything
//! before the cursor), `Backspace`, `Delete`.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, HISTORY_MAX, Prompt};
use crate::filter::Filter;

impl Prompt {
    /// A prompt holding `text`, the cursor at its end.
    pub fn with(text: String) -> Self {
        Prompt {
            cursor: text.chars().count(),
            before: text.clone(),
            text,
            ..Prompt::default()
        }
    }

    /// Byte offset of the cursor.
    fn at(&self) -> usize {
        self.text
            .char_indices()
            .nth(self.cursor)
            .map_or(self.text.len(), |(i, _)| i)
    }

    fn set(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.text = text;
    }

    /// Apply one editing key; false when it is not one.
    fn edit(&mut self, k: &KeyEvent) -> bool {
        let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
        let len = self.text.chars().count();
        match k.code {
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            KeyCode::Char('a') if ctrl => self.cursor = 0,
            KeyCode::Char('e') if ctrl => self.cursor = len,
            KeyCode::Char('u') if ctrl => {
                let at = self.at();
                self.text.replace_range(..at, "");
                self.cursor = 0;
            }
            KeyCode::Char('w') if ctrl => {
                let at = self.at();
                let head = self.text[..at].trim_end_matches(|c: char| c.is_ascii_whitespace());
                let cut = head.rfind(|c: char| c.is_ascii_whitespace()).map_or(0, |i| i + 1);
                self.cursor -= self.text[cut..at].chars().count();
                self.text.replace_range(cut..at, "");
            }
            KeyCode::Backspace if self.cursor > 0 => {
                self.cursor -= 1;
                let at = self.at();
                self.text.remove(at);
            }
            KeyCode::Backspace => {}
            KeyCode::Delete if self.cursor < len => {
                let at = self.at();
                self.text.remove(at);
            }
            KeyCode::Delete => {}
            KeyCode::Char(c) if !ctrl => {
                let at = self.at();
                self.text.insert(at, c);
                self.cursor += 1;
            }
            _ => return false,
        }
        true
    }
}

impl App {
    pub(super) fn prompt_key(&mut self, k: &KeyEvent) {
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
                        self.remember(text);
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
                p.set(self.history[pos].clone());
            }
            KeyCode::Down => {
                if let Some(i) = p.history_pos {
                    if i + 1 < self.history.len() {
                        p.history_pos = Some(i + 1);
                        p.set(self.history[i + 1].clone());
                    } else {
                        p.history_pos = None;
                        p.set(String::new());
                    }
                }
            }
            _ => {
                if !p.edit(k) {
                    return;
                }
            }
        }
        self.preview();
    }

    /// Add a filter to the history (most recent last, no duplicates).
    pub(super) fn remember(&mut self, text: String) {
        self.history.retain(|h| h != &text);
        self.history.push(text);
        if self.history.len() > HISTORY_MAX {
            self.history.remove(0);
        }
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
}
