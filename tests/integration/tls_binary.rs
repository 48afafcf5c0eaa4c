//! TLS through the real binary against a real `openssl s_server`:
//! certificate errors in words with the next step, `--cacert` and
//! `$SSL_CERT_FILE` making a private CA trusted, and `--insecure` saying on
//! the status line that nothing was checked; the same checks and `--cacert`
//! for `wss://` against Python's `websockets` over TLS.

use std::path::Path;
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::Duration;

use crate::support::*;

/// Run openssl with `args` in `dir`; panics when it fails.
fn openssl(dir: &Path, args: &[&str]) {
    let out = StdCommand::new("openssl")
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .output()
        .expect("openssl must be installed");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Keys and certificates in `dir`: `ca.pem` (a private CA), `leaf.pem` (for
/// 127.0.0.1 only, signed by it) and `self.pem` (self-signed, CA:TRUE as
/// `openssl req -x509` makes it), each with its `*.key`.
pub(crate) fn make_certs(dir: &Path) {
    let subj = |cn: &str| format!("/CN={cn}");
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &subj("evtop test CA"),
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            &subj("127.0.0.1"),
            "-keyout",
            "leaf.key",
            "-out",
            "leaf.csr",
        ],
    );
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "leaf.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "leaf.ext",
            "-out",
            "leaf.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &subj("127.0.0.1"),
            "-keyout",
            "self.key",
            "-out",
            "self.pem",
        ],
    );
}

/// `openssl s_server -HTTP` on 127.0.0.1 with `cert`, serving `/stream`: a
/// whole SSE response with one event. Returns the port and the server.
async fn tls_server(dir: &Path, cert: &str) -> (u16, tokio::process::Child) {
    std::fs::write(
        dir.join("stream"),
        "HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n\r\nid: 1\nevent: tls.ok\ndata: {\"ok\":true}\n\n",
    )
    .unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let key = cert.replace(".pem", ".key");
    let server = tokio::process::Command::new("openssl")
        .args([
            "s_server",
            "-quiet",
            "-HTTP",
            "-accept",
            &format!("127.0.0.1:{port}"),
            "-cert",
            cert,
            "-key",
            &key,
        ])
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    for _ in 0..200 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    (port, server)
}

async fn run(cmd: &mut tokio::process::Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("evtop did not exit")
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_private_ca_is_refused_in_words_then_trusted_with_cacert_or_ssl_cert_file() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let (port, _server) = tls_server(dir.path(), "leaf.pem").await;
    let url = format!("s=https://127.0.0.1:{port}/stream");

    let out = run(evtop(dir.path()).args(["tail", "--duration", "1s", &url])).await;
    let err = stderr(&out);
    assert!(
        err.contains("s: cannot connect: certificate not trusted (self-signed, or signed by a CA this system does not know); use --cacert FILE"),
        "{err}"
    );
    assert!(!err.contains("UnknownIssuer"), "{err}");
    assert_eq!(out.status.code(), Some(1));

    let ca = dir.path().join("ca.pem");
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "1", "--cacert"])
        .arg(&ca)
        .arg(&url))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(ndjson_lines(&out.stdout)[0]["type"], "tls.ok");
    assert!(stderr(&out).contains("s: connected (HTTP 200)\n"), "{out:?}");

    let out = run(evtop(dir.path())
        .env("SSL_CERT_FILE", &ca)
        .args(["tail", "--format", "ndjson", "--count", "1", &url]))
    .await;
    assert!(out.status.success(), "SSL_CERT_FILE is honoured: {out:?}");

    // The certificate names 127.0.0.1, not localhost.
    let other = format!("s=https://localhost:{port}/stream");
    let out = run(evtop(dir.path())
        .args(["tail", "--duration", "1s", "--cacert"])
        .arg(&ca)
        .arg(&other))
    .await;
    assert!(
        stderr(&out).contains("cannot connect: certificate is for another host (127.0.0.1, not localhost)"),
        "{out:?}"
    );

    let bad = dir.path().join("leaf.csr");
    let out = run(evtop(dir.path()).args(["tail", "--cacert"]).arg(&bad).arg(&url)).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("no PEM certificate in it"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_self_signed_certificate_is_named_and_insecure_says_so_on_the_status_line() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let (port, _server) = tls_server(dir.path(), "self.pem").await;
    let url = format!("s=https://127.0.0.1:{port}/stream");

    let out = run(evtop(dir.path()).args(["tail", "--duration", "1s", &url])).await;
    let err = stderr(&out);
    assert!(
        err.contains("s: cannot connect: self-signed certificate"),
        "{err}"
    );
    assert!(!err.contains("CaUsedAsEndEntity"), "{err}");

    let out =
        run(evtop(dir.path()).args(["tail", "--format", "ndjson", "--count", "1", "--insecure", &url])).await;
    assert!(out.status.success(), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("evtop: --insecure: HTTPS certificates are not checked"),
        "{err}"
    );
    assert!(
        err.contains("s: connected (HTTP 200, TLS unchecked: --insecure)"),
        "{err}"
    );
    assert_eq!(ndjson_lines(&out.stdout)[0]["type"], "tls.ok");
}

#[tokio::test(flavor = "multi_thread")]
async fn wss_takes_the_same_certificate_checks_and_cacert_as_https() {
    let dir = tempfile::tempdir().unwrap();
    make_certs(dir.path());
    let (cert, key) = (dir.path().join("leaf.pem"), dir.path().join("leaf.key"));
    let server = crate::websocket_servers::python(serde_json::json!({
        "frames": 3, "tls": [cert.display().to_string(), key.display().to_string()],
    }))
    .await;
    let url = format!("w=wss://127.0.0.1:{}/feed", server.port);

    let out = run(evtop(dir.path()).args(["tail", "--duration", "1s", &url])).await;
    let err = stderr(&out);
    assert!(
        err.contains("w: cannot connect: certificate not trusted (self-signed, or signed by a CA this system does not know); use --cacert FILE"),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1));

    let ca = dir.path().join("ca.pem");
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "3", "--cacert"])
        .arg(&ca)
        .arg(&url))
    .await;
    assert!(out.status.success(), "{out:?}");
    let seqs: Vec<_> = ndjson_lines(&out.stdout)
        .iter()
        .map(|l| l["data"]["seq"].clone())
        .collect();
    assert_eq!(seqs, [0, 1, 2], "{out:?}");
}
