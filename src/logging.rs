//! Logging with `tracing` to a file, never to the terminal: the TUI owns
//! the screen and `tail` owns stdout. The file lives in the platform state
//! directory (`~/.local/state/evtop/evtop.log` on Linux), else the cache
//! directory; `EVTOP_LOG` sets the level (`info` by default).

use std::fs::OpenOptions;
use std::path::PathBuf;
use std::sync::Mutex;

/// A log file larger than this at start-up is moved to `evtop.log.old`.
const ROTATE_BYTES: u64 = 8 << 20;

/// Where the log file goes (`$EVTOP_LOG_FILE` overrides).
pub fn log_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("EVTOP_LOG_FILE") {
        return Some(PathBuf::from(p));
    }
    let dirs = directories::ProjectDirs::from("", "", "evtop")?;
    let dir = dirs.state_dir().unwrap_or_else(|| dirs.cache_dir());
    Some(dir.join("evtop.log"))
}

/// Start logging to the file; logging is skipped (silently) when no file
/// can be opened — a monitor must not fail because its log cannot be written.
pub fn init() -> Option<PathBuf> {
    let path = log_path()?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).ok()?;
    }
    if std::fs::metadata(&path)
        .map(|m| m.len() > ROTATE_BYTES)
        .unwrap_or(false)
    {
        let _ = std::fs::rename(&path, path.with_extension("log.old"));
    }
    let file = OpenOptions::new().create(true).append(true).open(&path).ok()?;
    let filter = tracing_subscriber::EnvFilter::try_from_env("EVTOP_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("evtop=info,warn"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .ok()?;
    Some(path)
}
