//! The rate chart (`r`): events/s of all events as bars, one row per chart
//! type under it, a UTC clock axis, the cursor's bucket reversed (so it
//! shows without colour) and its time and counts on the last lines.
//!
//! ```text
//! ┌ rate chart · last 5m · 5s buckets ─────────────────────────────────┐
//! │ 240/s                      █                                       │
//! │                      ▂▃    █ ▅                                     │
//! │     0 ▁▁▁▁▂▃▄██▇▅▃▂▁▁▁██▁▁▁█▁█▁▁▁▁▁▁▁▁▁▁                            │
//! │ charge.f ▁ ▂ ▁    ▁   █ ▁                                          │
//! │       14:01     14:02     14:03     14:04     14:05                │
//! │ 14:05:00–14:05:05 UTC · all 1234 (246.8/s) · charge.failed 12      │
//! │ ←→ move · [ ] zoom · Enter: these events in the feed · Esc close   │
//! └────────────────────────────────────────────────────────────────────┘
//! ```
//! Everything comes from the store's rate history: 60 buckets × (1 + the
//! chart types) sums of at most 60 counters — never the buffer.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::fit;
use super::types::{rate_text, span_text};
use crate::app::{App, CHART_BUCKETS, MAX_CHART_TYPES};
use crate::store::RateHistory;

/// Block characters for eighths of a cell, empty to full.
const EIGHTHS: [&str; 9] = [" ", "▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"];
/// Clock-label steps, seconds: the first at least a bucket wide whose
/// labels do not crowd each other.
const LABEL_STEPS: [i64; 16] = [
    1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10_800, 21_600, 43_200,
];
/// Rows the bars keep at least; type rows give way below it.
const MIN_PLOT_ROWS: usize = 3;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let now = app.clock();
    let chart = &app.chart;
    let w = chart.width();
    let title = format!(
        " rate chart · last {} · {} buckets · UTC ",
        span_text(chart.span()),
        span_text(w)
    );
    f.render_widget(Clear, area);
    let block = Block::new()
        .borders(Borders::ALL)
        .title(Span::styled(title, theme.title(true)));
    let inner = block.inner(area);
    f.render_widget(block, area);
    if inner.height < 5 || inner.width < 20 {
        return;
    }
    let oldest = chart.oldest(now);
    let cursor = chart.cursor_index(now);
    let types: Vec<u32> = app.chart_types();
    let store_types = app.store.types();
    let count = |h: &RateHistory, i: i64| h.count(oldest + i * w, oldest + (i + 1) * w);
    let all: Vec<u64> = (0..CHART_BUCKETS)
        .map(|i| count(app.store.total_rate(), i).unwrap_or(0))
        .collect();

    // Rows: bars, type rows, axis, cursor line, keys.
    let h = inner.height as usize;
    let type_rows = types
        .len()
        .min(MAX_CHART_TYPES)
        .min(h.saturating_sub(3 + MIN_PLOT_ROWS));
    let more = types.len() - type_rows;
    let plot_rows = h - 3 - type_rows;
    let name_w = types
        .iter()
        .take(type_rows)
        .map(|&t| store_types[t as usize].name.chars().count())
        .max()
        .unwrap_or(0)
        .clamp(7, 14)
        .min(inner.width as usize / 5);
    let gutter = (name_w + 1) as u16;
    let plot = Rect {
        x: inner.x + gutter,
        width: inner.width - gutter,
        ..inner
    };
    // Which buckets fit (all 60 unless the plot is narrower) and their columns.
    let visible = (CHART_BUCKETS as usize).min(plot.width as usize);
    let first = cursor.min(CHART_BUCKETS as usize - visible);
    let col = |j: usize| plot.x + ((j - first) * plot.width as usize / visible) as u16;

    let max = all.iter().copied().max().unwrap_or(0);
    let cursor_style = theme.selected();
    // Bars.
    for (j, &n) in all.iter().enumerate().skip(first).take(visible) {
        let (x0, x1) = (col(j), col(j + 1));
        let eighths = if max == 0 || n == 0 {
            0
        } else {
            ((n * plot_rows as u64 * 8).div_ceil(max)).max(1) as usize
        };
        for r in 0..plot_rows {
            let fill = eighths.saturating_sub(r * 8).min(8);
            let y = inner.y + (plot_rows - 1 - r) as u16;
            let style = if j == cursor { cursor_style } else { theme.ty() };
            for x in x0..x1 {
                f.buffer_mut()[(x, y)].set_symbol(EIGHTHS[fill]).set_style(style);
            }
        }
    }
    let mut label = |y: u16, text: &str, style: Style| {
        f.render_widget(
            Paragraph::new(Span::styled(
                format!("{:>w$}", fit(text, name_w, false), w = name_w),
                style,
            )),
            Rect {
                x: inner.x,
                y,
                width: name_w as u16,
                height: 1,
            },
        );
    };
    label(
        inner.y,
        &format!("{}/s", rate_text(max as f64 / w as f64)),
        theme.dim(),
    );
    label(inner.y + plot_rows as u16 - 1, "0", theme.dim());

    // One row per chart type, each scaled to its own peak.
    let mut cursor_counts: Vec<(String, Option<u64>)> = Vec::new();
    for (k, &ty) in types.iter().take(type_rows).enumerate() {
        let stats = &store_types[ty as usize];
        let y = inner.y + (plot_rows + k) as u16;
        f.render_widget(
            Paragraph::new(Span::styled(fit(&stats.name, name_w, true), theme.ty())),
            Rect {
                x: inner.x,
                y,
                width: name_w as u16,
                height: 1,
            },
        );
        if !stats.rate.is_full() {
            let text = "no history (past the rate-history memory bound)";
            f.render_widget(
                Paragraph::new(Span::styled(text, theme.dim())),
                Rect { y, height: 1, ..plot },
            );
        }
        let counts: Vec<Option<u64>> = (0..CHART_BUCKETS).map(|i| count(&stats.rate, i)).collect();
        let peak = counts.iter().flatten().copied().max().unwrap_or(0);
        if stats.rate.is_full() {
            for (j, c) in counts.iter().enumerate().skip(first).take(visible) {
                let c = c.unwrap_or(0);
                let fill = if c == 0 {
                    0
                } else {
                    ((c * 8).div_ceil(peak)).clamp(1, 8) as usize
                };
                let style = if j == cursor { cursor_style } else { theme.ok() };
                for x in col(j)..col(j + 1) {
                    f.buffer_mut()[(x, y)].set_symbol(EIGHTHS[fill]).set_style(style);
                }
            }
        }
        cursor_counts.push((stats.name.to_string(), counts[cursor]));
    }

    // The clock axis: labels at multiples of a step, left-aligned on their bucket.
    let axis_y = inner.y + (plot_rows + type_rows) as u16;
    let label_len = if w < 60 { 8 } else { 5 };
    let px_per_bucket = plot.width as f64 / visible as f64;
    let step = LABEL_STEPS
        .iter()
        .copied()
        .find(|&s| s % w == 0 && (s / w) as f64 * px_per_bucket >= (label_len + 2) as f64)
        .unwrap_or(86_400);
    let mut next_free = plot.x;
    for j in first..first + visible {
        let start = oldest + j as i64 * w;
        let x = col(j);
        if start.rem_euclid(step) != 0 || x < next_free || x + label_len > plot.x + plot.width {
            continue;
        }
        let text = clock(start, label_len == 8);
        f.render_widget(
            Paragraph::new(Span::styled(text, theme.dim())),
            Rect {
                x,
                y: axis_y,
                width: label_len,
                height: 1,
            },
        );
        next_free = x + label_len + 2;
    }

    // The cursor's bucket: its window, its counts.
    let from = oldest + cursor as i64 * w;
    // The bucket under way is averaged over the part of it that has passed
    // (at least a second), not over its whole width.
    let elapsed_ms = (now - from * 1000).clamp(1000, w * 1000);
    let mut spans = vec![
        Span::styled(
            format!("▶ {}–{} ", clock(from, true), clock(from + w, true)),
            theme.title(true),
        ),
        Span::raw(format!(
            "all {} ({}/s)",
            all[cursor],
            rate_text(all[cursor] as f64 * 1000.0 / elapsed_ms as f64)
        )),
    ];
    for (name, c) in &cursor_counts {
        let n = c.map_or("–".to_owned(), |c| c.to_string());
        spans.push(Span::styled(" · ", theme.dim()));
        spans.push(Span::styled(format!("{name} {n}"), theme.ty()));
    }
    if more > 0 {
        spans.push(Span::styled(format!(" · +{more} more types"), theme.dim()));
    }
    let evicted = app
        .store
        .records()
        .front()
        .is_some_and(|r| r.received > from * 1000 && app.store.evicted() > 0);
    if evicted {
        spans.push(Span::styled(" · partly evicted from the buffer", theme.warn()));
    }
    f.render_widget(
        Paragraph::new(Line::from(spans)),
        Rect {
            y: axis_y + 1,
            height: 1,
            ..inner
        },
    );
    let keys = "←→ move · [ ] zoom out/in · Enter: the bucket's events in the feed · Esc close";
    f.render_widget(
        Paragraph::new(Span::styled(fit(keys, inner.width as usize, false), theme.dim())),
        Rect {
            y: axis_y + 2,
            height: 1,
            ..inner
        },
    );
}

/// Unix second `s` as a UTC clock: `14:05:10` or `14:05`.
fn clock(s: i64, seconds: bool) -> String {
    let fmt = if seconds { "%H:%M:%S" } else { "%H:%M" };
    chrono::DateTime::from_timestamp(s, 0).map_or_else(|| s.to_string(), |t| t.format(fmt).to_string())
}
