//! Alerts (SPEC 11.2): `[[alert]]` rules evaluated over every event taken
//! in, before any display filter, and what happens when one fires.
//!
//! ```text
//!   config [[alert]] ─▶ AlertSpec ─┐
//!                                  ▼
//!   events (tail: before the printer; TUI: App::ingest) ─▶ Alerts::observe
//!   end of a batch, and a 1 s tick ─────────────────────▶ Alerts::evaluate(now, live)
//!   reconciliation findings ────────────────────────────▶ Alerts::report
//!                                  │
//!                                  ▼ Alerts::drain → Vec<Change>
//!   tail: stderr line (+ notify on a terminal) ┐
//!   TUI: status bar, `!` view, notify bytes    ├─ exec::Runner: argv, JSON on stdin, timeout
//! ```
//!
//! - [`rule`]: the texts of `rate` (`> 5/1m`) and `silent` (`2m`).
//! - [`window`]: the sliding count of a `rate` alert in per-second buckets,
//!   so its memory depends on the window, never on the event rate.
//! - [`eval`]: [`Alerts`], the pure evaluator: time is passed in, it does
//!   no I/O; its output is a queue of [`Change`]s for the caller to act on.
//! - [`notify`]: the bytes of a bell and of a desktop notification
//!   (OSC 777 and OSC 9), control characters stripped.
//! - [`exec`]: running `exec` commands without a shell, bounded in number
//!   and time, their failures reported, never fatal.
//!
//! # Firings from elsewhere (reconciliation, SPEC 11.3)
//!
//! A finding that is not an `[[alert]]` rule — "not delivered ID", "not
//! listed ID" — goes through the same paths (status bar, `!` view, `tail`'s
//! stderr, notify, exec) as an external alert:
//!
//! ```text
//! // once, at start (notify/exec as the finding's config says, read with
//! // `config::parse_notify` and `config::parse_exec` if it has them):
//! let id: ExternalId = alerts.register("reconcile", "stripe webhooks".into(),
//!                                      Notify::default(), None, now);
//! // per finding, with the event it is about if there is one:
//! alerts.report(id, format!("not delivered {evt_id}"), Some(&event_ref), now);
//! ```
//!
//! `tail` prints `reconcile: stripe webhooks: not delivered evt_1` (the
//! `kind`, the name, the text); the monitor shows it as `FIRED` for
//! [`FIRED_SHOWN_MS`]; `exec` gets `{"alert": name, "state": "firing",
//! "value": null, "text": the text, "events": [the event]}`. Where the
//! evaluator lives: `tail` — `TailAlerts::alerts_mut()`
//! (`tail/alerts.rs`), acted on at the end of the loop's turn (or call
//! `TailAlerts::act()`); the monitor — `App::alerts`, acted on by the loop
//! after every ingest and every second.

mod change;
pub mod eval;
pub mod exec;
mod kept;
pub mod notify;
pub mod rule;
#[cfg(test)]
mod tests;
pub mod window;

use std::time::Duration;

pub use eval::{Alerts, Change, Entry, ExternalId, HistoryItem, State};
pub use rule::{RateOp, parse_rate, parse_silent};

use crate::filter::Filter;

/// Recent matching events kept per alert, for `exec`'s JSON and the `!`
/// view (SPEC 11.2: up to 10).
pub const RECENT_EVENTS: usize = 10;
/// Longest `rate` window accepted: its count is kept in one bucket per
/// second, so this bounds an alert's memory (3,600 × 8 bytes).
pub const MAX_RATE_WINDOW: Duration = Duration::from_secs(3600);
/// Longest `silent` duration accepted.
pub const MAX_SILENT: Duration = Duration::from_secs(7 * 24 * 3600);
/// State changes kept for the `!` view, all alerts together.
pub const HISTORY_LEN: usize = 200;
/// Longest text an NDJSON event keeps in an alert's recent events (bytes);
/// a longer one is replaced by a short object saying so, so ten large
/// events cannot pin ten megabytes per alert.
pub const RECENT_EVENT_BYTES: usize = 64 * 1024;
/// How long an `each` alert (or an external finding) shows in the status
/// bar after it last fired, ms.
pub const FIRED_SHOWN_MS: i64 = 60_000;
/// Default `exec_timeout`: an `exec` still running after this is killed and
/// reported.
pub const DEFAULT_EXEC_TIMEOUT: Duration = Duration::from_secs(10);
/// Allowed values of `exec_timeout`.
pub const EXEC_TIMEOUT_RANGE: std::ops::RangeInclusive<Duration> =
    Duration::from_millis(100)..=Duration::from_secs(600);
/// Most alerts in one config.
pub const MAX_ALERTS: usize = 64;

/// One `[[alert]]`, validated.
#[derive(Debug, Clone)]
pub struct AlertSpec {
    /// Unique among alerts; shown and passed to `exec` as `alert`.
    pub name: String,
    /// Which events the alert counts (`when`, a filter expression).
    pub when: Filter,
    /// When it fires.
    pub rule: Rule,
    /// Bell and desktop notification.
    pub notify: Notify,
    /// Run on every state change, JSON on stdin; never a shell.
    pub exec: Option<Exec>,
}

/// `exec = [argv…]` with `exec_timeout`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exec {
    /// The program and its arguments, not empty.
    pub argv: Vec<String>,
    /// Killed when it runs longer ([`DEFAULT_EXEC_TIMEOUT`]).
    pub timeout: Duration,
}

/// The condition of an alert: exactly one of `rate`, `silent`, `each`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// `rate = "> 5/1m"`: fires while the count of matching events in the
    /// last `window` compares to `count` by `op`.
    Rate {
        /// How the count compares to `count`.
        op: RateOp,
        /// The threshold.
        count: u64,
        /// Whole seconds, 1 s ..= [`MAX_RATE_WINDOW`].
        window: Duration,
    },
    /// `silent = "2m"`: fires while no matching event arrived for this long
    /// of the time its watched sources were live.
    Silent(Duration),
    /// `each = true`: fires on every matching event; never resolves.
    Each,
}

impl Rule {
    /// The rule as written in the config, for the `!` view.
    pub fn describe(&self) -> String {
        match self {
            Rule::Rate { op, count, window } => {
                format!("rate {} {count}/{}", op.as_str(), fmt_secs(window.as_secs()))
            }
            Rule::Silent(d) => format!("silent {}", fmt_secs(d.as_secs())),
            Rule::Each => "each".to_owned(),
        }
    }
}

/// `notify = ["bell", "desktop"]`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Notify {
    /// Ring the terminal's bell (BEL).
    pub bell: bool,
    /// A desktop notification through the terminal (OSC 777 and OSC 9).
    pub desktop: bool,
}

impl Notify {
    /// Whether it asks for anything.
    pub fn any(self) -> bool {
        self.bell || self.desktop
    }
}

/// A duration of whole seconds the way the config writes it: `45s`, `2m`,
/// `1h`, `1m30s`.
pub fn fmt_secs(secs: u64) -> String {
    let (h, m, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let mut out = String::new();
    if h > 0 {
        out.push_str(&format!("{h}h"));
    }
    if m > 0 {
        out.push_str(&format!("{m}m"));
    }
    if s > 0 || out.is_empty() {
        out.push_str(&format!("{s}s"));
    }
    out
}
