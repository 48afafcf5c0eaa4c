//! Sources: the tasks that connect to the outside world and turn what they
//! receive into [`Event`]s.
//!
//! Every kind of source is one folder under `source/` (`sse.rs` + `sse/`)
//! that describes itself with a [`Kind`] listed in [`registry::KINDS`]: its
//! name and config keys, their validation, how its tasks start, what the
//! status bar and sources view show for it. Its tasks take their options
//! and a [`SourceCtx`], and send [`SourceMsg`]s down one bounded channel.
//! That is the whole contract: the store, the filters, `tail` and the TUI
//! only ever see `SourceMsg`s and ask the [`Kind`], so a new kind of source
//! (WebSocket, a broker) is one new folder and its line in the registry.
//! The engine starts sources through [`Launcher`], which gives each kind
//! all its sources at once (webhook sources on one address share a server).
//!
//! This module also holds what the kinds share: the status a source reports
//! and the jittered exponential backoff; [`http`] below the kinds holds the
//! shared HTTP: clients, request headers, `Retry-After` and error texts
//! that never carry a secret.

pub mod file;
pub mod http;
pub mod nats;
pub mod poll;
pub mod registry;
pub mod sse;
pub mod tls;
pub mod webhook;
pub mod websocket;

pub(crate) use http::base_headers;
pub use http::{
    ERROR_BODY_QUOTE, RETRY_AFTER_MAX, TransportError, http_failure, quote_body, quote_text, retry_after,
    status_text,
};
pub use registry::{Kind, Launcher, SourceKind};

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{SourceSpec, mask_secrets};
use crate::event::{Event, SourceId};

/// Messages from source tasks to the store.
#[derive(Debug)]
pub enum SourceMsg {
    /// Events decoded from one read, in order. Batching per read keeps the
    /// channel cost per event low under a firehose.
    Events {
        source: SourceId,
        events: Vec<Event>,
        /// The resume point after these events (`Last-Event-ID`, a poll
        /// cursor), when it changed.
        cursor: Option<String>,
    },
    /// The source's connection state changed.
    Status { source: SourceId, status: Status },
    /// Something the source received could not become an event.
    Dropped {
        source: SourceId,
        kind: DropKind,
        detail: String,
    },
    /// Every event the source sent so far was already there when it
    /// started (its backlog: a polled list's first page); what it sends
    /// from now on is new. Sent once, by the kinds that have a backlog;
    /// reconciliation ([`crate::reconcile`]) does not reconcile a backlog.
    CaughtUp { source: SourceId },
}

/// A source's connection state, as the status bar and `tail`'s stderr show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Opening a connection or sending a request.
    Connecting,
    /// Connected and receiving (`detail` says what, e.g. `HTTP 200`).
    Live(String),
    /// Waiting `delay` before trying again, because of `reason`.
    Retrying { delay: Duration, reason: String },
    /// Stopped for good (e.g. HTTP 204 on an SSE stream).
    Closed(String),
    /// Its input ended as it should (a replayed recording reached its
    /// end): not a failure and not a disconnection.
    Finished(String),
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Connecting => f.write_str("connecting"),
            Status::Live(detail) if detail.is_empty() => f.write_str("live"),
            Status::Live(detail) => write!(f, "live ({detail})"),
            Status::Retrying { delay, reason } => {
                write!(f, "{reason}; retrying in {}", fmt_duration(*delay))
            }
            Status::Closed(reason) => write!(f, "closed: {reason}"),
            Status::Finished(what) => write!(f, "finished: {what}"),
        }
    }
}

/// Why something a source received was dropped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropKind {
    /// Larger than `max_event_bytes`.
    Oversize,
    /// Could not be decoded (not JSON where JSON is required, a bad patch).
    Unparsable,
    /// Received and answered, but the consumer had fallen too far behind
    /// to take it (a webhook delivery cannot be made to wait).
    Overflow,
    /// A line of a recording that is not an event: its file and line are
    /// to blame (the detail starts with `FILE:LINE:`), not a source.
    BadLine,
}

/// What every source task is given.
#[derive(Clone)]
pub struct SourceCtx {
    pub id: SourceId,
    pub tx: mpsc::Sender<SourceMsg>,
    /// Fired once when evtop shuts down: every task ends promptly.
    pub cancel: CancellationToken,
    /// Every task a source starts, however small (a webhook connection, a
    /// feeder, a body drain), is spawned on this tracker, so that shutdown
    /// waits for all of them, not only the top-level ones.
    pub tasks: TaskTracker,
    /// Fired by the store when the source's state is out of sync (a patch
    /// failed) and a fresh snapshot is needed.
    pub resync: Arc<Notify>,
    pub max_event_bytes: usize,
    pub client: reqwest::Client,
    /// Values that came from `${VAR}`: masked in every text a source emits.
    pub secrets: Arc<[String]>,
    /// An HTTPS source under `--insecure`: every live status says its
    /// certificate is not checked.
    pub tls_unchecked: bool,
    /// `--cacert` and `--insecure`, for kinds that do TLS themselves
    /// ([`tls::client_config`]); `client` has them already.
    pub tls: Arc<crate::config::Tls>,
    /// The initial filter (`--filter`): a kind whose server can filter
    /// (NATS subjects) may ask it for a superset of what this filter shows
    /// ([`crate::filter::Filter::required_types`]), never less. Empty when
    /// there is none.
    pub filter: Arc<crate::filter::Filter>,
}

impl SourceCtx {
    /// Report a status change. Returns false when nobody listens any more.
    pub async fn status(&self, status: Status) -> bool {
        let status = match status {
            Status::Retrying { delay, reason } => Status::Retrying {
                delay,
                reason: self.mask(&reason),
            },
            Status::Closed(r) => Status::Closed(self.mask(&r)),
            Status::Live(r) if self.tls_unchecked => Status::Live(if r.is_empty() {
                TLS_UNCHECKED.to_owned()
            } else {
                format!("{}, {TLS_UNCHECKED}", self.mask(&r))
            }),
            Status::Live(r) => Status::Live(self.mask(&r)),
            s => s,
        };
        tracing::info!(source = self.id, "{status}");
        self.tx
            .send(SourceMsg::Status {
                source: self.id,
                status,
            })
            .await
            .is_ok()
    }

    /// Report a dropped input. Returns false when nobody listens any more.
    pub async fn dropped(&self, kind: DropKind, detail: String) -> bool {
        let detail = self.mask(&detail);
        tracing::warn!(source = self.id, "dropped ({kind:?}): {detail}");
        self.tx
            .send(SourceMsg::Dropped {
                source: self.id,
                kind,
                detail,
            })
            .await
            .is_ok()
    }

    /// Say that the events sent so far were the backlog
    /// ([`SourceMsg::CaughtUp`]). False when nobody listens any more.
    pub async fn caught_up(&self) -> bool {
        self.tx
            .send(SourceMsg::CaughtUp { source: self.id })
            .await
            .is_ok()
    }

    /// `text` with every secret replaced by `***`.
    pub fn mask(&self, text: &str) -> String {
        mask_secrets(text, &self.secrets).into_owned()
    }
}

/// Start the task for one source (webhook sources on one address share a
/// server: start many sources with [`Launcher`]).
pub fn spawn(spec: Arc<SourceSpec>, ctx: SourceCtx) -> JoinHandle<()> {
    let kind = spec.kind.kind();
    let mut tasks = (kind.start)(vec![(spec, ctx)]);
    tasks.pop().unwrap_or_else(|| tokio::spawn(async {}))
}

/// What a live status of an HTTPS source adds under `--insecure`.
pub const TLS_UNCHECKED: &str = "TLS unchecked: --insecure";

/// First delay of the exponential backoff.
pub const BACKOFF_INITIAL: Duration = Duration::from_secs(1);
/// Longest delay of the exponential backoff.
pub const BACKOFF_MAX: Duration = Duration::from_secs(30);
/// How long a connection must stay up before the backoff starts over.
pub const STABLE_AFTER: Duration = Duration::from_secs(10);
/// Shortest and longest reconnection time a server may ask for with `retry:`.
pub const SERVER_RETRY_MIN: Duration = Duration::from_millis(100);
pub const SERVER_RETRY_MAX: Duration = Duration::from_secs(60);
/// Least wait after 401/403/404: these rarely heal by themselves.
pub const AUTH_RETRY_MIN: Duration = Duration::from_secs(30);
/// Exponential backoff with jitter: the n-th delay is drawn from
/// `[d/2, d]` where `d = min(max, initial · 2ⁿ)`. Jitter keeps many evtop
/// instances from reconnecting in lockstep after an outage.
///
/// The one strategy every kind uses, and it owns the "stayed up long
/// enough" rule (as launchdarkly's eventsource client does): a kind says
/// when a connection was good with [`Backoff::reset`]`(since)`, and the next
/// [`Backoff::next_delay`]`(now)` starts over only if it stayed good for
/// [`STABLE_AFTER`] (or the strategy's own `stable_after`). Time is passed
/// in, so tests are deterministic.
#[derive(Debug, Clone)]
pub struct Backoff {
    attempt: u32,
    initial: Duration,
    max: Duration,
    /// How long a good connection must last for the backoff to start over.
    stable_after: Duration,
    /// When the last good connection began, until the next delay is asked.
    good_since: Option<Instant>,
    rng: fastrand::Rng,
}

impl Backoff {
    pub fn new(initial: Duration, max: Duration) -> Self {
        Backoff {
            attempt: 0,
            initial,
            max,
            stable_after: STABLE_AFTER,
            good_since: None,
            rng: fastrand::Rng::new(),
        }
    }

    /// The same strategy with another "stayed up long enough" (zero: every
    /// success starts over, as a poll's does).
    pub fn stable_after(mut self, stable_after: Duration) -> Self {
        self.stable_after = stable_after;
        self
    }

    /// The same strategy with a fixed jitter sequence (tests).
    pub fn seeded(mut self, seed: u64) -> Self {
        self.rng = fastrand::Rng::with_seed(seed);
        self
    }

    /// The delay before the next attempt at `now`; each call doubles the
    /// ceiling up to `max`, after starting over if the last good connection
    /// (see [`Backoff::reset`]) lasted until `now` for `stable_after`.
    pub fn next_delay(&mut self, now: Instant) -> Duration {
        if let Some(since) = self.good_since.take()
            && now.saturating_duration_since(since) >= self.stable_after
        {
            self.attempt = 0;
        }
        let ceiling = self
            .initial
            .saturating_mul(1u32 << self.attempt.min(20))
            .min(self.max);
        self.attempt = self.attempt.saturating_add(1);
        let half = ceiling / 2;
        let jitter_ms = self.rng.u64(0..=half.as_millis() as u64);
        half + Duration::from_millis(jitter_ms)
    }

    /// The delay after an HTTP error status at `now`, the same for every
    /// kind: 401/403/404 (the credentials or the URL are wrong, asking
    /// again soon will not help) at least [`AUTH_RETRY_MIN`]; 429 and 5xx
    /// what the server asked for (`retry_after`) when it did; otherwise the
    /// next backoff delay.
    pub fn after_status(&mut self, status: u16, retry_after: Option<Duration>, now: Instant) -> Duration {
        match (status, retry_after) {
            (401 | 403 | 404, ra) => self
                .next_delay(now)
                .max(AUTH_RETRY_MIN)
                .max(ra.unwrap_or_default()),
            (429 | 500..=599, Some(ra)) => ra,
            _ => self.next_delay(now),
        }
    }

    /// A connection (or request) was good from `since`: the next delay
    /// starts over if it stayed good long enough.
    pub fn reset(&mut self, since: Instant) {
        self.good_since = Some(since);
    }
}

impl Default for Backoff {
    fn default() -> Self {
        Backoff::new(BACKOFF_INITIAL, BACKOFF_MAX)
    }
}

/// A duration the way people read it: `850ms`, `4.2s`, `2m30s`.
pub fn fmt_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let tenths = (ms + 50) / 100;
        if tenths % 10 == 0 {
            format!("{}s", tenths / 10)
        } else {
            format!("{}.{}s", tenths / 10, tenths % 10)
        }
    } else {
        let s = ms / 1000;
        if s % 60 == 0 {
            format!("{}m", s / 60)
        } else {
            format!("{}m{}s", s / 60, s % 60)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_up_to_cap_and_resets() {
        let now = Instant::now();
        let mut b = Backoff::new(Duration::from_secs(1), Duration::from_secs(30));
        let expected_ceilings = [1, 2, 4, 8, 16, 30, 30, 30];
        for ceiling in expected_ceilings {
            let d = b.next_delay(now);
            let c = Duration::from_secs(ceiling);
            assert!(d >= c / 2 && d <= c, "{d:?} not in [{:?}, {c:?}]", c / 2);
        }
        b.reset(now);
        assert!(b.next_delay(now + STABLE_AFTER) <= Duration::from_secs(1));
    }

    #[test]
    fn backoff_starts_over_only_after_a_connection_stayed_up() {
        let t0 = Instant::now();
        let secs = Duration::from_secs;
        let mut b = Backoff::default().seeded(7);
        for _ in 0..4 {
            b.next_delay(t0);
        }
        // Up for 9 s: not long enough; the ceiling keeps growing (16 s).
        b.reset(t0);
        let d = b.next_delay(t0 + secs(9));
        assert!(d >= secs(8) && d <= secs(16), "{d:?}");
        // Up for exactly STABLE_AFTER: start over (ceiling 1 s).
        b.reset(t0 + secs(20));
        let d = b.next_delay(t0 + secs(20) + STABLE_AFTER);
        assert!(d <= secs(1), "{d:?}");
        // The good connection counts once: the next failure doubles again.
        let d = b.next_delay(t0 + secs(100));
        assert!(d >= secs(1) && d <= secs(2), "{d:?}");
        // A poll's strategy starts over after any success.
        let mut p = Backoff::default().stable_after(Duration::ZERO).seeded(7);
        for _ in 0..4 {
            p.next_delay(t0);
        }
        p.reset(t0);
        assert!(p.next_delay(t0) <= secs(1));
    }

    #[test]
    fn seeded_backoff_is_deterministic() {
        let t0 = Instant::now();
        let run = || {
            let mut b = Backoff::default().seeded(42);
            (0..6).map(|_| b.next_delay(t0)).collect::<Vec<_>>()
        };
        assert_eq!(run(), run());
    }

    #[test]
    fn backoff_jitter_varies() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..20 {
            let mut b = Backoff::new(Duration::from_secs(8), Duration::from_secs(30));
            seen.insert(b.next_delay(Instant::now()));
        }
        assert!(seen.len() > 1, "no jitter: {seen:?}");
    }

    #[test]
    fn durations_read_naturally() {
        assert_eq!(fmt_duration(Duration::from_millis(850)), "850ms");
        assert_eq!(fmt_duration(Duration::from_millis(4200)), "4.2s");
        assert_eq!(fmt_duration(Duration::from_secs(30)), "30s");
        assert_eq!(fmt_duration(Duration::from_secs(150)), "2m30s");
        assert_eq!(fmt_duration(Duration::from_secs(120)), "2m");
    }
}
