//! The real `evtop relay` (and `tail`) binary, run and watched: its stderr
//! and stdout collected line by line as they come, conditions polled with
//! deadlines, signals sent by pid.

#![allow(dead_code)]

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::Child;

use crate::support::{evtop, listening_url};

/// A running evtop process.
pub struct Running {
    pub child: Child,
    /// Its stderr lines so far.
    pub stderr: Arc<Mutex<Vec<String>>>,
    /// Its stdout lines so far.
    pub stdout: Arc<Mutex<Vec<String>>>,
    /// Where its webhook source listens, when it has one.
    pub hook_url: Option<String>,
    stderr_done: Arc<AtomicBool>,
}

/// Collect `lines` into a shared list as they come; the flag is set at
/// the end of the stream.
fn collect<R>(mut lines: tokio::io::Lines<R>) -> (Arc<Mutex<Vec<String>>>, Arc<AtomicBool>)
where
    R: tokio::io::AsyncBufRead + Unpin + Send + 'static,
{
    let out = Arc::new(Mutex::new(Vec::new()));
    let done = Arc::new(AtomicBool::new(false));
    let (sink, end) = (out.clone(), done.clone());
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            sink.lock().unwrap().push(line);
        }
        end.store(true, Ordering::SeqCst);
    });
    (out, done)
}

/// Start `evtop SUBCOMMAND --no-config ARGS…`; with `webhook`, wait until
/// that webhook source says where it listens.
pub async fn spawn(dir: &Path, sub: &str, args: &[&str], webhook: Option<&str>) -> Running {
    let mut child = evtop(dir).arg(sub).arg("--no-config").args(args).spawn().unwrap();
    let (stdout, _) = collect(BufReader::new(child.stdout.take().unwrap()).lines());
    let (hook_url, stderr) = match webhook {
        Some(name) => {
            let (url, lines) = listening_url(&mut child, name).await;
            (Some(url), collect(lines))
        }
        None => (
            None,
            collect(BufReader::new(child.stderr.take().unwrap()).lines()),
        ),
    };
    let (stderr, stderr_done) = stderr;
    Running {
        child,
        stderr,
        stdout,
        hook_url,
        stderr_done,
    }
}

impl Running {
    /// Wait until a stderr line contains `text`; returns it.
    pub async fn wait_stderr(&self, text: &str, secs: u64) -> String {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            if let Some(l) = self.stderr.lock().unwrap().iter().find(|l| l.contains(text)) {
                return l.clone();
            }
            if tokio::time::Instant::now() > deadline {
                panic!(
                    "no stderr line with {text:?} in {secs}s; stderr:\n{}",
                    self.stderr.lock().unwrap().join("\n")
                );
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// Wait until stdout has `n` lines; returns them.
    pub async fn wait_stdout(&self, n: usize, secs: u64) -> Vec<String> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let lines = self.stdout.lock().unwrap().clone();
            if lines.len() >= n {
                return lines;
            }
            if tokio::time::Instant::now() > deadline {
                panic!("only {} of {n} stdout lines in {secs}s", lines.len());
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    pub fn stderr_text(&self) -> String {
        self.stderr.lock().unwrap().join("\n")
    }

    /// Send a signal by pid (`TERM`, `KILL`).
    pub fn signal(&self, sig: &str) {
        let pid = self.child.id().expect("still running").to_string();
        let ok = std::process::Command::new("kill")
            .args([&format!("-{sig}"), &pid])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill -{sig} {pid}");
    }

    /// SIGTERM, then its exit code, within `secs`.
    pub async fn terminate(&mut self, secs: u64) -> i32 {
        self.signal("TERM");
        self.exit_code(secs).await
    }

    /// Its exit code, within `secs`; stderr is complete afterwards.
    pub async fn exit_code(&mut self, secs: u64) -> i32 {
        let status = tokio::time::timeout(Duration::from_secs(secs), self.child.wait())
            .await
            .unwrap_or_else(|_| panic!("still running after {secs}s; stderr:\n{}", self.stderr_text()))
            .unwrap();
        // Let the collector take the last lines.
        let deadline = tokio::time::Instant::now() + Duration::from_secs(5);
        while !self.stderr_done.load(Ordering::SeqCst) && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        status.code().unwrap_or(-1)
    }

    /// The relay's summary line (`… published, … acknowledged …`).
    pub async fn summary(&self) -> String {
        self.wait_stderr(" published, ", 10).await
    }
}

/// Wait until `stream` holds at least `n` messages; returns the count.
pub async fn wait_count(js: &async_nats::jetstream::Context, stream: &str, n: u64, secs: u64) -> u64 {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
    loop {
        let c = crate::nats::stream_count(js, stream).await;
        if c >= n {
            return c;
        }
        if tokio::time::Instant::now() > deadline {
            panic!("stream {stream} holds {c} of {n} messages after {secs}s");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// The number in `line` right before `word` (`"3 dropped"` → 3).
pub fn count_before(line: &str, word: &str) -> u64 {
    let i = line
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} not in {line:?}"));
    line[..i]
        .trim_end()
        .rsplit(' ')
        .next()
        .and_then(|n| n.trim_start_matches('(').parse().ok())
        .unwrap_or_else(|| panic!("no number before {word:?} in {line:?}"))
}

/// POST a JSON body to a webhook URL; the status and how long the reply took.
pub async fn deliver(client: &reqwest::Client, url: &str, body: &str) -> (u16, Duration) {
    let t = std::time::Instant::now();
    let r = client
        .post(url)
        .header("content-type", "application/json")
        .body(body.to_owned())
        .send()
        .await
        .unwrap_or_else(|e| panic!("POST {url}: {e}"));
    (r.status().as_u16(), t.elapsed())
}
