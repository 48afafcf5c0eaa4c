//! The terms added so that typos are errors and webhook metadata is
//! filterable: `verified:`, `attempt OP N`, `forward:`, the misspelling
//! guard and the not-yet-supported time and drift terms.

use proptest::prelude::*;

use super::event;
use crate::event::{EventRef, Forward, WebhookMeta};
use crate::filter::guard::edit_distance;
use crate::filter::{FILTER_HELP, Filter};

fn delivery(verified: Option<bool>, attempt: u32, forward: Option<u16>) -> WebhookMeta {
    WebhookMeta {
        verified,
        reason: None,
        headers: Default::default(),
        forward: forward.map(|status| Forward { status, ms: 3 }),
        attempt,
    }
}

fn holds(expr: &str, meta: Option<&WebhookMeta>) -> bool {
    let meta = meta.cloned().map(crate::event::Meta::Webhook);
    let ev = EventRef {
        meta: meta.as_ref(),
        ..event("charge")
    };
    Filter::parse(expr)
        .unwrap_or_else(|e| panic!("`{expr}`: {e}"))
        .matches(&ev)
}

#[test]
fn webhook_terms_match_deliveries_and_never_other_events() {
    let ok = delivery(Some(true), 1, Some(200));
    let bad = delivery(Some(false), 3, Some(502));
    let plain = delivery(None, 2, None);
    let cases: &[(&str, [bool; 4])] = &[
        // expr:                       ok     bad    plain  not a webhook
        ("verified:true", [true, false, false, false]),
        ("verified:false", [false, true, false, false]),
        ("verified:none", [false, false, true, false]),
        ("-verified:false", [true, false, true, true]),
        ("attempt>1", [false, true, true, false]),
        ("attempt=1", [true, false, false, false]),
        ("attempt!=1", [false, true, true, false]),
        ("attempt>=3", [false, true, false, false]),
        ("attempt<2", [true, false, false, false]),
        ("attempt<=2", [true, false, true, false]),
        ("-attempt>1", [true, false, false, true]),
        ("forward:2xx", [true, false, false, false]),
        ("forward:5xx", [false, true, false, false]),
        ("forward:502", [false, true, false, false]),
        ("forward:500", [false, false, false, false]),
        ("-forward:5xx", [true, false, true, true]),
        (
            "verified:false attempt>1 forward:5xx",
            [false, true, false, false],
        ),
        ("type:charge.* verified:true", [true, false, false, false]),
    ];
    let mut failures = Vec::new();
    for (expr, want) in cases {
        let got = [
            holds(expr, Some(&ok)),
            holds(expr, Some(&bad)),
            holds(expr, Some(&plain)),
            holds(expr, None),
        ];
        if got != *want {
            failures.push(format!("`{expr}`: got {got:?}, want {want:?}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn webhook_terms_are_not_decided_by_type_and_source_alone() {
    let f = Filter::parse("type:charge.* verified:false").unwrap();
    assert_eq!(f.matches_type_source("charge.x", "hooks"), None);
    assert!(!f.needs_data(), "webhook terms do not read the data");
}

/// `(expression, offending term, reason)`.
const ERRORS: &[(&str, &str, &str)] = &[
    (
        "typ:order.paid",
        "typ:order.paid",
        "unknown prefix `typ:` — did you mean `type:`?",
    ),
    (
        "-sorce:test",
        "-sorce:test",
        "unknown prefix `sorce:` — did you mean `source:`?",
    ),
    (
        "tpye:x",
        "tpye:x",
        "unknown prefix `tpye:` — did you mean `type:`?",
    ),
    (
        "verifed:false",
        "verifed:false",
        "unknown prefix `verifed:` — did you mean `verified:`?",
    ),
    (
        "forwrd:5xx",
        "forwrd:5xx",
        "unknown prefix `forwrd:` — did you mean `forward:`?",
    ),
    (
        "attemt:2",
        "attemt:2",
        "unknown prefix `attemt:` — did you mean `attempt` (written `attempt>…`)?",
    ),
    (
        "Type:x",
        "Type:x",
        "keywords are lower-case: did you mean `type:`?",
    ),
    (
        "attempt:2",
        "attempt:2",
        "`attempt` takes an operator, not `:`: did you mean `attempt=N` or `attempt>N`?",
    ),
    (
        "amount>5",
        "amount>5",
        "a comparison needs a `.path`: did you mean `.amount>5`?",
    ),
    (
        "ok -status=failed",
        "-status=failed",
        "a comparison needs a `.path`: did you mean `.status=failed`?",
    ),
    (
        "type=charge.paid",
        "type=charge.paid",
        "did you mean the keyword `type:…`, or the field `.type=charge.paid`?",
    ),
    (
        "-Source!=x",
        "-Source!=x",
        "did you mean the keyword `source:…`, or the field `.Source!=x`?",
    ),
    (
        "recived>=14:05",
        "recived>=14:05",
        "did you mean the keyword `received>=14:05`, or the field `.recived>=14:05`?",
    ),
    (
        "tme<14:05",
        "tme<14:05",
        "did you mean the keyword `time<14:05`, or the field `.tme<14:05`?",
    ),
    (
        "data.object.amount>=100",
        "data.object.amount>=100",
        "a comparison needs a `.path`: did you mean `.data.object.amount>=100`?",
    ),
    (
        "verified:maybe",
        "verified:maybe",
        "expected `verified:true`, `verified:false` or `verified:none`",
    ),
    (
        "verified:",
        "verified:",
        "expected `verified:true`, `verified:false` or `verified:none`",
    ),
    (
        "attempt>",
        "attempt>",
        "expected an operator and a whole number, like `attempt>1` or `attempt=2`",
    ),
    (
        "attempt>x",
        "attempt>x",
        "expected an operator and a whole number, like `attempt>1` or `attempt=2`",
    ),
    (
        "attempt~1",
        "attempt~1",
        "expected an operator and a whole number, like `attempt>1` or `attempt=2`",
    ),
    (
        "attempt>99999999999",
        "attempt>99999999999",
        "attempt number `99999999999` is too large",
    ),
    (
        "forward:6xx",
        "forward:6xx",
        "expected a status class or code, like `forward:5xx` or `forward:502`",
    ),
    (
        "forward:50",
        "forward:50",
        "expected a status class or code, like `forward:5xx` or `forward:502`",
    ),
];

const DRIFT_ALONE: &str = "`drift` takes no value: write `drift` (events that failed their contract) \
     or `-drift`; to search for the word, quote it: `\"drift\"`";

#[test]
fn typos_are_errors_that_say_what_was_meant() {
    let mut cases: Vec<(&str, &str, &str)> = ERRORS.to_vec();
    for term in ["drift:x", "-drift:true", "drift=1", "Drift:x"] {
        cases.push((term, term, DRIFT_ALONE));
    }
    cases.push(("Drift", "Drift", "keywords are lower-case: did you mean `drift`?"));
    let mut failures = Vec::new();
    for (expr, term, reason) in cases {
        match Filter::parse(expr) {
            Err(e) if e.term == term && e.reason == reason => {}
            Err(e) => failures.push(format!("`{expr}`: got `{}`: {}", e.term, e.reason)),
            Ok(_) => failures.push(format!("`{expr}` parsed but should fail")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn words_that_only_resemble_terms_stay_words() {
    let ev = EventRef {
        data: r#"{"url":"http://x.test/a?b=c","note":"error:timeout a=b drift"}"#,
        ..event("charge")
    };
    for expr in [
        "http://x.test",
        "error:timeout",
        "\"a=b\"",
        "\"drift\"",
        "\"typ:x\"",
        "-\"typ:x\"",
        "evt_1",
        "wow!",
        "->",
        "<=",
        "1>0",
        "id:evt",
        "name:x",
    ] {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("`{expr}` should be a word: {e}"));
        // Each is a word: it holds exactly when its text is in the event.
        let text = expr.trim_start_matches('-').trim_matches('"').to_lowercase();
        let found =
            ev.data.to_lowercase().contains(&text) || ev.ty.contains(&text) || ev.id == Some(text.as_str());
        assert_eq!(f.matches(&ev), found != expr.starts_with('-'), "`{expr}`");
    }
}

#[test]
fn edit_distance_counts_a_transposition_as_one() {
    assert_eq!(edit_distance("type", "type"), 0);
    assert_eq!(edit_distance("typ", "type"), 1);
    assert_eq!(edit_distance("tpye", "type"), 1);
    assert_eq!(edit_distance("sorce", "source"), 1);
    assert_eq!(edit_distance("http", "time"), 4);
    assert_eq!(edit_distance("", "abc"), 3);
}

#[test]
fn the_help_text_names_every_term_and_fits_80_columns() {
    for needle in [
        "type:",
        "source:",
        ".path",
        "verified:",
        "attempt",
        "forward:",
        "-TERM",
        "drift",
        "since:",
        "until:",
        "received>=",
        "time<",
    ] {
        assert!(FILTER_HELP.contains(needle), "help lacks {needle}");
    }
    for line in FILTER_HELP.lines() {
        assert!(line.chars().count() <= 80, "over 80 columns: {line:?}");
    }
    // Every example line in the help parses.
    let examples = FILTER_HELP.split("Examples:\n").nth(1).unwrap();
    for line in examples.lines().take(2) {
        Filter::parse(line.trim()).unwrap_or_else(|e| panic!("example `{line}`: {e}"));
    }
}

proptest! {
    /// Any single-letter slip in a `NAME:` keyword is caught, never a word.
    #[test]
    fn a_one_letter_slip_in_a_keyword_is_an_error(
        keyword in prop::sample::select(vec!["type", "source", "verified", "forward"]),
        at in 0usize..8,
        letter in "[a-z]",
    ) {
        let mut name: Vec<char> = keyword.chars().collect();
        let at = at % name.len();
        name[at] = letter.chars().next().unwrap();
        let name: String = name.into_iter().collect();
        prop_assume!(name != keyword);
        let expr = format!("{name}:x");
        let err = Filter::parse(&expr).unwrap_err();
        prop_assert_eq!(&err.term, &expr);
        prop_assert!(err.reason.contains(&format!("`{keyword}:`")), "{}", err.reason);
    }

    /// Negation is exact for webhook terms on webhook and other events.
    #[test]
    fn webhook_negation_is_exact(
        verified in prop::option::of(any::<bool>()),
        attempt in 1u32..5,
        forward in prop::option::of(prop::sample::select(vec![200u16, 404, 502])),
        webhook in any::<bool>(),
    ) {
        let meta = delivery(verified, attempt, forward);
        let meta = webhook.then_some(&meta);
        for expr in ["verified:true", "verified:none", "attempt>1", "attempt<=2", "forward:5xx", "forward:404"] {
            prop_assert_ne!(holds(expr, meta), holds(&format!("-{expr}"), meta), "{}", expr);
        }
    }
}

#[test]
fn drift_terms_match_the_verdict_and_split_from_the_rest() {
    use crate::filter::DriftRule;
    let clean = event("charge");
    let drifted = EventRef {
        drift: true,
        ..event("charge")
    };
    let f = Filter::parse("drift").unwrap();
    assert!(f.matches(&drifted) && !f.matches(&clean));
    let f = Filter::parse("-drift").unwrap();
    assert!(!f.matches(&drifted) && f.matches(&clean));
    let f = Filter::parse("type:charge drift").unwrap();
    assert_eq!(
        f.decide_type_source("charge", "a"),
        None,
        "drift is not decided by type"
    );
    assert_eq!(f.decide_type_source("other", "a"), Some(false));
    assert_eq!(f.matches_type_source("charge", "a"), None);
    for (expr, want) in [
        ("type:charge", DriftRule::Any),
        ("drift type:charge", DriftRule::Drifted),
        ("-drift", DriftRule::Clean),
        ("drift drift", DriftRule::Drifted),
        ("drift -drift", DriftRule::Never),
    ] {
        let f = Filter::parse(expr).unwrap();
        let (rest, rule) = f.split_drift();
        assert_eq!(rule, want, "{expr}");
        assert!(!rest.has_drift_terms());
        assert_eq!(f.has_drift_terms(), want != DriftRule::Any);
        // The split agrees with the whole filter on every event.
        for ev in [&clean, &drifted, &EventRef { ty: "x", ..drifted }] {
            assert_eq!(f.matches(ev), rest.matches(ev) && rule.allows(ev.drift), "{expr}");
        }
    }
    // Quoted, it is a word.
    let f = Filter::parse("\"drift\"").unwrap();
    assert!(!f.has_drift_terms());
}
