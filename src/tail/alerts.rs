//! Alerts in `tail` (SPEC 11.2): every event is judged on the runtime
//! thread as it is taken in, before the hand-over to the printer (whose
//! queue a stalled stdout fills); alerts are decided at the end of every
//! turn and on a 1 s tick, which keeps running while the hand-over waits.
//! A state change is a stderr line through the stderr thread
//! ([`super::Diagnostics`], never blocking): `alert: NAME firing: 6 in 1m`,
//! `alert: NAME resolved`; `exec` runs as for the TUI; its failures are
//! stderr lines.
//!
//! `notify` in `tail`: when stderr is a terminal, the bell and the desktop
//! notification bytes follow the alert's line on stderr; when it is not (a
//! pipe, a file, a log collector), nothing is written for them.

use std::io::IsTerminal;
use std::sync::Arc;
use std::time::Duration;

use crate::alert::exec::{Failure, Runner};
use crate::alert::notify::Limiter;
use crate::alert::{AlertSpec, Alerts, Change};
use crate::contract::Contract;
use crate::event::Event;
use crate::sanitize::inert;
use crate::source::Status;
use crate::store::Store;

use super::{LineSender, StreamClock};

/// How often alerts are decided when no event arrives.
pub const TICK: Duration = Duration::from_secs(1);

/// What woke the loop for alerts.
pub enum Wake {
    /// The 1 s tick.
    Tick,
    /// An `exec` failed.
    Failed(Failure),
}

/// The alerts of a `tail` run and what acts on their changes.
pub struct TailAlerts {
    alerts: Alerts,
    runner: Runner,
    tick: tokio::time::Interval,
    /// Write `notify` bytes after the line (stderr is a terminal).
    notify: bool,
    limiter: Limiter,
    clock: StreamClock,
    /// The contract, when an alert's `when` has a `drift` term.
    drift: Option<Arc<Contract>>,
    /// The stderr thread's queue (drop this before `Diagnostics::finish`).
    diag: LineSender,
}

impl TailAlerts {
    /// The alerts of `specs` over the store's sources, at `now`; events are
    /// checked against `contract` when an alert's `when` has a `drift` term.
    pub fn new(
        specs: &[AlertSpec],
        store: &Store,
        contract: Option<&Arc<Contract>>,
        now: i64,
        diag: LineSender,
    ) -> Self {
        let names: Vec<&str> = store.sources().iter().map(|s| s.name.as_str()).collect();
        let mut tick = tokio::time::interval(TICK);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        TailAlerts {
            alerts: Alerts::new(specs, &names, now),
            runner: Runner::new(),
            tick,
            notify: std::io::stderr().is_terminal(),
            limiter: Limiter::default(),
            clock: StreamClock::new(store.is_replay()),
            drift: contract
                .filter(|_| specs.iter().any(|a| a.when.has_drift_terms()))
                .cloned(),
            diag,
        }
    }

    /// The evaluator, e.g. for reconciliation to register with and report
    /// to ([`Alerts::register`], [`Alerts::report`]); call
    /// [`TailAlerts::act`] after reporting.
    pub fn alerts_mut(&mut self) -> &mut Alerts {
        &mut self.alerts
    }

    /// Take in a batch of events, the wall clock being `wall`: each is
    /// judged at its own "now" ([`StreamClock`]: the wall, or in a replay
    /// the latest `received` so far, itself included).
    pub fn observe(&mut self, store: &Store, events: &[Event], wall: i64) {
        if self.alerts.is_empty() {
            return;
        }
        for ev in events {
            let now = self.clock.now(wall, ev.received);
            let mut r = ev.as_ref(store.source_name(ev.source));
            // `when = "drift"`: checked here only when an alert asks, as the
            // printer checks only what it prints.
            if let Some(c) = &self.drift {
                r.drift = c.drifts(r.ty, r.data, r.json);
            }
            self.alerts.observe(&r, now);
        }
    }

    /// Decide every alert at `now` and act on what changed.
    pub fn evaluate(&mut self, store: &Store, now: i64) {
        if self.alerts.is_empty() {
            return;
        }
        let sources = store.sources();
        self.alerts.evaluate(now, |id| {
            sources
                .get(id as usize)
                .is_some_and(|s| matches!(s.status, Status::Live(_)))
        });
        self.act();
    }

    /// Print and run what changed since the last call.
    pub fn act(&mut self) {
        for change in self.alerts.drain() {
            let line = self.line(&change);
            self.diag.line(line);
            if let Some(f) = self.runner.run(&change) {
                self.failed(f);
            }
        }
    }

    /// Act on what [`TailAlerts::wake`] returned, at `now`.
    pub fn woke(&mut self, wake: Wake, store: &Store, now: i64) {
        match wake {
            Wake::Tick => self.evaluate(store, now),
            Wake::Failed(f) => self.failed(f),
        }
    }

    /// The next tick or `exec` failure; never, without alerts.
    pub async fn wake(&mut self) -> Wake {
        if self.alerts.is_empty() {
            return std::future::pending().await;
        }
        tokio::select! {
            _ = self.tick.tick() => Wake::Tick,
            f = self.runner.failure() => Wake::Failed(f),
        }
    }

    /// Report an `exec` failure on stderr.
    pub fn failed(&mut self, f: Failure) {
        self.diag
            .line(format!("alert: {}: {}", inert(&f.name), inert(&f.text)));
    }

    /// Let running `exec`s end, waiting at most `grace`; report failures.
    pub async fn finish(mut self, grace: Duration) {
        self.runner.finish(grace).await;
        for f in self.runner.failures() {
            self.failed(f);
        }
    }

    /// The stderr line of a change, with the notification bytes when
    /// stderr is a terminal (at most one a second per alert).
    fn line(&mut self, change: &Change) -> String {
        let mut line = inert(&change.line()).into_owned();
        if self.notify {
            let bytes = change.notify_bytes();
            if !bytes.is_empty() && self.limiter.allow(change.alert, change.at) {
                line.push_str(&String::from_utf8_lossy(&bytes));
            }
        }
        line
    }
}
