//! Time filters in the real monitor, in tmux: a replay's `since:` /
//! `until:` count from the recording's clock, and a clock time falls on
//! the recording's day.

use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of this test's own, killed on drop.
struct Tmux(String);

impl Tmux {
    fn run(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.0])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Wait until the screen shows `text`; panics with the screen after 20 s.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let s = self.run(&["capture-pane", "-p"]);
            if s.contains(text) {
                return s;
            }
            assert!(Instant::now() < deadline, "{text:?} not seen; screen:\n{s}");
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    /// Replace the filter through the `/` prompt.
    fn filter(&self, text: &str) {
        for keys in [&["/"][..], &["C-u"], &["-l", text], &["Enter"]] {
            self.run(&[&["send-keys"][..], keys].concat());
            std::thread::sleep(Duration::from_millis(150));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux").args(["-L", &self.0, "kill-server"]).status();
    }
}

#[test]
fn a_replay_filters_by_time_on_the_recordings_clock() {
    let dir = tempfile::tempdir().unwrap();
    // e0 … e19, received every 500 ms from 2025-01-01T14:05:00Z.
    let lines: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"source":"pay","id":"e{i}","type":"charge","time":null,"received":"2025-01-01T14:05:{:02}.{}00Z","data":{{"i":{i}}}}}"#,
                i / 2,
                (i % 2) * 5
            )
        })
        .collect();
    let rec = dir.path().join("rec.ndjson");
    std::fs::write(&rec, lines.join("\n") + "\n").unwrap();
    let cmd = format!(
        "env HOME={d} XDG_CONFIG_HOME={d}/xdg EVTOP_LOG_FILE={d}/evtop.log TERM=xterm-256color {bin} replay --speed 0 -f since:2s {rec}; sleep 60",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_evtop"),
        rec = rec.display(),
    );
    let t = Tmux(format!("evtop-time-{}-{}", std::process::id(), fastrand::u32(..)));
    let ok = Command::new("tmux")
        .args([
            "-L",
            &t.0,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            "120",
            "-y",
            "30",
            &cmd,
        ])
        .status()
        .expect("tmux must be installed (CI installs it)");
    assert!(ok.success());
    // The clock is e19's 14:05:09.5: since:2s is e15 … e19.
    let s = t.wait_for("feed 5 events");
    assert!(
        s.contains("e15") && s.contains("e19") && !s.contains("e14 "),
        "{s}"
    );
    // until:9s: received at or before 14:05:00.5.
    t.filter("until:9s");
    let s = t.wait_for("feed 2 events");
    assert!(s.contains("e0 ") && s.contains("e1 "), "{s}");
    // 14:05:05 is on the recording's day, not today.
    t.filter("received>=14:05:05 received<14:05:06");
    let s = t.wait_for("feed 2 events");
    assert!(s.contains("e10") && s.contains("e11"), "{s}");
    t.run(&["send-keys", "q"]);
}
