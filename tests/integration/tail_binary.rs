//! `evtop tail` end to end through the real binary.

use std::path::Path;
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};

use crate::support::*;

/// A server that streams `charge.*` and `ping` events, one every `gap`.
async fn stripe_like(gap: Duration) -> std::net::SocketAddr {
    let (addr, _) = raw_server(move |_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for i in 0.. {
            let ty = ["charge.succeeded", "ping", "charge.failed"][i % 3];
            let ev = format!(
                "id: evt_{i}\nevent: {ty}\ndata: {{\"amount\":{},\"created\":1795860000}}\n\n",
                i * 100
            );
            if sock.write_all(ev.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(gap).await;
        }
    })
    .await;
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn ndjson_shape_count_and_filter() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stripe_like(Duration::from_millis(5)).await;
    let out = evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "4",
            "-f",
            "type:charge.*",
        ])
        .arg(format!("pay=http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{stdout}");
    for (i, line) in lines.iter().enumerate() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
        let mut sorted = keys.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ["data", "id", "received", "source", "time", "type"]);
        assert_eq!(v["source"], "pay");
        assert!(v["type"].as_str().unwrap().starts_with("charge."), "{line}");
        assert_eq!(v["time"], serde_json::Value::Null, "no time_pointer given");
        assert!(v["received"].as_str().unwrap().ends_with('Z'));
        assert!(v["data"]["amount"].is_u64());
        // ids skip the filtered-out pings: evt_0, evt_2, evt_3, evt_5
        let want = ["evt_0", "evt_2", "evt_3", "evt_5"][i];
        assert_eq!(v["id"], want);
    }
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(stderr.contains("pay: connected (HTTP 200)"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn text_format_and_host_naming() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stripe_like(Duration::from_millis(5)).await;
    let out = evtop(dir.path())
        .args(["tail", "--format", "text", "--count", "1"])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert!(
        stdout.contains(" 127.0.0.1 charge.succeeded evt_0 {\"amount\":0"),
        "{stdout}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn duration_ends_the_run() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stripe_like(Duration::from_millis(50)).await;
    let started = std::time::Instant::now();
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--duration", "700ms"])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(started.elapsed() < Duration::from_secs(10));
    let n = String::from_utf8(out.stdout).unwrap().lines().count();
    assert!(n >= 2, "events arrived during the run: {n}");
}

fn streamdata_config(dir: &Path, addr: std::net::SocketAddr) -> std::path::PathBuf {
    let path = dir.join("evtop.toml");
    std::fs::write(
        &path,
        format!("[[source]]\nname = \"quotes\"\nurl = \"http://{addr}/\"\npatch = true\n"),
    )
    .unwrap();
    path
}

async fn streamdata_server() -> std::net::SocketAddr {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock
            .write_all(
                b"event: data\ndata: {\"px\":1,\"sym\":\"ACME\"}\n\nevent: patch\ndata: [{\"op\":\"replace\",\"path\":\"/px\",\"value\":2}]\n\n",
            )
            .await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    addr
}

#[tokio::test(flavor = "multi_thread")]
async fn state_out_written_at_count() {
    let dir = tempfile::tempdir().unwrap();
    let addr = streamdata_server().await;
    let cfg = streamdata_config(dir.path(), addr);
    let state = dir.path().join("state.json");
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "2", "-c"])
        .arg(&cfg)
        .arg("--state-out")
        .arg(&state)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let v: serde_json::Value = read_json(&state);
    assert_eq!(v, serde_json::json!({"quotes": {"px": 2, "sym": "ACME"}}));
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_ends_cleanly_and_writes_state() {
    let dir = tempfile::tempdir().unwrap();
    let addr = streamdata_server().await;
    let cfg = streamdata_config(dir.path(), addr);
    let state = dir.path().join("state.json");
    let mut child = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "-c"])
        .arg(&cfg)
        .arg("--state-out")
        .arg(&state)
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    for _ in 0..2 {
        tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .unwrap()
            .unwrap()
            .unwrap();
    }
    let pid = child.id().unwrap().to_string();
    let killed = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap();
    assert!(killed.success());
    let status = tokio::time::timeout(Duration::from_secs(10), child.wait())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(status.code(), Some(0));
    let v: serde_json::Value = read_json(&state);
    assert_eq!(v["quotes"]["px"], 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_errors_exit_2_with_one_line() {
    let dir = tempfile::tempdir().unwrap();
    // No source at all: a hint naming `evtop demo` and --help.
    let out = evtop(dir.path()).arg("tail").output().await.unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("evtop demo") && err.contains("--help"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
    // A bad filter names the term.
    let out = evtop(dir.path())
        .args(["tail", "-f", "type:charge.* .amount>>1", "http://127.0.0.1:9/"])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains(".amount>>1"), "{err}");
    // A bad config names the file and the key.
    let cfg = dir.path().join("bad.toml");
    std::fs::write(
        &cfg,
        "[[source]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/\"\nintervall = \"2s\"\n",
    )
    .unwrap();
    let out = evtop(dir.path())
        .args(["tail", "-c"])
        .arg(&cfg)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad.toml") && err.contains("intervall"), "{err}");
    // An unset ${VAR} names the variable.
    std::fs::write(
        &cfg,
        "[[source]]\nname = \"x\"\nurl = \"http://127.0.0.1:9/\"\nheaders = { Authorization = \"Bearer ${EVTOP_TEST_UNSET_VAR}\" }\n",
    )
    .unwrap();
    let out = evtop(dir.path())
        .args(["tail", "-c"])
        .arg(&cfg)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("EVTOP_TEST_UNSET_VAR") && err.contains("Authorization"),
        "{err}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn secret_from_env_never_printed() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, seen) = raw_server(|_, _, mut sock| async move {
        respond(&mut sock, "401 Unauthorized", &[], "no").await;
    })
    .await;
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!("[[source]]\nname = \"x\"\nurl = \"http://{addr}/?key=${{EVTOP_T_KEY}}\"\nheaders = {{ Authorization = \"Bearer ${{EVTOP_T_TOKEN}}\" }}\n"),
    )
    .unwrap();
    let out = evtop(dir.path())
        .env("EVTOP_T_KEY", "sk_live_urlsecret")
        .env("EVTOP_T_TOKEN", "tok_headersecret")
        .env("EVTOP_LOG", "trace")
        .args(["tail", "--duration", "1s", "-c"])
        .arg(&cfg)
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1), "the only source never connected");
    let reqs = seen.lock().unwrap().clone();
    assert_eq!(
        reqs[0].header("Authorization"),
        Some("Bearer tok_headersecret"),
        "the secret is sent"
    );
    let all = format!(
        "{}{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
        std::fs::read_to_string(dir.path().join("evtop.log")).unwrap_or_default()
    );
    assert!(all.contains("401"), "{all}");
    assert!(
        !all.contains("urlsecret") && !all.contains("headersecret"),
        "{all}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn sensitive_cli_header_masked_even_when_a_server_echoes_it() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = raw_server(|_, req, mut sock| async move {
        let echoed = format!(
            "invalid credentials: {}",
            req.header("Authorization").unwrap_or("")
        );
        respond(&mut sock, "401 Unauthorized", &[], &echoed).await;
    })
    .await;
    let out = evtop(dir.path())
        .args([
            "tail",
            "--duration",
            "1s",
            "-H",
            "Authorization: Bearer tok_cli_secret",
        ])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("invalid credentials: ***"), "{stderr}");
    assert!(!stderr.contains("tok_cli_secret"), "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn demo_tail_serves_all_demo_sources() {
    let dir = tempfile::tempdir().unwrap();
    let out = evtop(dir.path())
        .args(["demo", "--tail", "--format", "ndjson", "--duration", "4s"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut sources = std::collections::BTreeSet::new();
    let mut types = std::collections::BTreeSet::new();
    let mut verified = std::collections::BTreeSet::new();
    for line in stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        sources.insert(v["source"].as_str().unwrap().to_owned());
        types.insert(v["type"].as_str().unwrap().to_owned());
        if v["source"] == "stripe-hooks" {
            verified.insert(v["webhook"]["verified"].as_bool().expect("a verified flag"));
            assert_eq!(v["webhook"]["headers"]["stripe-signature"], "***");
        }
    }
    assert!(verified.contains(&true), "signed deliveries verify");
    assert_eq!(
        sources.into_iter().collect::<Vec<_>>(),
        [
            "orders",
            "quotes",
            "stripe",
            "stripe-api",
            "stripe-hooks",
            "ticker"
        ]
    );
    assert!(types.contains("data") && types.contains("patch"), "{types:?}");
    assert!(types.len() >= 6, "several Stripe-like types: {types:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_with_fifty_sources_works() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = raw_server(|_, req, mut sock| async move {
        sse_head(&mut sock).await;
        let ev = format!("event: hello\ndata: {{\"path\":\"{}\"}}\n\n", req.path);
        let _ = sock.write_all(ev.as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let mut cfg = String::new();
    for i in 0..50 {
        cfg.push_str(&format!(
            "[[source]]\nname = \"s{i}\"\nurl = \"http://{addr}/{i}\"\n\n"
        ));
    }
    let path = dir.path().join("fifty.toml");
    std::fs::write(&path, cfg).unwrap();
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "50", "-c"])
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let mut names: Vec<String> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    names.sort();
    names.dedup();
    assert_eq!(names.len(), 50);
}

#[tokio::test(flavor = "multi_thread")]
async fn unwritable_state_out_is_one_clear_line() {
    let dir = tempfile::tempdir().unwrap();
    let out = evtop(dir.path())
        .args([
            "tail",
            "--duration",
            "1s",
            "--state-out",
            "/nonexistent-dir/state.json",
            "http://127.0.0.1:9/",
        ])
        .output()
        .await
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("cannot write --state-out /nonexistent-dir/state.json"),
        "{err}"
    );
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");
}
