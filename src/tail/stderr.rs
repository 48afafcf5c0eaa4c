//! `tail`'s diagnostics, written to stderr by a thread of their own.
//!
//! Status lines are produced on the runtime thread, next to the webhook
//! servers; a stderr that nobody reads (a full pipe, a stopped terminal)
//! must not stop them. Lines wait in a bounded queue; past it they are
//! dropped and counted, and the count is written as soon as stderr moves
//! again.

use std::io::Write;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::Duration;

/// Diagnostic lines waiting for stderr before new ones are dropped.
pub const QUEUE_LINES: usize = 1024;

/// Handle to the stderr thread.
pub struct Diagnostics {
    tx: SyncSender<String>,
    dropped: Arc<AtomicU64>,
    done: Receiver<()>,
}

impl Diagnostics {
    /// Start the thread, writing to stderr.
    pub fn start() -> std::io::Result<Diagnostics> {
        Diagnostics::start_with(std::io::stderr())
    }

    /// Start the thread, writing to `w`.
    pub fn start_with<W: Write + Send + 'static>(mut w: W) -> std::io::Result<Diagnostics> {
        let (tx, rx) = sync_channel::<String>(QUEUE_LINES);
        let (done_tx, done) = sync_channel(1);
        let dropped = Arc::new(AtomicU64::new(0));
        let seen = dropped.clone();
        std::thread::Builder::new()
            .name("evtop-stderr".into())
            .spawn(move || {
                let mut reported = 0;
                let mut report = |w: &mut W, text: &mut String| {
                    let lost = seen.load(Ordering::Relaxed);
                    if lost > reported {
                        let line = format!(
                            "evtop: {} diagnostic lines dropped: stderr was blocked\n",
                            lost - reported
                        );
                        text.insert_str(0, &line);
                        reported = lost;
                    }
                    w.write_all(text.as_bytes())
                };
                while let Ok(mut line) = rx.recv() {
                    line.push('\n');
                    if report(&mut w, &mut line).is_err() {
                        break;
                    }
                }
                let _ = report(&mut w, &mut String::new());
                let _ = done_tx.send(());
            })?;
        Ok(Diagnostics { tx, dropped, done })
    }

    /// Queue one line (without its newline); never waits.
    pub fn line(&self, line: String) {
        queue_line(&self.tx, &self.dropped, line);
    }

    /// A handle another thread queues lines with (the relay's publisher).
    /// Drop it before [`Diagnostics::finish`], which waits for every
    /// handle to go.
    pub fn sender(&self) -> LineSender {
        LineSender {
            tx: self.tx.clone(),
            dropped: self.dropped.clone(),
        }
    }

    /// Write what is queued, waiting at most `grace` (from a blocking
    /// context: call it after the runtime's work is done).
    pub fn finish(self, grace: Duration) {
        drop(self.tx);
        let _ = self.done.recv_timeout(grace);
    }
}

/// A clonable handle onto the stderr thread's queue ([`Diagnostics::sender`]).
#[derive(Clone)]
pub struct LineSender {
    tx: SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

impl LineSender {
    /// Queue one line (without its newline); never waits.
    pub fn line(&self, line: String) {
        queue_line(&self.tx, &self.dropped, line);
    }
}

fn queue_line(tx: &SyncSender<String>, dropped: &AtomicU64, line: String) {
    match tx.try_send(line) {
        Ok(()) => {}
        Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
            dropped.fetch_add(1, Ordering::Relaxed);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer that blocks until told to go on.
    struct Gate(std::sync::mpsc::Receiver<()>, Arc<std::sync::Mutex<Vec<u8>>>);
    impl Write for Gate {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            let _ = self.0.recv();
            self.1.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn a_blocked_stderr_never_blocks_the_caller_and_drops_are_reported() {
        let (go, gate) = std::sync::mpsc::channel();
        let seen = Arc::new(std::sync::Mutex::new(Vec::new()));
        let d = Diagnostics::start_with(Gate(gate, seen.clone())).unwrap();
        // The writer is stuck on the first line; the queue fills, the rest
        // are dropped — and `line` returned every time.
        for i in 0..QUEUE_LINES + 100 {
            d.line(format!("line {i}"));
        }
        assert!(d.dropped.load(Ordering::Relaxed) >= 99);
        for _ in 0..(QUEUE_LINES + 10) * 4 {
            let _ = go.send(());
        }
        d.finish(Duration::from_secs(5));
        let text = String::from_utf8(seen.lock().unwrap().clone()).unwrap();
        assert!(
            text.contains("line 0\n") && text.contains("line 1000\n"),
            "{text:.40}"
        );
        assert!(
            text.contains("diagnostic lines dropped: stderr was blocked"),
            "{}",
            &text[text.len().saturating_sub(200)..]
        );
    }
}
