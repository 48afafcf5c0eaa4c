//! Peak memory of `evtop tail` under hostile or heavy streams, measured by
//! the OS (`VmHWM` in /proc/PID/status), never estimated.

use std::process::Stdio;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::*;

/// The bound SPEC and the issue set for `tail` with default settings.
const PEAK_LIMIT_KIB: u64 = 96 * 1024;

/// Run `evtop tail ARGS` to completion, sampling its peak RSS (KiB).
pub(crate) async fn peak_rss(args: &[String]) -> (u64, std::process::Output) {
    let dir = tempfile::tempdir().unwrap();
    let mut child = evtop(dir.path())
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id().unwrap();
    let status_path = format!("/proc/{pid}/status");
    let mut peak = 0;
    let stdout = child.stdout.take().unwrap();
    let stderr = child.stderr.take().unwrap();
    let out_task = tokio::spawn(read_all(stdout));
    let err_task = tokio::spawn(read_all(stderr));
    loop {
        if let Ok(text) = std::fs::read_to_string(&status_path) {
            if let Some(kib) = text
                .lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse::<u64>().ok())
            {
                peak = peak.max(kib);
            }
        }
        match tokio::time::timeout(Duration::from_millis(50), child.wait()).await {
            Ok(status) => {
                let status = status.unwrap();
                let out = std::process::Output {
                    status,
                    stdout: out_task.await.unwrap(),
                    stderr: err_task.await.unwrap(),
                };
                return (peak, out);
            }
            Err(_) => continue,
        }
    }
}

async fn read_all(mut r: impl tokio::io::AsyncRead + Unpin) -> Vec<u8> {
    use tokio::io::AsyncReadExt;
    let mut v = Vec::new();
    let _ = r.read_to_end(&mut v).await;
    v
}

#[tokio::test(flavor = "multi_thread")]
async fn endless_line_for_ten_seconds_stays_bounded() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock.write_all(b"data: ").await;
        let chunk = vec![b'x'; 64 * 1024];
        let until = tokio::time::Instant::now() + Duration::from_secs(10);
        while tokio::time::Instant::now() < until {
            if sock.write_all(&chunk).await.is_err() {
                return;
            }
        }
    })
    .await;
    let args: Vec<String> = ["tail", "--format", "ndjson", "--duration", "10s"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("http://{addr}/")])
        .collect();
    let (peak, out) = peak_rss(&args).await;
    assert!(out.status.success(), "{out:?}");
    eprintln!("endless line: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn eight_mib_event_between_two_small_ones() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock.write_all(b"data: {\"n\":1}\n\ndata: ").await;
        let chunk = vec![b'y'; 64 * 1024];
        for _ in 0..128 {
            if sock.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"\n\ndata: {\"n\":2}\n\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let args: Vec<String> = ["tail", "--format", "ndjson", "--count", "2"]
        .iter()
        .map(|s| s.to_string())
        .chain([format!("src=http://{addr}/")])
        .collect();
    let (peak, out) = peak_rss(&args).await;
    assert!(out.status.success(), "{out:?}");
    let lines: Vec<serde_json::Value> = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(
        (lines[0]["data"]["n"].as_u64(), lines[1]["data"]["n"].as_u64()),
        (Some(1), Some(2))
    );
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains("src: dropped: event of") && stderr.contains("max_event_bytes"),
        "{stderr}"
    );
    eprintln!("8 MiB event: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_million_small_events_with_buffer_100000() {
    const N: usize = 1_000_000;
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let mut buf = Vec::with_capacity(1 << 20);
        for i in 0..N {
            buf.extend_from_slice(format!("id: {i}\nevent: t{}\ndata: {{\"i\":{i}}}\n\n", i % 6).as_bytes());
            if buf.len() > (1 << 20) - 128 {
                if sock.write_all(&buf).await.is_err() {
                    return;
                }
                buf.clear();
            }
        }
        let _ = sock.write_all(&buf).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("flood.toml");
    std::fs::write(
        &cfg,
        format!("[settings]\nbuffer = 100000\n\n[[source]]\nname = \"flood\"\nurl = \"http://{addr}/\"\n"),
    )
    .unwrap();
    let args: Vec<String> = [
        "tail",
        "--format",
        "ndjson",
        "--count",
        &N.to_string(),
        "-c",
        cfg.to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let (peak, out) = peak_rss(&args).await;
    assert!(out.status.success(), "{:?}", String::from_utf8_lossy(&out.stderr));
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(stdout.lines().count(), N);
    assert!(
        stdout
            .lines()
            .last()
            .unwrap()
            .contains(&format!("\"id\":\"{}\"", N - 1))
    );
    eprintln!("1M events: peak RSS {} MiB", peak / 1024);
    assert!(peak > 0 && peak < PEAK_LIMIT_KIB, "peak RSS {peak} KiB");
}
