//! `evtop tail`: the engine without a screen. Matching events go to stdout
//! as NDJSON or text; diagnostics go to stderr, one line each, prefixed by
//! the source name. Its exit status says whether any source ever worked
//! (`tail/health.rs`).

pub mod health;

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use tokio::time::Instant;

use crate::config::Config;
use crate::engine::Engine;
use crate::event::now_millis;
use crate::filter::Filter;
use crate::output::{self, Format};
use crate::sanitize::inert;
use crate::source::{SourceMsg, Status};
use crate::store::Store;

/// Batches taken from the channel per wake-up.
const BATCH: usize = 64;

/// What `tail` was asked to do.
#[derive(Debug, Clone)]
pub struct TailOptions {
    pub format: Format,
    /// Exit after this many matching events.
    pub count: Option<u64>,
    /// Exit after this long.
    pub duration: Option<Duration>,
    pub state_out: Option<PathBuf>,
    pub filter: Filter,
    /// Colour the text format.
    pub color: bool,
    /// Exit 1 once every source has failed this many times in a row.
    pub fail_after: Option<u32>,
}

/// Run until `--count`, `--duration`, SIGINT/SIGTERM, or every source has
/// stopped. Returns the process exit code.
pub async fn run(config: Config, opts: TailOptions) -> anyhow::Result<u8> {
    // Open --state-out first: an unwritable path fails now, not after an hour.
    let state_file = match &opts.state_out {
        Some(p) => Some(
            std::fs::File::create(p).with_context(|| format!("cannot write --state-out {}", p.display()))?,
        ),
        None => None,
    };
    let mut engine = Engine::start(&config.sources, &config.settings, &config.secrets)?;
    let mut store = Store::new(0, &config.sources, now_millis());
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    let mut stdout = std::io::stdout().lock();
    let mut out = Vec::with_capacity(1 << 16);
    let mut msgs = Vec::with_capacity(BATCH);
    let mut printed = 0u64;
    let limit = opts.count.unwrap_or(u64::MAX);
    let mut code = 0;
    let mut health = health::Health::new(config.sources.iter().map(|s| s.name.clone()));
    'run: loop {
        let n = tokio::select! {
            n = engine.rx.recv_many(&mut msgs, BATCH) => n,
            _ = sleep_until(deadline) => break 'run,
            _ = sigint.recv() => break 'run,
            _ = sigterm.recv() => break 'run,
        };
        if n == 0 {
            break; // every source has stopped
        }
        for msg in msgs.drain(..) {
            health.observe(&msg);
            diagnose(&store, &msg);
            let resync = store.ingest(msg, now_millis(), |_, ev| {
                if printed < limit && opts.filter.matches(&ev) {
                    printed += 1;
                    match opts.format {
                        Format::Ndjson => output::ndjson(&ev, &mut out),
                        Format::Text => output::text(&ev, opts.color, &mut out),
                    }
                }
            });
            if let Some(id) = resync {
                let s = &store.sources()[id as usize];
                let why = s.last_error.as_deref().unwrap_or("state out of sync");
                eprintln!("{}: {}", inert(&s.name), inert(why));
                engine.resync(id);
            }
        }
        if let Err(e) = stdout.write_all(&out).and_then(|()| stdout.flush()) {
            if e.kind() != std::io::ErrorKind::BrokenPipe {
                eprintln!("evtop: cannot write to stdout: {e}");
                code = 1;
            }
            break;
        }
        out.clear();
        if printed >= limit {
            break;
        }
        if let Some(n) = opts.fail_after.filter(|&n| health.all_failed(n)) {
            eprintln!(
                "evtop: every source failed {n} times in a row (--fail-after): {}",
                inert(&health.reasons())
            );
            code = 1;
            break;
        }
    }
    if code == 0 && health.exit_code() != 0 {
        eprintln!("evtop: no source ever connected: {}", inert(&health.reasons()));
        code = 1;
    }
    engine.shutdown().await;
    if let Some(mut f) = state_file {
        let text = serde_json::to_string(&store.states_json())?;
        if let Err(e) = writeln!(f, "{text}") {
            eprintln!("evtop: cannot write --state-out: {e}");
            code = 1;
        }
    }
    Ok(code)
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The stderr line for a status change or a drop, if any.
fn diagnose(store: &Store, msg: &SourceMsg) {
    let (source, line) = match msg {
        SourceMsg::Status { source, status } => match status {
            Status::Connecting => return,
            Status::Live(d) => (*source, format!("connected ({d})")),
            s => (*source, s.to_string()),
        },
        SourceMsg::Dropped { source, detail, .. } => (*source, format!("dropped: {detail}")),
        SourceMsg::Events { .. } => return,
    };
    eprintln!("{}: {}", inert(store.source_name(source)), inert(&line));
}
