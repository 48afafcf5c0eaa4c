//! The command line tells the truth and gives a next step, through the real
//! binary: filter typos exit 2 naming the term, `evtop help filter`, a JSON
//! endpoint given as a stream, `--diff`, `--poll` reading `/type` and `/id`,
//! URLs without a scheme, `--listen` on a taken port, which config file is
//! in use, `--no-config`, and `tail`'s exit status when nothing connected.

use std::process::Output;
use std::time::Duration;

use serde_json::json;
use tokio::io::AsyncWriteExt;

use crate::support::*;

/// Run the binary, failing the test (instead of hanging) after 60 s.
async fn run(cmd: &mut tokio::process::Command) -> Output {
    tokio::time::timeout(Duration::from_secs(60), cmd.output())
        .await
        .expect("evtop did not exit")
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A stream of `order.paid` events, one every 10 ms.
async fn stream() -> std::net::SocketAddr {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for i in 0.. {
            let ev = format!("id: {i}\nevent: order.paid\ndata: {{\"amount\":{i}}}\n\n");
            if sock.write_all(ev.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await;
    addr
}

/// An address nothing listens on.
fn closed_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_typo_exits_2_naming_the_term_and_what_was_meant() {
    let dir = tempfile::tempdir().unwrap();
    for (filter, words) in [
        ("typ:order.paid", "unknown prefix `typ:` — did you mean `type:`?"),
        (
            "amount>5",
            "a comparison needs a `.path`: did you mean `.amount>5`?",
        ),
        (
            "time>2026-01-01",
            "is not a time; expected an RFC 3339 time with an offset",
        ),
        (
            "received=14:05",
            "`received` compares with `>` `>=` `<` `<=` only, not `=`",
        ),
        ("since:5", "is not a duration"),
        ("drift:x", "`drift` takes no value: write `drift`"),
    ] {
        let out = run(evtop(dir.path()).args(["tail", "-f", filter, "http://127.0.0.1:9/"])).await;
        assert_eq!(out.status.code(), Some(2), "{filter}: {out:?}");
        let err = stderr(&out);
        assert!(err.contains(&format!("bad filter term `{filter}`")), "{err}");
        assert!(err.contains(words), "{err}");
    }
    // `drift` itself is a term, but without --contract it could never match.
    let out = run(evtop(dir.path()).args(["tail", "-f", "-drift", "http://127.0.0.1:9/"])).await;
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    assert!(stderr(&out).contains("the filter term `drift` needs --contract FILE"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_filter_may_start_with_a_hyphen() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stream().await;
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "2", "-f", "-source:test"])
        .arg(format!("shop=http://{addr}/")))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(ndjson_lines(&out.stdout).len(), 2);
    let out = run(evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "1",
            "--filter",
            "-type:order.*",
        ])
        .arg(format!("shop=http://{addr}/"))
        .arg("--duration")
        .arg("1s"))
    .await;
    assert!(out.stdout.is_empty(), "every event is an order: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn help_filter_prints_the_language() {
    let dir = tempfile::tempdir().unwrap();
    let out = run(evtop(dir.path()).args(["help", "filter"])).await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(String::from_utf8_lossy(&out.stdout), evtop::filter::FILTER_HELP);
    let out = run(evtop(dir.path()).args(["help", "tail"])).await;
    assert!(out.status.success(), "{out:?}");
    assert!(String::from_utf8_lossy(&out.stdout).contains("--fail-after"));
    let out = run(evtop(dir.path()).args(["help"])).await;
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("Usage: evtop"),
        "{out:?}"
    );
    let out = run(evtop(dir.path()).args(["help", "nope"])).await;
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("topics: filter, tail"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn json_given_as_a_stream_points_to_poll_and_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        respond(&mut sock, "200 OK", &[("Content-Type", "application/json")], "[]").await;
    })
    .await;
    let out = run(evtop(dir.path())
        .args(["tail", "--duration", "1s"])
        .arg(format!("http://{addr}/v1/events")))
    .await;
    let err = stderr(&out);
    assert!(
        err.contains(
            "content type is application/json, expected text/event-stream; it is not an SSE stream: \
             if it lists events, try --poll URL; if it is one resource, try --diff URL"
        ),
        "{err}"
    );
    assert_eq!(out.status.code(), Some(1), "it never connected: {err}");
}

#[tokio::test(flavor = "multi_thread")]
async fn diff_and_poll_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let (addr, _) = raw_server(|_, req, mut sock| async move {
        let body = if req.path == "/ticker" {
            json!({"btc": 1}).to_string()
        } else {
            json!([{"id": "evt_2", "type": "order.paid"}, {"id": "evt_1", "type": "order.created"}])
                .to_string()
        };
        respond(
            &mut sock,
            "200 OK",
            &[("Content-Type", "application/json")],
            &body,
        )
        .await;
    })
    .await;
    let out = run(evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "1",
            "--interval",
            "100ms",
            "--diff",
        ])
        .arg(format!("btc=http://{addr}/ticker")))
    .await;
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    assert_eq!(
        (&lines[0]["source"], &lines[0]["type"]),
        (&json!("btc"), &json!("data"))
    );
    assert_eq!(lines[0]["data"], json!({"btc": 1}));
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "2", "--poll"])
        .arg(format!("http://{addr}/events")))
    .await;
    assert!(out.status.success(), "{out:?}");
    let got: Vec<(String, String)> = ndjson_lines(&out.stdout)
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().into(),
                v["type"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            ("evt_1".into(), "order.created".into()),
            ("evt_2".into(), "order.paid".into())
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_url_without_a_scheme_is_http_with_a_note() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stream().await;
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "1"])
        .arg(format!("{addr}/stream")))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        stderr(&out).contains(&format!(
            "evtop: no scheme in \"{addr}/stream\": using http://{addr}/stream (as curl does)"
        )),
        "{out:?}"
    );
    assert_eq!(ndjson_lines(&out.stdout)[0]["type"], "order.paid");
}

#[tokio::test(flavor = "multi_thread")]
async fn listen_on_a_taken_port_is_an_error_at_start_and_open_listening_warns() {
    let dir = tempfile::tempdir().unwrap();
    let held = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = held.local_addr().unwrap().port();
    let out =
        run(evtop(dir.path()).args(["tail", "--duration", "30s", "--listen", &format!("hooks={port}")]))
            .await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains(&format!("cannot listen on 127.0.0.1:{port} (source hooks): ")),
        "{err}"
    );
    assert!(
        err.contains(&format!("pid {}", std::process::id())),
        "names who holds it: {err}"
    );
    drop(held);

    let out = run(evtop(dir.path()).args(["tail", "--duration", "500ms", "--listen", "0.0.0.0:0"])).await;
    assert!(out.status.success(), "{out:?}");
    assert!(stderr(&out).contains("without verification"), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn the_config_in_use_is_said_and_no_config_skips_the_default() {
    let dir = tempfile::tempdir().unwrap();
    let addr = stream().await;
    let xdg = dir.path().join("xdg/evtop");
    std::fs::create_dir_all(&xdg).unwrap();
    let cfg = xdg.join("config.toml");
    std::fs::write(
        &cfg,
        format!("[[source]]\nname = \"fromconfig\"\nurl = \"http://{addr}/\"\n"),
    )
    .unwrap();
    let out = run(evtop(dir.path()).args(["tail", "--format", "ndjson", "--count", "1"])).await;
    assert!(out.status.success(), "{out:?}");
    assert!(
        stderr(&out).contains(&format!("evtop: config {}\n", cfg.display())),
        "{out:?}"
    );
    assert_eq!(ndjson_lines(&out.stdout)[0]["source"], "fromconfig");

    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "1", "--no-config"])
        .arg(format!("cli=http://{addr}/")))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert!(!stderr(&out).contains("config"), "{out:?}");
    assert!(!stderr(&out).contains("fromconfig"), "{out:?}");
    assert_eq!(ndjson_lines(&out.stdout)[0]["source"], "cli");

    // An explicit -c still applies under --no-config.
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--count", "1", "--no-config", "-c"])
        .arg(&cfg))
    .await;
    assert!(out.status.success(), "{out:?}");
    assert_eq!(ndjson_lines(&out.stdout)[0]["source"], "fromconfig");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_run_in_which_nothing_connected_exits_1_with_the_reason() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("down=http://127.0.0.1:{}/", closed_port());
    let out = run(evtop(dir.path()).args(["tail", "--duration", "1s", &url])).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains("evtop: no source ever connected: down: cannot connect"),
        "{out:?}"
    );

    // One source up is enough for 0.
    let addr = stream().await;
    let out = run(evtop(dir.path())
        .args(["tail", "--format", "ndjson", "--duration", "1s", &url])
        .arg(format!("up=http://{addr}/")))
    .await;
    assert_eq!(out.status.code(), Some(0), "{out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn fail_after_exits_1_once_every_source_failed_n_times() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("down=http://127.0.0.1:{}/", closed_port());
    let out = run(evtop(dir.path()).args(["tail", "--fail-after", "2", &url])).await;
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    let err = stderr(&out);
    assert!(
        err.contains("evtop: every source failed 2 times in a row (--fail-after): down: cannot connect"),
        "{err}"
    );
    assert_eq!(
        err.matches("down: cannot connect").count(),
        3,
        "two failures, then the exit line: {err}"
    );
    let out = run(evtop(dir.path()).args(["tail", "--fail-after", "0", &url])).await;
    assert_eq!(out.status.code(), Some(2), "0 is refused: {out:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn webhook_terms_filter_deliveries_end_to_end() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let mut child = evtop(dir.path())
        .args([
            "tail",
            "--format",
            "ndjson",
            "--count",
            "1",
            "-f",
            "attempt>1 verified:none -forward:5xx",
        ])
        .args(["--listen", "hooks=127.0.0.1:0"])
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let url = loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("the source says where it listens")
            .unwrap()
            .expect("stderr open");
        if let Some(rest) = line.strip_prefix("hooks: connected (listening on ") {
            break rest.trim_end_matches(')').to_owned();
        }
    };
    for body in [
        r#"{"type":"a","id":"one"}"#,
        r#"{"type":"b","id":"two"}"#,
        r#"{"type":"a","id":"one"}"#,
    ] {
        let resp = sender().post(&url).body(body).send().await.unwrap();
        assert_eq!(resp.status().as_u16(), 200);
    }
    let out = tokio::time::timeout(Duration::from_secs(10), child.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    let lines = ndjson_lines(&out.stdout);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        (&lines[0]["id"], &lines[0]["webhook"]["attempt"]),
        (&json!("one"), &json!(2))
    );
}

/// The monitor's sources view (`s`) names the config file in use: the real
/// binary in a tmux pane of its own server.
#[test]
fn the_sources_view_names_the_config_file() {
    use std::process::Command;
    let dir = tempfile::tempdir().unwrap();
    let cfg = dir.path().join("watch.toml");
    std::fs::write(
        &cfg,
        "[[source]]\nname = \"cfgsrc\"\nurl = \"http://127.0.0.1:9/\"\n",
    )
    .unwrap();
    let socket = format!("evtop-cli-{}-{}", std::process::id(), fastrand::u32(..));
    let tmux = |args: &[&str]| {
        let out = Command::new("tmux")
            .args(["-L", &socket])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let cmd = format!(
        "env HOME={d} XDG_CONFIG_HOME={d}/xdg EVTOP_LOG_FILE={d}/evtop.log TERM=xterm-256color {bin} -c {cfg}; sleep 60",
        d = dir.path().display(),
        bin = env!("CARGO_BIN_EXE_evtop"),
        cfg = cfg.display(),
    );
    tmux(&[
        "-f",
        "/dev/null",
        "new-session",
        "-d",
        "-x",
        "120",
        "-y",
        "30",
        &cmd,
    ]);
    let wait = |what: &str, pred: &dyn Fn(&str) -> bool| {
        for _ in 0..100 {
            let screen = tmux(&["capture-pane", "-p"]);
            if pred(&screen) {
                return screen;
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        let screen = tmux(&["capture-pane", "-p"]);
        tmux(&["kill-server"]);
        panic!("{what} not seen; screen:\n{screen}");
    };
    wait("the status bar", &|s| s.contains("cfgsrc"));
    tmux(&["send-keys", "s"]);
    let screen = wait("the sources view", &|s| s.contains("sources (Esc closes"));
    tmux(&["kill-server"]);
    assert!(
        screen.contains(&format!("config file: {}", cfg.display())),
        "{screen}"
    );
}
