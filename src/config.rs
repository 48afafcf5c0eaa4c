//! The config file and the command-line sources: TOML schema, `${VAR}`
//! expansion, validation with precise one-line errors, and config lookup.
//!
//! Loading is three steps, each with its own kind of error:
//!
//! 1. **Syntax** — the text is parsed as TOML; an error reads
//!    `config.toml:3:10: extra `=`, expected nothing`.
//! 2. **Shape** — unknown keys are rejected (the keys every source has and
//!    every kind's), and the keys common to every kind are deserialized
//!    into a "raw" schema in which every key is optional (`config/raw.rs`);
//!    the errors here are unknown keys and wrong TOML types
//!    (`config.toml: source[1].limit: invalid type: ...`).
//! 3. **Meaning** — the raw schema is validated into the typed [`Config`]
//!    (`config/validate.rs`): required keys, ranges, kind/key mismatches,
//!    presets and `${VAR}` expansion (`config/expand.rs`), each error naming
//!    the file, the source and the key.
//!
//! Each kind of source validates its own keys, in its own module under
//! `source/` (listed in `source/registry.rs`), with the helpers of
//! `config/kit.rs`. Command-line sources and their merge with the file's
//! are in `config/cli.rs`; where the file is found in `config/lookup.rs`.
//!
//! Nothing here reads the process environment itself (only the
//! `directories` crate does, for [`lookup`]'s last, platform location):
//! every function that needs a variable takes an `env` lookup
//! (`&dyn Fn(&str) -> Option<String>`), so tests pass closures and `main`
//! passes `|k| std::env::var(k).ok()`.
//!
//! Values that came from `${VAR}`, and every webhook `secret`, are secrets:
//! they are collected in
//! [`Config::secrets`] (for [`mask_secrets`] over anything printed) and shown
//! as `***` in [`SourceSpec::url_display`] and [`HeaderSpec::display`].

mod alert;
mod cli;
mod expand;
pub mod kit;
mod lookup;
mod raw;
mod reconcile;
mod validate;

#[cfg(test)]
mod tests;

use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

pub use crate::source::registry::SourceKind;
pub use crate::source::webhook::config::{
    DEFAULT_TOLERANCE, SecretKey, Verify, WebhookOptions, check_routes, cli_webhook_source, listen_url,
    parse_listen, standard_key,
};
pub use crate::source::webhook::listen::{check_listen_addresses, listen_warnings};
pub use alert::{parse_exec, parse_notify};
pub use cli::{
    cli_diff_source, cli_poll_source, cli_source_with, cli_sse_source, cli_url_note, cli_url_source, merge,
};
pub use expand::mask_secrets;
pub use lookup::{in_use, lookup, set_in_use};
pub use reconcile::{MAX_WITHIN, ReconcileSpec};

/// Default for `[settings] buffer`: events kept in memory, all sources together.
pub const DEFAULT_BUFFER: usize = 100_000;
/// Allowed values of `[settings] buffer`.
pub const BUFFER_RANGE: RangeInclusive<u64> = 1..=50_000_000;
/// Default for `[settings] max_event_bytes` (1 MiB).
pub const DEFAULT_MAX_EVENT_BYTES: usize = 1_048_576;
/// Allowed values of `[settings] max_event_bytes` (1 KiB to 1 GiB).
pub const MAX_EVENT_BYTES_RANGE: RangeInclusive<u64> = 1024..=1_073_741_824;
/// Default for `[settings] fps`: the TUI frame cap.
pub const DEFAULT_FPS: u32 = 30;
/// Allowed values of `[settings] fps`.
pub const FPS_RANGE: RangeInclusive<u32> = 1..=240;
/// Default SSE `idle_timeout`: reconnect when nothing arrived for this long.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// Default polling `interval`.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(2);
/// Smallest polling `interval` accepted, so a typo cannot hammer an API.
pub const MIN_INTERVAL: Duration = Duration::from_millis(100);
/// Allowed values of a polling source's `limit`.
pub const LIMIT_RANGE: RangeInclusive<u32> = 1..=10_000;
/// Longest source name accepted in the config or as `name=URL`.
pub const MAX_NAME_LEN: usize = 64;
/// Most sources at once: source ids are `u16` ([`crate::event::SourceId`]).
pub const MAX_SOURCES: usize = u16::MAX as usize;
/// File name looked for in each config directory.
pub const CONFIG_FILE_NAME: &str = "config.toml";

/// A loaded and validated config file.
#[derive(Debug, Clone, Default)]
pub struct Config {
    /// `[settings]`, defaults filled in.
    pub settings: Settings,
    /// `[[source]]` tables, in file order, names unique.
    pub sources: Vec<SourceSpec>,
    /// `[[reconcile]]` tables (SPEC 11.3), in file order, names unique.
    pub reconcile: Vec<ReconcileSpec>,
    /// Every non-empty value that `${VAR}` expanded to, each once: mask these
    /// (with [`mask_secrets`]) in anything shown or logged.
    pub secrets: Vec<String>,
    /// The file this was loaded from (`None`: no config file), shown by
    /// `tail` on stderr and in the TUI's sources view.
    pub path: Option<PathBuf>,
    /// `--contract FILE`, loaded and compiled (SPEC 10): what `tail` and the
    /// TUI check every event against.
    pub contract: Option<std::sync::Arc<crate::contract::Contract>>,
    /// `[[alert]]` tables, in file order, names unique (SPEC 11.2).
    pub alerts: Vec<crate::alert::AlertSpec>,
}

/// `[settings]`: limits shared by all sources.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    /// Events kept in memory, all sources together (ring buffer).
    pub buffer: usize,
    /// An event larger than this is dropped, counted and reported.
    pub max_event_bytes: usize,
    /// TUI frame cap.
    pub fps: u32,
    /// Certificate checks for every HTTPS source (`--cacert`, `--insecure`).
    pub tls: Tls,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            buffer: DEFAULT_BUFFER,
            max_event_bytes: DEFAULT_MAX_EVENT_BYTES,
            fps: DEFAULT_FPS,
            tls: Tls::default(),
        }
    }
}

/// How HTTPS certificates are checked. By default against the system's
/// roots (on Linux those `$SSL_CERT_FILE`/`$SSL_CERT_DIR` name, when set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tls {
    /// PEM text of extra CA certificates trusted besides the system's
    /// (`--cacert FILE`, read and checked at start).
    pub extra_roots_pem: Option<Vec<u8>>,
    /// Accept any certificate (`--insecure`); every live status of an
    /// HTTPS source says so.
    pub insecure: bool,
}

/// One source, from the config file or the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceSpec {
    /// Unique name, shown in the feed and matched by `source:NAME`.
    pub name: String,
    /// The URL that is requested, `${VAR}`s expanded.
    pub url: String,
    /// The URL as shown to the user: `${VAR}` parts as `***`.
    pub url_display: String,
    /// Headers sent with every request: from the config sorted by name (TOML
    /// tables are unordered), from the command line in the order given.
    pub headers: Vec<HeaderSpec>,
    /// Where the type, id and time are found in the data.
    pub pointers: crate::event::Pointers,
    /// SSE or polling, with the kind's options.
    pub kind: SourceKind,
    /// True when the name was derived from the URL's host (a command-line
    /// source without `name=`): [`merge`] renames such a source (`host-2`)
    /// instead of failing when its name is taken.
    pub named_after_host: bool,
}

/// One request header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HeaderSpec {
    /// Header name as written.
    pub name: String,
    /// The value that is sent, `${VAR}`s expanded.
    pub value: String,
    /// The value as shown: `***` when the header is sensitive, else the value.
    pub display: String,
    /// Whether the value is secret: a credential-bearing name
    /// (see [`is_sensitive_header`]) or any part from `${VAR}`.
    pub sensitive: bool,
}

/// Options of a recording being replayed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileOptions {
    pub path: std::path::PathBuf,
    /// Keep reading as the file grows.
    pub follow: bool,
    /// Gaps between `received` times are divided by this; 0 = no waiting.
    pub speed: Speed,
    /// The other source names in the recording, in order: the k-th is the
    /// source with id `own id + 1 + k`.
    pub routes: Vec<String>,
    /// The recording has state snapshots for this source's own name.
    pub patched: bool,
}

/// A replay speed (a factor ≥ 0), comparable so option structs stay `Eq`.
#[derive(Debug, Clone, Copy)]
pub struct Speed(pub f64);

impl PartialEq for Speed {
    fn eq(&self, other: &Self) -> bool {
        self.0.to_bits() == other.0.to_bits()
    }
}

impl Eq for Speed {}

/// Options of an SSE source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SseOptions {
    /// Streamdata protocol: `data` events replace the state, `patch` events
    /// apply RFC 6902 patches to it.
    pub patch: bool,
    /// Reconnect when nothing, not even a comment, arrived for this long;
    /// `None` (`"0s"` or `"off"`) never.
    pub idle_timeout: Option<Duration>,
}

impl Default for SseOptions {
    fn default() -> Self {
        SseOptions {
            patch: false,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
        }
    }
}

/// Options of a polling source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollOptions {
    /// Time between polls (at least [`MIN_INTERVAL`]); the server may ask for
    /// longer.
    pub interval: Duration,
    /// Whether the response lists events or is a resource to diff.
    pub mode: PollMode,
    /// JSON pointer to the array of events; `None` auto-detects: the body if
    /// it is an array, else the first array under `/data`, `/items`, `/events`.
    pub items: Option<String>,
    /// The order the server lists events in.
    pub order: Order,
    /// Query parameter that carries the newest id seen; `None` dedupes by id.
    pub cursor_param: Option<String>,
    /// JSON pointer to a boolean: another page waits.
    pub has_more: Option<String>,
    /// Sent as `limit=` when set.
    pub limit: Option<u32>,
}

impl Default for PollOptions {
    fn default() -> Self {
        PollOptions {
            interval: DEFAULT_INTERVAL,
            mode: PollMode::Events,
            items: None,
            order: Order::NewestFirst,
            cursor_param: None,
            has_more: None,
            limit: None,
        }
    }
}

/// How a polling source reads its responses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PollMode {
    /// The response lists events (`mode = "events"`).
    #[default]
    Events,
    /// The response is a resource; each change is one `patch` event
    /// (`mode = "diff"`).
    Diff,
}

/// The order a polling source's server lists events in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Newest event first (`order = "newest_first"`), as Stripe and GitHub do.
    #[default]
    NewestFirst,
    /// Oldest event first (`order = "oldest_first"`).
    OldestFirst,
}

/// Why a config or command-line source could not be used. Every variant
/// displays as one line naming the file (or command line) and the key.
#[derive(Debug, Clone, thiserror::Error)]
pub enum ConfigError {
    /// The config file could not be read.
    #[error("{}: cannot read config file: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// The OS reason.
        source: Arc<std::io::Error>,
    },
    /// A config file named by `--config` or `$EVTOP_CONFIG` is not there.
    #[error("{} (named by {via}): {source}", path.display())]
    NotFound {
        /// The file named.
        path: PathBuf,
        /// `--config` or `$EVTOP_CONFIG`.
        via: &'static str,
        /// The OS reason.
        source: Arc<std::io::Error>,
    },
    /// The text is not valid TOML.
    #[error("{file}:{line}:{column}: {message}")]
    Syntax {
        /// The file name.
        file: String,
        /// 1-based line of the error.
        line: usize,
        /// 1-based column (in characters) of the error.
        column: usize,
        /// The parser's message, one line.
        message: String,
    },
    /// A key has the wrong TOML type (or an out-of-type value).
    #[error("{file}: {path}: {message}")]
    Type {
        /// The file name.
        file: String,
        /// Where: `settings.fps`, `source "payments".limit`, `source[1].limit`.
        path: String,
        /// What was found and what was expected.
        message: String,
    },
    /// A key that the schema does not have.
    #[error("{file}: {table}: unknown key `{key}`; allowed keys: {allowed}")]
    UnknownKey {
        /// The file name.
        file: String,
        /// `top level`, `[settings]`, `source "payments"` or `source[1]`.
        table: String,
        /// The unknown key.
        key: String,
        /// The keys that table allows, comma-separated.
        allowed: String,
    },
    /// A required key is missing.
    #[error("{file}: {at}: key `{key}` is required")]
    Missing {
        /// The file name.
        file: String,
        /// `source "payments"` or `source[1]`.
        at: String,
        /// The missing key.
        key: &'static str,
    },
    /// A key was given to a kind of source it does not apply to.
    #[error("{file}: {at}: key `{key}` applies only to kind = {kinds}")]
    KindMismatch {
        /// The file name.
        file: String,
        /// `source "payments"` or `source[1]`.
        at: String,
        /// The key.
        key: &'static str,
        /// The kinds it applies to: `"poll"`, or `"poll" or "webhook"`.
        kinds: String,
    },
    /// A key has a value of the right type that is not allowed.
    #[error("{file}: {at}: key `{key}`: {message}")]
    Invalid {
        /// The file name.
        file: String,
        /// `[settings]`, `source "payments"` or `source[1]`.
        at: String,
        /// The key, e.g. `mode` or `headers.Authorization`.
        key: String,
        /// What is wrong and, where it helps, what is allowed.
        message: String,
    },
    /// A `${VAR}` names a variable that is not set.
    #[error("{file}: {at}: {key}: environment variable {var} is not set")]
    UnsetVar {
        /// The file name.
        file: String,
        /// `source "payments"`.
        at: String,
        /// `url` or `headers.NAME`.
        key: String,
        /// The variable.
        var: String,
    },
    /// A command-line source or header is not usable.
    #[error("command line: {message}")]
    CommandLine {
        /// What is wrong, naming the argument.
        message: String,
    },
    /// Two sources have the same name and neither can be renamed.
    #[error(
        "two sources are named {name:?}: {first} and {second}; rename one (NAME=URL on the command line)"
    )]
    NameCollision {
        /// The name.
        name: String,
        /// The first source, e.g. `the config source for https://a/stream`.
        first: String,
        /// The second source.
        second: String,
    },
    /// Two webhook sources listen on the same address and path.
    #[error(
        "sources {first:?} and {second:?} both receive webhooks at {route}; give one another `path` or `listen`"
    )]
    RouteCollision {
        /// `http://127.0.0.1:8787/hooks`.
        route: String,
        /// The first source's name.
        first: String,
        /// The second source's name.
        second: String,
    },
    /// More sources than source ids.
    #[error("{count} sources given; at most {max} are supported", max = MAX_SOURCES)]
    TooManySources {
        /// How many were given.
        count: usize,
    },
}

/// Parse and validate config text. `origin` is the file name used in error
/// messages; `env` looks up `${VAR}`s.
pub fn parse_config(
    text: &str,
    origin: &str,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Config, ConfigError> {
    let raw = parse_raw(text, origin)?;
    validate::validate(raw, origin, env)
}

/// The raw schema of `text`: syntax, unknown keys and TOML types checked
/// against the common keys and every kind's.
fn parse_raw(text: &str, origin: &str) -> Result<raw::RawFile, ConfigError> {
    let keys = crate::source::registry::all_keys();
    let kinds = raw::Kinds {
        keys: &keys,
        check_types: crate::source::registry::check_types,
    };
    raw::parse(text, origin, &kinds)
}

/// Every key a `[[source]]` table may have, common ones first.
#[cfg(test)]
fn source_keys() -> Vec<&'static str> {
    raw::all_source_keys(&crate::source::registry::all_keys())
}

/// Read and validate the config file at `path` (named as given in messages).
pub fn load(path: &Path, env: &dyn Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
    let text = std::fs::read_to_string(path).map_err(|e| ConfigError::Read {
        path: path.to_path_buf(),
        source: Arc::new(e),
    })?;
    let mut config = parse_config(&text, &path.display().to_string(), env)?;
    config.path = Some(path.to_path_buf());
    Ok(config)
}

/// Parse a human duration: `500ms`, `10s`, `2m`, `1h 30m` (humantime). The
/// error is one line, for the caller to prefix with the key or option.
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("{s:?} is not a duration ({e}); write e.g. 500ms, 10s or 2m"))
}

/// Whether a header's value is a credential by its name alone:
/// `Authorization`, `Proxy-Authorization`, `Cookie`, or a name containing
/// `token`, `secret`, `key` or `signature` (case-insensitive).
pub fn is_sensitive_header(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    matches!(lower.as_str(), "authorization" | "proxy-authorization" | "cookie")
        || ["token", "secret", "key", "signature"]
            .iter()
            .any(|word| lower.contains(word))
}
