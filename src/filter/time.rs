//! Time terms (SPEC 11.1): `since:DUR`, `until:DUR`, and `received` /
//! `time` compared with `>` `>=` `<` `<=` to an RFC 3339 time or a UTC
//! clock time of today.
//!
//! The filter reads no clock: "now" is whatever the caller last gave
//! [`super::Filter::set_now`] (the unix epoch until then). `since:` and
//! `until:` move with it; a clock time (`14:05`) is resolved against the
//! UTC date of now, so it moves only when that date changes. An RFC 3339
//! time is absolute.
//!
//! Times are compared exactly: a term's time is kept in nanoseconds (an
//! RFC 3339 fraction may be finer than the millisecond evtop keeps), and an
//! event's `received` / `time` (unix milliseconds) is compared with it
//! without rounding either.

use super::{Filter, OrderOp, Test};
use crate::event::EventRef;

/// Milliseconds in a UTC day.
pub(super) const DAY_MS: i64 = 86_400_000;
/// Nanoseconds in a millisecond.
const NS_PER_MS: i128 = 1_000_000;

/// What the `received OP T` / `time OP T` terms expect after the keyword.
const EXPECTED_TIME: &str = "expected an RFC 3339 time with an offset, like `2026-12-02T14:05:00Z` \
     or `2026-12-02T15:05:00.250+01:00`, or a UTC clock time of today, like `14:05`, `14:05:30` or \
     `14:05:30.250`";
/// What `since:` / `until:` expect.
const EXPECTED_DURATION: &str = "expected a duration like `500ms`, `30s`, `5m`, `2h`, `1d` or `1h30m`";

/// The bounds a filter's `since:` / `until:` terms (negated or not) put on
/// `received` at the filter's now: an event outside them fails the filter
/// whatever its other terms say. Both inclusive, unix ms. As now advances
/// both only rise: an event below `min` never matches again, one above
/// `max` may match later (`until:`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// The earliest `received` allowed (`i64::MIN`: no lower bound).
    pub min: i64,
    /// The latest `received` allowed (`i64::MAX`: no upper bound).
    pub max: i64,
}

impl Window {
    /// Whether `received` lies within the bounds.
    pub fn contains(&self, received: i64) -> bool {
        self.min <= received && received <= self.max
    }
}

impl Filter {
    /// Set "now" (unix ms) for the time terms: `since:` and `until:` count
    /// back from it and clock times (`received>=14:05`) fall on its UTC date.
    /// Callers take it from [`crate::store::Store::clock`] (the wall clock,
    /// or a replay's clock). Until it is called, now is the unix epoch.
    pub fn set_now(&mut self, now_ms: i64) {
        self.now = now_ms;
    }

    /// The now last given to [`Filter::set_now`].
    pub fn now(&self) -> i64 {
        self.now
    }

    /// Whether the verdict on an event depends on now: the filter has a
    /// `since:`, an `until:` or a clock-time term.
    pub fn is_relative(&self) -> bool {
        self.terms
            .iter()
            .any(|t| matches!(&t.test, Test::Time(t) if t.is_relative()))
    }

    /// The UTC day (days since the epoch) the clock-time terms fall on at
    /// the current now, or `None` without such terms: when it changes, so
    /// may the verdict on any event.
    pub fn clock_day(&self) -> Option<i64> {
        self.terms
            .iter()
            .any(|t| matches!(&t.test, Test::Time(t) if t.is_clock()))
            .then(|| self.now.div_euclid(DAY_MS))
    }

    /// The bounds the `since:` / `until:` terms put on `received` at the
    /// current now; `None` without such terms. An event matches exactly
    /// when it matches [`Filter::without_window`] and lies in the window.
    pub fn window(&self) -> Option<Window> {
        let mut window: Option<Window> = None;
        for term in &self.terms {
            let Test::Time(t) = &term.test else { continue };
            if !t.is_window() {
                continue;
            }
            let w = window.get_or_insert(Window {
                min: i64::MIN,
                max: i64::MAX,
            });
            match (t, term.negated) {
                (TimeTest::Since(d), false) => w.min = w.min.max(self.now.saturating_sub(*d)),
                (TimeTest::Since(d), true) => {
                    w.max = w.max.min(self.now.saturating_sub(*d).saturating_sub(1))
                }
                (TimeTest::Until(d), false) => w.max = w.max.min(self.now.saturating_sub(*d)),
                (TimeTest::Until(d), true) => {
                    w.min = w.min.max(self.now.saturating_sub(*d).saturating_add(1))
                }
                (TimeTest::Compare { .. }, _) => {}
            }
        }
        window
    }

    /// This filter without its `since:` / `until:` terms (see
    /// [`Filter::window`]); its other terms, text and now are kept.
    pub fn without_window(&self) -> Filter {
        let mut rest = self.clone();
        rest.terms
            .retain(|t| !matches!(&t.test, Test::Time(t) if t.is_window()));
        rest
    }
}

/// One time term, before negation.
#[derive(Debug, Clone)]
pub(super) enum TimeTest {
    /// `since:DUR`: received at or after now − DUR (milliseconds).
    Since(i64),
    /// `until:DUR`: received at or before now − DUR (milliseconds).
    Until(i64),
    /// `received OP T` / `time OP T`.
    Compare {
        /// `time`: the event's own time; `received`: when evtop got it.
        own_time: bool,
        op: OrderOp,
        at: At,
    },
}

/// The time a comparison is made with.
#[derive(Debug, Clone, Copy)]
pub(super) enum At {
    /// An RFC 3339 time: unix nanoseconds.
    Instant(i128),
    /// A clock time: nanoseconds since midnight UTC of now's date.
    Clock(i128),
}

impl TimeTest {
    /// Whether the (un-negated) term holds for `ev` at `now` (unix ms).
    pub(super) fn holds(&self, ev: &EventRef<'_>, now: i64) -> bool {
        match *self {
            TimeTest::Since(d) => ev.received >= now.saturating_sub(d),
            TimeTest::Until(d) => ev.received <= now.saturating_sub(d),
            TimeTest::Compare { own_time, op, at } => {
                let value = if own_time { ev.time } else { Some(ev.received) };
                // An event without a time of its own fails every `time` term.
                value.is_some_and(|ms| op.holds((i128::from(ms) * NS_PER_MS).cmp(&at.resolve(now))))
            }
        }
    }

    /// Whether the verdict depends on now.
    pub(super) fn is_relative(&self) -> bool {
        match self {
            TimeTest::Since(_) | TimeTest::Until(_) => true,
            TimeTest::Compare { at, .. } => matches!(at, At::Clock(_)),
        }
    }

    /// Whether this is a `since:` / `until:` term (a bound on `received`
    /// that moves with now, see [`super::Window`]).
    pub(super) fn is_window(&self) -> bool {
        matches!(self, TimeTest::Since(_) | TimeTest::Until(_))
    }

    /// Whether this compares with a clock time of today.
    pub(super) fn is_clock(&self) -> bool {
        matches!(self, TimeTest::Compare { at: At::Clock(_), .. })
    }
}

impl At {
    /// Unix nanoseconds, a clock time taken on the UTC date of `now`.
    fn resolve(self, now: i64) -> i128 {
        match self {
            At::Instant(ns) => ns,
            At::Clock(ns) => i128::from(now.div_euclid(DAY_MS) * DAY_MS) * NS_PER_MS + ns,
        }
    }
}

/// `since:` / `until:` after the keyword; `keyword` names it in errors.
pub(super) fn duration(text: &str, keyword: &str) -> Result<i64, String> {
    if text.is_empty() {
        return Err(format!(
            "missing duration after `{keyword}:`; {EXPECTED_DURATION}"
        ));
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("{text:?} is not a duration ({e}); {EXPECTED_DURATION}"))?;
    if d.subsec_nanos() % 1_000_000 != 0 {
        return Err(format!(
            "{text:?} is finer than a millisecond, the precision of `received`; {EXPECTED_DURATION}"
        ));
    }
    i64::try_from(d.as_millis()).map_err(|_| format!("{text:?} is too long; {EXPECTED_DURATION}"))
}

/// `received` / `time` after the keyword: an ordering operator and a time.
pub(super) fn compare(text: &str, keyword: &str) -> Result<TimeTest, String> {
    let (op, rest) = if let Some(rest) = text.strip_prefix(">=") {
        (OrderOp::Ge, rest)
    } else if let Some(rest) = text.strip_prefix("<=") {
        (OrderOp::Le, rest)
    } else if let Some(rest) = text.strip_prefix('>') {
        (OrderOp::Gt, rest)
    } else if let Some(rest) = text.strip_prefix('<') {
        (OrderOp::Lt, rest)
    } else {
        let op: String = text.chars().take_while(|c| "=!<>~".contains(*c)).collect();
        return Err(format!(
            "`{keyword}` compares with `>` `>=` `<` `<=` only, not `{op}`; write e.g. `{keyword}>=14:05` \
             or a range, `{keyword}>=14:05 {keyword}<14:06`"
        ));
    };
    if rest.is_empty() {
        return Err(format!(
            "missing time after `{keyword}{}`; {EXPECTED_TIME}",
            op_text(op)
        ));
    }
    let at = if rest.contains(['T', 't', ' ', '-']) {
        At::Instant(rfc3339_nanos(rest).ok_or_else(|| format!("{rest:?} is not a time; {EXPECTED_TIME}"))?)
    } else {
        At::Clock(clock_nanos(rest).ok_or_else(|| format!("{rest:?} is not a time; {EXPECTED_TIME}"))?)
    };
    Ok(TimeTest::Compare {
        own_time: keyword == "time",
        op,
        at,
    })
}

fn op_text(op: OrderOp) -> &'static str {
    match op {
        OrderOp::Gt => ">",
        OrderOp::Ge => ">=",
        OrderOp::Lt => "<",
        OrderOp::Le => "<=",
    }
}

/// An RFC 3339 time (any offset, any fraction) in unix nanoseconds.
fn rfc3339_nanos(text: &str) -> Option<i128> {
    let t = chrono::DateTime::parse_from_rfc3339(text).ok()?;
    Some(i128::from(t.timestamp()) * 1_000_000_000 + i128::from(t.timestamp_subsec_nanos()))
}

/// `H[H]:MM[:SS[.F…]]` (up to nine fraction digits) in nanoseconds since
/// midnight; `None` for anything else or out of range.
fn clock_nanos(text: &str) -> Option<i128> {
    let (main, fraction) = match text.split_once('.') {
        Some((main, f)) => (main, Some(f)),
        None => (text, None),
    };
    let mut parts = main.split(':');
    let (h, m, s) = (parts.next()?, parts.next()?, parts.next());
    if parts.next().is_some() || (fraction.is_some() && s.is_none()) {
        return None;
    }
    let number = |p: &str, len: std::ops::RangeInclusive<usize>, max: i128| {
        (len.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit()))
            .then(|| p.parse::<i128>().ok())
            .flatten()
            .filter(|&n| n <= max)
    };
    let h = number(h, 1..=2, 23)?;
    let m = number(m, 2..=2, 59)?;
    let s = match s {
        Some(s) => number(s, 2..=2, 59)?,
        None => 0,
    };
    let frac_ns = match fraction {
        Some(f) => {
            let digits = number(f, 1..=9, i128::MAX)?;
            digits * 10i128.pow(9 - f.len() as u32)
        }
        None => 0,
    };
    Some(((h * 60 + m) * 60 + s) * 1_000_000_000 + frac_ns)
}
