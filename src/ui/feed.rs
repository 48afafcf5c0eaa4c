//! The event feed: time, source, type, id, one-line summary; newest at the
//! bottom while following. Only the visible rows are looked at. A webhook
//! delivery's summary starts with its mark (`✓`, `✗`, `↻2`, `→502`; see
//! [`crate::event::WebhookMeta::mark`]), and an event that failed the
//! `--contract` with `≠` (SPEC 10; the detail pane says why); an event a
//! `[[reconcile]]` found missing its other side with `⊘` (SPEC 11.3).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph};

use super::text::{fit, fit_end, prefix, shorten_names};
use super::{Theme, focused, markers, pane_title};
use crate::app::{App, Pane};
use crate::event::EventRef;

/// Bytes of an event's data looked at to make its summary.
const SUMMARY_BYTES: usize = 4096;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    if area.height < 3 {
        return;
    }
    let theme = Theme::of(app);
    let n = app.feed.seqs.len();
    let mut title = vec![pane_title("feed", focused(app, Pane::Feed), &theme)];
    title.push(Span::styled(
        format!("{n} event{} ", if n == 1 { "" } else { "s" }),
        theme.dim(),
    ));
    if !app.filter.is_empty() {
        title.push(Span::styled(
            format!("· {} ", fit(app.filter.source_text(), 50, false)),
            theme.warn(),
        ));
    }
    if let Some(done) = app.feed.rebuilding(&app.store) {
        title.push(Span::styled(
            format!("filtering… {:.0}% ", done * 100.0),
            theme.warn(),
        ));
    }
    if app.feed.paused {
        title.push(Span::styled(
            format!(" PAUSED — {} new ", app.feed.new_since_pause),
            theme.warn().reversed(),
        ));
    }
    let block = Block::new().borders(Borders::TOP).title(Line::from(title));
    let inner = block.inner(area);
    f.render_widget(block, area);
    let h = inner.height as usize;
    let width = inner.width as usize;
    if n == 0 {
        let msg = if app.store.records().is_empty() {
            "waiting for events…"
        } else {
            "no event matches the filter (Esc clears it)"
        };
        let mut lines = vec![Line::styled(msg, theme.dim())];
        lines.extend(
            app.markers_between(None, None)
                .map(|m| markers::line(app, m, width, &theme)),
        );
        let skip = lines.len().saturating_sub(h);
        f.render_widget(Paragraph::new(lines.split_off(skip)), inner);
        return;
    }
    let sel = app.feed.selected_index().unwrap_or(n - 1);
    let top = (sel + 1).saturating_sub(h);
    let end = n.min(top + h);
    let rows: Vec<(u64, EventRef<'_>)> = (top..end)
        .filter_map(|i| {
            let seq = app.feed.seqs[i];
            app.store.get(seq).map(|r| (seq, app.store.view(r)))
        })
        .collect();
    let src_w = rows
        .iter()
        .map(|(_, e)| e.source.chars().count())
        .max()
        .unwrap_or(0)
        .min(16);
    let ty_w = rows
        .iter()
        .map(|(_, e)| e.ty.chars().count())
        .max()
        .unwrap_or(0)
        .min(if width >= 110 { 30 } else { 20 });
    // The id column (SPEC 6) stays from 70 columns up, cut shorter when
    // narrow — keeping the end, where ids differ: the detail pane and `y`
    // have the whole id.
    let id_w = if width >= 70 {
        rows.iter()
            .map(|(_, e)| e.id.map_or(0, |i| i.chars().count()))
            .max()
            .unwrap_or(0)
            .min(if width >= 110 { 22 } else { 12 })
    } else {
        0
    };
    let sources = shorten_names(&rows.iter().map(|(_, e)| e.source).collect::<Vec<_>>(), src_w);
    let types = shorten_names(&rows.iter().map(|(_, e)| e.ty).collect::<Vec<_>>(), ty_w);
    let time_w = if width >= 90 { 12 } else { 8 };
    let fixed = time_w + 1 + src_w + 1 + ty_w + 1 + if id_w > 0 { id_w + 1 } else { 0 };
    let summary_w = width.saturating_sub(fixed);
    // With the detail open, the row marked is the one it shows.
    let selected_seq = app.feed.seqs[sel];
    let marked_seq = match (&app.pinned, app.show_detail) {
        (Some(p), true) => p.seq,
        _ => selected_seq,
    };
    let highlight = app.feed.paused || focused(app, Pane::Feed) || app.show_detail;
    let mut lines: Vec<Line<'_>> = Vec::with_capacity(h + 2);
    let mut sel_line = 0;
    let mut prev = top.checked_sub(1).map(|i| app.feed.seqs[i]);
    for (k, (seq, e)) in rows.iter().enumerate() {
        lines.extend(
            app.markers_between(prev, Some(*seq))
                .map(|m| markers::line(app, m, width, &theme)),
        );
        prev = Some(*seq);
        let mut spans = vec![
            Span::styled(fit(&clock(e.received, time_w), time_w, true), theme.dim()),
            Span::raw(" "),
            Span::styled(pad(&sources[k], src_w), theme.source()),
            Span::raw(" "),
            Span::styled(pad(&types[k], ty_w), theme.ty()),
            Span::raw(" "),
        ];
        if id_w > 0 {
            spans.push(Span::styled(fit_end(e.id.unwrap_or(""), id_w, true), theme.dim()));
            spans.push(Span::raw(" "));
        }
        let mut summary_w = summary_w;
        if let Some(m) = e.meta {
            let mark = m.mark();
            if !mark.is_empty() && summary_w > mark.chars().count() + 1 {
                let style = theme.tone(m.tone());
                summary_w -= mark.chars().count() + 1;
                spans.push(Span::styled(fit(&mark, mark.chars().count(), false), style));
                spans.push(Span::raw(" "));
            }
        }
        let source = app.store.get(*seq).map(|r| r.source);
        if let Some(missing) = source.and_then(|s| app.reconcile_mark(s, e.id))
            && summary_w > 2
        {
            summary_w -= 2;
            spans.push(Span::styled(super::reconcile::mark(missing), theme.error()));
            spans.push(Span::raw(" "));
        }
        if e.drift && summary_w > 2 {
            summary_w -= 2;
            spans.push(Span::styled(crate::output::DRIFT_MARK, theme.warn()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::raw(fit(&summary(e), summary_w, true)));
        let line = Line::from(spans);
        if *seq == selected_seq {
            sel_line = lines.len();
        }
        lines.push(if *seq == marked_seq && highlight {
            line.style(theme.selected())
        } else {
            line
        });
    }
    if end == n {
        lines.extend(
            app.markers_between(prev, None)
                .map(|m| markers::line(app, m, width, &theme)),
        );
    }
    // Markers took rows: drop rows from the top, but never the selected one.
    let excess = lines.len().saturating_sub(h);
    let skip = excess.min(sel_line);
    let mut lines = lines.split_off(skip);
    lines.truncate(h);
    f.render_widget(Paragraph::new(lines), inner);
}

/// A name already shortened to at most `width`, padded to it.
fn pad(s: &str, width: usize) -> String {
    fit(s, width, true)
}

/// `HH:MM:SS.mmm` (or `HH:MM:SS` when narrow), UTC.
fn clock(ms: i64, width: usize) -> String {
    let fmt = if width >= 12 { "%H:%M:%S%.3f" } else { "%H:%M:%S" };
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format(fmt).to_string())
        .unwrap_or_default()
}

/// One line saying what the event is: the ops of a JSON patch
/// (`replace /2/price → 31.5`), else the data on one line.
pub fn summary(e: &EventRef<'_>) -> String {
    if e.json && e.data.trim_start().starts_with('[') && e.ty == "patch" {
        if let Ok(ops) = serde_json::from_str::<Vec<serde_json::Value>>(prefix(e.data, SUMMARY_BYTES)) {
            let parts: Vec<String> = ops.iter().take(8).map(op_summary).collect();
            let more = if ops.len() > 8 {
                format!("; +{} ops", ops.len() - 8)
            } else {
                String::new()
            };
            return parts.join("; ") + &more;
        }
    }
    let text = prefix(e.data, SUMMARY_BYTES);
    if e.json && text.len() == e.data.len() {
        if let Ok(serde_json::Value::Object(map)) = serde_json::from_str::<serde_json::Value>(text) {
            return fields_summary(&map, e);
        }
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// `amount=1200 currency=usd status=succeeded …`: the scalar fields of the
/// object that says most (Stripe-style `data.object` when present, else the
/// data itself), leaving out what the row already shows (id, type). Named
/// as they are in the data, so `.data.object.amount` is the filter's path
/// (the detail's `p` shows it, `f` filters on it).
fn fields_summary(map: &serde_json::Map<String, serde_json::Value>, e: &EventRef<'_>) -> String {
    let inner = map
        .get("data")
        .and_then(|d| d.get("object"))
        .and_then(|o| o.as_object())
        .unwrap_or(map);
    // In document order, but an object's own `id` last: the row already
    // has an id column, and the fields after it say more.
    let (ids, rest): (Vec<_>, Vec<_>) = inner.iter().partition(|(k, _)| k.as_str() == "id");
    let mut parts = Vec::new();
    for (k, v) in rest.into_iter().chain(ids) {
        let text = match v {
            serde_json::Value::String(s) => s.clone(),
            serde_json::Value::Number(n) => n.to_string(),
            serde_json::Value::Bool(b) => b.to_string(),
            serde_json::Value::Null => "null".to_owned(),
            other => short(other),
        };
        if Some(text.as_str()) == e.id || text == e.ty || k == "object" {
            continue;
        }
        parts.push(format!("{k}={text}"));
        if parts.len() == 12 {
            break;
        }
    }
    parts.join(" ")
}

fn op_summary(op: &serde_json::Value) -> String {
    let name = op.get("op").and_then(|v| v.as_str()).unwrap_or("?");
    let path = op.get("path").and_then(|v| v.as_str()).unwrap_or("");
    match (name, op.get("value"), op.get("from").and_then(|v| v.as_str())) {
        (_, _, Some(from)) => format!("{name} {from} → {path}"),
        (_, Some(v), _) => format!("{name} {path} → {}", short(v)),
        _ => format!("{name} {path}"),
    }
}

fn short(v: &serde_json::Value) -> String {
    let s = v.to_string();
    if s.len() > 40 {
        format!("{}…", prefix(&s, 39))
    } else {
        s
    }
}
