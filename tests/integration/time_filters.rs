//! Time in filters (SPEC 11.1) through the real binary: `received` /
//! `time` comparisons on a recording with known receive times (exact counts
//! at the bounds), `since:` / `until:` counted from a replay's clock, from
//! a recording's latest `received` in `resend`, and from the wall clock in
//! a live `tail`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;

use crate::support::*;

/// 2025-01-01T14:05:00Z, long before the wall clock of any test run.
const BASE: i64 = 1_735_740_300_000;

fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// A recorded event received `offset` ms after 14:05:00, with its own time
/// one second earlier (or none).
fn line(i: usize, offset: i64, own_time: bool) -> String {
    let time = if own_time {
        format!("\"{}\"", rfc3339(BASE + offset - 1000))
    } else {
        "null".to_owned()
    };
    format!(
        r#"{{"source":"pay","id":"e{i}","type":"charge","time":{time},"received":"{}","data":{{"i":{i}}}}}"#,
        rfc3339(BASE + offset)
    )
}

/// Events around the window [14:05:00, 14:05:10), in receive order.
const AROUND: [i64; 9] = [-2000, -1, 0, 1, 5000, 9999, 10_000, 10_001, 15_000];

fn write(dir: &std::path::Path, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("rec.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

/// The ids `evtop replay --tail --speed 0 -f FILTER` prints.
async fn replayed(dir: &std::path::Path, rec: &std::path::Path, filter: &str) -> Vec<String> {
    let out = evtop(dir)
        .args([
            "replay", "--tail", "--speed", "0", "--format", "ndjson", "-f", filter,
        ])
        .arg(rec)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{filter}: {out:?}");
    ndjson_lines(&out.stdout)
        .iter()
        .map(|v| v["id"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn received_and_time_comparisons_give_exact_counts_at_the_bounds() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = AROUND
        .iter()
        .enumerate()
        .map(|(i, &d)| line(i, d, i % 2 == 0))
        .collect();
    let rec = write(dir.path(), &lines);
    let window = ["e2", "e3", "e4", "e5"];
    // The rate chart's form, UTC with `Z`.
    let got = replayed(
        dir.path(),
        &rec,
        "received>=2025-01-01T14:05:00Z received<2025-01-01T14:05:10Z",
    )
    .await;
    assert_eq!(got, window);
    // Another offset, the same instants.
    let got = replayed(
        dir.path(),
        &rec,
        "received>=2025-01-01T15:05:00+01:00 received<2025-01-01T09:05:10-05:00",
    )
    .await;
    assert_eq!(got, window);
    // A clock time is on the UTC date of the replay's clock (the
    // recording's day), not the wall clock's.
    let got = replayed(dir.path(), &rec, "received>=14:05 received<14:05:10").await;
    assert_eq!(got, window);
    let got = replayed(dir.path(), &rec, "received>14:05:00.000 received<=14:05:10").await;
    assert_eq!(got, ["e3", "e4", "e5", "e6"]);
    let got = replayed(dir.path(), &rec, "-received>=2025-01-01T14:05:00Z").await;
    assert_eq!(got, ["e0", "e1"]);
    // `time`: the events' own time, a second before they were received;
    // the odd ones have none and never match (and always match negated).
    let got = replayed(dir.path(), &rec, "time>=14:05 time<14:05:10").await;
    assert_eq!(got, ["e4", "e6"]);
    let got = replayed(dir.path(), &rec, "-time>=14:04").await;
    assert_eq!(got, ["e1", "e3", "e5", "e7"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn since_and_until_in_a_replay_count_back_from_the_recordings_end() {
    let dir = tempfile::tempdir().unwrap();
    // In order, then e4 arrives 2.5 s late (the clock is at 3 s), then e5.
    let offsets = [0, 1000, 2000, 3000, 500, 4000];
    let lines: Vec<String> = offsets
        .iter()
        .enumerate()
        .map(|(i, &d)| line(i, d, false))
        .collect();
    let rec = write(dir.path(), &lines);
    // Against the wall clock the recording is over a year old: since:1h
    // would print nothing and until:1s everything. Read to its end, "now"
    // is its latest event, e5 at 4 s, for every line.
    assert_eq!(replayed(dir.path(), &rec, "since:1h").await.len(), 6);
    assert_eq!(replayed(dir.path(), &rec, "since:1s").await, ["e3", "e5"]);
    assert_eq!(replayed(dir.path(), &rec, "since:999ms").await, ["e5"]);
    assert_eq!(replayed(dir.path(), &rec, "since:2s").await, ["e2", "e3", "e5"]);
    assert_eq!(replayed(dir.path(), &rec, "-since:2s").await, ["e0", "e1", "e4"]);
    assert_eq!(
        replayed(dir.path(), &rec, "until:3000ms").await,
        ["e0", "e1", "e4"]
    );
    assert_eq!(replayed(dir.path(), &rec, "until:3001ms").await, ["e0", "e4"]);
    assert!(replayed(dir.path(), &rec, "until:4001ms").await.is_empty());
}

/// A webhook delivery received `offset` ms after 14:05:00.
fn delivery(i: usize, offset: i64) -> String {
    format!(
        r#"{{"source":"hooks","id":"d{i}","type":"charge.succeeded","time":null,"received":"{}","data":{{"id":"d{i}"}},"webhook":{{"verified":null,"reason":null,"headers":{{"content-type":"application/json"}},"forward":null,"attempt":1}}}}"#,
        rfc3339(BASE + offset)
    )
}

/// A receiver that answers 200 and keeps each body.
async fn receiver() -> (String, Arc<Mutex<Vec<String>>>) {
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let s = seen.clone();
    let app = axum::Router::new().route(
        "/hooks",
        axum::routing::post(move |body: Bytes| {
            let s = s.clone();
            async move {
                s.lock()
                    .unwrap()
                    .push(String::from_utf8_lossy(&body).into_owned());
                "ok"
            }
        }),
    );
    let addr = serve(app).await;
    (format!("http://{addr}/hooks"), seen)
}

#[tokio::test(flavor = "multi_thread")]
async fn resend_sends_exactly_the_deliveries_in_the_time_window() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = AROUND.iter().enumerate().map(|(i, &d)| delivery(i, d)).collect();
    let rec = write(dir.path(), &lines);
    let resend = |filter: &'static str| {
        let (dir, rec) = (dir.path().to_owned(), rec.clone());
        async move {
            let (url, seen) = receiver().await;
            let out = evtop(&dir)
                .args(["resend", "--to", &url, "-f", filter])
                .arg(&rec)
                .output()
                .await
                .unwrap();
            assert!(out.status.success(), "{filter}: {out:?}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            let got: Vec<String> = seen.lock().unwrap().clone();
            assert_eq!(stdout.lines().count(), got.len(), "{stdout}");
            got.iter()
                .map(|b| {
                    serde_json::from_str::<serde_json::Value>(b).unwrap()["id"]
                        .as_str()
                        .unwrap()
                        .to_owned()
                })
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        resend("received>=2025-01-01T14:05:00Z received<2025-01-01T14:05:10Z").await,
        ["d2", "d3", "d4", "d5"]
    );
    assert_eq!(resend("received>2025-01-01T14:05:10Z").await, ["d7", "d8"]);
    // Now is the recording's latest received (14:05:15): its last 5 s.
    assert_eq!(resend("since:5s").await, ["d6", "d7", "d8"]);
    assert_eq!(resend("since:4999ms").await, ["d7", "d8"]);
    assert_eq!(resend("until:15s").await, ["d0", "d1", "d2"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn catalog_of_a_recording_counts_since_from_its_latest_received() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = AROUND
        .iter()
        .enumerate()
        .map(|(i, &d)| line(i, d, false))
        .collect();
    let rec = write(dir.path(), &lines);
    for (filter, want) in [
        ("since:5s", 3),
        ("since:4999ms", 2),
        ("received>=14:05 received<14:05:10", 4),
    ] {
        let out = evtop(dir.path())
            .args(["catalog", "--format", "json", "-f", filter])
            .arg(&rec)
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{filter}: {out:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains(&format!("catalogued {want} events of 1 types")),
            "{filter}: {stderr}"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_live_tail_counts_since_and_until_from_the_wall_clock() {
    let dir = tempfile::tempdir().unwrap();
    let addr = ticking_sse(Duration::from_millis(20)).await;
    // Live events were just received: within the last minute...
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "5", "-f", "since:1m"])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    assert_eq!(lines.len(), 5);
    let now = chrono::Utc::now().timestamp_millis();
    for l in &lines {
        let received = chrono::DateTime::parse_from_rfc3339(l["received"].as_str().unwrap()).unwrap();
        assert!(now - received.timestamp_millis() < 60_000, "{l}");
    }
    // ... and never a minute old, however many arrive.
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--duration", "1s", "-f", "until:1m"])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert!(out.stdout.is_empty(), "{}", String::from_utf8_lossy(&out.stdout));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("connected"),
        "{out:?}"
    );
    // A clock time of today in UTC: every live event is after midnight.
    let out = evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "3",
            "-f",
            "received>=00:00",
        ])
        .arg(format!("http://{addr}/"))
        .output()
        .await
        .unwrap();
    assert_eq!(ndjson_lines(&out.stdout).len(), 3, "{out:?}");
}
