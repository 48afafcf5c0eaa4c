//! `c`: the event catalog (SPEC 10), over the panes — one row per type,
//! most events first; `Enter` opens a type's fields (`catalog_fields.rs`).
//!
//! ```text
//! ┌ catalog · Enter fields · f filter the feed · y copy schema · Esc/q close ┐
//! │ 3 types · 32 events, learned from 32: at most 100 a second per type     │
//! │ TYPE               COUNT  SHARE   RATE  FIRST    LAST   FIELDS DRIFTS NEW│
//! │ charge.succeeded      10  31.3%  0.3/s  09:59:30 09:59:57     6      0   │
//! │ …                                                                       │
//! └─────────────────────────────────────────────────────────────────────────┘
//! ```
//! The first-seen column shows from 100 columns on. Every name is made
//! inert and shortened so that two names never look the same.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::catalog_fields;
use super::text::{fit, shorten_names};
use super::types::{compact, rate_text};
use crate::app::{App, Level};
use crate::store::catalog::{LEARN_PER_SECOND, Sampling};

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    f.render_widget(Clear, area);
    match app.catalog.level {
        Level::Types => types(f, area, app),
        Level::Fields | Level::Values => catalog_fields::draw(f, area, app),
    }
}

/// How events are learned, as the view says it.
pub fn sampling_text(app: &App, learned: u64, total: u64) -> String {
    match app.store.catalog().sampling() {
        Sampling::All => format!("learned from all {total} events"),
        Sampling::PerSecond => {
            format!("learned from {learned} of {total} events: at most {LEARN_PER_SECOND} a second per type")
        }
    }
}

/// `HH:MM:SS`, UTC (as the feed's times).
pub fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

/// The block every level of the view is drawn in.
pub fn block(theme: &Theme, title: &str) -> Block<'static> {
    Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(format!(" {title} "), theme.title(true)))
}

fn types(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let v = &app.catalog;
    let block = block(
        &theme,
        "catalog · Enter fields · f filter the feed · y copy schema · Esc/q close",
    );
    let inner = block.inner(area);
    f.render_widget(block, area);
    let w = inner.width as usize;
    let mut header = format!(
        "{} types · {}",
        v.rows.len(),
        sampling_text(app, v.learned, v.total)
    );
    if v.not_catalogued > 0 {
        header.push_str(&format!(" · {} values beyond the bounds", v.not_catalogued));
    }
    let mut lines = vec![Line::styled(fit(&header, w, false), theme.dim())];
    if v.rows.is_empty() {
        lines.push(Line::styled("no events yet", theme.dim()));
        f.render_widget(Paragraph::new(lines), inner);
        return;
    }
    // count 8 · share 7 · rate 9 · (first 9) · last 9 · fields 7 · drifts 7 · new 5
    let with_first = w >= 100;
    let fixed = 8 + 7 + 9 + 9 + 7 + 7 + 5 + if with_first { 9 } else { 0 };
    let name_w = w.saturating_sub(fixed + 1).clamp(4, 48);
    let mut head = format!("{:<name_w$} {:>7} {:>6} {:>8}", "TYPE", "COUNT", "SHARE", "RATE");
    if with_first {
        head.push_str(&format!(" {:<8}", "FIRST"));
    }
    head.push_str(&format!(
        " {:<8} {:>6} {:>6} {:>4}",
        "LAST", "FIELDS", "DRIFTS", "NEW"
    ));
    lines.push(Line::styled(fit(&head, w, false), theme.dim()));
    let h = (inner.height as usize).saturating_sub(2);
    let cursor = v.type_row();
    let top = (cursor + 1).saturating_sub(h);
    let cat = app.store.catalog();
    let shown: Vec<_> = v
        .rows
        .iter()
        .skip(top)
        .take(h)
        .filter_map(|&id| Some((id, cat.get(id)?)))
        .collect();
    let names = shorten_names(&shown.iter().map(|(_, t)| &*t.name).collect::<Vec<_>>(), name_w);
    for (k, (id, t)) in shown.iter().enumerate() {
        let share = if v.total == 0 {
            0.0
        } else {
            t.count as f64 * 100.0 / v.total as f64
        };
        let rate = app
            .store
            .types()
            .get(*id as usize)
            .map_or(0.0, |s| s.rate.rate(app.clock()));
        let new = t.new_fields();
        let mut spans = vec![
            Span::styled(fit(&names[k], name_w, true), theme.ty()),
            Span::raw(format!(
                " {:>7} {:>5.1}% {:>6}/s",
                compact(t.count),
                share,
                rate_text(rate)
            )),
        ];
        if with_first {
            spans.push(Span::styled(format!(" {:<8}", clock(t.first_seen)), theme.dim()));
        }
        let fields = t.fields().len() - usize::from(t.field("").is_some());
        spans.push(Span::raw(format!(" {:<8} {:>6} ", clock(t.last_seen), fields)));
        // Counted by the store as events are checked (the catalog learns
        // only a sample).
        let drifts = app.store.drift_count(*id);
        let drift_style = if drifts > 0 { theme.warn() } else { theme.dim() };
        spans.push(Span::styled(format!("{:>6}", drifts), drift_style));
        if new > 0 {
            spans.push(Span::styled(format!(" {:>4}", new), theme.warn()));
        } else {
            spans.push(Span::styled(format!(" {:>4}", "-"), theme.dim()));
        }
        let mut line = Line::from(spans);
        if top + k == cursor {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), inner);
}
