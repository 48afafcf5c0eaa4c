//! The one list of the kinds of source (SPEC 8), and the interface each kind
//! implements.
//!
//! A kind lives in its own folder under `source/` (`sse.rs` + `sse/`) and
//! describes itself with one [`Kind`] value (`sse::KIND`): its name, the
//! config keys only it takes, how it turns a `[[source]]` table into a
//! [`SourceSpec`], how its tasks start, and what the status bar and the
//! sources view show for it. The options it parsed travel in
//! [`SourceKind`], the one enum with a variant per kind; the rest of evtop
//! asks [`SourceKind::kind`] for the kind's [`Kind`] instead of matching on
//! the variant. Events carry kind-specific details in
//! [`crate::event::Event::meta`].
//!
//! Adding a kind: its folder, one entry in [`KINDS`], one variant of
//! [`SourceKind`] and its arm in [`SourceKind::kind`].

use std::future::Future;
use std::sync::Arc;

use tokio::task::JoinHandle;

use super::{SourceCtx, file, nats, poll, sse, webhook, websocket};
use crate::config::kit::{Ctx, Env, RawSource, Requested};
use crate::config::{ConfigError, FileOptions, PollOptions, SourceSpec, SseOptions, WebhookOptions};
use crate::event::Pointers;
use crate::event::WebhookMeta;
use crate::source::nats::{NatsMeta, NatsOptions};
use crate::source::websocket::WebSocketOptions;
use crate::store::SourceState;

/// Every kind, in the order messages list them (`expected "sse", "poll",
/// "webhook", "file", "websocket" or "nats"`).
pub const KINDS: &[&Kind] = &[
    &sse::KIND,
    &poll::KIND,
    &webhook::KIND,
    &file::KIND,
    &websocket::KIND,
    &nats::KIND,
];

/// The kind a `[[source]]` without `kind` is.
pub const DEFAULT_KIND: &Kind = &sse::KIND;

/// Sources of one kind with what each task is given.
pub type Started = Vec<(Arc<SourceSpec>, SourceCtx)>;

/// [`Kind::parse`]: a table, the source's name, where it is, the `${VAR}`
/// lookup, and the secrets found so far (to add to).
pub type ParseFn = fn(&RawSource, String, &Ctx, Env, &mut Vec<String>) -> Result<SourceSpec, ConfigError>;

/// [`Kind::check_all`]: a rule across all the sources.
pub type CheckAllFn = fn(&[SourceSpec]) -> Result<(), ConfigError>;

/// One line a kind adds to its sources' entries in the sources view.
pub struct ViewLine {
    /// The label in the left column (`webhooks`).
    pub label: &'static str,
    /// The text.
    pub text: String,
    /// Shown as an error (e.g. failed verifications).
    pub bad: bool,
}

/// What a kind of source is to the rest of evtop. One `static` per kind, in
/// the kind's own module, listed in [`KINDS`].
pub struct Kind {
    /// The `kind = "…"` value.
    pub name: &'static str,
    /// The config keys only this kind takes, besides the ones every source
    /// has (`name`, `kind`, `url`, `headers`, the pointers). A key that
    /// another kind lists is rejected with the kinds it applies to.
    pub keys: &'static [&'static str],
    /// Whether it makes requests: takes `url` and `headers`.
    pub requests: bool,
    /// A `[[source]]` table of this kind (its keys checked against
    /// [`Kind::keys`] already) validated into a spec: every error names the
    /// key and why. Read the kind's keys with [`RawSource::options`].
    pub parse: ParseFn,
    /// Check the TOML types of its keys wherever they appear (in the file
    /// named by the `&str`), so that type errors come before errors of
    /// meaning, as for the common keys: usually
    /// `raw.options::<Raw>(file, KEYS).map(drop)`.
    pub types: fn(&RawSource, &str) -> Result<(), ConfigError>,
    /// Start the tasks of all the sources of this kind (in config order);
    /// each task ends when its `ctx.cancel` fires. Most kinds start one
    /// task per source; webhook sources share a server per address.
    pub start: fn(Started) -> Vec<JoinHandle<()>>,
    /// Its live status is progress (a replay's `replay 40%, ×2`), shown as
    /// such by the status bar rather than as health.
    pub progress: bool,
    /// A line of its own in the sources view (webhook verification and
    /// redelivery counts), from the source's counters.
    pub view_line: Option<fn(&SourceState) -> ViewLine>,
    /// A rule across all the sources, checked after each was validated
    /// (two webhook sources cannot share an address and a path).
    pub check_all: Option<CheckAllFn>,
    /// The URL schemes that make a command-line `URL` (or `name=URL`) a
    /// source of this kind (`ws`, `wss`). A URL no kind claims is an SSE
    /// stream.
    pub cli_url: Option<CliUrl>,
}

/// A kind's command-line URLs ([`Kind::cli_url`]).
pub struct CliUrl {
    /// The schemes it claims, in lower case.
    pub schemes: &'static [&'static str],
    /// The source for `URL` or `name=URL` with the `-H` headers (usually
    /// [`crate::config::cli_source_with`] and the kind's default options).
    pub source: fn(&str, &[String]) -> Result<SourceSpec, ConfigError>,
}

impl std::fmt::Debug for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Kind({:?})", self.name)
    }
}

impl PartialEq for Kind {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}

/// The TOML types of every kind's keys in `raw` ([`Kind::types`]).
pub fn check_types(raw: &RawSource, file: &str) -> Result<(), ConfigError> {
    KINDS.iter().try_for_each(|k| (k.types)(raw, file))
}

/// Every kind's rule across all the sources ([`Kind::check_all`]).
pub fn check_all(sources: &[SourceSpec]) -> Result<(), ConfigError> {
    KINDS
        .iter()
        .filter_map(|k| k.check_all)
        .try_for_each(|check| check(sources))
}

/// Start one task per source with `run`: the usual [`Kind::start`].
pub fn each<F, Fut>(sources: Started, run: F) -> Vec<JoinHandle<()>>
where
    F: Fn(Arc<SourceSpec>, SourceCtx) -> Fut,
    Fut: Future<Output = ()> + Send + 'static,
{
    sources
        .into_iter()
        .map(|(spec, ctx)| ctx.tasks.clone().spawn(run(spec, ctx)))
        .collect()
}

/// [`each`] for a kind whose task is `run(spec, options, ctx)`: `opts`
/// picks the kind's options out of the spec's [`SourceKind`].
pub fn each_with<O, Fut>(
    sources: Started,
    opts: fn(&SourceKind) -> Option<&O>,
    run: fn(Arc<SourceSpec>, O, SourceCtx) -> Fut,
) -> Vec<JoinHandle<()>>
where
    O: Clone + Send + 'static,
    Fut: Future<Output = ()> + Send + 'static,
{
    each(sources, move |spec, ctx| {
        let options = opts(&spec.kind).cloned();
        async move {
            if let Some(options) = options {
                run(spec, options, ctx).await;
            }
        }
    })
}

/// Starts the tasks of many sources: each kind's [`Kind::start`] is given
/// all of that kind's sources at once, in config order, so a kind may group
/// them (webhook sources on one address share a server).
#[derive(Default)]
pub struct Launcher {
    groups: Vec<(&'static Kind, Started)>,
}

impl Launcher {
    /// Hold `spec` for its kind's start.
    pub fn add(&mut self, spec: Arc<SourceSpec>, ctx: SourceCtx) {
        let kind = spec.kind.kind();
        match self.groups.iter_mut().find(|(k, _)| *k == kind) {
            Some((_, sources)) => sources.push((spec, ctx)),
            None => self.groups.push((kind, vec![(spec, ctx)])),
        }
    }

    /// Start every kind's tasks; every task started.
    pub fn finish(self) -> Vec<JoinHandle<()>> {
        self.groups
            .into_iter()
            .flat_map(|(kind, sources)| (kind.start)(sources))
            .collect()
    }
}

/// What every kind that makes requests builds its spec from.
impl Requested {
    /// The source's spec, with its name, pointers and kind's options.
    pub fn spec(self, name: String, pointers: Pointers, kind: SourceKind) -> SourceSpec {
        SourceSpec {
            name,
            url: self.url,
            url_display: self.url_display,
            headers: self.headers,
            pointers,
            kind,
            named_after_host: false,
        }
    }
}

/// The kind that claims `url`'s scheme on the command line
/// ([`Kind::cli_url`]), compared without case.
pub fn cli_url_kind(url: &str) -> Option<&'static CliUrl> {
    let (scheme, _) = url.split_once("://")?;
    KINDS
        .iter()
        .filter_map(|k| k.cli_url.as_ref())
        .find(|c| c.schemes.iter().any(|s| s.eq_ignore_ascii_case(scheme)))
}

/// The kind named `name`.
pub fn find(name: &str) -> Option<&'static Kind> {
    KINDS.iter().copied().find(|k| k.name == name)
}

/// Every kind-specific key, each once, in the order messages list them.
/// The kinds' keys are listed in the order the kinds were added (SSE,
/// polling, recordings, webhooks, WebSocket, NATS), which is the order
/// users have seen.
pub fn all_keys() -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for kind in [
        &sse::KIND,
        &poll::KIND,
        &file::KIND,
        &webhook::KIND,
        &websocket::KIND,
        &nats::KIND,
    ] {
        for key in kind.keys {
            if !keys.contains(key) {
                keys.push(key);
            }
        }
    }
    keys
}

/// The names of the kinds that take `key`, or make requests when `key` is
/// `None`.
pub fn owners(key: Option<&str>) -> Vec<&'static str> {
    KINDS
        .iter()
        .filter(|k| match key {
            Some(key) => k.keys.contains(&key),
            None => k.requests,
        })
        .map(|k| k.name)
        .collect()
}

/// What kind of source, with the options only that kind has.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SourceKind {
    /// A Server-Sent Events stream (`source::sse`).
    Sse(SseOptions),
    /// An HTTP endpoint polled at an interval (`source::poll`).
    Poll(PollOptions),
    /// A recording replayed (`evtop replay`, `source::file`): this source
    /// reads the file and feeds its routes.
    File(FileOptions),
    /// Another source name found in a recording: its events come from the
    /// file source just before it (`FileOptions::routes`); no task of its own.
    FileRoute {
        /// The recording has state snapshots for it (`data` events).
        patched: bool,
    },
    /// An HTTP server that receives webhook deliveries (`source::webhook`).
    Webhook(WebhookOptions),
    /// A WebSocket stream, plain or GraphQL subscriptions
    /// (`source::websocket`).
    WebSocket(WebSocketOptions),
    /// A NATS subject, live or from a JetStream stream (`source::nats`).
    Nats(NatsOptions),
}

impl SourceKind {
    /// Whether this source replays a recording (its time is the recording's:
    /// [`crate::store::Store::clock`]).
    pub fn is_recording(&self) -> bool {
        matches!(self, SourceKind::File(_) | SourceKind::FileRoute { .. })
    }

    /// The kind these options belong to.
    pub fn kind(&self) -> &'static Kind {
        match self {
            SourceKind::Sse(_) => &sse::KIND,
            SourceKind::Poll(_) => &poll::KIND,
            SourceKind::File(_) | SourceKind::FileRoute { .. } => &file::KIND,
            SourceKind::Webhook(_) => &webhook::KIND,
            SourceKind::WebSocket(_) => &websocket::KIND,
            SourceKind::Nats(_) => &nats::KIND,
        }
    }

    /// As `listed` of a `[[reconcile]]` (SPEC 11.3): a source listing a
    /// provider's events again and again (a poll source in events mode),
    /// with its poll interval; else why not, to follow `source "NAME" `.
    pub fn as_listed(&self) -> Result<std::time::Duration, String> {
        match self {
            SourceKind::Poll(o) => poll::listed_interval(o),
            other => Err(format!(
                "is of kind {:?}; `listed` must name a poll source (kind = \"poll\") listing the provider's events",
                other.kind().name
            )),
        }
    }

    /// As `delivered` of a `[[reconcile]]`: a source receiving the
    /// provider's deliveries (a webhook source); else why not.
    pub fn as_delivered(&self) -> Result<(), String> {
        match self {
            SourceKind::Webhook(_) => Ok(()),
            other => Err(format!(
                "is of kind {:?}; `delivered` must name a webhook source (kind = \"webhook\")",
                other.kind().name
            )),
        }
    }

    /// Whether the source keeps a state document (a snapshot its patches
    /// apply to).
    pub fn keeps_state(&self) -> bool {
        match self {
            SourceKind::Sse(o) => o.patch,
            SourceKind::Poll(o) => poll::keeps_state(o),
            SourceKind::File(o) => o.patched,
            SourceKind::FileRoute { patched } => *patched,
            SourceKind::Webhook(_) | SourceKind::WebSocket(_) | SourceKind::Nats(_) => false,
        }
    }
}

/// What an event's kind of source adds besides its data (boxed in
/// [`crate::event::Event::meta`]): one variant per kind that has any. Each
/// renders itself — its NDJSON member (byte for byte what recordings hold),
/// its feed mark, its detail-pane lines — and answers filter terms, so
/// nothing outside the kind's module looks inside.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Meta {
    /// A webhook delivery (`source::webhook::meta`).
    Webhook(WebhookMeta),
    /// A NATS message's subject and stream sequence, or an event another
    /// evtop relayed through NATS (`source::nats::meta`).
    Nats(NatsMeta),
}

/// How a piece of metadata should look; the UI picks the colours.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Plain,
    Dim,
    Ok,
    Warn,
    Bad,
}

/// One line of metadata in the detail pane.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DetailLine {
    /// `  verified yes ✓`: a label (at most 9 characters), a value, a tone.
    Field(&'static str, String, Tone),
    /// An indented `name: value` under the field before (a header).
    Pair(String, String),
}

/// A metadata value a filter term compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetaValue {
    /// Yes, no or not checked (`verified:none`).
    Flag(Option<bool>),
    /// A number (`attempt>1`, `forward:5xx`).
    Number(u64),
}

impl Meta {
    /// Append `,"KEY":{…}` to an NDJSON line.
    pub fn write_ndjson(&self, out: &mut Vec<u8>) {
        let key = match self {
            Meta::Webhook(_) => WebhookMeta::NDJSON_KEY,
            // A relayed event is written as it was first written.
            Meta::Nats(m) => match m.relayed_meta() {
                Some(inner) => return inner.write_ndjson(out),
                None if m.is_relayed() => return,
                None => NatsMeta::NDJSON_KEY,
            },
        };
        out.extend_from_slice(b",\"");
        out.extend_from_slice(key.as_bytes());
        out.extend_from_slice(b"\":");
        let _ = match self {
            Meta::Webhook(m) => serde_json::to_writer(&mut *out, m),
            Meta::Nats(m) => serde_json::to_writer(&mut *out, m),
        };
    }

    /// A short mark for a feed row or a text line (`✓↻2`); made only of
    /// symbols and numbers, so it is inert. Empty: nothing to mark.
    pub fn mark(&self) -> String {
        match self {
            Meta::Webhook(m) => m.mark(),
            Meta::Nats(m) => m.relayed_meta().map(Meta::mark).unwrap_or_default(),
        }
    }

    /// How the mark shows.
    pub fn tone(&self) -> Tone {
        match self {
            Meta::Webhook(m) => m.tone(),
            Meta::Nats(m) => m.relayed_meta().map_or(Tone::Dim, Meta::tone),
        }
    }

    /// The detail pane's lines for this metadata.
    pub fn detail(&self) -> Vec<DetailLine> {
        match self {
            Meta::Webhook(m) => m.detail(),
            Meta::Nats(m) => m.detail(),
        }
    }

    /// The value of a filter term (`verified`, `attempt`, `forward`);
    /// `None`: this metadata has no such value (the term does not match).
    pub fn term(&self, name: &str) -> Option<MetaValue> {
        match self {
            Meta::Webhook(m) => m.term(name),
            Meta::Nats(m) => m.relayed_meta().and_then(|inner| inner.term(name)),
        }
    }

    /// Failed a check of its origin (a webhook signature): counted per source.
    pub fn failed_check(&self) -> bool {
        self.term("verified") == Some(MetaValue::Flag(Some(false)))
    }

    /// A repeat of an event already seen (a webhook redelivery): counted
    /// per source, shown but left out of the type rates.
    pub fn repeat(&self) -> bool {
        matches!(self.term("attempt"), Some(MetaValue::Number(n)) if n > 1)
    }

    /// The webhook delivery details, if that is what this is.
    pub fn webhook(&self) -> Option<&WebhookMeta> {
        match self {
            Meta::Webhook(m) => Some(m),
            Meta::Nats(m) => m.relayed_meta().and_then(Meta::webhook),
        }
    }

    /// The name of the source that first produced this event, when it came
    /// through another evtop (a relay): shown, filtered on (`source:`) and
    /// written instead of the name of the source that received it.
    pub fn source_name(&self) -> Option<&str> {
        match self {
            Meta::Webhook(_) => None,
            Meta::Nats(m) => m.relayed_source(),
        }
    }
}

#[cfg(test)]
mod tests;
