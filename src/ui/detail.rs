//! The selected event in full: source, id, type, event and receive times;
//! for a webhook delivery whether it verified (and why not), its attempt,
//! what the app behind `forward_to` answered and the request headers
//! (secret-bearing ones masked when received); with a `--contract`, whether
//! it matches and if not why (one line per reason, made inert: paths quote
//! the data); then its data as pretty,
//! coloured JSON (or the text) with a line cursor. The event is the one
//! pinned when the detail opened ([`crate::app::Pinned`]): new events do not
//! replace it, and when the ring evicts it the pane says so and keeps its
//! copy. The cursor line's filter path is shown (`f` filters on it); `p`
//! shows every field as `.path value`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Wrap};

use super::text::fit;
use super::{Theme, focused, json, pane_title};
use crate::app::{App, Pane};
use crate::event::{DetailLine, rfc3339};
use crate::sanitize::inert;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let is_focused = focused(app, Pane::Detail);
    let block = Block::new().borders(Borders::TOP).title(Line::from(vec![
        pane_title("detail", is_focused, &theme),
        Span::styled("q/Esc close · j/k line · f filter on it · p paths ", theme.dim()),
    ]));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let Some(pin) = &app.pinned else {
        f.render_widget(
            Paragraph::new(Span::styled("no event selected", theme.dim())),
            inner,
        );
        return;
    };
    let e = pin.event.as_ref(app.store.source_name(pin.event.source));
    let w = inner.width as usize;
    // The eviction note stays on top, out of the scrolled text.
    let inner = if app.pinned_evicted() && inner.height > 1 {
        f.render_widget(
            Paragraph::new(Span::styled(
                fit(
                    "evicted from the buffer — showing the copy taken when opened",
                    w,
                    false,
                ),
                theme.warn(),
            )),
            Rect { height: 1, ..inner },
        );
        Rect {
            y: inner.y + 1,
            height: inner.height - 1,
            ..inner
        }
    } else {
        inner
    };
    let field = |name: &'static str, value: String, style| {
        Line::from(vec![
            Span::styled(format!("{name:>9} "), theme.dim()),
            Span::styled(fit(&value, w.saturating_sub(10), false), style),
        ])
    };
    let mut lines = Vec::new();
    lines.extend([
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
    ]);
    for line in e.meta.map(|m| m.detail()).unwrap_or_default() {
        match line {
            DetailLine::Field(label, text, tone) => lines.push(field(label, text, theme.tone(tone))),
            DetailLine::Pair(name, value) => {
                let name = fit(&name, w / 2, false);
                let value_w = w.saturating_sub(name.chars().count() + 12);
                lines.push(Line::from(vec![
                    Span::raw(" ".repeat(10)),
                    Span::styled(name, theme.key()),
                    Span::styled(": ", theme.dim()),
                    Span::raw(fit(&value, value_w, false)),
                ]));
            }
        }
    }
    if app.store.contract().is_some() {
        if pin.drift.is_empty() {
            lines.push(field("contract", "matches".to_owned(), theme.dim()));
        }
        for (i, reason) in pin.drift.iter().enumerate() {
            let label = if i == 0 { "drift ≠" } else { "" };
            lines.push(field(label, reason.clone(), theme.warn()));
        }
    }
    if let Some(words) = app.reconcile_detail(pin.event.source, e.id) {
        lines.push(field(
            "reconcile",
            format!("{} {words}", super::reconcile::MARK),
            theme.error(),
        ));
    }
    let parsed = if e.json {
        serde_json::from_str::<serde_json::Value>(e.data).ok()
    } else {
        None
    };
    let Some(doc) = parsed else {
        lines.push(Line::raw(""));
        lines.extend(e.data.lines().map(|l| Line::raw(inert(l).into_owned())));
        let p = Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((app.detail_cursor.min(u16::MAX as usize) as u16, 0));
        f.render_widget(p, inner);
        return;
    };
    let rows = json::detail_rows(&doc, app.detail_paths);
    let cursor = app.detail_cursor.min(rows.len().saturating_sub(1));
    let path = rows
        .get(cursor)
        .and_then(|l| json::filter_path(&doc, &l.path))
        .unwrap_or_else(|| "(move to a field)".to_owned());
    lines.push(field("path", path, theme.key()));
    lines.push(Line::raw(""));
    let first_json = lines.len();
    lines.extend(rows.iter().enumerate().map(|(i, l)| {
        let line = json::render(l, &theme);
        if i == cursor && is_focused {
            line.style(theme.selected())
        } else {
            line
        }
    }));
    // Scroll just enough to keep the cursor line in view (rows counted as
    // wrapped): the header shows until the cursor goes below the pane.
    let rows_of = |l: &Line<'_>| l.width().max(1).div_ceil(w.max(1));
    let cursor_row: usize = lines[..first_json + cursor].iter().map(rows_of).sum();
    let scroll = (cursor_row + 1).saturating_sub(inner.height as usize);
    let p = Paragraph::new(lines)
        .wrap(Wrap { trim: false })
        .scroll((scroll.min(u16::MAX as usize) as u16, 0));
    f.render_widget(p, inner);
}
