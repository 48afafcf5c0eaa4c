//! Replies sent before a body is read (413 over `max_event_bytes`, 404,
//! 405) reach the sender: through the real binary with Python's urllib,
//! curl and reqwest, which send the whole body before (or while) reading
//! the answer; then on raw sockets, the drain's bounds at their edges.

use std::net::SocketAddr;
use std::process::Stdio;
use std::time::Duration;

use evtop::source::SourceMsg;
use evtop::source::webhook::{DRAIN_BYTES, DRAIN_TIMEOUT, Limits};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// The body every sender tries: twice the default `max_event_bytes`.
const TWO_MIB: usize = 2 << 20;
/// Tries per client.
const TRIES: usize = 10;

/// Python's urllib: POST (or `method`) `TRIES` bodies of `TWO_MIB` to
/// `url`, one connection each; returns each try's status or error.
async fn python_tries(url: &str, method: &str) -> Vec<String> {
    const SCRIPT: &str = r#"
import sys, urllib.request, urllib.error
url, method, size, tries = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
body = b"x" * size
for _ in range(tries):
    req = urllib.request.Request(url, data=body, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with opener.open(req, timeout=20) as r:
            print(r.status, flush=True)
    except urllib.error.HTTPError as e:
        print(e.code, flush=True)
    except Exception as e:
        print("ERR", type(e).__name__, e, flush=True)
"#;
    let out = tokio::process::Command::new("python3")
        .args([
            "-c",
            SCRIPT,
            url,
            method,
            &TWO_MIB.to_string(),
            &TRIES.to_string(),
        ])
        .output()
        .await
        .expect("python3 is needed for this test: install python3");
    assert!(
        out.status.success(),
        "python3 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

/// curl: `TRIES` POSTs of the file `body` to `url`; `extra` are more
/// arguments. Returns each try's status (`000` when no answer came).
async fn curl_tries(url: &str, body: &std::path::Path, extra: &[&str]) -> Vec<String> {
    let mut got = Vec::new();
    for _ in 0..TRIES {
        let out = tokio::process::Command::new("curl")
            .args(["-s", "--noproxy", "*", "-o", "/dev/null", "-w", "%{http_code}"])
            .args(["--max-time", "20", "--data-binary"])
            .arg(format!("@{}", body.display()))
            .args(extra)
            .arg(url)
            .output()
            .await
            .expect("curl is needed for this test: install curl");
        got.push(String::from_utf8_lossy(&out.stdout).into_owned());
    }
    got
}

#[tokio::test(flavor = "multi_thread")]
async fn a_two_mib_body_gets_its_413_with_urllib_curl_and_reqwest() {
    let dir = tempfile::tempdir().unwrap();
    let mut child = evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--duration",
            "120s",
            "--listen",
            "hooks=127.0.0.1:0/hooks",
        ])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (url, _stderr) = listening_url(&mut child, "hooks").await;
    let expect = |what: &str, got: Vec<String>, status: &str| {
        assert_eq!(got.len(), TRIES, "{what}: {got:?}");
        assert!(got.iter().all(|s| s == status), "{what}: {got:?}");
    };

    expect("urllib", python_tries(&url, "POST").await, "413");
    let file = dir.path().join("two-mib.json");
    std::fs::write(&file, vec![b'x'; TWO_MIB]).unwrap();
    // curl asks `Expect: 100-continue` for a body this size; without it,
    // it sends the body straight away.
    expect("curl", curl_tries(&url, &file, &[]).await, "413");
    expect(
        "curl without Expect",
        curl_tries(&url, &file, &["-H", "Expect:"]).await,
        "413",
    );
    // reqwest keeps its connection: each refused body is drained, so the
    // same connection serves the next try.
    let client = sender();
    for i in 0..TRIES {
        let resp = client.post(&url).body(vec![b'x'; TWO_MIB]).send().await;
        let status = resp.map(|r| r.status().as_u16()).map_err(|e| format!("{e:?}"));
        assert_eq!(status, Ok(413), "reqwest try {i}");
    }
    // Streamed without a length: refused once past the limit, the rest
    // drained.
    for i in 0..TRIES {
        let chunks =
            futures_util::stream::iter((0..32).map(|_| Ok::<_, std::io::Error>(vec![b'y'; 1 << 16])));
        let resp = client
            .post(&url)
            .body(reqwest::Body::wrap_stream(chunks))
            .send()
            .await;
        let status = resp.map(|r| r.status().as_u16()).map_err(|e| format!("{e:?}"));
        assert_eq!(status, Ok(413), "reqwest streamed try {i}");
    }
    // The other replies sent before the body is read.
    let base = url.trim_end_matches("/hooks");
    expect(
        "urllib, unknown path",
        python_tries(&format!("{base}/nowhere"), "POST").await,
        "404",
    );
    expect("urllib, PUT", python_tries(&url, "PUT").await, "405");

    // And the receiver goes on answering deliveries.
    let resp = client.post(&url).body("{\"after\":true}").send().await.unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
    let line = tokio::time::timeout(Duration::from_secs(10), stdout.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(line.contains("\"data\":{\"after\":true}"), "{line}");
    let _ = child.kill().await;
}

/// A webhook source on /h (`max_event_bytes` = 1 KiB) served with
/// `limits`; returns its address and the token that stops it.
async fn serve_with(limits: Limits) -> (SocketAddr, mpsc::Receiver<SourceMsg>, CancellationToken) {
    webhook_served(limits, 1024).await
}

/// Read one response's head (up to the blank line) from `sock`, then
/// `body_len` bytes of body.
async fn read_response(sock: &mut TcpStream, body_len: usize) -> String {
    let mut got = Vec::new();
    let mut byte = [0u8; 1];
    while !got.ends_with(b"\r\n\r\n") {
        let n = tokio::time::timeout(Duration::from_secs(10), sock.read(&mut byte))
            .await
            .expect("an answer")
            .unwrap();
        assert_eq!(
            n,
            1,
            "connection closed mid-answer: {}",
            String::from_utf8_lossy(&got)
        );
        got.push(byte[0]);
    }
    let mut body = vec![0u8; body_len];
    sock.read_exact(&mut body).await.unwrap();
    got.extend_from_slice(&body);
    String::from_utf8_lossy(&got).into_owned()
}

/// Whether the server closed `sock` (EOF or reset) within 10 s.
async fn closed(sock: &mut TcpStream) -> bool {
    let mut rest = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut rest))
        .await
        .is_ok()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_drained_refusal_keeps_the_connection_for_the_next_delivery() {
    let (addr, _rx, cancel) = serve_with(Limits::default()).await;
    let mut sock = TcpStream::connect(addr).await.unwrap();
    let body = vec![b'x'; 100_000];
    let head = format!(
        "POST /h HTTP/1.1\r\nHost: evtop\r\nContent-Length: {}\r\n\r\n",
        body.len()
    );
    sock.write_all(head.as_bytes()).await.unwrap();
    sock.write_all(&body).await.unwrap();
    let answer = read_response(&mut sock, "body over 1024 bytes (max_event_bytes)\n".len()).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // Same connection, next request.
    sock.write_all(b"POST /h HTTP/1.1\r\nHost: evtop\r\nContent-Length: 2\r\n\r\n{}")
        .await
        .unwrap();
    let answer = read_response(&mut sock, 0).await;
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_past_the_drain_bound_is_answered_at_once_and_the_connection_closed() {
    assert_eq!(Limits::default().drain_bytes, DRAIN_BYTES);
    let limits = Limits {
        drain_bytes: 10_000,
        ..Limits::default()
    };
    let (addr, _rx, cancel) = serve_with(limits).await;
    // Announced past the bound: answered without waiting for the body.
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"POST /h HTTP/1.1\r\nHost: evtop\r\nContent-Length: 10001\r\n\r\n")
        .await
        .unwrap();
    let answer = read_response(&mut sock, 0).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    assert!(closed(&mut sock).await, "the connection is closed");
    // At the bound: drained, answered, kept.
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"POST /h HTTP/1.1\r\nHost: evtop\r\nContent-Length: 10000\r\n\r\n")
        .await
        .unwrap();
    sock.write_all(&[b'x'; 10_000]).await.unwrap();
    let answer = read_response(&mut sock, 0).await;
    assert!(answer.starts_with("HTTP/1.1 413 "), "{answer}");
    assert!(
        !answer.to_ascii_lowercase().contains("connection: close"),
        "{answer}"
    );
    // Streamed past the bound: cut off.
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"POST /h HTTP/1.1\r\nHost: evtop\r\nTransfer-Encoding: chunked\r\n\r\n")
        .await
        .unwrap();
    let chunk = format!("{:x}\r\n{}\r\n", 4096, "z".repeat(4096));
    let mut sent = 0;
    while sent < 30_000 && sock.write_all(chunk.as_bytes()).await.is_ok() {
        sent += 4096;
    }
    assert!(closed(&mut sock).await, "the connection is closed past the bound");
    // The server goes on answering.
    let resp = sender()
        .post(format!("http://{addr}/h"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn a_body_that_stalls_is_drained_only_until_the_drain_timeout() {
    assert_eq!(Limits::default().drain_timeout, DRAIN_TIMEOUT);
    let limits = Limits {
        drain_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    let (addr, _rx, cancel) = serve_with(limits).await;
    let mut sock = TcpStream::connect(addr).await.unwrap();
    sock.write_all(b"POST /nowhere HTTP/1.1\r\nHost: evtop\r\nContent-Length: 5000\r\n\r\nxx")
        .await
        .unwrap();
    // The answer comes at once; the rest of the body never does, and the
    // connection is closed after the drain timeout.
    let answer = read_response(&mut sock, 0).await;
    assert!(answer.starts_with("HTTP/1.1 404 "), "{answer}");
    assert!(closed(&mut sock).await, "the connection is closed");
    cancel.cancel();
}
