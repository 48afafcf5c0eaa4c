//! What a kind of source uses to read its `[[source]]` table: the table
//! itself ([`RawSource`], whose [`RawSource::options`] reads the kind's own
//! keys), where it is for errors ([`Ctx`]), the `${VAR}` lookup ([`Env`])
//! and the checks every kind shares (durations, pointers, choices, URLs,
//! headers). A leaf: it imports nothing of `config/` but the error type, the
//! raw schema and `${VAR}` expansion, so the kinds' modules can use it
//! without a cycle.

use std::fmt::Display;
use std::ops::RangeInclusive;
use std::time::Duration;

use super::expand::ExpandError;
pub use super::expand::{Expanded, expand};
pub use super::raw::RawSource;
use super::{ConfigError, HeaderSpec, MAX_NAME_LEN, is_sensitive_header, parse_duration};
use crate::event::Pointers;

/// The environment lookup every expanding function takes.
pub type Env<'a> = &'a dyn Fn(&str) -> Option<String>;

/// Where in the file a value is, for error messages.
pub struct Ctx<'a> {
    pub file: &'a str,
    /// `[settings]`, `source "payments"` or `source[2]`.
    pub at: String,
}

impl Ctx<'_> {
    pub fn invalid(&self, key: impl Into<String>, message: impl Into<String>) -> ConfigError {
        ConfigError::Invalid {
            file: self.file.to_owned(),
            at: self.at.clone(),
            key: key.into(),
            message: message.into(),
        }
    }

    /// A `${VAR}` problem in `key` as the right error.
    pub fn expand_error(&self, key: &str, e: ExpandError) -> ConfigError {
        match e {
            ExpandError::Unset(var) => ConfigError::UnsetVar {
                file: self.file.to_owned(),
                at: self.at.clone(),
                key: key.to_owned(),
                var,
            },
            ExpandError::Syntax(message) => self.invalid(key, message),
        }
    }
}

/// `value` when it is absent or inside `range`.
pub fn in_range<T: PartialOrd + Display + Copy>(
    ctx: &Ctx,
    key: &str,
    value: Option<T>,
    range: RangeInclusive<T>,
) -> Result<Option<T>, ConfigError> {
    match value {
        Some(v) if !range.contains(&v) => Err(ctx.invalid(
            key,
            format!("must be between {} and {}, got {v}", range.start(), range.end()),
        )),
        _ => Ok(value),
    }
}

/// `headers`, expanded and checked, secrets collected.
pub fn headers(
    raw: &RawSource,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<Vec<HeaderSpec>, ConfigError> {
    let Some(raw_headers) = &raw.headers else {
        return Ok(Vec::new());
    };
    let mut headers: Vec<HeaderSpec> = Vec::with_capacity(raw_headers.0.len());
    for (name, template) in &raw_headers.0 {
        let key = format!("headers.{}", name.escape_debug());
        check_header_name(name).map_err(|m| ctx.invalid(&key, m))?;
        if headers.iter().any(|h| h.name.eq_ignore_ascii_case(name)) {
            return Err(ctx.invalid(&key, "header given twice (names are case-insensitive)"));
        }
        let value = expand(template, env).map_err(|e| ctx.expand_error(&key, e))?;
        check_header_value(&value.value).map_err(|m| ctx.invalid(&key, m))?;
        let sensitive = value.from_env || is_sensitive_header(name);
        secrets.extend(value.secrets);
        headers.push(HeaderSpec {
            name: name.clone(),
            display: if sensitive {
                "***".to_owned()
            } else {
                value.display
            },
            value: value.value,
            sensitive,
        });
    }
    Ok(headers)
}

/// A humantime duration, or an error naming the key.
pub fn duration(ctx: &Ctx, key: &str, text: &str) -> Result<Duration, ConfigError> {
    parse_duration(text).map_err(|m| ctx.invalid(key, m))
}

/// A JSON pointer: `""` or starting with `/`.
pub fn pointer(ctx: &Ctx, key: &str, value: Option<&str>) -> Result<Option<String>, ConfigError> {
    match value {
        Some(p) if !p.is_empty() && !p.starts_with('/') => Err(ctx.invalid(
            key,
            format!(
                "must be a JSON pointer (\"\" or starting with `/`), got {p:?}; did you mean {:?}?",
                format!("/{p}")
            ),
        )),
        _ => Ok(value.map(str::to_owned)),
    }
}

/// One of a fixed set of strings.
pub fn choice<T: Copy>(ctx: &Ctx, key: &str, text: &str, options: &[(&str, T)]) -> Result<T, ConfigError> {
    match options.iter().find(|(name, _)| *name == text) {
        Some((_, value)) => Ok(*value),
        None => {
            let names: Vec<&str> = options.iter().map(|(name, _)| *name).collect();
            Err(ctx.invalid(
                key,
                format!("expected {}, got {text:?}", quoted_list(&names, "or")),
            ))
        }
    }
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
pub fn quoted_list(items: &[&str], last: &str) -> String {
    let quoted: Vec<String> = items.iter().map(|s| format!("{s:?}")).collect();
    match quoted.split_last() {
        None => String::new(),
        Some((only, [])) => only.clone(),
        Some((tail, head)) => format!("{} {last} {tail}", head.join(", ")),
    }
}

/// The source name rule: `[A-Za-z0-9][A-Za-z0-9._-]*`, at most
/// [`MAX_NAME_LEN`] characters.
pub fn check_name(name: &str) -> Result<(), String> {
    if name.is_empty() {
        Err("must not be empty".to_owned())
    } else if name.len() > MAX_NAME_LEN {
        Err(format!(
            "must be at most {MAX_NAME_LEN} characters, got {}",
            name.len()
        ))
    } else if is_name(name) {
        Ok(())
    } else {
        Err(format!(
            "{name:?} must start with a letter or digit and contain only letters, digits, `.`, `_` and `-`"
        ))
    }
}

/// Whether `name` follows the name rule (see [`check_name`]).
pub fn is_name(name: &str) -> bool {
    let mut chars = name.chars();
    name.len() <= MAX_NAME_LEN
        && chars.next().is_some_and(|c| c.is_ascii_alphanumeric())
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// `url` must be an absolute http or https URL.
pub fn check_http_url(url: &str) -> Result<reqwest::Url, String> {
    let parsed = reqwest::Url::parse(url).map_err(|e| format!("not a valid URL ({e})"))?;
    match parsed.scheme() {
        "http" | "https" => Ok(parsed),
        scheme => Err(format!("expected an http or https URL, not {scheme}:")),
    }
}

/// An HTTP header name: one or more token characters (RFC 9110).
pub fn check_header_name(name: &str) -> Result<(), String> {
    let token = |c: char| c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c);
    if !name.is_empty() && name.chars().all(token) {
        Ok(())
    } else {
        Err(format!("{name:?} is not a valid HTTP header name"))
    }
}

/// An HTTP header value: printable ASCII, spaces and tabs. The value is not
/// echoed, as it may be a secret.
pub fn check_header_value(value: &str) -> Result<(), String> {
    if value.chars().all(|c| c == '\t' || (' '..='~').contains(&c)) {
        Ok(())
    } else {
        Err(
            "the value contains a line break, another control character or non-ASCII text; \
             header values must be printable ASCII"
                .to_owned(),
        )
    }
}

/// The three pointers every kind may set: where the type, id and time are.
pub fn pointers(raw: &RawSource, ctx: &Ctx) -> Result<Pointers, ConfigError> {
    Ok(Pointers {
        type_pointer: pointer(ctx, "type_pointer", raw.type_pointer.as_deref())?,
        id_pointer: pointer(ctx, "id_pointer", raw.id_pointer.as_deref())?,
        time_pointer: pointer(ctx, "time_pointer", raw.time_pointer.as_deref())?,
    })
}

/// What a kind that makes requests reads besides its own keys: the
/// required `url` (expanded, an http or https URL) and `headers`.
pub struct Requested {
    /// The URL requested.
    pub url: String,
    /// The URL shown, `${VAR}` parts as `***`.
    pub url_display: String,
    /// The headers sent.
    pub headers: Vec<HeaderSpec>,
}

/// `url` and `headers` of a kind that makes HTTP requests.
pub fn requested(
    raw: &RawSource,
    ctx: &Ctx,
    env: Env,
    secrets: &mut Vec<String>,
) -> Result<Requested, ConfigError> {
    let template = raw.url.as_deref().ok_or_else(|| ConfigError::Missing {
        file: ctx.file.to_owned(),
        at: ctx.at.clone(),
        key: "url",
    })?;
    let url = expand(template, env).map_err(|e| ctx.expand_error("url", e))?;
    check_http_url(&url.value).map_err(|m| ctx.invalid("url", format!("{m}: {:?}", url.display)))?;
    secrets.extend(url.secrets);
    let headers = headers(raw, ctx, env, secrets)?;
    Ok(Requested {
        url: url.value,
        url_display: url.display,
        headers,
    })
}
