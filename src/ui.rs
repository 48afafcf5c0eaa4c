//! Drawing: `draw(frame, &App)` reads the app and writes cells — no I/O,
//! no locks, no mutation, and work proportional to what is visible, never
//! to the number of buffered events.
//!
//! ```text
//! ┌ status: sources · ev/s · buffered · dropped · FOLLOWING/PAUSED · filter ┐
//! ├───────────────────────────────────────────┬─────────────────────────────┤
//! │ feed                                      │ types (t)                   │
//! │ time  source  type  id  summary           │ ✓ type  count  rate  ▁▃▅█▃  │
//! │ …                                         │ …                           │
//! ├───────────────────────────────────────────┴─────────────────────────────┤
//! │ detail (Enter): source, id, type, times; pretty JSON                    │
//! ├─────────────────────────────────────────────────────────────────────────┤
//! │ keys / filter prompt (+ a hint line while open) / notice                │
//! └─────────────────────────────────────────────────────────────────────────┘
//! ```
//! Below 100 columns the type panel goes under the feed; below 24 rows the
//! detail takes the feed's place. Help (`?`), sources (`s`), state (`v`),
//! the catalog (`c`), the rate chart (`r`) and alerts (`!`) are drawn over
//! everything.

mod alerts;
mod catalog;
mod catalog_fields;
mod chart;
mod detail;
mod feed;
mod help;
pub mod json;
mod markers;
mod reconcile;
mod sources;
mod state;
mod status;
mod text;
mod types;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};

use crate::app::{App, Overlay, Pane};

/// Width at and above which the type panel sits beside the feed.
const SIDE_BY_SIDE_WIDTH: u16 = 100;

/// Draw the whole screen.
pub fn draw(f: &mut Frame<'_>, app: &App) {
    let area = f.area();
    // The prompt takes a second line: a hint of the filter language.
    let bottom_h = if app.prompt.is_some() { 2 } else { 1 };
    let [top, body, bottom] = Layout::vertical([
        Constraint::Length(1),
        Constraint::Min(3),
        Constraint::Length(bottom_h),
    ])
    .areas(area);
    status::draw_top(f, top, app);
    status::draw_bottom(f, bottom, app);

    let (feed_area, types_area, detail_area) = split_body(body, app);
    feed::draw(f, feed_area, app);
    if let Some(r) = types_area {
        types::draw(f, r, app);
    }
    if let Some(r) = detail_area {
        detail::draw(f, r, app);
    }
    match app.overlay {
        Some(Overlay::Help) => help::draw(f, area, app),
        Some(Overlay::Sources) => sources::draw(f, body, app),
        Some(Overlay::State) => state::draw(f, body, app),
        Some(Overlay::Catalog) => catalog::draw(f, body, app),
        Some(Overlay::Alerts) => alerts::draw(f, body, app),
        Some(Overlay::Chart) => chart::draw(f, body, app),
        None => {}
    }
}

/// Where the feed, the type panel and the detail go.
fn split_body(body: Rect, app: &App) -> (Rect, Option<Rect>, Option<Rect>) {
    let (main, detail) = if app.show_detail {
        if body.height < 22 {
            // Small terminal: the detail takes the place of everything else.
            return (Rect { height: 0, ..body }, None, Some(body));
        }
        let [m, d] = Layout::vertical([Constraint::Percentage(55), Constraint::Percentage(45)]).areas(body);
        (m, Some(d))
    } else {
        (body, None)
    };
    // Stacked under the feed, the type panel would squeeze the detail: it
    // gives way while the detail is open on a narrow terminal.
    if !app.show_types || (detail.is_some() && main.width < SIDE_BY_SIDE_WIDTH) {
        return (main, None, detail);
    }
    if main.width >= SIDE_BY_SIDE_WIDTH {
        let side = (main.width * 38 / 100).clamp(44, 64);
        let [feed, types] = Layout::horizontal([Constraint::Min(40), Constraint::Length(side)]).areas(main);
        (feed, Some(types), detail)
    } else {
        let rows = (main.height / 3).clamp(4, 10);
        let [feed, types] = Layout::vertical([Constraint::Min(3), Constraint::Length(rows)]).areas(main);
        (feed, Some(types), detail)
    }
}

/// Colours, or none (`--no-color`, `NO_COLOR`).
pub struct Theme {
    pub color: bool,
}

impl Theme {
    pub fn of(app: &App) -> Self {
        Theme { color: app.color }
    }
    fn fg(&self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }
    pub fn dim(&self) -> Style {
        if self.color {
            Style::new().fg(Color::DarkGray)
        } else {
            Style::new()
        }
    }
    pub fn key(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn string(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn number(&self) -> Style {
        self.fg(Color::Magenta)
    }
    pub fn literal(&self) -> Style {
        self.fg(Color::Yellow)
    }
    pub fn ty(&self) -> Style {
        self.fg(Color::Cyan)
    }
    pub fn source(&self) -> Style {
        self.fg(Color::Blue)
    }
    pub fn ok(&self) -> Style {
        self.fg(Color::Green)
    }
    pub fn warn(&self) -> Style {
        self.fg(Color::Yellow)
    }
    /// The style of a kind's metadata [`Tone`](crate::event::Tone).
    pub fn tone(&self, tone: crate::event::Tone) -> Style {
        use crate::event::Tone;
        match tone {
            Tone::Plain => Style::new(),
            Tone::Dim => self.dim(),
            Tone::Ok => self.ok(),
            Tone::Warn => self.warn(),
            Tone::Bad => self.error(),
        }
    }

    pub fn error(&self) -> Style {
        self.fg(Color::Red).add_modifier(Modifier::BOLD)
    }
    pub fn changed(&self) -> Style {
        if self.color {
            Style::new().bg(Color::Rgb(70, 60, 0))
        } else {
            Style::new().add_modifier(Modifier::BOLD)
        }
    }
    /// The selected row: reversed, so it shows without colour too.
    pub fn selected(&self) -> Style {
        Style::new().add_modifier(Modifier::REVERSED)
    }
    pub fn title(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::BOLD)
        } else {
            self.dim()
        }
    }
    /// A pane title: reversed while the pane has the keyboard.
    pub fn focus(&self, focused: bool) -> Style {
        if focused {
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED)
        } else {
            self.dim()
        }
    }
}

/// A pane's title: marked `▸` and reversed when it has the keyboard, so
/// focus shows without colour too.
pub fn pane_title(name: &str, focused: bool, theme: &Theme) -> ratatui::text::Span<'static> {
    let text = if focused {
        format!(" ▸ {name} ")
    } else {
        format!(" {name} ")
    };
    ratatui::text::Span::styled(text, theme.focus(focused))
}

/// Whether `pane` has the keyboard (and so a bold border).
fn focused(app: &App, pane: Pane) -> bool {
    app.overlay.is_none() && app.prompt.is_none() && app.focus == pane
}

/// A rectangle centred in `area`, at most `w`×`h`.
fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect {
        x: area.x + (area.width - w) / 2,
        y: area.y + (area.height - h) / 2,
        width: w,
        height: h,
    }
}

#[cfg(test)]
mod alerts_tests;
#[cfg(test)]
mod catalog_tests;
#[cfg(test)]
mod chart_tests;
#[cfg(test)]
mod reconcile_tests;
#[cfg(test)]
mod tests;
#[cfg(test)]
mod truth_tests;
