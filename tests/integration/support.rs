//! Test servers and helpers. Every server listens on 127.0.0.1:0.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evtop::config::{Settings, SourceKind, SourceSpec, SseOptions};
use evtop::engine::Engine;
use evtop::event::Pointers;
use evtop::source::SourceMsg;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::process::Command;

/// The request head a raw server saw.
#[derive(Debug, Clone, Default)]
pub struct Request {
    pub path: String,
    pub headers: Vec<(String, String)>,
}

impl Request {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Read an HTTP/1.1 request head from a raw socket.
pub async fn read_head(sock: &mut TcpStream) -> Option<Request> {
    let mut buf = Vec::new();
    let mut byte = [0u8; 1];
    while !buf.ends_with(b"\r\n\r\n") {
        if sock.read(&mut byte).await.ok()? == 0 {
            return None;
        }
        buf.push(byte[0]);
        if buf.len() > 64 * 1024 {
            return None;
        }
    }
    let text = String::from_utf8_lossy(&buf);
    let mut lines = text.split("\r\n");
    let first = lines.next()?;
    let path = first.split(' ').nth(1)?.to_owned();
    let headers = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .collect();
    Some(Request { path, headers })
}

/// A raw TCP server: `handler(connection number, request, socket)` runs per
/// connection. Returns the address and the list of requests seen.
pub async fn raw_server<F, Fut>(handler: F) -> (SocketAddr, Arc<Mutex<Vec<Request>>>)
where
    F: Fn(usize, Request, TcpStream) -> Fut + Send + Sync + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let seen2 = seen.clone();
    let handler = Arc::new(handler);
    tokio::spawn(async move {
        let mut n = 0;
        while let Ok((mut sock, _)) = listener.accept().await {
            let Some(req) = read_head(&mut sock).await else {
                continue;
            };
            seen2.lock().unwrap().push(req.clone());
            let h = handler.clone();
            let i = n;
            n += 1;
            tokio::spawn(async move { h(i, req, sock).await });
        }
    });
    (addr, seen)
}

/// Write an SSE response head (no content length: the body is the stream).
pub async fn sse_head(sock: &mut TcpStream) {
    let _ = sock
        .write_all(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\nConnection: close\r\n\r\n")
        .await;
}

/// An SSE server that sends `id: eN`, `event: tick`, `data: {"i":N}` every
/// `every`, for ever, to each connection.
pub async fn ticking_sse(every: std::time::Duration) -> SocketAddr {
    let (addr, _) = raw_server(move |_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for i in 0.. {
            let ev = format!("id: e{i}\nevent: tick\ndata: {{\"i\":{i}}}\n\n");
            if sock.write_all(ev.as_bytes()).await.is_err() {
                return;
            }
            tokio::time::sleep(every).await;
        }
    })
    .await;
    addr
}

/// Write a whole response with a status line, headers and body, then close.
pub async fn respond(sock: &mut TcpStream, status: &str, headers: &[(&str, &str)], body: &str) {
    let mut head = format!(
        "HTTP/1.1 {status}\r\nContent-Length: {}\r\nConnection: close\r\n",
        body.len()
    );
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str("\r\n");
    let _ = sock.write_all(head.as_bytes()).await;
    let _ = sock.write_all(body.as_bytes()).await;
    let _ = sock.shutdown().await;
}

pub fn sse_spec(name: &str, url: String, patch: bool, idle: Option<Duration>) -> SourceSpec {
    SourceSpec {
        name: name.into(),
        url_display: url.clone(),
        url,
        headers: vec![],
        pointers: Pointers::default(),
        kind: SourceKind::Sse(SseOptions {
            patch,
            idle_timeout: idle,
        }),
        named_after_host: false,
    }
}

pub fn settings(max_event_bytes: usize) -> Settings {
    Settings {
        max_event_bytes,
        ..Settings::default()
    }
}

/// Start an engine on these sources.
pub fn engine(specs: &[SourceSpec], max_event_bytes: usize) -> Engine {
    Engine::start(specs, &settings(max_event_bytes), &[]).unwrap()
}

/// Receive the next message, or panic after `secs`.
pub async fn next_msg(engine: &mut Engine, secs: u64) -> SourceMsg {
    tokio::time::timeout(Duration::from_secs(secs), engine.rx.recv())
        .await
        .expect("timed out waiting for a source message")
        .expect("engine channel closed")
}

/// Receive messages until `pred` holds for one; returns everything seen.
pub async fn until(
    engine: &mut Engine,
    secs: u64,
    mut pred: impl FnMut(&SourceMsg) -> bool,
) -> Vec<SourceMsg> {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    let mut seen = Vec::new();
    loop {
        let msg = tokio::time::timeout_at(deadline, engine.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("condition not met in {secs}s; saw {seen:#?}"))
            .expect("engine channel closed");
        let done = pred(&msg);
        seen.push(msg);
        if done {
            return seen;
        }
    }
}

/// Serve an axum app on 127.0.0.1:0.
pub async fn serve(app: axum::Router) -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    addr
}

/// The sources of a config file's text (no environment).
pub fn config_sources(toml: &str) -> Vec<SourceSpec> {
    evtop::config::parse_config(toml, "test.toml", &|_| None)
        .expect("test config loads")
        .sources
}

/// The real binary with a clean environment: no user config, logs in `dir`.
pub fn evtop(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_evtop"));
    c.env_remove("EVTOP_CONFIG")
        .env("HOME", dir)
        .env("XDG_CONFIG_HOME", dir.join("xdg"))
        .env("EVTOP_LOG_FILE", dir.join("evtop.log"))
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true);
    c
}

/// Start an engine on these (webhook) sources, listening on port 0, and
/// wait until each reports the address it got; returns the engine and
/// each source's URL (`http://127.0.0.1:PORT/path`) in source order.
pub async fn live_webhooks(specs: &[SourceSpec], max_event_bytes: usize) -> (Engine, Vec<String>) {
    let mut engine = engine(specs, max_event_bytes);
    let mut urls: Vec<Option<String>> = vec![None; specs.len()];
    while urls.iter().any(Option::is_none) {
        match next_msg(&mut engine, 10).await {
            SourceMsg::Status {
                source,
                status: evtop::source::Status::Live(detail),
            } => {
                let url = detail
                    .strip_prefix("listening on ")
                    .unwrap_or_else(|| panic!("unexpected live detail {detail:?}"));
                urls[source as usize] = Some(url.to_owned());
            }
            SourceMsg::Status { .. } => {}
            other => panic!("unexpected message before the servers are up: {other:?}"),
        }
    }
    (engine, urls.into_iter().flatten().collect())
}

/// The events of `msgs`, in order.
pub fn events_in(msgs: Vec<SourceMsg>) -> Vec<evtop::event::Event> {
    msgs.into_iter()
        .flat_map(|m| match m {
            SourceMsg::Events { events, .. } => events,
            _ => Vec::new(),
        })
        .collect()
}

/// Receive until `n` events have arrived; returns them.
pub async fn n_events(engine: &mut Engine, n: usize, secs: u64) -> Vec<evtop::event::Event> {
    let mut got = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    while got.len() < n {
        let msg = tokio::time::timeout_at(deadline, engine.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {n} events in {secs}s: {got:#?}", got.len()))
            .expect("engine channel closed");
        got.extend(events_in(vec![msg]));
    }
    got
}

/// A reqwest client for sending deliveries (no proxy, no redirects).
pub fn sender() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap()
}

/// Every line of `tail --format ndjson` output as JSON.
pub fn ndjson_lines(stdout: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect()
}

/// A JSON file (what `--state-out` writes).
pub fn read_json(path: &Path) -> serde_json::Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// A webhook source on /h with this `max_event_bytes`, served by the
/// webhook server itself with `limits`; returns its address, the channel
/// its messages arrive on, and the token that stops it.
pub async fn webhook_served(
    limits: evtop::source::webhook::Limits,
    max_event_bytes: usize,
) -> (
    SocketAddr,
    tokio::sync::mpsc::Receiver<SourceMsg>,
    tokio_util::sync::CancellationToken,
) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let spec = config_sources(
        "[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\npath = \"/h\"\n",
    )
    .remove(0);
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let cancel = tokio_util::sync::CancellationToken::new();
    let ctx = evtop::source::SourceCtx {
        tasks: Default::default(),
        id: 0,
        tx,
        cancel: cancel.child_token(),
        resync: Arc::new(tokio::sync::Notify::new()),
        max_event_bytes,
        client: evtop::engine::http_client().unwrap(),
        secrets: Arc::from([]),
        tls_unchecked: false,
        tls: Default::default(),
        filter: Default::default(),
    };
    tokio::spawn(evtop::source::webhook::serve(
        listener,
        vec![(Arc::new(spec), ctx)],
        limits,
    ));
    (addr, rx, cancel)
}

/// Read a child's stderr until the source named `name` says where it
/// listens; returns that URL and the rest of stderr as a line reader.
pub async fn listening_url(
    child: &mut tokio::process::Child,
    name: &str,
) -> (
    String,
    tokio::io::Lines<tokio::io::BufReader<tokio::process::ChildStderr>>,
) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(child.stderr.take().unwrap()).lines();
    let prefix = format!("{name}: connected (listening on ");
    loop {
        let line = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .expect("the source reports where it listens")
            .unwrap()
            .expect("stderr open");
        if let Some(rest) = line.strip_prefix(&prefix) {
            return (rest.trim_end_matches(')').to_owned(), lines);
        }
    }
}
