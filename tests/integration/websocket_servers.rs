//! WebSocket servers for the websocket tests: third-party ones (Python
//! `websockets`, node `ws`, the `graphql-ws` library's server) run as child
//! processes that print `PORT n` and then one line per thing they saw, and
//! specs for the sources that watch them.

#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use evtop::config::{SourceKind, SourceSpec};
use evtop::event::Pointers;
use evtop::source::websocket::WebSocketOptions;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// The Python `websockets` version `.ci/run` installs.
pub const PY_WEBSOCKETS: &str = "websockets==15.0.1";

/// A plain WebSocket server on Python's `websockets`. argv[1]: JSON options
/// {port, frames, close: [code, reason], token, big, binary, tls: [cert,
/// key]} (`tls`: wss with that PEM certificate and key). With `token`,
/// an upgrade without `Authorization: Bearer <token>` gets 401. Each
/// connection: wait for one message (the subscribe frame) when
/// `waitSubscribe`, send `frames` ticks, then `binary` frames, then a text
/// message of `big` bytes, then close with `close`; every message received
/// is logged as `RECV <text>`.
const PY_SERVER: &str = r#"
import asyncio, json, ssl, sys
from http import HTTPStatus
import websockets
from websockets.asyncio.server import serve

opts = json.loads(sys.argv[1])
def log(line):
    print(line, flush=True)

def check(connection, request):
    if opts.get("token") and request.headers.get("Authorization") != "Bearer " + opts["token"]:
        log("REFUSED")
        return connection.respond(HTTPStatus.UNAUTHORIZED, "invalid token\n")

async def handler(ws):
    log("CONN")
    first = asyncio.get_running_loop().create_future()
    async def reader():
        try:
            async for msg in ws:
                log("RECV " + (msg if isinstance(msg, str) else "<binary>"))
                if not first.done():
                    first.set_result(msg)
        except websockets.ConnectionClosed:
            pass
    task = asyncio.create_task(reader())
    if opts.get("waitSubscribe"):
        await first
    try:
        for i in range(opts.get("frames", 0)):
            await ws.send(json.dumps({"type": "tick", "seq": i}))
        if opts.get("binary"):
            await ws.send("caf\u00e9 as binary".encode())
            await ws.send(b"\xff\xfe\x00 not text")
            await ws.send(json.dumps({"type": "after-binary"}))
        if opts.get("big"):
            await ws.send("x" * opts["big"])
            log("BIG SENT")
        if opts.get("close"):
            await ws.close(opts["close"][0], opts["close"][1])
    except websockets.ConnectionClosed:
        log("CLOSED EARLY")
    await task

async def main():
    context = None
    if opts.get("tls"):
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(opts["tls"][0], opts["tls"][1])
    async with serve(handler, "127.0.0.1", opts.get("port", 0), process_request=check,
                     ping_interval=None, max_size=None, ssl=context) as server:
        log("PORT %d" % server.sockets[0].getsockname()[1])
        await asyncio.get_running_loop().create_future()

asyncio.run(main())
"#;

/// A running server process and the lines it printed.
pub struct Server {
    pub child: Child,
    pub port: u16,
    pub lines: Arc<Mutex<Vec<String>>>,
}

impl Server {
    /// `ws://127.0.0.1:PORT/path`.
    pub fn url(&self, path: &str) -> String {
        format!("ws://127.0.0.1:{}{path}", self.port)
    }

    /// The lines printed so far.
    pub fn lines(&self) -> Vec<String> {
        self.lines.lock().unwrap().clone()
    }

    /// How many printed lines start with `prefix`.
    pub fn count(&self, prefix: &str) -> usize {
        self.lines().iter().filter(|l| l.starts_with(prefix)).count()
    }

    /// Wait until `n` lines start with `prefix`.
    pub async fn wait_for(&self, prefix: &str, n: usize, secs: u64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        while self.count(prefix) < n {
            assert!(
                tokio::time::Instant::now() < deadline,
                "server printed {} of {n} {prefix:?} lines in {secs}s: {:?}",
                self.count(prefix),
                self.lines()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, and wait until it is gone.
    pub async fn kill(&mut self) {
        self.child.start_kill().unwrap();
        self.child.wait().await.unwrap();
    }
}

/// Start `program args…` and wait for its `PORT n` line. A missing runtime
/// fails with what to install.
async fn start(program: &str, args: &[String], install: &str) -> Server {
    let mut child = Command::new(program)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .kill_on_drop(true)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {program} ({e}): {install}"));
    let stdout = child.stdout.take().unwrap();
    let lines = Arc::new(Mutex::new(Vec::new()));
    let (port_tx, port_rx) = tokio::sync::oneshot::channel();
    let seen = lines.clone();
    tokio::spawn(async move {
        let mut reader = BufReader::new(stdout).lines();
        let mut port_tx = Some(port_tx);
        while let Ok(Some(line)) = reader.next_line().await {
            if let Some(port) = line.strip_prefix("PORT ") {
                if let Some(tx) = port_tx.take() {
                    let _ = tx.send(port.trim().parse::<u16>().unwrap());
                }
                continue;
            }
            seen.lock().unwrap().push(line);
        }
    });
    let port = tokio::time::timeout(Duration::from_secs(30), port_rx)
        .await
        .unwrap_or_else(|_| panic!("{program} printed no port in 30s"))
        .unwrap_or_else(|_| panic!("{program} exited before listening: {install}"));
    Server { child, port, lines }
}

/// The Python `websockets` server with these options.
pub async fn python(opts: serde_json::Value) -> Server {
    let install = format!("this test needs python3 with `python3 -m pip install {PY_WEBSOCKETS}`");
    let check = Command::new("python3")
        .args(["-c", "import websockets"])
        .output()
        .await
        .unwrap_or_else(|e| panic!("{install}: {e}"));
    assert!(check.status.success(), "{install}");
    start(
        "python3",
        &["-c".into(), PY_SERVER.into(), opts.to_string()],
        &install,
    )
    .await
}

/// `tests/node/`, where `.ci/run` runs `npm ci`.
fn node_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/node")
}

/// A node script of `tests/node/` with these options.
async fn node(script: &str, opts: serde_json::Value) -> Server {
    let dir = node_dir();
    let install = format!(
        "this test needs node and npm: `apt-get install nodejs npm`, then `npm ci` in {}",
        dir.display()
    );
    assert!(
        dir.join("node_modules/ws").is_dir() && dir.join("node_modules/graphql-ws").is_dir(),
        "{install}"
    );
    let path = dir.join(script).display().to_string();
    start("node", &[path, opts.to_string()], &install).await
}

/// The node `ws` server (`tests/node/ws_server.js`).
pub async fn node_ws(opts: serde_json::Value) -> Server {
    node("ws_server.js", opts).await
}

/// The `graphql-ws` library's server (`tests/node/graphql_server.js`).
pub async fn node_graphql(opts: serde_json::Value) -> Server {
    node("graphql_server.js", opts).await
}

/// A WebSocket source from config text (so the kind's own parsing runs).
pub fn ws_source(extra: &str, url: &str) -> SourceSpec {
    let toml = format!("[[source]]\nname = \"ws\"\nkind = \"websocket\"\nurl = \"{url}\"\n{extra}\n");
    crate::support::config_sources(&toml).remove(0)
}

/// A plain WebSocket source with default options.
pub fn plain(url: &str) -> SourceSpec {
    SourceSpec {
        name: "ws".into(),
        url: url.into(),
        url_display: url.into(),
        headers: Vec::new(),
        pointers: Pointers::default(),
        kind: SourceKind::WebSocket(WebSocketOptions::default()),
        named_after_host: false,
    }
}
