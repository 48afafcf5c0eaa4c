//! The recording source: reads a section-4 NDJSON file (what `tail
//! --format ndjson` writes and `e` exports) and sends its events again,
//! keeping their source names, ids, times and `received`, with the gaps
//! between `received` times divided by the speed (0: as fast as possible),
//! so rates and sparklines look as they did. `follow` keeps reading as the
//! file grows. A bad line is counted and reported with file and line
//! number; the rest plays on. Lines longer than `max_event_bytes` (plus
//! room for the line's other members) are skipped the same way, so a
//! corrupt file cannot grow memory.

mod config;

pub use config::{KIND, options_mut, route};

use std::sync::Arc;
use std::time::Duration;

use tokio::io::{AsyncBufRead, AsyncBufReadExt, BufReader};
use tokio::time::Instant;

use super::{DropKind, SourceCtx, SourceMsg, Status};
use crate::config::{FileOptions, SourceSpec};
use crate::event::{Event, SourceId};
use crate::recording::parse_event;

/// Bytes read from the file at a time (each read is a trip to tokio's
/// blocking pool, so large reads keep a fast replay fast).
const READ_CHUNK: usize = 1 << 20;
/// Lines between looks at the clock (progress) and the shutdown token.
const CHECK_EVERY: u32 = 256;
/// Events sent per batch at most.
const BATCH: usize = 256;
/// How often progress is reported in the status.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How often a followed file is checked for growth.
const FOLLOW_POLL: Duration = Duration::from_millis(200);
/// Room for a line's members other than `data` (source, id, type, times,
/// webhook headers).
const LINE_OVERHEAD: usize = 64 * 1024;

/// Replay the recording until its end (or forever with `follow`).
pub async fn run(spec: Arc<SourceSpec>, opts: FileOptions, ctx: SourceCtx) {
    let name = opts.path.display().to_string();
    let file = match tokio::fs::File::open(&opts.path).await {
        Ok(f) => f,
        Err(e) => {
            ctx.status(Status::Closed(format!("cannot open {name}: {e}")))
                .await;
            return;
        }
    };
    let total = file.metadata().await.map(|m| m.len()).unwrap_or(0).max(1);
    let mut reader = BufReader::with_capacity(READ_CHUNK, file);
    let speed = if opts.speed.0.is_finite() && opts.speed.0 > 0.0 {
        Some(opts.speed.0)
    } else {
        None
    };
    let speed_text = speed.map_or("as fast as possible".to_owned(), |s| format!("×{s}"));
    let mut replay = Replay {
        ctx: &ctx,
        routes: routes(&spec, &opts, ctx.id),
        batch: Vec::with_capacity(BATCH),
        origin: None,
        speed,
        speed_text,
        read: 0,
        total,
        last_progress: Instant::now() - PROGRESS_EVERY,
    };
    let (mut line_no, mut bad, mut count) = (0u64, 0u64, 0u64);
    let mut buf = Vec::new();
    let mut partial = false;
    let max = ctx.max_event_bytes + LINE_OVERHEAD;
    let mut turns = CHECK_EVERY - 1; // the first turn reports progress
    loop {
        // Looking at the clock and the shutdown token every line costs more
        // than parsing it in a fast replay: every [`CHECK_EVERY`] lines.
        turns = turns.wrapping_add(1);
        if turns % CHECK_EVERY == 0 && (ctx.cancel.is_cancelled() || !replay.progress().await) {
            return;
        }
        let line = read_line(&mut reader, &mut buf, &mut partial, max, opts.follow).await;
        match line {
            Ok(Line::Eof) => {
                if !replay.flush().await {
                    return;
                }
                if opts.follow {
                    if !replay.progress().await {
                        return;
                    }
                    tokio::select! {
                        _ = ctx.cancel.cancelled() => return,
                        _ = tokio::time::sleep(FOLLOW_POLL) => continue,
                    }
                }
                let lines = if bad == 1 { "line" } else { "lines" };
                // The counts once, on this source; its routes just finish.
                let routes_done = Status::Finished(format!("replay of {name}"));
                if !replay.status_routes(routes_done).await {
                    return;
                }
                let done = format!("replay of {name}: {count} events, {bad} bad {lines}");
                ctx.status(Status::Finished(done)).await;
                return;
            }
            Ok(Line::TooLong(n)) => {
                line_no += 1;
                bad += 1;
                replay.read += n;
                let detail = format!("{name}:{line_no}: line of {n} bytes skipped: over max_event_bytes");
                if !ctx.dropped(DropKind::BadLine, detail).await {
                    return;
                }
            }
            Ok(Line::Full(n)) => {
                line_no += 1;
                replay.read += n;
                let text = match std::str::from_utf8(&buf) {
                    Ok(t) => std::borrow::Cow::Borrowed(t),
                    Err(_) => String::from_utf8_lossy(&buf),
                };
                if text.trim().is_empty() {
                    continue;
                }
                match parse_event(text.trim_end_matches('\r'), |name| replay.route(name)) {
                    Ok(ev) => {
                        count += 1;
                        if !replay.push(ev).await {
                            return;
                        }
                    }
                    Err(reason) => {
                        bad += 1;
                        if !ctx
                            .dropped(DropKind::BadLine, format!("{name}:{line_no}: {reason}"))
                            .await
                        {
                            return;
                        }
                    }
                }
            }
            Err(e) => {
                ctx.status(Status::Closed(format!("cannot read {name}: {e}")))
                    .await;
                return;
            }
        }
    }
}

/// Recorded source names → the source ids that show them.
fn routes(spec: &SourceSpec, opts: &FileOptions, own: SourceId) -> Vec<(String, SourceId)> {
    let mut routes = vec![(spec.name.clone(), own)];
    for (k, name) in opts.routes.iter().enumerate() {
        routes.push((name.clone(), own.saturating_add(1 + k as u16)));
    }
    routes
}

struct Replay<'a> {
    ctx: &'a SourceCtx,
    routes: Vec<(String, SourceId)>,
    batch: Vec<Event>,
    /// The first event's `received` and when it was sent.
    origin: Option<(i64, Instant)>,
    speed: Option<f64>,
    speed_text: String,
    /// Bytes of the file played so far, of `total`.
    read: u64,
    total: u64,
    last_progress: Instant,
}

impl Replay<'_> {
    /// The source id for a recorded name: its route, else this source (a
    /// followed file may bring names it did not have when the replay began).
    fn route(&self, recorded: &str) -> SourceId {
        // The reader's own name may have been made unique (`-2`): route 0
        // stands for the file's first recorded name.
        self.routes
            .iter()
            .skip(1)
            .find(|(n, _)| n == recorded)
            .map_or(self.routes[0].1, |(_, id)| *id)
    }

    /// Queue an event, waiting first until its time has come.
    async fn push(&mut self, ev: Event) -> bool {
        if let Some(speed) = self.speed {
            let (t0, wall0) = *self.origin.get_or_insert((ev.received, Instant::now()));
            let gap_ms = (ev.received - t0).max(0) as f64 / speed;
            let due = wall0 + Duration::from_secs_f64((gap_ms / 1000.0).min(86_400.0 * 365.0));
            if due > Instant::now() {
                if !self.flush().await {
                    return false;
                }
                // Long gaps still update the progress every second.
                while Instant::now() < due {
                    let wake = due.min(self.last_progress + PROGRESS_EVERY);
                    tokio::select! {
                        _ = self.ctx.cancel.cancelled() => return false,
                        _ = tokio::time::sleep_until(wake) => {}
                    }
                    if !self.progress().await {
                        return false;
                    }
                }
            }
        }
        self.batch.push(ev);
        if self.batch.len() >= BATCH {
            return self.flush().await;
        }
        true
    }

    /// Report how far the replay is, at most every [`PROGRESS_EVERY`].
    async fn progress(&mut self) -> bool {
        if self.last_progress.elapsed() < PROGRESS_EVERY {
            return true;
        }
        self.last_progress = Instant::now();
        let pct = (self.read as f64 / self.total as f64 * 100.0).min(100.0);
        let status = Status::Live(format!("replay {pct:.0}% {}", self.speed_text));
        self.status_all(status).await
    }

    /// The same status for this source and every route it feeds: all of a
    /// recording's sources show its progress.
    async fn status_all(&self, status: Status) -> bool {
        self.status_routes(status.clone()).await && self.ctx.status(status).await
    }

    /// A status for the routes this source feeds.
    async fn status_routes(&self, status: Status) -> bool {
        for (_, id) in self.routes.iter().skip(1) {
            let msg = SourceMsg::Status {
                source: *id,
                status: status.clone(),
            };
            if self.ctx.tx.send(msg).await.is_err() {
                return false;
            }
        }
        true
    }

    async fn flush(&mut self) -> bool {
        if self.batch.is_empty() {
            return true;
        }
        let events = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
        self.ctx
            .tx
            .send(SourceMsg::Events {
                source: self.ctx.id,
                events,
                cursor: None,
            })
            .await
            .is_ok()
    }
}

/// What one bounded line read found.
enum Line {
    /// A line (in the buffer) and the bytes it took, newline included.
    Full(u64),
    /// A line longer than the bound, skipped; its length.
    TooLong(u64),
    /// The end of the file for now.
    Eof,
}

/// Read one line into `buf` (without its newline) without ever holding
/// more than `max` bytes. At the end of the file a partial last line counts
/// as a line — unless following, when it stays in `buf`, and `partial` is
/// set, until the rest arrives.
async fn read_line<R: AsyncBufRead + Unpin>(
    r: &mut R,
    buf: &mut Vec<u8>,
    partial: &mut bool,
    max: usize,
    follow: bool,
) -> std::io::Result<Line> {
    if !*partial {
        buf.clear();
    }
    *partial = false;
    let mut taken = buf.len() as u64;
    let mut skipping = false;
    loop {
        let chunk = r.fill_buf().await?;
        if chunk.is_empty() {
            if skipping {
                return Ok(Line::TooLong(taken));
            }
            if buf.is_empty() {
                return Ok(Line::Eof);
            }
            if follow {
                *partial = true;
                return Ok(Line::Eof);
            }
            return Ok(Line::Full(taken));
        }
        let (part, end) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i, true),
            None => (chunk.len(), false),
        };
        if !skipping && buf.len() + part <= max {
            buf.extend_from_slice(&chunk[..part]);
        } else {
            skipping = true;
            buf.clear();
        }
        let used = part + usize::from(end);
        taken += used as u64;
        r.consume(used);
        if end {
            return Ok(if skipping {
                Line::TooLong(taken)
            } else {
                Line::Full(taken)
            });
        }
    }
}
