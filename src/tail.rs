//! `evtop tail`: the engine without a screen. Matching events go to stdout
//! as NDJSON or text; diagnostics go to stderr, one line each, prefixed by
//! the source name. Its exit status says whether any source ever worked
//! (`tail/health.rs`). Each `[[reconcile]]` (SPEC 11.3) sees every message
//! on the runtime thread and ticks every second; its findings go to stderr
//! (`reconcile: NAME: not delivered ID`) as external alerts
//! (`tail/reconcile.rs`).

pub mod alerts;
mod clock;
pub mod health;
mod printer;
pub mod reconcile;
pub mod stderr;

pub use clock::StreamClock;
pub use printer::{Finished, Printer, PrinterOptions};
pub use reconcile::TailReconcile;
pub use stderr::{Diagnostics, LineSender};

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context as _;
use tokio::signal::unix::Signal;
use tokio::time::Instant;

use crate::config::Config;
use crate::engine::Engine;
use crate::event::{Event, now_millis};
use crate::filter::Filter;
use crate::output::Format;
use crate::sanitize::inert;
use crate::source::{DropKind, SourceMsg, Status};
use crate::store::Store;

/// Messages taken from the channel per wake-up.
const BATCH: usize = 64;
/// Events handed to the printer in one batch at most, by what they hold
/// ([`held_bytes`]; a message's events are never split). With
/// [`printer::QUEUE_BATCHES`] this bounds what waits for a slow reader at
/// about 16 MiB.
const PRINT_BATCH_BYTES: usize = 1 << 20;
/// What an event holds in memory while it waits for the printer: its text
/// and its record with the allocations' headers (small events are mostly
/// overhead, so counting data alone let the queue hold far more than its
/// bound).
fn held_bytes(e: &Event) -> usize {
    const PER_ALLOCATION: usize = 16;
    std::mem::size_of::<Event>()
        + e.data.len()
        + e.ty.len()
        + e.id.as_ref().map_or(0, String::len)
        + 3 * PER_ALLOCATION
}

/// After a signal or `--duration`, how long queued output may take to be
/// written before evtop exits anyway (a reader that stopped reading must not
/// keep it alive).
const EXIT_GRACE: Duration = Duration::from_secs(2);

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
    /// "Now" for a relative filter when it must not move: `replay --tail`
    /// of recordings read to their end ([`StreamClock::fixed`]); `None`:
    /// the wall clock, or a replay's clock event by event.
    pub fixed_now: Option<i64>,
}

/// Why the main loop ended.
enum End {
    /// Every source stopped: write everything, however long it takes.
    Sources,
    /// A signal or `--duration`: write what is queued within [`EXIT_GRACE`].
    Asked,
    /// The printer stopped by itself (count reached, reader gone, error).
    Printer(Finished, u64),
    /// Every source failed `--fail-after` times in a row.
    Failing,
}

/// Run until `--count`, `--duration`, SIGINT/SIGTERM, or every source has
/// stopped. Returns the process exit code.
///
/// The runtime thread only moves events: sources and webhook servers run on
/// it, the store sees each batch for its state documents, and the batch goes
/// on to the [`Printer`] thread, which filters, formats and writes stdout.
/// Diagnostics go to stderr through [`Diagnostics`]. Neither stream can
/// stall the runtime.
pub async fn run(config: Config, opts: TailOptions) -> anyhow::Result<u8> {
    // Open --state-out first: an unwritable path fails now, not after an hour.
    let state_file = match &opts.state_out {
        Some(p) => Some(
            std::fs::File::create(p).with_context(|| format!("cannot write --state-out {}", p.display()))?,
        ),
        None => None,
    };
    let mut engine = Engine::start_filtered(
        &config.sources,
        &config.settings,
        &config.secrets,
        Arc::new(opts.filter.clone()),
    )?;
    let mut store = Store::new(0, &config.sources, now_millis());
    let names: Arc<[String]> = store.sources().iter().map(|s| s.name.clone()).collect();
    let diag = Diagnostics::start()?;
    let mut printer = Printer::start(PrinterOptions {
        format: opts.format,
        color: opts.color,
        filter: opts.filter.clone(),
        limit: opts.count.unwrap_or(u64::MAX),
        names,
        contract: config.contract.clone(),
        clock: opts
            .fixed_now
            .map_or_else(|| StreamClock::new(store.is_replay()), StreamClock::fixed),
        wall: now_millis,
    })?;
    let deadline = opts.duration.map(|d| Instant::now() + d);
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let mut sigterm = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;

    let mut msgs = Vec::with_capacity(BATCH);
    let mut health = health::Health::new(config.sources.iter().map(|s| s.name.clone()));
    let mut alerts = alerts::TailAlerts::new(
        &config.alerts,
        &store,
        config.contract.as_ref(),
        store.clock(now_millis()),
        diag.sender(),
    );
    let mut reconcile = TailReconcile::new(
        &config.reconcile,
        &config.sources,
        &mut alerts,
        store.clock(now_millis()),
    );
    let end = 'run: loop {
        let n = tokio::select! {
            n = engine.rx.recv_many(&mut msgs, BATCH) => n,
            wake = alerts.wake() => {
                alerts.woke(wake, &store, store.clock(now_millis()));
                continue 'run;
            }
            _ = sleep_until(deadline) => break 'run End::Asked,
            _ = sigint.recv() => break 'run End::Asked,
            _ = sigterm.recv() => break 'run End::Asked,
            (f, n) = printer.stopped() => break 'run End::Printer(f, n),
            // Not ticked while a batch waits for a stalled stdout: the
            // deliveries waiting in the channel meanwhile must be seen
            // before their listings' deadlines are judged.
            _ = reconcile.tick() => {
                reconcile.judge(store.clock(now_millis()), &mut alerts);
                continue 'run;
            }
        };
        if n == 0 {
            break End::Sources;
        }
        // The events of every message taken go to the printer as one batch:
        // one hand-over (and at most one wake-up of its thread) per turn.
        let mut batch: Vec<Event> = Vec::new();
        let mut batch_bytes = 0;
        for msg in msgs.drain(..) {
            health.observe(&msg);
            // Reconciled here, on the runtime thread, before the events go
            // to the printer: what the printer's filter drops still counts.
            reconcile.observe(&msg, store.clock(now_millis()), &mut alerts);
            let SourceMsg::Events {
                source,
                mut events,
                cursor,
            } = msg
            else {
                if let Some(line) = diagnose(&store, &msg) {
                    diag.line(line);
                }
                store.ingest(msg, now_millis(), |_, _| {});
                if let Some(n) = opts.fail_after.filter(|&n| health.all_failed(n)) {
                    diag.line(format!(
                        "evtop: every source failed {n} times in a row (--fail-after): {}",
                        inert(&health.reasons())
                    ));
                    break 'run End::Failing;
                }
                continue;
            };
            if let Some(id) = store.observe(source, &events, cursor, now_millis()) {
                let s = &store.sources()[id as usize];
                let why = s.last_error.as_deref().unwrap_or("state out of sync");
                diag.line(format!("{}: {}", inert(&s.name), inert(why)));
                engine.resync(id);
            }
            // Judged before the hand-over, which a stalled stdout holds up.
            alerts.observe(&store, &events, now_millis());
            batch_bytes += events.iter().map(held_bytes).sum::<usize>();
            if batch.is_empty() {
                batch = events;
            } else {
                batch.append(&mut events);
            }
            if batch_bytes >= PRINT_BATCH_BYTES {
                batch_bytes = 0;
                let full = std::mem::take(&mut batch);
                if let Some(end) = hand_over(
                    &printer,
                    full,
                    deadline,
                    (&mut sigint, &mut sigterm),
                    &mut alerts,
                    &store,
                )
                .await
                {
                    break 'run end;
                }
            }
        }
        alerts.evaluate(&store, store.clock(now_millis()));
        if !batch.is_empty() {
            if let Some(end) = hand_over(
                &printer,
                batch,
                deadline,
                (&mut sigint, &mut sigterm),
                &mut alerts,
                &store,
            )
            .await
            {
                break 'run end;
            }
        }
    };
    alerts.finish(EXIT_GRACE).await;
    let mut code = u8::from(matches!(end, End::Failing));
    if code == 0 && health.exit_code() != 0 {
        diag.line(format!(
            "evtop: no source ever connected: {}",
            inert(&health.reasons())
        ));
        code = 1;
    }
    engine.shutdown().await;
    let printed = match end {
        End::Printer(f, n) => Some((f, n)),
        End::Sources => {
            let mut finish = std::pin::pin!(printer.finish(Duration::MAX));
            tokio::select! {
                r = &mut finish => r,
                _ = sigint.recv() => None,
                _ = sigterm.recv() => None,
            }
        }
        End::Asked | End::Failing => printer.finish(EXIT_GRACE).await,
    };
    match printed {
        Some((Finished::Failed(e), _)) => {
            diag.line(format!("evtop: cannot write to stdout: {e}"));
            code = 1;
        }
        Some(_) => {}
        None => diag.line("evtop: stdout is not being read; exiting without writing what was queued".into()),
    }
    // The last writes happen off the runtime thread too: a file system or
    // stderr that hangs must not hang shutdown of what is still running.
    let states = state_file.map(|f| (f, store.states_json()));
    let code = tokio::task::spawn_blocking(move || {
        let mut code = code;
        if let Some((mut f, states)) = states {
            let text = serde_json::to_string(&states).unwrap_or_else(|_| "null".into());
            if let Err(e) = writeln!(f, "{text}") {
                diag.line(format!("evtop: cannot write --state-out: {e}"));
                code = 1;
            }
        }
        diag.finish(EXIT_GRACE);
        code
    })
    .await?;
    Ok(code)
}

/// Queue a batch for the printer, waiting for room: this is where a slow
/// reader pushes back on SSE and polling sources. A signal or the deadline
/// ends the wait; alerts keep their tick (and `exec` failures their lines)
/// meanwhile.
async fn hand_over(
    printer: &Printer,
    batch: Vec<Event>,
    deadline: Option<Instant>,
    (sigint, sigterm): (&mut Signal, &mut Signal),
    alerts: &mut alerts::TailAlerts,
    store: &Store,
) -> Option<End> {
    let send = printer.send(batch);
    tokio::pin!(send);
    loop {
        tokio::select! {
            _ = &mut send => return None,
            _ = sleep_until(deadline) => return Some(End::Asked),
            _ = sigint.recv() => return Some(End::Asked),
            _ = sigterm.recv() => return Some(End::Asked),
            wake = alerts.wake() => alerts.woke(wake, store, store.clock(now_millis())),
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(d) => tokio::time::sleep_until(d).await,
        None => std::future::pending().await,
    }
}

/// The stderr line for a status change or a drop, if any (also the
/// relay's).
pub(crate) fn diagnose(store: &Store, msg: &SourceMsg) -> Option<String> {
    let (source, line) = match msg {
        SourceMsg::Status { source, status } => match status {
            Status::Connecting => return None,
            // Said once when it becomes live, not at every update of a
            // live source's detail (a replay's progress).
            Status::Live(_)
                if store
                    .sources()
                    .get(*source as usize)
                    .is_some_and(|s| matches!(s.status, Status::Live(_))) =>
            {
                return None;
            }
            Status::Live(d) => (*source, format!("connected ({d})")),
            s => (*source, s.to_string()),
        },
        // A recording's bad line names its file and line itself.
        SourceMsg::Dropped {
            kind: DropKind::BadLine,
            detail,
            ..
        } => return Some(format!("evtop: {}", inert(detail))),
        SourceMsg::Dropped { source, detail, .. } => (*source, format!("dropped: {detail}")),
        SourceMsg::Events { .. } | SourceMsg::CaughtUp { .. } => return None,
    };
    Some(format!("{}: {}", inert(store.source_name(source)), inert(&line)))
}
