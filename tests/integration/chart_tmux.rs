//! The rate chart and the sparkline windows in the real binary against
//! `evtop demo`'s loopback stream, in tmux: `w` changes the window, `r`
//! opens the chart, `[` / `]` change its span, a bucket with events and
//! `Enter` narrow the feed to that second, the prompt showing the terms;
//! and a replayed recording charted on its own clock.

use crate::tui_tmux::{Tmux, command, command_with, feed_types};

/// The cursor line of the chart: `▶ HH:MM:SS–HH:MM:SS all N (…)`, as
/// (start clock, N).
fn cursor_bucket(screen: &str) -> Option<(String, u64)> {
    let line = screen.lines().find(|l| l.contains('▶'))?;
    let rest = &line[line.find('▶')? + '▶'.len_utf8()..];
    let start = rest.trim_start().get(..8)?.to_owned();
    let n = rest
        .split("all ")
        .nth(1)?
        .split_whitespace()
        .next()?
        .parse()
        .ok()?;
    Some((start, n))
}

/// The feed title's count: `feed N events`.
fn feed_count(screen: &str) -> Option<u64> {
    let rest = screen.split("feed ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

/// Feed rows' clocks (the first column).
fn feed_clocks(screen: &str) -> Vec<String> {
    screen
        .lines()
        .filter(|l| l.len() > 13 && l.as_bytes()[2] == b':' && l.as_bytes()[5] == b':')
        .map(|l| l[..8].to_owned())
        .collect()
}

#[test]
fn demo_chart_zooms_and_enter_narrows_the_feed_to_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let t = Tmux::start(&command(dir.path()), 120, 40);
    t.wait(20, "feed rows from the demo", |s| feed_types(s).len() > 10);
    // The sparkline window.
    t.wait(5, "the 1-minute window named", |s| s.contains("last 1m (w)"));
    t.keys(&["w"]);
    t.wait(5, "the 5-minute window", |s| s.contains("last 5m (w)"));
    t.keys(&["w", "w"]);
    t.wait(5, "back to 1 minute", |s| s.contains("last 1m (w)"));

    t.keys(&["r"]);
    t.wait(5, "the chart at 5 minutes", |s| {
        s.contains("rate chart · last 5m · 5s buckets")
    });
    t.keys(&["]"]);
    t.wait(5, "zoomed in to 1-second buckets", |s| {
        s.contains("last 1m · 1s buckets")
    });
    t.keys(&["]"]);
    t.wait(5, "no finer than a second", |s| s.contains("the chart's finest"));
    t.keys(&["["]);
    t.wait(5, "zoomed out", |s| s.contains("last 5m · 5s buckets"));
    // The demo has run for seconds: 5 minutes span its buffer.
    t.keys(&["["]);
    t.wait(5, "no wider than the buffer", |s| {
        s.contains("already spans the buffer")
    });
    t.keys(&["]"]);
    t.wait(5, "1-second buckets again", |s| {
        s.contains("last 1m · 1s buckets")
    });

    // Step back from the second under way to a complete one with events.
    let mut bucket = None;
    t.keys(&["Left"]);
    for _ in 0..20 {
        t.keys(&["Left"]);
        let s = t.screen();
        if let Some((start, n)) = cursor_bucket(&s) {
            if n > 0 {
                bucket = Some((start, n));
                break;
            }
        }
    }
    let (start, n) = bucket.expect("a second with demo events within 20 s");
    t.keys(&["Enter"]);
    let s = t.wait(5, "the window in the prompt", |s| {
        s.contains("received>=20") && s.contains("received<20")
    });
    assert!(!s.contains("rate chart"), "Enter closes the chart: {s}");
    let prompt = s.lines().rev().find(|l| l.contains("received>=")).unwrap();
    assert!(prompt.contains(&format!("T{start}Z received<")), "{prompt}");
    // Every event in the feed is from that second, as many as the chart
    // said — plus any webhook redelivery in it, which the rates count once
    // (the demo delivers a webhook every 0.4–2 s).
    let s = t.wait(10, "the feed refiltered", |s| !s.contains("filtering…"));
    let clocks = feed_clocks(&s);
    assert!(
        !clocks.is_empty() && clocks.iter().all(|c| *c == start),
        "{clocks:?} vs {start}"
    );
    let shown = feed_count(&s).expect("the feed's title counts its events");
    assert!((n..=n + 2).contains(&shown), "chart {n}, feed {shown}: {s}");
    t.keys(&["Enter"]);
    t.wait(5, "the filter kept", |s| s.contains("filter: received>="));
    t.keys(&["q"]);
    let s = t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT="));
    assert!(s.contains("EVTOP-EXIT=0"), "{s}");
}

#[test]
fn replay_charts_the_recordings_time_and_enter_lists_its_burst() {
    let dir = tempfile::tempdir().unwrap();
    // 2026-11-22: a ping every 10 s from 09:55:05 to 09:59:55, a last one
    // at 10:00:00, and 50 `charge.failed` in [09:58:00, 09:58:05).
    let line = |id: &str, ty: &str, received: String| {
        format!(
            r#"{{"source":"payments","id":"{id}","type":"{ty}","time":null,"received":"{received}","data":{{}}}}"#
        )
    };
    // `at`: seconds after 09:00:00 and milliseconds, as RFC 3339.
    let at = |secs: u32, ms: u32| {
        format!(
            "2026-11-22T{:02}:{:02}:{:02}.{ms:03}Z",
            9 + secs / 3600,
            secs / 60 % 60,
            secs % 60
        )
    };
    let mut lines: Vec<(u32, u32, String)> = Vec::new();
    for k in 0..30 {
        let s = 55 * 60 + 5 + k * 10;
        lines.push((s, 3, line(&format!("ping_{k}"), "ping", at(s, 3))));
    }
    for k in 0..50 {
        let (s, ms) = (58 * 60 + k / 10, (k % 10) * 99);
        lines.push((s, ms, line(&format!("evt_{k}"), "charge.failed", at(s, ms))));
    }
    lines.push((3600, 0, line("the_end", "ping", at(3600, 0))));
    lines.sort_by_key(|(s, ms, _)| (*s, *ms));
    let rec: Vec<String> = lines.into_iter().map(|(_, _, l)| l).collect();
    std::fs::write(dir.path().join("rec.ndjson"), rec.join("\n") + "\n").unwrap();
    let args = format!("replay --speed 0 {}/rec.ndjson", dir.path().display());
    let t = Tmux::start(&command_with(dir.path(), "", &args), 120, 40);
    t.wait(20, "the replay's last event", |s| s.contains("the_end"));
    t.keys(&["r"]);
    // The newest bucket is the recording's last, not today's.
    t.wait(5, "the chart on the recording's clock", |s| {
        s.contains("▶ 10:00:00–10:00:05 all 1")
    });
    for _ in 0..24 {
        t.keys(&["Left"]);
    }
    t.wait(5, "the burst's bucket", |s| {
        s.contains("▶ 09:58:00–09:58:05 all 50")
    });
    t.keys(&["Enter"]);
    let s = t.wait(5, "exactly the burst", |s| s.contains("feed 50 events"));
    assert!(
        s.contains("received>=2026-11-22T09:58:00Z received<2026-11-22T09:58:05Z"),
        "{s}"
    );
    assert!(feed_types(&s).iter().all(|t| t == "charge.failed"), "{s}");
    t.keys(&["Enter", "q"]);
    t.wait(10, "evtop exited", |s| s.contains("EVTOP-EXIT=0"));
}
