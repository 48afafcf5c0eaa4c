//! The selected event in full: source, id, type, event and receive times;
//! for a webhook delivery whether it verified (and why not), its attempt,
//! what the app behind `forward_to` answered and the request headers
//! (secret-bearing ones masked when received); then its data as pretty,
//! coloured JSON (or the text), scrollable.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::text::fit;
use super::{Theme, focused, json};
use crate::app::{App, Pane};
use crate::event::rfc3339;
use crate::sanitize::inert;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let block = Block::new().borders(Borders::TOP).title(Span::styled(
        " detail (Esc closes, j/k scroll) ",
        theme.title(focused(app, Pane::Detail)),
    ));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(rec) = app.feed.selected_seq().and_then(|s| app.store.get(s)) else {
        f.render_widget(
            Paragraph::new(Span::styled("no event selected", theme.dim())),
            inner,
        );
        return;
    };
    let e = app.store.view(rec);
    let w = inner.width as usize;
    let field = |name: &'static str, value: String, style| {
        Line::from(vec![
            Span::styled(format!("{name:>9} "), theme.dim()),
            Span::styled(fit(&value, w.saturating_sub(10), false), style),
        ])
    };
    let mut lines = vec![
        field("source", e.source.to_owned(), theme.source()),
        field("type", e.ty.to_owned(), theme.ty()),
        field("id", e.id.unwrap_or("—").to_owned(), ratatui::style::Style::new()),
        field(
            "time",
            e.time.map_or("—".to_owned(), |t| rfc3339(t, false)),
            ratatui::style::Style::new(),
        ),
        field(
            "received",
            rfc3339(e.received, true),
            ratatui::style::Style::new(),
        ),
    ];
    if let Some(hook) = e.webhook {
        let (verified, style) = match (hook.verified, &hook.reason) {
            (Some(true), _) => ("yes ✓".to_owned(), theme.ok()),
            (Some(false), reason) => (
                format!("NO ✗ — {}", reason.as_deref().unwrap_or("failed")),
                theme.error(),
            ),
            (None, _) => ("not checked (verify = \"none\")".to_owned(), theme.dim()),
        };
        lines.push(field("verified", verified, style));
        let attempt = if hook.attempt > 1 {
            (format!("{} ↻ redelivery", hook.attempt), theme.warn())
        } else {
            ("1".to_owned(), ratatui::style::Style::new())
        };
        lines.push(field("attempt", attempt.0, attempt.1));
        if let Some(fwd) = hook.forward {
            let style = if fwd.status >= 400 {
                theme.error()
            } else {
                theme.ok()
            };
            let what = if fwd.status == 502 {
                " (app unreachable or 502)"
            } else {
                ""
            };
            lines.push(field(
                "forward",
                format!("HTTP {}{what} in {} ms", fwd.status, fwd.ms),
                style,
            ));
        }
        lines.push(field("headers", String::new(), ratatui::style::Style::new()));
        for (name, value) in &hook.headers {
            let name = fit(name, w / 2, false);
            let value_w = w.saturating_sub(name.chars().count() + 12);
            lines.push(Line::from(vec![
                Span::raw(" ".repeat(10)),
                Span::styled(name, theme.key()),
                Span::styled(": ", theme.dim()),
                Span::raw(fit(value, value_w, false)),
            ]));
        }
    }
    lines.push(Line::raw(""));
    let parsed = if e.json {
        serde_json::from_str::<serde_json::Value>(e.data).ok()
    } else {
        None
    };
    match parsed {
        Some(v) => lines.extend(json::lines(&v).iter().map(|l| json::render(l, &theme))),
        None => lines.extend(e.data.lines().map(|l| Line::raw(inert(l).into_owned()))),
    }
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((app.detail_scroll, 0));
    f.render_widget(p, inner);
}
