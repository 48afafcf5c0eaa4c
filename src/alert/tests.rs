//! The evaluator with time passed in, at its bounds.

use std::time::Duration;

use super::*;
use crate::event::EventRef;

const T0: i64 = 1_800_000_000_000;

fn spec(name: &str, when: &str, rule: Rule) -> AlertSpec {
    AlertSpec {
        name: name.into(),
        when: Filter::parse(when).unwrap(),
        rule,
        notify: Notify::default(),
        exec: None,
    }
}

fn rate(op: RateOp, count: u64, secs: u64) -> Rule {
    Rule::Rate {
        op,
        count,
        window: Duration::from_secs(secs),
    }
}

fn ev<'a>(source: &'a str, ty: &'a str, id: &'a str, received: i64) -> EventRef<'a> {
    EventRef {
        source,
        id: Some(id),
        ty,
        time: None,
        received,
        data: "{\"amount\":1}",
        json: true,
        meta: None,
        drift: false,
    }
}

fn all_live(_: u16) -> bool {
    true
}

#[test]
fn rate_fires_above_its_count_and_resolves_when_the_window_slides_past() {
    let mut a = Alerts::new(
        &[spec("fails", "type:charge.failed", rate(RateOp::Gt, 5, 60))],
        &["s"],
        T0,
    );
    for i in 0..5 {
        a.observe(&ev("s", "charge.failed", "x", T0 + i * 100), T0 + i * 100);
        a.observe(&ev("s", "ping", "p", T0 + i * 100), T0 + i * 100);
    }
    a.evaluate(T0 + 500, all_live);
    assert!(a.drain().is_empty(), "5 is not more than 5");
    a.observe(&ev("s", "charge.failed", "x", T0 + 999), T0 + 999);
    a.evaluate(T0 + 999, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1);
    assert!(c[0].firing);
    assert_eq!(c[0].value, Some(6));
    assert_eq!(c[0].line(), "alert: fails firing: 6 in 1m");
    assert_eq!(a.entries()[0].state, State::Firing);
    // The events of second T0 stay in the window through second T0+59 …
    a.evaluate(T0 + 59_999, all_live);
    assert!(a.drain().is_empty());
    // … and leave it at T0+60 s.
    a.evaluate(T0 + 60_000, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1);
    assert!(!c[0].firing);
    assert_eq!(c[0].line(), "alert: fails resolved");
    assert_eq!(c[0].value, Some(0));
    assert_eq!(a.history().len(), 2);
}

#[test]
fn a_low_rate_rule_waits_for_a_whole_window_then_fires_below_its_count() {
    let mut a = Alerts::new(&[spec("few", "", rate(RateOp::Lt, 2, 10))], &["s"], T0);
    a.evaluate(T0 + 9_999, all_live);
    assert!(a.drain().is_empty(), "not judged before a whole window");
    a.evaluate(T0 + 10_000, all_live);
    let c = a.drain();
    assert_eq!((c.len(), c[0].value), (1, Some(0)));
    a.observe(&ev("s", "a", "1", T0 + 10_500), T0 + 10_500);
    a.observe(&ev("s", "a", "2", T0 + 10_600), T0 + 10_600);
    a.evaluate(T0 + 10_600, all_live);
    let c = a.drain();
    assert_eq!((c.len(), c[0].firing, c[0].value), (1, false, Some(2)));
}

#[test]
fn ge_and_le_hold_at_their_count() {
    assert!(RateOp::Ge.holds(5, 5) && !RateOp::Gt.holds(5, 5));
    assert!(RateOp::Le.holds(5, 5) && !RateOp::Lt.holds(5, 5));
}

#[test]
fn silent_counts_only_live_time_of_its_watched_sources() {
    let specs = [spec(
        "quiet",
        "source:pay type:charge.*",
        Rule::Silent(Duration::from_secs(120)),
    )];
    let mut a = Alerts::new(&specs, &["other", "pay"], T0);
    let mut pay_live = false;
    // 10 minutes with `pay` down (and `other` live): nothing counts.
    for s in 0..=600 {
        a.evaluate(T0 + s * 1000, |id| id == 0 || (id == 1 && pay_live));
    }
    assert!(a.drain().is_empty());
    pay_live = true;
    a.evaluate(T0 + 600_000, |id| id == 0 || (id == 1 && pay_live));
    a.evaluate(T0 + 719_999, |id| id == 0 || (id == 1 && pay_live));
    assert!(a.drain().is_empty(), "119.999 s live is not 2 minutes");
    a.evaluate(T0 + 720_000, |id| id == 0 || (id == 1 && pay_live));
    let c = a.drain();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].value, Some(120));
    assert_eq!(c[0].line(), "alert: quiet firing: silent for 2m");
    // An event of another source or type does not end it; a matching one does.
    a.observe(&ev("other", "charge.failed", "o", T0 + 721_000), T0 + 721_000);
    a.observe(&ev("pay", "ping", "p", T0 + 721_000), T0 + 721_000);
    a.evaluate(T0 + 721_000, all_live);
    assert!(a.drain().is_empty());
    a.observe(&ev("pay", "charge.failed", "c", T0 + 722_000), T0 + 722_000);
    a.evaluate(T0 + 722_000, all_live);
    let c = a.drain();
    assert_eq!((c.len(), c[0].firing), (1, false));
    // Counting starts again from the event.
    a.evaluate(T0 + 841_999, all_live);
    assert!(a.drain().is_empty());
    a.evaluate(T0 + 842_000, all_live);
    assert_eq!(a.drain().len(), 1);
}

#[test]
fn a_late_evaluation_says_when_the_silence_reached_its_bound() {
    let mut a = Alerts::new(&[spec("q", "", Rule::Silent(Duration::from_secs(2)))], &["s"], T0);
    a.evaluate(T0, all_live);
    // A loaded machine: the next evaluation comes 3.5 s later.
    a.evaluate(T0 + 3_500, all_live);
    let c = a.drain();
    assert_eq!((c[0].value, c[0].at), (Some(2), T0 + 2_000));
    assert_eq!(c[0].line(), "alert: q firing: silent for 2s");
    a.evaluate(T0 + 10_000, all_live);
    assert_eq!(
        a.entries()[0].text,
        "silent for 10s",
        "the view follows the silence"
    );
}

#[test]
fn silent_without_source_terms_watches_every_source() {
    let mut a = Alerts::new(
        &[spec("q", "type:x", Rule::Silent(Duration::from_secs(1)))],
        &["a", "b"],
        T0,
    );
    a.evaluate(T0, |id| id == 1);
    a.evaluate(T0 + 1000, |id| id == 1);
    assert_eq!(a.drain().len(), 1, "b is watched and live");
    let mut none = Alerts::new(
        &[spec("q", "source:zzz", Rule::Silent(Duration::from_secs(1)))],
        &["a"],
        T0,
    );
    none.evaluate(T0, all_live);
    none.evaluate(T0 + 5000, all_live);
    assert!(none.drain().is_empty(), "it watches no source, so none is live");
}

#[test]
fn each_fires_per_event_never_resolves_and_folds_a_flood_into_a_count() {
    let mut a = Alerts::new(&[spec("big", ".amount>=1", Rule::Each)], &["s"], T0);
    a.observe(&ev("s", "charge", "evt_1", T0), T0);
    a.evaluate(T0 + 100_000, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].line(), "alert: big firing: charge evt_1 from s");
    assert_eq!(c[0].value, None);
    a.observe(&ev("s", "charge", "evt_2", T0), T0);
    let c = a.drain();
    assert_eq!(c[0].events.len(), 1, "its own event only");
    assert!(c[0].events[0].contains("\"evt_2\""));
    assert_eq!(a.entries()[0].state, State::Fired);
    assert!(a.entries()[0].showing(T0 + FIRED_SHOWN_MS - 1));
    assert!(!a.entries()[0].showing(T0 + FIRED_SHOWN_MS));
    let n = eval::PENDING_MAX + 50;
    for i in 0..n {
        a.observe(&ev("s", "charge", "e", T0 + i as i64), T0);
    }
    let c = a.drain();
    assert_eq!(c.len(), eval::PENDING_MAX);
    a.evaluate(T0, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1);
    assert_eq!(c[0].text, "50 more matching events, not reported one by one");
    assert_eq!(a.entries()[0].fired, 2 + n as u64 + 1);
    assert!(a.history().len() <= HISTORY_LEN);
}

#[test]
fn changes_carry_at_most_ten_recent_events_as_json() {
    let mut a = Alerts::new(&[spec("any", "", rate(RateOp::Ge, 16, 60))], &["s"], T0);
    let ids: Vec<String> = (0..15).map(|i| format!("evt_{i}")).collect();
    for id in &ids {
        a.observe(&ev("s", "t", id, T0), T0);
    }
    assert!(a.drain().is_empty(), "15 is not 16");
    let big = "x".repeat(RECENT_EVENT_BYTES + 1);
    let mut large = ev("s", "t", "evt_big", T0);
    large.data = &big;
    large.json = false;
    a.observe(&large, T0);
    a.observe(&ev("s", "t", "evt_after", T0), T0);
    a.evaluate(T0, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1, "fired once, by the 16th event");
    let v: serde_json::Value = serde_json::from_str(&c[0].json()).unwrap();
    assert_eq!(v["alert"], "any");
    assert_eq!(v["state"], "firing");
    assert_eq!(v["value"], 16);
    assert_eq!(v["text"], "16 in 1m");
    let events = v["events"].as_array().unwrap();
    assert_eq!(events.len(), RECENT_EVENTS);
    assert_eq!(events[0]["id"], "evt_6");
    assert_eq!(events[8]["id"], "evt_14");
    assert_eq!(events[8]["data"]["amount"], 1);
    assert_eq!(events[9]["id"], "evt_big");
    assert!(events[9]["data"].as_str().unwrap().contains("too large"));
}

#[test]
fn an_external_report_is_a_firing_with_its_own_line_and_event() {
    let mut a = Alerts::new(&[], &[], T0);
    assert!(a.is_empty());
    let id = a.register("reconcile", "stripe webhooks".into(), Notify::default(), None, T0);
    let e = ev("stripe", "charge.failed", "evt_9", T0);
    a.report(id, "not delivered evt_9".into(), Some(&e), T0 + 5);
    let c = a.drain();
    assert_eq!(c[0].line(), "reconcile: stripe webhooks: not delivered evt_9");
    let v: serde_json::Value = serde_json::from_str(&c[0].json()).unwrap();
    assert_eq!(v["value"], serde_json::Value::Null);
    assert_eq!(v["events"][0]["id"], "evt_9");
    assert_eq!(a.entries()[0].state, State::Fired);
    assert_eq!(a.entries()[0].describe(), "reported by reconcile");
}

#[test]
fn the_window_forgets_what_leaves_it_and_ignores_what_is_older() {
    let mut w = window::Window::new(3, T0);
    w.add(T0 - 3000);
    assert_eq!(w.count(T0), 0, "older than the window");
    w.add(T0 - 2000);
    w.add(T0);
    w.add(T0 + 999);
    assert_eq!(w.count(T0 + 999), 3);
    assert_eq!(w.count(T0 + 1000), 2);
    assert_eq!(w.count(T0 + 2999), 2);
    assert_eq!(w.count(T0 + 3000), 0);
    w.add(T0 + 10 * 60_000);
    assert_eq!(w.count(T0), 1, "never moves back while it holds events");
    assert_eq!(w.len_secs(), 3);
    // Empty, it moves back to a replay's clock.
    let mut w = window::Window::new(3, T0);
    assert_eq!(w.count(T0 - 86_400_000), 0);
    w.add(T0 - 86_400_000);
    assert_eq!(w.count(T0 - 86_400_000 + 2_999), 1);
    assert_eq!(w.count(T0 - 86_400_000 + 3_000), 0);
}

#[test]
fn alerts_made_at_the_wall_clock_follow_a_replay_into_the_past() {
    let day = 86_400_000;
    let specs = [
        spec("many", "type:f", rate(RateOp::Gt, 1, 10)),
        spec("few", "type:f", rate(RateOp::Lt, 1, 10)),
    ];
    let mut a = Alerts::new(&specs, &["s"], T0);
    a.evaluate(T0, all_live);
    for i in 0..2 {
        a.observe(&ev("s", "f", "x", T0 - day + i), T0 - day + i);
    }
    a.evaluate(T0 - day + 1, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 1, "{c:?}");
    assert_eq!((c[0].name.as_str(), c[0].value), ("many", Some(2)));
    a.evaluate(T0 - day + 20_000, all_live);
    let c = a.drain();
    let what: Vec<(&str, bool)> = c.iter().map(|c| (c.name.as_str(), c.firing)).collect();
    assert_eq!(
        what,
        [("many", false), ("few", true)],
        "a whole window after the replay's start"
    );
}

#[test]
fn rate_and_silent_texts_parse_with_reasons() {
    assert_eq!(
        parse_rate("> 5/1m").unwrap(),
        (RateOp::Gt, 5, Duration::from_secs(60))
    );
    assert_eq!(parse_rate(">=0/1h").unwrap().0, RateOp::Ge);
    assert_eq!(
        parse_rate(" <= 3 / 30s ").unwrap(),
        (RateOp::Le, 3, Duration::from_secs(30))
    );
    assert!(parse_rate("5/1m").unwrap_err().contains("does not start with"));
    assert!(parse_rate("> 5").unwrap_err().contains("no /WINDOW"));
    assert!(parse_rate("> x/1m").unwrap_err().contains("not a whole count"));
    assert!(parse_rate("> 5/1h1s").unwrap_err().contains("from 1s to 1h"));
    assert!(parse_rate("> 5/1500ms").unwrap_err().contains("whole seconds"));
    assert!(parse_rate("< 0/1m").unwrap_err().contains("never hold"));
    assert_eq!(parse_silent("2m").unwrap(), Duration::from_secs(120));
    assert!(parse_silent("0s").is_err());
    assert_eq!(fmt_secs(90), "1m30s");
    assert_eq!(rate(RateOp::Gt, 5, 60).describe(), "rate > 5/1m");
}

#[test]
fn time_terms_in_when_count_back_from_the_clock_passed_in() {
    let mut a = Alerts::new(&[spec("recent", "type:x since:10s", Rule::Each)], &["s"], T0);
    a.observe(&ev("s", "x", "old", T0 - 10_001), T0);
    a.observe(&ev("s", "x", "edge", T0 - 10_000), T0);
    a.observe(&ev("s", "x", "new", T0 - 1), T0);
    let ids: Vec<String> = a.drain().iter().map(|c| c.text.clone()).collect();
    assert_eq!(ids, ["x edge from s", "x new from s"]);
}

#[test]
fn a_burst_inside_one_batch_is_judged_when_its_second_closes() {
    // A fast replay: 6 failures in second 0 and one 20 s later arrive in
    // one batch; the only evaluation is at its end.
    let mut a = Alerts::new(&[spec("f", "type:f", rate(RateOp::Gt, 5, 10))], &["s"], T0);
    for i in 0..6 {
        a.observe(&ev("s", "f", "x", T0 + i * 100), T0 + i * 100);
    }
    a.observe(&ev("s", "f", "late", T0 + 20_000), T0 + 20_000);
    a.evaluate(T0 + 20_000, all_live);
    let c = a.drain();
    assert_eq!(c.len(), 2, "{c:?}");
    assert_eq!((c[0].firing, c[0].value, c[0].at), (true, Some(6), T0 + 500));
    assert_eq!((c[1].firing, c[1].value, c[1].at), (false, Some(1), T0 + 20_000));
}

#[test]
fn a_firing_text_is_cut_at_its_bound() {
    let mut a = Alerts::new(&[spec("e", "", Rule::Each)], &["s"], T0);
    let long = "x".repeat(10_000);
    a.observe(&ev("s", "t", &long, T0), T0);
    let c = a.drain();
    assert_eq!(c[0].text.chars().count(), eval::MAX_TEXT_CHARS + 1);
    assert!(c[0].text.ends_with('…'));
    assert_eq!(a.history()[0].text, c[0].text);
}
