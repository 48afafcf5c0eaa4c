//! Webhook metadata terms (SPEC 5, 7.1): `verified:true|false|none`,
//! `attempt OP N` and `forward:2xx|5xx|502`. They look at what a webhook
//! delivery recorded besides its body (through [`EventMeta::term`]), never at the data;
//! an event from any other kind of source never matches one (so `-verified:false`
//! holds for it).

use crate::event::{Meta as EventMeta, MetaValue};

/// One webhook metadata test.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Meta {
    /// `verified:true` / `false` / `none` (`none`: `verify = "none"`).
    Verified(Option<bool>),
    /// `attempt OP N`: the delivery's attempt number (1 for a first).
    Attempt(AttemptOp, u32),
    /// `forward:2xx` (a class) or `forward:502` (one status): what the app
    /// behind `forward_to` answered. A delivery that was not forwarded
    /// never matches.
    Forward(ForwardMatch),
}

/// How `attempt` compares.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum AttemptOp {
    Eq,
    Ne,
    Gt,
    Ge,
    Lt,
    Le,
}

/// A `forward:` pattern.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum ForwardMatch {
    /// `4xx`: the statuses 400–499.
    Class(u16),
    /// `502`: exactly that status.
    Status(u16),
}

impl Meta {
    /// Whether the test holds for an event's metadata (`None`, or metadata
    /// without the term's value, never matches).
    pub(super) fn holds(&self, meta: Option<&EventMeta>) -> bool {
        let Some(meta) = meta else {
            return false;
        };
        let number = |term| match meta.term(term) {
            Some(MetaValue::Number(n)) => Some(n),
            _ => None,
        };
        match *self {
            Meta::Verified(want) => meta.term("verified") == Some(MetaValue::Flag(want)),
            Meta::Attempt(op, n) => {
                let Some(a) = number("attempt") else {
                    return false;
                };
                let n = u64::from(n);
                match op {
                    AttemptOp::Eq => a == n,
                    AttemptOp::Ne => a != n,
                    AttemptOp::Gt => a > n,
                    AttemptOp::Ge => a >= n,
                    AttemptOp::Lt => a < n,
                    AttemptOp::Le => a <= n,
                }
            }
            Meta::Forward(m) => number("forward").is_some_and(|status| match m {
                ForwardMatch::Class(c) => status / 100 == u64::from(c),
                ForwardMatch::Status(s) => status == u64::from(s),
            }),
        }
    }
}

/// The value of `verified:VALUE`.
pub(super) fn verified(value: &str) -> Result<Meta, String> {
    match value {
        "true" => Ok(Meta::Verified(Some(true))),
        "false" => Ok(Meta::Verified(Some(false))),
        "none" => Ok(Meta::Verified(None)),
        _ => Err("expected `verified:true`, `verified:false` or `verified:none`".to_owned()),
    }
}

/// What follows `attempt`: an operator and a whole number (`>1`, `=2`).
pub(super) fn attempt(rest: &str) -> Result<Meta, String> {
    const OPS: [(&str, AttemptOp); 6] = [
        ("!=", AttemptOp::Ne),
        (">=", AttemptOp::Ge),
        ("<=", AttemptOp::Le),
        ("=", AttemptOp::Eq),
        (">", AttemptOp::Gt),
        ("<", AttemptOp::Lt),
    ];
    let expected = "expected an operator and a whole number, like `attempt>1` or `attempt=2`";
    let Some((op, n)) = OPS
        .iter()
        .find_map(|(text, op)| rest.strip_prefix(text).map(|n| (*op, n)))
    else {
        return Err(expected.to_owned());
    };
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return Err(expected.to_owned());
    }
    let n = n
        .parse()
        .map_err(|_| format!("attempt number `{n}` is too large"))?;
    Ok(Meta::Attempt(op, n))
}

/// The value of `forward:VALUE`: `1xx`–`5xx` or a status 100–599.
pub(super) fn forward(value: &str) -> Result<Meta, String> {
    let b = value.as_bytes();
    let class = match b {
        [d @ b'1'..=b'5', b'x' | b'X', b'x' | b'X'] => Some(u16::from(d - b'0')),
        _ => None,
    };
    if let Some(c) = class {
        return Ok(Meta::Forward(ForwardMatch::Class(c)));
    }
    match value.parse::<u16>() {
        Ok(s) if b.len() == 3 && (100..=599).contains(&s) => Ok(Meta::Forward(ForwardMatch::Status(s))),
        _ => Err("expected a status class or code, like `forward:5xx` or `forward:502`".to_owned()),
    }
}
