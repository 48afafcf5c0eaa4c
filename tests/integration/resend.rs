//! `evtop resend` through the real binary, to a receiver that checks
//! Stripe signatures with evtop's own verifier.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use evtop::config::Verify;
use evtop::source::webhook::verify::verify;

use crate::support::*;

const SECRET: &str = "whsec_resend_test";

fn recording(dir: &std::path::Path) -> std::path::PathBuf {
    let line = |id: &str, ty: &str, amount: u32| {
        format!(
            r#"{{"source":"stripe-hooks","id":"{id}","type":"{ty}","time":null,"received":"2026-11-22T10:00:00.000Z","data":{{"id":"{id}","type":"{ty}","amount":{amount}}},"webhook":{{"verified":true,"reason":null,"headers":{{"content-type":"application/json","stripe-signature":"***","user-agent":"Stripe/1.0","host":"old.example"}},"forward":null,"attempt":1}}}}"#
        )
    };
    let lines = [
        line("evt_1", "charge.succeeded", 100),
        r#"{"source":"other","id":"x","type":"t","time":null,"received":"2026-11-22T10:00:00.000Z","data":{}}"#.to_owned(),
        line("evt_2", "invoice.paid", 200),
        line("evt_3", "charge.refunded", 300),
    ];
    let path = dir.join("hooks.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

type Seen = Arc<Mutex<Vec<(String, String)>>>;

/// An app that accepts only correctly signed deliveries.
async fn receiver() -> (String, Seen) {
    let seen: Seen = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let s = s.clone();
            async move {
                let now = chrono::Utc::now().timestamp();
                let ok = verify(
                    Verify::Stripe,
                    SECRET.as_bytes(),
                    &headers,
                    &body,
                    now,
                    Duration::from_secs(300),
                );
                let ct = headers
                    .get("content-type")
                    .map(|v| v.to_str().unwrap().to_owned())
                    .unwrap_or_default();
                s.lock()
                    .unwrap()
                    .push((String::from_utf8_lossy(&body).into_owned(), ct));
                match ok {
                    Ok(()) => (StatusCode::OK, "ok".to_owned()),
                    Err(e) => (StatusCode::BAD_REQUEST, e.to_string()),
                }
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    (format!("http://{addr}/hooks"), seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn resend_re_signs_filters_and_reports_each_delivery() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path());
    let (url, seen) = receiver().await;
    let out = evtop(dir.path())
        .args([
            "resend",
            "--verify",
            "stripe",
            "--secret",
            SECRET,
            "-f",
            "type:charge.*",
            "--to",
            &url,
        ])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        out.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 2, "{stdout}");
    assert!(lines[0].starts_with("200 evt_1 charge.succeeded"), "{stdout}");
    assert!(lines[1].starts_with("200 evt_3 charge.refunded"), "{stdout}");
    let got = seen.lock().unwrap().clone();
    assert_eq!(
        got[0].0, r#"{"id":"evt_1","type":"charge.succeeded","amount":100}"#,
        "the original body"
    );
    assert_eq!(got[0].1, "application/json", "the original headers");
    let all = format!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(!all.contains(SECRET), "the secret is never printed");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_re_signing_a_verifying_receiver_refuses_and_resend_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path());
    let (url, _) = receiver().await;
    let out = evtop(dir.path())
        .args(["resend", "--to", &url])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().count(),
        3,
        "three deliveries, the non-webhook line skipped: {stdout}"
    );
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("400 ") && l.contains("no Stripe-Signature header")),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_from_the_target_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording(dir.path());
    let app = axum::Router::new().route(
        "/",
        axum::routing::post(|| async { (StatusCode::INTERNAL_SERVER_ERROR, "boom") }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let out = evtop(dir.path())
        .args(["resend", "--to", &format!("http://{addr}/")])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout
            .lines()
            .all(|l| l.starts_with("500 ") && l.ends_with(": boom")),
        "{stdout}"
    );
}
