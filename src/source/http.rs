//! Shared HTTP below the kinds: the client every HTTP client of evtop is
//! built from (user agent, connect timeout, `--cacert`/`--insecure`), a
//! source's request headers, `Retry-After`, and [`TransportError`]: why a
//! request failed, typed for the retry policy ([`Backoff::after_status`])
//! and shown in words that never carry a secret (the cause chain of a
//! transport error, the quoted start of an error body).
//!
//! [`Backoff::after_status`]: super::Backoff::after_status

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::StatusCode;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};
use tokio::time::Instant;

use super::tls;
use crate::config::{SourceSpec, Tls};

/// How long to wait for a TCP connection before calling it failed.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// The `User-Agent` every request sends.
pub const USER_AGENT: &str = concat!("evtop/", env!("CARGO_PKG_VERSION"));

/// Longest `Retry-After` honoured; a larger one is capped here.
pub const RETRY_AFTER_MAX: Duration = Duration::from_secs(3600);
/// Bytes of an error response's body quoted in the status.
pub const ERROR_BODY_QUOTE: usize = 300;

/// A client builder with what every client of evtop shares: the user
/// agent and the connect timeout.
pub fn client_builder() -> reqwest::ClientBuilder {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .connect_timeout(CONNECT_TIMEOUT)
}

/// A client with evtop's certificate checks: rustls-platform-verifier, on
/// Linux against the system's roots as `rustls-native-certs` finds them
/// (which honours `$SSL_CERT_FILE` and `$SSL_CERT_DIR`: they *replace* the
/// system's roots); `--cacert`'s certificates are trusted *as well*;
/// `--insecure` accepts any.
pub fn client_builder_for(tls: &Tls) -> Result<reqwest::ClientBuilder, TransportError> {
    let mut builder = client_builder();
    if let Some(pem) = &tls.extra_roots_pem {
        let certs = reqwest::Certificate::from_pem_bundle(pem)
            .map_err(|e| TransportError::TlsSetup(e.to_string()))?;
        builder = builder.tls_certs_merge(certs);
    }
    if tls.insecure {
        builder = builder.tls_danger_accept_invalid_certs(true);
    }
    Ok(builder)
}

/// Why a request, or a connection's setup, failed.
#[derive(Debug, thiserror::Error)]
pub enum TransportError {
    /// No answer: cannot connect, timed out, refused certificate,
    /// connection lost. `detail`: the cause chain (or the certificate
    /// problem in words), never the URL.
    #[error("{what}{detail}")]
    Network { what: Network, detail: String },
    /// An HTTP error status (`HTTP 503 Service Unavailable: <start of the
    /// body>`), with the `Retry-After` it asked for.
    #[error("HTTP {}{}", status_text(*.status), quoted(.body))]
    Status {
        status: StatusCode,
        retry_after: Option<Duration>,
        /// The start of the body, one line ([`quote_text`]).
        body: String,
    },
    /// A 2xx of the wrong content type (a JSON API where a stream was
    /// expected); `hint` says what to try instead.
    #[error("HTTP {status} but content type is {content_type}, expected {expected}{hint}")]
    ContentType {
        status: u16,
        /// As sent, or `no content type`.
        content_type: String,
        expected: &'static str,
        hint: &'static str,
    },
    /// A configured header cannot be sent.
    #[error("invalid header name {0:?}")]
    HeaderName(String),
    /// A configured header's value cannot be sent (the value is not shown).
    #[error("invalid value for header {0}")]
    HeaderValue(String),
    /// An answer larger than evtop keeps (`limit` bytes, set by `key`).
    #[error("its answer is over {limit} bytes ({key})")]
    TooLarge { limit: usize, key: &'static str },
    /// The source's URL cannot be requested.
    #[error("invalid URL: {0}")]
    InvalidUrl(String),
    /// The TLS configuration could not be built.
    #[error("TLS setup failed: {0}")]
    TlsSetup(String),
}

/// What kind of network failure ([`TransportError::Network`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Network {
    #[error("timed out")]
    Timeout,
    #[error("cannot connect")]
    Connect,
    #[error("connection lost")]
    Lost,
    #[error("request failed")]
    Other,
}

/// `: body`, or nothing for an empty body.
fn quoted(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(": {body}")
    }
}

impl TransportError {
    /// The HTTP status, when the server answered with an error.
    pub fn status(&self) -> Option<StatusCode> {
        match self {
            TransportError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The `Retry-After` of an error status.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            TransportError::Status { retry_after, .. } => *retry_after,
            _ => None,
        }
    }
}

/// A reqwest error as one line: the whole cause chain (so a TLS failure says
/// so), never the URL (which may hold a secret). A certificate the checks
/// refused is said in words with the next step (`self-signed certificate;
/// use --cacert FILE …`), not as rustls's variant name.
impl From<reqwest::Error> for TransportError {
    fn from(err: reqwest::Error) -> Self {
        let err = err.without_url();
        if let Some(words) = tls::certificate_problem(&err) {
            return TransportError::Network {
                what: Network::Connect,
                detail: format!(": {words}"),
            };
        }
        let what = if err.is_timeout() {
            Network::Timeout
        } else if err.is_connect() {
            Network::Connect
        } else if err.is_body() || err.is_decode() {
            Network::Lost
        } else {
            Network::Other
        };
        let mut detail = String::new();
        let mut source = std::error::Error::source(&err);
        let mut last = String::new();
        while let Some(cause) = source {
            let s = cause.to_string();
            // hyper-util's "client error (Connect)" layer says nothing the
            // summary above has not said.
            if !s.is_empty() && !last.contains(&s) && !s.starts_with("client error (") {
                detail.push_str(": ");
                detail.push_str(&s);
                last = s;
            }
            source = cause.source();
        }
        TransportError::Network { what, detail }
    }
}

/// The delay a `Retry-After` header asks for: delta-seconds or an HTTP date.
pub fn retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers.get(reqwest::header::RETRY_AFTER)?.to_str().ok()?.trim();
    let delay = if let Ok(secs) = value.parse::<u64>() {
        Duration::from_secs(secs)
    } else {
        let at = httpdate::parse_http_date(value).ok()?;
        at.duration_since(std::time::SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(delay.min(RETRY_AFTER_MAX))
}

/// The request headers every request of a source sends: the kind's
/// `defaults` (e.g. `Accept`), then the source's own headers, which replace a
/// default of the same name. Secret values are marked sensitive, so reqwest
/// and hyper never show them in debug output.
pub(crate) fn base_headers(
    spec: &SourceSpec,
    defaults: &[(HeaderName, &'static str)],
) -> Result<HeaderMap, TransportError> {
    let mut map = HeaderMap::new();
    for (name, value) in defaults {
        map.insert(name.clone(), HeaderValue::from_static(value));
    }
    for h in &spec.headers {
        let name = HeaderName::from_bytes(h.name.as_bytes())
            .map_err(|_| TransportError::HeaderName(h.name.clone()))?;
        let mut value =
            HeaderValue::from_str(&h.value).map_err(|_| TransportError::HeaderValue(h.name.clone()))?;
        value.set_sensitive(h.sensitive);
        map.insert(name, value);
    }
    Ok(map)
}

/// `401 Unauthorized`.
pub fn status_text(status: StatusCode) -> String {
    match status.canonical_reason() {
        Some(r) => format!("{} {r}", status.as_u16()),
        None => status.as_u16().to_string(),
    }
}

/// An HTTP error response as a [`TransportError::Status`]: its status,
/// the `Retry-After` it asked for and the start of its body.
pub async fn http_failure(resp: reqwest::Response) -> TransportError {
    let status = resp.status();
    let retry_after = retry_after(resp.headers());
    let body = quote_body(resp).await;
    TransportError::Status {
        status,
        retry_after,
        body,
    }
}

/// The start of an error response's body, on one line, for the status text.
/// Bounded in size and time: a hostile server cannot hold us here.
pub async fn quote_body(resp: reqwest::Response) -> String {
    let mut body = resp.bytes_stream();
    let mut buf = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(2);
    while buf.len() < ERROR_BODY_QUOTE {
        match tokio::time::timeout_at(deadline, body.next()).await {
            Ok(Some(Ok(chunk))) => buf.extend_from_slice(&chunk[..chunk.len().min(ERROR_BODY_QUOTE)]),
            _ => break,
        }
    }
    quote_text(&String::from_utf8_lossy(&buf))
}

/// At most [`ERROR_BODY_QUOTE`] bytes of `text` (cut at a character, marked
/// with `…`), whitespace runs folded to one space: fit for a one-line status.
pub fn quote_text(text: &str) -> String {
    let mut text = text.to_owned();
    if text.len() > ERROR_BODY_QUOTE {
        let mut cut = ERROR_BODY_QUOTE;
        while !text.is_char_boundary(cut) {
            cut -= 1;
        }
        text.truncate(cut);
        text.push('…');
    }
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_seconds_and_date() {
        let mut h = reqwest::header::HeaderMap::new();
        h.insert(reqwest::header::RETRY_AFTER, "7".parse().unwrap());
        assert_eq!(retry_after(&h), Some(Duration::from_secs(7)));
        let at = std::time::SystemTime::now() + Duration::from_secs(120);
        h.insert(
            reqwest::header::RETRY_AFTER,
            httpdate::fmt_http_date(at).parse().unwrap(),
        );
        let d = retry_after(&h).unwrap();
        assert!(
            d > Duration::from_secs(100) && d <= Duration::from_secs(120),
            "{d:?}"
        );
        h.insert(reqwest::header::RETRY_AFTER, "soon".parse().unwrap());
        assert_eq!(retry_after(&h), None);
        h.insert(reqwest::header::RETRY_AFTER, "999999".parse().unwrap());
        assert_eq!(retry_after(&h), Some(RETRY_AFTER_MAX));
    }
}
