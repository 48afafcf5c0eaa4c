//! Running an alert's `exec`: the argv as given (never a shell), the
//! change's JSON on stdin, stdout discarded, the first bytes of stderr kept
//! for the report, killed after its `exec_timeout`. Each run is a task on
//! the runtime (a `tokio::process` child: nothing waits synchronously); at
//! most [`MAX_RUNNING`] run at once and [`MAX_STARTS_PER_SECOND`] start in
//! a second, and a change that finds either spent is skipped and reported. Every failure — it could not start, it exited
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
/// `exec` commands started per second at most, all alerts together:
/// starting a process costs the runtime thread a fork and an exec, and a
/// flood of `each` firings of a command that ends at once must not turn
/// into thousands of them a second. Past it, runs are skipped (reported).
pub const MAX_STARTS_PER_SECOND: usize = 20;
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
    /// Runs skipped: [`MAX_RUNNING`] were running, or
    /// [`MAX_STARTS_PER_SECOND`] had started this second.
    pub skipped: u64,
    /// The current second of starts (wall clock) and how many it had.
    starts: (std::time::Instant, usize),
    /// When a skip was last reported.
    skip_said: Option<std::time::Instant>,
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
            starts: (std::time::Instant::now(), 0),
            skip_said: None,
        }
    }

    /// Commands running now.
    pub fn running(&self) -> usize {
        self.running.load(Ordering::Relaxed)
    }

    /// Run the change's alert's `exec`, if it has one, on the current
    /// runtime. Returns at once; a skip is returned as a failure (at most
    /// one a second: [`Runner::skipped`] counts them all).
    pub fn run(&mut self, change: &Change) -> Option<Failure> {
        let exec = change.exec.clone()?;
        let fail = |text: String| Failure {
            alert: change.alert,
            name: change.name.clone(),
            text,
        };
        if self.starts.0.elapsed() >= Duration::from_secs(1) {
            self.starts = (std::time::Instant::now(), 0);
        }
        let why = if self.running.load(Ordering::Relaxed) >= MAX_RUNNING {
            Some(format!("{MAX_RUNNING} commands already running"))
        } else if self.starts.1 >= MAX_STARTS_PER_SECOND {
            Some(format!(
                "{MAX_STARTS_PER_SECOND} commands already started this second"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            self.skipped += 1;
            // Said at most once a second; the count says the rest.
            if self
                .skip_said
                .is_some_and(|t| t.elapsed() < Duration::from_secs(1))
            {
                return None;
            }
            self.skip_said = Some(std::time::Instant::now());
            return Some(fail(format!(
                "exec {:?} skipped: {why} ({} skipped so far)",
                exec.argv[0], self.skipped
            )));
        }
        self.starts.1 += 1;
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Notify;

    fn change(argv: &[&str]) -> Change {
        Change {
            alert: 0,
            name: "a".into(),
            kind: "alert",
            firing: true,
            value: None,
            text: String::new(),
            events: Vec::new(),
            at: 0,
            notify: Notify::default(),
            exec: Some(Arc::new(Exec {
                argv: argv.iter().map(|s| s.to_string()).collect(),
                timeout: Duration::from_secs(5),
            })),
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn a_flood_starts_at_most_its_bound_a_second_and_says_so_once() {
        let mut r = Runner::new();
        let c = change(&["true"]);
        let mut said = Vec::new();
        // Each run ends before the next starts: only the starts bound bites.
        for _ in 0..MAX_STARTS_PER_SECOND + 10 {
            said.extend(r.run(&c));
            let t = std::time::Instant::now();
            while r.running() > 0 && t.elapsed() < Duration::from_secs(5) {
                tokio::time::sleep(Duration::from_millis(1)).await;
            }
        }
        assert_eq!(said.len(), 1, "skips are said once a second: {said:?}");
        assert!(
            said[0]
                .text
                .contains("skipped: 20 commands already started this second"),
            "{said:?}"
        );
        assert!(r.skipped >= 1);
        r.finish(Duration::from_secs(5)).await;
        assert!(r.failures().is_empty(), "`true` exits 0 every time");
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn more_than_max_running_at_once_are_skipped() {
        let mut r = Runner::new();
        let c = change(&["sleep", "5"]);
        let said: Vec<Failure> = (0..MAX_RUNNING + 3).filter_map(|_| r.run(&c)).collect();
        assert_eq!(r.running(), MAX_RUNNING);
        assert_eq!(r.skipped, 3);
        assert_eq!(said.len(), 1);
        assert!(
            said[0]
                .text
                .contains("skipped: 8 commands already running (1 skipped so far)")
        );
    }

    #[tokio::test]
    async fn no_exec_runs_nothing() {
        let mut r = Runner::new();
        let mut c = change(&["true"]);
        c.exec = None;
        assert!(r.run(&c).is_none());
        assert_eq!((r.running(), r.skipped), (0, 0));
    }
}
