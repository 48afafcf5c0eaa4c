//! Property tests: parsing never panics and blames a real term; matching
//! never panics on any data; negation is exact.

use proptest::prelude::*;

use super::event;
use crate::event::EventRef;
use crate::filter::Filter;

/// Valid filters of every kind, for the property tests.
const FILTERS: &[&str] = &[
    "type:a*",
    "source:?x",
    "word",
    "\"two words\"",
    ".a=1",
    ".a=x",
    ".a=",
    ".a!=null",
    ".a.b>1",
    ".a.0<=z",
    ".a[1].b>=2.5",
    ".\"x.y\"<b",
    ".a~^[0-9]+$",
    ".a~\"\"",
];

/// Arbitrary JSON values, a few levels deep, over a small set of keys so that
/// the filters' paths sometimes hit.
fn json_value() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_map(|f| json!(f)),
        "[a-z0-9 .:-]{0,8}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 32, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::btree_map("a|b|0|1|x.y", inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn parse_never_panics_and_reports_a_real_term(expr in any::<String>()) {
        check_parse(&expr)?;
    }

    #[test]
    fn parse_never_panics_on_filter_like_text(
        expr in r#"-?(type:|source:|\.)?[a-z0-9 .\[\]"\\=!<>~*?(){}:-]{0,24}"#,
    ) {
        check_parse(&expr)?;
    }

    #[test]
    fn matches_never_panics_on_arbitrary_data(data in any::<String>(), json in any::<bool>()) {
        let ev = EventRef { data: &data, json, ..event("charge") };
        for expr in FILTERS {
            let plain = Filter::parse(expr).unwrap().matches(&ev);
            let negated = Filter::parse(&format!("-{expr}")).unwrap().matches(&ev);
            prop_assert_ne!(plain, negated, "`{}` on {:?}", expr, data);
        }
    }

    #[test]
    fn negation_is_exact_on_json_data(value in json_value()) {
        let data = value.to_string();
        let ev = EventRef { data: &data, json: true, ..event("charge") };
        for expr in FILTERS {
            let plain = Filter::parse(expr).unwrap().matches(&ev);
            let negated = Filter::parse(&format!("-{expr}")).unwrap().matches(&ev);
            prop_assert_ne!(plain, negated, "`{}` on {}", expr, data);
        }
        for (eq, ne) in [(".a=1", ".a!=1"), (".a.b=x", ".a.b!=x"), (".0=", ".0!=")] {
            let a = Filter::parse(eq).unwrap().matches(&ev);
            let b = Filter::parse(ne).unwrap().matches(&ev);
            prop_assert_ne!(a, b, "`{}` vs `{}` on {}", eq, ne, data);
        }
    }
}

/// A parse either succeeds keeping the trimmed text, or fails naming a
/// non-empty piece of the input.
fn check_parse(expr: &str) -> Result<(), TestCaseError> {
    match Filter::parse(expr) {
        Ok(f) => {
            prop_assert_eq!(
                f.source_text(),
                expr.trim_matches(|c: char| c.is_ascii_whitespace())
            );
        }
        Err(e) => {
            prop_assert!(!e.term.is_empty());
            prop_assert!(expr.contains(&e.term), "{:?} not in {:?}", e.term, expr);
            prop_assert!(!e.reason.is_empty());
        }
    }
    Ok(())
}
