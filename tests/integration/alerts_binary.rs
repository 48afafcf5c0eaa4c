//! Alerts (SPEC 11.2) through the real binary: `tail`'s stderr lines and
//! `exec` against real SSE servers on 127.0.0.1:0, and the monitor's
//! notify bytes on a tmux pty.

use std::path::Path;
use std::time::Duration;

use tokio::io::AsyncWriteExt;

use crate::support::*;
use crate::tui_tmux::{Tmux, command_with};

/// `n` SSE events of type `ty`, ids `PREFIX_0..`, in one write.
fn burst(ty: &str, prefix: &str, n: usize) -> String {
    (0..n)
        .map(|i| format!("id: {prefix}_{i}\nevent: {ty}\ndata: {{\"n\":{i}}}\n\n"))
        .collect()
}

/// An executable script in `dir` that appends its stdin, then a newline,
/// to `out`.
fn recorder(dir: &Path, out: &Path) -> String {
    let path = dir.join("record.sh");
    std::fs::write(&path, format!("#!/bin/sh\ncat >> '{}'\n", out.display())).unwrap();
    make_executable(&path);
    path.display().to_string()
}

fn make_executable(path: &Path) {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

fn write_config(dir: &Path, text: &str) -> std::path::PathBuf {
    let path = dir.join("alerts.toml");
    std::fs::write(&path, text).unwrap();
    path
}

/// The `alert:` lines of stderr.
fn alert_lines(stderr: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(stderr)
        .lines()
        .filter(|l| l.starts_with("alert: "))
        .map(str::to_owned)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rate_alert_fires_with_the_count_in_its_window_and_resolves() {
    let dir = tempfile::tempdir().unwrap();
    // 4 failures, then 2.5 s later 6 more: only the second burst is within
    // a 2 s window, so the alert fires at 6 (not 10) and resolves 2 s later.
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        let _ = sock.write_all(burst("charge.failed", "a", 4).as_bytes()).await;
        let _ = sock.write_all(burst("ping", "p", 20).as_bytes()).await;
        tokio::time::sleep(Duration::from_millis(2500)).await;
        let _ = sock.write_all(burst("charge.failed", "b", 6).as_bytes()).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let out_file = dir.path().join("exec.ndjson");
    let script = recorder(dir.path(), &out_file);
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"pay\"\nurl = \"http://{addr}/\"\n\n[[alert]]\nname = \"failed charges\"\nwhen = \"type:charge.failed\"\nrate = \"> 5/2s\"\nexec = [{script:?}]\n"
        ),
    );
    let out = evtop(dir.path())
        .args(["tail", "--config"])
        .arg(&config)
        .args(["--duration", "7s", "-f", "type:ping"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        ndjson_lines(&out.stdout).len(),
        20,
        "the display filter does not touch alerts"
    );
    let lines = alert_lines(&out.stderr);
    assert_eq!(
        lines,
        [
            "alert: failed charges firing: 6 in 2s",
            "alert: failed charges resolved"
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&out_file).unwrap();
    let runs: Vec<serde_json::Value> = text.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(runs.len(), 2, "once per state change: {text}");
    assert_eq!(runs[0]["alert"], "failed charges");
    assert_eq!(runs[0]["state"], "firing");
    assert_eq!(runs[0]["value"], 6);
    let events = runs[0]["events"].as_array().unwrap();
    assert_eq!(events.len(), 10, "the 10 latest matching events");
    assert_eq!(events[0]["id"], "a_0");
    assert_eq!(events[9]["id"], "b_5");
    assert_eq!(events[9]["type"], "charge.failed");
    assert_eq!(events[9]["source"], "pay");
    assert_eq!(events[9]["data"]["n"], 5);
    assert_eq!(runs[1]["state"], "resolved");
    assert_eq!(runs[1]["value"], 0);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_alert_counts_only_while_its_source_is_live() {
    let dir = tempfile::tempdir().unwrap();
    // `up` connects and sends nothing; `down` refuses connections.
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap();
    drop(closed);
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"up\"\nurl = \"http://{addr}/\"\n\n[[source]]\nname = \"down\"\nurl = \"http://{dead}/\"\n\n\
             [[alert]]\nname = \"up quiet\"\nwhen = \"source:up\"\nsilent = \"2s\"\n\n\
             [[alert]]\nname = \"down quiet\"\nwhen = \"source:down\"\nsilent = \"1s\"\n"
        ),
    );
    let out = evtop(dir.path())
        .args(["tail", "--config"])
        .arg(&config)
        .args(["--duration", "5s"])
        .output()
        .await
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("down: "), "down is retrying: {stderr}");
    let lines = alert_lines(&out.stderr);
    assert_eq!(lines, ["alert: up quiet firing: silent for 2s"], "{stderr}");
}

#[tokio::test(flavor = "multi_thread")]
async fn failing_hanging_and_missing_execs_are_reported_and_tail_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let addr = ticking_sse(Duration::from_millis(40)).await;
    let hang = dir.path().join("hang.sh");
    std::fs::write(&hang, "#!/bin/sh\nexec sleep 30\n").unwrap();
    make_executable(&hang);
    let fail = dir.path().join("fail.sh");
    std::fs::write(&fail, "#!/bin/sh\necho 'no route to pager' >&2\nexit 3\n").unwrap();
    make_executable(&fail);
    let config = write_config(
        dir.path(),
        &format!(
            "[[source]]\nname = \"s\"\nurl = \"http://{addr}/\"\n\n\
             [[alert]]\nname = \"fails\"\nwhen = \".i=0\"\neach = true\nexec = [{fail:?}]\n\n\
             [[alert]]\nname = \"missing\"\nwhen = \".i=1\"\neach = true\nexec = [\"/nonexistent/page-me\"]\n\n\
             [[alert]]\nname = \"hangs\"\nwhen = \"type:tick\"\neach = true\nexec = [{hang:?}]\nexec_timeout = \"1s\"\n",
            fail = fail.display().to_string(),
            hang = hang.display().to_string(),
        ),
    );
    let out = evtop(dir.path())
        .args(["tail", "--config"])
        .arg(&config)
        .args(["--count", "60"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let events = ndjson_lines(&out.stdout);
    assert_eq!(events.len(), 60, "tail went on to its --count");
    assert_eq!(events[59]["id"], "e59");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(&format!(
            "alert: fails: exec {:?} exit status: 3: no route to pager",
            fail.display().to_string()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains(
            "alert: missing: exec \"/nonexistent/page-me\" could not start: No such file or directory"
        ),
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!(
            "alert: hangs: exec {:?} timed out after 1s and was killed",
            hang.display().to_string()
        )),
        "{stderr}"
    );
    // 60 events at 40 ms with 1 s timeouts: at most 8 at once, the rest skipped.
    assert!(stderr.contains("skipped: 8 commands already running"), "{stderr}");
    assert!(stderr.contains("alert: fails firing: tick e0 from s"), "{stderr}");
}

/// The raw bytes the pane's program wrote, while `evtop demo` runs in the
/// monitor with this alert config: with `notify`, BEL and the OSC 777 and
/// OSC 9 sequences reach the pty; without it, none of them does.
#[test]
fn notify_bytes_reach_the_pty_only_when_configured() {
    for configured in [true, false] {
        let dir = tempfile::tempdir().unwrap();
        let notify = if configured {
            "notify = [\"bell\", \"desktop\"]\n"
        } else {
            ""
        };
        let config = write_config(
            dir.path(),
            &format!(
                "[[alert]]\nname = \"charge seen\"\nwhen = \"type:charge.succeeded\"\neach = true\n{notify}"
            ),
        );
        let raw = dir.path().join("pty.raw");
        let cmd = format!(
            "sleep 1; {}",
            command_with(dir.path(), "", &format!("demo --config {}", config.display()))
        );
        let t = Tmux::start(&cmd, 120, 30);
        t.tmux(&["pipe-pane", "-o", &format!("cat >> {}", raw.display())]);
        let screen = t.wait(20, "the alert in the status bar", |s| s.contains("! charge seen"));
        assert!(screen.contains("FOLLOWING"), "{screen}");
        t.keys(&["!"]);
        t.wait(5, "the ! view", |s| s.contains("history (newest first)"));
        std::thread::sleep(Duration::from_millis(1500));
        t.keys(&["q", "q"]);
        t.wait(10, "evtop to exit", |s| s.contains("EVTOP-EXIT=0"));
        let bytes = std::fs::read(&raw).unwrap();
        let has = |needle: &[u8]| bytes.windows(needle.len()).any(|w| w == needle);
        let osc777 = b"\x1b]777;notify;evtop: charge seen;firing charge.succeeded evt_";
        let osc9 = b"\x1b]9;evtop: charge seen: firing charge.succeeded evt_";
        assert!(bytes.len() > 1000, "the capture saw the frames");
        if configured {
            assert!(has(osc777), "OSC 777 missing");
            assert!(has(osc9), "OSC 9 missing");
            assert!(has(b"\x07"), "BEL missing");
        } else {
            assert!(!has(b"\x1b]777;"), "OSC 777 without notify");
            assert!(!has(b"\x1b]9;"), "OSC 9 without notify");
            assert!(!has(b"\x07"), "BEL without notify");
        }
    }
}

/// `replay --alerts`: the recording's clock, not the wall's, drives the
/// window; as fast as possible (one batch) or paced (a batch an event), the
/// same changes, each firing at the event that made the rule hold.
#[tokio::test(flavor = "multi_thread")]
async fn a_replay_is_judged_on_its_own_clock() {
    let dir = tempfile::tempdir().unwrap();
    let mut lines = Vec::new();
    let mut ev = |ty: &str, at: &str| {
        let i = lines.len();
        lines.push(format!(
            r#"{{"source":"pay","id":"e{i}","type":"{ty}","time":null,"received":"2026-01-01T{at}Z","data":{{"i":{i}}}}}"#
        ));
    };
    for k in 0..6 {
        ev("charge.failed", &format!("10:00:00.{:03}", k * 100));
    }
    ev("ping", "10:00:30.000");
    for k in 0..3 {
        ev("charge.failed", &format!("10:01:00.{:03}", k * 100));
    }
    for k in 0..7 {
        ev("charge.failed", &format!("10:02:00.{:03}", k * 100));
    }
    let rec = dir.path().join("rec.ndjson");
    std::fs::write(&rec, lines.join("\n") + "\n").unwrap();
    let config = write_config(
        dir.path(),
        "[[alert]]\nname = \"failed charges\"\nwhen = \"type:charge.failed\"\nrate = \"> 5/10s\"\n",
    );
    for speed in ["0", "100"] {
        let out = evtop(dir.path())
            .args(["replay", "--tail", "--speed", speed, "--alerts"])
            .arg(&config)
            .arg(&rec)
            .output()
            .await
            .unwrap();
        assert!(out.status.success(), "{out:?}");
        assert_eq!(ndjson_lines(&out.stdout).len(), 17);
        assert_eq!(
            alert_lines(&out.stderr),
            [
                "alert: failed charges firing: 6 in 10s",
                "alert: failed charges resolved",
                "alert: failed charges firing: 6 in 10s",
            ],
            "speed {speed}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

/// `when = "drift"` with `--contract`: `tail` checks events against the
/// contract for the alert (its printer checks only what it prints).
#[tokio::test(flavor = "multi_thread")]
async fn a_drift_alert_fires_on_exactly_the_events_that_break_the_contract() {
    let dir = tempfile::tempdir().unwrap();
    let lines: Vec<String> = [
        ("e0", r#"{"amount":1}"#),
        ("e1", r#"{"i":1}"#),
        ("e2", r#"{"amount":2}"#),
        ("e3", r#"{"amount":"3"}"#),
        ("e4", r#"{"i":4}"#),
    ]
    .iter()
    .map(|(id, data)| {
        format!(
            r#"{{"source":"pay","id":"{id}","type":"charge.failed","time":null,"received":"2026-01-01T10:00:00Z","data":{data}}}"#
        )
    })
    .collect();
    let rec = dir.path().join("rec.ndjson");
    std::fs::write(&rec, lines.join("\n") + "\n").unwrap();
    let contract = dir.path().join("contract.json");
    std::fs::write(
        &contract,
        r#"{"charge.failed":{"type":"object","required":["amount"],"properties":{"amount":{"type":"integer"}}}}"#,
    )
    .unwrap();
    let config = write_config(
        dir.path(),
        "[[alert]]\nname = \"drifted\"\nwhen = \"drift\"\neach = true\n",
    );
    let out = evtop(dir.path())
        .args(["replay", "--tail", "--speed", "0", "--contract"])
        .arg(&contract)
        .arg("--alerts")
        .arg(&config)
        .arg(&rec)
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    assert_eq!(
        alert_lines(&out.stderr),
        [
            "alert: drifted firing: charge.failed e1 from pay",
            "alert: drifted firing: charge.failed e3 from pay",
            "alert: drifted firing: charge.failed e4 from pay",
        ],
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
