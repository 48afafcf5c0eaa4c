//! The type panel: one row per event type — shown `●` or hidden `○` (not
//! `✓`/`✗`: those are a webhook's verified/failed), name (`new` when it
//! appeared while "only" hid it), count, current rate and a sparkline of
//! its rate over the last 1, 5 or 15 minutes (`w` cycles; the title says
//! which; each cell is the window / the cells, drawn as events/s) — sorted
//! by rate. A type past the rate-history bound has no sparkline (`·`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Sparkline};

use super::text::shorten_names;
use super::{Theme, focused, pane_title};
use crate::app::{App, Pane};

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let is_focused = focused(app, Pane::Types);
    let hint = if is_focused {
        "space toggle · o only · a all"
    } else {
        "t to focus"
    };
    let title = Line::from(vec![
        pane_title("types", is_focused, &theme),
        Span::styled(format!("{hint} "), theme.dim()),
    ]);
    // The sparklines' window, right-aligned: in full when it fits beside
    // the title, else just the span.
    let span = span_text(app.spark_seconds());
    let room = (area.width as usize).saturating_sub(title.width() + 1);
    let window = [
        format!(" last {span} (w) "),
        format!(" {span} "),
        format!(" {span}"),
    ]
    .into_iter()
    .find(|w| w.chars().count() <= room);
    let mut block = Block::new().borders(Borders::TOP | Borders::LEFT).title(title);
    if let Some(window) = window {
        block = block.title(Line::styled(window, theme.dim()).right_aligned());
    }
    let inner = block.inner(area);
    f.render_widget(block, area);
    let ids = app.types_sorted();
    let now = app.clock();
    if ids.is_empty() {
        f.render_widget(Paragraph::new(Span::styled("no events yet", theme.dim())), inner);
        return;
    }
    let h = inner.height as usize;
    let cursor = app.type_cursor_row(&ids);
    let top = (cursor + 1).saturating_sub(h);
    let w = inner.width as usize;
    // mark 2 · name · count 7 · rate 8 · gap 1 · sparkline (at least 8):
    // the name gets what it needs first — it is what users pick types by.
    let longest = ids
        .iter()
        .map(|&t| app.store.types()[t as usize].name.chars().count())
        .max()
        .unwrap_or(4);
    let room = w.saturating_sub(2 + 7 + 8 + 1);
    let name_w = longest.clamp(4, 40).min(room.saturating_sub(8)).max(4);
    let spark_w = if room >= name_w + 8 {
        (room - name_w).min(60) + 1
    } else {
        0
    };
    let shown: Vec<u32> = ids.iter().skip(top).take(h).copied().collect();
    let names = shorten_names(
        &shown
            .iter()
            .map(|&t| &*app.store.types()[t as usize].name)
            .collect::<Vec<_>>(),
        name_w,
    );
    let new_names = shorten_names(
        &shown
            .iter()
            .map(|&t| &*app.store.types()[t as usize].name)
            .collect::<Vec<_>>(),
        name_w.saturating_sub(4),
    );
    for (k, &ty) in shown.iter().enumerate() {
        let row = top + k;
        let stats = &app.store.types()[ty as usize];
        let y = inner.y + (row - top) as u16;
        let visible = app.types.visible(ty);
        let mark = if visible {
            Span::styled("● ", theme.ok())
        } else {
            Span::styled("○ ", theme.dim())
        };
        let name_style = if visible { theme.ty() } else { theme.dim() };
        let rate = stats.rate.rate(now);
        let name = if app.new_types.contains(&ty) && name_w > 8 {
            let short = &new_names[k];
            let gap = name_w.saturating_sub(short.chars().count() + 4);
            vec![
                Span::styled(short.clone(), name_style),
                Span::styled(" new", theme.warn()),
                Span::raw(" ".repeat(gap)),
            ]
        } else {
            vec![Span::styled(pad(&names[k], name_w), name_style)]
        };
        let mut spans = vec![mark];
        spans.extend(name);
        let mut line = Line::from(spans);
        line.spans.extend([
            Span::raw(format!("{:>7}", compact(stats.count))),
            Span::styled(format!("{:>6}/s", rate_text(rate)), theme.dim()),
        ]);
        if row == cursor && is_focused {
            line = line.style(theme.selected());
        }
        let text_w = (w.saturating_sub(spark_w)) as u16;
        f.render_widget(
            Paragraph::new(line),
            Rect {
                x: inner.x,
                y,
                width: text_w,
                height: 1,
            },
        );
        if spark_w > 0 {
            let area = Rect {
                x: inner.x + text_w + 1,
                y,
                width: spark_w as u16 - 1,
                height: 1,
            };
            match stats.rate.sparkline(now, app.spark_seconds(), spark_w - 1) {
                Some(data) => f.render_widget(Sparkline::default().data(data).style(theme.ty()), area),
                None => f.render_widget(Paragraph::new(Span::styled("·", theme.dim())), area),
            }
        }
    }
}

fn pad(s: &str, width: usize) -> String {
    super::text::fit(s, width, true)
}

/// `1234567` → `1.2M`.
pub fn compact(n: u64) -> String {
    match n {
        0..=99_999 => n.to_string(),
        100_000..=999_999 => format!("{}k", n / 1000),
        _ => format!("{:.1}M", n as f64 / 1e6),
    }
}

/// A span of seconds: `45s`, `5m`, `1h`, `1h30m`.
pub fn span_text(secs: i64) -> String {
    match secs {
        s if s < 60 => format!("{s}s"),
        s if s < 3600 && s % 60 == 0 => format!("{}m", s / 60),
        s if s < 3600 => format!("{}m{}s", s / 60, s % 60),
        s if s % 3600 == 0 => format!("{}h", s / 3600),
        s => format!("{}h{}m", s / 3600, s % 3600 / 60),
    }
}

/// A rate: `0.4`, `12`, `3.1k`.
pub fn rate_text(r: f64) -> String {
    if r < 10.0 && r.fract() != 0.0 {
        format!("{r:.1}")
    } else if r < 10_000.0 {
        format!("{r:.0}")
    } else {
        format!("{:.1}k", r / 1000.0)
    }
}
