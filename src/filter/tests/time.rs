//! The time terms (SPEC 11.1): `since:`, `until:`, `received OP T`,
//! `time OP T`, at their exact bounds, with `set_now`, and their errors.

use chrono::{DateTime, FixedOffset, TimeZone, Utc};
use proptest::prelude::*;

use super::event;
use crate::event::EventRef;
use crate::filter::{Filter, Window};

/// 2026-12-02T14:05:00Z in unix ms.
const T: i64 = 1_796_220_300_000;
/// 2026-12-02T00:00:00Z.
const MIDNIGHT: i64 = T - (14 * 60 + 5) * 60_000;
/// 2026-12-02T20:00:00Z: "now" for the clock-time tests.
const EVENING: i64 = T + (5 * 60 + 55) * 60_000;

fn at(received: i64, time: Option<i64>) -> EventRef<'static> {
    EventRef {
        received,
        time,
        ..event("charge")
    }
}

/// `expr` at `now` on an event received at `received` with `time`.
fn holds(expr: &str, now: i64, received: i64, time: Option<i64>) -> bool {
    let mut f = Filter::parse(expr).unwrap_or_else(|e| panic!("`{expr}`: {e}"));
    f.set_now(now);
    f.matches(&at(received, time))
}

#[test]
fn the_constants_are_the_times_they_say() {
    assert_eq!(
        Utc.timestamp_millis_opt(T).unwrap().to_rfc3339(),
        "2026-12-02T14:05:00+00:00"
    );
    assert_eq!(
        Utc.timestamp_millis_opt(EVENING).unwrap().to_rfc3339(),
        "2026-12-02T20:00:00+00:00"
    );
}

#[test]
fn since_and_until_hold_at_their_bounds_to_the_millisecond() {
    let now = T;
    // since:5m is received >= now − 5m; until:5m is received <= now − 5m.
    let cases = [
        ("since:5m", now - 300_000, true),
        ("since:5m", now - 300_001, false),
        ("since:5m", now, true),
        ("since:5m", now + 1, true),
        ("until:5m", now - 300_000, true),
        ("until:5m", now - 299_999, false),
        ("until:5m", now - 400_000, true),
        ("since:500ms", now - 500, true),
        ("since:500ms", now - 501, false),
        ("since:1h30m", now - 5_400_000, true),
        ("since:1h30m", now - 5_400_001, false),
        ("since:1d", now - 86_400_000, true),
        ("since:1d", now - 86_400_001, false),
        ("since:30s", now - 30_000, true),
        ("until:2h", now - 7_200_000, true),
        ("until:2h", now - 7_199_999, false),
        // Negation is the exact complement.
        ("-since:5m", now - 300_000, false),
        ("-since:5m", now - 300_001, true),
        ("-until:5m", now - 300_000, false),
        ("-until:5m", now - 299_999, true),
        // A range: between 10 and 5 minutes ago.
        ("since:10m until:5m", now - 600_000, true),
        ("since:10m until:5m", now - 300_000, true),
        ("since:10m until:5m", now - 600_001, false),
        ("since:10m until:5m", now - 299_999, false),
    ];
    for (expr, received, want) in cases {
        assert_eq!(
            holds(expr, now, received, None),
            want,
            "`{expr}` received {}",
            received - now
        );
    }
}

#[test]
fn since_moves_with_now() {
    let mut f = Filter::parse("since:1m").unwrap();
    let ev = at(T, None);
    f.set_now(T + 60_000);
    assert_eq!(f.now(), T + 60_000);
    assert!(f.matches(&ev));
    f.set_now(T + 60_001);
    assert!(!f.matches(&ev), "aged out one millisecond later");
}

#[test]
fn received_compares_with_rfc3339_times_exactly() {
    let cases = [
        ("received>=2026-12-02T14:05:00Z", T, true),
        ("received>=2026-12-02T14:05:00Z", T - 1, false),
        ("received>2026-12-02T14:05:00Z", T, false),
        ("received>2026-12-02T14:05:00Z", T + 1, true),
        ("received<2026-12-02T14:05:00Z", T, false),
        ("received<2026-12-02T14:05:00Z", T - 1, true),
        ("received<=2026-12-02T14:05:00Z", T, true),
        ("received<=2026-12-02T14:05:00Z", T + 1, false),
        // Milliseconds, and finer fractions compared without rounding.
        ("received>=2026-12-02T14:05:00.250Z", T + 250, true),
        ("received>=2026-12-02T14:05:00.250Z", T + 249, false),
        ("received>2026-12-02T14:05:00.0005Z", T, false),
        ("received>2026-12-02T14:05:00.0005Z", T + 1, true),
        ("received<2026-12-02T14:05:00.0005Z", T, true),
        ("received>=2026-12-02T14:05:00.999999999Z", T + 999, false),
        ("received>=2026-12-02T14:05:00.999999999Z", T + 1000, true),
        // Any offset: these are all 14:05:00Z.
        ("received>=2026-12-02T15:05:00+01:00", T, true),
        ("received>=2026-12-02T15:05:00+01:00", T - 1, false),
        ("received<2026-12-02T09:05:00-05:00", T, false),
        ("received<2026-12-02T09:05:00-05:00", T - 1, true),
        ("received>=2026-12-02t14:05:00z", T, true),
        ("received>=\"2026-12-02 14:05:00Z\"", T, true),
        // Negated.
        ("-received>=2026-12-02T14:05:00Z", T, false),
        ("-received>=2026-12-02T14:05:00Z", T - 1, true),
        // The rate chart's window: [14:05:00, 14:05:10).
        (
            "received>=2026-12-02T14:05:00Z received<2026-12-02T14:05:10Z",
            T,
            true,
        ),
        (
            "received>=2026-12-02T14:05:00Z received<2026-12-02T14:05:10Z",
            T + 9_999,
            true,
        ),
        (
            "received>=2026-12-02T14:05:00Z received<2026-12-02T14:05:10Z",
            T + 10_000,
            false,
        ),
    ];
    for (expr, received, want) in cases {
        // Absolute times do not depend on now.
        for now in [0, T, EVENING] {
            assert_eq!(
                holds(expr, now, received, None),
                want,
                "`{expr}` at {}",
                received - T
            );
        }
    }
}

#[test]
fn a_clock_time_is_today_in_utc() {
    let cases = [
        ("received>=14:05", T, true),
        ("received>=14:05", T - 1, false),
        ("received>=14:05:00", T, true),
        ("received<14:05:30", T + 29_999, true),
        ("received<14:05:30", T + 30_000, false),
        ("received>14:05:30.250", T + 30_250, false),
        ("received>14:05:30.250", T + 30_251, true),
        ("received<=14:05:30.2505", T + 30_250, true),
        ("received<=14:05:30.2505", T + 30_251, false),
        ("received>=9:00", T, true),
        ("received>=09:00", T, true),
        ("received>=00:00", MIDNIGHT, true),
        ("received>=00:00", MIDNIGHT - 1, false),
        ("received<=23:59:59.999", MIDNIGHT + 86_399_999, true),
        ("received<=23:59:59.999", MIDNIGHT + 86_400_000, false),
        // Yesterday's 14:05 is not today's.
        ("received>=14:05", T - 86_400_000, false),
    ];
    for (expr, received, want) in cases {
        assert_eq!(
            holds(expr, EVENING, received, None),
            want,
            "`{expr}` at {}",
            received - T
        );
    }
    // The next day, the same clock time is a day later.
    assert!(!holds("received>=14:05", EVENING + 86_400_000, T, None));
    assert!(holds(
        "received>=14:05",
        EVENING + 86_400_000,
        T + 86_400_000,
        None
    ));
}

#[test]
fn time_compares_the_events_own_time_and_fails_without_one() {
    let own = Some(T);
    assert!(holds("time>=2026-12-02T14:05:00Z", 0, 0, own));
    assert!(!holds("time>2026-12-02T14:05:00Z", 0, 0, own));
    assert!(holds("time<14:05:00.001", EVENING, 0, own));
    // `received` is not `time`.
    assert!(!holds("time>=2026-12-02T14:05:00Z", 0, T, Some(T - 1)));
    assert!(holds("received>=2026-12-02T14:05:00Z", 0, T, Some(T - 1)));
    // Without a time of its own, every `time` comparison fails, and its
    // negation holds.
    for op in [">", ">=", "<", "<="] {
        let expr = format!("time{op}2026-12-02T14:05:00Z");
        assert!(!holds(&expr, EVENING, T, None), "`{expr}`");
        assert!(holds(&format!("-{expr}"), EVENING, T, None), "`-{expr}`");
    }
}

#[test]
fn relative_terms_say_so() {
    for (expr, relative) in [
        ("", false),
        ("type:x .a>1", false),
        ("since:5m", true),
        ("-until:1h", true),
        ("received>=14:05", true),
        ("time<9:00", true),
        ("received>=2026-12-02T14:05:00Z", false),
        ("time<2026-12-02T14:05:00Z", false),
    ] {
        assert_eq!(Filter::parse(expr).unwrap().is_relative(), relative, "`{expr}`");
    }
    let mut f = Filter::parse("received>=14:05").unwrap();
    f.set_now(EVENING);
    assert_eq!(f.clock_day(), Some(T / 86_400_000));
    assert_eq!(Filter::parse("since:5m").unwrap().clock_day(), None);
}

#[test]
fn the_window_is_what_since_and_until_allow() {
    let window = |expr: &str| {
        let mut f = Filter::parse(expr).unwrap();
        f.set_now(T);
        f.window()
    };
    assert_eq!(window("type:x received>=14:05"), None);
    assert_eq!(
        window("since:5m"),
        Some(Window {
            min: T - 300_000,
            max: i64::MAX
        })
    );
    assert_eq!(
        window("since:10m until:5m -since:6m"),
        Some(Window {
            min: T - 600_000,
            max: T - 360_001
        })
    );
    assert_eq!(
        window("-until:1s"),
        Some(Window {
            min: T - 999,
            max: i64::MAX
        })
    );
    // The window and the rest are the whole filter.
    let mut f = Filter::parse("since:10m -until:5m type:charge.*").unwrap();
    f.set_now(T);
    let (rest, w) = (f.without_window(), f.window().unwrap());
    assert!(!rest.is_relative());
    assert_eq!(rest.source_text(), f.source_text());
    for received in (T - 700_000..T).step_by(7_919) {
        let ev = at(received, None);
        assert_eq!(f.matches(&ev), rest.matches(&ev) && w.contains(received));
    }
}

#[test]
fn bad_time_terms_say_what_is_expected() {
    const DURATION: &str = "expected a duration like `500ms`, `30s`, `5m`, `2h`, `1d` or `1h30m`";
    const TIME: &str = "expected an RFC 3339 time with an offset, like `2026-12-02T14:05:00Z` \
         or `2026-12-02T15:05:00.250+01:00`, or a UTC clock time of today, like `14:05`, `14:05:30` or \
         `14:05:30.250`";
    let ops = |k: &str, op: &str| {
        format!(
            "`{k}` compares with `>` `>=` `<` `<=` only, not `{op}`; write e.g. `{k}>=14:05` \
             or a range, `{k}>=14:05 {k}<14:06`"
        )
    };
    let cases: Vec<(&str, &str, String)> =
        vec![
        ("since:", "since:", format!("missing duration after `since:`; {DURATION}")),
        ("-until:", "-until:", format!("missing duration after `until:`; {DURATION}")),
        (
            "since:5",
            "since:5",
            format!("\"5\" is not a duration (time unit needed, for example 5sec or 5ms); {DURATION}"),
        ),
        (
            "since:fast",
            "since:fast",
            format!("\"fast\" is not a duration (expected number at 0); {DURATION}"),
        ),
        (
            "until:10us",
            "until:10us",
            format!("\"10us\" is finer than a millisecond, the precision of `received`; {DURATION}"),
        ),
        ("received=14:05", "received=14:05", ops("received", "=")),
        ("received!=14:05", "received!=14:05", ops("received", "!=")),
        ("time~14", "time~14", ops("time", "~")),
        ("-time=x", "-time=x", ops("time", "=")),
        ("received>=", "received>=", format!("missing time after `received>=`; {TIME}")),
        ("time<", "time<", format!("missing time after `time<`; {TIME}")),
        ("received>=25:00", "received>=25:00", format!("\"25:00\" is not a time; {TIME}")),
        ("received>=14:60", "received>=14:60", format!("\"14:60\" is not a time; {TIME}")),
        ("received>=14:5", "received>=14:5", format!("\"14:5\" is not a time; {TIME}")),
        ("received>=14", "received>=14", format!("\"14\" is not a time; {TIME}")),
        ("received>=14:05.5", "received>=14:05.5", format!("\"14:05.5\" is not a time; {TIME}")),
        (
            "received>=14:05:00.1234567891",
            "received>=14:05:00.1234567891",
            format!("\"14:05:00.1234567891\" is not a time; {TIME}"),
        ),
        (
            "received>=2026-12-02T14:05:00",
            "received>=2026-12-02T14:05:00",
            format!("\"2026-12-02T14:05:00\" is not a time; {TIME}"),
        ),
        (
            "received>=2026-12-02",
            "received>=2026-12-02",
            format!("\"2026-12-02\" is not a time; {TIME}"),
        ),
        (
            "time<2026-13-02T14:05:00Z",
            "time<2026-13-02T14:05:00Z",
            format!("\"2026-13-02T14:05:00Z\" is not a time; {TIME}"),
        ),
        (
            "Time>14:05",
            "Time>14:05",
            "keywords are lower-case: did you mean `time`?".to_owned(),
        ),
        (
            "RECEIVED<14:05",
            "RECEIVED<14:05",
            "keywords are lower-case: did you mean `received`?".to_owned(),
        ),
        (
            "Since:5m",
            "Since:5m",
            "keywords are lower-case: did you mean `since:`?".to_owned(),
        ),
        (
            "time:14:05",
            "time:14:05",
            "`time` takes an operator, not `:`: did you mean `time>=14:05` or `time<2026-12-02T14:05:00Z`?"
                .to_owned(),
        ),
        (
            "sinse:5m",
            "sinse:5m",
            "unknown prefix `sinse:` — did you mean `since:`?".to_owned(),
        ),
        (
            "recieved:1",
            "recieved:1",
            "unknown prefix `recieved:` — did you mean `received` (written `received>…`)?".to_owned(),
        ),
    ];
    let mut failures = Vec::new();
    for (expr, term, reason) in cases {
        match Filter::parse(&format!("type:x {expr}")) {
            Err(e) if e.term == term && e.reason == reason => {}
            Err(e) => failures.push(format!("`{expr}`: got `{}`: {}", e.term, e.reason)),
            Ok(_) => failures.push(format!("`{expr}` parsed but should fail")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn words_and_fields_named_like_time_stay_what_they_were() {
    // `.received` is a field of the data; `timeout` and `"since:5m"` are words.
    let ev = EventRef {
        data: r#"{"received":"2020-01-01","time":3,"note":"since:5m timeout"}"#,
        ..at(T, None)
    };
    for expr in [
        ".received<2021",
        ".time=3",
        "timeout",
        "\"since:5m\"",
        "\"time>1\"",
        "times",
    ] {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("`{expr}`: {e}"));
        assert!(!f.is_relative(), "`{expr}`");
        assert_eq!(
            f.matches(&ev),
            expr != "\"time>1\"" && expr != "times",
            "`{expr}`"
        );
    }
}

/// An RFC 3339 text for unix ms `ms` plus `extra_ns`, at `offset_min`.
fn rfc3339(ms: i64, extra_ns: u32, offset_min: i32) -> String {
    let offset = FixedOffset::east_opt(offset_min * 60).unwrap();
    let t: DateTime<FixedOffset> =
        offset.timestamp_millis_opt(ms).unwrap() + chrono::Duration::nanoseconds(i64::from(extra_ns));
    t.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, false)
}

proptest! {
    /// `received OP T` agrees with chrono's own ordering of the two
    /// instants, for any offset and fraction.
    #[test]
    fn received_comparisons_agree_with_chrono(
        received in T - 200_000_000..T + 200_000_000,
        delta in -3_000i64..3_000,
        extra_ns in prop::sample::select(vec![0u32, 1, 500_000, 999_999]),
        offset_min in -14 * 60..14 * 60i32,
        op in prop::sample::select(vec![">", ">=", "<", "<="]),
    ) {
        let text = rfc3339(received + delta, extra_ns, offset_min);
        let at = DateTime::parse_from_rfc3339(&text).unwrap();
        let ev_at = Utc.timestamp_millis_opt(received).unwrap();
        let want = match op {
            ">" => ev_at > at,
            ">=" => ev_at >= at,
            "<" => ev_at < at,
            _ => ev_at <= at,
        };
        prop_assert_eq!(holds(&format!("received{op}{text}"), 0, received, None), want, "{}", text);
        prop_assert_eq!(holds(&format!("time{op}{text}"), 0, 0, Some(received)), want, "{}", text);
    }

    /// A clock time is that time on now's UTC date, as chrono says.
    #[test]
    fn clock_times_agree_with_chrono(
        now in T - 10 * 86_400_000..T + 10 * 86_400_000,
        received in T - 11 * 86_400_000..T + 11 * 86_400_000,
        secs in 0u32..86_400,
        millis in 0u32..1000,
    ) {
        let text = format!("{:02}:{:02}:{:02}.{millis:03}", secs / 3600, secs / 60 % 60, secs % 60);
        let day = Utc.timestamp_millis_opt(now).unwrap().date_naive();
        let at = day.and_time(chrono::NaiveTime::parse_from_str(&text, "%H:%M:%S%.f").unwrap()).and_utc();
        let want = Utc.timestamp_millis_opt(received).unwrap() >= at;
        prop_assert_eq!(holds(&format!("received>={text}"), now, received, None), want);
    }
}
