//! The real binary in a detached tmux session, driven with send-keys and
//! read with capture-pane — what a user at a terminal sees.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

/// A tmux server of our own (its own socket), killed on drop.
pub(crate) struct Tmux {
    socket: String,
}

impl Tmux {
    pub(crate) fn start(cmd: &str, w: u16, h: u16) -> Tmux {
        let socket = format!("evtop-test-{}-{}", std::process::id(), fastrand::u32(..));
        let ok = Command::new("tmux")
            .args([
                "-L",
                &socket,
                "-f",
                "/dev/null",
                "new-session",
                "-d",
                "-x",
                &w.to_string(),
                "-y",
                &h.to_string(),
            ])
            .arg(cmd)
            .status()
            .expect("tmux must be installed (CI installs it)");
        assert!(ok.success());
        Tmux { socket }
    }

    pub(crate) fn tmux(&self, args: &[&str]) -> String {
        let out = Command::new("tmux")
            .args(["-L", &self.socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    pub(crate) fn screen(&self) -> String {
        self.tmux(&["capture-pane", "-p"])
    }

    pub(crate) fn keys(&self, keys: &[&str]) {
        for k in keys {
            self.tmux(&["send-keys", k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    pub(crate) fn literal(&self, text: &str) {
        self.tmux(&["send-keys", "-l", text]);
        std::thread::sleep(Duration::from_millis(150));
    }

    /// Wait until the screen satisfies `pred`; panics with the screen after `secs`.
    pub(crate) fn wait(&self, secs: u64, what: &str, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(secs);
        loop {
            let s = self.screen();
            if pred(&s) {
                return s;
            }
            if Instant::now() > deadline {
                panic!("{what}: not seen in {secs}s; screen:\n{s}");
            }
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .status();
    }
}

pub(crate) fn command(dir: &Path) -> String {
    command_with(dir, "", "demo")
}

/// `evtop ARGS` in the pane with extra environment `env`, then its exit code.
pub(crate) fn command_with(dir: &Path, env: &str, args: &str) -> String {
    format!(
        "env HOME={d} XDG_CONFIG_HOME={d}/xdg EVTOP_LOG_FILE={d}/evtop.log TERM=xterm-256color RUST_BACKTRACE=0 {env} {bin} {args}; echo EVTOP-EXIT=$?; sleep 60",
        d = dir.display(),
        bin = env!("CARGO_BIN_EXE_evtop"),
    )
}

/// Signal the evtop process running in the pane.
fn signal_evtop(t: &Tmux, sig: &str) {
    let pid = t.tmux(&["display", "-p", "#{pane_pid}"]);
    let out = Command::new("pgrep")
        .args(["-P", pid.trim(), "-f", "evtop"])
        .output()
        .unwrap();
    let evtop_pid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(!evtop_pid.is_empty(), "evtop process not found");
    assert!(
        Command::new("kill")
            .args([sig, &evtop_pid])
            .status()
            .unwrap()
            .success()
    );
}

fn assert_restored(t: &Tmux) {
    assert_eq!(
        t.tmux(&["display", "-p", "#{alternate_on}"]).trim(),
        "0",
        "left the alternate screen"
    );
    assert_eq!(
        t.tmux(&["display", "-p", "#{cursor_flag}"]).trim(),
        "1",
        "cursor visible"
    );
    // Raw mode is off: the shell's line discipline echoes and cooks input again.
    let flags = t.tmux(&["display", "-p", "#{mouse_any_flag}"]);
    assert_eq!(flags.trim(), "0", "mouse capture off");
}

#[test]
fn sighup_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 100, 30);
    t.wait(20, "feed rows", |s| feed_types(s).len() > 3);
    signal_evtop(&t, "-HUP");
    let s = t.wait(10, "evtop exited on SIGHUP", |s| s.contains("EVTOP-EXIT="));
    assert!(s.contains("EVTOP-EXIT=0"), "{s}");
    assert_restored(&t);
}

#[test]
fn a_panic_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command_with(dir.path(), "EVTOP_DEBUG_PANIC=1", "demo"), 100, 30);
    let s = t.wait(20, "evtop exited after its panic", |s| s.contains("EVTOP-EXIT="));
    assert!(s.contains("EVTOP-EXIT=101"), "a panic exits 101: {s}");
    assert!(
        s.contains("panicking on purpose"),
        "the panic message is readable on the restored screen: {s}"
    );
    assert_restored(&t);
}

/// Feed rows of the screen: lines that start with a clock.
pub(crate) fn feed_types(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.len() > 13 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':')
        .filter_map(|l| l.split_whitespace().nth(2).map(str::to_owned))
        .collect()
}

#[test]
fn demo_feed_sparklines_filter_and_quit() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 120, 40);
    t.wait(20, "feed rows from both demo sources", |s| {
        let tys = feed_types(s);
        tys.len() > 10 && tys.iter().any(|t| t == "patch")
    });
    t.wait(20, "sparklines in the type panel", |s| {
        s.chars().any(|c| ('▁'..='█').contains(&c))
    });
    t.keys(&["/"]);
    t.literal("type:charge.succeeded");
    t.keys(&["Enter"]);
    let s = t.wait(20, "the feed narrowed to charge.succeeded", |s| {
        let tys = feed_types(s);
        tys.len() >= 2 && tys.iter().all(|t| t == "charge.succeeded")
    });
    assert!(s.contains("filter: type:charge.succeeded"), "{s}");
    t.keys(&["q"]);
    let s = t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT="));
    assert!(s.contains("EVTOP-EXIT=0"), "{s}");
    assert_eq!(
        t.tmux(&["display", "-p", "#{alternate_on}"]).trim(),
        "0",
        "left the alternate screen"
    );
    assert_eq!(
        t.tmux(&["display", "-p", "#{cursor_flag}"]).trim(),
        "1",
        "cursor visible"
    );
}

#[test]
fn usable_at_80x24_and_sigterm_restores_the_terminal() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 80, 24);
    let s = t.wait(20, "feed rows at 80x24", |s| feed_types(s).len() > 5);
    assert!(s.contains("types"), "{s}");
    t.keys(&["v"]);
    t.wait(10, "state view", |s| {
        s.contains("\"symbol\"") || s.contains("\"price\"")
    });
    t.keys(&["Escape"]);
    let pid = t.tmux(&["display", "-p", "#{pane_pid}"]);
    // The pane runs `sh -c`, whose child is evtop: signal that child.
    let out = Command::new("pgrep")
        .args(["-P", pid.trim(), "-f", "evtop"])
        .output()
        .unwrap();
    let evtop_pid = String::from_utf8_lossy(&out.stdout)
        .lines()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(!evtop_pid.is_empty(), "evtop process not found");
    assert!(
        Command::new("kill")
            .args(["-TERM", &evtop_pid])
            .status()
            .unwrap()
            .success()
    );
    let s = t.wait(10, "evtop exited on SIGTERM", |s| s.contains("EVTOP-EXIT="));
    assert!(s.contains("EVTOP-EXIT=0"), "{s}");
    assert_eq!(t.tmux(&["display", "-p", "#{alternate_on}"]).trim(), "0");
    assert_eq!(t.tmux(&["display", "-p", "#{cursor_flag}"]).trim(), "1");
}

/// A server whose events carry terminal attacks: set the title (OSC 0),
/// write the clipboard (OSC 52), clear the screen (CSI 2J), colour (SGR),
/// reverse text (U+202E). In the real TUI, in tmux with `set-clipboard on`,
/// none of them may take effect.
#[test]
fn hostile_events_cannot_drive_the_terminal() {
    use tokio::io::AsyncWriteExt;
    let rt = tokio::runtime::Runtime::new().unwrap();
    let (addr, _) = rt.block_on(crate::support::raw_server(|_, _, mut sock| async move {
        crate::support::sse_head(&mut sock).await;
        for i in 0..200 {
            let ev = format!(
                "event: \x1b]0;PWNED-TITLE\x07evil.{i}\nid: \x1b]52;c;cHduZWQ=\x07\ndata: \x1b[2J\x1b[H\x1b[31mCLEARED\u{202e}txet \x1b]52;c;cHduZWQ=\x07\n\n"
            );
            if sock.write_all(ev.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }));
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        &command_with(dir.path(), "", &format!("evil=http://{addr}/")),
        120,
        40,
    );
    t.tmux(&["set-option", "-g", "set-clipboard", "on"]);
    t.tmux(&["set-option", "-g", "allow-rename", "on"]);
    let title_before = t.tmux(&["display", "-p", "#{pane_title}"]);
    let s = t.wait(20, "hostile events shown, inert", |s| {
        s.matches("␛]0;PWNED-").count() >= 3
    });
    assert!(
        s.contains("FOLLOWING"),
        "the status bar is still there (no clear):\n{s}"
    );
    assert!(
        s.contains("␛[2J"),
        "the clear-screen sequence is shown as text:\n{s}"
    );
    std::thread::sleep(Duration::from_secs(1));
    let title = t.tmux(&["display", "-p", "#{pane_title}"]);
    assert_eq!(title, title_before, "the pane title was not changed");
    assert!(!title.contains("PWNED"));
    assert_eq!(
        t.tmux(&["list-buffers"]).trim(),
        "",
        "no OSC 52 reached tmux's paste buffers"
    );
    assert!(!t.tmux(&["display", "-p", "#{window_name}"]).contains("PWNED"));
    t.keys(&["q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}

#[test]
fn demo_webhook_deliveries_show_marks_and_masked_headers() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        &command_with(dir.path(), "", "demo -f source:stripe-hooks"),
        120,
        40,
    );
    // The demo's sender signs most deliveries right, one in seven wrong.
    let s = t.wait(20, "a verified delivery", |s| {
        s.lines()
            .any(|l| l.contains(" stripe-hooks ") && l.contains(" ✓ "))
    });
    assert!(!s.contains("Stripe-Signature: t="), "{s}");
    t.wait(40, "a delivery that failed verification", |s| {
        s.lines()
            .any(|l| l.contains(" stripe-hooks ") && l.contains(" ✗ "))
    });
    t.keys(&["Enter"]);
    let s = t.wait(10, "the detail with masked headers", |s| {
        s.contains("stripe-signature: ***") && s.contains("user-agent: Stripe/1.0")
    });
    assert!(s.contains("verified "), "{s}");
    assert!(!s.contains("v1="), "no signature on screen: {s}");
    // `q` closes the detail first, then quits.
    t.keys(&["q"]);
    t.wait(10, "q closed the detail, the monitor still up", |s| {
        !s.contains("▸ detail") && (s.contains("FOLLOWING") || s.contains("PAUSED"))
    });
    t.keys(&["q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}

/// Reconciliation in the monitor (SPEC 11.3): the demo's sender skips a
/// listed event now and then; within a minute the listed event is marked
/// `⊘` in the feed, the status bar counts it, and the sources view shows
/// the pairing's findings.
#[test]
fn demo_reconcile_marks_an_undelivered_event() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(
        &command_with(dir.path(), "", "demo -f source:stripe-api"),
        120,
        40,
    );
    // The status bar counts it; the `!` view names the id (its row has
    // long scrolled up: the finding comes `within` after the listing).
    t.wait(90, "a not delivered count in the status bar", |s| {
        s.lines().next().is_some_and(|l| l.contains("not delivered"))
    });
    t.keys(&["!"]);
    // The id in full, from the view (the status bar on the first line may
    // show it cut: `evt_list_…`).
    let finding = |s: &str| -> Option<String> {
        let digits: String = s
            .lines()
            .skip(1)
            .find_map(|l| l.split("not delivered evt_list_").nth(1))?
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        (!digits.is_empty()).then(|| format!("evt_list_{digits}"))
    };
    let s = t.wait(10, "the finding in the alerts view", |s| finding(s).is_some());
    let id = finding(&s).unwrap();
    t.keys(&["Escape"]);
    // Filtered to that id, the listed event shows its mark.
    t.keys(&["/"]);
    t.literal(&format!(" {id}"));
    t.keys(&["Enter"]);
    t.wait(10, "the listed event marked ⊘", |s| {
        s.lines()
            .any(|l| l.contains(" stripe-api ") && l.contains(&id[id.len() - 6..]) && l.contains(" ⊘ "))
    });
    // The pairings come after the sources: a page down.
    t.keys(&["s", "NPage"]);
    t.wait(10, "the pairing in the sources view", |s| {
        s.contains("reconcile \"stripe webhooks\"")
            && s.lines()
                .any(|l| l.contains("findings") && !l.contains("not delivered 0"))
    });
    t.keys(&["Escape", "q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}

/// Issue 12 on the real binary at 80×24 with the demo's names: ids keep
/// their distinguishing end, the type panel marks shown types `●` (not the
/// webhook's `✓`), the focused pane is marked, Esc's clear can be undone,
/// and the detail stays on the event it opened while the feed follows.
#[test]
fn demo_at_80x24_ids_focus_undo_and_a_pinned_detail() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 80, 24);
    let s = t.wait(20, "stripe ids cut keeping their end", |s| s.contains(" …eed"));
    assert!(!s.contains("evt_0000"), "{s}");
    assert!(s.contains("▸ feed"), "{s}");
    assert!(s.lines().any(|l| l.starts_with("│● ")), "{s}");
    assert!(!s.lines().any(|l| l.starts_with("│✓ ")), "{s}");
    t.keys(&["/"]);
    t.literal("type:charge.succeeded");
    t.keys(&["Enter", "Escape"]);
    t.wait(10, "the undo offer", |s| s.contains("filter cleared — u to undo"));
    t.keys(&["u"]);
    t.wait(10, "the filter back", |s| s.contains("type:charge.succeeded"));
    // Open the newest event while following; it stays while others arrive.
    t.keys(&["Enter"]);
    let s = t.wait(10, "the detail", |s| s.contains("▸ detail"));
    let id_line = |s: &str| {
        s.lines()
            .find(|l| l.trim_start().starts_with("id "))
            .map(str::to_owned)
    };
    let opened = id_line(&s).expect("an id line");
    std::thread::sleep(Duration::from_millis(2500));
    let later = t.screen();
    assert_eq!(id_line(&later).as_deref(), Some(opened.as_str()), "{later}");
    t.keys(&["q"]);
    t.wait(10, "q closed the detail", |s| {
        !s.contains("▸ detail") && (s.contains("FOLLOWING") || s.contains("PAUSED"))
    });
    t.keys(&["q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}

/// SPEC 10 in the real monitor: a replay checked against a contract marks
/// drifted events `≠` in the feed, the detail lists why, and the `drift`
/// filter typed at the prompt keeps exactly them.
#[test]
fn replay_with_a_contract_marks_drift_in_the_feed_and_the_detail() {
    let dir = tempfile::tempdir().unwrap();
    let line = |i: u32, ty: &str, data: &str| {
        format!(
            r#"{{"source":"payments","id":"evt_{i}","type":"{ty}","time":null,"received":"2026-11-22T10:00:0{i}.000Z","data":{data}}}"#
        )
    };
    let rec = [
        line(1, "charge.succeeded", r#"{"amount":1200}"#),
        line(2, "charge.succeeded", r#"{"amount":"1200"}"#),
        line(3, "refund.created", r#"{"amount":5}"#),
        line(4, "charge.succeeded", r#"{"amount":7}"#),
    ]
    .join("\n");
    std::fs::write(dir.path().join("rec.ndjson"), rec + "\n").unwrap();
    std::fs::write(
        dir.path().join("contract.json"),
        r#"{"charge.succeeded": {"type": "object", "properties": {"amount": {"type": "integer"}}}}"#,
    )
    .unwrap();
    let args = format!(
        "replay --speed 0 --contract {d}/contract.json {d}/rec.ndjson",
        d = dir.path().display()
    );
    let t = Tmux::start(&command_with(dir.path(), "", &args), 120, 40);
    let s = t.wait(20, "the four events", |s| s.contains("evt_4"));
    let marked: Vec<&str> = s
        .lines()
        .filter(|l| l.contains("evt_") && l.contains('≠'))
        .collect();
    assert_eq!(marked.len(), 2, "{s}");
    assert!(marked[0].contains("evt_2") && marked[1].contains("evt_3"), "{s}");
    t.keys(&["/"]);
    t.literal("drift");
    t.keys(&["Enter"]);
    let s = t.wait(10, "the drift filter", |s| s.contains("2 events"));
    assert!(!s.contains("evt_1") && !s.contains("evt_4"), "{s}");
    t.keys(&["k", "Enter"]);
    t.wait(10, "the detail with the reason", |s| {
        s.contains("drift ≠ /amount: expected integer, got string")
    });
    t.keys(&["q", "q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}

/// The catalog rows drawn reversed (the cursor), as plain text: from
/// `capture-pane -e`, the lines where an SGR turns on reverse video (7).
fn reversed_rows(t: &Tmux) -> Vec<String> {
    let styled = t.tmux(&["capture-pane", "-p", "-e"]);
    let mut rows = Vec::new();
    for line in styled.lines() {
        let mut plain = String::new();
        let mut reversed = false;
        let mut chars = line.chars().peekable();
        while let Some(c) = chars.next() {
            if c != '\u{1b}' {
                plain.push(c);
                continue;
            }
            let mut seq = String::new();
            for c in chars.by_ref() {
                seq.push(c);
                if c.is_ascii_alphabetic() && c != '[' {
                    break;
                }
            }
            if let Some(params) = seq.strip_prefix('[').and_then(|s| s.strip_suffix('m')) {
                reversed |= params.split(';').any(|p| p == "7");
            }
        }
        if reversed {
            rows.push(plain);
        }
    }
    rows
}

#[test]
fn demo_catalog_lists_types_shows_fields_and_filters() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 120, 40);
    t.wait(20, "charge.succeeded events in the feed", |s| {
        feed_types(s).iter().any(|t| t == "charge.succeeded")
    });
    t.keys(&["c"]);
    let s = t.wait(10, "the catalog", |s| {
        s.contains("catalog · Enter fields") && s.contains("a second per type")
    });
    for ty in ["charge.succeeded", "payment_intent.created", "patch"] {
        t.wait(20, ty, |s| s.contains(ty));
    }
    assert!(
        s.contains("TYPE") && s.contains("SHARE") && s.contains("DRIFTS"),
        "{s}"
    );
    // Move the cursor to charge.succeeded: rows sort by count as it runs
    // (the cursor stays on its type), so look where both are before each
    // move, and wait for the move to be drawn before the next.
    let cursor = |t: &Tmux| {
        reversed_rows(t).iter().find_map(|r| {
            r.strip_prefix('│')
                .and_then(|r| r.split_whitespace().next())
                .map(str::to_owned)
        })
    };
    let mut found = false;
    for _ in 0..30 {
        let Some(at) = cursor(&t) else {
            t.keys(&["g"]);
            continue;
        };
        if at == "charge.succeeded" {
            found = true;
            break;
        }
        let screen = t.screen();
        let row = |name: &str| {
            screen
                .lines()
                .position(|l| l.strip_prefix('│').and_then(|l| l.split_whitespace().next()) == Some(name))
        };
        let down = row(&at) < row("charge.succeeded");
        t.keys(&[if down { "j" } else { "k" }]);
        let deadline = Instant::now() + Duration::from_secs(5);
        while cursor(&t).as_deref() == Some(at.as_str()) && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    assert!(
        found,
        "the cursor never reached charge.succeeded:\n{}",
        t.screen()
    );
    t.keys(&["Enter"]);
    let s = t.wait(10, "charge.succeeded's fields", |s| {
        s.contains("charge.succeeded · Enter values") && s.contains("currency") && s.contains("amount")
    });
    let currency = s.lines().find(|l| l.contains("currency ")).unwrap();
    assert!(
        currency.contains("100.0%") && currency.contains("\"usd\" ×"),
        "{s}"
    );
    let amount = s.lines().find(|l| l.contains("amount ")).unwrap();
    assert!(amount.contains("integer") && amount.contains("min "), "{s}");
    // f on the first field (the event's id): events of the type carrying it.
    t.keys(&["g", "f"]);
    let s = t.wait(20, "the feed narrowed to charge.succeeded", |s| {
        let tys = feed_types(s);
        !s.contains("Enter values") && tys.len() >= 2 && tys.iter().all(|t| t == "charge.succeeded")
    });
    assert!(s.contains("type:charge.succeeded .id"), "{s}");
    t.keys(&["q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}
