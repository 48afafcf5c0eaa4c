//! Reconciliation (SPEC 11.3): a provider's events list (a poll source, its
//! truth) against the webhooks it delivered (a webhook source). Pure: it
//! reads [`SourceMsg`]s and the time it is given, and returns findings; the
//! caller prints them (`tail`, on stderr) or marks them (the TUI's feed).
//!
//! ```text
//!  SourceMsg ─▶ Reconcile::observe(msg, now) ─┬─ listed source's events ─▶ Ids::listed   (backlog until CaughtUp)
//!  1 s tick ──▶ Reconcile::tick(now) ─────────┤─ delivered source's events ▶ Ids::delivered (backlog if time < start)
//!                                              └─▶ Vec<Finding>: not delivered ID / not listed ID
//! ```
//!
//! - A listed id not delivered within `within` of being listed is **not
//!   delivered**; a delivered id not listed within `within` of its arrival
//!   is **not listed**. Exactly at the deadline is still in time.
//! - **Backlog**: what the listed source sends before its
//!   [`SourceMsg::CaughtUp`] (a poll source's first page: events from
//!   before evtop started) is not reconciled, and neither is a delivery
//!   whose event time (the source's `time_pointer`) is before the start
//!   (a retry of an old event); both are still remembered, so their other
//!   side is no finding either.
//! - A redelivery or a second listing of an id is not a new sighting.
//! - **Memory** is bounded ([`Ids`]): ids are forgotten `within` plus
//!   the listed source's poll interval after they were first seen, and at
//!   most [`MAX_IDS`] are kept per pairing; both are counted.
//! - Each finding is made once, at the first observation or tick after its
//!   deadline, whatever the order the two sides arrived in.

mod pairing;

#[cfg(test)]
mod tests;

use std::sync::Arc;

pub use pairing::{Ids, MAX_ID_BYTES, MAX_IDS};

use crate::config::{ReconcileSpec, SourceSpec};
use crate::event::{Event, SourceId};
use crate::sanitize::inert;
use crate::source::SourceMsg;

/// How often the callers tick (`tail`'s loop, the TUI's): findings come at
/// most this late after their deadline.
pub const TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// Which side an id is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Listed, never delivered.
    NotDelivered,
    /// Delivered, never listed.
    NotListed,
}

impl Missing {
    /// `not delivered` / `not listed`.
    pub fn words(self) -> &'static str {
        match self {
            Missing::NotDelivered => "not delivered",
            Missing::NotListed => "not listed",
        }
    }
}

/// One finding: an id missing one side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// Index of the pairing in [`Reconcile::pairings`].
    pub pairing: usize,
    pub missing: Missing,
    /// The event's id, as the sources gave it.
    pub id: Arc<str>,
    /// The source the event was seen on (the listed one for "not
    /// delivered", the webhook source for "not listed"): where the feed
    /// marks it.
    pub source: SourceId,
}

/// What one pairing saw, for the sources view and the tests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counts {
    /// Listings taken in (backlog included, repeats included).
    pub listed: u64,
    /// Deliveries taken in (backlog included, redeliveries included).
    pub delivered: u64,
    /// Ids seen on both sides in time.
    pub matched: u64,
    /// Sightings not reconciled: the backlog's listings and deliveries of
    /// events from before the start.
    pub backlog: u64,
    /// A listing or delivery of an id already seen on that side
    /// (redeliveries).
    pub repeated: u64,
    /// Reported not delivered.
    pub not_delivered: u64,
    /// Reported not listed.
    pub not_listed: u64,
    /// The other side came after the id had been reported.
    pub late: u64,
    /// Ids forgotten `within` + interval after they were first seen.
    pub forgotten: u64,
    /// Ids dropped to stay within [`MAX_IDS`] (their findings, if any, lost).
    pub dropped: u64,
    /// Ids longer than [`MAX_ID_BYTES`], not reconciled.
    pub unusable: u64,
    /// Events without an id, not reconciled.
    pub no_id: u64,
}

/// One `[[reconcile]]` at work.
#[derive(Debug)]
pub struct Pairing {
    /// Its `name`.
    pub name: String,
    /// The listed source's id.
    pub listed: SourceId,
    /// The webhook source's id.
    pub delivered: SourceId,
    /// Its index in the specs it was made from (its notify and exec).
    pub spec: usize,
    within: std::time::Duration,
    /// The listed source sent its backlog ([`SourceMsg::CaughtUp`]).
    caught_up: bool,
    ids: Ids,
    no_id: u64,
}

impl Pairing {
    /// What it saw so far.
    pub fn counts(&self) -> Counts {
        Counts {
            no_id: self.no_id,
            ..*self.ids.counts()
        }
    }

    /// Ids waiting for their other side now.
    pub fn waiting(&self) -> usize {
        self.ids.waiting()
    }

    /// Its `within`.
    pub fn within(&self) -> std::time::Duration {
        self.within
    }

    /// Ids kept now (at most [`MAX_IDS`]).
    pub fn kept(&self) -> usize {
        self.ids.len()
    }
}

/// Every pairing of the config. See the module docs.
#[derive(Debug, Default)]
pub struct Reconcile {
    pairings: Vec<Pairing>,
    /// Deliveries of events whose time is before this (the start, to the
    /// second, as providers give `created`) are backlog.
    start: i64,
}

impl Reconcile {
    /// The pairings of `specs` over `sources` (the engine's source table,
    /// whose positions are the source ids), started at `now`. A pairing
    /// whose sources are not in the table (renamed by a merge) is left out.
    pub fn new(specs: &[ReconcileSpec], sources: &[SourceSpec], now: i64) -> Self {
        Self::with_cap(specs, sources, now, MAX_IDS)
    }

    /// [`Reconcile::new`] keeping at most `cap` ids per pairing.
    pub fn with_cap(specs: &[ReconcileSpec], sources: &[SourceSpec], now: i64, cap: usize) -> Self {
        let id_of = |name: &str| {
            sources
                .iter()
                .position(|s| s.name == name)
                .and_then(|i| SourceId::try_from(i).ok())
        };
        let ms = |d: std::time::Duration| i64::try_from(d.as_millis()).unwrap_or(i64::MAX);
        let pairings = specs
            .iter()
            .enumerate()
            .filter_map(|(index, spec)| {
                Some(Pairing {
                    spec: index,
                    name: spec.name.clone(),
                    listed: id_of(&spec.listed)?,
                    delivered: id_of(&spec.delivered)?,
                    caught_up: false,
                    within: spec.within,
                    ids: Ids::new(
                        ms(spec.within),
                        ms(spec.within).saturating_add(ms(spec.interval)),
                        cap,
                    ),
                    no_id: 0,
                })
            })
            .collect();
        Reconcile {
            pairings,
            start: now - now.rem_euclid(1000),
        }
    }

    /// Whether there is nothing to reconcile (no `[[reconcile]]`).
    pub fn is_empty(&self) -> bool {
        self.pairings.is_empty()
    }

    /// The pairings, in config order.
    pub fn pairings(&self) -> &[Pairing] {
        &self.pairings
    }

    /// Judge every deadline passed by `now` (call it every [`TICK`]).
    pub fn tick(&mut self, now: i64) -> Vec<Finding> {
        let mut out = Vec::new();
        for (i, p) in self.pairings.iter_mut().enumerate() {
            tick_one(i, p, now, &mut out);
        }
        out
    }

    /// Take in one source message at `now` (before it moves on to the
    /// store or the printer); the findings whose deadline passed by `now`.
    pub fn observe(&mut self, msg: &SourceMsg, now: i64) -> Vec<Finding> {
        let mut out = Vec::new();
        match msg {
            SourceMsg::Events { source, events, .. } => {
                self.events(*source, events, now, &mut out);
            }
            SourceMsg::CaughtUp { source } => {
                for p in self.pairings.iter_mut().filter(|p| p.listed == *source) {
                    p.caught_up = true;
                }
            }
            SourceMsg::Status { .. } | SourceMsg::Dropped { .. } => {}
        }
        out
    }

    /// Take in a batch of events from `source` at `now`.
    pub fn events(&mut self, source: SourceId, events: &[Event], now: i64, out: &mut Vec<Finding>) {
        let start = self.start;
        for (i, p) in self.pairings.iter_mut().enumerate() {
            let listed = p.listed == source;
            if !listed && p.delivered != source {
                continue;
            }
            tick_one(i, p, now, out);
            for ev in events {
                let Some(id) = ev.id.as_deref() else {
                    p.no_id += 1;
                    continue;
                };
                if listed {
                    p.ids.listed(id, !p.caught_up);
                } else {
                    p.ids.delivered(id, ev.time.is_some_and(|t| t < start));
                }
            }
        }
    }

    /// The stderr line of a finding: `reconcile: NAME: not delivered ID`,
    /// made inert (the id comes from the network).
    pub fn line(&self, f: &Finding) -> String {
        let name = self.pairings.get(f.pairing).map_or("?", |p| p.name.as_str());
        format!(
            "reconcile: {}: {} {}",
            inert(name),
            f.missing.words(),
            inert(&f.id)
        )
    }
}

fn tick_one(index: usize, p: &mut Pairing, now: i64, out: &mut Vec<Finding>) {
    let mut found = Vec::new();
    p.ids.tick(now, &mut found);
    out.extend(found.into_iter().map(|(missing, id)| Finding {
        pairing: index,
        missing,
        source: match missing {
            Missing::NotDelivered => p.listed,
            Missing::NotListed => p.delivered,
        },
        id,
    }));
}
