//! The store: the single owner of everything evtop knows.
//!
//! - A ring buffer of events bounded by `settings.buffer`, across all
//!   sources. When it is full the oldest events go and are counted.
//!   Records are compact: type and source are small ids, id and data share
//!   one allocation, and data stays the text it arrived as (JSON is parsed on
//!   demand, by the filter or the detail pane) — about 50 bytes per event on
//!   top of its text.
//! - Per source: connection status, counters (events, oversize, unparsable,
//!   evicted, reconnects; for webhook sources failed verifications and
//!   redeliveries), the resume cursor, and for Streamdata / diff sources the
//!   state document with its recently changed paths.
//! - Per type and in total: count and rate history ([`RateHistory`]),
//!   counted at each event's `received` (equal to its arrival live, the
//!   recording's time in a replay) — what the sparklines, the rate chart and
//!   "events/s" read. A webhook redelivery (`attempt` > 1) is buffered and
//!   shown, but not counted again in the type counts and rates: it is the
//!   same event. The full histories of the types (15 minutes of seconds, a
//!   day of minutes) stay within [`RATE_HISTORY_BYTES`]: the first types
//!   seen get one; types past the bound keep their count and current rate
//!   only (no sparkline, no chart line). The total and the overflow row
//!   always have one.
//! - With a contract ([`Store::with_contract`], SPEC 10): each event is
//!   checked as it is taken in (the verdict only, no error texts — a
//!   validator per type, looked up once per interned type); a buffered
//!   record keeps one flag ([`Record::drift`], in what was padding), and
//!   drifts are counted per type ([`TypeStats::drifts`]) and per source.
//!   Why an event drifted is asked of the contract when it is shown
//!   ([`Store::drift_reasons`]): one event, on demand.
//!
//! The store does no I/O and reads no clock: the caller passes `now`, so the
//! same code serves `tail`, the TUI, replays and tests with a fixed clock.

pub mod catalog;
mod health;
mod patch;
mod rates;
mod state;

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use serde_json::Value;

use catalog::{Catalog, Sampling};

pub use health::{GAP_MIN_SAMPLES, GAP_SAMPLES, Health, QUIET_FACTOR, QUIET_MIN_MS, Rhythm, quiet_after};
pub use rates::{
    COARSE_BUCKETS, COARSE_WIDTH, FINE_SECONDS, FULL_HISTORY_BYTES, LONGEST_WINDOW_SECONDS, RateHistory,
};
pub use state::Change;

use state::apply_state;

use crate::config::SourceSpec;
use crate::contract::{Contract, TypeRef};
use crate::event::{Event, EventRef, Meta, SourceId};
use crate::source::{DropKind, SourceMsg, Status};

/// Most distinct event types tracked; later new types share one row, so a
/// server inventing a type per event cannot grow the type table without end.
pub const MAX_TYPES: usize = 10_000;
/// Name of the row that collects types past [`MAX_TYPES`].
pub const OVERFLOW_TYPE: &str = "(other types)";
/// Heap bytes the types' full rate histories may take together (16 MiB:
/// 1,747 types at [`FULL_HISTORY_BYTES`] each). Types seen later keep a
/// current rate only; see the module docs.
pub const RATE_HISTORY_BYTES: usize = 16 << 20;
/// Changed paths remembered per state document, for the state view.
pub const MAX_CHANGED_PATHS: usize = 256;

const NO_TIME: i64 = i64::MIN;
const NO_ID: u32 = u32::MAX;

/// One buffered event, compactly.
#[derive(Debug, Clone)]
pub struct Record {
    /// Receive time, unix ms.
    pub received: i64,
    time: i64,
    /// The id (first `id_len` bytes) followed by the data.
    text: Box<str>,
    id_len: u32,
    /// Type id: index into [`Store::types`].
    pub ty: u32,
    pub source: SourceId,
    pub json: bool,
    /// It failed the store's contract (SPEC 10). Kept in what was padding:
    /// the record's size does not change.
    pub drift: bool,
    /// Webhook deliveries only.
    pub meta: Option<Box<crate::event::Meta>>,
}

impl Record {
    fn new(ev: Event, ty: u32, drift: bool) -> Self {
        let json = ev.json.unwrap_or_else(|| crate::event::is_json(&ev.data));
        let (text, id_len) = match ev.id {
            Some(mut id) if id.len() < NO_ID as usize => {
                let len = id.len() as u32;
                id.reserve_exact(ev.data.len());
                id.push_str(&ev.data);
                (id.into_boxed_str(), len)
            }
            _ => (ev.data.into_boxed_str(), NO_ID),
        };
        Record {
            received: ev.received,
            time: ev.time.unwrap_or(NO_TIME),
            text,
            id_len,
            ty,
            source: ev.source,
            json,
            drift,
            meta: ev.meta,
        }
    }

    pub fn id(&self) -> Option<&str> {
        (self.id_len != NO_ID).then(|| &self.text[..self.id_len as usize])
    }

    pub fn data(&self) -> &str {
        if self.id_len == NO_ID {
            &self.text
        } else {
            &self.text[self.id_len as usize..]
        }
    }

    pub fn time(&self) -> Option<i64> {
        (self.time != NO_TIME).then_some(self.time)
    }
}

/// Whether a source keeps a state document, and how it is fed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StateMode {
    /// No state document.
    None,
    /// `data` events replace the state, `patch` events apply RFC 6902 patches
    /// (Streamdata SSE sources and diff-mode polling sources).
    Patched,
}

/// Everything known about one source.
#[derive(Debug, Clone)]
pub struct SourceState {
    pub name: String,
    /// The URL with secrets masked.
    pub url_display: String,
    pub status: Status,
    /// When the status last changed, unix ms.
    pub status_since: i64,
    pub events: u64,
    pub oversize: u64,
    pub unparsable: u64,
    /// Lines of a replayed recording that were not events.
    pub bad_lines: u64,
    /// Received and answered but never taken in, because the consumer had
    /// fallen behind (webhook deliveries).
    pub overflow: u64,
    /// The source's kind: what the status bar and the sources view show
    /// for it beyond the common counters.
    pub kind: &'static crate::source::Kind,
    /// Webhook deliveries that failed verification.
    pub failed_verifications: u64,
    /// Webhook deliveries of an id already seen.
    pub redeliveries: u64,
    /// Events of this source pushed out of the full ring buffer.
    pub evicted: u64,
    /// Events of this source that failed the contract (redeliveries too).
    pub drifts: u64,
    /// Times the source went from connected to retrying.
    pub reconnects: u64,
    /// Errors seen (failed connections, HTTP errors).
    pub errors: u64,
    pub last_error: Option<String>,
    pub last_event_at: Option<i64>,
    /// `Last-Event-ID` or poll cursor.
    pub cursor: Option<String>,
    pub mode: StateMode,
    /// The state document (Streamdata snapshot + patches, or diff).
    pub state: Option<Value>,
    /// A patch failed: patches are ignored until the next snapshot.
    pub out_of_sync: bool,
    /// Recently changed JSON pointers with when and the value before,
    /// newest last.
    pub changed: VecDeque<Change>,
    /// Arrival rhythm and unreadable input, for [`SourceState::health`].
    pub rhythm: Rhythm,
}

/// Count and rate history of one event type.
#[derive(Debug, Clone)]
pub struct TypeStats {
    pub name: Box<str>,
    pub count: u64,
    /// Of `count`, the events that failed the contract (0 without one).
    pub drifts: u64,
    pub rate: RateHistory,
}

/// See the module docs.
#[derive(Debug)]
pub struct Store {
    capacity: usize,
    ring: VecDeque<Record>,
    /// Sequence number of `ring[0]`; sequence numbers count every event ever
    /// ingested, so the TUI can keep positions across evictions.
    first_seq: u64,
    sources: Vec<SourceState>,
    types: Vec<TypeStats>,
    type_ids: HashMap<Box<str>, u32>,
    overflow_type: Option<u32>,
    total: RateHistory,
    /// Heap bytes of the types' full rate histories (at most
    /// [`RATE_HISTORY_BYTES`]).
    history_bytes: usize,
    evicted: u64,
    /// What each type is made of (SPEC 10), learned from a sample at high
    /// rates; numbered by the same type ids.
    catalog: Catalog,
    /// Whether events feed the catalog (off: benchmarks measure its cost).
    learning: bool,
    /// Every source replays a recording (`evtop replay`): "now" for time
    /// filters, rates and charts is the recording's time ([`Store::clock`]).
    replay: bool,
    /// The latest `received` taken in (the replay's clock).
    latest_received: Option<i64>,
    /// What events are checked against, if anything.
    contract: Option<Arc<Contract>>,
    /// Where each interned type's schemas are in the contract, by type id
    /// (the overflow row's events are looked up by their own name).
    contract_refs: Vec<Option<TypeRef>>,
}

impl Store {
    /// A store for these sources keeping at most `capacity` events (0: keep
    /// none — `tail` prints as it goes and needs no history).
    pub fn new(capacity: usize, sources: &[SourceSpec], now: i64) -> Self {
        let replay = !sources.is_empty() && sources.iter().all(|s| s.kind.is_recording());
        let sources = sources
            .iter()
            .map(|s| SourceState {
                name: s.name.clone(),
                url_display: s.url_display.clone(),
                status: Status::Connecting,
                status_since: now,
                events: 0,
                oversize: 0,
                unparsable: 0,
                bad_lines: 0,
                overflow: 0,
                kind: s.kind.kind(),
                failed_verifications: 0,
                redeliveries: 0,
                evicted: 0,
                drifts: 0,
                reconnects: 0,
                errors: 0,
                last_error: None,
                last_event_at: None,
                cursor: None,
                mode: if s.kind.keeps_state() {
                    StateMode::Patched
                } else {
                    StateMode::None
                },
                state: None,
                out_of_sync: false,
                changed: VecDeque::new(),
                rhythm: Rhythm::default(),
            })
            .collect();
        Store {
            capacity,
            ring: VecDeque::with_capacity(capacity.min(1 << 16)),
            first_seq: 0,
            sources,
            types: Vec::new(),
            type_ids: HashMap::new(),
            overflow_type: None,
            total: RateHistory::full(),
            history_bytes: 0,
            evicted: 0,
            catalog: Catalog::new(Sampling::PerSecond),
            learning: true,
            replay,
            latest_received: None,
            contract: None,
            contract_refs: Vec::new(),
        }
    }

    /// "Now" for everything that reads time off events (time filters, rate
    /// history, the chart, alerts): the wall clock `wall`, except in a replay
    /// of recordings, where it is the latest `received` replayed so far
    /// (SPEC 11.1) — `wall` until the first event.
    pub fn clock(&self, wall: i64) -> i64 {
        match (self.replay, self.latest_received) {
            (true, Some(t)) => t,
            _ => wall,
        }
    }

    /// Whether every source replays a recording (see [`Store::clock`]).
    pub fn is_replay(&self) -> bool {
        self.replay
    }

    /// Check every event taken in from now on against `contract`.
    pub fn with_contract(mut self, contract: Arc<Contract>) -> Self {
        self.contract_refs = self.types.iter().map(|t| contract.lookup(&t.name)).collect();
        self.contract = Some(contract);
        self
    }

    /// The contract events are checked against, if any.
    pub fn contract(&self) -> Option<&Arc<Contract>> {
        self.contract.as_ref()
    }

    /// Why a buffered event drifted (empty when it did not, or without a
    /// contract): asked of the contract now, so it costs one validation.
    /// An event counted under the overflow type row has lost its own type
    /// name, and is reported as not in the contract.
    pub fn drift_reasons(&self, r: &Record) -> Vec<String> {
        match &self.contract {
            Some(c) if r.drift => c.reasons(&self.types[r.ty as usize].name, r.data(), r.json),
            _ => Vec::new(),
        }
    }

    /// Events of the type with this id that failed the contract (what the
    /// catalog shows as drifts per type); 0 for an unknown id.
    pub fn drift_count(&self, ty: u32) -> u64 {
        self.types.get(ty as usize).map_or(0, |t| t.drifts)
    }

    /// Take in one message from the sources. `on_event` sees every new event
    /// (with its sequence number) before it is stored. Returns a source whose
    /// state went out of sync and needs a fresh snapshot.
    pub fn ingest(
        &mut self,
        msg: SourceMsg,
        now: i64,
        mut on_event: impl FnMut(u64, EventRef<'_>),
    ) -> Option<SourceId> {
        match msg {
            SourceMsg::Events {
                source,
                events,
                cursor,
            } => {
                let mut resync = None;
                if let Some(c) = cursor {
                    if let Some(s) = self.sources.get_mut(source as usize) {
                        s.cursor = Some(c);
                    }
                }
                for ev in events {
                    if self.push(ev, now, &mut on_event) {
                        resync = Some(source);
                    }
                }
                resync
            }
            SourceMsg::Status { source, status } => {
                if let Some(s) = self.sources.get_mut(source as usize) {
                    if let Status::Retrying { reason, .. } = &status {
                        if matches!(s.status, Status::Live(_)) {
                            s.reconnects += 1;
                        } else {
                            s.errors += 1;
                            s.last_error = Some(reason.clone());
                        }
                    }
                    s.status = status;
                    s.status_since = now;
                }
                None
            }
            SourceMsg::Dropped { source, kind, detail } => {
                if let Some(s) = self.sources.get_mut(source as usize) {
                    match kind {
                        DropKind::Oversize => s.oversize += 1,
                        DropKind::Unparsable => {
                            s.unparsable += 1;
                            s.rhythm.unreadable = Some((now, detail.clone()));
                        }
                        DropKind::Overflow => s.overflow += 1,
                        DropKind::BadLine => s.bad_lines += 1,
                    }
                    s.last_error = Some(detail);
                }
                None
            }
            SourceMsg::CaughtUp { .. } => None,
        }
    }

    /// What a headless consumer (`tail`, which buffers nothing) needs the
    /// store to see of a batch of events without taking them: the source's
    /// counters, its resume cursor and its state document. Type counts and
    /// rates are left alone (nothing headless shows them). Returns the source
    /// when its state went out of sync and needs a fresh snapshot.
    pub fn observe(
        &mut self,
        source: SourceId,
        events: &[Event],
        cursor: Option<String>,
        now: i64,
    ) -> Option<SourceId> {
        if let (Some(c), Some(s)) = (cursor, self.sources.get_mut(source as usize)) {
            s.cursor = Some(c);
        }
        let mut resync = None;
        // Each event names its source: a recording's reader sends the
        // events of every source it recorded.
        for ev in events {
            // The replay's clock ([`Store::clock`]) moves in `tail` too.
            self.latest_received = Some(self.latest_received.map_or(ev.received, |t| t.max(ev.received)));
            let Some(s) = self.sources.get_mut(ev.source as usize) else {
                continue;
            };
            s.events += 1;
            s.last_event_at = Some(now);
            if s.mode == StateMode::Patched && apply_state(s, ev, now) {
                resync = Some(ev.source);
            }
            if let Some(m) = &ev.meta {
                s.failed_verifications += u64::from(m.failed_check());
                s.redeliveries += u64::from(m.repeat());
            }
        }
        resync
    }

    /// Store one event; true when it put its source out of sync.
    fn push(&mut self, mut ev: Event, now: i64, on_event: &mut impl FnMut(u64, EventRef<'_>)) -> bool {
        if ev.json.is_none() {
            ev.json = Some(crate::event::is_json(&ev.data));
        }
        let ty = self.intern(&ev.ty);
        self.latest_received = Some(self.latest_received.map_or(ev.received, |t| t.max(ev.received)));
        let seq = self.first_seq + self.ring.len() as u64;
        let src = ev.source as usize;
        if src >= self.sources.len() {
            return false;
        }
        let drift = match &self.contract {
            None => false,
            Some(c) => {
                let at = if Some(ty) == self.overflow_type {
                    c.lookup(&ev.ty)
                } else {
                    self.contract_refs[ty as usize]
                };
                c.drifts_at(at, &ev.data, ev.json == Some(true))
            }
        };
        let source = &mut self.sources[src];
        on_event(
            seq,
            EventRef {
                drift,
                ..ev.as_ref(&source.name)
            },
        );
        source.events += 1;
        source.drifts += u64::from(drift);
        source
            .rhythm
            .arrival(source.last_event_at, source.status_since, now);
        source.last_event_at = Some(now);
        let mut resync = false;
        if source.mode == StateMode::Patched {
            resync = apply_state(source, &ev, now);
        }
        let mut redelivery = false;
        if let Some(m) = &ev.meta {
            if m.failed_check() {
                source.failed_verifications += 1;
            }
            if m.repeat() {
                source.redeliveries += 1;
                redelivery = true;
            }
        }
        if !redelivery {
            let stats = &mut self.types[ty as usize];
            stats.count += 1;
            stats.drifts += u64::from(drift);
            stats.rate.add(ev.received, 1);
            self.total.add(ev.received, 1);
            // The overflow row is a mix of types: nothing to learn there.
            if self.learning && Some(ty) != self.overflow_type {
                self.catalog.learn(ty, &stats.name, &source.name, &ev.data, now);
            }
        }
        if self.capacity == 0 {
            self.first_seq += 1;
            return resync;
        }
        if self.ring.len() == self.capacity {
            if let Some(old) = self.ring.pop_front() {
                self.first_seq += 1;
                self.evicted += 1;
                if let Some(s) = self.sources.get_mut(old.source as usize) {
                    s.evicted += 1;
                }
            }
        }
        self.ring.push_back(Record::new(ev, ty, drift));
        resync
    }

    fn intern(&mut self, ty: &str) -> u32 {
        if let Some(&id) = self.type_ids.get(ty) {
            return id;
        }
        if self.types.len() >= MAX_TYPES {
            if let Some(id) = self.overflow_type {
                return id;
            }
            let id = self.add_type(OVERFLOW_TYPE, RateHistory::full());
            self.overflow_type = Some(id);
            return id;
        }
        let rate = if self.history_bytes + FULL_HISTORY_BYTES <= RATE_HISTORY_BYTES {
            self.history_bytes += FULL_HISTORY_BYTES;
            RateHistory::full()
        } else {
            RateHistory::recent_only()
        };
        self.add_type(ty, rate)
    }

    fn add_type(&mut self, ty: &str, rate: RateHistory) -> u32 {
        let id = self.types.len() as u32;
        self.types.push(TypeStats {
            name: ty.into(),
            count: 0,
            drifts: 0,
            rate,
        });
        if let Some(c) = &self.contract {
            self.contract_refs.push(c.lookup(ty));
        }
        self.type_ids.insert(ty.into(), id);
        id
    }

    /// The buffered events, oldest first.
    pub fn records(&self) -> &VecDeque<Record> {
        &self.ring
    }

    /// Sequence number of the oldest buffered event.
    pub fn first_seq(&self) -> u64 {
        self.first_seq
    }

    /// The buffered event with this sequence number, if still buffered.
    pub fn get(&self, seq: u64) -> Option<&Record> {
        seq.checked_sub(self.first_seq)
            .and_then(|i| self.ring.get(i as usize))
    }

    /// A record as an [`EventRef`] (source and type resolved to names).
    pub fn view<'a>(&'a self, r: &'a Record) -> EventRef<'a> {
        let meta = r.meta.as_deref();
        EventRef {
            source: meta
                .and_then(Meta::source_name)
                .unwrap_or_else(|| self.source_name(r.source)),
            id: r.id(),
            ty: &self.types[r.ty as usize].name,
            time: r.time(),
            received: r.received,
            data: r.data(),
            json: r.json,
            meta,
            drift: r.drift,
        }
    }

    pub fn source_name(&self, id: SourceId) -> &str {
        self.sources.get(id as usize).map_or("?", |s| s.name.as_str())
    }

    pub fn sources(&self) -> &[SourceState] {
        &self.sources
    }

    pub fn types(&self) -> &[TypeStats] {
        &self.types
    }

    /// Stop (or resume) feeding the catalog: what its cost is measured
    /// against.
    pub fn set_learning(&mut self, on: bool) {
        self.learning = on;
    }

    /// The catalog of the types seen ([`catalog`]); its type ids are
    /// [`Store::types`]' indexes.
    pub fn catalog(&self) -> &Catalog {
        &self.catalog
    }

    /// Events/s of all sources together (see [`RateHistory::rate`]).
    pub fn total_rate(&self) -> &RateHistory {
        &self.total
    }

    /// Heap bytes the types' full rate histories take (at most
    /// [`RATE_HISTORY_BYTES`]; the total's and the overflow row's are not
    /// counted).
    pub fn history_bytes(&self) -> usize {
        self.history_bytes
    }

    /// Events pushed out of the full ring buffer.
    pub fn evicted(&self) -> u64 {
        self.evicted
    }

    /// Events dropped before they became events (oversize, unparsable,
    /// overflow).
    pub fn dropped(&self) -> u64 {
        self.sources
            .iter()
            .map(|s| s.oversize + s.unparsable + s.overflow)
            .sum()
    }

    /// `{source name: state document or null}`, what `--state-out` writes.
    pub fn states_json(&self) -> Value {
        let map = self
            .sources
            .iter()
            .map(|s| (s.name.clone(), s.state.clone().unwrap_or(Value::Null)))
            .collect();
        Value::Object(map)
    }
}

#[cfg(test)]
mod tests;
