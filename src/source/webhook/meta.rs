//! What a webhook delivery records besides its body (SPEC 7.1): the
//! `"webhook"` object of its NDJSON line, its feed mark (`✓↻2`), its lines
//! in the detail pane and its filter terms (`verified:`, `attempt`,
//! `forward:`).

use super::super::registry::{DetailLine, MetaValue, Tone};

/// What a webhook delivery records besides its body (SPEC 7.1), exactly as
/// the NDJSON line's `"webhook"` object carries it.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct WebhookMeta {
    /// `true` or `false` after verification; `null` with `verify = "none"`.
    pub verified: Option<bool>,
    /// Why verification failed (no header, bad signature, timestamp
    /// outside tolerance); never the secret.
    pub reason: Option<String>,
    /// The request headers, names in lower case, secret-bearing values
    /// masked.
    pub headers: std::collections::BTreeMap<String, String>,
    /// What the app behind `forward_to` answered, when forwarding.
    pub forward: Option<Forward>,
    /// 1 for a first delivery; n for the n-th delivery of the same id.
    pub attempt: u32,
}

impl WebhookMeta {
    /// A short mark for a feed row or a text line: `✓` verified, `✗` failed
    /// verification, `↻N` the N-th delivery of an id, `→502` the app behind
    /// `forward_to` answered with an error (or could not be reached);
    /// empty for a first, unverified, unforwarded delivery. Made only of
    /// these symbols and numbers, so it is inert.
    pub fn mark(&self) -> String {
        let mut out = String::new();
        match self.verified {
            Some(true) => out.push('✓'),
            Some(false) => out.push('✗'),
            None => {}
        }
        if self.attempt > 1 {
            out.push_str(&format!("↻{}", self.attempt));
        }
        if let Some(f) = self.forward.filter(|f| f.status >= 400) {
            out.push_str(&format!("→{}", f.status));
        }
        out
    }

    /// Whether the mark reports a problem (failed verification, or the app
    /// answered with an error).
    pub fn is_problem(&self) -> bool {
        self.verified == Some(false) || self.forward.is_some_and(|f| f.status >= 400)
    }
}

/// The forwarded delivery's outcome: the app's status (502 when it could
/// not be reached) and the round trip in milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Forward {
    pub status: u16,
    pub ms: u64,
}

impl WebhookMeta {
    /// The NDJSON member this metadata is written as.
    pub const NDJSON_KEY: &'static str = "webhook";

    /// How the mark shows: a problem, a redelivery, or fine.
    pub fn tone(&self) -> Tone {
        if self.is_problem() {
            Tone::Bad
        } else if self.attempt > 1 {
            Tone::Warn
        } else {
            Tone::Ok
        }
    }

    /// A filter term's value: `verified`, `attempt`, `forward` (the app's
    /// status; `None` when not forwarded).
    pub fn term(&self, name: &str) -> Option<MetaValue> {
        match name {
            "verified" => Some(MetaValue::Flag(self.verified)),
            "attempt" => Some(MetaValue::Number(u64::from(self.attempt))),
            "forward" => self.forward.map(|f| MetaValue::Number(u64::from(f.status))),
            _ => None,
        }
    }

    /// The detail pane's lines: verified (and why not), attempt, what the
    /// app answered, the request headers.
    pub fn detail(&self) -> Vec<DetailLine> {
        let mut lines = Vec::new();
        let (verified, tone) = match (self.verified, &self.reason) {
            (Some(true), _) => ("yes ✓".to_owned(), Tone::Ok),
            (Some(false), reason) => (
                format!("NO ✗ — {}", reason.as_deref().unwrap_or("failed")),
                Tone::Bad,
            ),
            (None, _) => ("not checked (verify = \"none\")".to_owned(), Tone::Dim),
        };
        lines.push(DetailLine::Field("verified", verified, tone));
        let attempt = if self.attempt > 1 {
            (format!("{} ↻ redelivery", self.attempt), Tone::Warn)
        } else {
            ("1".to_owned(), Tone::Plain)
        };
        lines.push(DetailLine::Field("attempt", attempt.0, attempt.1));
        if let Some(fwd) = self.forward {
            let tone = if fwd.status >= 400 { Tone::Bad } else { Tone::Ok };
            let what = if fwd.status == 502 {
                " (app unreachable or 502)"
            } else {
                ""
            };
            lines.push(DetailLine::Field(
                "forward",
                format!("HTTP {}{what} in {} ms", fwd.status, fwd.ms),
                tone,
            ));
        }
        lines.push(DetailLine::Field("headers", String::new(), Tone::Plain));
        for (name, value) in &self.headers {
            lines.push(DetailLine::Pair(name.clone(), value.clone()));
        }
        lines
    }
}
