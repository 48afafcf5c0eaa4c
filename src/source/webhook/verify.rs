//! Webhook signatures, each exactly as its provider documents it, compared
//! in constant time (`hmac`'s `verify_slice`, built on `subtle`).
//!
//! | scheme | header | signed bytes | key |
//! | --- | --- | --- | --- |
//! | Stripe | `Stripe-Signature: t=T,v1=HEX[,v1=HEX…]` | `T.body` | the secret as written (`whsec_…`) |
//! | GitHub | `X-Hub-Signature-256: sha256=HEX` | `body` | the secret as written |
//! | Standard Webhooks | `webhook-id: I`, `webhook-timestamp: T`, `webhook-signature: v1,B64[ v1,B64…]` | `I.T.body` | base64 after `whsec_` |
//!
//! All three are HMAC-SHA256. Any listed signature may match (providers
//! list several while a secret is being rolled). Stripe and Standard
//! Webhooks sign a timestamp: one further than the tolerance from now, in
//! either direction, fails even when the signature matches, so a captured
//! delivery cannot be replayed later. The signature is checked first, so
//! the reason names the more fundamental problem.
//!
//! The signing functions are the same algorithms run the other way; the
//! demo's sender and the tests use them.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use hmac::{Hmac, Mac};
use hyper::header::HeaderMap;
use sha2::Sha256;

use crate::config::Verify;

type HmacSha256 = Hmac<Sha256>;

/// Why a delivery failed verification. Displays as the reason recorded in
/// the event and sent in the 400 reply; it never contains the secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Failure {
    /// A header the scheme needs is absent.
    #[error("no {0} header")]
    MissingHeader(&'static str),
    /// A header is there but cannot be read.
    #[error("malformed {0} header")]
    Malformed(&'static str),
    /// No listed signature matches the body and the secret.
    #[error("bad signature")]
    BadSignature,
    /// The signature matches but its timestamp is too far from now.
    #[error("timestamp outside tolerance: signed {}, tolerance {}", age_text(*age_secs), crate::source::fmt_duration(*tolerance))]
    Stale {
        /// Seconds from the signed timestamp to now (negative: the future).
        age_secs: i64,
        /// The source's `tolerance`.
        tolerance: Duration,
    },
}

fn age_text(age_secs: i64) -> String {
    let d = crate::source::fmt_duration(Duration::from_secs(age_secs.unsigned_abs()));
    if age_secs >= 0 {
        format!("{d} ago")
    } else {
        format!("{d} in the future")
    }
}

/// Check a delivery with `scheme`. `key` is the HMAC key (see the module
/// table), `now_secs` the current unix time. `Verify::None` always passes.
pub fn verify(
    scheme: Verify,
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now_secs: i64,
    tolerance: Duration,
) -> Result<(), Failure> {
    match scheme {
        Verify::None => Ok(()),
        Verify::Stripe => stripe(key, headers, body, now_secs, tolerance),
        Verify::Github => github(key, headers, body),
        Verify::Standard => standard(key, headers, body, now_secs, tolerance),
    }
}

fn header<'a>(headers: &'a HeaderMap, name: &'static str) -> Result<&'a str, Failure> {
    let value = headers
        .get(name)
        .ok_or(Failure::MissingHeader(display_name(name)))?;
    value.to_str().map_err(|_| Failure::Malformed(display_name(name)))
}

/// Header names as the providers' documentation spells them.
fn display_name(name: &'static str) -> &'static str {
    match name {
        "stripe-signature" => "Stripe-Signature",
        "x-hub-signature-256" => "X-Hub-Signature-256",
        other => other,
    }
}

fn stripe(
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), Failure> {
    let value = header(headers, "stripe-signature")?;
    let mut timestamp = None;
    let mut signatures = Vec::new();
    for part in value.split(',') {
        match part.trim().split_once('=') {
            Some(("t", t)) if timestamp.is_none() => timestamp = Some(t),
            Some(("v1", sig)) => signatures.extend(unhex(sig)),
            _ => {}
        }
    }
    let malformed = Failure::Malformed("Stripe-Signature");
    let t = timestamp.ok_or(malformed.clone())?;
    let t_secs: i64 = t.parse().map_err(|_| malformed.clone())?;
    if signatures.is_empty() {
        return Err(malformed);
    }
    let mac = keyed(key, &[t.as_bytes(), b".", body]);
    any_matches(&mac, &signatures)?;
    fresh(t_secs, now, tolerance)
}

fn github(key: &[u8], headers: &HeaderMap, body: &[u8]) -> Result<(), Failure> {
    let value = header(headers, "x-hub-signature-256")?;
    let signature = value
        .trim()
        .strip_prefix("sha256=")
        .and_then(unhex)
        .ok_or(Failure::Malformed("X-Hub-Signature-256"))?;
    any_matches(&keyed(key, &[body]), &[signature])
}

fn standard(
    key: &[u8],
    headers: &HeaderMap,
    body: &[u8],
    now: i64,
    tolerance: Duration,
) -> Result<(), Failure> {
    let id = header(headers, "webhook-id")?;
    let t = header(headers, "webhook-timestamp")?;
    let value = header(headers, "webhook-signature")?;
    let t_secs: i64 = t
        .trim()
        .parse()
        .map_err(|_| Failure::Malformed("webhook-timestamp"))?;
    let signatures: Vec<Vec<u8>> = value
        .split_whitespace()
        .filter_map(|entry| entry.strip_prefix("v1,"))
        .filter_map(|b64| BASE64.decode(b64).ok())
        .collect();
    if signatures.is_empty() {
        return Err(Failure::Malformed("webhook-signature"));
    }
    let mac = keyed(key, &[id.as_bytes(), b".", t.as_bytes(), b".", body]);
    any_matches(&mac, &signatures)?;
    fresh(t_secs, now, tolerance)
}

/// An HMAC-SHA256 over the concatenation of `parts`.
fn keyed(key: &[u8], parts: &[&[u8]]) -> HmacSha256 {
    // HMAC takes a key of any length; this cannot fail.
    let mut mac = <HmacSha256 as Mac>::new_from_slice(key).expect("HMAC accepts any key length");
    for part in parts {
        mac.update(part);
    }
    mac
}

/// Whether any candidate is the MAC, each compared in constant time.
fn any_matches(mac: &HmacSha256, candidates: &[Vec<u8>]) -> Result<(), Failure> {
    // Every candidate is compared (no early exit), so timing does not
    // reveal which one matched either.
    let matched = candidates
        .iter()
        .fold(false, |found, c| mac.clone().verify_slice(c).is_ok() | found);
    if matched {
        Ok(())
    } else {
        Err(Failure::BadSignature)
    }
}

fn fresh(signed: i64, now: i64, tolerance: Duration) -> Result<(), Failure> {
    let age = now.saturating_sub(signed);
    if age.unsigned_abs() > tolerance.as_secs() {
        Err(Failure::Stale {
            age_secs: age,
            tolerance,
        })
    } else {
        Ok(())
    }
}

/// The `Stripe-Signature` value for `body` signed at `t`.
pub fn stripe_header(key: &[u8], t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let mac = keyed(key, &[t.as_bytes(), b".", body]);
    format!("t={t},v1={}", hex(&mac.finalize().into_bytes()))
}

/// The `X-Hub-Signature-256` value for `body`.
pub fn github_header(key: &[u8], body: &[u8]) -> String {
    format!("sha256={}", hex(&keyed(key, &[body]).finalize().into_bytes()))
}

/// The `webhook-signature` value (one `v1,` entry) for message `id` signed
/// at `t`.
pub fn standard_header(key: &[u8], id: &str, t: i64, body: &[u8]) -> String {
    let t = t.to_string();
    let mac = keyed(key, &[id.as_bytes(), b".", t.as_bytes(), b".", body]);
    format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()))
}

/// Lower-case hex.
fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[(b >> 4) as usize] as char);
        out.push(DIGITS[(b & 15) as usize] as char);
    }
    out
}

/// Hex (either case) to bytes; `None` for anything else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    let digit = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
    text.as_bytes()
        .chunks(2)
        .map(|pair| Some(digit(pair[0])? << 4 | digit(pair[1])?))
        .collect()
}

#[cfg(test)]
mod tests;
