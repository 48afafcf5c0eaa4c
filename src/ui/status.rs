//! The status bar (following or paused, events/s, buffered, dropped, the
//! filter, then each source and its health) and the bottom line (keys, the
//! filter prompt with its cursor, inline error and a hint line, notices).
//!
//! The status bar is built from whole items and never cut mid-word: when
//! it is too narrow the least useful go first — live sources lose their
//! `live`, the buffer count and the `evtop` label go, troubled sources are
//! cut to a word (`retrying`), then live sources go, then troubled ones —
//! and when any source had to go a summary counts them all by state
//! (`2 failing · 5 live (s)`).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::Theme;
use super::text::{fit, fit_words, shorten_names};
use super::types::{compact, rate_text};
use crate::app::App;
use crate::source::{Status, fmt_duration};
use crate::store::{Health, SourceState};

/// One whole item of the status bar; `keep` orders what goes when narrow
/// (lowest first; among equals, the later one). An item with a `short`
/// form is first shortened, at priority `keep_short`.
struct Item {
    spans: Vec<Span<'static>>,
    keep: u8,
    source: bool,
    short: Option<(u8, Vec<Span<'static>>)>,
}

impl Item {
    fn width(&self) -> usize {
        self.spans.iter().map(Span::width).sum()
    }
}

/// Where a source sorts in the status bar: the most troubled first.
fn rank(s: &SourceState, now: i64) -> u8 {
    match (&s.status, s.health(now)) {
        (Status::Retrying { .. }, _) => 0,
        (Status::Closed(_), _) => 1,
        (Status::Finished(_), _) => 6,
        (_, Health::Degraded(_)) => 2,
        (_, Health::Quiet(_)) => 3,
        (Status::Connecting, _) => 4,
        _ => 5,
    }
}

fn ms(d: i64) -> String {
    fmt_duration(std::time::Duration::from_millis(d.max(0) as u64))
}

/// The dot, style and text a source shows with.
fn source_state(s: &SourceState, app: &App, theme: &Theme, narrow: bool) -> (&'static str, Style, String) {
    match (&s.status, s.health(app.now)) {
        (Status::Connecting, _) => ("○", theme.warn(), "connecting".to_owned()),
        // A replay says how far it is and at what speed.
        (Status::Live(d), _) if s.kind.progress => ("▶", theme.ok(), fit_words(d, 30)),
        (Status::Finished(what), _) => ("■", theme.dim(), fit_words(&format!("finished: {what}"), 40)),
        (_, Health::Degraded(why)) => {
            let room = if narrow { 20 } else { 36 };
            ("▲", theme.warn(), format!("degraded: {}", fit_words(&why, room)))
        }
        (_, Health::Quiet(silent)) => ("◌", theme.warn(), format!("quiet {}", ms(silent / 1000 * 1000))),
        (Status::Live(_), _) => ("●", theme.ok(), "live".to_owned()),
        (Status::Retrying { delay, reason }, _) => {
            let left = delay.as_millis() as i64 - (app.now - s.status_since);
            let room = if narrow { 24 } else { 40 };
            (
                "○",
                theme.error(),
                format!("{} — retry in {}", fit_words(reason, room), ms(left)),
            )
        }
        (Status::Closed(r), _) => ("■", theme.dim(), format!("closed: {}", fit_words(r, 30))),
    }
}

pub fn draw_top(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let width = usize::from(area.width);
    let narrow = width < 100;
    let sep = || Span::raw("│ ");
    let mut items = vec![Item {
        spans: vec![Span::styled("evtop ", theme.title(true))],
        keep: 17,
        source: false,
        short: None,
    }];
    let mode = if app.feed.paused {
        Span::styled("PAUSED ", theme.warn())
    } else {
        Span::styled("FOLLOWING ", theme.ok())
    };
    items.push(Item {
        spans: vec![mode],
        keep: 100,
        source: false,
        short: None,
    });
    if let Some((full, short)) = super::alerts::status_spans(app, &theme) {
        items.push(Item {
            spans: full,
            keep: 95,
            source: false,
            short: Some((85, short)),
        });
    }
    items.push(Item {
        spans: vec![
            sep(),
            Span::raw(format!(
                "{} ev/s ",
                rate_text(app.store.total_rate().rate(app.clock()))
            )),
        ],
        keep: 80,
        source: false,
        short: None,
    });
    items.push(Item {
        spans: vec![
            sep(),
            Span::styled(
                format!("{} buffered ", compact(app.store.records().len() as u64)),
                theme.dim(),
            ),
        ],
        keep: 16,
        source: false,
        short: None,
    });
    let dropped = app.store.dropped();
    let drops = if app.store.evicted() > 0 {
        let style = if dropped > 0 { theme.error() } else { theme.dim() };
        Span::styled(
            format!("dropped {dropped} evicted {} ", compact(app.store.evicted())),
            style,
        )
    } else if dropped > 0 {
        Span::styled(format!("dropped {dropped} "), theme.error())
    } else {
        Span::styled("dropped 0 ", theme.dim())
    };
    items.push(Item {
        spans: vec![sep(), drops],
        keep: 70,
        source: false,
        short: None,
    });
    if let Some(text) = super::reconcile::status_text(app) {
        items.push(Item {
            spans: vec![sep(), Span::styled(text, theme.error())],
            keep: 75,
            source: false,
            short: None,
        });
    }
    if !app.filter.is_empty() {
        items.push(Item {
            spans: vec![
                sep(),
                Span::raw(format!("filter: {} ", fit(app.filter.source_text(), 40, false))),
            ],
            keep: 50,
            source: false,
            short: None,
        });
    }
    if !app.types.set.is_empty() {
        let what = if app.types.only { "only" } else { "hiding" };
        items.push(Item {
            spans: vec![
                sep(),
                Span::styled(format!("types: {what} {} ", app.types.set.len()), theme.warn()),
            ],
            keep: 60,
            source: false,
            short: None,
        });
    }
    // Sources: the most troubled first; names shortened so two never look
    // the same.
    let sources = app.store.sources();
    let mut order: Vec<usize> = (0..sources.len()).collect();
    order.sort_by_key(|&i| rank(&sources[i], app.now));
    let names = shorten_names(
        &sources.iter().map(|s| s.name.as_str()).collect::<Vec<_>>(),
        if narrow { 14 } else { 20 },
    );
    for (k, &i) in order.iter().enumerate() {
        let s = &sources[i];
        let (dot, style, text) = source_state(s, app, &theme, narrow);
        let mut spans = vec![
            Span::raw(if k == 0 { "│ " } else { " " }),
            Span::styled(format!("{dot} "), style),
            Span::styled(names[i].clone(), theme.source()),
        ];
        let live = matches!(&s.status, Status::Live(_)) && text == "live";
        let troubled = rank(s, app.now) < 5;
        // The state in a word, for when the whole text does not fit.
        let word = match (&s.status, s.health(app.now)) {
            (Status::Retrying { .. }, _) => Some("retrying".to_owned()),
            (Status::Closed(_), _) => Some("closed".to_owned()),
            (_, Health::Degraded(_)) => Some("degraded".to_owned()),
            _ => None,
        };
        let short = match word {
            Some(w) => {
                let mut short = spans.clone();
                short.push(Span::styled(format!(" {w}"), style));
                Some((18, short))
            }
            // A live source shortens to its dot and name.
            None if live && !narrow => Some((15, spans.clone())),
            None => None,
        };
        if !(narrow && live) {
            spans.push(Span::styled(format!(" {text}"), style));
        }
        items.push(Item {
            spans,
            keep: if troubled { 40 } else { 20 },
            source: true,
            short,
        });
    }
    // What the summary says when sources had to go.
    let count = |f: &dyn Fn(&SourceState) -> bool| sources.iter().filter(|s| f(s)).count();
    let failing = count(&|s| s.failing());
    let quiet = count(&|s| matches!(s.health(app.now), Health::Quiet(_)));
    let degraded = count(&|s| matches!(s.health(app.now), Health::Degraded(_)));
    let live = count(&|s| s.health(app.now) == Health::Live);
    let connecting = count(&|s| matches!(s.status, Status::Connecting));
    let finished = count(&|s| matches!(s.status, Status::Finished(_)));
    let mut parts = Vec::new();
    if failing > 0 {
        parts.push(format!("{failing} failing"));
    }
    if degraded > 0 {
        parts.push(format!("{degraded} degraded"));
    }
    if quiet > 0 {
        parts.push(format!("{quiet} quiet"));
    }
    if live > 0 {
        parts.push(format!("{live} live"));
    }
    // Every state has its count: a source is never left out of the sum.
    if connecting > 0 {
        parts.push(format!("{connecting} connecting"));
    }
    if finished > 0 {
        parts.push(format!("{finished} finished"));
    }
    let summary_style = if failing > 0 { theme.error() } else { theme.warn() };
    let summary = Item {
        spans: vec![Span::styled(
            format!(" │ {} (s)", parts.join(" · ")),
            summary_style,
        )],
        keep: 90,
        source: false,
        short: None,
    };
    let total = |items: &[Item], with_summary: bool| {
        items.iter().map(Item::width).sum::<usize>() + if with_summary { summary.width() } else { 0 }
    };
    let all_sources = items.iter().filter(|i| i.source).count();
    let mut shown = all_sources;
    while total(&items, shown < all_sources) > width && !items.is_empty() {
        // The least important step — shorten or remove an item; among
        // equals, the later item.
        let (_, at, shorten) = items
            .iter()
            .enumerate()
            .flat_map(|(i, it)| {
                let short = it.short.as_ref().map(|(k, _)| (*k, i, true));
                [Some((it.keep, i, false)), short].into_iter().flatten()
            })
            .min_by_key(|&(k, i, _)| (k, usize::MAX - i))
            .expect("items is not empty");
        if shorten {
            if let Some((_, short)) = items[at].short.take() {
                items[at].spans = short;
            }
            continue;
        }
        if items[at].source {
            shown -= 1;
        }
        items.remove(at);
    }
    let mut spans: Vec<Span<'static>> = items.into_iter().flat_map(|i| i.spans).collect();
    if shown < all_sources {
        // One space before the bar, whatever the last item ended with.
        if spans.last().is_some_and(|s| s.content.ends_with(' ')) {
            spans.extend(
                summary
                    .spans
                    .into_iter()
                    .map(|s| Span::styled(s.content[1..].to_owned(), s.style)),
            );
        } else {
            spans.extend(summary.spans);
        }
    }
    f.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Examples of the filter language, shown under the open prompt.
pub const PROMPT_HINT: &str =
    "type:charge.*  source:stripe  .data.object.amount>1000  .status=\"failed\"  -type:ping  word  (? help)";

pub fn draw_bottom(f: &mut Frame<'_>, area: Rect, app: &App) {
    let theme = Theme::of(app);
    let w = area.width as usize;
    if let Some(p) = &app.prompt {
        let line = Rect { height: 1, ..area };
        // The text scrolled so the cursor stays in view.
        let room = w.saturating_sub(2).max(1);
        let chars: Vec<char> = p.text.chars().collect();
        let start = (p.cursor + 1).saturating_sub(room);
        let before: String = chars[start..p.cursor.min(chars.len())].iter().collect();
        let at: String = chars.get(p.cursor).map_or(" ".to_owned(), |c| c.to_string());
        let after: String = chars.iter().skip(p.cursor + 1).collect();
        let mut spans = vec![
            Span::styled("/", theme.title(true)),
            Span::raw(fit(&before, room, false)),
            Span::styled(fit(&at, 1, false), Style::new().reversed()),
        ];
        let used = 2 + before.chars().count();
        spans.push(Span::raw(fit(&after, w.saturating_sub(used + 1), false)));
        let used = used + after.chars().count();
        if let Some(err) = &p.error {
            spans.push(Span::styled(
                format!("  {}", fit(err, w.saturating_sub(used + 3), false)),
                theme.error(),
            ));
        } else {
            let tail = format!("  {} match · Enter keep · Esc undo", app.feed.seqs.len());
            if used + tail.chars().count() <= w {
                spans.push(Span::styled(tail, theme.dim()));
            }
        }
        f.render_widget(Paragraph::new(Line::from(spans)), line);
        if area.height > 1 {
            let hint = Rect {
                y: area.y + 1,
                height: 1,
                ..area
            };
            f.render_widget(
                Paragraph::new(Span::styled(fit(PROMPT_HINT, w, false), theme.dim())),
                hint,
            );
        }
        return;
    }
    if let Some(n) = app.current_notice() {
        let style = if n.error { theme.error() } else { theme.ok() };
        f.render_widget(Paragraph::new(Span::styled(fit(&n.text, w, false), style)), area);
        return;
    }
    let keys: &[&str] = &[
        "q quit",
        "? help",
        "/ filter",
        "t types",
        "Enter detail",
        "r chart",
        "! alerts",
        "c catalog",
        "space pause",
        "w sparklines",
        "s sources",
        "v state",
        "y copy",
        "e export",
    ];
    // Whole keys only: as many as fit.
    let mut text = String::new();
    for k in keys {
        let add = if text.is_empty() { 0 } else { 2 } + k.chars().count();
        if text.chars().count() + add > w {
            break;
        }
        if !text.is_empty() {
            text.push_str("  ");
        }
        text.push_str(k);
    }
    f.render_widget(Paragraph::new(Span::styled(text, theme.dim())), area);
}
