//! The raw schema validated into the typed [`Config`]: settings, names,
//! kind/key mismatches, then the source's kind validates the rest. Every
//! error names the file, the source (by name when it has one) and the key.
//!
//! The kinds are listed once, in [`crate::source::registry::KINDS`]; each
//! owns its keys and their validation ([`Kind::parse`]). A key of another
//! kind is rejected generically by [`check_kind_keys`].

use super::kit::{Ctx, Env, check_name, choice, in_range, quoted_list};
use super::raw::{RawFile, RawSettings, RawSource, source_label};
use super::{
    BUFFER_RANGE, Config, ConfigError, FPS_RANGE, MAX_EVENT_BYTES_RANGE, MAX_SOURCES, Settings, SourceSpec,
};
use crate::source::registry::{self, DEFAULT_KIND, KINDS, Kind};

/// Validate a parsed file into a [`Config`].
pub(super) fn validate(mut raw: RawFile, file: &str, env: Env) -> Result<Config, ConfigError> {
    let settings = settings(&raw.settings, file)?;
    if raw.source.len() > MAX_SOURCES {
        return Err(ConfigError::TooManySources {
            count: raw.source.len(),
        });
    }
    let mut secrets: Vec<String> = Vec::new();
    let mut sources: Vec<SourceSpec> = Vec::with_capacity(raw.source.len());
    for (index, raw_source) in std::mem::take(&mut raw.source).into_iter().enumerate() {
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
    registry::check_all(&sources)?;
    let alerts = super::alert::alerts(raw.alert, file)?;
    let reconcile = super::reconcile::validate(raw.reconcile, &sources, file)?;
    let mut seen = std::collections::HashSet::new();
    secrets.retain(|s| seen.insert(s.clone()));
    Ok(Config {
        settings,
        sources,
        reconcile,
        secrets,
        path: None,
        contract: None,
        alerts,
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

/// One `[[source]]` table: name, kind, keys of another kind; then the
/// kind's own validation.
fn source(raw: RawSource, ctx: &Ctx, env: Env, secrets: &mut Vec<String>) -> Result<SourceSpec, ConfigError> {
    let name = raw.name.clone().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "name",
    })?;
    check_name(&name).map_err(|m| ctx.invalid("name", m))?;
    let kind: &Kind = match raw.kind.as_deref() {
        None => DEFAULT_KIND,
        Some(text) => {
            let names: Vec<(&str, usize)> = KINDS.iter().enumerate().map(|(i, k)| (k.name, i)).collect();
            KINDS[choice(ctx, "kind", text, &names)?]
        }
    };
    check_kind_keys(&raw, kind, ctx)?;
    (kind.parse)(&raw, name, ctx, env, secrets)
}

/// Reject keys that belong to another kind of source.
fn check_kind_keys(raw: &RawSource, kind: &Kind, ctx: &Ctx) -> Result<(), ConfigError> {
    if let Some(key) = raw
        .kind_keys(&registry::all_keys())
        .find(|key| !kind.keys.contains(key))
    {
        return Err(ConfigError::KindMismatch {
            file: ctx.file.to_owned(),
            at: ctx.at.clone(),
            key,
            kinds: quoted_list(&registry::owners(Some(key)), "or"),
        });
    }
    Ok(())
}
