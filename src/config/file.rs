//! `kind = "file"`: a recording replayed as one source (`path`, `follow`,
//! `speed`). It has no `url` and no `headers`; its `url` in [`SourceSpec`]
//! is `file://PATH`, shown in the sources view.

use super::raw::RawSource;
use super::validate::{Ctx, pointer};
use super::{ConfigError, FileOptions, SourceKind, SourceSpec, Speed};
use crate::event::Pointers;

/// A recording replayed (`kind = "file"`): `path`, `follow`, `speed`; no
/// `url` or `headers`. Every recorded event shows under this source's name.
pub(super) fn source(raw: &RawSource, name: String, ctx: &Ctx) -> Result<SourceSpec, ConfigError> {
    for (key, present) in [("url", raw.url.is_some()), ("headers", raw.headers.is_some())] {
        if present {
            return Err(ctx.invalid(key, "does not apply to kind = \"file\" (it reads `path`)"));
        }
    }
    let path = raw
        .path
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ConfigError::Missing {
            file: ctx.file.to_owned(),
            at: ctx.at.clone(),
            key: "path",
        })?;
    let speed = raw.speed.unwrap_or(1.0);
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
        pointers: Pointers {
            type_pointer: pointer(ctx, "type_pointer", raw.type_pointer.as_deref())?,
            id_pointer: pointer(ctx, "id_pointer", raw.id_pointer.as_deref())?,
            time_pointer: pointer(ctx, "time_pointer", raw.time_pointer.as_deref())?,
        },
        kind: SourceKind::File(FileOptions {
            path: path.into(),
            follow: raw.follow.unwrap_or(false),
            speed: Speed(speed),
            routes: Vec::new(),
            patched: false,
        }),
        named_after_host: false,
    })
}
