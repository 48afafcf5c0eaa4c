//! `${VAR}` expansion in `url` and header values, and masking of the values
//! it produced wherever text is shown.
//!
//! Syntax: `${NAME}` with `NAME` = `[A-Za-z_][A-Za-z0-9_]*` is replaced by the
//! variable's value; `$$` is a literal `$`; any other `$` is an error (so
//! `$TOKEN`, a likely slip for `${TOKEN}`, is caught rather than sent).

use std::borrow::Cow;

/// A string with its `${VAR}`s expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expanded {
    /// What is used: variables replaced by their values.
    pub value: String,
    /// What is shown: variables replaced by `***`.
    pub display: String,
    /// Whether any part came from a variable.
    pub from_env: bool,
    /// The non-empty values substituted, in order.
    pub secrets: Vec<String>,
}

/// Why a string could not be expanded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpandError {
    /// `${NAME}` names a variable that is not set.
    Unset(String),
    /// The `$` syntax is wrong; the message says how.
    Syntax(String),
}

/// Expand `${VAR}` and `$$` in `template`, looking variables up in `env`.
pub fn expand(template: &str, env: &dyn Fn(&str) -> Option<String>) -> Result<Expanded, ExpandError> {
    let mut out = Expanded {
        value: String::with_capacity(template.len()),
        display: String::with_capacity(template.len()),
        from_env: false,
        secrets: Vec::new(),
    };
    let mut rest = template;
    while let Some(dollar) = rest.find('$') {
        out.value.push_str(&rest[..dollar]);
        out.display.push_str(&rest[..dollar]);
        let after = &rest[dollar + 1..];
        if let Some(tail) = after.strip_prefix('$') {
            out.value.push('$');
            out.display.push('$');
            rest = tail;
        } else if let Some(tail) = after.strip_prefix('{') {
            let Some(end) = tail.find('}') else {
                return Err(ExpandError::Syntax(
                    "`${` without a closing `}`; write `$$` for a literal `$`".to_owned(),
                ));
            };
            let var = &tail[..end];
            if !is_var_name(var) {
                return Err(ExpandError::Syntax(format!(
                    "{var:?} is not a variable name (letters, digits and `_`, not starting with a digit)"
                )));
            }
            let value = env(var).ok_or_else(|| ExpandError::Unset(var.to_owned()))?;
            out.value.push_str(&value);
            out.display.push_str("***");
            out.from_env = true;
            if !value.is_empty() {
                out.secrets.push(value);
            }
            rest = &tail[end + 1..];
        } else {
            return Err(ExpandError::Syntax(
                "a `$` must start `${NAME}`; write `$$` for a literal `$`".to_owned(),
            ));
        }
    }
    out.value.push_str(rest);
    out.display.push_str(rest);
    Ok(out)
}

/// `[A-Za-z_][A-Za-z0-9_]*`.
fn is_var_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Replace every occurrence of each secret in `text` with `***`. Empty
/// secrets are ignored; where secrets overlap the longest one wins. Borrows
/// when there is nothing to mask.
pub fn mask_secrets<'a>(text: &'a str, secrets: &[String]) -> Cow<'a, str> {
    let mut secrets: Vec<&str> = secrets
        .iter()
        .map(String::as_str)
        .filter(|s| !s.is_empty() && text.contains(*s))
        .collect();
    if secrets.is_empty() {
        return Cow::Borrowed(text);
    }
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    let mut i = 0;
    while i < text.len() {
        match secrets.iter().find(|s| text[i..].starts_with(**s)) {
            Some(secret) => {
                out.push_str(&text[copied..i]);
                out.push_str("***");
                i += secret.len();
                copied = i;
            }
            None => i += text[i..].chars().next().map_or(1, char::len_utf8),
        }
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}
