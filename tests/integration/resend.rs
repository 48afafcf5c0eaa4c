//! `evtop resend` through the real binary, to a receiver that checks
//! Stripe signatures with evtop's own verifier, and to one that checks them
//! with Stripe's own Python library; a forged delivery in the recording is
//! never re-signed.

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

/// What the receiver saw: body, content type, Stripe-Signature (if any).
type Seen = Arc<Mutex<Vec<(String, String, Option<String>)>>>;

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
                let header = |name: &str| headers.get(name).map(|v| v.to_str().unwrap().to_owned());
                let ct = header("content-type").unwrap_or_default();
                s.lock().unwrap().push((
                    String::from_utf8_lossy(&body).into_owned(),
                    ct,
                    header("stripe-signature"),
                ));
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

/// A recording of four Stripe deliveries: two evtop verified, one received
/// with `verify = "none"` and one forged (its signature failed).
fn recording_with_forgery(dir: &std::path::Path) -> std::path::PathBuf {
    let line = |id: &str, verified: &str, reason: &str| {
        format!(
            r#"{{"source":"stripe-hooks","id":"{id}","type":"charge.succeeded","time":null,"received":"2026-11-22T10:00:00.000Z","data":{{"id":"{id}","type":"charge.succeeded","amount":100}},"webhook":{{"verified":{verified},"reason":{reason},"headers":{{"content-type":"application/json","stripe-signature":"***","user-agent":"Stripe/1.0"}},"forward":null,"attempt":1}}}}"#
        )
    };
    let lines = [
        line("evt_1", "true", "null"),
        line("evt_forged", "false", r#""bad signature""#),
        line("evt_2", "null", "null"),
        line("evt_3", "true", "null"),
    ];
    let path = dir.join("forged.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forged_delivery_is_not_re_signed_but_skipped_and_named() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording_with_forgery(dir.path());
    let (url, seen) = receiver().await;
    let out = evtop(dir.path())
        .args(["resend", "--verify", "stripe", "--secret", SECRET, "--to", &url])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "every delivery sent got a 2xx; skipping is reported, not a failure: {stdout}{stderr}"
    );
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    for (line, id) in lines.iter().zip(["evt_1", "evt_2", "evt_3"]) {
        assert!(line.starts_with(&format!("200 {id} ")), "{stdout}");
    }
    assert!(
        stderr.contains(
            "skipped 1 delivery that failed verification (bad signature): evt_forged; \
             --include-unverified sends them as recorded"
        ),
        "{stderr}"
    );
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|(body, ..)| !body.contains("evt_forged")),
        "{got:?}"
    );

    // Without --verify the same rule holds: the forgery is not sent.
    let (url, seen) = receiver().await;
    let out = evtop(dir.path())
        .args(["resend", "--to", &url])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("skipped 1 delivery that failed verification (bad signature): evt_forged"),
        "{stderr}"
    );
    let got = seen.lock().unwrap().clone();
    assert_eq!(got.len(), 3);
    assert!(
        got.iter().all(|(body, ..)| !body.contains("evt_forged")),
        "{got:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn include_unverified_sends_the_forgery_as_recorded_and_unsigned() {
    let dir = tempfile::tempdir().unwrap();
    let rec = recording_with_forgery(dir.path());
    let (url, seen) = receiver().await;
    let out = evtop(dir.path())
        .args([
            "resend",
            "--verify",
            "stripe",
            "--secret",
            SECRET,
            "--include-unverified",
        ])
        .args(["--to", &url])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let (stdout, stderr) = (
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    );
    assert_eq!(
        out.status.code(),
        Some(1),
        "the forgery got a 400: {stdout}{stderr}"
    );
    assert!(!stderr.contains("skipped"), "{stderr}");
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    assert!(lines[0].starts_with("200 evt_1 "), "{stdout}");
    assert!(
        lines[1].starts_with("400 evt_forged charge.succeeded [failed verification, sent as recorded]")
            && lines[1].contains("no Stripe-Signature header"),
        "{stdout}"
    );
    assert!(lines[2].starts_with("200 evt_2 "), "{stdout}");
    assert!(lines[3].starts_with("200 evt_3 "), "{stdout}");
    let got = seen.lock().unwrap().clone();
    let forged = got.iter().find(|(body, ..)| body.contains("evt_forged")).unwrap();
    assert_eq!(forged.2, None, "never re-signed: no signature header at all");
    assert_eq!(forged.1, "application/json", "the recorded headers");
    assert!(
        got.iter()
            .filter(|(body, ..)| !body.contains("evt_forged"))
            .all(|(_, _, sig)| sig.as_deref().is_some_and(|s| s.starts_with("t="))),
        "the others are re-signed: {got:?}"
    );
}

/// A receiver in Python that checks each delivery with Stripe's own
/// library (`stripe.Webhook.construct_event`), answers 200 or 400, and
/// prints `accepted ID` or `refused ID` per delivery; the first line is
/// its port.
const STRIPE_PYTHON_RECEIVER: &str = r#"
import json, sys, http.server
import stripe
secret = sys.argv[1]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        try:
            event = stripe.Webhook.construct_event(body, self.headers.get("Stripe-Signature"), secret)
            print("accepted", event["id"], flush=True)
            code, reply = 200, b"ok"
        except stripe.SignatureVerificationError as e:
            print("refused", json.loads(body)["id"], flush=True)
            code, reply = 400, str(e).encode()
        self.send_response(code)
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
print(server.server_address[1], flush=True)
server.serve_forever()
"#;

/// The stripe-python version .ci/run installs.
const STRIPE_PYTHON: &str = "stripe==16.1.0";

#[tokio::test(flavor = "multi_thread")]
async fn stripe_python_accepts_every_delivery_evtop_re_signed() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let check = tokio::process::Command::new("python3")
        .args(["-c", "import stripe"])
        .output()
        .await;
    match check {
        Ok(out) if out.status.success() => {}
        Ok(out) => panic!(
            "this test needs Stripe's Python library: `python3 -m pip install {STRIPE_PYTHON}` \
             (.ci/run installs it): {}",
            String::from_utf8_lossy(&out.stderr)
        ),
        Err(e) => panic!("this test needs python3 with `pip install {STRIPE_PYTHON}`: {e}"),
    }
    let mut py = tokio::process::Command::new("python3")
        .args(["-c", STRIPE_PYTHON_RECEIVER, SECRET])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let mut verdicts = BufReader::new(py.stdout.take().unwrap()).lines();
    let port = tokio::time::timeout(Duration::from_secs(20), verdicts.next_line())
        .await
        .expect("the Python receiver prints its port")
        .unwrap()
        .expect("the Python receiver started");
    let dir = tempfile::tempdir().unwrap();
    let rec = recording_with_forgery(dir.path());
    let out = evtop(dir.path())
        .args([
            "resend",
            "--verify",
            "stripe",
            "--secret",
            SECRET,
            "--include-unverified",
        ])
        .args(["--to", &format!("http://127.0.0.1:{port}/hooks")])
        .arg(&rec)
        .output()
        .await
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), 4, "{stdout}");
    let mut seen = Vec::new();
    for _ in 0..4 {
        let line = tokio::time::timeout(Duration::from_secs(10), verdicts.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
        seen.push(line);
    }
    assert_eq!(
        seen,
        [
            "accepted evt_1",
            "refused evt_forged",
            "accepted evt_2",
            "accepted evt_3"
        ],
        "every re-signed delivery accepted, the forgery (sent unsigned) refused: {stdout}"
    );
    let _ = py.kill().await;
}
