//! What the benchmarks share: the source every benchmark's events come
//! from, its clock and its event types. Included with `#[path]` (not a
//! bench target of its own).

#![allow(dead_code)]

use evtop::config::{SourceKind, SourceSpec, SseOptions};
use evtop::event::Pointers;

/// The benchmarks' fixed clock: 2026-11-22T10:00:00Z, unix ms.
pub const NOW: i64 = 1_795_341_600_000;

/// Six event types, in the order events cycle through them.
pub const TYPES: [&str; 6] = [
    "charge.succeeded",
    "payment_intent.created",
    "charge.failed",
    "invoice.paid",
    "charge.refunded",
    "customer.created",
];

/// An SSE source named `bench` on an address nothing listens on (no task
/// is started: events are handed to the store directly); `patch` makes it
/// a Streamdata source.
pub fn spec(patch: bool) -> SourceSpec {
    SourceSpec {
        name: "bench".into(),
        url: "http://127.0.0.1:1/".into(),
        url_display: "http://127.0.0.1:1/".into(),
        headers: vec![],
        pointers: Pointers::default(),
        kind: SourceKind::Sse(SseOptions {
            patch,
            idle_timeout: None,
        }),
        named_after_host: false,
    }
}
