//! The NATS kind's config (SPEC 9.1): `url` or `urls`, `subject`, `stream`,
//! `start`, `credentials` / `token` / `user` + `password`, `type_from`,
//! `format`; their defaults, checks and errors; and `nats://` URLs on the
//! command line.
//!
//! The kind describes itself to the registry with [`KIND`]. Every error
//! names the key and why; secrets (`token`, `password`, any `${VAR}` value)
//! are recorded so that every text evtop writes masks them.

use std::path::PathBuf;
use std::time::Duration;

use serde::Deserialize;
use tokio::task::JoinHandle;

use super::super::registry::{CliUrl, Kind, SourceKind, Started, each};
use super::subject;
use crate::config::kit::{Ctx, Env, RawSource, expand, pointers};
use crate::config::{ConfigError, SourceSpec, parse_duration};
use crate::event::Pointers;

/// The `kind = "…"` name.
pub const NAME: &str = "nats";

/// The keys only NATS sources take (`url` is every source's).
pub const KEYS: &[&str] = &[
    "urls",
    "subject",
    "stream",
    "start",
    "credentials",
    "token",
    "user",
    "password",
    "type_from",
    "format",
];

/// The NATS kind, as the registry lists it.
pub static KIND: Kind = Kind {
    name: NAME,
    keys: KEYS,
    types: |raw, file| raw.options::<Raw>(file, KEYS).map(drop),
    requests: false,
    parse,
    start,
    progress: false,
    view_line: None,
    check_all: None,
    cli_url: Some(CliUrl {
        schemes: &["nats", "tls"],
        source: cli_source,
    }),
};

/// A NATS source's options.
#[derive(Clone, PartialEq, Eq)]
pub struct NatsOptions {
    /// The servers to try, `${VAR}`s expanded (`nats://` or `tls://`).
    pub urls: Vec<String>,
    /// The subject subscribed to, or the consumer's subject filter.
    pub subject: String,
    /// The JetStream stream; `None`: a core subscription, live only.
    pub stream: Option<String>,
    /// Where a JetStream consumer starts.
    pub start: Start,
    /// How to authenticate.
    pub auth: Auth,
    /// Where the event type comes from.
    pub type_from: TypeFrom,
    /// What a payload is.
    pub format: Format,
}

/// Not derived: the token and password stay out of logs.
impl std::fmt::Debug for NatsOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let auth = match &self.auth {
            Auth::None => "none",
            Auth::Credentials(_) => "credentials",
            Auth::Token(_) => "token",
            Auth::UserPassword(..) => "user/password",
        };
        f.debug_struct("NatsOptions")
            .field("urls", &self.urls.len())
            .field("subject", &self.subject)
            .field("stream", &self.stream)
            .field("start", &self.start)
            .field("auth", &auth)
            .field("type_from", &self.type_from)
            .field("format", &self.format)
            .finish()
    }
}

/// `start`: where a JetStream consumer begins.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Start {
    /// Messages stored from now on (the default).
    New,
    /// The whole stream.
    All,
    /// The stream's last message, then what follows.
    Last,
    /// Messages stored this long ago and later (`"1h"`).
    Ago(Duration),
    /// From this stream sequence on.
    Sequence(u64),
}

/// How a source authenticates.
#[derive(Clone, PartialEq, Eq)]
pub enum Auth {
    None,
    /// A `.creds` file (a user JWT and its NKey seed).
    Credentials(PathBuf),
    Token(String),
    UserPassword(String, String),
}

/// `type_from`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeFrom {
    /// The subject's tokens after the configured subject's fixed ones.
    Subject,
    /// `type_pointer` into the JSON payload.
    Pointer,
}

/// `format`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// The payload is the event's data.
    Json,
    /// The payload is an evtop NDJSON line (what `evtop relay` publishes).
    Evtop,
}

impl Default for NatsOptions {
    fn default() -> Self {
        NatsOptions {
            urls: vec![DEFAULT_URL.to_owned()],
            subject: ">".to_owned(),
            stream: None,
            start: Start::New,
            auth: Auth::None,
            type_from: TypeFrom::Subject,
            format: Format::Json,
        }
    }
}

impl From<NatsOptions> for SourceKind {
    fn from(opts: NatsOptions) -> Self {
        SourceKind::Nats(opts)
    }
}

/// The server a source without `url` would mean; not a default (a source
/// must say where it connects), but what messages suggest.
const DEFAULT_URL: &str = "nats://127.0.0.1:4222";

/// The NATS keys as written (`start`: a string or an integer).
#[derive(Deserialize)]
struct Raw {
    urls: Option<Vec<String>>,
    subject: Option<String>,
    stream: Option<String>,
    start: Option<toml::Value>,
    credentials: Option<String>,
    token: Option<String>,
    user: Option<String>,
    password: Option<String>,
    type_from: Option<String>,
    format: Option<String>,
}

/// A `[[source]]` with `kind = "nats"`.
fn parse(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    if raw.headers.is_some() {
        return Err(ctx.invalid(
            "headers",
            "does not apply to kind = \"nats\" (authenticate with credentials, token or user + password)",
        ));
    }
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let templates: Vec<&str> = match (&raw.url, &own.urls) {
        (Some(_), Some(_)) => return Err(ctx.invalid("urls", "give `url` or `urls`, not both")),
        (Some(url), None) => vec![url.as_str()],
        (None, Some(urls)) if urls.is_empty() => {
            return Err(ctx.invalid("urls", "must list at least one server"));
        }
        (None, Some(urls)) => urls.iter().map(String::as_str).collect(),
        (None, None) => {
            return Err(ctx.invalid(
                "url",
                format!("missing: which NATS server, e.g. url = {DEFAULT_URL:?}"),
            ));
        }
    };
    let key = if raw.url.is_some() { "url" } else { "urls" };
    let mut urls = Vec::with_capacity(templates.len());
    let mut displays = Vec::with_capacity(templates.len());
    for template in templates {
        let value = expand(template, env).map_err(|e| ctx.expand_error(key, e))?;
        check_url(&value.value).map_err(|m| ctx.invalid(key, format!("{m}: {:?}", value.display)))?;
        secrets.extend(value.secrets);
        urls.push(value.value);
        displays.push(value.display);
    }
    let mut expand_value = |key: &str, text: &str| -> Result<String, ConfigError> {
        let value = expand(text, env).map_err(|e| ctx.expand_error(key, e))?;
        secrets.extend(value.secrets);
        Ok(value.value)
    };
    let auth = auth(&own, ctx, &mut expand_value)?;
    if let Auth::Token(s) | Auth::UserPassword(_, s) = &auth
        && !s.is_empty()
    {
        secrets.push(s.clone());
    }
    let keys = RawKeys {
        subject: own.subject.as_deref(),
        stream: own.stream.as_deref(),
        start: own.start.as_ref(),
        type_from: own.type_from.as_deref(),
        format: own.format.as_deref(),
    };
    let pointers = pointers(raw, ctx)?;
    let opts = options(keys, &pointers, urls, auth, &|key, m| ctx.invalid(key, m))?;
    let shown = displays.join(", ");
    Ok(SourceSpec {
        name,
        url: opts.urls.join(","),
        url_display: shown,
        headers: Vec::new(),
        pointers,
        kind: SourceKind::Nats(opts),
        named_after_host: false,
    })
}

/// The keys that are checked the same way from a config and from a
/// command-line URL.
#[derive(Default, Clone, Copy)]
struct RawKeys<'a> {
    subject: Option<&'a str>,
    stream: Option<&'a str>,
    start: Option<&'a toml::Value>,
    type_from: Option<&'a str>,
    format: Option<&'a str>,
}

/// `credentials`, `token` or `user` + `password`: one of them.
fn auth(
    own: &Raw,
    ctx: &Ctx,
    expand: &mut dyn FnMut(&str, &str) -> Result<String, ConfigError>,
) -> Result<Auth, ConfigError> {
    let given: Vec<&str> = [
        ("credentials", own.credentials.is_some()),
        ("token", own.token.is_some()),
        ("user", own.user.is_some() || own.password.is_some()),
    ]
    .iter()
    .filter(|(_, set)| *set)
    .map(|(k, _)| *k)
    .collect();
    if given.len() > 1 {
        return Err(ctx.invalid(
            given[1],
            format!("choose one way to authenticate: `{}` is set too", given[0]),
        ));
    }
    if let Some(path) = &own.credentials {
        let path = expand("credentials", path)?;
        if path.is_empty() {
            return Err(ctx.invalid("credentials", "must name a .creds file"));
        }
        return Ok(Auth::Credentials(path.into()));
    }
    if let Some(token) = &own.token {
        return Ok(Auth::Token(expand("token", token)?));
    }
    match (&own.user, &own.password) {
        (Some(user), Some(password)) => Ok(Auth::UserPassword(
            expand("user", user)?,
            expand("password", password)?,
        )),
        (Some(_), None) => Err(ctx.invalid("password", "missing: `user` needs a `password`")),
        (None, Some(_)) => Err(ctx.invalid("user", "missing: `password` needs a `user`")),
        (None, None) => Ok(Auth::None),
    }
}

/// The options from the raw keys: defaults, checks, what applies to what.
fn options(
    raw: RawKeys,
    pointers: &Pointers,
    urls: Vec<String>,
    auth: Auth,
    invalid: &dyn Fn(&str, String) -> ConfigError,
) -> Result<NatsOptions, ConfigError> {
    let subject = raw.subject.ok_or_else(|| {
        invalid(
            "subject",
            "missing: which subject, e.g. subject = \"orders.>\"".into(),
        )
    })?;
    subject::check(subject).map_err(|m| invalid("subject", m))?;
    let stream = match raw.stream {
        Some(s) => {
            check_stream(s).map_err(|m| invalid("stream", m))?;
            Some(s.to_owned())
        }
        None => None,
    };
    let start = match (raw.start, &stream) {
        (None, _) => Start::New,
        (Some(_), None) => {
            return Err(invalid(
                "start",
                "applies only to JetStream sources (set `stream`); a core subscription is live only".into(),
            ));
        }
        (Some(value), Some(_)) => start_from(value).map_err(|m| invalid("start", m))?,
    };
    let format = match raw.format {
        None | Some("json") => Format::Json,
        Some("evtop") => Format::Evtop,
        Some(other) => {
            return Err(invalid(
                "format",
                format!("expected \"json\" or \"evtop\", got {other:?}"),
            ));
        }
    };
    if format == Format::Evtop {
        let set = [
            ("type_from", raw.type_from.is_some()),
            ("type_pointer", pointers.type_pointer.is_some()),
            ("id_pointer", pointers.id_pointer.is_some()),
            ("time_pointer", pointers.time_pointer.is_some()),
        ];
        if let Some((key, _)) = set.iter().find(|(_, s)| *s) {
            return Err(invalid(
                key,
                "does not apply to format = \"evtop\" (each line carries its own type, id and time)".into(),
            ));
        }
    }
    let type_from = match (raw.type_from, pointers.type_pointer.is_some()) {
        (None, false) => TypeFrom::Subject,
        (None, true) => TypeFrom::Pointer,
        (Some("subject"), false) => TypeFrom::Subject,
        (Some("subject"), true) => {
            return Err(invalid(
                "type_from",
                "is \"subject\" but type_pointer is set too: remove one".into(),
            ));
        }
        (Some("pointer"), true) => TypeFrom::Pointer,
        (Some("pointer"), false) => {
            return Err(invalid(
                "type_from",
                "is \"pointer\" but type_pointer is not set".into(),
            ));
        }
        (Some(other), _) => {
            return Err(invalid(
                "type_from",
                format!("expected \"subject\" or \"pointer\", got {other:?}"),
            ));
        }
    };
    Ok(NatsOptions {
        urls,
        subject: subject.to_owned(),
        stream,
        start,
        auth,
        type_from,
        format,
    })
}

/// `start`: "new", "all", "last", a duration, or a stream sequence.
fn start_from(value: &toml::Value) -> Result<Start, String> {
    match value {
        toml::Value::Integer(n) if *n >= 1 => Ok(Start::Sequence(*n as u64)),
        toml::Value::Integer(n) => Err(format!("a stream sequence starts at 1, got {n}")),
        toml::Value::String(s) => match s.as_str() {
            "new" => Ok(Start::New),
            "all" => Ok(Start::All),
            "last" => Ok(Start::Last),
            text => match parse_duration(text) {
                Ok(d) if !d.is_zero() => Ok(Start::Ago(d)),
                _ => Err(format!(
                    "expected \"new\", \"all\", \"last\", a duration (\"1h\") or a stream sequence (an integer), got {text:?}"
                )),
            },
        },
        other => Err(format!(
            "expected \"new\", \"all\", \"last\", a duration or an integer, got {}",
            other.type_str()
        )),
    }
}

/// A JetStream stream name: no whitespace, `.`, `*`, `>`, `/` or `\`.
fn check_stream(name: &str) -> Result<(), String> {
    if name.is_empty() {
        return Err("must not be empty".into());
    }
    if name
        .chars()
        .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '.' | '*' | '>' | '/' | '\\'))
    {
        return Err(format!(
            "{name:?} is not a stream name (no whitespace, `.`, `*`, `>`, `/` or `\\`)"
        ));
    }
    Ok(())
}

/// A NATS server URL: `nats://` or `tls://`, with a host.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    match parsed.scheme() {
        "nats" | "tls" if parsed.host_str().is_some_and(|h| !h.is_empty()) => Ok(parsed),
        "nats" | "tls" => Err("the URL has no host".into()),
        scheme => Err(format!(
            "kind = {NAME:?} needs a nats:// or tls:// URL, not {scheme}:"
        )),
    }
}

/// `nats://HOST[:PORT]/SUBJECT[?stream=NAME&start=…&format=evtop]` (or
/// `name=URL`) on the command line: a source of that subject, a core
/// subscription unless `stream` is given. A bare server URL is an error
/// that says how to name the subject.
fn cli_source(arg: &str, _headers: &[String]) -> Result<SourceSpec, ConfigError> {
    let cli_error = |message: String| ConfigError::CommandLine { message };
    let mut spec = crate::config::cli_source_with(arg, &[], NatsOptions::default().into(), check_url)?;
    let parsed = check_url(&spec.url).map_err(|m| cli_error(format!("{:?}: {m}", spec.url)))?;
    let subject = percent_decode(parsed.path().trim_start_matches('/'));
    if subject.is_empty() {
        return Err(cli_error(format!(
            "{:?}: a NATS URL names its subject as its path, e.g. nats://127.0.0.1:4222/orders.> \
             (add ?stream=ORDERS for a JetStream stream)",
            spec.url
        )));
    }
    let pairs: Vec<(String, String)> = parsed.query_pairs().into_owned().collect();
    let get = |key: &str| pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str());
    if let Some((unknown, _)) = pairs
        .iter()
        .find(|(k, _)| !["stream", "start", "format"].contains(&k.as_str()))
    {
        return Err(cli_error(format!(
            "{:?}: unknown query parameter {unknown:?} (expected stream, start or format)",
            spec.url
        )));
    }
    let start = get("start").map(|s| match s.parse::<i64>() {
        Ok(n) => toml::Value::Integer(n),
        Err(_) => toml::Value::String(s.to_owned()),
    });
    let keys = RawKeys {
        subject: Some(&subject),
        stream: get("stream"),
        start: start.as_ref(),
        type_from: None,
        format: get("format"),
    };
    let server = format!(
        "{}://{}:{}",
        parsed.scheme(),
        parsed.host_str().unwrap_or_default(),
        parsed.port().unwrap_or(4222)
    );
    let url = spec.url.clone();
    let invalid = |key: &str, m: String| cli_error(format!("{url:?}: {key}: {m}"));
    let opts = options(
        keys,
        &Pointers::default(),
        vec![server.clone()],
        Auth::None,
        &invalid,
    )?;
    spec.url_display = spec.url.clone();
    spec.url = server;
    spec.kind = SourceKind::Nats(opts);
    Ok(spec)
}

/// `%3E` → `>`: a subject in a URL path may be percent-encoded.
fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).and_then(|b| hex(*b)),
            bytes.get(i + 2).and_then(|b| hex(*b)),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// One task per source.
fn start(sources: Started) -> Vec<JoinHandle<()>> {
    each(sources, |spec, ctx| async move {
        if let SourceKind::Nats(opts) = &spec.kind {
            let opts = opts.clone();
            super::run(spec, opts, ctx).await;
        }
    })
}
