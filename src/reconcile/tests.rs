//! The reconciler with time passed in: exact findings at the deadline
//! bounds, either order of the two sides, the backlog, redeliveries, the
//! forgetting and the cap, and a long run of millions of ids in bounded
//! memory.

use super::*;
use crate::config::parse_config;

/// `within` of the test pairing, ms.
const WITHIN: i64 = 2_000;
/// The listed source's poll interval, ms.
const INTERVAL: i64 = 1_000;
/// The listed (poll) source's id and the webhook source's.
const LISTED: SourceId = 0;
const HOOKS: SourceId = 1;
/// When the test reconciler starts (a whole second).
const START: i64 = 1_800_000_000_000;

fn config() -> crate::config::Config {
    let text = "[[source]]\nname = \"stripe\"\nkind = \"poll\"\npreset = \"stripe\"\nurl = \"http://127.0.0.1:1/v1/events\"\ninterval = \"1s\"\n\
                [[source]]\nname = \"hooks\"\nkind = \"webhook\"\nlisten = \"8787\"\n\
                [[reconcile]]\nname = \"stripe webhooks\"\nlisted = \"stripe\"\ndelivered = \"hooks\"\nwithin = \"2s\"\n";
    parse_config(text, "test", &|_| None).unwrap()
}

/// A reconciler at [`START`] keeping at most `cap` ids, the listed
/// source's backlog already sent (an empty one) unless `backlog`.
fn reconciler(cap: usize, backlog: bool) -> Reconcile {
    let c = config();
    let mut r = Reconcile::with_cap(&c.reconcile, &c.sources, START, cap);
    if !backlog {
        assert!(
            r.observe(&SourceMsg::CaughtUp { source: LISTED }, START)
                .is_empty()
        );
    }
    r
}

fn ev(source: SourceId, id: &str, time: Option<i64>) -> Event {
    Event {
        source,
        id: Some(id.to_owned()),
        ty: "charge.succeeded".into(),
        time,
        received: 0,
        data: "{}".into(),
        json: Some(true),
        meta: None,
    }
}

fn batch(source: SourceId, ids: &[&str]) -> SourceMsg {
    SourceMsg::Events {
        source,
        events: ids.iter().map(|id| ev(source, id, None)).collect(),
        cursor: None,
    }
}

/// The findings as `(missing, id)` pairs.
fn pairs(found: &[Finding]) -> Vec<(Missing, &str)> {
    found.iter().map(|f| (f.missing, &*f.id)).collect()
}

#[test]
fn a_listed_id_delivered_exactly_at_the_deadline_is_in_time_one_ms_later_is_not_delivered() {
    let mut r = reconciler(MAX_IDS, false);
    r.observe(&batch(LISTED, &["evt_a", "evt_b"]), START + 1_000);
    assert!(r.tick(START + 1_000 + WITHIN).is_empty(), "the deadline itself");
    assert!(
        r.observe(&batch(HOOKS, &["evt_a"]), START + 1_000 + WITHIN)
            .is_empty()
    );
    let found = r.tick(START + 1_000 + WITHIN + 1);
    assert_eq!(pairs(&found), [(Missing::NotDelivered, "evt_b")]);
    assert_eq!(found[0].source, LISTED, "marked on the listed event");
    assert_eq!(
        r.line(&found[0]),
        "reconcile: stripe webhooks: not delivered evt_b"
    );
    assert!(r.tick(START + 60_000).is_empty(), "reported once");
    let c = r.pairings()[0].counts();
    assert_eq!((c.matched, c.not_delivered, c.not_listed), (1, 1, 0));
}

#[test]
fn a_delivery_listed_exactly_at_the_deadline_is_in_time_one_ms_later_is_not_listed() {
    let mut r = reconciler(MAX_IDS, false);
    r.observe(&batch(HOOKS, &["evt_x", "evt_y"]), START + 500);
    assert!(
        r.observe(&batch(LISTED, &["evt_x"]), START + 500 + WITHIN)
            .is_empty()
    );
    // No tick in between: the next observation judges the passed deadline.
    let found = r.observe(&batch(LISTED, &["evt_y"]), START + 500 + WITHIN + 1);
    assert_eq!(pairs(&found), [(Missing::NotListed, "evt_y")]);
    assert_eq!(found[0].source, HOOKS);
    assert_eq!(r.line(&found[0]), "reconcile: stripe webhooks: not listed evt_y");
    let c = r.pairings()[0].counts();
    assert_eq!((c.matched, c.late, c.not_listed), (1, 1, 1), "{c:?}");
}

#[test]
fn either_order_matches_and_the_findings_do_not_depend_on_it() {
    let run = |delivered_first: bool| {
        let mut r = reconciler(MAX_IDS, false);
        let mut found = Vec::new();
        let (first, second) = if delivered_first {
            (HOOKS, LISTED)
        } else {
            (LISTED, HOOKS)
        };
        found.extend(r.observe(&batch(first, &["evt_1", "evt_2", "evt_3"]), START + 100));
        found.extend(r.observe(&batch(second, &["evt_2"]), START + 900));
        found.extend(r.observe(&batch(second, &["evt_1"]), START + 1_900));
        found.extend(r.tick(START + 10_000));
        let c = r.pairings()[0].counts();
        (
            pairs(&found)
                .into_iter()
                .map(|(_, id)| id.to_owned())
                .collect::<Vec<_>>(),
            c.matched,
        )
    };
    assert_eq!(run(true), (vec!["evt_3".to_owned()], 2));
    assert_eq!(run(false), run(true));
}

#[test]
fn the_backlog_is_not_reconciled_but_its_deliveries_match() {
    let mut r = reconciler(MAX_IDS, true);
    // The first poll lists what was there before the start.
    r.observe(&batch(LISTED, &["evt_old1", "evt_old2"]), START + 200);
    r.observe(&SourceMsg::CaughtUp { source: LISTED }, START + 200);
    // Stripe retries an old event's delivery: it is listed (backlog), so
    // no finding; a delivery of an event created before the start that
    // the backlog did not show is not reconciled either.
    let old = SourceMsg::Events {
        source: HOOKS,
        events: vec![
            ev(HOOKS, "evt_old2", None),
            ev(HOOKS, "evt_older", Some(START - 1)),
        ],
        cursor: None,
    };
    r.observe(&old, START + 300);
    // Created in the start's own second: reconciled.
    let fresh = SourceMsg::Events {
        source: HOOKS,
        events: vec![ev(HOOKS, "evt_now", Some(START))],
        cursor: None,
    };
    r.observe(&fresh, START + 400);
    r.observe(&batch(LISTED, &["evt_new"]), START + 1_200);
    let found = r.tick(START + 20_000);
    assert_eq!(
        pairs(&found),
        [
            (Missing::NotListed, "evt_now"),
            (Missing::NotDelivered, "evt_new")
        ]
    );
    let c = r.pairings()[0].counts();
    assert_eq!((c.backlog, c.matched), (3, 1), "{c:?}");
}

#[test]
fn a_redelivery_is_not_a_new_delivery() {
    let mut r = reconciler(MAX_IDS, false);
    r.observe(&batch(HOOKS, &["evt_r"]), START + 100);
    r.observe(&batch(HOOKS, &["evt_r"]), START + 1_100);
    r.observe(&batch(HOOKS, &["evt_r"]), START + 2_000);
    let found = r.tick(START + 2_200);
    assert_eq!(pairs(&found), [(Missing::NotListed, "evt_r")]);
    // A redelivery of a matched id, and a second listing, are nothing.
    r.observe(&batch(HOOKS, &["evt_m"]), START + 2_300);
    r.observe(&batch(LISTED, &["evt_m"]), START + 2_400);
    r.observe(&batch(HOOKS, &["evt_m"]), START + 2_500);
    r.observe(&batch(LISTED, &["evt_m"]), START + 2_600);
    assert!(r.tick(START + 4_400).is_empty());
    let c = r.pairings()[0].counts();
    assert_eq!((c.delivered, c.repeated, c.matched, c.not_listed), (5, 4, 1, 1));
}

#[test]
fn ids_are_forgotten_within_plus_the_interval_after_they_were_first_seen() {
    let mut r = reconciler(MAX_IDS, false);
    r.observe(&batch(LISTED, &["evt_f"]), START);
    r.observe(&batch(HOOKS, &["evt_f"]), START + 10);
    r.tick(START + WITHIN + INTERVAL);
    assert_eq!(r.pairings()[0].kept(), 1, "not yet: the bound itself");
    r.tick(START + WITHIN + INTERVAL + 1);
    assert_eq!(r.pairings()[0].kept(), 0);
    assert_eq!(r.pairings()[0].counts().forgotten, 1);
}

#[test]
fn a_clock_stepping_back_stands_still() {
    let mut r = reconciler(MAX_IDS, false);
    r.observe(&batch(LISTED, &["evt_a"]), START + 5_000);
    // The wall clock steps back an hour: evt_b counts as listed at +5 s.
    r.observe(&batch(LISTED, &["evt_b"]), START - 3_600_000);
    let found = r.tick(START + 5_000 + WITHIN + 1);
    assert_eq!(
        pairs(&found),
        [(Missing::NotDelivered, "evt_a"), (Missing::NotDelivered, "evt_b")]
    );
}

#[test]
fn ids_without_an_id_or_too_long_are_counted_not_kept_and_lines_are_inert() {
    let mut r = reconciler(MAX_IDS, false);
    let mut no_id = ev(HOOKS, "x", None);
    no_id.id = None;
    let long = "e".repeat(MAX_ID_BYTES + 1);
    let msg = SourceMsg::Events {
        source: HOOKS,
        events: vec![no_id, ev(HOOKS, &long, None), ev(HOOKS, "evt_\u{1b}[2J", None)],
        cursor: None,
    };
    r.observe(&msg, START);
    let c = r.pairings()[0].counts();
    assert_eq!((c.no_id, c.unusable, r.pairings()[0].kept()), (1, 1, 1));
    let found = r.tick(START + WITHIN + 1);
    assert_eq!(
        r.line(&found[0]),
        "reconcile: stripe webhooks: not listed evt_␛[2J"
    );
}

#[test]
fn at_the_cap_the_oldest_ids_are_dropped_and_counted() {
    let mut r = reconciler(3, false);
    r.observe(&batch(LISTED, &["a", "b", "c", "d", "e"]), START);
    let p = &r.pairings()[0];
    assert_eq!((p.kept(), p.counts().dropped, p.waiting()), (3, 2, 3));
    let found = r.tick(START + WITHIN + 1);
    assert_eq!(
        pairs(&found),
        [
            (Missing::NotDelivered, "c"),
            (Missing::NotDelivered, "d"),
            (Missing::NotDelivered, "e")
        ]
    );
    assert_eq!(r.pairings()[0].waiting(), 0);
}

/// Millions of ids at 10,000 a second, each listed and delivered except one
/// in 1,000 of each side: the findings are exactly the missing ones, and
/// what is kept never passes the rate × (within + interval) it must hold
/// (30,000 here), the rest forgotten and counted.
#[test]
fn a_long_run_of_millions_of_ids_stays_bounded_with_exact_findings() {
    const IDS: u64 = 2_000_000;
    const PER_MS: u64 = 10;
    let mut r = reconciler(MAX_IDS, false);
    let mut found = Vec::new();
    let mut most_kept = 0;
    let id = |n: u64| format!("evt_{n:010}");
    for n in 0..IDS {
        let now = START + (n / PER_MS) as i64;
        let events = |source: SourceId, n: u64| SourceMsg::Events {
            source,
            events: vec![ev(source, &id(n), None)],
            cursor: None,
        };
        if n % 1000 != 7 {
            found.extend(r.observe(&events(HOOKS, n), now));
        }
        // The list shows each event a poll later than its delivery.
        if n >= 10_000 && (n - 10_000) % 1000 != 500 {
            found.extend(r.observe(&events(LISTED, n - 10_000), now));
        }
        if n % 10_000 == 0 {
            found.extend(r.tick(now));
            most_kept = most_kept.max(r.pairings()[0].kept());
        }
    }
    let end = START + (IDS / PER_MS) as i64;
    found.extend(r.tick(end + WITHIN + INTERVAL + 1));
    let c = r.pairings()[0].counts();
    let window = (WITHIN + INTERVAL) as usize * PER_MS as usize;
    assert!(most_kept <= window + 10_000, "kept {most_kept}");
    assert_eq!(r.pairings()[0].kept(), 0, "everything forgotten at the end");
    assert_eq!(c.dropped, 0);
    // Undelivered: n ≡ 7 (mod 1000) among those listed; unlisted: the
    // ones never listed (n ≡ 500, and the last 10,000 never listed).
    let not_delivered = found
        .iter()
        .filter(|f| f.missing == Missing::NotDelivered)
        .count() as u64;
    let not_listed = found.iter().filter(|f| f.missing == Missing::NotListed).count() as u64;
    assert_eq!(not_delivered, (IDS - 10_000) / 1000);
    assert_eq!(not_listed, (IDS - 10_000) / 1000 + 10_000 - 10);
    assert_eq!(c.forgotten, c.listed + c.delivered - c.matched - c.repeated);
    assert!(found.iter().all(|f| {
        let n: u64 = f.id[4..].parse().unwrap();
        match f.missing {
            Missing::NotDelivered => n % 1000 == 7,
            Missing::NotListed => n % 1000 == 500 || n >= IDS - 10_000,
        }
    }));
}

/// The same run over a cap smaller than the window: never more than the
/// cap kept, and every id dropped counted.
#[test]
fn a_rate_over_the_cap_keeps_the_cap_and_counts_the_drops() {
    const CAP: usize = 5_000;
    let mut r = reconciler(CAP, false);
    for n in 0..1_000_000u64 {
        let msg = batch(HOOKS, &[&format!("evt_{n}")]);
        r.observe(&msg, START + (n / 10) as i64);
        assert!(r.pairings()[0].kept() <= CAP);
    }
    let c = r.pairings()[0].counts();
    assert_eq!(c.dropped + c.forgotten + r.pairings()[0].kept() as u64, 1_000_000);
    assert!(c.dropped > 900_000, "{c:?}");
}
