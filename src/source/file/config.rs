//! `kind = "file"`: a recording replayed as one source (`path`, `follow`,
//! `speed`). It has no `url` and no `headers`; its `url` in [`SourceSpec`]
//! is `file://PATH`, shown in the sources view.

use serde::Deserialize;
use tokio::task::JoinHandle;

use super::super::Status;
use super::super::registry::{Kind, SourceKind, Started};
use crate::config::kit::{Ctx, Env, RawSource, pointers};
use crate::config::{ConfigError, FileOptions, SourceSpec, Speed};

/// The keys only recordings take.
pub const KEYS: &[&str] = &["path", "follow", "speed"];

/// The recording kind, as the registry lists it. Its live status is the
/// replay's progress.
pub static KIND: Kind = Kind {
    name: "file",
    keys: KEYS,
    types: |raw, file| raw.options::<Raw>(file, KEYS).map(drop),
    requests: false,
    parse,
    start,
    progress: true,
    view_line: None,
    check_all: None,
    cli_url: None,
};

/// The recording keys as written.
#[derive(Deserialize)]
struct Raw {
    path: Option<String>,
    follow: Option<bool>,
    speed: Option<f64>,
}

/// One task per recording; a route (another source name in a recording,
/// fed by the recording's task) only says where its events come from.
fn start(sources: Started) -> Vec<JoinHandle<()>> {
    sources
        .into_iter()
        .map(|(spec, ctx)| match &spec.kind {
            SourceKind::File(opts) => {
                let opts = opts.clone();
                ctx.tasks.clone().spawn(super::run(spec, opts, ctx))
            }
            _ => ctx.tasks.clone().spawn(async move {
                ctx.status(Status::Live(format!("from {}", spec.url_display)))
                    .await;
            }),
        })
        .collect()
}

/// A recording replayed (`kind = "file"`): `path`, `follow`, `speed`; no
/// `url` or `headers`. Every recorded event shows under this source's name.
fn parse(
    raw: &RawSource,
    name: String,
    ctx: &Ctx,
    _env: Env,
    _secrets: &mut Vec<String>,
) -> Result<SourceSpec, ConfigError> {
    for (key, present) in [("url", raw.url.is_some()), ("headers", raw.headers.is_some())] {
        if present {
            return Err(ctx.invalid(key, "does not apply to kind = \"file\" (it reads `path`)"));
        }
    }
    let own: Raw = raw.options(ctx.file, KEYS)?;
    let path = own
        .path
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ConfigError::Missing {
            file: ctx.file.to_owned(),
            at: ctx.at.clone(),
            key: "path",
        })?;
    let speed = own.speed.unwrap_or(1.0);
    if !speed.is_finite() || speed < 0.0 {
        return Err(ctx.invalid(
            "speed",
            format!("must be a number ≥ 0 (0 = as fast as possible), got {speed}"),
        ));
    }
    let display = format!("file://{path}");
    Ok(SourceSpec {
        name,
        url: display.clone(),
        url_display: display,
        headers: Vec::new(),
        pointers: pointers(raw, ctx)?,
        kind: SourceKind::File(FileOptions {
            path: path.into(),
            follow: own.follow.unwrap_or(false),
            speed: Speed(speed),
            routes: Vec::new(),
            patched: false,
        }),
        named_after_host: false,
    })
}

impl From<FileOptions> for SourceKind {
    fn from(opts: FileOptions) -> Self {
        SourceKind::File(opts)
    }
}

/// Another source name found in a recording, fed by the recording's source
/// (`patched`: the recording has state snapshots for it).
pub fn route(patched: bool) -> SourceKind {
    SourceKind::FileRoute { patched }
}

/// A recording's options, when `kind` is a recording.
pub fn options_mut(kind: &mut SourceKind) -> Option<&mut FileOptions> {
    match kind {
        SourceKind::File(opts) => Some(opts),
        _ => None,
    }
}
