//! `s`: each source's URL (secrets masked), state, last event age,
//! reconnects, errors, drops and resume cursor; for a webhook source, its
//! failed verifications and redeliveries; then each `[[reconcile]]`'s
//! findings and memory.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::fit;
use crate::app::App;
use crate::source::fmt_duration;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    f.render_widget(Clear, area);
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        " sources (Esc closes, j/k scroll) ",
        theme.title(true),
    ));
    let w = block.inner(area).width as usize;
    let mut lines = Vec::new();
    if let Some(p) = crate::config::in_use() {
        lines.extend([
            Line::styled(
                fit(&format!("config file: {}", p.display()), w, false),
                theme.dim(),
            ),
            Line::raw(""),
        ]);
    }
    for s in app.store.sources() {
        let age = s.last_event_at.map_or("never".to_owned(), |t| {
            format!(
                "{} ago",
                fmt_duration(std::time::Duration::from_millis((app.now - t).max(0) as u64))
            )
        });
        lines.push(Line::from(vec![
            Span::styled(fit(&s.name, 24, false), theme.source().bold()),
            Span::raw("  "),
            Span::styled(fit(&s.url_display, w.saturating_sub(28), false), theme.dim()),
        ]));
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("  {k:<12}"), theme.dim()),
                Span::raw(fit(&v, w.saturating_sub(14), false)),
            ])
        };
        lines.push(row("state", s.status.to_string()));
        lines.push(row("events", format!("{}   last {age}", s.events)));
        lines.push(row(
            "reconnects",
            format!("{}   errors {}", s.reconnects, s.errors),
        ));
        lines.push(row(
            "dropped",
            format!(
                "oversize {}   unparsable {}   evicted {}",
                s.oversize, s.unparsable, s.evicted
            ),
        ));
        if s.bad_lines > 0 {
            lines.push(row("bad lines", s.bad_lines.to_string()));
        }
        if let Some(view_line) = s.kind.view_line {
            let line = view_line(s);
            let style = if line.bad {
                theme.error()
            } else {
                ratatui::style::Style::new()
            };
            lines.push(Line::from(vec![
                Span::styled(format!("  {:<12}", line.label), theme.dim()),
                Span::styled(fit(&line.text, w.saturating_sub(14), false), style),
            ]));
        }
        if let Some(c) = &s.cursor {
            lines.push(row("cursor", c.clone()));
        }
        if let Some(e) = &s.last_error {
            lines.push(Line::from(vec![
                Span::styled("  last error  ", theme.dim()),
                Span::styled(fit(e, w.saturating_sub(14), false), theme.error()),
            ]));
        }
        lines.push(Line::raw(""));
    }
    lines.extend(super::reconcile::lines(app, w, &theme));
    f.render_widget(
        Paragraph::new(lines).block(block).scroll((app.overlay_scroll, 0)),
        area,
    );
}
