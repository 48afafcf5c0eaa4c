//! Reconciliation on screen (SPEC 11.3): the feed mark of an event a
//! finding named, the status bar's count of findings, and each pairing's
//! lines in the sources view (`s`): findings, matches, the backlog and
//! what its bounded memory forgot or dropped.

use ratatui::text::{Line, Span};

use super::Theme;
use super::text::fit;
use super::types::compact;
use crate::app::App;
use crate::reconcile::{MAX_IDS, Missing};

/// The feed mark of an event a finding named (not delivered or not listed).
pub const MARK: &str = "⊘";

/// The feed mark for `missing` (one glyph for both: the detail of which
/// side is missing is in the notice, `tail`'s stderr and the sources view).
pub fn mark(_missing: Missing) -> &'static str {
    MARK
}

/// The status bar's item when there are findings: `⊘ 3 not delivered · 1
/// not listed`.
pub fn status_text(app: &App) -> Option<String> {
    let (not_delivered, not_listed) = app.reconcile_findings();
    let mut parts = Vec::new();
    if not_delivered > 0 {
        parts.push(format!("{} not delivered", compact(not_delivered)));
    }
    if not_listed > 0 {
        parts.push(format!("{} not listed", compact(not_listed)));
    }
    (!parts.is_empty()).then(|| format!("{MARK} {} ", parts.join(" · ")))
}

/// Each pairing's lines in the sources view, `w` columns wide.
pub fn lines(app: &App, w: usize, theme: &Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for p in app.reconcile.pairings() {
        let c = p.counts();
        let listed = app.store.source_name(p.listed);
        let delivered = app.store.source_name(p.delivered);
        lines.push(Line::from(vec![
            Span::styled(
                fit(&format!("reconcile {:?}", p.name), 40, false),
                theme.source().bold(),
            ),
            Span::raw("  "),
            Span::styled(
                fit(
                    &format!("listed by {listed}, delivered to {delivered}"),
                    w.saturating_sub(42),
                    false,
                ),
                theme.dim(),
            ),
        ]));
        let row = |k: &str, v: String| {
            Line::from(vec![
                Span::styled(format!("  {k:<12}"), theme.dim()),
                Span::raw(fit(&v, w.saturating_sub(14), false)),
            ])
        };
        let findings = format!(
            "not delivered {}   not listed {}   late {}",
            c.not_delivered, c.not_listed, c.late
        );
        lines.push(if c.not_delivered + c.not_listed > 0 {
            Line::from(vec![
                Span::styled("  findings    ", theme.dim()),
                Span::styled(fit(&findings, w.saturating_sub(14), false), theme.error()),
            ])
        } else {
            row("findings", findings)
        });
        lines.push(row(
            "ids",
            format!(
                "matched {}   waiting {}   backlog {}   repeated {}   no id {}",
                c.matched,
                p.waiting(),
                c.backlog,
                c.repeated,
                c.no_id + c.unusable
            ),
        ));
        lines.push(row(
            "memory",
            format!(
                "kept {} of {}   forgotten {}   dropped {}",
                p.kept(),
                compact(MAX_IDS as u64),
                c.forgotten,
                c.dropped
            ),
        ));
        lines.push(Line::raw(""));
    }
    lines
}
