//! Time filters in the feed (SPEC 11.1): `since:` / `until:` stay true as
//! the clock moves, without re-matching the buffer; clock times follow the
//! UTC date; a replay's clock is its latest `received`.

use proptest::prelude::*;

use super::fixture::{self, T0};
use super::*;
use crate::config::{FileOptions, SourceKind, SourceSpec, Speed};

/// What the feed must show: every buffered event the filter, taken at the
/// store's clock, and the type selection let through.
fn expected(app: &App) -> Vec<u64> {
    let mut f = app.filter.clone();
    f.set_now(app.store.clock(app.now));
    let first = app.store.first_seq();
    app.store
        .records()
        .iter()
        .enumerate()
        .filter(|(_, r)| app.types.visible(r.ty) && f.matches(&app.store.view(r)))
        .map(|(i, _)| first + i as u64)
        .collect()
}

fn shown(app: &App) -> Vec<u64> {
    app.feed.seqs.iter().copied().collect()
}

/// An app of one live source holding events received at `T0 + offset`,
/// with the wall clock at `now`.
fn live(offsets: &[i64], ty: impl Fn(usize) -> &'static str, now: i64) -> App {
    let specs = [fixture::spec("a", false)];
    let mut app = App::new(Store::new(10_000, &specs, T0), Filter::default(), false, now);
    let events = offsets
        .iter()
        .enumerate()
        .map(|(i, &d)| fixture::event(0, ty(i), None, &format!("{{\"i\":{i}}}"), T0 + d))
        .collect();
    app.ingest([SourceMsg::Events {
        source: 0,
        events,
        cursor: None,
    }]);
    app
}

fn set_filter(app: &mut App, text: &str) {
    app.filter = Filter::parse(text).unwrap();
    app.refilter();
}

fn at(app: &mut App, now: i64) -> bool {
    app.now = now;
    app.advance_clock()
}

#[test]
fn a_since_filter_drops_events_as_the_clock_advances() {
    let offsets: Vec<i64> = (0..10).map(|i| i * 1000).collect();
    let mut app = live(&offsets, |_| "t", T0 + 9000);
    set_filter(&mut app, "since:5s");
    // received >= now − 5 s: the events at 4 s … 9 s.
    assert_eq!(shown(&app), [4, 5, 6, 7, 8, 9]);
    assert!(!at(&mut app, T0 + 9000), "the same clock: no frame needed");
    assert!(at(&mut app, T0 + 9500), "the event at 4 s left");
    assert_eq!(shown(&app), [5, 6, 7, 8, 9]);
    assert!(!at(&mut app, T0 + 9900), "nothing aged out: no frame needed");
    assert!(at(&mut app, T0 + 14_000));
    assert_eq!(shown(&app), [9], "the event at 9 s is exactly 5 s old");
    assert!(at(&mut app, T0 + 14_001));
    assert!(shown(&app).is_empty());
    assert!(app.feed.rebuilding(&app.store).is_none());
    // A new event joins as usual.
    app.ingest([SourceMsg::Events {
        source: 0,
        events: vec![fixture::event(0, "t", None, "{}", T0 + 14_001)],
        cursor: None,
    }]);
    assert_eq!(shown(&app), [10]);
}

#[test]
fn an_until_filter_lets_events_in_as_they_age() {
    let offsets: Vec<i64> = (0..10).map(|i| i * 1000).collect();
    let mut app = live(&offsets, |i| if i % 2 == 0 { "even" } else { "odd" }, T0 + 9000);
    set_filter(&mut app, "type:even until:5s");
    // received <= now − 5 s, even ones: 0, 2, 4.
    assert_eq!(shown(&app), [0, 2, 4]);
    assert!(at(&mut app, T0 + 12_999));
    assert_eq!(shown(&app), [0, 2, 4, 6]);
    assert!(at(&mut app, T0 + 13_000));
    assert_eq!(shown(&app), [0, 2, 4, 6, 8]);
    // Paused, the arrivals are counted as new.
    app.feed.pause();
    app.filter = Filter::parse("until:5s").unwrap();
    app.refilter();
    let before = app.feed.seqs.len();
    assert!(at(&mut app, T0 + 14_000));
    assert_eq!(app.feed.seqs.len(), before + 1);
    assert_eq!(app.feed.new_since_pause, 1);
}

#[test]
fn a_clock_going_back_or_a_new_day_re_matches_the_buffer() {
    let mut app = live(&[0, 1000, 2000], |_| "t", T0 + 2000);
    set_filter(&mut app, "since:1s");
    assert_eq!(shown(&app), [1, 2]);
    assert!(at(&mut app, T0 + 500));
    assert_eq!(shown(&app), [0, 1, 2], "the wall clock stepped back");
    // T0 is 10:00 UTC: `received>=09:59` holds today, not tomorrow.
    set_filter(&mut app, "received>=09:59");
    assert_eq!(shown(&app), [0, 1, 2]);
    assert!(at(&mut app, T0 + 86_400_000));
    assert!(shown(&app).is_empty(), "the next day, 09:59 is a day later");
}

#[test]
fn in_a_replay_now_is_the_latest_received_replayed() {
    let spec = SourceSpec {
        kind: SourceKind::File(FileOptions {
            path: "rec.ndjson".into(),
            follow: false,
            speed: Speed(0.0),
            routes: vec![],
            patched: false,
        }),
        ..fixture::spec("rec", false)
    };
    let wall = T0 + 86_400_000 * 30;
    let mut app = App::new(
        Store::new(100, &[spec], wall),
        Filter::parse("since:2s").unwrap(),
        false,
        wall,
    );
    assert!(app.store.is_replay());
    for i in 0..5 {
        app.ingest([SourceMsg::Events {
            source: 0,
            events: vec![fixture::event(0, "t", None, "{}", T0 + i * 1000)],
            cursor: None,
        }]);
        let _ = at(&mut app, wall + i);
        assert_eq!(shown(&app), expected(&app));
    }
    // The clock is the event at 4 s, a month before the wall clock.
    assert_eq!(shown(&app), [2, 3, 4]);
}

/// Filters with moving bounds, alone and with other terms.
const RELATIVE: &[&str] = &[
    "since:3s",
    "until:2s",
    "since:5s until:1s",
    "-since:2s",
    "-until:3s",
    "type:a since:4s",
    "since:4s -type:a",
    "until:1s .i>3",
    "since:2s -since:1s",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever the order events arrive in, the clock's steps (back ones
    /// included) and the pauses, the feed is what matching the whole
    /// buffer at the current clock gives.
    #[test]
    fn the_feed_stays_what_a_full_match_gives(
        filter in prop::sample::select(RELATIVE.to_vec()),
        batches in prop::collection::vec(
            (prop::collection::vec((-3_000i64..3_000, any::<bool>()), 0..20), -500i64..2_500),
            1..12,
        ),
        capacity in prop::sample::select(vec![8usize, 10_000]),
    ) {
        let specs = [fixture::spec("s", false)];
        let mut app = App::new(Store::new(capacity, &specs, T0), Filter::parse(filter).unwrap(), false, T0);
        let mut now = T0;
        let mut n = 0;
        for (events, step) in batches {
            now += step;
            app.now = now;
            let events = events
                .into_iter()
                .map(|(d, a)| {
                    n += 1;
                    fixture::event(0, if a { "a" } else { "b" }, None, &format!("{{\"i\":{}}}", n % 7), now + d)
                })
                .collect();
            app.ingest([SourceMsg::Events { source: 0, events, cursor: None }]);
            prop_assert_eq!(shown(&app), expected(&app), "after ingest at {}", now - T0);
            now += step / 2;
            let _ = at(&mut app, now);
            prop_assert_eq!(shown(&app), expected(&app), "after a tick at {}", now - T0);
        }
    }
}
