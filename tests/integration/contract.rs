//! Contracts and drift (SPEC 10) through the real binary: `replay --tail
//! --contract` marks exactly the drifted events with their reasons, the
//! `drift` / `-drift` terms pick them, a bad contract is a usage error, a
//! live SSE source is checked too, and evtop's verdicts agree with a second
//! implementation — Python's `jsonschema` (`Draft7Validator`) — on a few
//! hundred generated events.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::*;

/// A type → JSON Schema contract for the recording below.
const TYPE_MAP: &str = r#"{
  "charge.succeeded": {
    "type": "object",
    "required": ["id", "amount", "currency"],
    "properties": {
      "id": {"type": "string"},
      "amount": {"type": "integer", "minimum": 0},
      "currency": {"enum": ["usd", "eur"]}
    }
  },
  "ping": {"type": "string"}
}"#;

/// The same contract as a hand-written AsyncAPI 3.0 YAML document.
const ASYNCAPI_YAML: &str = r##"asyncapi: 3.0.0
info: {title: payments, version: "1"}
channels:
  payments:
    messages:
      charge:
        $ref: '#/components/messages/Charge'
      ping:
        name: ping
        payload: {type: string}
components:
  messages:
    Charge:
      name: charge.succeeded
      payload:
        $ref: '#/components/schemas/Charge'
  schemas:
    Charge:
      type: object
      required: [id, amount, currency]
      properties:
        id: {type: string}
        amount: {type: integer, minimum: 0}
        currency: {enum: [usd, eur]}
"##;

/// Seven events; evt_2, evt_4, evt_5 and evt_6 drift.
fn recording() -> Vec<String> {
    let line = |i: u32, ty: &str, data: &str| {
        format!(
            r#"{{"source":"payments","id":"evt_{i}","type":"{ty}","time":null,"received":"2026-11-22T10:00:0{i}.000Z","data":{data}}}"#
        )
    };
    vec![
        line(
            1,
            "charge.succeeded",
            r#"{"id":"ch_1","amount":1200,"currency":"usd"}"#,
        ),
        line(
            2,
            "charge.succeeded",
            r#"{"id":"ch_2","amount":"1200","currency":"usd"}"#,
        ),
        line(3, "ping", r#""keepalive""#),
        line(4, "refund.created", r#"{"id":"re_1"}"#),
        line(
            5,
            "charge.succeeded",
            r#"{"id":"ch_3","amount":-5,"currency":"gbp"}"#,
        ),
        line(6, "ping", r#"{"not":"text"}"#),
        line(
            7,
            "charge.succeeded",
            r#"{"id":"ch_4","amount":0,"currency":"eur","extra":true}"#,
        ),
    ]
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

async fn replay(dir: &Path, contract: &Path, rec: &Path, extra: &[&str]) -> std::process::Output {
    evtop(dir)
        .args([
            "replay",
            "--tail",
            "--speed",
            "0",
            "--format",
            "ndjson",
            "--contract",
        ])
        .arg(contract)
        .args(extra)
        .arg(rec)
        .output()
        .await
        .unwrap()
}

fn ids(lines: &[serde_json::Value]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_marks_exactly_the_drifted_events_and_the_filter_picks_them() {
    let dir = tempfile::tempdir().unwrap();
    let rec = write(dir.path(), "rec.ndjson", &(recording().join("\n") + "\n"));
    for contract in [
        write(dir.path(), "contract.json", TYPE_MAP),
        write(dir.path(), "contract.yaml", ASYNCAPI_YAML),
    ] {
        let out = replay(dir.path(), &contract, &rec, &[]).await;
        assert!(out.status.success(), "{out:?}");
        let lines = ndjson_lines(&out.stdout);
        assert_eq!(lines.len(), 7, "every event printed");
        let drift: Vec<(String, serde_json::Value)> = lines
            .iter()
            .filter(|l| l.get("drift").is_some())
            .map(|l| (l["id"].as_str().unwrap().to_owned(), l["drift"].clone()))
            .collect();
        assert_eq!(
            drift,
            [
                (
                    "evt_2".into(),
                    serde_json::json!(["/amount: expected integer, got string"])
                ),
                ("evt_4".into(), serde_json::json!(["type not in the contract"])),
                (
                    "evt_5".into(),
                    serde_json::json!([
                        "/amount: -5 is less than the minimum of 0",
                        r#"/currency: "gbp" is not one of ["usd","eur"]"#
                    ])
                ),
                (
                    "evt_6".into(),
                    serde_json::json!(["/: expected string, got object"])
                ),
            ],
            "{}",
            contract.display()
        );
        // The drift member comes last, after the SPEC 4 members.
        let keys: Vec<&String> = lines[1].as_object().unwrap().keys().collect();
        assert_eq!(keys.last().map(|k| k.as_str()), Some("drift"));
        let only = replay(dir.path(), &contract, &rec, &["--filter", "drift"]).await;
        assert_eq!(
            ids(&ndjson_lines(&only.stdout)),
            ["evt_2", "evt_4", "evt_5", "evt_6"]
        );
        let clean = replay(dir.path(), &contract, &rec, &["--filter", "-drift"]).await;
        let clean = ndjson_lines(&clean.stdout);
        assert_eq!(ids(&clean), ["evt_1", "evt_3", "evt_7"]);
        assert!(clean.iter().all(|l| l.get("drift").is_none()));
        let both = replay(dir.path(), &contract, &rec, &["--filter", "type:charge.* drift"]).await;
        assert_eq!(ids(&ndjson_lines(&both.stdout)), ["evt_2", "evt_5"]);
    }
    // Text lines mark drift with ≠.
    let contract = dir.path().join("contract.json");
    let out = evtop(dir.path())
        .args([
            "replay",
            "--tail",
            "--speed",
            "0",
            "--format",
            "text",
            "--contract",
        ])
        .arg(&contract)
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    let marked: Vec<&str> = text
        .lines()
        .filter(|l| l.contains(" ≠ "))
        .map(|l| l.split(' ').nth(3).unwrap())
        .collect();
    assert_eq!(marked, ["evt_2", "evt_4", "evt_5", "evt_6"], "{text}");
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_contracts_and_a_drift_term_without_one_are_usage_errors() {
    let dir = tempfile::tempdir().unwrap();
    let rec = write(dir.path(), "rec.ndjson", &(recording().join("\n") + "\n"));
    let cases = [
        (
            "syntax.json",
            "{\"a\": {\"type\": \"object\",}}",
            "line 1, column 25: not valid JSON",
        ),
        ("syntax.yaml", "asyncapi: 3.0.0\nchannels: [\n", "not valid YAML"),
        (
            "schema.json",
            r#"{"charge": {"properties": {"amount": {"type": "integr"}}}}"#,
            "type \"charge\": invalid schema at /properties/amount/type",
        ),
        (
            "ref.yaml",
            &ASYNCAPI_YAML.replace("'#/components/schemas/Charge'", "'#/components/schemas/Gone'"),
            "message \"charge.succeeded\" at /components/messages/Charge: unresolvable $ref",
        ),
    ];
    for (name, text, want) in cases {
        let path = write(dir.path(), name, text);
        let out = replay(dir.path(), &path, &rec, &[]).await;
        assert_eq!(out.status.code(), Some(2), "{name}: {out:?}");
        let stderr = String::from_utf8(out.stderr).unwrap();
        assert_eq!(stderr.lines().count(), 1, "{name}: one line: {stderr}");
        assert!(
            stderr.starts_with(&format!("evtop: contract {}: ", path.display())),
            "{name}: {stderr}"
        );
        assert!(stderr.contains(want), "{name}: {stderr}");
        assert!(out.stdout.is_empty());
    }
    let missing = dir.path().join("missing.json");
    let out = replay(dir.path(), &missing, &rec, &[]).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("cannot read"));
    let out = evtop(dir.path())
        .args(["replay", "--tail", "--filter", "drift"])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("needs --contract FILE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_sse_source_is_checked_by_tail() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let events = [
            ("charge.succeeded", r#"{"id":"ch_1","amount":1,"currency":"usd"}"#),
            (
                "charge.succeeded",
                r#"{"id":"ch_2","amount":1.5,"currency":"usd"}"#,
            ),
            ("ping", "keepalive"),
            ("dispute.created", r#"{"id":"dp_1"}"#),
        ];
        for (i, (ty, data)) in events.iter().enumerate() {
            let frame = format!("id: {i}\nevent: {ty}\ndata: {data}\n\n");
            let _ = sock.write_all(frame.as_bytes()).await;
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let contract = write(dir.path(), "contract.json", TYPE_MAP);
    let out = tokio::time::timeout(
        Duration::from_secs(20),
        evtop(dir.path())
            .args(["tail", "--format", "ndjson", "--count", "4", "--contract"])
            .arg(&contract)
            .arg(format!("pay=http://{addr}/"))
            .output(),
    )
    .await
    .expect("tail ends at --count")
    .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    let drift: Vec<serde_json::Value> = lines.iter().map(|l| l["drift"].clone()).collect();
    assert_eq!(
        drift,
        [
            serde_json::Value::Null,
            serde_json::json!(["/amount: expected integer, got number"]),
            serde_json::Value::Null,
            serde_json::json!(["type not in the contract"]),
        ]
    );
}

/// Schemas with the keywords contracts use (types, required, enum, const,
/// bounds, lengths, patterns, arrays, nested objects, combinators,
/// `additionalProperties`, `$ref`, and a `format` that neither side asserts).
const AGREEMENT_CONTRACT: &str = r##"{
  "order.created": {
    "type": "object",
    "required": ["id", "total", "items"],
    "definitions": {"money": {"type": "integer", "minimum": 0, "multipleOf": 5}},
    "properties": {
      "id": {"type": "string", "pattern": "^ord_[0-9]+$", "minLength": 5, "maxLength": 12},
      "total": {"$ref": "#/definitions/money"},
      "status": {"enum": ["open", "paid", null]},
      "created": {"type": "string", "format": "date-time"},
      "items": {
        "type": "array", "minItems": 1, "maxItems": 3, "uniqueItems": true,
        "items": {"type": "object", "required": ["sku"], "additionalProperties": false,
                  "properties": {"sku": {"type": "string"}, "qty": {"type": ["integer", "null"], "exclusiveMinimum": 0}}}
      },
      "meta": {"type": "object", "maxProperties": 2, "propertyNames": {"pattern": "^[a-z]+$"}}
    }
  },
  "user.updated": {
    "type": "object",
    "properties": {
      "email": {"type": "string"},
      "age": {"type": "number", "maximum": 150},
      "plan": {"oneOf": [{"const": "free"}, {"type": "object", "required": ["tier"]}]},
      "tags": {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]},
      "flag": {"not": {"type": "string"}}
    },
    "dependencies": {"email": ["age"]}
  },
  "ping": {"type": ["string", "integer"]}
}"##;

/// A random JSON value of any kind, small.
fn any_value(rng: &mut fastrand::Rng, depth: u32) -> serde_json::Value {
    use serde_json::json;
    match rng.u32(0..if depth > 1 { 6 } else { 8 }) {
        0 => json!(null),
        1 => json!(rng.bool()),
        2 => json!(rng.i64(-20..200)),
        3 => json!(rng.i64(-20..200) as f64 + [0.0, 0.5, 0.25][rng.usize(0..3)]),
        4 => json!(
            [
                "open",
                "paid",
                "free",
                "ord_12",
                "x",
                "ord_1234567890123",
                "2026-13-45"
            ][rng.usize(0..7)]
        ),
        5 => json!(["", "abc", "ABC"][rng.usize(0..3)]),
        6 => serde_json::Value::Array((0..rng.usize(0..3)).map(|_| any_value(rng, depth + 1)).collect()),
        _ => {
            let mut m = serde_json::Map::new();
            for _ in 0..rng.usize(0..3) {
                m.insert(
                    ["a", "b", "tier", "sku", "Q"][rng.usize(0..5)].into(),
                    any_value(rng, depth + 1),
                );
            }
            serde_json::Value::Object(m)
        }
    }
}

/// A mostly well-formed event of `ty`, with random fields replaced, dropped
/// or added: about half of them drift.
fn event_data(rng: &mut fastrand::Rng, ty: &str) -> serde_json::Value {
    use serde_json::json;
    let status = ["open", "paid"][rng.usize(0..2)];
    // Half not a date-time: `format` is asserted by neither side.
    let created = ["2026-11-22T10:00:00Z", "yesterday"][rng.usize(0..2)];
    let mut v = match ty {
        "order.created" => json!({
            "id": format!("ord_{}", rng.u32(0..10_000)),
            "total": rng.u32(0..50) * 5,
            "status": status,
            "created": created,
            "items": [{"sku": "a", "qty": rng.u32(1..4)}],
            "meta": {"k": 1}
        }),
        "user.updated" => json!({
            "email": "a@b.c", "age": rng.f64() * 100.0, "plan": "free", "tags": ["x"], "flag": 1
        }),
        "ping" => json!(rng.u32(0..100)),
        _ => json!({"anything": true}),
    };
    if let serde_json::Value::Object(map) = &mut v {
        let keys: Vec<String> = map.keys().cloned().collect();
        for k in keys {
            match rng.u32(0..12) {
                0 => {
                    map.remove(&k);
                }
                1 => {
                    map.insert(k, any_value(rng, 0));
                }
                _ => {}
            }
        }
        if rng.u32(0..8) == 0 {
            map.insert("extra".into(), any_value(rng, 0));
        }
    } else if rng.bool() {
        v = any_value(rng, 0);
    }
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn drift_verdicts_agree_with_python_jsonschema() {
    let dir = tempfile::tempdir().unwrap();
    let contract = write(dir.path(), "contract.json", AGREEMENT_CONTRACT);
    let mut rng = fastrand::Rng::with_seed(10);
    let types = ["order.created", "user.updated", "ping", "unknown.type"];
    let mut lines = Vec::new();
    for i in 0..400 {
        let ty = types[rng.usize(0..types.len())];
        let data = event_data(&mut rng, ty);
        // Some data as text (a JSON string in the recording): checked as a string.
        let data = if rng.u32(0..20) == 0 {
            serde_json::Value::String(data.to_string())
        } else {
            data
        };
        let line = serde_json::json!({"source": "s", "id": format!("e{i}"), "type": ty, "time": null,
            "received": "2026-11-22T10:00:00.000Z", "data": data});
        lines.push(line.to_string());
    }
    let rec = write(dir.path(), "rec.ndjson", &(lines.join("\n") + "\n"));
    let out = replay(dir.path(), &contract, &rec, &[]).await;
    assert!(out.status.success(), "{out:?}");
    let printed = ndjson_lines(&out.stdout);
    assert_eq!(printed.len(), 400);
    let evtop_drifted: BTreeSet<String> = printed
        .iter()
        .filter(|l| l.get("drift").is_some())
        .map(|l| l["id"].as_str().unwrap().to_owned())
        .collect();
    let script = r#"
import json, sys
from jsonschema import Draft7Validator
schemas = json.load(open(sys.argv[1]))
validators = {t: Draft7Validator(s) for t, s in schemas.items()}
for line in open(sys.argv[2]):
    ev = json.loads(line)
    v = validators.get(ev["type"])
    if v is None or not v.is_valid(ev["data"]):
        print(ev["id"])
"#;
    let py = tokio::process::Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(&contract)
        .arg(&rec)
        .output()
        .await
        .expect("python3 runs (CI installs it with the jsonschema package)");
    assert!(
        py.status.success(),
        "python jsonschema failed (CI installs jsonschema==4.26.0): {}",
        String::from_utf8_lossy(&py.stderr)
    );
    let python_drifted: BTreeSet<String> = String::from_utf8(py.stdout)
        .unwrap()
        .lines()
        .map(str::to_owned)
        .collect();
    assert_eq!(evtop_drifted, python_drifted, "the same events drift");
    // The generator makes both kinds in numbers, so the agreement says something.
    assert!(
        (100..300).contains(&evtop_drifted.len()),
        "{} of 400 drifted",
        evtop_drifted.len()
    );
}
