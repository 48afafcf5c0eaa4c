//! The interactive monitor's loop: terminal setup and restore, and one
//! `select!` over source messages (drained in batches), terminal input,
//! signals and a frame tick. It draws at most `fps` times a second and only
//! when something changed — input at the next tick, arriving data at most
//! every [`DATA_FRAME`]; `ui::draw` reads the app and never waits.
//!
//! The loop is generic over the ratatui backend and the input stream, so
//! tests drive the real loop on a `TestBackend` with scripted keys.

mod alerts;

use std::io::{self, Write};
use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event};
use crossterm::execute;
use crossterm::terminal::{EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode};
use futures_util::{Stream, StreamExt};
use ratatui::Terminal;
use ratatui::backend::{Backend, CrosstermBackend};
use tokio::signal::unix::{SignalKind, signal};

use crate::app::{Action, App};
use crate::config::Config;
use crate::engine::Engine;
use crate::event::now_millis;
use crate::filter::Filter;
use crate::store::Store;

/// Set this variable to make the monitor panic right after it has taken
/// over the terminal (used to test that a panic restores the terminal).
pub const DEBUG_PANIC_ENV: &str = "EVTOP_DEBUG_PANIC";

/// Least time between two frames drawn only because data arrived. A feed
/// scrolling at 1,000 events/s reads as well at 10 frames a second and
/// costs a third of the bytes over SSH; input is still drawn at the very
/// next tick (at most 1/fps later).
pub const DATA_FRAME: Duration = Duration::from_millis(100);

/// Whether a frame is due: input always, data at most every [`DATA_FRAME`]
/// (or every frame when `fps` is lower than that), and once a second for
/// the clocks and sparklines.
pub fn frame_due(
    input: bool,
    data: bool,
    second_changed: bool,
    since_last: Duration,
    frame: Duration,
) -> bool {
    input || second_changed || (data && since_last >= DATA_FRAME.max(frame))
}

/// Time per tick spent re-matching the buffer after a filter change: the
/// rest of the tick is left for keys and the frame.
pub const REBUILD_BUDGET: Duration = Duration::from_millis(15);

/// Source batches taken per wake-up.
const BATCH: usize = 256;

/// Run the full-screen monitor until `q`, Ctrl-C, SIGTERM, SIGINT or SIGHUP.
pub async fn run(config: Config, filter: Filter, color: bool) -> anyhow::Result<u8> {
    let mut engine = Engine::start_filtered(
        &config.sources,
        &config.settings,
        &config.secrets,
        std::sync::Arc::new(filter.clone()),
    )?;
    let mut store = Store::new(config.settings.buffer, &config.sources, now_millis());
    if let Some(c) = &config.contract {
        store = store.with_contract(c.clone());
    }
    let mut app = App::new(store, filter, color, now_millis()).with_alerts(&config.alerts);
    app.incremental = true;
    app.start_reconcile(&config.reconcile, &config.sources);
    install_panic_hook();
    let mut terminal = setup().context("cannot set up the terminal")?;
    if std::env::var_os(DEBUG_PANIC_ENV).is_some() {
        // A deliberate panic with the terminal in raw mode on the alternate
        // screen: how the tests prove the panic hook restores it.
        panic!("{DEBUG_PANIC_ENV} is set: panicking on purpose");
    }
    let result = run_loop(
        &mut terminal,
        crossterm::event::EventStream::new(),
        &mut engine,
        &mut app,
        config.settings.fps,
        &mut io::stdout(),
    )
    .await;
    restore();
    engine.shutdown().await;
    result
}

fn setup() -> io::Result<Terminal<CrosstermBackend<io::Stdout>>> {
    enable_raw_mode()?;
    let mut out = io::stdout();
    if let Err(e) = execute!(out, EnterAlternateScreen, EnableMouseCapture) {
        restore();
        return Err(e);
    }
    let mut t = Terminal::new(CrosstermBackend::new(out))?;
    t.hide_cursor()?;
    t.clear()?;
    Ok(t)
}

/// Put the terminal back: main screen, cooked mode, cursor, no mouse.
/// Safe to call more than once.
pub fn restore() {
    let _ = disable_raw_mode();
    let _ = execute!(
        io::stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore();
        previous(info);
    }));
}

/// Time the loop waits at its end for `exec`s still running.
pub const EXEC_EXIT_GRACE: Duration = Duration::from_secs(2);

/// The loop itself. `clipboard` is the terminal: it receives OSC 52
/// sequences and alerts' notifications (BEL, OSC 777, OSC 9).
pub async fn run_loop<B, S>(
    terminal: &mut Terminal<B>,
    mut input: S,
    engine: &mut Engine,
    app: &mut App,
    fps: u32,
    clipboard: &mut dyn Write,
) -> anyhow::Result<u8>
where
    B: Backend,
    B::Error: Send + Sync + 'static,
    S: Stream<Item = io::Result<Event>> + Unpin,
{
    let mut term_sig = signal(SignalKind::terminate())?;
    let mut hup_sig = signal(SignalKind::hangup())?;
    let mut int_sig = signal(SignalKind::interrupt())?;
    let frame = Duration::from_millis(1000 / u64::from(fps.max(1)));
    let mut tick = tokio::time::interval(frame);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    let mut msgs = Vec::with_capacity(BATCH);
    let (mut input_dirty, mut data_dirty) = (true, false);
    let mut last_draw = tokio::time::Instant::now();
    let mut last_second = 0;
    let mut sources_open = true;
    let mut effects = alerts::Effects::default();
    loop {
        tokio::select! {
            n = engine.rx.recv_many(&mut msgs, BATCH), if sources_open => {
                if n == 0 {
                    sources_open = false;
                    continue;
                }
                app.now = now_millis();
                for id in app.ingest(msgs.drain(..)) {
                    engine.resync(id);
                }
                effects.act(app, clipboard);
                data_dirty = true;
            }
            f = effects.runner.failure() => {
                app.now = now_millis();
                app.alert_failed(f);
                input_dirty = true;
            }
            ev = input.next() => {
                let Some(ev) = ev else { break };
                let ev = ev.context("reading terminal input")?;
                app.now = now_millis();
                match app.handle(&ev) {
                    Action::Quit => break,
                    Action::Copy(text) => {
                        let r = copy_osc52(clipboard, &text).map(|()| format!("copied {} bytes (OSC 52)", text.len()));
                        app.action_done(r.map_err(|e| format!("copy failed: {e}")));
                    }
                    Action::Export => {
                        let path = export_path(app.now);
                        app.action_done(export(app, &path));
                    }
                    Action::None => {}
                }
                input_dirty = true;
            }
            _ = tick.tick() => {
                app.now = now_millis();
                data_dirty |= app.advance_clock();
                if app.feed.rebuilding(&app.store).is_some() {
                    let started = std::time::Instant::now();
                    while app.refilter_step() && started.elapsed() < REBUILD_BUDGET {}
                    input_dirty = true;
                }
                let second = app.now / 1000;
                let second_changed = second != last_second;
                last_second = second;
                if second_changed {
                    app.reconcile_tick();
                    app.evaluate_alerts();
                    input_dirty |= effects.act(app, clipboard);
                }
                if frame_due(input_dirty, data_dirty, second_changed, last_draw.elapsed(), frame) {
                    let size = terminal.size()?;
                    app.page = usize::from(size.height.saturating_sub(6)).max(1);
                    app.prepare_frame();
                    terminal.draw(|f| crate::ui::draw(f, app))?;
                    (input_dirty, data_dirty) = (false, false);
                    last_draw = tokio::time::Instant::now();
                }
            }
            _ = term_sig.recv() => break,
            _ = hup_sig.recv() => break,
            _ = int_sig.recv() => break,
        }
    }
    effects.runner.finish(EXEC_EXIT_GRACE).await;
    Ok(0)
}

/// Write `text` to the clipboard through the terminal: OSC 52 works over
/// SSH and, with `set -g set-clipboard on`, inside tmux.
pub fn copy_osc52(out: &mut dyn Write, text: &str) -> io::Result<()> {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(text);
    write!(out, "\x1b]52;c;{b64}\x07")?;
    out.flush()
}

/// `evtop-export-YYYYMMDD-HHMMSS.ndjson` in the current directory.
pub fn export_path(now: i64) -> PathBuf {
    let stamp = chrono::DateTime::from_timestamp_millis(now)
        .map(|t| t.format("%Y%m%d-%H%M%S").to_string())
        .unwrap_or_else(|| now.to_string());
    PathBuf::from(format!("evtop-export-{stamp}.ndjson"))
}

/// Write the filtered feed as NDJSON (SPEC 4), drifted events with their
/// reasons (asked of the contract again, one event at a time); returns the
/// notice text.
pub fn export(app: &App, path: &std::path::Path) -> Result<String, String> {
    let file =
        std::fs::File::create(path).map_err(|e| format!("cannot export to {}: {e}", path.display()))?;
    let mut w = io::BufWriter::new(file);
    let mut line = Vec::with_capacity(512);
    let mut received = crate::output::Received::default();
    let mut n = 0u64;
    for &seq in &app.feed.seqs {
        if let Some(rec) = app.store.get(seq) {
            line.clear();
            let drift = app.store.drift_reasons(rec);
            crate::output::ndjson_with(&app.store.view(rec), &drift, &mut line, &mut received);
            w.write_all(&line)
                .map_err(|e| format!("cannot export to {}: {e}", path.display()))?;
            n += 1;
        }
    }
    w.flush()
        .map_err(|e| format!("cannot export to {}: {e}", path.display()))?;
    Ok(format!("exported {n} events to {}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_for_input_at_once_for_data_at_most_every_data_frame() {
        let frame = Duration::from_millis(33);
        let ms = Duration::from_millis;
        assert!(
            frame_due(true, false, false, ms(1), frame),
            "input draws at the next tick"
        );
        assert!(
            !frame_due(false, true, false, ms(50), frame),
            "data waits for DATA_FRAME"
        );
        assert!(frame_due(false, true, false, DATA_FRAME, frame));
        assert!(
            frame_due(false, false, true, ms(1), frame),
            "the clock ticks once a second"
        );
        assert!(
            !frame_due(false, false, false, ms(10_000), frame),
            "nothing changed, nothing drawn"
        );
        // A low fps cap still rules.
        assert!(!frame_due(false, true, false, ms(150), ms(200)));
    }
}
