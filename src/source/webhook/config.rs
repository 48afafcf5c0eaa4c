//! `kind = "webhook"` (SPEC 7.1): its options and presets, `listen`
//! addresses, `--listen` on the command line, and the rule that two
//! sources cannot share an address and a path.
//!
//! A webhook source has no `url` and no `headers`: it is the server. Its
//! `url` in [`SourceSpec`] is the address it listens on
//! (`http://127.0.0.1:8787/hooks`), shown in the sources view; the
//! displayed form adds `→ forward_to`, with `${VAR}` parts masked.

use std::net::{Ipv4Addr, SocketAddr};
use std::time::Duration;

use base64::Engine as _;

use serde::Deserialize;

use super::super::registry::{self, Kind, SourceKind, ViewLine};
use crate::config::kit::{
    Ctx, Env, RawSource, check_http_url, choice, duration, expand, is_name, pointers, quoted_list,
};
use crate::config::{ConfigError, SourceSpec};
use crate::event::Pointers;
use crate::store::SourceState;

/// The keys only webhook sources take.
pub const KEYS: &[&str] = &[
    "preset",
    "listen",
    "path",
    "verify",
    "secret",
    "tolerance",
    "forward_to",
];

/// The webhook kind, as the registry lists it.
pub static KIND: Kind = Kind {
    name: "webhook",
    keys: KEYS,
    types: |raw, file| raw.options::<Raw>(file, KEYS).map(drop),
    requests: false,
    parse: source,
    start: super::start,
    progress: false,
    view_line: Some(view_line),
    check_all: Some(check_routes),
    cli_url: None,
};

/// The webhook keys as written.
#[derive(Deserialize)]
struct Raw {
    preset: Option<String>,
    listen: Option<String>,
    path: Option<String>,
    verify: Option<String>,
    secret: Option<String>,
    tolerance: Option<String>,
    forward_to: Option<String>,
}

/// The sources view's line for a webhook source: failed verifications and
/// redeliveries (and deliveries the display fell too far behind to show).
fn view_line(s: &SourceState) -> ViewLine {
    let mut text = format!(
        "failed verification {}   redeliveries {}",
        s.failed_verifications, s.redeliveries
    );
    if s.overflow > 0 {
        text.push_str(&format!("   not shown (display behind) {}", s.overflow));
    }
    ViewLine {
        label: "webhooks",
        text,
        bad: s.failed_verifications > 0,
    }
}

/// Default `tolerance`: the oldest (or furthest in the future) signed
/// timestamp accepted, as Stripe and Standard Webhooks recommend.
pub const DEFAULT_TOLERANCE: Duration = Duration::from_secs(5 * 60);
/// Default `path`.
pub const DEFAULT_PATH: &str = "/";
/// Name of a `--listen` source given without `NAME=` (`webhook-2`, … when
/// taken).
pub const DEFAULT_CLI_NAME: &str = "webhook";
/// The prefix of a Standard Webhooks secret; the rest is base64.
pub const STANDARD_SECRET_PREFIX: &str = "whsec_";

/// Options of a webhook source.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WebhookOptions {
    /// The address the server listens on (one server per address).
    pub listen: SocketAddr,
    /// The request path this source answers (`/` by default).
    pub path: String,
    /// The signature scheme deliveries are checked with.
    pub verify: Verify,
    /// The HMAC key `verify` uses; empty with `Verify::None`.
    pub key: SecretKey,
    /// Signed timestamps further than this from now fail (Stripe, Standard).
    pub tolerance: Duration,
    /// Where every verified delivery is passed on, when set.
    pub forward_to: Option<String>,
    /// A request header that names the event type (`github` preset:
    /// `x-github-event`); when `type_pointer` also finds a value, it is
    /// appended after a dot (`issues.opened`). Lower case.
    pub type_header: Option<String>,
    /// A request header that carries the delivery id (`x-github-delivery`,
    /// `webhook-id`), used unless `id_pointer` finds one. Lower case.
    pub id_header: Option<String>,
}

/// A verification scheme (`verify = "…"`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Verify {
    /// Accept everything; events record `verified: null`.
    #[default]
    None,
    /// `Stripe-Signature: t=…,v1=…`.
    Stripe,
    /// `X-Hub-Signature-256: sha256=…`.
    Github,
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature`.
    Standard,
}

/// Key bytes that never show in debug output.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct SecretKey(pub Vec<u8>);

impl std::fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.is_empty() {
            "SecretKey(none)"
        } else {
            "SecretKey(***)"
        })
    }
}

/// A webhook preset: what `preset = "…"` fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preset {
    Stripe,
    Github,
    Standard,
}

/// `PORT`, `HOST:PORT` or `[V6]:PORT` as an address; the host defaults to
/// 127.0.0.1 (`localhost` means it too), so evtop listens on another
/// interface only when one is named.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    let text = text.trim();
    if let Ok(port) = text.parse::<u16>() {
        return Ok((Ipv4Addr::LOCALHOST, port).into());
    }
    if let Ok(addr) = text.parse::<SocketAddr>() {
        return Ok(addr);
    }
    if let Some(Ok(port)) = text.strip_prefix("localhost:").map(str::parse::<u16>) {
        return Ok((Ipv4Addr::LOCALHOST, port).into());
    }
    Err(format!(
        "{text:?} is not PORT or HOST:PORT with an IP address (e.g. 8787, 127.0.0.1:8787, 0.0.0.0:8787, [::1]:8787)"
    ))
}

/// A request path: `/` then printable ASCII without spaces, `?` or `#`.
fn check_path(path: &str) -> Result<(), String> {
    let ok_char = |c: char| c.is_ascii_graphic() && c != '?' && c != '#';
    if path.starts_with('/') && path.chars().all(ok_char) {
        Ok(())
    } else {
        Err(format!(
            "{path:?} must start with `/` and contain no spaces, `?` or `#`"
        ))
    }
}

/// The HMAC key of a Standard Webhooks secret: the base64 after `whsec_`
/// (the prefix is optional, as in the reference libraries).
pub fn standard_key(secret: &str) -> Result<Vec<u8>, String> {
    let b64 = secret.strip_prefix(STANDARD_SECRET_PREFIX).unwrap_or(secret);
    match base64::engine::general_purpose::STANDARD.decode(b64) {
        Ok(key) if !key.is_empty() => Ok(key),
        _ => Err(format!(
            "a Standard Webhooks secret is `{STANDARD_SECRET_PREFIX}` followed by base64, as the sender shows it"
        )),
    }
}

/// `http://ADDR/PATH`: where a webhook source is reached.
pub fn listen_url(listen: SocketAddr, path: &str) -> String {
    format!("http://{listen}{path}")
}

/// One `[[source]]` with `kind = "webhook"`: the whole spec, since it has
/// no `url` or `headers`.
fn source(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    for (key, present) in [("url", raw.url.is_some()), ("headers", raw.headers.is_some())] {
        if present {
            return Err(ConfigError::KindMismatch {
                file: ctx.file.to_owned(),
                at: ctx.at.clone(),
                key,
                kinds: quoted_list(&registry::owners(None), "or"),
            });
        }
    }
    let mut pointers = pointers(raw, ctx)?;
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let raw = &own;
    let listen_text = raw.listen.as_deref().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "listen",
    })?;
    let listen = parse_listen(listen_text).map_err(|m| ctx.invalid("listen", m))?;
    let path = raw.path.clone().unwrap_or_else(|| DEFAULT_PATH.to_owned());
    check_path(&path).map_err(|m| ctx.invalid("path", m))?;
    let mut opts = WebhookOptions {
        listen,
        path,
        verify: Verify::None,
        key: SecretKey::default(),
        tolerance: DEFAULT_TOLERANCE,
        forward_to: None,
        type_header: None,
        id_header: None,
    };
    if let Some(text) = &raw.preset {
        let presets = [
            ("stripe", Preset::Stripe),
            ("github", Preset::Github),
            ("standard", Preset::Standard),
        ];
        apply_preset(choice(ctx, "preset", text, &presets)?, &mut opts, &mut pointers);
    }
    if let Some(text) = &raw.verify {
        let schemes = [
            ("stripe", Verify::Stripe),
            ("github", Verify::Github),
            ("standard", Verify::Standard),
            ("none", Verify::None),
        ];
        opts.verify = choice(ctx, "verify", text, &schemes)?;
    }
    opts.key = key(raw, opts.verify, ctx, env, secrets)?;
    if let Some(text) = &raw.tolerance {
        opts.tolerance = duration(ctx, "tolerance", text)?;
        if opts.tolerance < Duration::from_secs(1) {
            return Err(ctx.invalid("tolerance", format!("must be at least 1s, got {text:?}")));
        }
    }
    let mut display = listen_url(opts.listen, &opts.path);
    if let Some(template) = &raw.forward_to {
        let url = expand(template, env).map_err(|e| ctx.expand_error("forward_to", e))?;
        check_http_url(&url.value)
            .map_err(|m| ctx.invalid("forward_to", format!("{m}: {:?}", url.display)))?;
        secrets.extend(url.secrets);
        display = format!("{display} → {}", url.display);
        opts.forward_to = Some(url.value);
    }
    Ok(SourceSpec {
        name,
        url: listen_url(opts.listen, &opts.path),
        url_display: display,
        headers: Vec::new(),
        pointers,
        kind: SourceKind::Webhook(opts),
        named_after_host: false,
    })
}

/// What a preset fills: pointers only where none was given, the headers
/// and the scheme (which an explicit `verify` then overrides).
fn apply_preset(preset: Preset, opts: &mut WebhookOptions, pointers: &mut Pointers) {
    let fill = |p: &mut Option<String>, v: &str| {
        p.get_or_insert_with(|| v.to_owned());
    };
    match preset {
        Preset::Stripe => {
            fill(&mut pointers.type_pointer, "/type");
            fill(&mut pointers.id_pointer, "/id");
            fill(&mut pointers.time_pointer, "/created");
            opts.verify = Verify::Stripe;
        }
        Preset::Github => {
            opts.type_header = Some("x-github-event".to_owned());
            fill(&mut pointers.type_pointer, "/action");
            opts.id_header = Some("x-github-delivery".to_owned());
            opts.verify = Verify::Github;
        }
        Preset::Standard => {
            fill(&mut pointers.type_pointer, "/type");
            opts.id_header = Some("webhook-id".to_owned());
            opts.verify = Verify::Standard;
        }
    }
}

/// The HMAC key from `secret`: required unless `verify = "none"` (then
/// ignored); `${VAR}` expanded; always a secret, masked wherever evtop
/// writes, whether it came from the environment or not.
fn key(
    raw: &Raw,
    verify: Verify,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SecretKey, ConfigError> {
    if verify == Verify::None {
        return Ok(SecretKey::default());
    }
    let Some(template) = &raw.secret else {
        return Err(ctx.invalid(
            "secret",
            "is required unless verify = \"none\" (the signing secret the sender shows, e.g. ${STRIPE_WEBHOOK_SECRET})",
        ));
    };
    let secret = expand(template, env)
        .map_err(|e| ctx.expand_error("secret", e))?
        .value;
    if secret.is_empty() {
        return Err(ctx.invalid("secret", "must not be empty"));
    }
    secrets.push(secret.clone());
    if verify != Verify::Standard {
        return Ok(SecretKey(secret.into_bytes()));
    }
    if let Some(b64) = secret.strip_prefix(STANDARD_SECRET_PREFIX) {
        secrets.push(b64.to_owned());
    }
    standard_key(&secret)
        .map(SecretKey)
        .map_err(|m| ctx.invalid("secret", m))
}

/// A `--listen [NAME=][HOST:]PORT[/PATH]`: a webhook source with
/// `verify = "none"`, named `webhook` (renamed `webhook-2`, … when taken)
/// unless `NAME=` is given. Most platforms' payloads carry their type and id
/// at `/type` and `/id` (Stripe, Standard Webhooks, most others), so those
/// pointers are on; a body without them keeps the type `webhook`.
pub fn cli_webhook_source(arg: &str) -> Result<SourceSpec, ConfigError> {
    let error = |m: String| ConfigError::CommandLine {
        message: format!("--listen {arg:?}: {m}; write [NAME=][HOST:]PORT[/PATH], e.g. hooks=8787/stripe"),
    };
    let (name, rest) = match arg.split_once('=') {
        Some((name, rest)) if is_name(name) => (Some(name), rest),
        _ => (None, arg),
    };
    let (addr, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, DEFAULT_PATH),
    };
    let listen = parse_listen(addr).map_err(error)?;
    check_path(path).map_err(error)?;
    let url = listen_url(listen, path);
    Ok(SourceSpec {
        name: name.unwrap_or(DEFAULT_CLI_NAME).to_owned(),
        url_display: url.clone(),
        url,
        headers: Vec::new(),
        pointers: Pointers {
            type_pointer: Some("/type".into()),
            id_pointer: Some("/id".into()),
            time_pointer: None,
        },
        kind: SourceKind::Webhook(WebhookOptions {
            listen,
            path: path.to_owned(),
            verify: Verify::None,
            key: SecretKey::default(),
            tolerance: DEFAULT_TOLERANCE,
            forward_to: None,
            type_header: None,
            id_header: None,
        }),
        named_after_host: name.is_none(),
    })
}

/// Two webhook sources on the same address and path would each get only
/// some deliveries: an error naming both. Port 0 (any free port) counts as
/// one address, since such sources share one server.
pub fn check_routes(sources: &[SourceSpec]) -> Result<(), ConfigError> {
    let mut seen: Vec<(SocketAddr, &str, &str)> = Vec::new();
    for s in sources {
        let SourceKind::Webhook(o) = &s.kind else {
            continue;
        };
        if let Some((_, _, first)) = seen.iter().find(|(a, p, _)| *a == o.listen && *p == o.path) {
            return Err(ConfigError::RouteCollision {
                route: listen_url(o.listen, &o.path),
                first: (*first).to_owned(),
                second: s.name.clone(),
            });
        }
        seen.push((o.listen, &o.path, &s.name));
    }
    Ok(())
}

impl From<WebhookOptions> for SourceKind {
    fn from(opts: WebhookOptions) -> Self {
        SourceKind::Webhook(opts)
    }
}
