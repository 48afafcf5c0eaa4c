//! `evtop resend FILE --to URL` (SPEC 7.3): the recorded webhook deliveries
//! in a recording, sent again one at a time, oldest first, with their
//! original bodies and headers — or re-signed with a fresh timestamp
//! (`--verify stripe|github|standard --secret S`), since a recording holds
//! signature headers masked. Prints one line per delivery with the status
//! it got; exits 1 if any did not get a 2xx.
//!
//! Re-signing never launders a forgery: only deliveries evtop verified
//! when they arrived (`"verified": true`) or received without verifying
//! (`null`, `verify = "none"`) are re-signed. Those that failed
//! verification (`false`) are skipped and counted, with or without
//! `--verify`; `--include-unverified` sends them too, but exactly as
//! recorded — never with a fresh signature, so (their signature header
//! being masked in the recording) they arrive unsigned. Skipping is not a
//! failure: the exit code still says whether everything *sent* got a 2xx,
//! and stderr says how many were skipped, why, and which.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::config::Verify;
use crate::filter::Filter;
use crate::recording::parse_line;
use crate::sanitize::inert;
use crate::source::webhook::verify::{github_header, standard_header, stripe_header};

/// Headers never sent again: they describe the old connection, not the
/// delivery.
const HOP_BY_HOP: &[&str] = &[
    "host",
    "content-length",
    "transfer-encoding",
    "connection",
    "keep-alive",
    "te",
    "trailer",
    "upgrade",
    "proxy-authorization",
    "proxy-connection",
];

/// Signature headers, replaced when re-signing.
const SIGNATURES: &[&str] = &[
    "stripe-signature",
    "x-hub-signature",
    "x-hub-signature-256",
    "webhook-signature",
    "webhook-timestamp",
];

/// What to resend, and where.
pub struct ResendOptions {
    /// The recording.
    pub file: PathBuf,
    /// Where to send the deliveries.
    pub to: String,
    /// Only the deliveries this matches.
    pub filter: Filter,
    /// How to re-sign (`Verify::None`: send as recorded).
    pub verify: Verify,
    /// The HMAC key for `verify` (empty with `Verify::None`).
    pub key: Vec<u8>,
    /// Also send the deliveries that failed verification when received,
    /// as recorded and never re-signed (`--include-unverified`).
    pub include_unverified: bool,
    /// `--cacert`, `--insecure`.
    pub tls: crate::config::Tls,
}

/// Ids of skipped deliveries named in the summary; the rest are counted.
const SKIPPED_IDS_SHOWN: usize = 10;

/// Per-request timeout.
const TIMEOUT: Duration = Duration::from_secs(30);

/// What one POST got: its status and, for a status other than 2xx, the
/// quoted body; or why there was none.
type Answer = Result<(reqwest::StatusCode, Option<String>), crate::source::http::TransportError>;

/// Resend; `out` gets one line per delivery, `err` the bad lines. The file
/// is read and the lines written here, on the caller's thread; only each
/// request runs on `rt` (`block_on`), so no blocking read or write ever
/// happens inside the runtime.
pub fn run(
    opts: ResendOptions,
    rt: &tokio::runtime::Runtime,
    out: &mut dyn Write,
    err: &mut dyn Write,
) -> anyhow::Result<u8> {
    let _context = rt.enter();
    let client = crate::source::http::client_builder_for(&opts.tls)?
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("evtop/", env!("CARGO_PKG_VERSION"), " resend"))
        .build()?;
    let file = std::fs::File::open(&opts.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", opts.file.display()))?;
    let (mut sent, mut failed) = (0u64, 0u64);
    let mut skipped = Skipped::default();
    for (i, line) in std::io::BufReader::new(file).lines().enumerate() {
        let line = line?;
        if line.trim().is_empty() {
            continue;
        }
        let rec = match parse_line(&line, 0) {
            Ok(r) => r,
            Err(reason) => {
                writeln!(err, "{}:{}: {}", opts.file.display(), i + 1, inert(&reason))?;
                continue;
            }
        };
        let ev = &rec.event;
        let Some(meta) = ev.meta.as_deref().and_then(|m| m.webhook()) else {
            continue;
        };
        if !opts.filter.matches(&ev.as_ref(&rec.source)) {
            continue;
        }
        let failed_verification = meta.verified == Some(false);
        if failed_verification && !opts.include_unverified {
            skipped.note(ev.id.as_deref(), meta.reason.as_deref());
            continue;
        }
        let body = ev.data.clone().into_bytes();
        // A delivery that failed verification is never re-signed.
        let verify = if failed_verification {
            Verify::None
        } else {
            opts.verify
        };
        let headers = request_headers(meta, ev.id.as_deref(), &body, verify, &opts.key);
        let started = Instant::now();
        let request = client.post(&opts.to).headers(headers).body(body);
        let (ms, answer): (u128, Answer) = rt.block_on(async {
            let result = request.send().await;
            let ms = started.elapsed().as_millis();
            let answer = match result {
                Ok(resp) if resp.status().is_success() => Ok((resp.status(), None)),
                Ok(resp) => {
                    let status = resp.status();
                    Ok((status, Some(crate::source::http::quote_body(resp).await)))
                }
                Err(e) => Err(crate::source::http::TransportError::from(e)),
            };
            (ms, answer)
        });
        let mut what = format!("{} {}", inert(ev.id.as_deref().unwrap_or("-")), inert(&ev.ty));
        if failed_verification {
            what.push_str(" [failed verification, sent as recorded]");
        }
        sent += 1;
        match answer {
            Ok((status, None)) => {
                writeln!(out, "{} {what} ({ms} ms)", status.as_u16())?;
            }
            Ok((status, Some(body))) => {
                failed += 1;
                writeln!(out, "{} {what} ({ms} ms): {}", status.as_u16(), inert(&body))?;
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "ERR {what}: {e}")?;
            }
        }
    }
    if let Some(summary) = skipped.summary() {
        writeln!(err, "{summary}")?;
    }
    writeln!(err, "resent {sent} deliveries, {failed} without a 2xx")?;
    Ok(u8::from(failed > 0))
}

/// The deliveries skipped for having failed verification: how many, why,
/// and the first few ids.
#[derive(Default)]
struct Skipped {
    count: u64,
    /// Reason (up to its first `:`, so "timestamp outside tolerance"
    /// groups whatever the age) → how many.
    reasons: BTreeMap<String, u64>,
    ids: Vec<String>,
}

impl Skipped {
    fn note(&mut self, id: Option<&str>, reason: Option<&str>) {
        self.count += 1;
        let reason = reason.unwrap_or("no reason recorded");
        let reason = reason.split(':').next().unwrap_or(reason).trim();
        *self.reasons.entry(inert(reason).into_owned()).or_default() += 1;
        if self.ids.len() < SKIPPED_IDS_SHOWN {
            self.ids.push(inert(id.unwrap_or("(no id)")).into_owned());
        }
    }

    /// `skipped 2 deliveries that failed verification (1 bad signature,
    /// 1 no Stripe-Signature header): evt_a, evt_b; --include-unverified
    /// sends them as recorded`, or nothing when none were skipped.
    fn summary(&self) -> Option<String> {
        if self.count == 0 {
            return None;
        }
        let why = match self.reasons.len() {
            1 => self.reasons.keys().cloned().collect::<String>(),
            _ => self
                .reasons
                .iter()
                .map(|(reason, n)| format!("{n} {reason}"))
                .collect::<Vec<_>>()
                .join(", "),
        };
        let mut ids = self.ids.join(", ");
        let unnamed = self.count - self.ids.len() as u64;
        if unnamed > 0 {
            ids.push_str(&format!(" and {unnamed} more"));
        }
        let (n, noun) = match self.count {
            1 => ("1".to_owned(), "delivery"),
            n => (n.to_string(), "deliveries"),
        };
        Some(format!(
            "skipped {n} {noun} that failed verification ({why}): {ids}; \
             --include-unverified sends them as recorded (never re-signed)"
        ))
    }
}

/// The recorded headers minus hop-by-hop and masked ones (and the old
/// signature when re-signing), plus a fresh signature.
fn request_headers(
    meta: &crate::event::WebhookMeta,
    id: Option<&str>,
    body: &[u8],
    verify: Verify,
    key: &[u8],
) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in &meta.headers {
        let lower = name.to_ascii_lowercase();
        let resigned = verify != Verify::None && SIGNATURES.contains(&lower.as_str());
        if HOP_BY_HOP.contains(&lower.as_str()) || value == "***" || resigned {
            continue;
        }
        if let (Ok(n), Ok(v)) = (
            HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(value),
        ) {
            map.append(n, v);
        }
    }
    let now = chrono::Utc::now().timestamp();
    let mut set = |name: &'static str, value: String| {
        if let Ok(v) = HeaderValue::from_str(&value) {
            map.insert(HeaderName::from_static(name), v);
        }
    };
    match verify {
        Verify::None => {}
        Verify::Stripe => set("stripe-signature", stripe_header(key, now, body)),
        Verify::Github => set("x-hub-signature-256", github_header(key, body)),
        Verify::Standard => {
            let msg_id = meta
                .headers
                .get("webhook-id")
                .map(String::as_str)
                .or(id)
                .unwrap_or("msg_evtop_resend")
                .to_owned();
            set("webhook-timestamp", now.to_string());
            set("webhook-signature", standard_header(key, &msg_id, now, body));
            set("webhook-id", msg_id);
        }
    }
    map
}

#[cfg(test)]
mod tests {
    use super::{SKIPPED_IDS_SHOWN, Skipped};

    #[test]
    fn the_skip_summary_groups_reasons_and_bounds_the_ids() {
        let mut s = Skipped::default();
        assert_eq!(s.summary(), None, "nothing skipped, nothing said");
        s.note(Some("evt_a"), Some("bad signature"));
        assert_eq!(
            s.summary().unwrap(),
            "skipped 1 delivery that failed verification (bad signature): evt_a; \
             --include-unverified sends them as recorded (never re-signed)"
        );
        s.note(
            Some("evt_b"),
            Some("timestamp outside tolerance: signed 12m ago, tolerance 5m"),
        );
        s.note(
            None,
            Some("timestamp outside tolerance: signed 3h ago, tolerance 5m"),
        );
        for i in 0..20 {
            s.note(Some(&format!("evt_{i}")), Some("bad signature"));
        }
        let summary = s.summary().unwrap();
        assert!(
            summary.starts_with(
                "skipped 23 deliveries that failed verification \
                 (21 bad signature, 2 timestamp outside tolerance): evt_a, evt_b, (no id), evt_0,"
            ),
            "{summary}"
        );
        assert!(
            summary.contains(&format!("and {} more;", 23 - SKIPPED_IDS_SHOWN)),
            "{summary}"
        );
    }
}
