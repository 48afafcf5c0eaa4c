//! Faults a source must survive: a server killed mid-event, DNS failure, a
//! TLS handshake failure (self-signed certificate), a server that sends one
//! byte at a time. Each gives a clear status, no crash, and recovery.

use std::time::Duration;

use evtop::source::{SourceMsg, Status};
use tokio::io::AsyncWriteExt;

use crate::support::*;

fn retry_reasons(msgs: &[SourceMsg]) -> Vec<String> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Status {
                status: Status::Retrying { reason, .. },
                ..
            } => Some(reason.clone()),
            _ => None,
        })
        .collect()
}

#[tokio::test]
async fn server_killed_mid_event_loses_only_the_partial_event() {
    let (addr, seen) = raw_server(|n, _, mut sock| async move {
        sse_head(&mut sock).await;
        if n == 0 {
            let _ = sock
                .write_all(b"retry: 100\nid: 1\ndata: whole\n\nid: 2\ndata: par")
                .await;
            // killed: the socket drops mid-event
        } else {
            let _ = sock.write_all(b"id: 2\ndata: again\n\n").await;
            tokio::time::sleep(Duration::from_secs(10)).await;
        }
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let mut datas = Vec::new();
    let msgs = until(&mut eng, 10, |m| {
        if let SourceMsg::Events { events, .. } = m {
            datas.extend(events.iter().map(|e| e.data.clone()));
        }
        datas.len() >= 2
    })
    .await;
    assert_eq!(datas, ["whole", "again"], "the partial event is discarded");
    assert_eq!(seen.lock().unwrap()[1].header("Last-Event-ID"), Some("1"));
    assert!(
        retry_reasons(&msgs)
            .iter()
            .any(|r| r.contains("closed") || r.contains("connection")),
        "{msgs:?}"
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn dns_failure_is_named() {
    let mut eng = engine(
        &[sse_spec("s", "http://evtop-test.invalid/".into(), false, None)],
        1 << 20,
    );
    let msgs = until(&mut eng, 20, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let reason = &retry_reasons(&msgs)[0];
    assert!(
        reason.contains("cannot connect") && reason.contains("dns"),
        "{reason}"
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn one_byte_at_a_time_still_delivers() {
    let (addr, seen) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for b in "data: drip\n\n".bytes() {
            if sock.write_all(&[b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        tokio::time::sleep(Duration::from_secs(10)).await;
    })
    .await;
    let spec = sse_spec(
        "s",
        format!("http://{addr}/"),
        false,
        Some(Duration::from_secs(1)),
    );
    let mut eng = engine(&[spec], 1 << 20);
    let msgs = until(&mut eng, 10, |m| matches!(m, SourceMsg::Events { .. })).await;
    assert!(
        retry_reasons(&msgs).is_empty(),
        "a slow but live server is not dropped: {msgs:?}"
    );
    let SourceMsg::Events { events, .. } = msgs.last().unwrap() else {
        unreachable!()
    };
    assert_eq!(events[0].data, "drip");
    assert_eq!(seen.lock().unwrap().len(), 1);
    eng.shutdown().await;
}

/// A real TLS server (openssl s_server) with a self-signed certificate.
#[tokio::test]
async fn tls_handshake_failure_is_named_as_such() {
    let dir = tempfile::tempdir().unwrap();
    let (key, cert) = (dir.path().join("key.pem"), dir.path().join("cert.pem"));
    let ok = std::process::Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
            "-keyout",
        ])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(std::process::Stdio::null())
        .status()
        .expect("openssl must be installed");
    assert!(ok.success());
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let mut server = tokio::process::Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-www",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
        ])
        .arg(&cert)
        .arg("-key")
        .arg(&key)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mut eng = engine(
        &[sse_spec("s", format!("https://127.0.0.1:{port}/"), false, None)],
        1 << 20,
    );
    let msgs = until(&mut eng, 20, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let reason = &retry_reasons(&msgs)[0];
    assert!(
        reason.contains("certificate"),
        "the TLS failure is named: {reason}"
    );
    eng.shutdown().await;
    let _ = server.kill().await;
}
