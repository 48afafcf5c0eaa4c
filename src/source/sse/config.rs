//! `kind = "sse"`: its keys (`patch`, `idle_timeout`) and their validation,
//! besides the `url` and `headers` of every kind that makes requests.

use serde::Deserialize;

use tokio::task::JoinHandle;

use super::super::registry::{Kind, SourceKind, Started, each_with};
use crate::config::kit::{Ctx, Env, RawSource, duration, pointers, requested};
use crate::config::{ConfigError, SourceSpec, SseOptions};

/// The keys only SSE sources take.
pub const KEYS: &[&str] = &["patch", "idle_timeout"];

/// The SSE kind, as the registry lists it.
pub static KIND: Kind = Kind {
    name: "sse",
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

/// The SSE keys as written.
#[derive(Deserialize)]
struct Raw {
    patch: Option<bool>,
    idle_timeout: Option<String>,
}

/// A `[[source]]` with `kind = "sse"` (or no `kind`).
fn parse(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    let req = requested(raw, ctx, env, secrets)?;
    let pointers = pointers(raw, ctx)?;
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let mut opts = SseOptions::default();
    if let Some(patch) = own.patch {
        opts.patch = patch;
    }
    if let Some(text) = &own.idle_timeout {
        opts.idle_timeout = if text.trim().eq_ignore_ascii_case("off") {
            None
        } else {
            Some(duration(ctx, "idle_timeout", text)?).filter(|d| !d.is_zero())
        };
    }
    Ok(req.spec(name, pointers, SourceKind::Sse(opts)))
}

/// One task per source.
fn start(sources: Started) -> Vec<JoinHandle<()>> {
    each_with(sources, options_of, super::run)
}

/// This kind's options in a spec's kind.
fn options_of(kind: &SourceKind) -> Option<&SseOptions> {
    match kind {
        SourceKind::Sse(opts) => Some(opts),
        _ => None,
    }
}

impl From<SseOptions> for SourceKind {
    fn from(opts: SseOptions) -> Self {
        SourceKind::Sse(opts)
    }
}
