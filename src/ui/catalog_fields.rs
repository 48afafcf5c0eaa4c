//! The catalog view's second and third levels: one type's fields (kinds,
//! presence, format, numbers or values, what is new) and the top values of
//! the field under the cursor — beside the table from 110 columns on, in
//! its place below that.
//!
//! ```text
//! ┌ charge.succeeded · Enter values · f filter · y copy schema · Esc back ┐
//! │ 10 events, learned from 10: at most 100 a second · 6 fields · payments│
//! │ FIELD          KINDS        PRESENT  VALUES           │ VALUES .curre…│
//! │ data           object 10      100%                    │ "usd"   10 100%│
//! │   object       object 10      100%                    │               │
//! │     amount     integer 10     100%  min 250 max 7000… │               │
//! │     currency   string 10      100%  "usd" ×10         │               │
//! │ /data/object/currency → f: .data.object.currency                      │
//! └───────────────────────────────────────────────────────────────────────┘
//! ```
//! Paths, names and values come from events: all of it goes through
//! [`fit`] (inert, cut to its cell).

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Borders, Paragraph};

use super::Theme;
use super::catalog::{block, clock, sampling_text};
use super::text::fit;
use crate::app::{App, Level};
use crate::store::catalog::{Field, Kind, TypeEntry, unescape};
use crate::ui::json;

/// Width from which the values sit beside the fields.
const SIDE_VALUES_WIDTH: u16 = 110;
/// Width of the values pane beside the fields.
const VALUES_PANE: u16 = 34;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let Some((id, t)) = app.catalog_type() else {
        return;
    };
    let title = format!(
        "{} · Enter values · f filter the feed · y copy schema · Esc back · q close",
        fit(&t.name, 40, false)
    );
    let block = block(&theme, &title);
    let inner = block.inner(area);
    f.render_widget(block, area);
    let [head, body, foot] =
        Layout::vertical([Constraint::Length(1), Constraint::Min(1), Constraint::Length(1)]).areas(inner);
    let w = inner.width as usize;
    f.render_widget(
        Paragraph::new(Line::styled(fit(&header(app, id, t), w, false), theme.dim())),
        head,
    );
    f.render_widget(Paragraph::new(footer(app, &theme, w)), foot);
    let field = app.catalog_field();
    if area.width >= SIDE_VALUES_WIDTH {
        let [table, side] =
            Layout::horizontal([Constraint::Min(40), Constraint::Length(VALUES_PANE)]).areas(body);
        fields(f, table, app, t);
        values(f, side, app, field, true);
    } else if app.catalog.level == Level::Values {
        values(f, body, app, field, false);
    } else {
        fields(f, body, app, t);
    }
}

/// Counts, sampling, fields, sources, times, drifts and bounds of a type.
fn header(app: &App, id: u32, t: &TypeEntry) -> String {
    let mut s = format!(
        "{} · {} fields · from {} · first {} · last {} · {} drifts",
        sampling_text(app, t.learned, t.count),
        t.fields().iter().filter(|f| !f.path.is_empty()).count(),
        t.sources.iter().map(|s| &**s).collect::<Vec<_>>().join(", "),
        clock(t.first_seen),
        clock(t.last_seen),
        app.store.drift_count(id)
    );
    if t.not_catalogued() > 0 {
        s.push_str(&format!(" · {} values beyond the bounds", t.not_catalogued()));
    }
    s
}

/// The selected field's full path and the filter `f` would set.
fn footer(app: &App, theme: &Theme, w: usize) -> Line<'static> {
    let Some(field) = app.catalog_field() else {
        return Line::styled("no fields learned (the data was empty)", theme.dim());
    };
    let term = json::catalog_path(&field.path).unwrap_or_else(|| "(the whole data)".to_owned());
    let mut text = format!(
        "{} → f: {term}",
        if field.path.is_empty() {
            "(data)"
        } else {
            &field.path
        }
    );
    if field.is_new() {
        text.push_str(&format!(" · new since {}", clock(field.first_seen)));
    }
    Line::styled(fit(&text, w, false), theme.dim())
}

/// The fields table: name indented by depth, kinds, presence, values.
fn fields(f: &mut Frame<'_>, area: Rect, app: &App, t: &TypeEntry) {
    let theme = Theme::of(app);
    let v = &app.catalog;
    let w = area.width as usize;
    let name_w = (w / 4).clamp(12, 28);
    let kinds_w = if w >= 80 { 16 } else { 14 };
    let rest = w.saturating_sub(name_w + kinds_w + 8 + 3);
    let mut lines = vec![Line::styled(
        fit(
            &format!(
                "{:<name_w$} {:<kinds_w$} {:>7}  {}",
                "FIELD", "KINDS", "PRESENT", "VALUES"
            ),
            w,
            false,
        ),
        theme.dim(),
    )];
    let h = (area.height as usize).saturating_sub(1);
    let cursor = v.field_cursor;
    let top = (cursor + 1).saturating_sub(h);
    for (row, &(i, depth)) in v.fields.iter().enumerate().skip(top).take(h) {
        let Some(field) = t.fields().get(i as usize) else {
            continue;
        };
        let name = format!(
            "{}{}",
            "  ".repeat(usize::from(depth.saturating_sub(1))),
            display_name(field)
        );
        let mut spans = vec![
            Span::styled(fit(&name, name_w, true), theme.key()),
            Span::raw(" "),
            Span::raw(fit(&kinds(field), kinds_w, true)),
            Span::raw(format!(" {:>6.1}%  ", t.presence(field) * 100.0)),
        ];
        let mut room = rest;
        let new = new_text(field);
        if !new.is_empty() {
            let new = fit(&new, room, false);
            room = room.saturating_sub(new.chars().count() + 1);
            spans.push(Span::styled(new, theme.warn()));
            spans.push(Span::raw(" "));
        }
        spans.push(Span::styled(
            fit(&values_text(field), room, false),
            theme.string(),
        ));
        let mut line = Line::from(spans);
        if row == cursor {
            line = line.style(if v.level == Level::Fields {
                theme.selected()
            } else {
                theme.changed()
            });
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The top values of `field` with counts and shares, a cursor on them at
/// the values level.
fn values(f: &mut Frame<'_>, area: Rect, app: &App, field: Option<&Field>, side: bool) {
    let theme = Theme::of(app);
    let (area, w) = if side {
        let b = ratatui::widgets::Block::new().borders(Borders::LEFT);
        let inner = b.inner(area);
        f.render_widget(b, area);
        (inner, inner.width as usize)
    } else {
        (area, area.width as usize)
    };
    let Some(field) = field else { return };
    let path = json::catalog_path(&field.path).unwrap_or_else(|| "(data)".to_owned());
    let mut lines = vec![Line::styled(
        fit(&format!("VALUES {path}"), w, false),
        theme.dim(),
    )];
    let Some(top) = field.top_values() else {
        let scalars = field
            .kinds_seen()
            .any(|(k, _)| !matches!(k, Kind::Object | Kind::Array));
        let why = if field.secret {
            "never kept: a secret-looking key"
        } else if !scalars {
            "none: an object or array"
        } else {
            "not counted: too many distinct values"
        };
        lines.push(Line::styled(fit(why, w, false), theme.dim()));
        f.render_widget(Paragraph::new(lines), area);
        return;
    };
    let h = (area.height as usize).saturating_sub(1);
    let cursor = app.catalog.value_cursor;
    let top_row = (cursor + 1).saturating_sub(h);
    let total = field.occurrences.max(1) as f64;
    let value_w = w.saturating_sub(7 + 6);
    for (row, (value, n)) in top.iter().enumerate().skip(top_row).take(h) {
        let mut line = Line::from(vec![
            Span::styled(fit(value, value_w, true), theme.string()),
            Span::raw(format!(" {:>6} {:>4.0}%", n, *n as f64 * 100.0 / total)),
        ]);
        if app.catalog.level == Level::Values && row == cursor {
            line = line.style(theme.selected());
        }
        lines.push(line);
    }
    f.render_widget(Paragraph::new(lines), area);
}

/// The field's name as a row shows it: its key, `[*]` for array items,
/// `(data)` for the data itself.
fn display_name(field: &Field) -> String {
    match field.name() {
        "*" if !field.path.is_empty() => "[*]".to_owned(),
        "(data)" if field.path.is_empty() => "(data)".to_owned(),
        name => unescape(name),
    }
}

/// `integer 10`, `string 8 · null 2`, `string 10 uuid`.
pub fn kinds(field: &Field) -> String {
    let mut s = field
        .kinds_seen()
        .map(|(k, n)| format!("{} {n}", k.name()))
        .collect::<Vec<_>>()
        .join(" · ");
    if let Some(format) = field.format() {
        s.push(' ');
        s.push_str(format);
    }
    s
}

/// What is new about the field: `new since 10:02:03`, `new kind: string`.
fn new_text(field: &Field) -> String {
    if field.is_new() {
        return format!("new since {}", clock(field.first_seen));
    }
    let kinds: Vec<&str> = field.new_kinds().map(Kind::name).collect();
    if kinds.is_empty() {
        String::new()
    } else {
        format!("new kind: {}", kinds.join(", "))
    }
}

/// Few distinct values for many occurrences: worth counting by value.
pub fn low_cardinality(field: &Field) -> bool {
    field
        .top_values()
        .is_some_and(|top| top.len() <= 3 || (top.len() as u64) * 2 <= field.occurrences)
}

/// The values column: numbers' min, max and average; the top values with
/// counts for a low-cardinality field; else examples.
pub fn values_text(field: &Field) -> String {
    if field.secret {
        return "(values never kept: secret-looking key)".to_owned();
    }
    let top = || {
        field
            .top_values()
            .unwrap_or_default()
            .iter()
            .map(|(v, n)| format!("{v} ×{n}"))
            .collect::<Vec<_>>()
            .join(" · ")
    };
    if field.has_numbers() {
        let n = field.count(Kind::Integer) + field.count(Kind::Number);
        let mut s = format!(
            "min {} max {} avg {}",
            num(field.min),
            num(field.max),
            num(field.sum / n as f64)
        );
        if low_cardinality(field) {
            s.push_str(" · ");
            s.push_str(&top());
        }
        return s;
    }
    if low_cardinality(field) {
        return top();
    }
    field
        .examples
        .iter()
        .map(serde_json::Value::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}

/// A number short: integers as they are, others to 3 significant decimals.
fn num(x: f64) -> String {
    if x.fract() == 0.0 && x.abs() < 1e15 {
        format!("{x:.0}")
    } else {
        let s = format!("{x:.3}");
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}
