//! Reconciliation in `tail` (SPEC 11.3): every message is shown to the
//! [`Reconcile`] on the runtime thread before its events go to the printer
//! (whose filter may drop them; reconciliation must not), and it ticks
//! every second. Each pairing is registered as an external alert, so a
//! finding goes the alerts' way: the stderr line `reconcile: NAME: not
//! delivered ID` through the non-blocking stderr path, its `notify` when
//! stderr is a terminal, its `exec`.

use crate::alert::ExternalId;
use crate::config::{ReconcileSpec, SourceSpec};
use crate::reconcile::{Finding, Reconcile, TICK};
use crate::source::SourceMsg;

use super::alerts::TailAlerts;

/// The `[[reconcile]]`s of a `tail` run.
pub struct TailReconcile {
    reconcile: Reconcile,
    /// Each pairing's alert.
    ids: Vec<ExternalId>,
    tick: tokio::time::Interval,
}

impl TailReconcile {
    /// The pairings of `specs` over `sources`, each registered with
    /// `alerts`, at `now`.
    pub fn new(specs: &[ReconcileSpec], sources: &[SourceSpec], alerts: &mut TailAlerts, now: i64) -> Self {
        let reconcile = Reconcile::new(specs, sources, now);
        let ids = reconcile
            .pairings()
            .iter()
            .map(|p| {
                let spec = &specs[p.spec];
                alerts
                    .alerts_mut()
                    .register("reconcile", p.name.clone(), spec.notify, spec.exec.clone(), now)
            })
            .collect();
        TailReconcile {
            reconcile,
            ids,
            tick: tokio::time::interval(TICK),
        }
    }

    /// Show a message to every pairing at `now`; report what is due.
    pub fn observe(&mut self, msg: &SourceMsg, now: i64, alerts: &mut TailAlerts) {
        if self.reconcile.is_empty() {
            return;
        }
        let found = self.reconcile.observe(msg, now);
        self.report(found, now, alerts);
    }

    /// Judge the deadlines passed by `now`.
    pub fn judge(&mut self, now: i64, alerts: &mut TailAlerts) {
        let found = self.reconcile.tick(now);
        self.report(found, now, alerts);
    }

    /// The next 1 s tick; never, without any pairing.
    pub async fn tick(&mut self) {
        if self.reconcile.is_empty() {
            return std::future::pending().await;
        }
        self.tick.tick().await;
    }

    /// Each finding as a firing of its pairing's alert, acted on at once
    /// (one line each, however many come at a time).
    fn report(&self, found: Vec<Finding>, now: i64, alerts: &mut TailAlerts) {
        for f in found {
            if let Some(&id) = self.ids.get(f.pairing) {
                let text = format!("{} {}", f.missing.words(), f.id);
                alerts.alerts_mut().report(id, text, None, now);
                alerts.act();
            }
        }
    }
}
