//! The smaller public methods, and when the data gets parsed.

use super::event;
use crate::event::EventRef;
use crate::filter::{Filter, LazyData};

#[test]
fn source_text_is_the_trimmed_expression() {
    let f = Filter::parse("  type:ping   \"a  b\" \n").unwrap();
    assert_eq!(f.source_text(), "type:ping   \"a  b\"");
    assert!(!f.is_empty());
}

#[test]
fn needs_data_only_for_word_and_field_terms() {
    let cases = [
        ("", false),
        ("type:ping source:x -type:a -source:b", false),
        ("word", true),
        ("-word", true),
        (".a=1", true),
        ("type:ping -.a=1", true),
    ];
    for (expr, want) in cases {
        assert_eq!(Filter::parse(expr).unwrap().needs_data(), want, "`{expr}`");
    }
}

#[test]
fn matches_type_source_decides_without_data_when_it_can() {
    let f = |e: &str| Filter::parse(e).unwrap();
    assert_eq!(f("").matches_type_source("any", "thing"), Some(true));
    let types = f("type:charge.* type:ping -type:charge.failed source:stripe*");
    assert_eq!(
        types.matches_type_source("charge.succeeded", "stripe"),
        Some(true)
    );
    assert_eq!(types.matches_type_source("PING", "Stripe-test"), Some(true));
    assert_eq!(types.matches_type_source("charge.failed", "stripe"), Some(false));
    assert_eq!(types.matches_type_source("ping", "github"), Some(false));
    assert_eq!(types.matches_type_source("batch", "stripe"), Some(false));
    assert_eq!(
        f("-source:github").matches_type_source("x", "github"),
        Some(false)
    );
    assert_eq!(f("type:ping word").matches_type_source("ping", "s"), None);
    assert_eq!(f("-.a=1 type:ping").matches_type_source("batch", "s"), None);
    // Whenever it decides, it agrees with `matches` on every fixture.
    for expr in [
        "type:charge.* -source:stripe",
        "-type:ping source:github source:poller",
    ] {
        let filter = f(expr);
        for name in ["charge", "failed", "ping", "batch", "nested"] {
            let ev = event(name);
            assert_eq!(
                filter.matches_type_source(ev.ty, ev.source),
                Some(filter.matches(&ev)),
                "`{expr}` on {name}"
            );
        }
    }
}

/// How many times evaluating `expr` on `ev` parsed the data.
fn parses(expr: &str, ev: &EventRef<'_>) -> usize {
    let filter = Filter::parse(expr).unwrap();
    let mut data = LazyData::new(ev);
    filter.eval(ev, &mut data);
    data.parses
}

#[test]
fn data_is_parsed_lazily_and_at_most_once() {
    let charge = event("charge");
    assert_eq!(parses(".status=ok .amount>1 .items.0.price=5 -.x=1", &charge), 1);
    assert_eq!(parses("ok -timeout type:charge.*", &charge), 0);
    // The type term fails first, so the field term is never reached.
    assert_eq!(parses(".status=ok type:ping", &charge), 0);
    // A failing word term is checked before the field term.
    assert_eq!(parses(".status=ok nowhere-to-be-found", &charge), 0);
    // Non-JSON data is never handed to the parser.
    assert_eq!(parses(".status=ok", &event("ping")), 0);
}

#[test]
fn filter_is_clone_debug_send_sync() {
    fn assert_traits<T: Clone + std::fmt::Debug + Send + Sync>(t: &T) -> T {
        t.clone()
    }
    let original = Filter::parse("type:charge.* .amount>1000 -upstream").unwrap();
    let copy = assert_traits(&original);
    assert_eq!(copy.source_text(), original.source_text());
    assert!(copy.matches(&event("charge")));
    assert!(!copy.matches(&event("ping")));
    assert!(format!("{copy:?}").contains("type:charge.* .amount>1000 -upstream"));
}
