use super::*;
use crate::config::{SourceKind, SourceSpec};

fn spec(name: &str, patch: bool) -> SourceSpec {
    crate::app::fixture::spec(name, patch)
}

fn event(source: SourceId, ty: &str, id: Option<&str>, data: &str) -> Event {
    Event {
        source,
        id: id.map(str::to_owned),
        ty: ty.into(),
        time: None,
        received: 1_000,
        data: data.into(),
        json: Some(crate::event::is_json(data)),
        meta: None,
    }
}

fn batch(source: SourceId, events: Vec<Event>) -> SourceMsg {
    SourceMsg::Events {
        source,
        events,
        cursor: None,
    }
}

#[test]
fn ring_is_bounded_across_sources_and_counts_evictions() {
    let mut s = Store::new(3, &[spec("a", false), spec("b", false)], 0);
    for i in 0..5 {
        let src = (i % 2) as SourceId;
        s.ingest(
            batch(src, vec![event(src, "t", Some(&i.to_string()), "{}")]),
            1_000,
            |_, _| {},
        );
    }
    assert_eq!(s.records().len(), 3);
    assert_eq!(s.evicted(), 2);
    assert_eq!(s.first_seq(), 2);
    let ids: Vec<_> = s.records().iter().map(|r| r.id().unwrap().to_owned()).collect();
    assert_eq!(ids, ["2", "3", "4"]);
    // events 0 and 2… no: 0 (a) and 1 (b) went.
    assert_eq!(s.sources()[0].evicted, 1);
    assert_eq!(s.sources()[1].evicted, 1);
    assert_eq!(s.get(4).and_then(|r| r.id()), Some("4"));
    assert!(s.get(1).is_none());
}

#[test]
fn records_round_trip_id_and_data() {
    let mut s = Store::new(10, &[spec("a", false)], 0);
    let mut e = event(0, "charge.succeeded", Some("evt_1"), r#"{"amount":1}"#);
    e.time = Some(42_000);
    s.ingest(
        batch(0, vec![e, event(0, "ping", None, "not json")]),
        1_000,
        |_, _| {},
    );
    let r0 = s.view(&s.records()[0]);
    assert_eq!(
        (r0.source, r0.ty, r0.id, r0.data, r0.json, r0.time),
        (
            "a",
            "charge.succeeded",
            Some("evt_1"),
            r#"{"amount":1}"#,
            true,
            Some(42_000)
        )
    );
    let r1 = s.view(&s.records()[1]);
    assert_eq!(
        (r1.id, r1.data, r1.json, r1.time),
        (None, "not json", false, None)
    );
}

#[test]
fn capacity_zero_keeps_nothing_but_counts() {
    let mut s = Store::new(0, &[spec("a", false)], 0);
    let mut seen = vec![];
    s.ingest(
        batch(0, vec![event(0, "x", None, "1"), event(0, "x", None, "2")]),
        1_000,
        |seq, ev| seen.push((seq, ev.data.to_owned())),
    );
    assert_eq!(seen, [(0, "1".to_owned()), (1, "2".to_owned())]);
    assert!(s.records().is_empty());
    assert_eq!(s.types()[0].count, 2);
    assert_eq!(s.sources()[0].events, 2);
}

#[test]
fn types_are_interned_with_counts_and_rates() {
    let mut s = Store::new(10, &[spec("a", false)], 0);
    // Counted at each event's `received`, not at the time of ingest (here
    // a minute later): a replay's rates are the recording's.
    for (t, ty) in [(1_000, "a"), (1_100, "b"), (2_000, "a"), (2_500, "a")] {
        let ev = Event {
            received: t,
            ..event(0, ty, None, "{}")
        };
        s.ingest(batch(0, vec![ev]), 60_000, |_, _| {});
    }
    let names: Vec<_> = s.types().iter().map(|t| (&*t.name, t.count)).collect();
    assert_eq!(names, [("a", 3), ("b", 1)]);
    let a = &s.types()[0].rate;
    assert_eq!((a.count(1, 2), a.count(2, 3)), (Some(1), Some(2)));
    assert_eq!(s.total_rate().count(1, 2), Some(2));
    assert_eq!(s.total_rate().count(2, 3), Some(2));
    assert_eq!(s.total_rate().count(3, 60), Some(0));
    assert_eq!(s.total_rate().rate(3_000), 4.0 / 5.0);
}

#[test]
fn type_table_is_bounded() {
    let mut s = Store::new(0, &[spec("a", false)], 0);
    for i in 0..(MAX_TYPES + 50) {
        s.ingest(
            batch(0, vec![event(0, &format!("t{i}"), None, "{}")]),
            1_000,
            |_, _| {},
        );
    }
    assert_eq!(s.types().len(), MAX_TYPES + 1);
    assert_eq!(&*s.types()[MAX_TYPES].name, OVERFLOW_TYPE);
    assert_eq!(s.types()[MAX_TYPES].count, 50);
    // Full rate histories go to the first types within the bound; the rest
    // keep a current rate; the overflow row and the total keep theirs.
    let full = RATE_HISTORY_BYTES / FULL_HISTORY_BYTES;
    assert_eq!(s.history_bytes(), full * FULL_HISTORY_BYTES);
    assert!(s.history_bytes() <= RATE_HISTORY_BYTES);
    assert!(s.types()[full - 1].rate.is_full());
    assert!(!s.types()[full].rate.is_full());
    assert!(!s.types()[MAX_TYPES - 1].rate.is_full());
    assert_eq!(s.types()[MAX_TYPES - 1].rate.rate(2_000), 1.0 / 5.0);
    assert!(s.types()[MAX_TYPES].rate.is_full());
    assert_eq!(s.total_rate().count(1, 2), Some(MAX_TYPES as u64 + 50));
}

#[test]
fn streamdata_snapshot_and_every_patch_op() {
    let mut s = Store::new(100, &[spec("q", true)], 0);
    let snapshot = r#"{"a":1,"b":{"c":[1,2]},"d":"x"}"#;
    let patch = r#"[
        {"op":"add","path":"/e","value":5},
        {"op":"remove","path":"/a"},
        {"op":"replace","path":"/d","value":"y"},
        {"op":"move","from":"/e","path":"/f"},
        {"op":"copy","from":"/b/c","path":"/g"},
        {"op":"test","path":"/d","value":"y"}
    ]"#;
    let r = s.ingest(
        batch(
            0,
            vec![event(0, "data", None, snapshot), event(0, "patch", None, patch)],
        ),
        1_000,
        |_, _| {},
    );
    assert_eq!(r, None);
    assert_eq!(
        s.sources()[0].state,
        Some(serde_json::json!({"b":{"c":[1,2]},"d":"y","f":5,"g":[1,2]}))
    );
    let paths: Vec<_> = s.sources()[0].changed.iter().map(|c| c.path.as_str()).collect();
    assert_eq!(paths, ["", "/e", "/a", "/d", "/f", "/g", "/d"]);
    // Both kinds stay in the feed as events.
    assert_eq!(s.records().len(), 2);
}

#[test]
fn failing_patch_is_atomic_reports_and_resyncs() {
    let mut s = Store::new(100, &[spec("q", true)], 0);
    s.ingest(
        batch(0, vec![event(0, "data", None, r#"{"n":1}"#)]),
        1_000,
        |_, _| {},
    );
    let bad = r#"[{"op":"replace","path":"/n","value":2},{"op":"test","path":"/n","value":99}]"#;
    let r = s.ingest(batch(0, vec![event(0, "patch", None, bad)]), 1_000, |_, _| {});
    assert_eq!(r, Some(0), "resync requested");
    let src = &s.sources()[0];
    assert_eq!(src.state, Some(serde_json::json!({"n":1})), "state untouched");
    assert!(src.out_of_sync);
    assert_eq!(src.unparsable, 1);
    assert!(
        src.last_error.as_deref().unwrap().contains("patch failed"),
        "{:?}",
        src.last_error
    );
    // Later patches are ignored until a snapshot arrives.
    let ok = r#"[{"op":"replace","path":"/n","value":3}]"#;
    assert_eq!(
        s.ingest(batch(0, vec![event(0, "patch", None, ok)]), 1_000, |_, _| {}),
        None
    );
    assert_eq!(s.sources()[0].state, Some(serde_json::json!({"n":1})));
    s.ingest(
        batch(
            0,
            vec![event(0, "data", None, r#"{"n":7}"#), event(0, "patch", None, ok)],
        ),
        1_000,
        |_, _| {},
    );
    assert_eq!(s.sources()[0].state, Some(serde_json::json!({"n":3})));
    assert!(!s.sources()[0].out_of_sync);
}

#[test]
fn patch_before_snapshot_or_not_json_resyncs() {
    let mut s = Store::new(10, &[spec("q", true)], 0);
    assert_eq!(
        s.ingest(batch(0, vec![event(0, "patch", None, "[]")]), 0, |_, _| {}),
        Some(0)
    );
    let mut s = Store::new(10, &[spec("q", true)], 0);
    s.ingest(batch(0, vec![event(0, "data", None, "{}")]), 0, |_, _| {});
    assert_eq!(
        s.ingest(batch(0, vec![event(0, "patch", None, "nope")]), 0, |_, _| {}),
        Some(0)
    );
    assert_eq!(s.sources()[0].unparsable, 1);
}

#[test]
fn non_patch_sources_keep_no_state() {
    let mut s = Store::new(10, &[spec("a", false)], 0);
    s.ingest(batch(0, vec![event(0, "data", None, "{}")]), 0, |_, _| {});
    assert_eq!(s.sources()[0].state, None);
    assert_eq!(s.states_json(), serde_json::json!({"a": null}));
}

#[test]
fn diff_poll_sources_keep_state_and_events_poll_sources_do_not() {
    use crate::config::{PollMode, PollOptions};
    let poll = |name: &str, mode| SourceSpec {
        kind: SourceKind::Poll(PollOptions {
            mode,
            ..PollOptions::default()
        }),
        ..spec(name, false)
    };
    let specs = [poll("diff", PollMode::Diff), poll("events", PollMode::Events)];
    let mut s = Store::new(10, &specs, 0);
    assert_eq!(s.sources()[0].mode, StateMode::Patched);
    assert_eq!(s.sources()[1].mode, StateMode::None);
    let patch = r#"[{"op":"replace","path":"/n","value":2}]"#;
    for source in [0, 1] {
        s.ingest(
            batch(source, vec![event(source, "data", None, r#"{"n":1}"#)]),
            0,
            |_, _| {},
        );
        s.ingest(
            batch(source, vec![event(source, "patch", None, patch)]),
            0,
            |_, _| {},
        );
    }
    assert_eq!(
        s.states_json(),
        serde_json::json!({"diff": {"n": 2}, "events": null})
    );
}

#[test]
fn status_and_drops_are_counted() {
    let mut s = Store::new(10, &[spec("a", false)], 0);
    let retry = |r: &str| SourceMsg::Status {
        source: 0,
        status: Status::Retrying {
            delay: std::time::Duration::from_secs(1),
            reason: r.into(),
        },
    };
    s.ingest(retry("cannot connect"), 0, |_, _| {});
    s.ingest(
        SourceMsg::Status {
            source: 0,
            status: Status::Live("HTTP 200".into()),
        },
        0,
        |_, _| {},
    );
    s.ingest(retry("connection closed by server"), 0, |_, _| {});
    s.ingest(
        SourceMsg::Dropped {
            source: 0,
            kind: DropKind::Oversize,
            detail: "big".into(),
        },
        0,
        |_, _| {},
    );
    let src = &s.sources()[0];
    assert_eq!((src.errors, src.reconnects, src.oversize), (1, 1, 1));
    assert_eq!(s.dropped(), 1);
}

#[test]
fn quiet_after_ten_median_gaps_and_at_least_the_minimum() {
    let mut s = Store::new(100, &[spec("a", false)], 0);
    let live = SourceMsg::Status {
        source: 0,
        status: Status::Live("HTTP 200".into()),
    };
    s.ingest(live, 0, |_, _| {});
    // Two arrivals make one gap: no rhythm yet, never quiet.
    for t in [1_000, 2_000] {
        s.ingest(batch(0, vec![event(0, "x", None, "1")]), t, |_, _| {});
    }
    assert_eq!(s.sources()[0].health(500_000), Health::Live, "not judged yet");
    // One event a second (two in one batch count as one arrival).
    for t in [3_000, 4_000, 5_000] {
        s.ingest(
            batch(0, vec![event(0, "x", None, "1"), event(0, "x", None, "2")]),
            t,
            |_, _| {},
        );
    }
    assert_eq!(s.sources()[0].rhythm.median_gap(), Some(1_000));
    let last = 5_000;
    assert_eq!(
        s.sources()[0].health(last + QUIET_MIN_MS),
        Health::Live,
        "10 s is the least"
    );
    assert_eq!(
        s.sources()[0].health(last + 40_000),
        Health::Quiet(40_000),
        "40 s on a stream that sent every second"
    );
    // A slow stream (a minute apart) is not quiet after 40 s.
    let mut slow = Store::new(100, &[spec("a", false)], 0);
    slow.ingest(
        SourceMsg::Status {
            source: 0,
            status: Status::Live(String::new()),
        },
        0,
        |_, _| {},
    );
    for k in 1..=4 {
        slow.ingest(batch(0, vec![event(0, "x", None, "1")]), k * 60_000, |_, _| {});
    }
    assert_eq!(slow.sources()[0].health(240_000 + 40_000), Health::Live);
    assert_eq!(
        slow.sources()[0].health(240_000 + 601_000),
        Health::Quiet(601_000)
    );
    // Not live: down, whatever the silence.
    s.ingest(
        SourceMsg::Status {
            source: 0,
            status: Status::Connecting,
        },
        6_000,
        |_, _| {},
    );
    assert_eq!(s.sources()[0].health(100_000), Health::Down);
}

#[test]
fn degraded_while_the_last_bodies_are_unreadable() {
    let mut s = Store::new(100, &[spec("a", false)], 0);
    s.ingest(
        SourceMsg::Status {
            source: 0,
            status: Status::Live("HTTP 200".into()),
        },
        0,
        |_, _| {},
    );
    s.ingest(batch(0, vec![event(0, "x", None, "1")]), 1_000, |_, _| {});
    let bad = SourceMsg::Dropped {
        source: 0,
        kind: DropKind::Unparsable,
        detail: "data is not JSON: expected value at line 1".into(),
    };
    s.ingest(bad, 2_000, |_, _| {});
    assert_eq!(
        s.sources()[0].health(3_000),
        Health::Degraded("data is not JSON: expected value at line 1".into())
    );
    // A readable event again: live.
    s.ingest(batch(0, vec![event(0, "x", None, "2")]), 4_000, |_, _| {});
    assert_eq!(s.sources()[0].health(4_500), Health::Live);
}

#[test]
fn patch_changes_keep_the_scalar_they_replaced() {
    let mut s = Store::new(10, &[spec("q", true)], 0);
    s.ingest(
        batch(
            0,
            vec![
                event(0, "data", None, r#"{"px":20,"obj":{"a":1},"gone":"x"}"#),
                event(
                    0,
                    "patch",
                    None,
                    r#"[{"op":"replace","path":"/px","value":21.5},{"op":"replace","path":"/obj","value":2},{"op":"remove","path":"/gone"},{"op":"add","path":"/new","value":1}]"#,
                ),
            ],
        ),
        1_000,
        |_, _| {},
    );
    let olds: Vec<(&str, Option<serde_json::Value>)> = s.sources()[0]
        .changed
        .iter()
        .map(|c| (c.path.as_str(), c.old.clone()))
        .collect();
    assert_eq!(
        olds,
        [
            ("", None),
            ("/px", Some(serde_json::json!(20))),
            ("/obj", None),
            ("/gone", Some(serde_json::json!("x"))),
            ("/new", None),
        ]
    );
}

mod props {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn leaf() -> impl Strategy<Value = Value> {
        prop_oneof![
            Just(Value::Null),
            any::<bool>().prop_map(Value::Bool),
            (-1000i64..1000).prop_map(|n| json!(n)),
            "[a-z~/]{0,4}".prop_map(Value::String),
        ]
    }

    fn doc() -> impl Strategy<Value = Value> {
        leaf().prop_recursive(3, 24, 4, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                proptest::collection::btree_map("[a-c]", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    fn path() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof!["[a-c]", "[0-3]", Just("-".to_owned()), Just("~1".to_owned())],
            0..4,
        )
        .prop_map(|segs| segs.iter().map(|s| format!("/{s}")).collect())
    }

    fn op() -> impl Strategy<Value = Value> {
        (0..7usize, path(), path(), doc()).prop_map(|(k, p, from, v)| match k {
            0 => json!({"op": "add", "path": p, "value": v}),
            1 => json!({"op": "remove", "path": p}),
            2 => json!({"op": "replace", "path": p, "value": v}),
            3 => json!({"op": "move", "from": from, "path": p}),
            4 => json!({"op": "copy", "from": from, "path": p}),
            5 => json!({"op": "test", "path": p, "value": v}),
            _ => json!({"op": "bogus", "path": p}),
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Any patch on any document: no panic; a failing patch leaves the
        /// state exactly as it was and asks for a resync.
        #[test]
        fn patches_never_panic_and_failures_are_atomic(
            start in doc(),
            ops in proptest::collection::vec(op(), 0..6),
        ) {
            let mut s = Store::new(10, &[spec("q", true)], 0);
            s.ingest(batch(0, vec![event(0, "data", None, &start.to_string())]), 0, |_, _| {});
            let patch = Value::Array(ops).to_string();
            let resync = s.ingest(batch(0, vec![event(0, "patch", None, &patch)]), 0, |_, _| {});
            let state = s.sources()[0].state.clone().unwrap();
            if resync.is_some() {
                prop_assert_eq!(state, start);
                prop_assert!(s.sources()[0].out_of_sync);
            } else {
                let mut expected = start.clone();
                let p: json_patch::Patch = serde_json::from_str(&patch).unwrap();
                prop_assert!(json_patch::patch(&mut expected, &p).is_ok());
                prop_assert_eq!(state, expected);
            }
        }

        /// Arbitrary bytes as a patch event: never a panic.
        #[test]
        fn arbitrary_patch_text_never_panics(text in ".{0,200}") {
            let mut s = Store::new(10, &[spec("q", true)], 0);
            s.ingest(batch(0, vec![event(0, "data", None, "{}"), event(0, "patch", None, &text)]), 0, |_, _| {});
        }
    }
}

#[test]
fn a_contract_flags_records_and_counts_drifts_per_type_and_source() {
    let contract = crate::contract::Contract::from_text(
        r#"{"charge": {"type": "object", "required": ["amount"], "properties": {"amount": {"type": "integer"}}}}"#,
        std::path::Path::new("c.json"),
    )
    .unwrap();
    let mut s = Store::new(10, &[spec("a", false)], 0).with_contract(std::sync::Arc::new(contract));
    let mut seen = Vec::new();
    s.ingest(
        batch(
            0,
            vec![
                event(0, "charge", None, r#"{"amount":1}"#),
                event(0, "charge", None, r#"{"amount":"1"}"#),
                event(0, "refund", None, "{}"),
                event(0, "charge", None, "not json"),
            ],
        ),
        1_000,
        |_, e| seen.push(e.drift),
    );
    assert_eq!(seen, [false, true, true, true], "on_event sees the verdict");
    let flags: Vec<bool> = s.records().iter().map(|r| r.drift).collect();
    assert_eq!(flags, [false, true, true, true]);
    assert!(s.records().iter().all(|r| s.view(r).drift == r.drift));
    let charge = s.types().iter().position(|t| &*t.name == "charge").unwrap() as u32;
    let refund = s.types().iter().position(|t| &*t.name == "refund").unwrap() as u32;
    assert_eq!((s.drift_count(charge), s.drift_count(refund)), (2, 1));
    assert_eq!(s.drift_count(99), 0);
    assert_eq!(s.sources()[0].drifts, 3);
    let reasons: Vec<Vec<String>> = s.records().iter().map(|r| s.drift_reasons(r)).collect();
    assert_eq!(
        reasons,
        [
            vec![],
            vec!["/amount: expected integer, got string".to_owned()],
            vec!["type not in the contract".to_owned()],
            vec!["/: expected object, got string".to_owned()],
        ]
    );
}

#[test]
fn the_drift_flag_costs_no_record_space() {
    // The flag sits in what was padding after `json`.
    assert_eq!(std::mem::size_of::<Record>(), 56);
}

#[test]
fn the_clock_is_the_wall_live_and_the_latest_received_in_a_replay() {
    let at = |received: i64| Event {
        received,
        ..event(0, "x", None, "{}")
    };
    let mut store = Store::new(10, &[spec("a", false)], 0);
    store.ingest(batch(0, vec![at(5_000)]), 9_000, |_, _| {});
    assert_eq!(store.clock(9_000), 9_000, "live: the wall clock");
    assert!(!store.is_replay());

    let mut rec = spec("rec", false);
    rec.kind = SourceKind::FileRoute { patched: false };
    let mut store = Store::new(10, &[rec], 0);
    assert!(store.is_replay());
    assert_eq!(store.clock(9_000), 9_000, "before the first event: the wall");
    store.ingest(batch(0, vec![at(5_000), at(4_000)]), 9_000, |_, _| {});
    assert_eq!(store.clock(99_000), 5_000, "replay: the latest received");
    // `tail` only observes events (it buffers none): the clock moves too.
    store.observe(0, &[at(7_000), at(6_000)], None, 9_000);
    assert_eq!(store.clock(99_000), 7_000, "tail's replay: the latest received");
}
