//! [`Alerts`]: the pure evaluator. It sees every event taken in
//! ([`Alerts::observe`]), is asked for a verdict at the end of every batch
//! and on a 1 s tick ([`Alerts::evaluate`]) with the time and the sources'
//! liveness passed in, and queues a [`Change`] for every state change; the
//! caller drains them ([`Alerts::drain`]) and acts (stderr, status bar,
//! notify, exec). It does no I/O and reads no clock.
//!
//! - `rate`: a rule on too many (`>`, `>=`) fires with the event that makes
//!   it hold, at the count it then says; it resolves, and a rule on too few
//!   (`<`, `<=`) fires and resolves, when judged at a batch's end, on the
//!   tick, or when an event closes a second — so what is reported does not
//!   depend on batching. A `<`/`<=` rule is judged only once a whole window
//!   has passed since the start (or since a replay's clock began).
//! - `silent`: counts time only while at least one of its watched sources
//!   is live (watched: the sources the `when` filter's `source:` terms can
//!   match, else all); a matching event sets the count back to zero.
//! - `each`: one firing per matching event, never resolved.
//! - external (reconciliation): [`Alerts::register`] then
//!   [`Alerts::report`] — a firing with a text, through the same paths.

use std::collections::VecDeque;
use std::sync::Arc;

pub use super::change::{Change, HistoryItem};
use super::kept::{Kept, remember};
use super::window::Window;
use super::{AlertSpec, Exec, FIRED_SHOWN_MS, HISTORY_LEN, Notify, RECENT_EVENTS, Rule, fmt_secs};
use crate::event::{EventRef, SourceId};
use crate::filter::Filter;

/// Longest text a firing keeps (characters): an event's type and id, or a
/// reported finding, can be as long as an event, and the history keeps
/// [`HISTORY_LEN`] of them.
pub const MAX_TEXT_CHARS: usize = 300;

/// Changes waiting to be drained before more `each` firings are folded
/// into a count instead of queued one by one.
pub const PENDING_MAX: usize = 256;

/// Where an alert stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum State {
    /// Its condition does not hold (or an `each` alert that never fired).
    Ok,
    /// Its condition holds (`rate`, `silent`).
    Firing,
    /// An `each` alert or an external finding fired at [`Entry::since`]; it
    /// has no resolved state.
    Fired,
}

impl State {
    /// `ok`, `firing`, `fired`.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Ok => "ok",
            State::Firing => "firing",
            State::Fired => "fired",
        }
    }
}

/// A handle for an externally reported alert ([`Alerts::register`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExternalId(usize);

/// One alert's definition and state.
#[derive(Debug)]
pub struct Entry {
    /// Its name.
    pub name: String,
    /// `alert` for `[[alert]]`s; what registered it otherwise (`reconcile`):
    /// the prefix of its `tail` lines.
    pub kind: &'static str,
    /// The rule; `None` for an external alert.
    pub rule: Option<Rule>,
    /// `when` as written (empty for an external alert).
    pub when_text: String,
    /// What its firings ring or show on the desktop.
    pub notify: Notify,
    /// What its changes run.
    pub exec: Option<Arc<Exec>>,
    /// Where it stands now.
    pub state: State,
    /// When the state last changed (or an `each` alert last fired), ms.
    pub since: i64,
    /// The last value: the count in the window, the seconds silent.
    pub value: Option<u64>,
    /// The last firing's text (`7 in 1m`, `silent for 2m`, an event).
    pub text: String,
    /// Times it fired.
    pub fired: u64,
    /// Matching events seen.
    pub matched: u64,
    /// `each` firings not queued one by one (the queue was full), not yet
    /// reported as a count.
    unreported: u64,
    when: Filter,
    /// Source ids a `silent` alert watches.
    watched: Vec<SourceId>,
    window: Option<Window>,
    /// Live time without a matching event, ms (`silent`).
    silent_ms: i64,
    /// The last evaluation's time and whether a watched source was live then.
    last_eval: Option<(i64, bool)>,
    started: i64,
    /// The latest matching events, oldest first: their parts, copied into
    /// reused buffers; formatted as NDJSON only when a change needs them
    /// (most matching events never do).
    recent: VecDeque<Kept>,
}

impl Entry {
    /// The recent matching events as NDJSON objects, oldest first (the
    /// last `n` of them).
    fn recent_json(&self, n: usize, line: &mut (Vec<u8>, crate::output::Received)) -> Vec<String> {
        let skip = self.recent.len().saturating_sub(n);
        self.recent.iter().skip(skip).map(|k| k.ndjson(line)).collect()
    }

    /// Whether the status bar shows it: firing, or fired within
    /// [`FIRED_SHOWN_MS`].
    pub fn showing(&self, now: i64) -> bool {
        match self.state {
            State::Firing => true,
            State::Fired => now - self.since < FIRED_SHOWN_MS,
            State::Ok => false,
        }
    }

    /// The rule as written, or `external` for a reported alert.
    pub fn describe(&self) -> String {
        match &self.rule {
            Some(r) => r.describe(),
            None => format!("reported by {}", self.kind),
        }
    }
}

/// See the module docs.
#[derive(Debug, Default)]
pub struct Alerts {
    entries: Vec<Entry>,
    pending: VecDeque<Change>,
    history: VecDeque<HistoryItem>,
    /// Scratch buffer for NDJSON, and the last `received` it formatted
    /// (events of one read share it).
    line: (Vec<u8>, crate::output::Received),
}

impl Alerts {
    /// The evaluator for `specs`, over the sources named `sources` (in
    /// source-id order), starting at `now` (ms).
    pub fn new(specs: &[AlertSpec], sources: &[&str], now: i64) -> Self {
        let entries = specs
            .iter()
            .map(|s| {
                let watched = sources
                    .iter()
                    .enumerate()
                    .filter(|(_, name)| s.when.may_match_source(name))
                    .map(|(i, _)| i as SourceId)
                    .collect();
                Entry {
                    name: s.name.clone(),
                    kind: "alert",
                    rule: Some(s.rule),
                    when_text: s.when.source_text().to_owned(),
                    notify: s.notify,
                    exec: s.exec.clone().map(Arc::new),
                    state: State::Ok,
                    since: now,
                    value: None,
                    text: String::new(),
                    fired: 0,
                    matched: 0,
                    unreported: 0,
                    when: s.when.clone(),
                    watched,
                    window: match s.rule {
                        Rule::Rate { window, .. } => Some(Window::new(window.as_secs(), now)),
                        _ => None,
                    },
                    silent_ms: 0,
                    last_eval: None,
                    started: now,
                    recent: VecDeque::new(),
                }
            })
            .collect();
        Alerts {
            entries,
            ..Alerts::default()
        }
    }

    /// Whether there is nothing to evaluate (no alert, none registered).
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Every alert, config order, then registered ones.
    pub fn entries(&self) -> &[Entry] {
        &self.entries
    }

    /// State changes, oldest first, at most [`HISTORY_LEN`].
    pub fn history(&self) -> &VecDeque<HistoryItem> {
        &self.history
    }

    /// How many alerts the status bar shows at `now`.
    pub fn showing(&self, now: i64) -> impl Iterator<Item = &Entry> {
        self.entries.iter().filter(move |e| e.showing(now))
    }

    /// Take in one event (every event, before any display filter), at
    /// `now` (ms, the store's clock).
    pub fn observe(&mut self, ev: &EventRef<'_>, now: i64) {
        for i in 0..self.entries.len() {
            let e = &mut self.entries[i];
            // Time terms (`since:5m`) count back from the store's clock.
            e.when.set_now(now);
            if e.rule.is_none() || !e.when.matches(ev) {
                continue;
            }
            e.matched += 1;
            remember(&mut e.recent, ev);
            match e.rule {
                Some(Rule::Rate { .. }) => {
                    // An event of a later second closes the window's newest
                    // second: judge it as it stood, so that a burst taken in
                    // within one batch (a fast replay) is judged second by
                    // second, not only at the batch's end.
                    let closed = e.window.as_ref().and_then(|w| w.closes(ev.received));
                    if let Some((second, n)) = closed {
                        let (holds, value, text) = rate_verdict(e, n, second * 1000 + 999);
                        self.settle(i, holds, value, text, second * 1000 + 999);
                    }
                    let e = &mut self.entries[i];
                    let Some(w) = &mut e.window else { continue };
                    w.add(ev.received);
                    // A rule on too many fires with the event that makes it
                    // hold, at the count it then says, however the events
                    // were batched.
                    let n = w.total();
                    if e.state == State::Ok
                        && let Some(Rule::Rate { op, count, .. }) = e.rule
                        && !op.is_low()
                        && op.holds(n, count)
                    {
                        let at = now;
                        let (holds, value, text) = rate_verdict(e, n, at);
                        self.settle(i, holds, value, text, at);
                    }
                }
                Some(Rule::Silent(_)) => {
                    e.silent_ms = 0;
                    if let Some((_, live)) = e.last_eval {
                        e.last_eval = Some((now, live));
                    }
                }
                Some(Rule::Each) => {
                    let text = format!("{} {} from {}", ev.ty, ev.id.unwrap_or("(no id)"), ev.source);
                    self.fire(i, None, text, State::Fired, now);
                }
                None => {}
            }
        }
    }

    /// Decide every alert at `now` (ms); `live` says whether a source id is
    /// live (connected, streaming) now.
    pub fn evaluate(&mut self, now: i64, live: impl Fn(SourceId) -> bool) {
        for i in 0..self.entries.len() {
            let e = &mut self.entries[i];
            // A replay's clock starts before the wall clock the alerts
            // started at: their start moves back with it.
            e.started = e.started.min(now);
            let (holds, value, text) = match e.rule {
                Some(Rule::Rate { .. }) => {
                    let n = e.window.as_mut().map_or(0, |w| w.count(now));
                    rate_verdict(e, n, now)
                }
                Some(Rule::Silent(d)) => {
                    let live_now = e.watched.iter().any(|&s| live(s));
                    if let Some((at, was_live)) = e.last_eval
                        && was_live
                    {
                        e.silent_ms += (now - at).max(0);
                    }
                    e.last_eval = Some((now, live_now));
                    let d_ms = d.as_millis() as i64;
                    let holds = e.silent_ms >= d_ms;
                    if holds && e.state == State::Ok {
                        // It started to hold when the silence reached `d`,
                        // however late this evaluation came: say so, then.
                        let at = now - (e.silent_ms - d_ms);
                        let secs = d.as_secs();
                        e.value = Some(secs);
                        self.fire(
                            i,
                            Some(secs),
                            format!("silent for {}", fmt_secs(secs)),
                            State::Firing,
                            at,
                        );
                        continue;
                    }
                    let secs = (e.silent_ms / 1000) as u64;
                    (holds, secs, format!("silent for {}", fmt_secs(secs)))
                }
                Some(Rule::Each) => {
                    if e.unreported > 0 && self.pending.len() < PENDING_MAX {
                        let text = format!("{} more matching events, not reported one by one", e.unreported);
                        e.unreported = 0;
                        self.fire(i, None, text, State::Fired, now);
                    }
                    continue;
                }
                None => continue,
            };
            self.settle(i, holds, value, text, now);
        }
    }

    /// Move alert `i` to what its condition says at `now`.
    fn settle(&mut self, i: usize, holds: bool, value: u64, text: String, now: i64) {
        let e = &mut self.entries[i];
        e.value = Some(value);
        match (e.state, holds) {
            (State::Ok, true) => self.fire(i, Some(value), text, State::Firing, now),
            (State::Firing, false) => self.resolve(i, Some(value), now),
            (State::Firing, true) => e.text = text,
            _ => {}
        }
    }

    /// Register an alert whose firings come from elsewhere (reconciliation,
    /// SPEC 11.3). `kind` prefixes its `tail` lines (`reconcile: NAME:
    /// TEXT`); `notify` and `exec` act on its firings as on an
    /// `[[alert]]`'s. Returns the handle [`Alerts::report`] takes.
    pub fn register(
        &mut self,
        kind: &'static str,
        name: String,
        notify: Notify,
        exec: Option<Exec>,
        now: i64,
    ) -> ExternalId {
        self.entries.push(Entry {
            name,
            kind,
            rule: None,
            when_text: String::new(),
            notify,
            exec: exec.map(Arc::new),
            state: State::Ok,
            since: now,
            value: None,
            text: String::new(),
            fired: 0,
            matched: 0,
            unreported: 0,
            when: Filter::default(),
            watched: Vec::new(),
            window: None,
            silent_ms: 0,
            last_eval: None,
            started: now,
            recent: VecDeque::new(),
        });
        ExternalId(self.entries.len() - 1)
    }

    /// Report a finding of an external alert at `now` (ms): e.g.
    /// `report(id, "not delivered evt_1".into(), Some(&event), now)`. It is
    /// a firing with no resolved state (like `each`): `tail` prints `KIND:
    /// NAME: TEXT` on stderr, the TUI shows it in the status bar and the
    /// `!` view, `notify` and `exec` act on it (`exec` gets `"value":
    /// null`, `"text": TEXT` and the event, if any, in `"events"`).
    pub fn report(&mut self, id: ExternalId, text: String, event: Option<&EventRef<'_>>, now: i64) {
        let Some(e) = self.entries.get_mut(id.0) else {
            return;
        };
        e.matched += 1;
        if let Some(ev) = event {
            remember(&mut e.recent, ev);
        }
        if self.pending.len() >= PENDING_MAX {
            e.fired += 1;
            e.state = State::Fired;
            e.since = now;
            e.text = text;
            return;
        }
        self.fire(id.0, None, text, State::Fired, now);
    }

    /// Record a failure of an alert's `exec` (or anything else about it
    /// worth a line in the `!` view's history).
    pub fn note(&mut self, alert: usize, what: &str, text: String, at: i64) {
        self.push_history(HistoryItem {
            at,
            alert,
            what: what.to_owned(),
            text,
        });
    }

    /// The state changes since the last call, oldest first.
    pub fn drain(&mut self) -> Vec<Change> {
        self.pending.drain(..).collect()
    }

    /// Queue a change of alert `i` for the caller to act on, carrying its
    /// latest `events` matching events.
    fn queue(&mut self, i: usize, firing: bool, value: Option<u64>, text: String, events: usize, now: i64) {
        let e = &self.entries[i];
        let change = Change {
            alert: i,
            name: e.name.clone(),
            kind: e.kind,
            firing,
            value,
            text,
            events: e.recent_json(events, &mut self.line),
            at: now,
            notify: e.notify,
            exec: e.exec.clone(),
        };
        self.pending.push_back(change);
    }

    fn fire(&mut self, i: usize, value: Option<u64>, mut text: String, state: State, now: i64) {
        if let Some((cut, _)) = text.char_indices().nth(MAX_TEXT_CHARS) {
            text.truncate(cut);
            text.push('…');
        }
        let e = &mut self.entries[i];
        e.fired += 1;
        e.state = state;
        e.since = now;
        e.text = text.clone();
        if state == State::Fired && self.pending.len() >= PENDING_MAX {
            e.unreported += 1;
            return;
        }
        // A firing per event carries its own event; a state change the
        // latest ones.
        let events = if state == State::Fired { 1 } else { RECENT_EVENTS };
        self.queue(i, true, value, text.clone(), events, now);
        self.push_history(HistoryItem {
            at: now,
            alert: i,
            what: "firing".to_owned(),
            text,
        });
    }

    fn resolve(&mut self, i: usize, value: Option<u64>, now: i64) {
        let e = &mut self.entries[i];
        e.state = State::Ok;
        e.since = now;
        let text = match e.rule {
            Some(Rule::Rate { window, .. }) => {
                format!("{} in {}", value.unwrap_or(0), fmt_secs(window.as_secs()))
            }
            _ => "a matching event arrived".to_owned(),
        };
        self.queue(i, false, value, String::new(), RECENT_EVENTS, now);
        self.push_history(HistoryItem {
            at: now,
            alert: i,
            what: "resolved".to_owned(),
            text,
        });
    }

    fn push_history(&mut self, item: HistoryItem) {
        if self.history.len() == HISTORY_LEN {
            self.history.pop_front();
        }
        self.history.push_back(item);
    }
}

/// A `rate` alert's verdict with `n` events in its window at `now`:
/// whether it holds, its value, its text.
fn rate_verdict(e: &Entry, n: u64, now: i64) -> (bool, u64, String) {
    let Some(Rule::Rate { op, count, window }) = e.rule else {
        return (false, n, String::new());
    };
    let judged = !op.is_low() || now - e.started >= window.as_millis() as i64;
    let text = format!("{n} in {}", fmt_secs(window.as_secs()));
    (judged && op.holds(n, count), n, text)
}
