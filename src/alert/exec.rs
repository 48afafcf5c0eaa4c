//! Running an alert's `exec`: the argv as given (never a shell), the
//! change's JSON on stdin, stdout discarded, the first bytes of stderr kept
//! for the report, killed after its `exec_timeout`. Each run is a task on
//! the runtime (a `tokio::process` child: nothing waits synchronously); at
//! most [`MAX_RUNNING`] run at once, and a change that finds them all busy
//! is skipped and reported. Every failure — it could not start, it exited
//! non-zero, it timed out — comes back as a [`Failure`] for the caller to
//! show; none is fatal.

use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::mpsc;
use tokio_util::task::TaskTracker;

use super::{Change, Exec};

/// `exec` commands running at once, all alerts together; a change that
/// finds this many running does not run its command (reported).
pub const MAX_RUNNING: usize = 8;
/// Failures waiting for the caller; more are counted, not queued.
pub const FAILURE_QUEUE: usize = 256;
/// Bytes of a command's stderr kept for its failure report.
pub const STDERR_KEPT: usize = 512;

/// An `exec` that failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// Index of the alert ([`super::Alerts::entries`]).
    pub alert: usize,
    /// The alert's name.
    pub name: String,
    /// What went wrong, one line: `exec ["page-me"] exited with status 3:
    /// no route`, `… timed out after 10s and was killed`, `… could not
    /// start: No such file or directory`, `… skipped: 8 already running`.
    pub text: String,
}

/// Starts the commands and collects their failures.
pub struct Runner {
    running: Arc<AtomicUsize>,
    tx: mpsc::Sender<Failure>,
    rx: mpsc::Receiver<Failure>,
    tasks: TaskTracker,
    /// Runs skipped because [`MAX_RUNNING`] were running.
    pub skipped: u64,
}

impl Default for Runner {
    fn default() -> Self {
        Runner::new()
    }
}

impl Runner {
    /// A runner with nothing running.
    pub fn new() -> Self {
        let (tx, rx) = mpsc::channel(FAILURE_QUEUE);
        Runner {
            running: Arc::new(AtomicUsize::new(0)),
            tx,
            rx,
            tasks: TaskTracker::new(),
            skipped: 0,
        }
    }

    /// Commands running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Run the change's alert's `exec`, if it has one, on the current
    /// runtime. Returns at once; a skip is returned as a failure.
    pub fn run(&mut self, change: &Change) -> Option<Failure> {
        let exec = change.exec.clone()?;
        let fail = |text: String| Failure {
            alert: change.alert,
            name: change.name.clone(),
            text,
        };
        if self.running.load(Ordering::Relaxed) >= MAX_RUNNING {
            self.skipped += 1;
            return Some(fail(format!(
                "exec {:?} skipped: {MAX_RUNNING} commands already running ({} skipped so far)",
                exec.argv[0], self.skipped
            )));
        }
        self.running.fetch_add(1, Ordering::Relaxed);
        let guard = Running(self.running.clone());
        let input = change.json();
        let tx = self.tx.clone();
        let (alert, name) = (change.alert, change.name.clone());
        self.tasks.spawn(async move {
            let _guard = guard;
            if let Err(text) = run_one(&exec, input).await {
                let _ = tx.try_send(Failure { alert, name, text });
            }
        });
        None
    }

    /// The next failure (for a `select!`); pending forever while there is
    /// none.
    pub async fn failure(&mut self) -> Failure {
        match self.rx.recv().await {
            Some(f) => f,
            None => std::future::pending().await,
        }
    }

    /// The failures waiting now.
    pub fn failures(&mut self) -> Vec<Failure> {
        let mut out = Vec::new();
        while let Ok(f) = self.rx.try_recv() {
            out.push(f);
        }
        out
    }

    /// Wait at most `grace` for the running commands to end; those still
    /// running then are killed when the runtime drops their tasks.
    pub async fn finish(&mut self, grace: Duration) {
        self.tasks.close();
        let _ = tokio::time::timeout(grace, self.tasks.wait()).await;
    }
}

/// Decrements the running count when a run ends, however it ends.
struct Running(Arc<AtomicUsize>);

impl Drop for Running {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Run one command to its end or its timeout.
async fn run_one(exec: &Exec, input: String) -> Result<(), String> {
    let program = &exec.argv[0];
    let mut child = tokio::process::Command::new(program)
        .args(&exec.argv[1..])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| format!("exec {program:?} could not start: {e}"))?;
    let mut stdin = child.stdin.take();
    let mut stderr = child.stderr.take();
    let work = async {
        if let Some(w) = &mut stdin {
            // A command that does not read its input is its own business.
            let _ = w.write_all(input.as_bytes()).await;
            let _ = w.write_all(b"\n").await;
        }
        drop(stdin.take());
        let mut kept = Vec::new();
        if let Some(r) = &mut stderr {
            let _ = r.take(STDERR_KEPT as u64).read_to_end(&mut kept).await;
        }
        drop(stderr.take());
        (child.wait().await, kept)
    };
    match tokio::time::timeout(exec.timeout, work).await {
        Err(_) => {
            let _ = child.start_kill();
            Err(format!(
                "exec {program:?} timed out after {} and was killed",
                crate::source::fmt_duration(exec.timeout)
            ))
        }
        Ok((Err(e), _)) => Err(format!("exec {program:?} failed: {e}")),
        Ok((Ok(status), _)) if status.success() => Ok(()),
        Ok((Ok(status), kept)) => {
            let said = String::from_utf8_lossy(&kept);
            let said = said.split_whitespace().collect::<Vec<_>>().join(" ");
            let said = crate::sanitize::inert(&said).into_owned();
            Err(if said.is_empty() {
                format!("exec {program:?} {status}")
            } else {
                format!("exec {program:?} {status}: {said}")
            })
        }
    }
}
