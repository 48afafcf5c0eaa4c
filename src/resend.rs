//! `evtop resend FILE --to URL` (SPEC 7.3): the recorded webhook deliveries
//! in a recording, sent again one at a time, oldest first, with their
//! original bodies and headers — or re-signed with a fresh timestamp
//! (`--verify stripe|github|standard --secret S`), since a recording holds
//! signature headers masked. Prints one line per delivery with the status
//! it got; exits 1 if any did not get a 2xx.

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
    pub file: PathBuf,
    pub to: String,
    pub filter: Filter,
    pub verify: Verify,
    /// The HMAC key for `verify` (empty with `Verify::None`).
    pub key: Vec<u8>,
}

/// Per-request timeout.
const TIMEOUT: Duration = Duration::from_secs(30);

/// Resend; `out` gets one line per delivery, `err` the bad lines.
pub async fn run(opts: ResendOptions, out: &mut dyn Write, err: &mut dyn Write) -> anyhow::Result<u8> {
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(TIMEOUT)
        .user_agent(concat!("evtop/", env!("CARGO_PKG_VERSION"), " resend"))
        .build()?;
    let file = std::fs::File::open(&opts.file)
        .map_err(|e| anyhow::anyhow!("cannot read {}: {e}", opts.file.display()))?;
    let (mut sent, mut failed) = (0u64, 0u64);
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
        let Some(meta) = ev.webhook.as_deref() else {
            continue;
        };
        if !opts.filter.matches(&ev.as_ref(&rec.source)) {
            continue;
        }
        let body = ev.data.clone().into_bytes();
        let headers = request_headers(meta, ev.id.as_deref(), &body, opts.verify, &opts.key);
        let started = Instant::now();
        let result = client.post(&opts.to).headers(headers).body(body).send().await;
        let ms = started.elapsed().as_millis();
        let what = format!("{} {}", inert(ev.id.as_deref().unwrap_or("-")), inert(&ev.ty));
        sent += 1;
        match result {
            Ok(resp) if resp.status().is_success() => {
                writeln!(out, "{} {what} ({ms} ms)", resp.status().as_u16())?;
            }
            Ok(resp) => {
                failed += 1;
                let status = resp.status().as_u16();
                let body = crate::source::quote_body(resp).await;
                writeln!(out, "{status} {what} ({ms} ms): {}", inert(&body))?;
            }
            Err(e) => {
                failed += 1;
                writeln!(out, "ERR {what}: {}", crate::source::describe_error(e))?;
            }
        }
    }
    writeln!(err, "resent {sent} deliveries, {failed} without a 2xx")?;
    Ok(u8::from(failed > 0))
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
