//! A disconnection marker as a feed row:
//! `── stripe disconnected 22:15:33, back 22:15:57 (24s) ──`, or while the
//! source is still down `── stripe disconnected 22:15:33: HTTP 503 ──`.

use ratatui::text::{Line, Span};

use super::Theme;
use super::text::fit;
use crate::app::{App, Marker};
use crate::source::fmt_duration;

/// The marker's row, `width` columns wide.
pub fn line(app: &App, m: &Marker, width: usize, theme: &Theme) -> Line<'static> {
    let name = app.store.source_name(m.source);
    let text = match m.up {
        Some(up) => format!(
            "{name} disconnected {}, back {} ({})",
            clock(m.down),
            clock(up),
            fmt_duration(std::time::Duration::from_millis((up - m.down).max(0) as u64))
        ),
        None => format!("{name} disconnected {}: {}", clock(m.down), m.why),
    };
    let text = fit(&text, width.saturating_sub(6), false);
    let used = text.chars().count() + 4;
    let style = if m.up.is_some() {
        theme.warn()
    } else {
        theme.error()
    };
    Line::from(vec![
        Span::styled("── ", style),
        Span::styled(text, style),
        Span::styled(format!(" {}", "─".repeat(width.saturating_sub(used))), style),
    ])
}

/// `HH:MM:SS`, UTC.
fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}
