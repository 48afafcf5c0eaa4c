//! The status bar (sources and their state, events/s, buffered, dropped,
//! paused or following, the filter) and the bottom line (keys, the filter
//! prompt with its inline error, notices).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::text::fit;
use super::types::{compact, rate_text};
use crate::app::App;
use crate::source::{Status, fmt_duration};

/// Most important first, so a narrow terminal cuts the least useful part:
/// following/paused, rate, buffer, drops, filter, then the sources.
pub fn draw_top(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let mut spans = vec![Span::styled("evtop ", theme.title(true))];
    if app.feed.paused {
        spans.push(Span::styled("PAUSED ", theme.warn()));
    } else {
        spans.push(Span::styled("FOLLOWING ", theme.ok()));
    }
    spans.push(Span::raw(format!(
        "│ {} ev/s ",
        rate_text(app.store.total_rate().rate(app.now))
    )));
    spans.push(Span::styled(
        format!("│ {} buffered ", compact(app.store.records().len() as u64)),
        theme.dim(),
    ));
    let dropped = app.store.dropped();
    if dropped > 0 || app.store.evicted() > 0 {
        let style = if dropped > 0 { theme.error() } else { theme.dim() };
        spans.push(Span::styled(
            format!("│ dropped {dropped} evicted {} ", compact(app.store.evicted())),
            style,
        ));
    } else {
        spans.push(Span::styled("│ dropped 0 ", theme.dim()));
    }
    if !app.filter.is_empty() {
        spans.push(Span::raw(format!(
            "│ filter: {} ",
            fit(app.filter.source_text(), 60, false)
        )));
    }
    if !app.types.set.is_empty() {
        let what = if app.types.only { "only" } else { "hiding" };
        spans.push(Span::styled(
            format!("│ types: {what} {} ", app.types.set.len()),
            theme.warn(),
        ));
    }
    spans.push(Span::raw("│"));
    // Sources that need attention first (retrying, closed, connecting),
    // then the live ones; those that do not fit are counted, never hidden.
    let narrow = area.width < 100;
    let mut order: Vec<&crate::store::SourceState> = app.store.sources().iter().collect();
    order.sort_by_key(|s| match &s.status {
        Status::Retrying { .. } => 0,
        Status::Closed(_) => 1,
        Status::Connecting => 2,
        Status::Live(_) => 3,
    });
    let mut used: usize = spans.iter().map(Span::width).sum();
    let width = usize::from(area.width);
    for (k, s) in order.iter().enumerate() {
        let (dot, style, text) = match &s.status {
            Status::Connecting => ("○", theme.warn(), "connecting".to_owned()),
            // A replay says how far it is and at what speed.
            Status::Live(d) if d.starts_with("replay") => ("▶", theme.ok(), fit(d, 30, false)),
            Status::Live(_) => ("●", theme.ok(), "live".to_owned()),
            Status::Retrying { delay, reason } => {
                let left = (delay.as_millis() as i64 - (app.now - s.status_since)).max(0);
                let wait = fmt_duration(std::time::Duration::from_millis(left as u64));
                let room = if narrow { 24 } else { 40 };
                (
                    "○",
                    theme.error(),
                    format!("{} — retry in {wait}", fit(reason, room, false)),
                )
            }
            Status::Closed(r) => ("■", theme.dim(), format!("closed: {}", fit(r, 30, false))),
        };
        let rest = order.len() - k;
        let more = if rest > 1 {
            format!(" +{} more (s)", rest - 1)
        } else {
            String::new()
        };
        let head = [
            Span::styled(format!(" {dot} "), style),
            Span::styled(fit(&s.name, 20, false), theme.source()),
        ];
        let head_w: usize = head.iter().map(Span::width).sum();
        let mut piece = head.to_vec();
        if !(narrow && matches!(&s.status, Status::Live(d) if !d.starts_with("replay"))) {
            // The first (most troubled) source always shows: its text is cut
            // to leave room for the count of the others.
            let room = if k == 0 {
                width.saturating_sub(used + head_w + more.chars().count() + 1)
            } else {
                usize::MAX
            };
            if room > 1 {
                piece.push(Span::styled(format!(" {}", fit(&text, room, false)), style));
            }
        }
        let w: usize = piece.iter().map(Span::width).sum();
        if used + w + more.chars().count() > width && k > 0 {
            spans.push(Span::styled(format!(" +{rest} more (s)"), theme.warn()));
            break;
        }
        used += w;
        spans.extend(piece);
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

pub fn draw_bottom(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let w = area.width as usize;
    if let Some(p) = &app.prompt {
        let mut spans = vec![
            Span::styled("/", theme.title(true)),
            Span::raw(fit(&p.text, w.saturating_sub(2), false)),
        ];
        spans.push(Span::styled("▏", theme.title(true)));
        if let Some(err) = &p.error {
            spans.push(Span::styled(
                format!("  {}", fit(err, w.saturating_sub(p.text.len() + 4), false)),
                theme.error(),
            ));
        } else {
            spans.push(Span::styled(
                format!("  {} match · Enter keep · Esc undo", app.feed.seqs.len()),
                theme.dim(),
            ));
        }
        f.render_widget(Paragraph::new(Line::from(spans)), area);
        return;
    }
    if let Some(n) = app.current_notice() {
        let style = if n.error { theme.error() } else { theme.ok() };
        f.render_widget(Paragraph::new(Span::styled(fit(&n.text, w, false), style)), area);
        return;
    }
    let keys =
        "q quit  ? help  / filter  t types  Enter detail  space pause  s sources  v state  y copy  e export";
    f.render_widget(
        Paragraph::new(Span::styled(fit(keys, w, false), theme.dim())),
        area,
    );
}
