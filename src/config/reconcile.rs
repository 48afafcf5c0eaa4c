//! `[[reconcile]]` (SPEC 11.3): a poll source listing a provider's events
//! (its truth) paired with a webhook source receiving the same events.
//! Read in the raw step like `[[source]]` (unknown keys, TOML types) and
//! validated after the sources, since it names them: `listed` must list
//! events and `delivered` receive deliveries (each kind says whether it
//! can: [`crate::source::SourceKind::as_listed`], `as_delivered`), `within`
//! longer than the listed source's poll interval.

use std::time::Duration;

use serde::Deserialize;

use super::kit::{Ctx, duration};
use super::{ConfigError, MAX_NAME_LEN, SourceSpec};

/// Keys a `[[reconcile]]` table may have.
pub(super) const RECONCILE_KEYS: &[&str] = &[
    "name",
    "listed",
    "delivered",
    "within",
    "notify",
    "exec",
    "exec_timeout",
];

/// Longest `within` accepted: ids are kept this long (plus a poll
/// interval), so a typo (`2h` for `2m`) cannot keep a day of ids.
pub const MAX_WITHIN: Duration = Duration::from_secs(60 * 60);

/// One `[[reconcile]]`, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReconcileSpec {
    /// Shown in every finding (`reconcile: NAME: not delivered ID`).
    pub name: String,
    /// The poll source (events mode) whose list is the provider's truth.
    pub listed: String,
    /// The webhook source receiving the same events.
    pub delivered: String,
    /// How long a listed id may wait for its delivery, and a delivery for
    /// its listing.
    pub within: Duration,
    /// The listed source's poll interval: ids are forgotten `within` plus
    /// this after they were first seen (a listing can be an interval late).
    pub interval: Duration,
    /// How a finding notifies, as an `[[alert]]`'s `notify` does.
    pub notify: crate::alert::Notify,
    /// What a finding runs, as an `[[alert]]`'s `exec` does.
    pub exec: Option<crate::alert::Exec>,
}

/// One `[[reconcile]]` table as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([[reconcile]])")]
pub(super) struct RawReconcile {
    pub name: Option<String>,
    pub listed: Option<String>,
    pub delivered: Option<String>,
    pub within: Option<String>,
    pub notify: Option<Vec<String>>,
    pub exec: Option<Vec<String>>,
    pub exec_timeout: Option<String>,
}

/// How a `[[reconcile]]` is named in messages: `reconcile[0]` (0-based, as
/// in type errors, and as the brief's error format asks).
fn label(index: usize) -> String {
    format!("reconcile[{index}]")
}

/// Validate every `[[reconcile]]` against the sources already validated.
pub(super) fn validate(
    raw: Vec<RawReconcile>,
    sources: &[SourceSpec],
    file: &str,
) -> Result<Vec<ReconcileSpec>, ConfigError> {
    let mut out: Vec<ReconcileSpec> = Vec::with_capacity(raw.len());
    for (index, r) in raw.into_iter().enumerate() {
        let ctx = Ctx {
            file,
            at: label(index),
        };
        let required = |value: Option<String>, key: &'static str| {
            value.ok_or_else(|| ConfigError::Missing {
                file: file.to_owned(),
                at: ctx.at.clone(),
                key,
            })
        };
        let name = required(r.name, "name")?;
        check_label(&name).map_err(|m| ctx.invalid("name", m))?;
        if let Some(first) = out.iter().position(|o| o.name == name) {
            return Err(ctx.invalid(
                "name",
                format!("{name:?} is already the name of reconcile[{first}]; names must be unique"),
            ));
        }
        let listed = required(r.listed, "listed")?;
        let delivered = required(r.delivered, "delivered")?;
        let within_text = required(r.within, "within")?;
        let interval = find(&ctx, "listed", &listed, sources)?
            .kind
            .as_listed()
            .map_err(|why| ctx.invalid("listed", format!("source {listed:?} {why}")))?;
        find(&ctx, "delivered", &delivered, sources)?
            .kind
            .as_delivered()
            .map_err(|why| ctx.invalid("delivered", format!("source {delivered:?} {why}")))?;
        let within = duration(&ctx, "within", &within_text)?;
        if within <= interval {
            return Err(ctx.invalid(
                "within",
                format!(
                    "{within_text:?} is not longer than source {listed:?}'s poll interval ({}); every delivery would be reported not listed before the next poll could list it",
                    humantime::format_duration(interval)
                ),
            ));
        }
        if within > MAX_WITHIN {
            return Err(ctx.invalid(
                "within",
                format!(
                    "{within_text:?} is longer than {}, the most ids are kept for",
                    humantime::format_duration(MAX_WITHIN)
                ),
            ));
        }
        if let Some(first) = out
            .iter()
            .position(|o| o.listed == listed && o.delivered == delivered)
        {
            return Err(ctx.invalid(
                "delivered",
                format!("reconcile[{first}] already pairs {listed:?} with {delivered:?}"),
            ));
        }
        let notify = super::parse_notify(r.notify.as_deref().unwrap_or_default(), &ctx)?;
        let exec = match r.exec {
            None if r.exec_timeout.is_some() => {
                return Err(ctx.invalid("exec_timeout", "applies only with `exec`"));
            }
            None => None,
            Some(argv) => Some(super::parse_exec(argv, r.exec_timeout.as_deref(), &ctx)?),
        };
        out.push(ReconcileSpec {
            name,
            listed,
            delivered,
            within,
            interval,
            notify,
            exec,
        });
    }
    Ok(out)
}

/// A pairing's name is a label (`"stripe webhooks"`, as in SPEC 11.3):
/// any text of 1 to [`MAX_NAME_LEN`] characters without control
/// characters, since it is printed in every finding.
fn check_label(name: &str) -> Result<(), String> {
    if name.trim().is_empty() {
        return Err("must not be empty".to_owned());
    }
    if name.chars().count() > MAX_NAME_LEN {
        return Err(format!("{name:?} is longer than {MAX_NAME_LEN} characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(format!("{name:?} contains a control character"));
    }
    Ok(())
}

/// The source named `name`, or an error naming `key` (and the nearest
/// name, when one is a likely misspelling).
fn find<'a>(
    ctx: &Ctx,
    key: &str,
    name: &str,
    sources: &'a [SourceSpec],
) -> Result<&'a SourceSpec, ConfigError> {
    if let Some(s) = sources.iter().find(|s| s.name == name) {
        return Ok(s);
    }
    let names: Vec<&str> = sources.iter().map(|s| s.name.as_str()).collect();
    let hint = match crate::filter::nearest_word(name, &names) {
        Some(near) => format!("; did you mean {near:?}?"),
        None if names.is_empty() => "; there are no sources".to_owned(),
        None => format!("; sources: {}", super::kit::quoted_list(&names, "and")),
    };
    Err(ctx.invalid(key, format!("no source is named {name:?}{hint}")))
}
