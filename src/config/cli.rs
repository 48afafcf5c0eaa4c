//! Sources given on the command line (`URL`, `name=URL`, `--poll URL`,
//! `--diff URL`, `-H 'Name: value'`) and their merge with the config file's
//! sources. A URL without a scheme (`localhost:8701/stream`) is taken as
//! `http://`, as curl does; [`cli_url_note`] is the note saying so.
//!
//! There is no `${VAR}` expansion here: the shell has already done it.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::time::Duration;

use super::kit::{check_header_name, check_header_value, check_http_url, is_name};
use super::{
    ConfigError, HeaderSpec, MAX_SOURCES, MIN_INTERVAL, PollMode, PollOptions, SourceKind, SourceSpec,
    SseOptions, is_sensitive_header,
};
use crate::event::Pointers;

/// A positional `URL` or `name=URL`: an SSE source with default options.
///
/// The part before the first `=` is a name only when it follows the name
/// rule (which excludes `:` and `/`), so `https://h/s?a=b` is a plain URL;
/// without a name the source is named after the URL's host. `headers` are
/// the `-H 'Name: value'` arguments.
pub fn cli_sse_source(arg: &str, headers: &[String]) -> Result<SourceSpec, ConfigError> {
    cli_source(arg, headers, SseOptions::default().into())
}

/// A positional `URL` or `name=URL` with the `-H` headers: a source of the
/// kind that claims the URL's scheme (`ws://` → WebSocket,
/// [`crate::source::registry::Kind::cli_url`]), else an SSE stream.
pub fn cli_url_source(arg: &str, headers: &[String]) -> Result<SourceSpec, ConfigError> {
    let (_, url) = split_name(arg);
    match crate::source::registry::cli_url_kind(url) {
        Some(kind) => (kind.source)(arg, headers),
        None => cli_sse_source(arg, headers),
    }
}

/// A `--poll URL` (or `--poll name=URL`): a polling source in `events` mode,
/// items auto-detected, each event's type and id read from its `/type` and
/// `/id` (as `--listen` does), other options at their defaults, named as in
/// [`cli_sse_source`]. `interval` (from `--interval`) must be at least
/// [`MIN_INTERVAL`].
pub fn cli_poll_source(
    arg: &str,
    headers: &[String],
    interval: Option<Duration>,
) -> Result<SourceSpec, ConfigError> {
    let mut spec = cli_polling(arg, headers, interval, PollMode::Events)?;
    spec.pointers = Pointers {
        type_pointer: Some("/type".into()),
        id_pointer: Some("/id".into()),
        time_pointer: None,
    };
    Ok(spec)
}

/// A `--diff URL` (or `--diff name=URL`): a polling source in `diff` mode,
/// the resource shown as a snapshot and then one patch per change; named
/// and timed as [`cli_poll_source`].
pub fn cli_diff_source(
    arg: &str,
    headers: &[String],
    interval: Option<Duration>,
) -> Result<SourceSpec, ConfigError> {
    cli_polling(arg, headers, interval, PollMode::Diff)
}

/// The note for a command-line URL (`URL`, `name=URL`) given without a
/// scheme: it is taken as `http://`. `None` when it has a scheme.
pub fn cli_url_note(arg: &str) -> Option<String> {
    let (_, url) = split_name(arg);
    let full = default_scheme(url)?;
    Some(format!("no scheme in {url:?}: using {full} (as curl does)"))
}

/// `url` with `http://` in front when it has no scheme (`host[:port]…`).
fn default_scheme(url: &str) -> Option<String> {
    let bare = !url.contains("://") && url.starts_with(|c: char| c.is_ascii_alphanumeric() || c == '[');
    bare.then(|| format!("http://{url}"))
}

fn cli_polling(
    arg: &str,
    headers: &[String],
    interval: Option<Duration>,
    mode: PollMode,
) -> Result<SourceSpec, ConfigError> {
    let mut opts = PollOptions {
        mode,
        ..PollOptions::default()
    };
    if let Some(interval) = interval {
        if interval < MIN_INTERVAL {
            return Err(ConfigError::CommandLine {
                message: format!(
                    "--interval must be at least 100ms, got {}",
                    humantime::format_duration(interval)
                ),
            });
        }
        opts.interval = interval;
    }
    cli_source(arg, headers, opts.into())
}

/// The part of `name=URL` before the `=` when it is a name, and the URL.
fn split_name(arg: &str) -> (Option<&str>, &str) {
    match arg.split_once('=') {
        Some((name, url)) if is_name(name) => (Some(name), url),
        _ => (None, arg),
    }
}

fn cli_source(arg: &str, headers: &[String], kind: SourceKind) -> Result<SourceSpec, ConfigError> {
    cli_source_with(arg, headers, kind, check_http_url)
}

/// A command-line `URL` or `name=URL` as a source of `kind`, its URL
/// checked by `check_url`, named after the host when it has no name, with
/// the `-H` headers: what a kind's [`crate::source::registry::CliUrl`]
/// builds on.
pub fn cli_source_with(
    arg: &str,
    headers: &[String],
    kind: SourceKind,
    check_url: fn(&str) -> Result<reqwest::Url, String>,
) -> Result<SourceSpec, ConfigError> {
    let (name, url) = split_name(arg);
    let full = default_scheme(url);
    let url = full.as_deref().unwrap_or(url);
    let cli_error = |message: String| ConfigError::CommandLine { message };
    let parsed = check_url(url).map_err(|m| cli_error(format!("{url:?}: {m}")))?;
    let (name, named_after_host) = match name {
        Some(name) => (name.to_owned(), false),
        None => match parsed.host_str() {
            Some(host) if !host.is_empty() => (host.to_owned(), true),
            _ => return Err(cli_error(format!("{url:?}: the URL has no host"))),
        },
    };
    let headers = headers
        .iter()
        .enumerate()
        .map(|(i, h)| parse_header(h, i + 1))
        .collect::<Result<_, _>>()?;
    Ok(SourceSpec {
        name,
        url: url.to_owned(),
        url_display: url.to_owned(),
        headers,
        pointers: Pointers::default(),
        kind,
        named_after_host,
    })
}

/// One `-H 'Name: value'` (the `nth`, 1-based, for messages). The value is
/// trimmed, as curl does, and never echoed in an error.
fn parse_header(text: &str, nth: usize) -> Result<HeaderSpec, ConfigError> {
    let error = |message: String| ConfigError::CommandLine { message };
    let Some((name, value)) = text.split_once(':') else {
        return Err(error(format!(
            "header #{nth} (-H) has no `:`; write -H 'Name: value'"
        )));
    };
    check_header_name(name).map_err(|m| error(format!("header #{nth} (-H): {m}; write -H 'Name: value'")))?;
    let value = value.trim();
    check_header_value(value).map_err(|m| error(format!("header {name} (-H): {m}")))?;
    let sensitive = is_sensitive_header(name);
    Ok(HeaderSpec {
        name: name.to_owned(),
        value: value.to_owned(),
        display: if sensitive { "***" } else { value }.to_owned(),
        sensitive,
    })
}

/// Config sources first, then command-line sources, names made unique.
///
/// A command-line source named after its host whose name is taken becomes
/// `host-2`, `host-3`, …; an explicitly named one (`name=URL`) that collides
/// with any other source is an error naming both. Explicit names are
/// reserved before host names are settled, so the order of arguments does
/// not change who gets renamed. At most [`MAX_SOURCES`] sources in all, and
/// no two webhook sources on the same address and path
/// ([`super::check_routes`]).
pub fn merge(config: Vec<SourceSpec>, cli: Vec<SourceSpec>) -> Result<Vec<SourceSpec>, ConfigError> {
    let count = config.len() + cli.len();
    if count > MAX_SOURCES {
        return Err(ConfigError::TooManySources { count });
    }
    let describe = |origin: &str, s: &SourceSpec| format!("the {origin} source for {}", s.url_display);
    let mut taken: HashMap<String, String> = HashMap::with_capacity(count);
    let fixed = config.iter().map(|s| (s, "config")).chain(
        cli.iter()
            .filter(|s| !s.named_after_host)
            .map(|s| (s, "command-line")),
    );
    for (source, origin) in fixed {
        match taken.entry(source.name.clone()) {
            Entry::Occupied(first) => {
                return Err(ConfigError::NameCollision {
                    name: source.name.clone(),
                    first: first.get().clone(),
                    second: describe(origin, source),
                });
            }
            Entry::Vacant(slot) => {
                slot.insert(describe(origin, source));
            }
        }
    }
    let mut cli = cli;
    for source in cli.iter_mut().filter(|s| s.named_after_host) {
        if taken.contains_key(&source.name) {
            let mut n = 2;
            while taken.contains_key(&format!("{}-{n}", source.name)) {
                n += 1;
            }
            source.name = format!("{}-{n}", source.name);
        }
        taken.insert(source.name.clone(), describe("command-line", source));
    }
    let all: Vec<SourceSpec> = config.into_iter().chain(cli).collect();
    crate::source::registry::check_all(&all)?;
    Ok(all)
}
