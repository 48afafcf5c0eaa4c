//! Polling sources through the real binary: `evtop tail` with the stripe
//! preset, a diff source, `--poll`, and a bearer token that must never be
//! printed or logged.

use std::time::Duration;

use evtop::event::rfc3339;
use serde_json::{Value, json};

use crate::poll_servers::*;
use crate::support::*;

#[tokio::test(flavor = "multi_thread")]
async fn tail_stripe_preset_prints_ndjson_oldest_first() {
    let dir = tempfile::tempdir().unwrap();
    let stripe = Stripe::with(8);
    let addr = stripe.clone().start().await;
    let cfg = dir.path().join("evtop.toml");
    let url = format!("http://{addr}/v1/events");
    let text = poll_config(
        "stripe",
        &url,
        "preset = \"stripe\"\nlimit = 5\ninterval = \"100ms\"",
    );
    std::fs::write(&cfg, text).unwrap();
    let grower = stripe.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        grower.grow(7); // more than one page of 5
    });
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "12", "-c"])
        .arg(&cfg)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout.clone()).unwrap();
    let got = ndjson_lines(&out.stdout);
    assert_eq!(got.len(), 12, "{stdout}");
    for (line, i) in stdout.lines().zip(3..) {
        let v: Value = serde_json::from_str(line).unwrap();
        assert_eq!(v["source"], "stripe");
        assert_eq!(v["id"], evt_id(i));
        assert_eq!(
            v["type"],
            ["charge.succeeded", "payment_intent.created", "charge.refunded"][i % 3]
        );
        assert_eq!(v["time"], rfc3339((CREATED0 + i as i64) * 1000, false));
        assert_eq!(v["data"]["data"]["object"]["amount"], i * 100);
        // The event exactly as listed, key order kept.
        assert!(
            line.ends_with(&format!(",\"data\":{}}}", stripe_event(i))),
            "{line}"
        );
    }
    assert_eq!(got[0]["time"], "2026-11-28T10:00:03Z");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("stripe: connected (HTTP 200)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn tail_diff_source_prints_snapshot_and_patches_and_writes_state() {
    let dir = tempfile::tempdir().unwrap();
    let bodies = [
        r#"{"id":"ord_1","status":"open","total":100}"#,
        r#"{"id":"ord_1","status":"paid","total":100}"#,
        r#"{"id":"ord_1","status":"paid","total":120,"refund":{"amount":20}}"#,
    ];
    let (addr, _) = raw_server(move |n, _, mut sock| async move {
        let body = bodies[[0, 0, 1, 1, 2][n.min(4)]];
        respond(&mut sock, "200 OK", &[("Content-Type", "application/json")], body).await;
    })
    .await;
    let cfg = dir.path().join("evtop.toml");
    let url = format!("http://{addr}/v1/orders/ord_1");
    std::fs::write(
        &cfg,
        poll_config("order", &url, "mode = \"diff\"\ninterval = \"100ms\""),
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "3", "-c"])
        .arg(&cfg)
        .arg("--state-out")
        .arg(&state)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got = ndjson_lines(&out.stdout);
    let shape: Vec<(&str, &Value)> = got
        .iter()
        .map(|v| (v["type"].as_str().unwrap(), &v["data"]))
        .collect();
    assert_eq!(
        shape,
        [
            ("data", &serde_json::from_str::<Value>(bodies[0]).unwrap()),
            (
                "patch",
                &json!([{"op": "replace", "path": "/status", "value": "paid"}])
            ),
            (
                "patch",
                &json!([{"op": "replace", "path": "/total", "value": 120},
                        {"op": "add", "path": "/refund", "value": {"amount": 20}}])
            ),
        ]
    );
    assert!(got.iter().all(|v| v["source"] == "order" && v["id"].is_null()));
    let written: Value = read_json(&state);
    assert_eq!(
        written,
        json!({"order": serde_json::from_str::<Value>(bodies[2]).unwrap()})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn poll_option_with_interval_auto_detects_items() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = raw_server(|n, _, mut sock| async move {
        // A plain array, oldest last, growing by one per request.
        let items: Vec<Value> = (0..=n).rev().map(|i| json!({"id": i, "msg": "hi"})).collect();
        respond(&mut sock, "200 OK", &[], &Value::from(items).to_string()).await;
    })
    .await;
    let out = evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "4",
            "--interval",
            "100ms",
        ])
        .arg("--poll")
        .arg(format!("http://{addr}/feed"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got = ndjson_lines(&out.stdout);
    let ids: Vec<&Value> = got.iter().map(|v| &v["id"]).collect();
    assert_eq!(ids, [&json!("0"), &json!("1"), &json!("2"), &json!("3")]);
    assert!(
        got.iter()
            .all(|v| v["source"] == "127.0.0.1" && v["type"] == "message")
    );

    // --interval needs --poll; below 100ms is refused.
    let out = evtop(dir.path())
        .args(["tail", "--interval", "1s", "http://127.0.0.1:9/"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--poll"));
    let out = evtop(dir.path())
        .args(["tail", "--interval", "50ms", "--poll", "http://127.0.0.1:9/"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--interval must be at least 100ms"));
}

#[tokio::test(flavor = "multi_thread")]
async fn bearer_token_from_env_is_sent_but_never_shown() {
    const TOKEN: &str = "sk_test_51Hq8yTOKENtextXYZ";
    let dir = tempfile::tempdir().unwrap();
    let stripe = Stripe {
        token: Some(TOKEN.into()),
        ..Stripe::with(3)
    };
    let addr = stripe.clone().start().await;
    let url = format!("http://{addr}/v1/events");

    // Without the token: 401, shown plainly, retried slowly.
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--duration", "1s", "--poll"])
        .arg(format!("stripe={url}"))
        .output()
        .await
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "the only source never connected: {out:?}"
    );
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr
            .contains("stripe: HTTP 401 Unauthorized: {\"error\":{\"message\":\"Invalid API Key provided\"")
            && stderr.contains("retrying in 30s"),
        "{stderr}"
    );

    // With it, from ${VAR} in the config: events flow. The server first
    // answers with a page quoting the header, as some login pages do.
    stripe.echo_once.store(true, std::sync::atomic::Ordering::SeqCst);
    let cfg = dir.path().join("evtop.toml");
    let extra = "preset = \"stripe\"\ninterval = \"100ms\"\nheaders = { Authorization = \"Bearer ${EVTOP_T_STRIPE_KEY}\" }";
    std::fs::write(&cfg, poll_config("stripe", &url, extra)).unwrap();
    let out = evtop(dir.path())
        .env("EVTOP_T_STRIPE_KEY", TOKEN)
        .env("EVTOP_LOG", "trace")
        .args(["tail", "--format", "ndjson", "--count", "3", "-c"])
        .arg(&cfg)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    let log = std::fs::read_to_string(dir.path().join("evtop.log")).unwrap();
    assert_eq!(stdout.lines().count(), 3, "{stdout}");
    assert!(
        stderr.contains("stripe: dropped: response is not JSON")
            && stderr.contains("Welcome back, Bearer ***"),
        "the echoed header is masked: {stderr}"
    );
    assert!(
        log.contains("Welcome back, Bearer ***"),
        "the log has the masked line"
    );
    for (name, text) in [("stdout", &stdout), ("stderr", &stderr), ("log", &log)] {
        assert!(!text.contains("TOKENtext"), "token in {name}: {text}");
    }
}
