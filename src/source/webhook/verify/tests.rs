//! Verification against the providers' published test vectors where they
//! publish them, and against deliveries signed here with each documented
//! algorithm (computed with `hmac` directly, not with the signing helpers
//! under test): valid, wrong secret, tampered body, stale timestamp,
//! missing header, several signatures of which one matches.

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use hyper::HeaderMap;
use sha2::Sha256;

use super::*;
use crate::config::standard_key;

const FIVE_MIN: Duration = Duration::from_secs(300);

fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
    let mut map = HeaderMap::new();
    for (name, value) in pairs {
        map.append(*name, value.parse().unwrap());
    }
    map
}

/// HMAC-SHA256 of `parts` under `key`, straight from the primitives.
fn mac(key: &[u8], parts: &[&[u8]]) -> Vec<u8> {
    let mut m = Hmac::<Sha256>::new_from_slice(key).unwrap();
    for p in parts {
        m.update(p);
    }
    m.finalize().into_bytes().to_vec()
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

// ---- GitHub ---------------------------------------------------------------

/// GitHub's published example, "Testing the webhook payload validation" in
/// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
const GITHUB_SECRET: &[u8] = b"It's a Secret to Everybody";
const GITHUB_BODY: &[u8] = b"Hello, World!";
const GITHUB_SIGNATURE: &str = "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";

#[test]
fn github_published_vector() {
    assert_eq!(github_header(GITHUB_SECRET, GITHUB_BODY), GITHUB_SIGNATURE);
    let h = headers(&[("x-hub-signature-256", GITHUB_SIGNATURE)]);
    assert_eq!(
        verify(Verify::Github, GITHUB_SECRET, &h, GITHUB_BODY, 0, FIVE_MIN),
        Ok(())
    );
    // Upper-case hex is the same signature.
    let upper = headers(&[(
        "x-hub-signature-256",
        &GITHUB_SIGNATURE.to_uppercase().replace("SHA256=", "sha256="),
    )]);
    assert_eq!(
        verify(Verify::Github, GITHUB_SECRET, &upper, GITHUB_BODY, 0, FIVE_MIN),
        Ok(())
    );
}

#[test]
fn github_wrong_secret_tampered_body_missing_and_malformed_header() {
    let h = headers(&[("x-hub-signature-256", GITHUB_SIGNATURE)]);
    let check = |key: &[u8], h: &HeaderMap, body: &[u8]| verify(Verify::Github, key, h, body, 0, FIVE_MIN);
    assert_eq!(
        check(b"It's a secret to everybody", &h, GITHUB_BODY),
        Err(Failure::BadSignature)
    );
    assert_eq!(
        check(GITHUB_SECRET, &h, b"Hello, World?"),
        Err(Failure::BadSignature)
    );
    assert_eq!(
        check(GITHUB_SECRET, &HeaderMap::new(), GITHUB_BODY),
        Err(Failure::MissingHeader("X-Hub-Signature-256"))
    );
    // Only the SHA-1 header: not enough.
    let sha1 = headers(&[("x-hub-signature", "sha1=0123")]);
    assert_eq!(
        check(GITHUB_SECRET, &sha1, GITHUB_BODY),
        Err(Failure::MissingHeader("X-Hub-Signature-256"))
    );
    for bad in [
        "757107ea0eb2509fc211221cce984b8a",
        "sha256=zz",
        "sha256=abc",
        "sha1=757107",
    ] {
        let h = headers(&[("x-hub-signature-256", bad)]);
        assert_eq!(
            check(GITHUB_SECRET, &h, GITHUB_BODY),
            Err(Failure::Malformed("X-Hub-Signature-256")),
            "{bad}"
        );
    }
    // A truncated signature is not a prefix match.
    let short = headers(&[("x-hub-signature-256", &GITHUB_SIGNATURE[..41])]);
    assert_eq!(
        check(GITHUB_SECRET, &short, GITHUB_BODY),
        Err(Failure::BadSignature)
    );
}

#[test]
fn github_signed_here() {
    let body = br#"{"action":"opened","issue":{"number":1}}"#;
    let sig = format!("sha256={}", hex_of(&mac(b"s3cret", &[body])));
    let h = headers(&[("x-hub-signature-256", &sig)]);
    assert_eq!(verify(Verify::Github, b"s3cret", &h, body, 0, FIVE_MIN), Ok(()));
}

// ---- Standard Webhooks ----------------------------------------------------

/// The reference test "sign function works" of the Standard Webhooks
/// libraries (standard-webhooks/standard-webhooks,
/// libraries/javascript/src/webhook.test.ts; the same values in the other
/// languages' tests).
const STD_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
const STD_ID: &str = "msg_p5jXN8AQM9LWM0D4loKWxJek";
const STD_TIMESTAMP: i64 = 1_614_265_330;
const STD_BODY: &[u8] = br#"{"test": 2432232314}"#;
const STD_SIGNATURE: &str = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

fn std_headers(id: &str, t: i64, sig: &str) -> HeaderMap {
    headers(&[
        ("webhook-id", id),
        ("webhook-timestamp", &t.to_string()),
        ("webhook-signature", sig),
    ])
}

#[test]
fn standard_published_vector() {
    let key = standard_key(STD_SECRET).unwrap();
    assert_eq!(
        standard_header(&key, STD_ID, STD_TIMESTAMP, STD_BODY),
        STD_SIGNATURE
    );
    let h = std_headers(STD_ID, STD_TIMESTAMP, STD_SIGNATURE);
    assert_eq!(
        verify(Verify::Standard, &key, &h, STD_BODY, STD_TIMESTAMP, FIVE_MIN),
        Ok(())
    );
    // The secret works with and without its prefix, as in the reference.
    assert_eq!(standard_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap(), key);
}

#[test]
fn standard_several_signatures_one_matches() {
    // The reference's "multi sig payload is valid" list.
    let key = standard_key(STD_SECRET).unwrap();
    let list = format!(
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {STD_SIGNATURE} v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
    );
    let h = std_headers(STD_ID, STD_TIMESTAMP, &list);
    assert_eq!(
        verify(Verify::Standard, &key, &h, STD_BODY, STD_TIMESTAMP, FIVE_MIN),
        Ok(())
    );
    let none =
        "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v1a,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
    let h = std_headers(STD_ID, STD_TIMESTAMP, none);
    assert_eq!(
        verify(Verify::Standard, &key, &h, STD_BODY, STD_TIMESTAMP, FIVE_MIN),
        Err(Failure::BadSignature)
    );
}

#[test]
fn standard_failures() {
    let key = standard_key(STD_SECRET).unwrap();
    let check = |key: &[u8], h: &HeaderMap, body: &[u8], now: i64| {
        verify(Verify::Standard, key, h, body, now, FIVE_MIN)
    };
    let good = std_headers(STD_ID, STD_TIMESTAMP, STD_SIGNATURE);
    // Wrong secret, tampered body, another message id.
    assert_eq!(
        check(b"another key", &good, STD_BODY, STD_TIMESTAMP),
        Err(Failure::BadSignature)
    );
    assert_eq!(
        check(&key, &good, br#"{"test": 2432232315}"#, STD_TIMESTAMP),
        Err(Failure::BadSignature)
    );
    let other_id = std_headers("msg_other", STD_TIMESTAMP, STD_SIGNATURE);
    assert_eq!(
        check(&key, &other_id, STD_BODY, STD_TIMESTAMP),
        Err(Failure::BadSignature)
    );
    // A timestamp moved by a second is another signed content.
    let moved = std_headers(STD_ID, STD_TIMESTAMP + 1, STD_SIGNATURE);
    assert_eq!(
        check(&key, &moved, STD_BODY, STD_TIMESTAMP),
        Err(Failure::BadSignature)
    );
    // Stale both ways, at the edge of the tolerance.
    assert_eq!(check(&key, &good, STD_BODY, STD_TIMESTAMP + 300), Ok(()));
    assert_eq!(check(&key, &good, STD_BODY, STD_TIMESTAMP - 300), Ok(()));
    assert_eq!(
        check(&key, &good, STD_BODY, STD_TIMESTAMP + 301),
        Err(Failure::Stale {
            age_secs: 301,
            tolerance: FIVE_MIN
        })
    );
    assert_eq!(
        check(&key, &good, STD_BODY, STD_TIMESTAMP - 301),
        Err(Failure::Stale {
            age_secs: -301,
            tolerance: FIVE_MIN
        })
    );
    // Missing and malformed headers.
    for (missing, name) in [
        (0, "webhook-id"),
        (1, "webhook-timestamp"),
        (2, "webhook-signature"),
    ] {
        let mut h = good.clone();
        h.remove(["webhook-id", "webhook-timestamp", "webhook-signature"][missing]);
        assert_eq!(
            check(&key, &h, STD_BODY, STD_TIMESTAMP),
            Err(Failure::MissingHeader(name))
        );
    }
    let mut h = good.clone();
    h.insert("webhook-timestamp", "hello".parse().unwrap());
    assert_eq!(
        check(&key, &h, STD_BODY, STD_TIMESTAMP),
        Err(Failure::Malformed("webhook-timestamp"))
    );
    for partial in ["v1,", "v1,dawfeoifkpqwoekfpqoekf", &STD_SIGNATURE[..8]] {
        let h = std_headers(STD_ID, STD_TIMESTAMP, partial);
        assert!(check(&key, &h, STD_BODY, STD_TIMESTAMP).is_err(), "{partial}");
    }
}

#[test]
fn standard_signed_here() {
    let key = b"0123456789abcdef0123456789abcdef";
    let secret = format!("whsec_{}", BASE64.encode(key));
    assert_eq!(standard_key(&secret).unwrap(), key);
    let body = br#"{"type":"invoice.paid","timestamp":"2026-11-22T10:00:00Z","data":{}}"#;
    let sig = BASE64.encode(mac(key, &[b"msg_1", b".", b"1795341600", b".", body]));
    let h = std_headers("msg_1", 1_795_341_600, &format!("v1,{sig}"));
    assert_eq!(
        verify(Verify::Standard, key, &h, body, 1_795_341_650, FIVE_MIN),
        Ok(())
    );
    assert!(standard_key("whsec_not base64!").is_err());
    assert!(standard_key("whsec_").is_err());
}

// ---- Stripe ----------------------------------------------------------------

const STRIPE_SECRET: &[u8] = b"whsec_test_0123456789";
const NOW: i64 = 1_795_341_600;

/// A `Stripe-Signature` as Stripe documents it: `t=` then `v1=` hex
/// HMAC-SHA256 of `t.body`.
fn stripe_signed(key: &[u8], t: i64, body: &[u8]) -> String {
    let sig = hex_of(&mac(key, &[t.to_string().as_bytes(), b".", body]));
    format!("t={t},v1={sig}")
}

fn stripe_check(value: Option<&str>, body: &[u8], now: i64) -> Result<(), Failure> {
    let h = match value {
        Some(v) => headers(&[("stripe-signature", v)]),
        None => HeaderMap::new(),
    };
    verify(Verify::Stripe, STRIPE_SECRET, &h, body, now, FIVE_MIN)
}

#[test]
fn stripe_valid_and_helper_agrees() {
    let body = br#"{"id":"evt_1","type":"charge.succeeded","created":1795341600}"#;
    let value = stripe_signed(STRIPE_SECRET, NOW, body);
    assert_eq!(stripe_header(STRIPE_SECRET, NOW, body), value);
    assert_eq!(stripe_check(Some(&value), body, NOW), Ok(()));
    // Spaces after commas and a v0 (test-mode legacy) entry are fine.
    let spaced = format!(
        "{}, v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
        value.replace(',', ", ")
    );
    assert_eq!(stripe_check(Some(&spaced), body, NOW), Ok(()));
}

#[test]
fn stripe_failures() {
    let body = br#"{"id":"evt_1"}"#;
    let value = stripe_signed(STRIPE_SECRET, NOW, body);
    assert_eq!(
        stripe_check(Some(&value), br#"{"id":"evt_2"}"#, NOW),
        Err(Failure::BadSignature)
    );
    let other = stripe_signed(b"whsec_other", NOW, body);
    assert_eq!(stripe_check(Some(&other), body, NOW), Err(Failure::BadSignature));
    // The timestamp is signed: changing it breaks the signature.
    let sig = value.split_once(",v1=").unwrap().1;
    assert_eq!(
        stripe_check(Some(&format!("t={},v1={sig}", NOW + 1)), body, NOW),
        Err(Failure::BadSignature)
    );
    // Stale: a valid signature from 301 s ago or 301 s ahead.
    let old = stripe_signed(STRIPE_SECRET, NOW - 301, body);
    assert_eq!(
        stripe_check(Some(&old), body, NOW),
        Err(Failure::Stale {
            age_secs: 301,
            tolerance: FIVE_MIN
        })
    );
    let edge = stripe_signed(STRIPE_SECRET, NOW - 300, body);
    assert_eq!(stripe_check(Some(&edge), body, NOW), Ok(()));
    let ahead = stripe_signed(STRIPE_SECRET, NOW + 301, body);
    assert!(matches!(
        stripe_check(Some(&ahead), body, NOW),
        Err(Failure::Stale { age_secs: -301, .. })
    ));
    // Missing and malformed.
    assert_eq!(
        stripe_check(None, body, NOW),
        Err(Failure::MissingHeader("Stripe-Signature"))
    );
    for bad in [
        "",
        "v1=abcd",
        &format!("t={NOW}"),
        &format!("t=soon,v1={sig}"),
        &format!("t={NOW},v1=xyz"),
    ] {
        assert_eq!(
            stripe_check(Some(bad), body, NOW),
            Err(Failure::Malformed("Stripe-Signature")),
            "{bad:?}"
        );
    }
}

#[test]
fn stripe_several_v1_of_which_one_matches() {
    let body = br#"{"id":"evt_roll"}"#;
    let good = stripe_signed(STRIPE_SECRET, NOW, body);
    let good_sig = good.split_once(",v1=").unwrap().1;
    let old_secret = stripe_signed(b"whsec_previous", NOW, body);
    let old_sig = old_secret.split_once(",v1=").unwrap().1;
    for order in [[old_sig, good_sig], [good_sig, old_sig]] {
        let value = format!("t={NOW},v1={},v1={}", order[0], order[1]);
        assert_eq!(stripe_check(Some(&value), body, NOW), Ok(()));
    }
    let none = format!("t={NOW},v1={old_sig},v1={}", "00".repeat(32));
    assert_eq!(stripe_check(Some(&none), body, NOW), Err(Failure::BadSignature));
}

#[test]
fn reasons_read_well_and_never_hold_the_secret() {
    assert_eq!(
        Failure::MissingHeader("Stripe-Signature").to_string(),
        "no Stripe-Signature header"
    );
    assert_eq!(Failure::BadSignature.to_string(), "bad signature");
    assert_eq!(
        Failure::Stale {
            age_secs: 720,
            tolerance: FIVE_MIN
        }
        .to_string(),
        "timestamp outside tolerance: signed 12m ago, tolerance 5m"
    );
    assert_eq!(
        Failure::Stale {
            age_secs: -400,
            tolerance: FIVE_MIN
        }
        .to_string(),
        "timestamp outside tolerance: signed 6m40s in the future, tolerance 5m"
    );
    let body = b"{}";
    for value in ["t=1,v1=00", "garbage", &stripe_signed(b"x", NOW, body)] {
        let reason = stripe_check(Some(value), body, NOW).unwrap_err().to_string();
        assert!(!reason.contains("whsec_test"), "{reason}");
    }
}

#[test]
fn none_accepts_anything() {
    assert_eq!(
        verify(Verify::None, b"", &HeaderMap::new(), b"x", 0, FIVE_MIN),
        Ok(())
    );
}
