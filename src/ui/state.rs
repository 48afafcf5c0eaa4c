//! `v`: each Streamdata / diff source's state document as pretty JSON, the
//! lines whose paths changed in the last seconds marked.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph};

use super::{Theme, json};
use crate::app::App;
use crate::store::StateMode;

/// How long a changed path stays marked, ms.
pub const CHANGED_MS: i64 = 3000;

pub fn draw(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    f.render_widget(Clear, area);
    let block = Block::new().borders(Borders::ALL).title(Span::styled(
        " state (Esc closes, j/k scroll) ",
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
        let recent: Vec<&str> = s
            .changed
            .iter()
            .filter(|(_, at)| app.now - at < CHANGED_MS)
            .map(|(p, _)| p.as_str())
            .collect();
        match &s.state {
            None => lines.push(Line::styled("  (no snapshot yet)", theme.dim())),
            Some(doc) => {
                for l in json::lines(doc) {
                    let hit = !l.path.is_empty()
                        && recent
                            .iter()
                            .any(|p| !p.is_empty() && (l.path == *p || l.path.starts_with(&format!("{p}/"))));
                    let mut line = json::render(&l, &theme);
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
