//! The texts of an alert's condition: `rate = "> 5/1m"` (an operator, a
//! count, a window) and `silent = "2m"`. Errors are one line for the config
//! to prefix with `alert[N].key`.

use std::time::Duration;

use super::{MAX_RATE_WINDOW, MAX_SILENT};

/// How a `rate` compares the count in its window to its threshold.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateOp {
    /// `>`: more than.
    Gt,
    /// `>=`: at least.
    Ge,
    /// `<`: fewer than.
    Lt,
    /// `<=`: at most.
    Le,
}

impl RateOp {
    /// Whether `count OP threshold` holds.
    pub fn holds(self, count: u64, threshold: u64) -> bool {
        match self {
            RateOp::Gt => count > threshold,
            RateOp::Ge => count >= threshold,
            RateOp::Lt => count < threshold,
            RateOp::Le => count <= threshold,
        }
    }

    /// `>`, `>=`, `<` or `<=`.
    pub fn as_str(self) -> &'static str {
        match self {
            RateOp::Gt => ">",
            RateOp::Ge => ">=",
            RateOp::Lt => "<",
            RateOp::Le => "<=",
        }
    }

    /// Whether the rule fires on too few events (`<`, `<=`): such a rule is
    /// judged only once a whole window has been watched.
    pub fn is_low(self) -> bool {
        matches!(self, RateOp::Lt | RateOp::Le)
    }
}

/// Parse `"> 5/1m"`: an operator (`>`, `>=`, `<`, `<=`), a count, `/`, a
/// window of whole seconds between 1 s and [`MAX_RATE_WINDOW`].
pub fn parse_rate(text: &str) -> Result<(RateOp, u64, Duration), String> {
    let t = text.trim();
    let (op, rest) = if let Some(r) = t.strip_prefix(">=") {
        (RateOp::Ge, r)
    } else if let Some(r) = t.strip_prefix("<=") {
        (RateOp::Le, r)
    } else if let Some(r) = t.strip_prefix('>') {
        (RateOp::Gt, r)
    } else if let Some(r) = t.strip_prefix('<') {
        (RateOp::Lt, r)
    } else {
        return Err(format!(
            "{text:?} does not start with >, >=, < or <=; write e.g. \"> 5/1m\""
        ));
    };
    let Some((count, window)) = rest.split_once('/') else {
        return Err(format!(
            "{text:?} has no /WINDOW; write e.g. \"> 5/1m\" (more than 5 in a minute)"
        ));
    };
    let count: u64 = count
        .trim()
        .parse()
        .map_err(|_| format!("{:?} in {text:?} is not a whole count of events", count.trim()))?;
    let window = window.trim();
    let window = crate::config::parse_duration(window)?;
    if window.subsec_nanos() != 0 || window < Duration::from_secs(1) || window > MAX_RATE_WINDOW {
        return Err(format!(
            "the window of {text:?} must be whole seconds from 1s to {}",
            super::fmt_secs(MAX_RATE_WINDOW.as_secs())
        ));
    }
    if op == RateOp::Lt && count == 0 {
        return Err(format!("{text:?} can never hold: a count is never below 0"));
    }
    Ok((op, count, window))
}

/// Parse `silent = "2m"`: whole seconds from 1 s to [`MAX_SILENT`].
pub fn parse_silent(text: &str) -> Result<Duration, String> {
    let d = crate::config::parse_duration(text)?;
    if d.subsec_nanos() != 0 || d < Duration::from_secs(1) || d > MAX_SILENT {
        return Err(format!(
            "{text:?} must be whole seconds from 1s to {}",
            super::fmt_secs(MAX_SILENT.as_secs())
        ));
    }
    Ok(d)
}
