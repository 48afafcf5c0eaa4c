//! Which config file: the lookup order of SPEC 1, and the file this
//! process loaded (for the TUI's sources view).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::{CONFIG_FILE_NAME, ConfigError};

/// Find the config file (SPEC 1): the `--config` file (which must exist),
/// else `$EVTOP_CONFIG` (which must exist when set and non-empty), else the
/// first that is a file of `$XDG_CONFIG_HOME/evtop/config.toml`,
/// `$HOME/.config/evtop/config.toml` and the platform config dir
/// (`~/Library/Application Support/evtop/config.toml` on macOS,
/// `%APPDATA%\evtop\config\config.toml` on Windows). `Ok(None)` when there
/// is none.
///
/// The platform dir comes from the `directories` crate, which reads the
/// process environment itself; all other variables come from `env`.
pub fn lookup(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Option<PathBuf>, ConfigError> {
    let platform =
        directories::ProjectDirs::from("", "", "evtop").map(|dirs| dirs.config_dir().join(CONFIG_FILE_NAME));
    lookup_in(explicit, env, platform.as_deref())
}

/// [`lookup`] with the platform config file given, so tests do not depend on
/// the machine's real config dir.
pub(super) fn lookup_in(
    explicit: Option<&Path>,
    env: &dyn Fn(&str) -> Option<String>,
    platform: Option<&Path>,
) -> Result<Option<PathBuf>, ConfigError> {
    let must_exist = |path: PathBuf, via: &'static str| match std::fs::metadata(&path) {
        Ok(_) => Ok(Some(path)),
        Err(e) => Err(ConfigError::NotFound {
            path,
            via,
            source: Arc::new(e),
        }),
    };
    if let Some(path) = explicit {
        return must_exist(path.to_path_buf(), "--config");
    }
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    if let Some(path) = var("EVTOP_CONFIG") {
        return must_exist(PathBuf::from(path), "$EVTOP_CONFIG");
    }
    let candidates = [
        var("XDG_CONFIG_HOME").map(|d| Path::new(&d).join("evtop").join(CONFIG_FILE_NAME)),
        var("HOME").map(|d| Path::new(&d).join(".config/evtop").join(CONFIG_FILE_NAME)),
        platform.map(Path::to_path_buf),
    ];
    Ok(candidates.into_iter().flatten().find(|p| p.is_file()))
}

/// The config file this process loaded, once `main` has said so with
/// [`set_in_use`]: the TUI's sources view shows it. Process-wide because it
/// is a fact about the process, and so the view needs no new plumbing.
static IN_USE: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();

/// Record which config file is in use (the first call wins).
pub fn set_in_use(path: &Path) {
    let _ = IN_USE.set(path.to_path_buf());
}

/// The config file in use, if any was loaded.
pub fn in_use() -> Option<&'static Path> {
    IN_USE.get().map(PathBuf::as_path)
}
