//! `?`: every key and the filter language, over everything.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::{Theme, centered};
use crate::app::App;
use crate::filter::FILTER_HELP;

/// The key table (also in the README).
pub const KEYS: &[(&str, &str)] = &[
    (
        "j / k / ↑ / ↓",
        "move (feed, types, detail lines, views); moving up pauses",
    ),
    ("PgUp / PgDn", "a page; mouse wheel scrolls"),
    ("g / G", "top (pauses) / bottom and follow"),
    (
        "space",
        "feed: pause / follow (nothing is dropped while paused); types: show / hide the type",
    ),
    (
        "/",
        "filter prompt, live preview: ↑↓ history, ←→ Home End ^A ^E ^W ^U, Enter keep, Esc undo",
    ),
    (
        "Esc",
        "close the detail / a view / the prompt; else clear the filter and types (u undoes)",
    ),
    ("u", "undo the last clear of the filter and type selection"),
    (
        "Enter",
        "pinned detail of the selected event: new ones do not replace it (types: only this type)",
    ),
    (
        "f / p",
        "detail: filter on the field under the cursor / show every field's filter path",
    ),
    ("Tab", "next pane (the focused pane's title is marked ▸)"),
    ("t", "type panel: focus / hide"),
    (
        "o / a",
        "types: only this type (new types are announced) / all types",
    ),
    ("s", "sources: URL, state, counters, cursor"),
    (
        "v",
        "state view: Streamdata and diff documents, changes marked with old → new; y copies",
    ),
    (
        "c",
        "catalog: types by count; Enter fields, Enter values; f filters the feed; y copies the schema",
    ),
    (
        "!",
        "alerts and reconciliation findings: state, value, since when, history",
    ),
    (
        "feed marks",
        "✓ ✗ signature checked / failed · ↻N redelivery · ≠ drift · ⊘ not delivered / listed",
    ),
    (
        "r",
        "rate chart (all events, the \"only\" types): ←→ h l pick a bucket, Enter: its events",
    ),
    (
        "[ / ]",
        "chart: zoom out / in (5 minutes at first; 1-second buckets at the finest)",
    ),
    ("w", "type panel sparklines: last 1, 5 or 15 minutes"),
    ("y", "copy the selected event's JSON (OSC 52, works over SSH)"),
    ("e", "export the filtered feed to an NDJSON file"),
    ("?", "this help"),
    ("q / Ctrl-C", "close the detail or view; else quit"),
];

/// Column of the descriptions.
const KEY_W: usize = 20;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    // Long lines wrap (at 80 columns some take two rows): size the box for it.
    let inner_w = usize::from(area.width.min(112).saturating_sub(2)).max(1);
    let rows: usize = KEYS
        .iter()
        .map(|(_, what)| (KEY_W + 1 + what.chars().count()).div_ceil(inner_w))
        .chain(
            FILTER_HELP
                .lines()
                .map(|l| (l.chars().count() + 1).div_ceil(inner_w).max(1)),
        )
        .sum::<usize>()
        + 1;
    let r = centered(area, 112, rows as u16 + 2);
    f.render_widget(Clear, r);
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        " keys and filters (q/Esc close, j/k scroll) ",
        theme.title(true),
    ));
    let row = |(k, what): &(&str, &'static str)| {
        Line::from(vec![
            Span::styled(format!(" {k:<w$}", w = KEY_W), theme.key()),
            Span::raw(*what),
        ])
    };
    let mut lines: Vec<Line<'_>> = KEYS.iter().map(row).collect();
    lines.push(Line::raw(""));
    // The same text as `evtop help filter`: one description of the language.
    for (i, l) in FILTER_HELP.lines().enumerate() {
        let style = if i == 0 {
            theme.title(true)
        } else {
            Style::default()
        };
        lines.push(Line::styled(format!(" {l}"), style));
    }
    let p = Paragraph::new(lines)
        .block(block)
        .wrap(Wrap { trim: false })
        .scroll((app.overlay_scroll, 0));
    f.render_widget(p, r);
}
