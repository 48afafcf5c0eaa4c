//! `evtop catalog` through the real binary: statistics equal to what the
//! test computes itself from a generated recording with known shapes, the
//! AsyncAPI output accepted by the official parser (`@asyncapi/parser`,
//! node, pinned in tests/node) in JSON and YAML, every recorded event valid
//! against its message's payload schema (the `jsonschema` crate, formats
//! asserted) and a mutated one not, and the bounds with memory measured by
//! the OS.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::{Value, json};

use crate::memory::peak_rss;
use crate::support::*;

/// One recorded line.
fn line(source: &str, ty: &str, i: usize, data: &Value) -> String {
    let received = format!("2026-12-01T10:{:02}:{:02}.000Z", (i / 60) % 60, i % 60);
    json!({"source": source, "id": format!("e{i}"), "type": ty, "received": received, "data": data})
        .to_string()
}

/// A recording of `order.created` (two sources) and `order.refunded` with
/// known shapes; returns the file and the (source, type, data) of each line.
fn recording(dir: &Path, n: usize) -> (PathBuf, Vec<(String, String, Value)>) {
    let mut rng = fastrand::Rng::with_seed(42);
    let mut events = Vec::new();
    for i in 0..n {
        if rng.u8(..5) == 0 {
            let reason = ["duplicate", "fraudulent", "requested_by_customer", "expired"][rng.usize(..4)];
            let data = json!({"id": format!("re_{i}"), "reason": reason, "amount": rng.u32(1..5000)});
            events.push(("shop".to_owned(), "order.refunded".to_owned(), data));
            continue;
        }
        let currency = ["usd", "eur", "gbp"][rng.usize(..3)];
        let tier = ["gold", "silver"][rng.usize(..2)];
        let items: Vec<Value> = (0..rng.usize(0..4))
            .map(|j| {
                let mut item = json!({"sku": format!("sku-{j}"), "price": rng.u32(1..999)});
                if rng.bool() {
                    item["qty"] = json!(rng.u8(1..9));
                }
                item
            })
            .collect();
        let mut data = json!({
            "id": format!("ord_{i}"),
            "amount": if rng.bool() { json!(rng.u32(1..100_000)) } else { json!(rng.f64() * 1000.0) },
            "currency": currency,
            "created": format!("2026-12-01T{:02}:{:02}:00Z", rng.u8(..24), rng.u8(..60)),
            "email": format!("buyer{}@example.com", rng.u16(..)),
            "coupon": if rng.bool() { Value::Null } else { json!(format!("C{}", rng.u8(..))) },
            "customer": {"id": format!("cus_{}", rng.u16(..)), "tier": tier},
            "items": items,
        });
        if rng.u8(..10) < 3 {
            data["note"] = json!("gift wrap");
        }
        let source = if rng.bool() { "shop" } else { "shop-eu" };
        events.push((source.to_owned(), "order.created".to_owned(), data));
    }
    let text: Vec<String> = events
        .iter()
        .enumerate()
        .map(|(i, (s, t, d))| line(s, t, i, d))
        .collect();
    let path = dir.join("rec.ndjson");
    std::fs::write(&path, text.join("\n") + "\n").unwrap();
    (path, events)
}

async fn catalog(dir: &Path, args: &[&str]) -> std::process::Output {
    let out = evtop(dir).arg("catalog").args(args).output().await.unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    out
}

/// Run the official AsyncAPI parser on `doc`; its diagnostics and the
/// message names it found.
fn asyncapi_parse(doc: &Path) -> (bool, Vec<Value>) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node");
    let install = format!(
        "this test needs node and `npm ci` in {} (@asyncapi/parser)",
        dir.display()
    );
    assert!(dir.join("node_modules/@asyncapi/parser").is_dir(), "{install}");
    let out = std::process::Command::new("node")
        .arg(dir.join("asyncapi_check.js"))
        .arg(doc)
        .output()
        .unwrap_or_else(|e| panic!("{install}: {e}"));
    let lines = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    (out.status.success(), lines)
}

#[tokio::test]
async fn statistics_equal_what_the_recording_holds() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, events) = recording(dir.path(), 3_000);
    let out = catalog(dir.path(), &["--format", "json", rec.to_str().unwrap()]).await;
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let types = doc["types"].as_array().unwrap();
    let ty = |name: &str| types.iter().find(|t| t["type"] == name).unwrap();
    let field = |t: &Value, path: &str| -> Value {
        t["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["path"] == path)
            .unwrap_or_else(|| panic!("{path}"))
            .clone()
    };
    let created: Vec<&Value> = events
        .iter()
        .filter(|e| e.1 == "order.created")
        .map(|e| &e.2)
        .collect();
    let refunded: Vec<&Value> = events
        .iter()
        .filter(|e| e.1 == "order.refunded")
        .map(|e| &e.2)
        .collect();

    let c = ty("order.created");
    assert_eq!(c["count"], created.len());
    assert_eq!(
        c["sources"],
        json!(["shop", "shop-eu"])
            .as_array()
            .map(|_| {
                // In first-seen order.
                let mut seen: Vec<&str> = Vec::new();
                for e in events.iter().filter(|e| e.1 == "order.created") {
                    if !seen.contains(&e.0.as_str()) {
                        seen.push(&e.0);
                    }
                }
                json!(seen)
            })
            .unwrap()
    );
    assert_eq!(ty("order.refunded")["count"], refunded.len());

    // Presence of the optional field, kinds of the mixed ones.
    let notes = created.iter().filter(|d| d.get("note").is_some()).count() as f64 / created.len() as f64;
    assert_eq!(
        field(c, "/note")["presence"],
        json!((notes * 1000.0).round() / 1000.0)
    );
    let ints = created.iter().filter(|d| d["amount"].is_u64()).count();
    assert_eq!(
        field(c, "/amount")["kinds"],
        json!({"integer": ints, "number": created.len() - ints})
    );
    let nulls = created.iter().filter(|d| d["coupon"].is_null()).count();
    assert_eq!(
        field(c, "/coupon")["kinds"],
        json!({"string": created.len() - nulls, "null": nulls})
    );
    let items: Vec<&Value> = created
        .iter()
        .flat_map(|d| d["items"].as_array().unwrap())
        .collect();
    let qty = items.iter().filter(|i| i.get("qty").is_some()).count();
    assert_eq!(field(c, "/items/*/qty")["kinds"], json!({"integer": qty}));
    let prices: Vec<u64> = items.iter().map(|i| i["price"].as_u64().unwrap()).collect();
    let price = field(c, "/items/*/price");
    assert_eq!(price["min"], json!(*prices.iter().min().unwrap() as f64));
    assert_eq!(price["max"], json!(*prices.iter().max().unwrap() as f64));

    // Formats.
    assert_eq!(field(c, "/created")["format"], "date-time");
    assert_eq!(field(c, "/email")["format"], "email");
    assert!(field(c, "/id").get("format").is_none());

    // Top values, most frequent first.
    let mut counts: BTreeMap<String, u64> = BTreeMap::new();
    for d in &refunded {
        *counts.entry(d["reason"].to_string()).or_default() += 1;
    }
    let mut expected: Vec<(String, u64)> = counts.into_iter().collect();
    expected.sort_by_key(|e| std::cmp::Reverse(e.1));
    let top: Vec<(String, u64)> =
        serde_json::from_value(field(ty("order.refunded"), "/reason")["top"].clone()).unwrap();
    assert_eq!(top, expected);

    // required: present in every occurrence of the parent object.
    let schema = &c["schema"];
    assert_eq!(
        schema["required"],
        json!([
            "id", "amount", "currency", "created", "email", "coupon", "customer", "items"
        ])
    );
    assert_eq!(
        schema["properties"]["customer"]["required"],
        json!(["id", "tier"])
    );
    assert_eq!(
        schema["properties"]["items"]["items"]["required"],
        json!(["sku", "price"])
    );
    assert_eq!(schema["properties"]["coupon"]["type"], json!(["string", "null"]));
    assert_eq!(schema["properties"]["amount"]["type"], "number");
}

#[tokio::test]
async fn asyncapi_output_parses_and_every_event_validates_against_its_message() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, events) = recording(dir.path(), 1_500);
    let json_doc = dir.path().join("asyncapi.json");
    let yaml_doc = dir.path().join("asyncapi.yaml");
    catalog(
        dir.path(),
        &[rec.to_str().unwrap(), "-o", json_doc.to_str().unwrap()],
    )
    .await;
    catalog(
        dir.path(),
        &[rec.to_str().unwrap(), "-o", yaml_doc.to_str().unwrap()],
    )
    .await;
    assert!(
        !std::fs::read_to_string(&yaml_doc)
            .unwrap()
            .trim_start()
            .starts_with('{'),
        "YAML, not JSON"
    );

    for doc in [&json_doc, &yaml_doc] {
        let (ok, lines) = asyncapi_parse(doc);
        let errors: Vec<&Value> = lines.iter().filter(|l| l["severity"] == 0).collect();
        assert!(ok && errors.is_empty(), "{}: {errors:?}", doc.display());
        let names = lines.iter().find_map(|l| l.get("messages")).unwrap();
        assert_eq!(names, &json!(["order.created", "order.refunded"]));
    }

    let doc: Value = serde_json::from_str(&std::fs::read_to_string(&json_doc).unwrap()).unwrap();
    assert_eq!(doc["asyncapi"], "3.0.0");
    let messages = doc["components"]["messages"].as_object().unwrap();
    let validator = |ty: &str| {
        let m = messages.values().find(|m| m["name"] == ty).unwrap();
        assert_eq!(m["x-evtop"]["count"], events.iter().filter(|e| e.1 == ty).count());
        jsonschema::draft7::options()
            .should_validate_formats(true)
            .build(&m["payload"])
            .unwrap()
    };
    let (created, refunded) = (validator("order.created"), validator("order.refunded"));
    for (_, ty, data) in &events {
        let v = if ty == "order.created" {
            &created
        } else {
            &refunded
        };
        assert!(v.is_valid(data), "{ty}: {data}");
    }
    let mut bad = events.iter().find(|e| e.1 == "order.created").unwrap().2.clone();
    bad["amount"] = json!("12.00");
    assert!(!created.is_valid(&bad));
    let mut bad = events.iter().find(|e| e.1 == "order.refunded").unwrap().2.clone();
    bad.as_object_mut().unwrap().remove("reason");
    assert!(!refunded.is_valid(&bad));
    // Channels per source, pointing at their messages.
    let channels = doc["channels"].as_object().unwrap();
    assert_eq!(channels.keys().collect::<Vec<_>>(), ["shop", "shop-eu"]);
}

#[tokio::test]
async fn wide_and_deep_documents_stay_within_the_bounds_and_memory() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    for i in 0..100 {
        // 10,000 field names per event, new ones every event.
        let wide: serde_json::Map<String, Value> =
            (0..10_000).map(|j| (format!("f{i}_{j}"), json!(j))).collect();
        lines.push(line("s", "wide", i, &Value::Object(wide)));
    }
    let mut small = json!("leaf");
    for _ in 0..50 {
        small = json!({ "n": small });
    }
    lines.push(line("s", "deep", 100, &small));
    let rec = dir.path().join("big.ndjson");
    std::fs::write(&rec, lines.join("\n") + "\n").unwrap();
    let args: Vec<String> = ["catalog", "--format", "json", rec.to_str().unwrap()]
        .map(String::from)
        .to_vec();
    let (peak_kib, out) = peak_rss(&args).await;
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let doc: Value = serde_json::from_slice(&out.stdout).unwrap();
    let ty = |name: &str| {
        doc["types"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["type"] == name)
            .unwrap()
            .clone()
    };
    let wide = ty("wide");
    assert_eq!(
        wide["fields"].as_array().unwrap().len(),
        200,
        "MAX_PATHS_PER_TYPE"
    );
    assert_eq!(wide["not_catalogued"], 100 * 10_000 - 199);
    let deep = ty("deep");
    assert_eq!(
        deep["fields"].as_array().unwrap().len(),
        9,
        "the data and 8 levels (MAX_DEPTH)"
    );
    assert_eq!(deep["not_catalogued"], 1);
    assert!(peak_kib < 96 * 1024, "peak RSS {peak_kib} KiB");
}
