//! `?`: every key, over everything.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Theme, centered};
use crate::app::App;

/// The key table (also in the README).
pub const KEYS: &[(&str, &str)] = &[
    (
        "j / k / ↑ / ↓",
        "move (feed, types, detail, views); moving up pauses",
    ),
    ("PgUp / PgDn", "a page; mouse wheel scrolls"),
    ("g / G", "top (pauses) / bottom and follow"),
    (
        "space",
        "feed: pause / follow (nothing is dropped while paused); types: show / hide the type",
    ),
    (
        "/",
        "filter prompt: live preview, ↑/↓ history, Enter keep, Esc undo",
    ),
    (
        "Esc",
        "close the detail / a view / the prompt; else clear the filter and type selection",
    ),
    ("Enter", "detail of the selected event (types: only this type)"),
    ("Tab", "next pane"),
    ("t", "type panel: focus / hide"),
    ("o / a", "types: only this type / all types"),
    ("s", "sources: URL, state, counters, cursor"),
    ("v", "state view: Streamdata and diff documents, changes marked"),
    ("y", "copy the selected event's JSON (OSC 52, works over SSH)"),
    ("e", "export the filtered feed to an NDJSON file"),
    ("?", "this help"),
    ("q / Ctrl-C", "quit"),
];

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    // Long lines wrap (at 80 columns some take two rows): size the box for it.
    let inner_w = usize::from(area.width.min(112).saturating_sub(2)).max(1);
    let rows: usize = KEYS
        .iter()
        .map(|(_, what)| (17 + what.chars().count()).div_ceil(inner_w))
        .sum();
    let r = centered(area, 112, rows as u16 + 2);
    f.render_widget(Clear, r);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(" keys (Esc closes) ", theme.title(true)));
    let lines: Vec<Line<'_>> = KEYS
        .iter()
        .map(|(k, what)| {
            Line::from(vec![
                Span::styled(format!(" {k:<16}"), theme.key()),
                Span::raw(*what),
            ])
        })
        .collect();
    let p = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.overlay_scroll, 0));
    f.render_widget(p, r);
}
