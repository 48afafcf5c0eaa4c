//! The catalog against what the tests compute themselves from generated
//! events, the schemas against the `jsonschema` validator, and the bounds
//! at their edges.

use serde_json::{Value, json};

use super::schema::schema;
use super::*;

/// A seeded generator of `order.created`-like events with known shapes:
/// `id` always, `note` 30 % of the time, `amount` integer or float,
/// `items` an array of objects each with `sku` and sometimes `qty`, a
/// `currency` of three values, a `created` date-time, an `email`, a
/// `token` (secret).
fn events(n: usize, seed: u64) -> Vec<Value> {
    let mut rng = fastrand::Rng::with_seed(seed);
    (0..n)
        .map(|i| {
            let currency = ["usd", "eur", "gbp"][rng.usize(..3)];
            let mut v = json!({
                "id": format!("ord_{i}"),
                "amount": if rng.bool() { json!(rng.u32(1..10_000)) } else { json!(rng.f64() * 100.0) },
                "currency": currency,
                "created": format!("2026-12-0{}T10:{:02}:00Z", 1 + rng.u8(..8), rng.u8(..60)),
                "email": format!("user{}@example.com", rng.u16(..)),
                "token": format!("tok_{}", rng.u64(..)),
                "items": (0..rng.usize(0..4)).map(|j| {
                    let mut item = json!({"sku": format!("sku-{j}")});
                    if rng.bool() { item["qty"] = json!(rng.u8(1..5)); }
                    item
                }).collect::<Vec<_>>(),
            });
            if rng.u8(..10) < 3 {
                v["note"] = json!("gift");
            }
            v
        })
        .collect()
}

fn learned(values: &[Value]) -> Catalog {
    let mut c = Catalog::new(Sampling::All);
    for (i, v) in values.iter().enumerate() {
        c.learn_named("order.created", "shop", &v.to_string(), 1_000 + i as i64);
    }
    c
}

#[test]
fn counts_kinds_presence_required_formats_and_top_values_match_the_data() {
    let values = events(2_000, 7);
    let c = learned(&values);
    let t = c.by_name("order.created").unwrap();
    assert_eq!((t.count, t.learned), (2_000, 2_000));
    assert_eq!((t.first_seen, t.last_seen), (1_000, 2_999));
    assert_eq!(t.sources, vec![Box::from("shop")]);

    let with_note = values.iter().filter(|v| v.get("note").is_some()).count() as u64;
    assert_eq!(t.field("/note").unwrap().events, with_note);
    let ints = values.iter().filter(|v| v["amount"].is_u64()).count() as u64;
    let amount = t.field("/amount").unwrap();
    assert_eq!(amount.count(Kind::Integer), ints);
    assert_eq!(amount.count(Kind::Number), 2_000 - ints);
    let xs: Vec<f64> = values.iter().map(|v| v["amount"].as_f64().unwrap()).collect();
    assert_eq!(amount.min, xs.iter().cloned().fold(f64::INFINITY, f64::min));
    assert_eq!(amount.max, xs.iter().cloned().fold(f64::NEG_INFINITY, f64::max));
    assert!((amount.sum - xs.iter().sum::<f64>()).abs() < 1e-6);

    let items: Vec<&Value> = values
        .iter()
        .flat_map(|v| v["items"].as_array().unwrap())
        .collect();
    let qty = t.field("/items/*/qty").unwrap();
    assert_eq!(
        qty.occurrences,
        items.iter().filter(|i| i.get("qty").is_some()).count() as u64
    );
    assert_eq!(
        t.field("/items/*").unwrap().count(Kind::Object),
        items.len() as u64
    );
    let carrying_items = values
        .iter()
        .filter(|v| !v["items"].as_array().unwrap().is_empty())
        .count();
    assert_eq!(t.field("/items/*/sku").unwrap().events, carrying_items as u64);

    assert_eq!(t.field("/created").unwrap().format(), Some("date-time"));
    assert_eq!(t.field("/email").unwrap().format(), Some("email"));
    assert_eq!(t.field("/id").unwrap().format(), None);

    let mut expected: Vec<(String, u64)> = ["usd", "eur", "gbp"]
        .iter()
        .map(|c| {
            (
                format!("\"{c}\""),
                values.iter().filter(|v| v["currency"] == *c).count() as u64,
            )
        })
        .collect();
    expected.sort_by_key(|e| std::cmp::Reverse(e.1));
    let top: Vec<(String, u64)> = t
        .field("/currency")
        .unwrap()
        .top_values()
        .unwrap()
        .into_iter()
        .map(|(s, n)| (s.to_owned(), n))
        .collect();
    assert_eq!(top, expected);
    assert_eq!(
        t.field("/id").unwrap().top,
        Top::Many,
        "2,000 distinct ids are high-cardinality"
    );

    let s = schema(t);
    let required: Vec<&str> = s["required"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    assert_eq!(
        required,
        ["id", "amount", "currency", "created", "email", "token", "items"]
    );
    assert_eq!(s["properties"]["amount"]["type"], "number");
    assert_eq!(s["properties"]["items"]["items"]["required"], json!(["sku"]));
    assert_eq!(s["properties"]["created"]["format"], "date-time");
}

#[test]
fn secret_and_header_values_are_never_kept() {
    let c = learned(&[json!({"token": "tok_1", "headers": {"X-Key": "k1"}, "api_key": 5})]);
    let t = c.by_name("order.created").unwrap();
    for path in ["/token", "/headers", "/headers/X-Key", "/api_key"] {
        let f = t.field(path).unwrap();
        assert!(
            f.secret && f.examples.is_empty() && f.top_values().is_none(),
            "{path}: {f:?}"
        );
    }
    let s = schema(t).to_string();
    assert!(!s.contains("tok_1") && !s.contains("k1"), "{s}");
}

#[test]
fn every_learned_event_validates_against_its_schema_and_a_mutated_one_does_not() {
    let values = events(500, 11);
    let c = learned(&values);
    let s = schema(c.by_name("order.created").unwrap());
    let v = jsonschema::draft7::options()
        .should_validate_formats(true)
        .build(&s)
        .unwrap();
    for e in &values {
        assert!(v.is_valid(e), "{e}");
    }
    let mut bad = values[0].clone();
    bad["amount"] = json!("12.00");
    assert!(!v.is_valid(&bad));
    let mut missing = values[0].clone();
    missing.as_object_mut().unwrap().remove("id");
    assert!(!v.is_valid(&missing));
    let mut not_a_date = values[0].clone();
    not_a_date["created"] = json!("yesterday");
    assert!(!v.is_valid(&not_a_date));
}

#[test]
fn random_documents_validate_against_the_schema_learned_from_them() {
    // Mixed kinds at the same paths, nulls, nested arrays of arrays.
    fn doc(rng: &mut fastrand::Rng, depth: u32) -> Value {
        match rng.u8(..if depth > 3 { 5 } else { 7 }) {
            0 => json!(rng.i64(..)),
            1 => json!(rng.f64()),
            2 => {
                let s = ["a", "b", "https://x.example/p", "2026-01-02"][rng.usize(..4)];
                json!(s)
            }
            3 => Value::Null,
            4 => json!(rng.bool()),
            5 => Value::Array((0..rng.usize(..3)).map(|_| doc(rng, depth + 1)).collect()),
            _ => {
                let keys = ["a", "b", "c", "d~/x"];
                let mut m = serde_json::Map::new();
                for k in keys {
                    if rng.bool() {
                        m.insert(k.to_string(), doc(rng, depth + 1));
                    }
                }
                Value::Object(m)
            }
        }
    }
    for seed in 0..40 {
        let mut rng = fastrand::Rng::with_seed(seed);
        let values: Vec<Value> = (0..30).map(|_| doc(&mut rng, 0)).collect();
        let mut c = Catalog::new(Sampling::All);
        for v in &values {
            c.learn_named("t", "s", &v.to_string(), 0);
        }
        let s = schema(c.by_name("t").unwrap());
        let validator = jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&s)
            .unwrap();
        for v in &values {
            assert!(validator.is_valid(v), "seed {seed}: {v} against {s}");
        }
    }
}

#[test]
fn ten_thousand_field_names_stay_within_the_path_bound_and_are_counted() {
    let mut doc = serde_json::Map::new();
    for i in 0..10_000 {
        doc.insert(format!("f{i}"), json!(i));
    }
    let doc = Value::Object(doc);
    let mut c = Catalog::new(Sampling::All);
    c.learn_named("wide", "s", &doc.to_string(), 0);
    let t = c.by_name("wide").unwrap();
    assert_eq!(t.fields().len(), MAX_PATHS_PER_TYPE);
    assert_eq!(t.paths_dropped, 10_000 + 1 - MAX_PATHS_PER_TYPE as u64);
    assert_eq!(t.not_catalogued(), t.paths_dropped);
    let s = schema(t);
    let v = jsonschema::draft7::new(&s).unwrap();
    assert!(v.is_valid(&doc), "members left out stay allowed");
}

#[test]
fn fifty_levels_of_nesting_stop_at_the_depth_bound() {
    let mut doc = json!("leaf");
    for _ in 0..50 {
        doc = json!({ "n": doc });
    }
    let mut c = Catalog::new(Sampling::All);
    c.learn_named("deep", "s", &doc.to_string(), 0);
    let t = c.by_name("deep").unwrap();
    assert_eq!(t.fields().len(), MAX_DEPTH + 1, "the root and 8 levels");
    assert_eq!(t.too_deep, 1);
    assert!(
        t.fields()
            .iter()
            .all(|f| f.path.matches('/').count() <= MAX_DEPTH)
    );
    assert!(jsonschema::draft7::new(&schema(t)).unwrap().is_valid(&doc));
}

#[test]
fn the_total_path_bound_holds_across_types() {
    let mut c = Catalog::new(Sampling::All);
    let doc: serde_json::Map<String, Value> = (0..MAX_PATHS_PER_TYPE - 1)
        .map(|i| (format!("f{i}"), json!(1)))
        .collect();
    let text = Value::Object(doc).to_string();
    let types = MAX_PATHS_TOTAL / MAX_PATHS_PER_TYPE + 3;
    for i in 0..types {
        c.learn_named(&format!("t{i}"), "s", &text, 0);
    }
    assert_eq!(c.paths(), MAX_PATHS_TOTAL);
    let dropped: u64 = c.types().map(|t| t.paths_dropped).sum();
    assert_eq!(dropped as usize, types * MAX_PATHS_PER_TYPE - MAX_PATHS_TOTAL);
}

#[test]
fn per_second_sampling_learns_the_first_events_of_each_second_and_counts_all() {
    let mut c = Catalog::new(Sampling::PerSecond);
    for i in 0..1_000 {
        // 500 events in second 10, 500 in second 11.
        c.learn(0, "t", "s", "{\"a\":1}", 10_000 + i * 2);
    }
    let t = c.get(0).unwrap();
    assert_eq!(t.count, 1_000);
    assert_eq!(t.learned, 2 * LEARN_PER_SECOND as u64);
    assert_eq!(t.presence(t.field("/a").unwrap()), 1.0);
}

#[test]
fn fields_and_kinds_first_seen_late_are_new() {
    let mut c = Catalog::new(Sampling::All);
    for i in 0..1_500u64 {
        let v = if i < 1_200 {
            json!({"a": 1})
        } else {
            json!({"a": "one", "b": true})
        };
        c.learn_named("t", "s", &v.to_string(), i as i64);
    }
    let t = c.by_name("t").unwrap();
    let a = t.field("/a").unwrap();
    assert!(!a.is_new());
    assert_eq!(a.new_kinds().collect::<Vec<_>>(), [Kind::String]);
    let b = t.field("/b").unwrap();
    assert!(b.is_new());
    assert_eq!((b.first_seen, b.first_seen_after), (1_200, 1_200));
    assert_eq!(t.new_fields(), 2);
}

#[test]
fn data_that_is_not_json_is_learned_as_a_string() {
    let mut c = Catalog::new(Sampling::All);
    c.learn_named("t", "s", "hello", 0);
    let t = c.by_name("t").unwrap();
    assert_eq!(t.not_json, 1);
    assert_eq!(schema(t)["type"], "string");
}
