//! The WebSocket kind's config keys (SPEC 8.1, 8.2): `subscribe`, `ping`,
//! `idle_timeout`, `protocol`, and for `protocol = "graphql-ws"` `query`,
//! `variables` and `init_payload`; their defaults, checks and errors.
//!
//! The kind describes itself to the registry with [`KIND`]; its keys are
//! read as [`RawKeys`] and checked by [`options`] with two callbacks (an
//! error naming the key, `${VAR}` expansion that records the secret), so
//! every rule of this kind lives here.

use std::time::Duration;

use serde::Deserialize;
use serde_json::{Map, Value};
use tokio::task::JoinHandle;

use super::super::registry::{CliUrl, Kind, SourceKind, Started, each};
use crate::config::kit::{Ctx, Env, RawSource, Requested, expand as config_expand, headers, pointers};
use crate::config::{ConfigError, SourceSpec, parse_duration};

/// The `kind = "…"` name.
pub const NAME: &str = "websocket";

/// The WebSocket kind, as the registry lists it.
pub static KIND: Kind = Kind {
    name: NAME,
    keys: KEYS,
    types: |raw, file| raw.options::<Raw>(file, KEYS).map(drop),
    requests: true,
    parse,
    start,
    progress: false,
    view_line: None,
    check_all: None,
    cli_url: Some(CliUrl {
        schemes: &["ws", "wss"],
        source: cli_source,
    }),
};

/// A `ws://` or `wss://` URL (or `name=URL`) on the command line: a
/// WebSocket source with default options.
fn cli_source(arg: &str, headers: &[String]) -> Result<SourceSpec, ConfigError> {
    crate::config::cli_source_with(arg, headers, WebSocketOptions::default().into(), check_url)
}

/// The WebSocket keys as written (`subscribe` and `query`: a string or a
/// list of strings, checked by [`options`]).
#[derive(Deserialize)]
struct Raw {
    subscribe: Option<toml::Value>,
    ping: Option<String>,
    idle_timeout: Option<String>,
    protocol: Option<String>,
    query: Option<toml::Value>,
    variables: Option<toml::Table>,
    init_payload: Option<toml::Table>,
}

/// A `[[source]]` with `kind = "websocket"`: a ws or wss `url`, `headers`
/// (sent with the upgrade request), the pointers and the kind's keys.
fn parse(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    let template = raw.url.as_deref().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "url",
    })?;
    let url = config_expand(template, env).map_err(|e| ctx.expand_error("url", e))?;
    check_url(&url.value).map_err(|m| ctx.invalid("url", format!("{m}: {:?}", url.display)))?;
    secrets.extend(url.secrets);
    let req = Requested {
        url: url.value,
        url_display: url.display,
        headers: headers(raw, ctx, env, secrets)?,
    };
    let pointers = pointers(raw, ctx)?;
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let keys = RawKeys {
        subscribe: own.subscribe.as_ref(),
        ping: own.ping.as_deref(),
        idle_timeout: own.idle_timeout.as_deref(),
        protocol: own.protocol.as_deref(),
        query: own.query.as_ref(),
        variables: own.variables.as_ref(),
        init_payload: own.init_payload.as_ref(),
    };
    let invalid = |key: &str, message: String| ctx.invalid(key, message);
    let mut expand_value = |key: &str, text: &str| {
        let value = config_expand(text, env).map_err(|e| ctx.expand_error(key, e))?;
        secrets.extend(value.secrets);
        Ok(value.value)
    };
    let opts = options(keys, &invalid, &mut expand_value)?;
    Ok(req.spec(name, pointers, SourceKind::WebSocket(opts)))
}

/// One task per source.
fn start(sources: Started) -> Vec<JoinHandle<()>> {
    each(sources, |spec, ctx| async move {
        if let SourceKind::WebSocket(opts) = &spec.kind {
            let opts = opts.clone();
            super::run(spec, opts, ctx).await;
        }
    })
}

impl From<WebSocketOptions> for SourceKind {
    fn from(opts: WebSocketOptions) -> Self {
        SourceKind::WebSocket(opts)
    }
}
/// The keys only this kind takes (`url`, `headers` and the pointers are
/// every client source's).
pub const KEYS: &[&str] = &[
    "idle_timeout",
    "subscribe",
    "ping",
    "protocol",
    "query",
    "variables",
    "init_payload",
];
/// Default `ping`: a ping frame (GraphQL: a `ping` message) this often.
pub const DEFAULT_PING: Duration = Duration::from_secs(20);
/// Default `idle_timeout`: no frame, pong included, for this long → reconnect.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(60);

/// Options of a WebSocket source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebSocketOptions {
    /// Text frames sent, in order, after every (re)connect (plain only).
    pub subscribe: Vec<String>,
    /// Ping interval; `None` (`"off"`) never.
    pub ping: Option<Duration>,
    /// Reconnect when no frame arrived for this long; `None` (`"off"`) never.
    pub idle_timeout: Option<Duration>,
    /// What the frames mean.
    pub protocol: Protocol,
}

impl Default for WebSocketOptions {
    fn default() -> Self {
        WebSocketOptions {
            subscribe: Vec::new(),
            ping: Some(DEFAULT_PING),
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            protocol: Protocol::Plain,
        }
    }
}

/// `protocol = "plain" | "graphql-ws"`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Protocol {
    /// Each text frame is one event.
    Plain,
    /// GraphQL subscriptions over `graphql-transport-ws` (SPEC 8.2).
    GraphqlWs(GraphqlOptions),
}

/// A GraphQL source's subscriptions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphqlOptions {
    /// One `subscribe` message per query, in order.
    pub queries: Vec<String>,
    /// The `variables` sent with every query (a JSON object), if any.
    pub variables: Option<Value>,
    /// The `connection_init` payload (a JSON object), if any.
    pub init_payload: Option<Value>,
}

/// The kind's raw values as the config file has them.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawKeys<'a> {
    pub subscribe: Option<&'a toml::Value>,
    pub ping: Option<&'a str>,
    pub idle_timeout: Option<&'a str>,
    pub protocol: Option<&'a str>,
    pub query: Option<&'a toml::Value>,
    pub variables: Option<&'a toml::Table>,
    pub init_payload: Option<&'a toml::Table>,
}

/// An error naming a key of this source.
pub type Invalid<'a> = &'a dyn Fn(&str, String) -> ConfigError;
/// `${VAR}` expansion of one value of a key, its secrets recorded.
pub type Expand<'a> = &'a mut dyn FnMut(&str, &str) -> Result<String, ConfigError>;

/// `url` must be an absolute ws or wss URL.
pub fn check_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    match parsed.scheme() {
        "ws" | "wss" => Ok(parsed),
        scheme => Err(format!("kind = {NAME:?} needs a ws or wss URL, not {scheme}:")),
    }
}

/// The options from the raw keys: defaults, checks, `${VAR}` in
/// `subscribe`, `variables` and `init_payload`.
pub fn options(raw: RawKeys, invalid: Invalid, expand: Expand) -> Result<WebSocketOptions, ConfigError> {
    let mut opts = WebSocketOptions::default();
    if let Some(text) = raw.ping {
        opts.ping = off_or_duration(text).map_err(|m| invalid("ping", m))?;
    }
    if let Some(text) = raw.idle_timeout {
        opts.idle_timeout = off_or_duration(text).map_err(|m| invalid("idle_timeout", m))?;
    }
    let graphql = match raw.protocol {
        None | Some("plain") => false,
        Some("graphql-ws") => true,
        Some(other) => {
            return Err(invalid(
                "protocol",
                format!("expected \"plain\" or \"graphql-ws\", got {other:?}"),
            ));
        }
    };
    if !graphql {
        for (key, present) in [
            ("query", raw.query.is_some()),
            ("variables", raw.variables.is_some()),
            ("init_payload", raw.init_payload.is_some()),
        ] {
            if present {
                return Err(invalid(key, "applies only to protocol = \"graphql-ws\"".into()));
            }
        }
        if let Some(value) = raw.subscribe {
            for frame in strings(value).map_err(|m| invalid("subscribe", m))? {
                opts.subscribe.push(expand("subscribe", frame)?);
            }
        }
        return Ok(opts);
    }
    if raw.subscribe.is_some() {
        return Err(invalid(
            "subscribe",
            "does not apply to protocol = \"graphql-ws\" (write the subscriptions in `query`)".into(),
        ));
    }
    let queries: Vec<String> = match raw.query {
        Some(value) => strings(value)
            .map_err(|m| invalid("query", m))?
            .into_iter()
            .map(str::to_owned)
            .collect(),
        None => Vec::new(),
    };
    if queries.is_empty() || queries.iter().any(|q| q.trim().is_empty()) {
        return Err(invalid(
            "query",
            "protocol = \"graphql-ws\" needs at least one subscription, e.g. query = \"subscription { orderPlaced { id } }\""
                .into(),
        ));
    }
    let variables = match raw.variables {
        Some(t) => Some(json_table(t, "variables", expand)?),
        None => None,
    };
    let init_payload = match raw.init_payload {
        Some(t) => Some(json_table(t, "init_payload", expand)?),
        None => None,
    };
    opts.protocol = Protocol::GraphqlWs(GraphqlOptions {
        queries,
        variables,
        init_payload,
    });
    Ok(opts)
}

/// A duration, or `"off"` / `"0s"` for never.
fn off_or_duration(text: &str) -> Result<Option<Duration>, String> {
    if text.trim().eq_ignore_ascii_case("off") {
        return Ok(None);
    }
    Ok(Some(parse_duration(text)?).filter(|d| !d.is_zero()))
}

/// A string or a list of strings.
fn strings(value: &toml::Value) -> Result<Vec<&str>, String> {
    match value {
        toml::Value::String(s) => Ok(vec![s.as_str()]),
        toml::Value::Array(items) => items
            .iter()
            .map(|v| {
                v.as_str()
                    .ok_or_else(|| "expected a string or a list of strings".to_owned())
            })
            .collect(),
        _ => Err("expected a string or a list of strings".into()),
    }
}

/// A TOML table as a JSON object, `${VAR}` expanded in every string.
fn json_table(table: &toml::Table, key: &str, expand: Expand) -> Result<Value, ConfigError> {
    let mut map = Map::new();
    for (name, value) in table {
        map.insert(name.clone(), json_value(value, &format!("{key}.{name}"), expand)?);
    }
    Ok(Value::Object(map))
}

fn json_value(value: &toml::Value, key: &str, expand: Expand) -> Result<Value, ConfigError> {
    Ok(match value {
        toml::Value::String(s) => Value::String(expand(key, s)?),
        toml::Value::Integer(i) => Value::from(*i),
        toml::Value::Float(f) => Value::from(*f),
        toml::Value::Boolean(b) => Value::Bool(*b),
        toml::Value::Datetime(d) => Value::String(d.to_string()),
        toml::Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|v| json_value(v, key, expand))
                .collect::<Result<_, _>>()?,
        ),
        toml::Value::Table(t) => json_table(t, key, expand)?,
    })
}
