//! One polling request with HTTP manners: the source's headers plus
//! `Accept: application/json`, `If-None-Match` with the `ETag` of the last
//! answer to the same URL, the server's `X-Poll-Interval` remembered, a
//! per-request timeout, and a body read up to a size bound.

use std::time::Duration;

use futures_util::StreamExt;
use reqwest::header::{ETAG, HeaderMap, HeaderValue, IF_NONE_MATCH};
use reqwest::{StatusCode, Url};

use crate::source::http::TransportError;
use crate::source::{DropKind, RETRY_AFTER_MAX, SourceCtx, http_failure};

/// How long one request (connect, headers and the whole body) may take.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// GitHub's header: the fewest seconds between polls it wants.
pub const POLL_INTERVAL_HEADER: &str = "x-poll-interval";

/// A successful answer.
#[derive(Debug)]
pub enum Reply {
    /// A 2xx with its whole body.
    Body { status: u16, text: String },
    /// 304: nothing changed since the `ETag` we sent.
    NotModified,
    /// A 2xx whose body cannot be used: too large, or not UTF-8.
    Unusable {
        status: u16,
        kind: DropKind,
        /// What is wrong, for the drop report.
        detail: String,
    },
}

/// What outlives one request of a polling source.
#[derive(Debug)]
pub struct Http {
    headers: HeaderMap,
    /// The `ETag` of the last 2xx, with the URL it answered: conditional
    /// requests only make sense for the same URL (a cursor changes it).
    etag: Option<(String, HeaderValue)>,
    /// The latest `X-Poll-Interval` the server sent.
    pub server_interval: Option<Duration>,
}

impl Http {
    /// `headers`: what every request sends (see `source::base_headers`).
    pub fn new(headers: HeaderMap) -> Self {
        Http {
            headers,
            etag: None,
            server_interval: None,
        }
    }

    /// Forget the `ETag`, so the next answer has a body.
    pub fn forget_etag(&mut self) {
        self.etag = None;
    }

    /// GET `url`, reading at most `max_body` bytes of body.
    pub async fn get(
        &mut self,
        url: &Url,
        max_body: usize,
        ctx: &SourceCtx,
    ) -> Result<Reply, TransportError> {
        let mut req = ctx
            .client
            .get(url.clone())
            .headers(self.headers.clone())
            .timeout(REQUEST_TIMEOUT);
        if let Some((for_url, tag)) = &self.etag {
            if for_url == url.as_str() {
                req = req.header(IF_NONE_MATCH, tag.clone());
            }
        }
        let resp = req.send().await?;
        if let Some(d) = poll_interval(resp.headers()) {
            self.server_interval = Some(d);
        }
        let status = resp.status();
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Reply::NotModified);
        }
        if !status.is_success() {
            return Err(http_failure(resp).await);
        }
        self.etag = resp
            .headers()
            .get(ETAG)
            .map(|tag| (url.as_str().to_owned(), tag.clone()));
        let code = status.as_u16();
        let bytes = match read_body(resp, max_body).await {
            Ok(Some(bytes)) => bytes,
            Ok(None) => {
                return Ok(Reply::Unusable {
                    status: code,
                    kind: DropKind::Oversize,
                    detail: format!("response of more than {max_body} bytes skipped"),
                });
            }
            Err(e) => return Err(e.into()),
        };
        match String::from_utf8(bytes) {
            Ok(text) => Ok(Reply::Body { status: code, text }),
            Err(e) => Ok(Reply::Unusable {
                status: code,
                kind: DropKind::Unparsable,
                detail: format!("response is not UTF-8 text ({})", e.utf8_error()),
            }),
        }
    }
}

/// The whole body, or `None` as soon as it is known to exceed `max` bytes
/// (from `Content-Length` or while reading): memory stays bounded.
async fn read_body(resp: reqwest::Response, max: usize) -> Result<Option<Vec<u8>>, reqwest::Error> {
    if resp.content_length().is_some_and(|n| n > max as u64) {
        return Ok(None);
    }
    let mut body = resp.bytes_stream();
    let mut buf = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        if buf.len() + chunk.len() > max {
            return Ok(None);
        }
        buf.extend_from_slice(&chunk);
    }
    Ok(Some(buf))
}

/// `X-Poll-Interval: 60` as a duration, capped like `Retry-After`.
pub fn poll_interval(headers: &HeaderMap) -> Option<Duration> {
    let secs = headers
        .get(POLL_INTERVAL_HEADER)?
        .to_str()
        .ok()?
        .trim()
        .parse::<u64>()
        .ok()?;
    Some(Duration::from_secs(secs).min(RETRY_AFTER_MAX))
}

/// `base` with `params` set: each replaces any pair of the same name the URL
/// already has; other query pairs are kept as written.
pub fn with_params(base: &Url, params: &[(&str, &str)]) -> Url {
    let mut url = base.clone();
    if params.is_empty() {
        return url;
    }
    let clashes = base
        .query_pairs()
        .any(|(k, _)| params.iter().any(|(p, _)| *p == k));
    if clashes {
        let kept: Vec<(String, String)> = base
            .query_pairs()
            .filter(|(k, _)| !params.iter().any(|(p, _)| *p == k))
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
        url.query_pairs_mut().clear().extend_pairs(kept);
    }
    url.query_pairs_mut().extend_pairs(params);
    url
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn params_are_appended_or_replace_their_namesakes() {
        let base = Url::parse("https://api.example.com/v1/events?type=charge.*&$expand=x").unwrap();
        let url = with_params(&base, &[("limit", "5"), ("ending_before", "evt_1")]);
        assert_eq!(
            url.as_str(),
            "https://api.example.com/v1/events?type=charge.*&$expand=x&limit=5&ending_before=evt_1"
        );
        let base = Url::parse("https://h.example/e?limit=100&a=1").unwrap();
        let url = with_params(&base, &[("limit", "5")]);
        let pairs: Vec<(String, String)> = url.query_pairs().into_owned().collect();
        assert_eq!(pairs, [("a".into(), "1".into()), ("limit".into(), "5".into())]);
        assert_eq!(with_params(&base, &[]), base);
        let url = with_params(&base, &[("ending_before", "id with&=")]);
        assert!(url.as_str().ends_with("ending_before=id+with%26%3D"), "{url}");
    }

    #[test]
    fn poll_interval_header() {
        let mut h = HeaderMap::new();
        assert_eq!(poll_interval(&h), None);
        h.insert(POLL_INTERVAL_HEADER, "60".parse().unwrap());
        assert_eq!(poll_interval(&h), Some(Duration::from_secs(60)));
        h.insert(POLL_INTERVAL_HEADER, "soon".parse().unwrap());
        assert_eq!(poll_interval(&h), None);
        h.insert(POLL_INTERVAL_HEADER, "99999999".parse().unwrap());
        assert_eq!(poll_interval(&h), Some(RETRY_AFTER_MAX));
    }
}
