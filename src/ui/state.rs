//! `v`: each Streamdata / diff source's state document as pretty JSON (keys
//! in document order), the lines whose paths changed in the last
//! [`CHANGED_MS`] marked `▶` and, for a changed scalar, shown as
//! `old → new`. `y` copies the document.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{Theme, json};
use crate::app::App;
use crate::store::{Change, StateMode};

/// How long a changed path stays marked (and shows `old → new`), ms.
pub const CHANGED_MS: i64 = 10_000;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    f.render_widget(Clear, area);
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        " state (q/Esc close, j/k scroll, y copy) ",
        theme.title(true),
    ));
    let mut lines = Vec::new();
    for s in app
        .store
        .sources()
        .iter()
        .filter(|s| s.mode == StateMode::Patched)
    {
        let sync = if s.out_of_sync {
            Span::styled("  out of sync — resyncing", theme.error())
        } else {
            Span::raw("")
        };
        lines.push(Line::from(vec![
            Span::styled(s.name.clone(), theme.source().bold()),
            sync,
        ]));
        let recent: Vec<&Change> = s.changed.iter().filter(|c| app.now - c.at < CHANGED_MS).collect();
        match &s.state {
            None => lines.push(Line::styled("  (no snapshot yet)", theme.dim())),
            Some(doc) => {
                for l in json::lines(doc) {
                    let hit = !l.path.is_empty()
                        && recent.iter().any(|c| {
                            !c.path.is_empty()
                                && (l.path == c.path || l.path.starts_with(&format!("{}/", c.path)))
                        });
                    // The newest change of exactly this path with a value before.
                    let old = recent
                        .iter()
                        .rev()
                        .find(|c| c.path == l.path)
                        .and_then(|c| c.old.as_ref());
                    let mut line = json::render(&l, &theme);
                    if let Some(old) = old {
                        // Before the value: after the key's `: ` or at the start.
                        let keyed = l.parts.first().is_some_and(|(_, t)| *t == json::Tok::Key);
                        let at = (1 + if keyed { 2 } else { 0 }).min(line.spans.len());
                        line.spans
                            .insert(at, Span::styled(format!("{} → ", short(old)), theme.dim()));
                    }
                    line.spans.insert(0, Span::raw(if hit { "▶ " } else { "  " }));
                    lines.push(if hit { line.style(theme.changed()) } else { line });
                }
            }
        }
        lines.push(Line::raw(""));
    }
    if lines.is_empty() {
        lines.push(Line::styled(
            "no source keeps a state document (Streamdata: patch = true; poll: mode = \"diff\")",
            theme.dim(),
        ));
    }
    f.render_widget(
        Paragraph::new(lines).block(block).scroll((app.overlay_scroll, 0)),
        area,
    );
}

/// A value as the state view shows an old one: compact, cut at 40 chars.
fn short(v: &serde_json::Value) -> String {
    super::text::fit(&v.to_string(), 40, false)
}
