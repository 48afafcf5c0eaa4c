//! Recordings: `evtop replay` through the real binary — the round trip of
//! what `tail` writes, state rebuilt, bad lines with file:line, timing by
//! `received` and `--speed`, `--follow`.

use std::io::Write;
use std::time::Duration;

use crate::support::*;

/// A recording of two sources, one of them Streamdata, plus a bad line.
fn recording() -> Vec<String> {
    vec![
        r#"{"source":"payments","id":"evt_1","type":"charge.succeeded","time":"2026-11-22T10:00:00Z","received":"2026-11-22T10:00:00.100Z","data":{"amount":1200,"z":1.50}}"#.into(),
        r#"{"source":"quotes","id":null,"type":"data","time":null,"received":"2026-11-22T10:00:00.200Z","data":{"px":1}}"#.into(),
        "this is not a recorded event".into(),
        r#"{"source":"quotes","id":null,"type":"patch","time":null,"received":"2026-11-22T10:00:00.300Z","data":[{"op":"replace","path":"/px","value":2}]}"#.into(),
        r#"{"source":"payments","id":"evt_2","type":"ping","time":null,"received":"2026-11-22T10:00:00.700Z","data":"plain text"}"#.into(),
    ]
}

fn write_recording(dir: &std::path::Path, lines: &[String]) -> std::path::PathBuf {
    let path = dir.join("rec.ndjson");
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
    path
}

#[tokio::test(flavor = "multi_thread")]
async fn replay_round_trips_rebuilds_state_and_reports_bad_lines() {
    let dir = tempfile::tempdir().unwrap();
    let lines = recording();
    let path = write_recording(dir.path(), &lines);
    let state = dir.path().join("state.json");
    let out = evtop(dir.path())
        .args([
            "replay",
            "--tail",
            "--speed",
            "0",
            "--format",
            "ndjson",
            "--state-out",
        ])
        .arg(&state)
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got: Vec<serde_json::Value> = ndjson_lines(&out.stdout);
    let want: Vec<serde_json::Value> = lines
        .iter()
        .filter(|l| l.starts_with('{'))
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(got, want, "names, ids, times, received and data kept");
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        stderr.contains(&format!("{}:3: not an evtop NDJSON line", path.display())),
        "{stderr}"
    );
    assert!(stderr.contains("4 events, 1 bad line"), "{stderr}");
    let v: serde_json::Value = read_json(&state);
    assert_eq!(v, serde_json::json!({"payments": null, "quotes": {"px": 2}}));
}

#[tokio::test(flavor = "multi_thread")]
async fn follow_reads_lines_appended_later() {
    let dir = tempfile::tempdir().unwrap();
    let lines = recording();
    let path = write_recording(dir.path(), &lines[..2]);
    let child = evtop(dir.path())
        .args([
            "replay", "--tail", "--follow", "--speed", "0", "--format", "ndjson", "--count", "3",
        ])
        .arg(&path)
        .spawn()
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    // Append one more line while the replay waits at the end of the file.
    let mut f = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
    f.write_all(format!("{}\n", lines[3]).as_bytes()).unwrap();
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got: Vec<serde_json::Value> = ndjson_lines(&out.stdout);
    assert_eq!(got.len(), 3);
    assert_eq!(got[2]["type"], "patch");
}

/// A live session of every kind of demo source (SSE, Streamdata, polling,
/// webhooks) replays to the same feed, type counts and final state.
#[tokio::test(flavor = "multi_thread")]
async fn a_recording_made_by_tail_replays_as_it_was_live() {
    let dir = tempfile::tempdir().unwrap();
    let (live_state, replay_state) = (dir.path().join("live.json"), dir.path().join("replay.json"));
    let rec = evtop(dir.path())
        .args([
            "demo",
            "--tail",
            "--format",
            "ndjson",
            "--duration",
            "3s",
            "--state-out",
        ])
        .arg(&live_state)
        .output()
        .await
        .unwrap();
    assert!(rec.status.success());
    let path = dir.path().join("demo.ndjson");
    std::fs::write(&path, &rec.stdout).unwrap();
    let out = evtop(dir.path())
        .args([
            "replay",
            "--tail",
            "--speed",
            "0",
            "--format",
            "ndjson",
            "--state-out",
        ])
        .arg(&replay_state)
        .arg(&path)
        .output()
        .await
        .unwrap();
    assert!(out.status.success());
    assert_eq!(
        out.stdout, rec.stdout,
        "the same feed, byte for byte (so the same type counts)"
    );
    let sources: std::collections::BTreeSet<String> = String::from_utf8(rec.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["source"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    assert!(
        sources.len() >= 4,
        "SSE, Streamdata, polling and webhook sources recorded: {sources:?}"
    );
    let read = |p: &std::path::Path| {
        serde_json::from_str::<serde_json::Value>(&std::fs::read_to_string(p).unwrap()).unwrap()
    };
    let (live, replayed) = (read(&live_state), read(&replay_state));
    assert!(live["quotes"].is_object(), "{live}");
    assert_eq!(replayed["quotes"], live["quotes"], "the same final state");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_config_file_source_replays_under_its_own_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_recording(dir.path(), &recording());
    let cfg = dir.path().join("c.toml");
    std::fs::write(
        &cfg,
        format!(
            "[[source]]\nname = \"yesterday\"\nkind = \"file\"\npath = \"{}\"\nspeed = 0\n",
            path.display()
        ),
    )
    .unwrap();
    let state = dir.path().join("state.json");
    let out = evtop(dir.path())
        .args(["tail", "--format", "ndjson", "-c"])
        .arg(&cfg)
        .arg("--state-out")
        .arg(&state)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let got: Vec<serde_json::Value> = ndjson_lines(&out.stdout);
    assert_eq!(got.len(), 4);
    // The recording's first source shows under the configured name, the
    // other (a Streamdata source) as `yesterday/quotes`, its state apart.
    let names: Vec<&str> = got.iter().map(|v| v["source"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        ["yesterday", "yesterday/quotes", "yesterday/quotes", "yesterday"]
    );
    let v: serde_json::Value = read_json(&state);
    assert_eq!(
        v,
        serde_json::json!({"yesterday": null, "yesterday/quotes": {"px": 2}})
    );
}

/// `--speed` scales the wall time of a replay: measured in paused tokio
/// time (no sleeping), the last event arrives 600 ms / speed after the first.
#[tokio::test(start_paused = true)]
async fn speed_scales_the_replay_in_virtual_time() {
    use evtop::config::{FileOptions, SourceKind, Speed};
    use evtop::source::SourceMsg;
    let dir = tempfile::tempdir().unwrap();
    let path = write_recording(dir.path(), &recording());
    for (speed, want_ms) in [(1.0, 600), (2.0, 300), (0.5, 1200), (0.0, 0)] {
        let mut spec = sse_spec("payments", String::new(), false, None);
        spec.kind = SourceKind::File(FileOptions {
            path: path.clone(),
            follow: false,
            speed: Speed(speed),
            routes: vec!["quotes".into()],
            patched: false,
        });
        let mut eng = engine(&[spec], 1 << 20);
        let (mut first, mut last, mut n) = (None, None, 0);
        while let Some(msg) = eng.rx.recv().await {
            if let SourceMsg::Events { events, .. } = msg {
                let now = tokio::time::Instant::now();
                first.get_or_insert(now);
                last = Some(now);
                n += events.len();
            }
        }
        assert_eq!(n, 4);
        let took = last.unwrap() - first.unwrap();
        assert_eq!(took.as_millis(), want_ms, "speed {speed}");
        eng.shutdown().await;
    }
}

/// `tail` says a replayed source is connected once, not at every progress
/// update (one a second), even while `--follow` waits at the end of the
/// file; a bad line is blamed on its file and line, not on a source.
#[tokio::test(flavor = "multi_thread")]
async fn tail_says_connected_once_and_blames_bad_lines_on_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = write_recording(dir.path(), &recording());
    let out = evtop(dir.path())
        .args([
            "replay",
            "--tail",
            "--follow",
            "--speed",
            "0",
            "--format",
            "ndjson",
            "--duration",
            "2500ms",
        ])
        .arg(&path)
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    for source in ["payments", "quotes"] {
        let said = stderr
            .lines()
            .filter(|l| l.starts_with(&format!("{source}: connected")))
            .count();
        assert_eq!(said, 1, "{source}: {stderr}");
    }
    let bad = format!("evtop: {}:3: not an evtop NDJSON line", path.display());
    assert!(stderr.lines().any(|l| l.starts_with(&bad)), "{stderr}");
    assert!(!stderr.contains("dropped:"), "{stderr}");
}
