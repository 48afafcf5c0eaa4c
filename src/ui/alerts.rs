//! `!`: the alerts view — each alert's state, value and since when, its
//! rule, `when`, notify and exec; then the history of state changes (and
//! `exec` failures), newest first. And the status bar's alert item.
//!
//! ```text
//! ┌ alerts (Esc closes, j/k scroll) ───────────────────────────────────┐
//! │ ● failed charges   FIRING  7 in 1m       since 14:05:03 (2m ago)   │
//! │     rate > 5/1m · when type:charge.failed · notify bell · exec …   │
//! │ ○ payments quiet   ok      silent for 12s                          │
//! │                                                                    │
//! │ history (newest first)                                             │
//! │ 14:05:03  failed charges   firing    7 in 1m                       │
//! └────────────────────────────────────────────────────────────────────┘
//! ```

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::Theme;
use super::text::fit;
use crate::alert::{Entry, State};
use crate::app::App;
use crate::source::fmt_duration;

/// Width of the name column.
const NAME_W: usize = 22;
/// Width of the `since HH:MM:SS (2m ago)` column.
const SINCE_W: usize = 26;

/// `HH:MM:SS` (UTC) of a unix-ms time.
fn clock(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.format("%H:%M:%S").to_string())
        .unwrap_or_default()
}

fn ago(now: i64, at: i64) -> String {
    let secs = (now - at).max(0) / 1000;
    if secs == 0 {
        return "just now".to_owned();
    }
    format!(
        "{} ago",
        fmt_duration(std::time::Duration::from_secs(secs as u64))
    )
}

/// The status bar's alert item, full and short, when any alert shows:
/// `│ ! failed charges 7 in 1m +1 (!)` / `│ ! 2 alerts (!)`.
pub fn status_spans(app: &App, theme: &Theme) -> Option<(Vec<Span<'static>>, Vec<Span<'static>>)> {
    let now = app.store.clock(app.now);
    let showing: Vec<&Entry> = app.alerts.showing(now).collect();
    let first = showing.first()?;
    let more = if showing.len() > 1 {
        format!(" +{}", showing.len() - 1)
    } else {
        String::new()
    };
    let full = vec![
        Span::raw("│ "),
        Span::styled(
            format!(
                "! {} {}{more} (!) ",
                fit(&first.name, 24, false),
                fit(&first.text, 24, false)
            ),
            theme.error(),
        ),
    ];
    let n = showing.len();
    let short = vec![
        Span::raw("│ "),
        Span::styled(
            format!("! {n} alert{} (!) ", if n == 1 { "" } else { "s" }),
            theme.error(),
        ),
    ];
    Some((full, short))
}

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    f.render_widget(Clear, area);
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        " alerts (Esc closes, j/k scroll) ",
        theme.title(true),
    ));
    let w = block.inner(area).width as usize;
    let now = app.store.clock(app.now);
    let mut lines = Vec::new();
    if app.alerts.is_empty() {
        lines.push(Line::styled(
            "No alerts. Add [[alert]] tables to the config file (see config.example.toml).",
            theme.dim(),
        ));
    }
    for e in app.alerts.entries() {
        let (dot, word, style) = match e.state {
            State::Firing => ("●", "FIRING", theme.error()),
            State::Fired if e.showing(now) => ("●", "FIRED", theme.error()),
            State::Fired => ("○", "fired", theme.warn()),
            State::Ok => ("○", "ok", theme.ok()),
        };
        let value = match (e.state, e.rule) {
            (State::Ok, Some(crate::alert::Rule::Rate { window, .. })) => {
                format!(
                    "{} in {}",
                    e.value.unwrap_or(0),
                    crate::alert::fmt_secs(window.as_secs())
                )
            }
            (State::Ok, Some(crate::alert::Rule::Silent(_))) => {
                format!("silent for {}", crate::alert::fmt_secs(e.value.unwrap_or(0)))
            }
            (State::Ok, _) if e.fired == 0 => "never fired".to_owned(),
            _ => e.text.clone(),
        };
        let since = if e.state == State::Ok && e.fired == 0 {
            String::new()
        } else {
            format!("since {} ({})", clock(e.since), ago(now, e.since))
        };
        let since = fit(&since, SINCE_W, true);
        let value_w = w.saturating_sub(NAME_W + 10 + SINCE_W + 2).max(8);
        lines.push(Line::from(vec![
            Span::styled(format!("{dot} "), style),
            Span::styled(fit(&e.name, NAME_W, true), theme.source().bold()),
            Span::raw(" "),
            Span::styled(format!("{word:<7}"), style),
            Span::raw(fit(&value, value_w, true)),
            Span::raw(" "),
            Span::styled(since, theme.dim()),
        ]));
        let mut what = vec![e.describe()];
        if !e.when_text.is_empty() {
            what.push(format!("when {}", e.when_text));
        }
        let notify: Vec<&str> = [(e.notify.bell, "bell"), (e.notify.desktop, "desktop")]
            .into_iter()
            .filter_map(|(on, name)| on.then_some(name))
            .collect();
        if !notify.is_empty() {
            what.push(format!("notify {}", notify.join(" ")));
        }
        if let Some(x) = &e.exec {
            what.push(format!("exec {}", x.argv.join(" ")));
        }
        what.push(format!("fired {} · matched {}", e.fired, e.matched));
        lines.push(Line::styled(
            fit(&format!("    {}", what.join(" · ")), w, false),
            theme.dim(),
        ));
    }
    lines.push(Line::raw(""));
    lines.push(Line::styled("history (newest first)", theme.title(false)));
    if app.alerts.history().is_empty() {
        lines.push(Line::styled("  nothing yet", theme.dim()));
    }
    for h in app.alerts.history().iter().rev() {
        let name = app.alerts.entries().get(h.alert).map_or("", |e| e.name.as_str());
        let style = match h.what.as_str() {
            "firing" => theme.error(),
            "resolved" => theme.ok(),
            _ => theme.warn(),
        };
        lines.push(Line::from(vec![
            Span::styled(format!("{}  ", clock(h.at)), theme.dim()),
            Span::styled(fit(name, NAME_W, true), theme.source()),
            Span::raw(" "),
            Span::styled(fit(&h.what, 12, true), style),
            Span::raw(" "),
            Span::raw(fit(&h.text, w.saturating_sub(NAME_W + 25), false)),
        ]));
    }
    f.render_widget(
        Paragraph::new(lines).block(block).scroll((app.overlay_scroll, 0)),
        area,
    );
}
