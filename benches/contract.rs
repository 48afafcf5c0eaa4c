//! Contract validation where the monitor takes events in (SPEC 10): the
//! store's `ingest` of 1,000,000 load-server events (the shapes of
//! `examples/loadserver.rs`) with and without `bench/load-contract.json`,
//! which every one of them satisfies. Only `ingest` is timed; three rounds
//! each, alternating, best of three.
//!
//! `cargo bench --bench contract`

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

#[path = "support/common.rs"]
mod common;
use common::{TYPES, spec};
use evtop::contract::Contract;
use evtop::event::Event;
use evtop::source::SourceMsg;
use evtop::store::Store;

const N: usize = 1_000_000;
const BATCH: usize = 64;

fn event(i: usize) -> Event {
    let ty = TYPES[i % TYPES.len()];
    Event {
        source: 0,
        id: Some(format!("{i}")),
        ty: ty.into(),
        time: None,
        received: 1_795_341_600_000,
        data: format!(
            r#"{{"id":"evt_{i:08}","type":"{ty}","amount":{},"currency":"usd"}}"#,
            (i * 37) % 100_000
        ),
        json: None,
        meta: None,
    }
}

/// Time spent in `ingest` for N events, and how many drifted.
fn run(contract: Option<&Arc<Contract>>) -> (Duration, u64) {
    let mut store = Store::new(N, &[spec(false)], 0);
    if let Some(c) = contract {
        store = store.with_contract(c.clone());
    }
    let mut spent = Duration::ZERO;
    for start in (0..N).step_by(BATCH) {
        let events: Vec<Event> = (start..(start + BATCH).min(N)).map(event).collect();
        let t = Instant::now();
        store.ingest(
            SourceMsg::Events {
                source: 0,
                events,
                cursor: None,
            },
            1_795_341_600_000,
            |_, _| {},
        );
        spent += t.elapsed();
    }
    (spent, store.sources()[0].drifts)
}

fn main() {
    let contract = Arc::new(
        Contract::load(Path::new("bench/load-contract.json")).expect("bench/load-contract.json loads"),
    );
    let (mut without, mut with) = (Duration::MAX, Duration::MAX);
    for _ in 0..3 {
        without = without.min(run(None).0);
        let (t, drifts) = run(Some(&contract));
        assert_eq!(drifts, 0, "the load events satisfy the contract");
        with = with.min(t);
    }
    let per = |d: Duration| d.as_secs_f64() * 1e9 / N as f64;
    println!(
        "store ingest of {N} events: without a contract {:.3} s ({:.0} ns/event, {:.0} events/s); \
         with bench/load-contract.json {:.3} s ({:.0} ns/event, {:.0} events/s); validation {:.0} ns/event",
        without.as_secs_f64(),
        per(without),
        N as f64 / without.as_secs_f64(),
        with.as_secs_f64(),
        per(with),
        N as f64 / with.as_secs_f64(),
        per(with) - per(without),
    );
}
