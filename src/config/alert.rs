//! `[[alert]]` tables (SPEC 11.2): their raw schema and their validation
//! into [`AlertSpec`]s. Errors name the table as `alert[N]` (0-based, as
//! type errors do) and the key, and say why.

use serde::Deserialize;

use super::ConfigError;
use super::kit::{Ctx, duration};
use super::raw::KeyCheck;
use crate::alert::{
    AlertSpec, DEFAULT_EXEC_TIMEOUT, EXEC_TIMEOUT_RANGE, Exec, MAX_ALERTS, Notify, Rule, parse_rate,
    parse_silent,
};
use crate::filter::Filter;

/// Keys an `[[alert]]` table may have.
pub(super) const ALERT_KEYS: &[&str] = &[
    "name",
    "when",
    "rate",
    "silent",
    "each",
    "notify",
    "exec",
    "exec_timeout",
];

/// Longest alert name accepted.
pub const MAX_ALERT_NAME: usize = 128;
/// Most arguments of an `exec`.
pub const MAX_EXEC_ARGS: usize = 64;

/// One `[[alert]]` as written; every key optional.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, expecting = "a table ([[alert]])")]
pub struct RawAlert {
    pub name: Option<String>,
    pub when: Option<String>,
    pub rate: Option<String>,
    pub silent: Option<String>,
    pub each: Option<bool>,
    pub notify: Option<Vec<String>>,
    pub exec: Option<Vec<String>>,
    pub exec_timeout: Option<String>,
}

/// Reject unknown keys of the `[[alert]]` tables, and `[alert]` written
/// as a single table.
pub(super) fn check_unknown_keys(
    table: &toml::Table,
    file: &str,
    unknown: &KeyCheck,
) -> Result<(), ConfigError> {
    match table.get("alert") {
        Some(toml::Value::Array(alerts)) => {
            for (index, alert) in alerts.iter().enumerate() {
                if let Some(keys) = alert.as_table() {
                    unknown(keys, ALERT_KEYS, &|| format!("alert[{index}]"))?;
                }
            }
            Ok(())
        }
        Some(toml::Value::Table(_)) => Err(ConfigError::Invalid {
            file: file.to_owned(),
            at: "top level".to_owned(),
            key: "alert".to_owned(),
            message: "write each alert as [[alert]] (an array of tables), not [alert]".to_owned(),
        }),
        _ => Ok(()),
    }
}

/// Validate every `[[alert]]`.
pub(super) fn alerts(raw: Vec<RawAlert>, file: &str) -> Result<Vec<AlertSpec>, ConfigError> {
    if raw.len() > MAX_ALERTS {
        return Err(ConfigError::Invalid {
            file: file.to_owned(),
            at: "top level".to_owned(),
            key: "alert".to_owned(),
            message: format!("{} alerts given; at most {MAX_ALERTS} are supported", raw.len()),
        });
    }
    let mut out: Vec<AlertSpec> = Vec::with_capacity(raw.len());
    for (index, a) in raw.into_iter().enumerate() {
        let ctx = Ctx {
            file,
            at: format!("alert[{index}]"),
        };
        let spec = alert(a, &ctx)?;
        if let Some(first) = out.iter().position(|s| s.name == spec.name) {
            return Err(ctx.invalid(
                "name",
                format!(
                    "{:?} is already the name of alert[{first}]; names must be unique",
                    spec.name
                ),
            ));
        }
        out.push(spec);
    }
    Ok(out)
}

/// One `[[alert]]`.
fn alert(a: RawAlert, ctx: &Ctx) -> Result<AlertSpec, ConfigError> {
    let missing = |key: &'static str| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key,
    };
    let name = a.name.ok_or_else(|| missing("name"))?;
    let name = name.trim().to_owned();
    if name.is_empty() || name.chars().count() > MAX_ALERT_NAME || name.chars().any(char::is_control) {
        return Err(ctx.invalid(
            "name",
            format!("{name:?}: write 1 to {MAX_ALERT_NAME} characters, no control characters"),
        ));
    }
    let when_text = a.when.ok_or_else(|| missing("when"))?;
    let when = Filter::parse(&when_text).map_err(|e| ctx.invalid("when", e.to_string()))?;
    let rule = rule(&a.rate, &a.silent, a.each, ctx)?;
    let notify = parse_notify(a.notify.as_deref().unwrap_or_default(), ctx)?;
    let exec = match a.exec {
        None => {
            if a.exec_timeout.is_some() {
                return Err(ctx.invalid("exec_timeout", "applies only with `exec`"));
            }
            None
        }
        Some(argv) => Some(parse_exec(argv, a.exec_timeout.as_deref(), ctx)?),
    };
    Ok(AlertSpec {
        name,
        when,
        rule,
        notify,
        exec,
    })
}

/// Exactly one of `rate`, `silent`, `each = true`.
fn rule(
    rate: &Option<String>,
    silent: &Option<String>,
    each: Option<bool>,
    ctx: &Ctx,
) -> Result<Rule, ConfigError> {
    let given: Vec<&str> = [
        rate.as_ref().map(|_| "rate"),
        silent.as_ref().map(|_| "silent"),
        each.map(|_| "each"),
    ]
    .into_iter()
    .flatten()
    .collect();
    if given.len() > 1 {
        return Err(ctx.invalid(
            given[1],
            format!(
                "give exactly one of `rate`, `silent` and `each`, not `{}` and `{}`",
                given[0], given[1]
            ),
        ));
    }
    if let Some(text) = rate {
        let (op, count, window) = parse_rate(text).map_err(|e| ctx.invalid("rate", e))?;
        return Ok(Rule::Rate { op, count, window });
    }
    if let Some(text) = silent {
        return Ok(Rule::Silent(
            parse_silent(text).map_err(|e| ctx.invalid("silent", e))?,
        ));
    }
    match each {
        Some(true) => Ok(Rule::Each),
        Some(false) => Err(ctx.invalid(
            "each",
            "`each = false` is no rule; give `each = true`, `rate` or `silent`",
        )),
        None => Err(ctx.invalid(
            "when",
            "an alert needs a rule: `rate = \"> 5/1m\"`, `silent = \"2m\"` or `each = true`",
        )),
    }
}

/// `notify = ["bell", "desktop"]`.
pub fn parse_notify(items: &[String], ctx: &Ctx) -> Result<Notify, ConfigError> {
    let mut n = Notify::default();
    for item in items {
        match item.as_str() {
            "bell" => n.bell = true,
            "desktop" => n.desktop = true,
            other => {
                return Err(ctx.invalid(
                    "notify",
                    format!("{other:?} is not a notification; use \"bell\" and/or \"desktop\""),
                ));
            }
        }
    }
    Ok(n)
}

/// `exec = [argv…]` and `exec_timeout`.
pub fn parse_exec(argv: Vec<String>, timeout: Option<&str>, ctx: &Ctx) -> Result<Exec, ConfigError> {
    if argv.is_empty() || argv[0].trim().is_empty() {
        return Err(ctx.invalid(
            "exec",
            "give the program and its arguments, e.g. [\"/usr/local/bin/page-me\", \"--severity\", \"high\"]",
        ));
    }
    if argv.len() > MAX_EXEC_ARGS {
        return Err(ctx.invalid(
            "exec",
            format!("{} arguments; at most {MAX_EXEC_ARGS}", argv.len()),
        ));
    }
    if let Some(bad) = argv.iter().find(|a| a.contains('\0')) {
        return Err(ctx.invalid("exec", format!("{bad:?} contains a NUL character")));
    }
    let timeout = match timeout {
        None => DEFAULT_EXEC_TIMEOUT,
        Some(t) => {
            let d = duration(ctx, "exec_timeout", t)?;
            if !EXEC_TIMEOUT_RANGE.contains(&d) {
                return Err(ctx.invalid(
                    "exec_timeout",
                    format!(
                        "{t:?} is outside {} to {}",
                        crate::source::fmt_duration(*EXEC_TIMEOUT_RANGE.start()),
                        crate::source::fmt_duration(*EXEC_TIMEOUT_RANGE.end())
                    ),
                ));
            }
            d
        }
    };
    Ok(Exec { argv, timeout })
}
