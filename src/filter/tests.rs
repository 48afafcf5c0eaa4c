//! Tests of the filter language. Here: tables of expressions against fixed
//! events, one test per behaviour. `errors` holds the table of bad
//! expressions with their exact messages, `api` the smaller methods and the
//! lazy parsing, `props` the property tests.

mod api;
mod errors;
mod props;
mod terms;
mod time;

use super::Filter;
use crate::event::{EventRef, is_json};

/// A Stripe-like charge with one field of every JSON kind.
const CHARGE_DATA: &str = r#"{
    "status": "ok", "amount": 1200, "currency": "usd",
    "data": {"object": {"amount": 1500, "email": "Ann@acme.com"}},
    "items": [{"price": 5}, {"price": 7.5}, {"price": "12"}],
    "note": "", "flag": true, "none": null, "big": 9007199254740993,
    "a.b": {"c": 1}, "0": "zero-key", "weird key": "spaced", "quote\"d": "q",
    "created": "2024-05-01T10:00:00Z", "code": "10", "version": "v2",
    "obj": {"b": 2, "a": [1, "x"]}, "arr": [1, 2], "ratio": 0.25,
    "msg": "Timeout after 30s"
}"#;

/// The fixed events the tables refer to by name.
fn event(name: &str) -> EventRef<'static> {
    let (ty, source, id, data) = match name {
        "charge" => ("charge.succeeded", "stripe", Some("evt_1"), CHARGE_DATA),
        "failed" => (
            "charge.failed",
            "Stripe-Test",
            Some("EVT_2"),
            r#"{"status":"failed","amount":1200.0,"code":"9","created":"2023-12-31T23:59:59Z"}"#,
        ),
        "ping" => ("ping", "github", None, "not json: upstream TIMEOUT"),
        "batch" => ("batch", "poller", Some("b-7"), r#"[{"id":1},{"id":2}]"#),
        "nested" => (
            "invoice.paid",
            "stripe",
            Some("in_1"),
            r#"{"matrix":[[1,2],[3,4]],"status":"paid"}"#,
        ),
        other => panic!("no fixture named {other}"),
    };
    EventRef {
        source,
        id,
        ty,
        time: None,
        received: 0,
        data,
        json: is_json(data),
        meta: None,
        drift: false,
    }
}

/// Check every `(expression, fixture, expected)` row; report all failures.
fn check(cases: &[(&str, &str, bool)]) {
    let mut failures = Vec::new();
    for &(expr, fixture, want) in cases {
        match Filter::parse(expr) {
            Ok(f) if f.matches(&event(fixture)) == want => {}
            Ok(_) => failures.push(format!("`{expr}` on {fixture}: expected {want}")),
            Err(e) => failures.push(format!("`{expr}` did not parse: {e}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn empty_expression_matches_everything() {
    for expr in ["", "   ", "\t \n"] {
        let f = Filter::parse(expr).unwrap();
        assert!(f.is_empty(), "`{expr}` should have no terms");
        assert_eq!(f.source_text(), "");
        for name in ["charge", "ping", "batch"] {
            assert!(f.matches(&event(name)), "`{expr}` should match {name}");
        }
    }
}

#[test]
fn type_globs_match_whole_type_case_insensitively() {
    check(&[
        ("type:charge.succeeded", "charge", true),
        ("type:CHARGE.Succeeded", "charge", true),
        ("type:charge", "charge", false),
        ("type:charge.*", "charge", true),
        ("type:charge.*", "ping", false),
        ("type:*", "ping", true),
        ("type:*.succeeded", "charge", true),
        ("type:charge*", "charge", true),
        ("type:ping*", "ping", true),
        ("type:p?ng", "ping", true),
        ("type:p?ng", "charge", false),
        ("type:pi?ng", "ping", false),
        ("type:*succ*", "charge", true),
        ("type:charge.succeede", "charge", false),
        // Regex syntax in a glob is literal.
        ("type:charge.succeeded|ping", "ping", false),
        ("type:ch.rge.*", "charge", false),
        // Quoted wildcards are literal characters.
        ("type:\"charge.*\"", "charge", false),
        ("type:\"ping\"", "ping", true),
    ]);
}

#[test]
fn positive_type_terms_are_or_ed_and_the_group_is_and_ed() {
    check(&[
        ("type:ping type:charge.*", "ping", true),
        ("type:ping type:charge.*", "charge", true),
        ("type:ping type:charge.*", "batch", false),
        ("type:ping type:charge.* source:github", "charge", false),
        ("type:ping type:charge.* source:github", "ping", true),
        ("type:ping type:charge.* timeout", "ping", true),
        ("type:ping type:charge.* timeout", "failed", false),
    ]);
}

#[test]
fn source_globs_match_and_are_or_ed() {
    check(&[
        ("source:stripe", "charge", true),
        ("source:STRIPE", "charge", true),
        ("source:stripe", "failed", false),
        ("source:stripe*", "failed", true),
        ("source:stripe source:github", "ping", true),
        ("source:stripe source:github", "charge", true),
        ("source:stripe source:github", "batch", false),
        ("source:stripe type:ping", "charge", false),
        ("source:stripe type:ping type:charge.*", "charge", true),
    ]);
}

#[test]
fn negated_type_and_source_terms_are_and_ed_not_grouped() {
    check(&[
        ("-type:ping", "ping", false),
        ("-type:ping", "charge", true),
        // `type:charge.* -type:charge.failed`: charges except failures.
        ("type:charge.* -type:charge.failed", "charge", true),
        ("type:charge.* -type:charge.failed", "failed", false),
        // If negated terms joined the OR group, this would match everything.
        ("type:ping -type:charge.*", "charge", false),
        ("type:ping -type:charge.*", "batch", false),
        ("-type:ping -type:batch", "batch", false),
        ("-type:ping -type:batch", "charge", true),
        ("-source:stripe*", "failed", false),
        ("-source:stripe*", "ping", true),
        ("source:github -source:git*", "ping", false),
    ]);
}

#[test]
fn field_equality_by_kind() {
    check(&[
        (".status=ok", "charge", true),
        (".status=OK", "charge", false),
        (".status=failed", "failed", true),
        // Numbers compare numerically with the value.
        (".amount=1200", "charge", true),
        (".amount=1200", "failed", true),
        (".amount=1200.0", "charge", true),
        (".amount=1.2e3", "charge", true),
        (".amount=1201", "charge", false),
        (".amount=abc", "charge", false),
        (".ratio=0.25", "charge", true),
        // Integers beyond f64 precision compare exactly.
        (".big=9007199254740993", "charge", true),
        (".big=9007199254740992", "charge", false),
        // Strings compare exactly, even when they look numeric.
        (".code=10", "charge", true),
        (".code=10.0", "charge", false),
        (".code=1", "charge", false),
        // Booleans and null compare with their literals.
        (".flag=true", "charge", true),
        (".flag=false", "charge", false),
        (".flag=1", "charge", false),
        (".none=null", "charge", true),
        (".none=", "charge", false),
        // The empty value means the empty string.
        (".note=", "charge", true),
        (".note=\"\"", "charge", true),
        (".status=", "charge", false),
        // Objects and arrays compare as compact JSON with the keys in the
        // order of the document (serde_json's `preserve_order`, which the
        // state view needs too).
        (".arr=[1,2]", "charge", true),
        (".arr=\"[1, 2]\"", "charge", false),
        (r#".obj="{\"a\":[1,\"x\"],\"b\":2}""#, "charge", false),
        (r#".obj="{\"b\":2,\"a\":[1,\"x\"]}""#, "charge", true),
        // Unquoted, the inner quotes are quoting, not text.
        (r#".obj={"a":[1,"x"],"b":2}"#, "charge", false),
        (".data.object.amount=1500", "charge", true),
        (".data.object.amount=1200", "charge", false),
    ]);
}

#[test]
fn not_equal_is_the_exact_negation_of_equal() {
    check(&[
        (".status!=ok", "charge", false),
        (".status!=failed", "charge", true),
        (".amount!=1200.0", "charge", false),
        (".note!=", "charge", false),
        (".status!=", "charge", true),
        // A missing field or non-JSON data: `!=` holds.
        (".missing!=x", "charge", true),
        (".status!=ok", "ping", true),
        (".flag!=true", "charge", false),
    ]);
}

#[test]
fn ordering_is_numeric_for_numbers_and_lexicographic_for_strings() {
    check(&[
        (".amount>1000", "charge", true),
        (".amount>1200", "charge", false),
        (".amount>=1200", "charge", true),
        (".amount>=1200.5", "charge", false),
        (".amount<1200.5", "charge", true),
        (".amount<=1200", "failed", true),
        (".amount<1200", "failed", false),
        (".amount>-5", "charge", true),
        (".data.object.amount>1000", "charge", true),
        (".big>9007199254740992", "charge", true),
        // A numeric string compares numerically with a numeric value:
        // "10" > 9 although "10" < "9" as text.
        (".code>9", "charge", true),
        (".code<9", "failed", false),
        (".code>=9", "failed", true),
        // A non-numeric value makes a string compare as text.
        (".code>9a", "charge", false),
        (".version>v10", "charge", true),
        // RFC 3339 times order lexicographically.
        (".created>2024-01-01T00:00:00Z", "charge", true),
        (".created>2024-01-01T00:00:00Z", "failed", false),
        (".created<=2024-05-01T10:00:00Z", "charge", true),
        (".created<2024-05-01T10:00:00Z", "charge", false),
        // A number against a non-numeric value, and other kinds: false.
        (".amount>abc", "charge", false),
        (".amount<abc", "charge", false),
        (".flag>a", "charge", false),
        (".none<z", "charge", false),
        (".obj>a", "charge", false),
        (".arr<z", "charge", false),
    ]);
}

#[test]
fn regex_searches_the_field_text() {
    check(&[
        (r".data.object.email~@acme\.com$", "charge", true),
        (r".data.object.email~^ann@", "charge", false),
        (r".data.object.email~(?i)^ann@", "charge", true),
        (".status~k", "charge", true),
        (".status~^ok$", "charge", true),
        (".status~^o$", "charge", false),
        // Non-strings are searched as compact JSON.
        (".amount~^12", "charge", true),
        (".amount~^1200$", "charge", true),
        (".flag~^true$", "charge", true),
        (".none~null", "charge", true),
        (r#".obj~"\"a\":\[1,\"x\"\]}$""#, "charge", true),
        (r".arr~^\[1,2\]$", "charge", true),
        // Quoted regexes keep their backslashes and may hold spaces.
        (r#".msg~"^Timeout after \d+s$""#, "charge", true),
        (".missing~.", "charge", false),
        (".status~.", "ping", false),
    ]);
}

#[test]
fn paths_index_arrays() {
    check(&[
        (".items.0.price=5", "charge", true),
        (".items[0].price=5", "charge", true),
        (".items.1.price=7.5", "charge", true),
        (".items[1].price>7", "charge", true),
        (".items[2].price>10", "charge", true),
        (".items.3.price!=5", "charge", true),
        (".items.3.price=5", "charge", false),
        (".items.x.price=5", "charge", false),
        (".[1].id=2", "batch", true),
        (".0.id=1", "batch", true),
        (".[0].id=2", "batch", false),
        (".matrix[1][0]=3", "nested", true),
        (".matrix.1.1=4", "nested", true),
        (".matrix[1].0=3", "nested", true),
        // A quoted digit segment is only an object key.
        (".0=zero-key", "charge", true),
        (".\"0\"=zero-key", "charge", true),
        (".\"0\".id=1", "batch", false),
        // `[N]` is the same as `.N`, so it also finds the key "0".
        (".[0]=zero-key", "charge", true),
    ]);
}

#[test]
fn a_bare_path_is_the_field_being_present() {
    check(&[
        (".status", "charge", true),
        (".data.object.amount", "charge", true),
        (".data.object.missing", "charge", false),
        (".data.object", "charge", true),
        // Present whatever the value: null, false, the empty string.
        (".none", "charge", true),
        (".flag", "charge", true),
        (".note", "charge", true),
        (".items[0].price", "charge", true),
        (".items.3", "charge", false),
        (".\"a.b\".c", "charge", true),
        (".\"a=b\"", "charge", false),
        (".[0].id", "batch", true),
        (".status", "ping", false),
        ("-.status", "ping", true),
        ("-.none", "charge", false),
        ("-.code", "charge", false),
        ("-.code", "batch", true),
        ("type:charge.* .code", "failed", true),
        ("type:charge.* .data", "failed", false),
    ]);
}

#[test]
fn star_is_any_element_of_an_array() {
    check(&[
        // "items": [{"price": 5}, {"price": 7.5}, {"price": "12"}]
        (".items[*].price", "charge", true),
        (".items[*].sku", "charge", false),
        (".items[*].price=7.5", "charge", true),
        (".items[*].price=12", "charge", true),
        (".items[*].price=6", "charge", false),
        (".items[*].price>10", "charge", true),
        (".items[*].price>20", "charge", false),
        (".items[*].price!=6", "charge", true),
        (".items[*].price!=5", "charge", false),
        (".items[*].price~^7", "charge", true),
        ("-.items[*].price=5", "charge", false),
        // Top-level arrays and arrays of arrays.
        (".[*].id=2", "batch", true),
        (".[*].id=3", "batch", false),
        (".matrix[*][*]=4", "nested", true),
        (".matrix[*][1]=3", "nested", false),
        (".matrix[*]", "nested", true),
        // `[*]` never walks into an object, nor past a scalar.
        (".data[*]", "charge", false),
        (".status[*]", "charge", false),
        (".arr[*]", "charge", true),
    ]);
}

#[test]
fn missing_fields_and_non_json_data() {
    check(&[
        (".missing=x", "charge", false),
        (".missing>1", "charge", false),
        (".missing<1", "charge", false),
        (".status.deeper=ok", "charge", false),
        (".amount.x!=1", "charge", true),
        (".status=ok", "ping", false),
        (".status>a", "ping", false),
        (".status!=ok", "ping", true),
        ("-.status=ok", "ping", true),
        // A root array has no keys.
        (".id=1", "batch", false),
    ]);
}

#[test]
fn json_flag_false_means_no_fields_even_if_text_is_json() {
    let mut ev = event("charge");
    ev.json = false;
    assert!(!Filter::parse(".status=ok").unwrap().matches(&ev));
    assert!(Filter::parse(".status!=ok").unwrap().matches(&ev));
    ev.json = true;
    assert!(Filter::parse(".status=ok").unwrap().matches(&ev));
}

#[test]
fn words_search_type_id_and_raw_data_case_insensitively() {
    check(&[
        ("timeout", "ping", true),
        ("TimeOut", "charge", true),
        ("upstream", "ping", true),
        ("succeeded", "charge", true),
        ("SUCCEEDED", "charge", true),
        ("evt_2", "failed", true),
        ("b-7", "batch", true),
        ("github", "ping", false),
        ("missing", "charge", false),
        // Raw text, not parsed: keys and JSON punctuation are searchable.
        ("\"status\":\"ok\"", "charge", false),
        (r#""\"status\": \"ok\"""#, "charge", true),
        (r#""\"status\":\"failed\"""#, "failed", true),
        (r#""after 30s""#, "charge", true),
        (r#""after  30s""#, "charge", false),
        ("ok timeout", "charge", true),
        ("ok timeout", "ping", false),
        // Regex characters are literal.
        ("a.b", "charge", true),
        ("a.c", "charge", false),
        ("[1,", "batch", false),
        ("[{", "batch", true),
        ("(", "charge", false),
    ]);
}

#[test]
fn words_fold_non_ascii_case() {
    let ev = EventRef {
        data: r#"{"city":"MÜNCHEN"}"#,
        ..event("charge")
    };
    assert!(Filter::parse("münchen").unwrap().matches(&ev));
    assert!(!Filter::parse("munchen").unwrap().matches(&ev));
}

#[test]
fn negation_inverts_every_kind_of_term() {
    check(&[
        ("-timeout", "ping", false),
        ("-timeout", "batch", true),
        ("-\"after 30s\"", "charge", false),
        ("-\"after 30s\"", "ping", true),
        ("-.status=ok", "charge", false),
        ("-.status=ok", "failed", true),
        ("-.amount>1000", "charge", false),
        ("-.missing>1000", "charge", true),
        ("-.status~^f", "failed", false),
        ("-source:github", "ping", false),
        ("type:charge.* -.status=failed -evt_1", "charge", false),
        ("type:charge.* -.status=failed -evt_1", "failed", false),
        ("type:charge.* -.status=ok", "failed", true),
        // A hyphen inside a word is not a negation.
        ("b-7", "batch", true),
        ("x-7", "batch", false),
    ]);
}

#[test]
fn quoting_makes_syntax_literal() {
    let special = EventRef {
        data: r#"{"a.b":{"c":"x y"},"k=v":">","q\"t":"back\\slash","-x":1,"type:x":2}"#,
        ..event("charge")
    };
    let cases = [
        (r#"."a.b".c="x y""#, true),
        (r#"."a.b".c=x"#, false),
        (r#"."a.b".c~"^x y$""#, true),
        (r#"."k=v"=">""#, true),
        (r#"."q\"t"="back\\slash""#, true),
        (r#"."q\"t"~"k\\\\s""#, true),
        (r#"."-x"=1"#, true),
        (r#"."type:x"=2"#, true),
        // A quoted `type:` or `.` starts a word, not a type or field term.
        (r#""type:x""#, true),
        (r#""type:ping""#, false),
        (r#"".b\"""#, true),
        (r#"-"type:x""#, false),
        // A term that starts with a quote is a word, whatever follows.
        (r#"".a.b".c=1"#, false),
        (r#"""-x"""#, true),
    ];
    for (expr, want) in cases {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("`{expr}`: {e}"));
        assert_eq!(f.matches(&special), want, "`{expr}`");
    }
    // The charge fixture has a key with a dot in it.
    check(&[
        (r#"."a.b".c=1"#, "charge", true),
        (".a.b.c=1", "charge", false),
        (r#"."weird key"=spaced"#, "charge", true),
        (r#"."quote\"d"=q"#, "charge", true),
    ]);
}

#[test]
fn operator_is_the_first_unquoted_operator_longest_first() {
    let ev = EventRef {
        data: r#"{"a":"=b","b":"x=y","n":5}"#,
        ..event("charge")
    };
    let cases = [
        (".b=x=y", true),
        (r#".a="=b""#, true),
        (".n>=5", true),
        (".n>5", false),
        (".n<=5", true),
        (".n<5", false),
        (".n!=5", false),
        (".n~5", true),
    ];
    for (expr, want) in cases {
        let f = Filter::parse(expr).unwrap_or_else(|e| panic!("`{expr}`: {e}"));
        assert_eq!(f.matches(&ev), want, "`{expr}`");
    }
}
