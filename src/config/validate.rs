//! The raw schema validated into the typed [`Config`]: required keys,
//! ranges, kind/key mismatches, presets and `${VAR}` expansion. Every error
//! names the file, the source (by name when it has one) and the key.
//!
//! Kinds of source are listed once, in [`Kind`]: its name, the keys only it
//! takes, and one arm in [`source`] that builds its options. A key of
//! another kind is rejected generically by [`check_kind_keys`].

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::expand::{ExpandError, expand};
use super::raw::{RawFile, RawSettings, RawSource, source_label};
use super::webhook;
use super::{
    BUFFER_RANGE, Config, ConfigError, FPS_RANGE, HeaderSpec, LIMIT_RANGE, MAX_EVENT_BYTES_RANGE,
    MAX_NAME_LEN, MAX_SOURCES, MIN_INTERVAL, Order, PollMode, PollOptions, Settings, SourceKind, SourceSpec,
    SseOptions, is_sensitive_header, parse_duration,
};
use crate::event::Pointers;
use crate::source::websocket::config as websocket;

/// The environment lookup every expanding function takes.
pub(super) type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// The kinds of source a config can name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Sse,
    Poll,
    Webhook,
    File,
    /// glue: moves to the kind registry.
    WebSocket,
}

impl Kind {
    /// Every kind, in the order they are listed in messages.
    const ALL: [Kind; 5] = [Kind::Sse, Kind::Poll, Kind::Webhook, Kind::File, Kind::WebSocket];

    /// The `kind = "…"` value.
    fn name(self) -> &'static str {
        match self {
            Kind::Sse => "sse",
            Kind::Poll => "poll",
            Kind::Webhook => "webhook",
            Kind::File => "file",
            Kind::WebSocket => websocket::KIND,
        }
    }

    /// The keys only this kind takes (see `RawSource::kind_keys`).
    fn keys(self) -> &'static [&'static str] {
        match self {
            Kind::Sse => &["patch", "idle_timeout"],
            Kind::Poll => &[
                "preset",
                "interval",
                "mode",
                "items",
                "order",
                "cursor_param",
                "has_more",
                "limit",
            ],
            Kind::Webhook => &[
                "preset",
                "listen",
                "path",
                "verify",
                "secret",
                "tolerance",
                "forward_to",
            ],
            Kind::File => &["path", "follow", "speed"],
            Kind::WebSocket => websocket::KEYS,
        }
    }
}

/// Where in the file a value is, for error messages.
pub(super) struct Ctx<'a> {
    pub file: &'a str,
    /// `[settings]`, `source "payments"` or `source[2]`.
    pub at: String,
}

impl Ctx<'_> {
    pub(super) fn invalid(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_owned(),
            at: self.at.clone(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// A `${VAR}` problem in `key` as the right error.
    pub(super) fn expand_error(&self, key: &str, e: ExpandError) -> ConfigError {
        match e {
            ExpandError::Unset(var) => ConfigError::UnsetVar {
                file: self.file.to_owned(),
                at: self.at.clone(),
                key: key.to_owned(),
                var,
            },
            ExpandError::Syntax(message) => self.invalid(key, message),
        }
    }
}

/// Validate a parsed file into a [`Config`].
pub(super) fn validate(raw: RawFile, file: &str, env: Env) -> Result<Config, ConfigError> {
    let settings = settings(&raw.settings, file)?;
    if raw.source.len() > MAX_SOURCES {
        return Err(ConfigError::TooManySources {
            count: raw.source.len(),
        });
    }
    let mut secrets: Vec<String> = Vec::new();
    let mut sources: Vec<SourceSpec> = Vec::with_capacity(raw.source.len());
    for (index, raw_source) in raw.source.into_iter().enumerate() {
        let ctx = Ctx {
            file,
            at: source_label(index, raw_source.name.as_deref()),
        };
        if let Some(name) = &raw_source.name
            && let Some(first) = sources.iter().position(|s| &s.name == name)
        {
            let ctx = Ctx {
                file,
                at: source_label(index, None),
            };
            return Err(ctx.invalid(
                "name",
                format!("{name:?} is already the name of source[{first}]; names must be unique"),
            ));
        }
        sources.push(source(raw_source, &ctx, env, &mut secrets)?);
    }
    webhook::check_routes(&sources)?;
    let mut seen = std::collections::HashSet::new();
    secrets.retain(|s| seen.insert(s.clone()));
    Ok(Config {
        settings,
        sources,
        secrets,
        path: None,
    })
}

/// `[settings]` with defaults and ranges.
fn settings(raw: &RawSettings, file: &str) -> Result<Settings, ConfigError> {
    let ctx = Ctx {
        file,
        at: "[settings]".to_owned(),
    };
    let default = Settings::default();
    let to_usize = |v: u64| usize::try_from(v).unwrap_or(usize::MAX);
    Ok(Settings {
        buffer: in_range(&ctx, "buffer", raw.buffer, BUFFER_RANGE)?.map_or(default.buffer, to_usize),
        max_event_bytes: in_range(
            &ctx,
            "max_event_bytes",
            raw.max_event_bytes,
            MAX_EVENT_BYTES_RANGE,
        )?
        .map_or(default.max_event_bytes, to_usize),
        fps: in_range(&ctx, "fps", raw.fps, FPS_RANGE)?.unwrap_or(default.fps),
        tls: default.tls,
    })
}

/// `value` when it is absent or inside `range`.
fn in_range<T: PartialOrd + Display + Copy>(
    ctx: &Ctx,
    key: &str,
    value: Option<T>,
    range: RangeInclusive<T>,
) -> Result<Option<T>, ConfigError> {
    match value {
        Some(v) if !range.contains(&v) => Err(ctx.invalid(
            key,
            format!("must be between {} and {}, got {v}", range.start(), range.end()),
        )),
        _ => Ok(value),
    }
}

/// One `[[source]]` table.
fn source(raw: RawSource, ctx: &Ctx, env: Env, secrets: &mut Vec<String>) -> Result<SourceSpec, ConfigError> {
    let name = raw.name.clone().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "name",
    })?;
    check_name(&name).map_err(|m| ctx.invalid("name", m))?;
    let kind = match raw.kind.as_deref() {
        None => Kind::Sse,
        Some(text) => choice(ctx, "kind", text, &Kind::ALL.map(|k| (k.name(), k)))?,
    };
    check_kind_keys(&raw, kind, ctx)?;
    match kind {
        Kind::Sse | Kind::Poll | Kind::WebSocket => client_source(raw, name, kind, ctx, env, secrets),
        // A webhook source is a server: no `url`, no `headers`.
        Kind::Webhook => webhook::source(&raw, name, ctx, env, secrets),
        // A recording: no `url`, no `headers`.
        Kind::File => super::file::source(&raw, name, ctx),
    }
}

/// A source that makes requests (SSE, polling): `url`, `headers`, pointers
/// and the kind's options.
fn client_source(
    raw: RawSource,
    name: String,
    kind: Kind,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    let template = raw.url.as_deref().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "url",
    })?;
    let url = expand(template, env).map_err(|e| ctx.expand_error("url", e))?;
    let check_url = if kind == Kind::WebSocket {
        websocket::check_url
    } else {
        check_http_url
    };
    check_url(&url.value).map_err(|m| ctx.invalid("url", format!("{m}: {:?}", url.display)))?;
    secrets.extend(url.secrets);

    let headers = headers(&raw, ctx, env, secrets)?;
    let mut pointers = Pointers {
        type_pointer: pointer(ctx, "type_pointer", raw.type_pointer.as_deref())?,
        id_pointer: pointer(ctx, "id_pointer", raw.id_pointer.as_deref())?,
        time_pointer: pointer(ctx, "time_pointer", raw.time_pointer.as_deref())?,
    };
    let kind = match kind {
        Kind::Poll => SourceKind::Poll(poll(&raw, ctx, &mut pointers)?),
        Kind::WebSocket => SourceKind::WebSocket(websocket_options(&raw, ctx, env, secrets)?),
        _ => SourceKind::Sse(sse(&raw, ctx)?),
    };
    Ok(SourceSpec {
        name,
        url: url.value,
        url_display: url.display,
        headers,
        pointers,
        kind,
        named_after_host: false,
    })
}

/// Reject keys that belong to another kind of source.
fn check_kind_keys(raw: &RawSource, kind: Kind, ctx: &Ctx) -> Result<(), ConfigError> {
    for (key, present) in raw.kind_keys() {
        if present && !kind.keys().contains(&key) {
            let owners: Vec<&str> = Kind::ALL
                .iter()
                .filter(|k| k.keys().contains(&key))
                .map(|k| k.name())
                .collect();
            return Err(ConfigError::KindMismatch {
                file: ctx.file.to_owned(),
                at: ctx.at.clone(),
                key,
                kinds: quoted_list(&owners, "or"),
            });
        }
    }
    Ok(())
}

/// `headers`, expanded and checked, secrets collected.
fn headers(
    raw: &RawSource,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<Vec<HeaderSpec>, ConfigError> {
    let Some(raw_headers) = &raw.headers else {
        return Ok(Vec::new());
    };
    let mut headers: Vec<HeaderSpec> = Vec::with_capacity(raw_headers.0.len());
    for (name, template) in &raw_headers.0 {
        let key = format!("headers.{}", name.escape_debug());
        check_header_name(name).map_err(|m| ctx.invalid(&key, m))?;
        if headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
            return Err(ctx.invalid(&key, "header given twice (names are case-insensitive)"));
        }
        let value = expand(template, env).map_err(|e| ctx.expand_error(&key, e))?;
        check_header_value(&value.value).map_err(|m| ctx.invalid(&key, m))?;
        let sensitive = value.from_env || is_sensitive_header(name);
        secrets.extend(value.secrets);
        headers.push(HeaderSpec {
            name: name.clone(),
            display: if sensitive {
                "***".to_owned()
            } else {
                value.display
            },
            value: value.value,
            sensitive,
        });
    }
    Ok(headers)
}

/// glue: the WebSocket kind's keys, checked by its own module.
fn websocket_options(
    raw: &RawSource,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<websocket::WebSocketOptions, ConfigError> {
    let keys = websocket::RawKeys {
        subscribe: raw.subscribe.as_ref(),
        ping: raw.ping.as_deref(),
        idle_timeout: raw.idle_timeout.as_deref(),
        protocol: raw.protocol.as_deref(),
        query: raw.query.as_ref(),
        variables: raw.variables.as_ref(),
        init_payload: raw.init_payload.as_ref(),
    };
    let invalid = |key: &str, message: String| ctx.invalid(key, message);
    let mut expand_value = |key: &str, text: &str| {
        let value = expand(text, env).map_err(|e| ctx.expand_error(key, e))?;
        secrets.extend(value.secrets);
        Ok(value.value)
    };
    websocket::options(keys, &invalid, &mut expand_value)
}

/// SSE options with defaults.
fn sse(raw: &RawSource, ctx: &Ctx) -> Result<SseOptions, ConfigError> {
    let mut opts = SseOptions::default();
    if let Some(patch) = raw.patch {
        opts.patch = patch;
    }
    if let Some(text) = &raw.idle_timeout {
        opts.idle_timeout = if text.trim().eq_ignore_ascii_case("off") {
            None
        } else {
            Some(duration(ctx, "idle_timeout", text)?).filter(|d| !d.is_zero())
        };
    }
    Ok(opts)
}

/// A polling preset: what `preset = "…"` fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preset {
    Stripe,
    Github,
}

/// Polling options: defaults, then the preset, then explicit keys.
fn poll(raw: &RawSource, ctx: &Ctx, pointers: &mut Pointers) -> Result<PollOptions, ConfigError> {
    let mut opts = PollOptions::default();
    if let Some(text) = &raw.preset {
        let preset = choice(
            ctx,
            "preset",
            text,
            &[("stripe", Preset::Stripe), ("github", Preset::Github)],
        )?;
        let (items, time) = match preset {
            Preset::Stripe => {
                opts.cursor_param = Some("ending_before".to_owned());
                opts.has_more = Some("/has_more".to_owned());
                opts.limit = Some(100);
                ("/data", "/created")
            }
            Preset::Github => ("", "/created_at"),
        };
        opts.items = Some(items.to_owned());
        opts.order = Order::NewestFirst;
        let fill = |p: &mut Option<String>, v: &str| {
            p.get_or_insert_with(|| v.to_owned());
        };
        fill(&mut pointers.id_pointer, "/id");
        fill(&mut pointers.type_pointer, "/type");
        fill(&mut pointers.time_pointer, time);
    }
    if let Some(text) = &raw.mode {
        opts.mode = choice(
            ctx,
            "mode",
            text,
            &[("events", PollMode::Events), ("diff", PollMode::Diff)],
        )?;
    }
    if opts.mode == PollMode::Diff {
        let events_only = [
            ("preset", raw.preset.is_some()),
            ("items", raw.items.is_some()),
            ("order", raw.order.is_some()),
            ("cursor_param", raw.cursor_param.is_some()),
            ("has_more", raw.has_more.is_some()),
        ];
        if let Some((key, _)) = events_only.iter().find(|(_, present)| *present) {
            return Err(ctx.invalid(*key, "applies only to mode = \"events\""));
        }
    }
    if let Some(text) = &raw.interval {
        let interval = duration(ctx, "interval", text)?;
        if interval < MIN_INTERVAL {
            return Err(ctx.invalid("interval", format!("must be at least 100ms, got {text:?}")));
        }
        opts.interval = interval;
    }
    if let Some(items) = pointer(ctx, "items", raw.items.as_deref())? {
        opts.items = Some(items);
    }
    if let Some(text) = &raw.order {
        opts.order = choice(
            ctx,
            "order",
            text,
            &[
                ("newest_first", Order::NewestFirst),
                ("oldest_first", Order::OldestFirst),
            ],
        )?;
    }
    if let Some(param) = &raw.cursor_param {
        // "" turns a preset's cursor off: dedupe by id instead.
        opts.cursor_param = Some(param.clone()).filter(|p| !p.is_empty());
    }
    if let Some(has_more) = pointer(ctx, "has_more", raw.has_more.as_deref())? {
        opts.has_more = Some(has_more);
    }
    if let Some(limit) = in_range(ctx, "limit", raw.limit, LIMIT_RANGE)? {
        opts.limit = Some(limit);
    }
    Ok(opts)
}

/// A humantime duration, or an error naming the key.
pub(super) fn duration(ctx: &Ctx, key: &str, text: &str) -> Result<Duration, ConfigError> {
    parse_duration(text).map_err(|m| ctx.invalid(key, m))
}

/// A JSON pointer: `""` or starting with `/`.
pub(super) fn pointer(ctx: &Ctx, key: &str, value: Option<&str>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(p) if !p.is_empty() && !p.starts_with('/') => Err(ctx.invalid(
            key,
            format!(
                "must be a JSON pointer (\"\" or starting with `/`), got {p:?}; did you mean {:?}?",
                format!("/{p}")
            ),
        )),
        _ => Ok(value.map(str::to_owned)),
    }
}

/// One of a fixed set of strings.
pub(super) fn choice<T: Copy>(
    ctx: &Ctx,
    key: &str,
    text: &str,
    options: &[(&str, T)],
) -> Result<T, ConfigError> {
    match options.iter().find(|(name, _)| *name == text) {
        Some((_, value)) => Ok(*value),
        None => {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            Err(ctx.invalid(
                key,
                format!("expected {}, got {text:?}", quoted_list(&names, "or")),
            ))
        }
    }
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
fn quoted_list(items: &[&str], last: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((tail, head)) => format!("{} {last} {tail}", head.join(", ")),
    }
}

/// The source name rule: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most
/// [`MAX_NAME_LEN`] characters.
pub(super) fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("must not be empty".to_owned())
    } else if name.len() > MAX_NAME_LEN {
        Err(format!(
            "must be at most {MAX_NAME_LEN} characters, got {}",
            name.len()
        ))
    } else if is_name(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must start with a letter or digit and contain only letters, digits, `.`, `_` and `-`"
        ))
    }
}

/// Whether `name` follows the name rule (see [`check_name`]).
pub(super) fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `url` must be an absolute http or https URL.
pub(super) fn check_http_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        scheme => Err(format!("expected an http or https URL, not {scheme}:")),
    }
}

/// An HTTP header name: one or more token characters (RFC 9110).
pub(super) fn check_header_name(name: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.is_empty() && name.chars().all(token) {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid HTTP header name"))
    }
}

/// An HTTP header value: printable ASCII, spaces and tabs. The value is not
/// echoed, as it may be a secret.
pub(super) fn check_header_value(value: &str) -> Result<(), String> {
    if value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        Ok(())
    } else {
        Err(
            "the value contains a line break, another control character or non-ASCII text; \
             header values must be printable ASCII"
                .to_owned(),
        )
    }
}
