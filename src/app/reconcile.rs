//! Reconciliation in the monitor (SPEC 11.3): the [`Reconcile`] sees every
//! source message as the app takes it in, and ticks once a second; each
//! finding fires its pairing's external alert (status bar, `!` view,
//! notify, as alerts do), marks its event in the feed (the listed event for
//! "not delivered", the delivery for "not listed") and its detail, and is
//! counted in the status bar and the sources view. The marks are a bounded
//! set of ids ([`MAX_MARKED`]), the oldest forgotten first.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use crate::config::{ReconcileSpec, SourceSpec};
use crate::event::SourceId;
use crate::reconcile::{Finding, Missing, Reconcile};
use crate::source::SourceMsg;

use super::App;

/// Most feed marks kept; the oldest go first (their events have usually
/// left the buffer long before).
pub const MAX_MARKED: usize = 10_000;

/// The events marked by findings, by id, bounded.
#[derive(Debug, Default)]
pub struct Marked {
    by_id: HashMap<Arc<str>, (SourceId, Missing, usize)>,
    order: VecDeque<Arc<str>>,
}

impl Marked {
    fn insert(&mut self, f: &Finding) {
        if self
            .by_id
            .insert(f.id.clone(), (f.source, f.missing, f.pairing))
            .is_some()
        {
            return;
        }
        if self.order.len() == MAX_MARKED
            && let Some(old) = self.order.pop_front()
        {
            self.by_id.remove(&old);
        }
        self.order.push_back(f.id.clone());
    }

    /// What is missing for the event `id` of `source`, and the pairing
    /// that found it, if a finding marked it.
    pub fn get(&self, source: SourceId, id: &str) -> Option<(Missing, usize)> {
        self.by_id
            .get(id)
            .filter(|(s, _, _)| *s == source)
            .map(|(_, missing, pairing)| (*missing, *pairing))
    }

    /// Marks kept.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Whether nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

impl App {
    /// Reconcile the pairings of `specs` over `sources` (the store's source
    /// table) from now on, each registered as an external alert.
    pub fn start_reconcile(&mut self, specs: &[ReconcileSpec], sources: &[SourceSpec]) {
        let now = self.store.clock(self.now);
        self.reconcile = Reconcile::new(specs, sources, now);
        self.reconcile_alerts = self
            .reconcile
            .pairings()
            .iter()
            .map(|p| {
                let spec = &specs[p.spec];
                self.alerts
                    .register("reconcile", p.name.clone(), spec.notify, spec.exec.clone(), now)
            })
            .collect();
    }

    /// Show a message to the reconciler before the store takes it.
    pub(super) fn reconcile_msg(&mut self, msg: &SourceMsg) {
        if self.reconcile.is_empty() {
            return;
        }
        let found = self.reconcile.observe(msg, self.store.clock(self.now));
        self.found(found);
    }

    /// Judge the deadlines passed by now (the loop calls this every second).
    pub fn reconcile_tick(&mut self) {
        if self.reconcile.is_empty() {
            return;
        }
        let found = self.reconcile.tick(self.store.clock(self.now));
        self.found(found);
    }

    /// Each finding fires its pairing's alert (the loop acts on it after
    /// the batch or the tick) and marks its event.
    fn found(&mut self, found: Vec<Finding>) {
        let now = self.store.clock(self.now);
        for f in &found {
            self.marked.insert(f);
            if let Some(&id) = self.reconcile_alerts.get(f.pairing) {
                let text = format!("{} {}", f.missing.words(), f.id);
                self.alerts.report(id, text, None, now);
            }
        }
    }

    /// What a finding says is missing for this event, if any: the feed's
    /// mark.
    pub fn reconcile_mark(&self, source: SourceId, id: Option<&str>) -> Option<Missing> {
        id.and_then(|id| self.marked.get(source, id)).map(|(m, _)| m)
    }

    /// The detail pane's words for a marked event: `not delivered within
    /// 2m (stripe webhooks)`.
    pub fn reconcile_detail(&self, source: SourceId, id: Option<&str>) -> Option<String> {
        let (missing, pairing) = id.and_then(|id| self.marked.get(source, id))?;
        let p = self.reconcile.pairings().get(pairing)?;
        Some(format!(
            "{} within {} ({})",
            missing.words(),
            humantime::format_duration(p.within()),
            p.name
        ))
    }

    /// Findings so far, all pairings: (not delivered, not listed).
    pub fn reconcile_findings(&self) -> (u64, u64) {
        self.reconcile.pairings().iter().fold((0, 0), |(d, l), p| {
            let c = p.counts();
            (d + c.not_delivered, l + c.not_listed)
        })
    }
}
