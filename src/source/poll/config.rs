//! `kind = "poll"`: its keys (`preset`, `interval`, `mode`, `items`,
//! `order`, `cursor_param`, `has_more`, `limit`) and their validation,
//! besides the `url` and `headers` of every kind that makes requests.

use serde::Deserialize;

use tokio::task::JoinHandle;

use super::super::registry::{Kind, SourceKind, Started, each_with};
use crate::config::kit::{Ctx, Env, RawSource, choice, duration, in_range, pointer, pointers, requested};
use crate::config::{ConfigError, LIMIT_RANGE, MIN_INTERVAL, Order, PollMode, PollOptions, SourceSpec};
use crate::event::Pointers;

/// The keys only polling sources take.
pub const KEYS: &[&str] = &[
    "preset",
    "interval",
    "mode",
    "items",
    "order",
    "cursor_param",
    "has_more",
    "limit",
];

/// The polling kind, as the registry lists it.
pub static KIND: Kind = Kind {
    name: "poll",
    keys: KEYS,
    types: |raw, file| raw.options::<Raw>(file, KEYS).map(drop),
    requests: true,
    parse,
    start,
    progress: false,
    view_line: None,
    check_all: None,
    cli_url: None,
};

/// The polling keys as written.
#[derive(Deserialize)]
struct Raw {
    preset: Option<String>,
    interval: Option<String>,
    mode: Option<String>,
    items: Option<String>,
    order: Option<String>,
    cursor_param: Option<String>,
    has_more: Option<String>,
    limit: Option<u32>,
}

/// Whether a polling source keeps a state document: in diff mode.
pub fn keeps_state(opts: &PollOptions) -> bool {
    opts.mode == PollMode::Diff
}

/// As `listed` of a `[[reconcile]]` (SPEC 11.3): a polling source in
/// events mode lists a provider's events; its interval, or why not.
pub fn listed_interval(opts: &PollOptions) -> Result<std::time::Duration, String> {
    match opts.mode {
        PollMode::Events => Ok(opts.interval),
        PollMode::Diff => Err(
            "polls in mode = \"diff\"; it must list events (mode = \"events\") to be reconciled".to_owned(),
        ),
    }
}

/// A `[[source]]` with `kind = "poll"`.
fn parse(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    let req = requested(raw, ctx, env, secrets)?;
    let mut pointers = pointers(raw, ctx)?;
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let opts = options(&own, ctx, &mut pointers)?;
    Ok(req.spec(name, pointers, SourceKind::Poll(opts)))
}

/// A polling preset: what `preset = "…"` fills in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Preset {
    Stripe,
    Github,
}

/// Polling options: defaults, then the preset, then explicit keys.
fn options(own: &Raw, ctx: &Ctx, pointers: &mut Pointers) -> Result<PollOptions, ConfigError> {
    let mut opts = PollOptions::default();
    if let Some(text) = &own.preset {
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
    if let Some(text) = &own.mode {
        opts.mode = choice(
            ctx,
            "mode",
            text,
            &[("events", PollMode::Events), ("diff", PollMode::Diff)],
        )?;
    }
    if opts.mode == PollMode::Diff {
        let events_only = [
            ("preset", own.preset.is_some()),
            ("items", own.items.is_some()),
            ("order", own.order.is_some()),
            ("cursor_param", own.cursor_param.is_some()),
            ("has_more", own.has_more.is_some()),
        ];
        if let Some((key, _)) = events_only.iter().find(|(_, present)| *present) {
            return Err(ctx.invalid(*key, "applies only to mode = \"events\""));
        }
    }
    if let Some(text) = &own.interval {
        let interval = duration(ctx, "interval", text)?;
        if interval < MIN_INTERVAL {
            return Err(ctx.invalid("interval", format!("must be at least 100ms, got {text:?}")));
        }
        opts.interval = interval;
    }
    if let Some(items) = pointer(ctx, "items", own.items.as_deref())? {
        opts.items = Some(items);
    }
    if let Some(text) = &own.order {
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
    if let Some(param) = &own.cursor_param {
        // "" turns a preset's cursor off: dedupe by id instead.
        opts.cursor_param = Some(param.clone()).filter(|p| !p.is_empty());
    }
    if let Some(has_more) = pointer(ctx, "has_more", own.has_more.as_deref())? {
        opts.has_more = Some(has_more);
    }
    if let Some(limit) = in_range(ctx, "limit", own.limit, LIMIT_RANGE)? {
        opts.limit = Some(limit);
    }
    Ok(opts)
}

/// One task per source.
fn start(sources: Started) -> Vec<JoinHandle<()>> {
    each_with(sources, options_of, super::run)
}

/// This kind's options in a spec's kind.
fn options_of(kind: &SourceKind) -> Option<&PollOptions> {
    match kind {
        SourceKind::Poll(opts) => Some(opts),
        _ => None,
    }
}

impl From<PollOptions> for SourceKind {
    fn from(opts: PollOptions) -> Self {
        SourceKind::Poll(opts)
    }
}
