//! `forward_to`: evtop as a transparent tee in front of your app, like
//! `stripe listen --forward-to`, for any provider.
//!
//! The delivery goes on with its method, headers (minus hop-by-hop ones,
//! which belong to each connection) and body; the sender gets the app's
//! status, headers and body. Redirects are not followed: the sender sees
//! them as the app sent them. When the app cannot be reached (refused,
//! timed out, an answer larger than `max_event_bytes`), the sender gets
//! 502 with the cause and the event records 502.

use std::time::Instant;

use bytes::Bytes;
use futures_util::StreamExt;
use http_body_util::Full;
use hyper::header::{self, HeaderMap, HeaderName};
use hyper::http::request::Parts;
use hyper::{Response, StatusCode};

use super::FORWARD_TIMEOUT;
use super::server::text;
use crate::event::Forward;
use crate::source::{SourceCtx, TransportError};

/// Headers that describe one connection, not the message (RFC 9110 §7.6.1),
/// plus those the HTTP client and server set themselves.
const NOT_FORWARDED: &[HeaderName] = &[
    header::CONNECTION,
    header::HOST,
    header::CONTENT_LENGTH,
    header::TRANSFER_ENCODING,
    header::TE,
    header::TRAILER,
    header::UPGRADE,
    header::PROXY_AUTHENTICATE,
    header::PROXY_AUTHORIZATION,
];

/// `headers` without [`NOT_FORWARDED`] ones and `keep-alive`.
fn end_to_end(headers: &HeaderMap) -> HeaderMap {
    let mut out = headers.clone();
    for name in NOT_FORWARDED {
        out.remove(name);
    }
    out.remove("keep-alive");
    out
}

/// Pass the delivery on to `url`; returns the reply for the sender and what
/// the event records.
pub(super) async fn forward(
    client: &reqwest::Client,
    url: &str,
    parts: &Parts,
    body: Bytes,
    max_bytes: usize,
    ctx: &SourceCtx,
) -> (Response<Full<Bytes>>, Forward) {
    let started = Instant::now();
    let request = client
        .request(parts.method.clone(), url)
        .headers(end_to_end(&parts.headers))
        .timeout(FORWARD_TIMEOUT)
        .body(body);
    let result = match request.send().await {
        Ok(resp) => read_answer(resp, max_bytes).await,
        Err(e) => Err(e.into()),
    };
    let ms = started.elapsed().as_millis().min(u64::MAX as u128) as u64;
    match result {
        Ok(reply) => {
            let status = reply.status().as_u16();
            (reply, Forward { status, ms })
        }
        Err(why) => {
            let why = ctx.mask(&why.to_string());
            tracing::warn!(source = ctx.id, "forward_to: {why}");
            let reply = text(
                StatusCode::BAD_GATEWAY,
                format!("evtop: the app behind forward_to did not answer: {why}\n"),
            );
            (reply, Forward { status: 502, ms })
        }
    }
}

/// The app's answer as a reply: status, end-to-end headers, body (at most
/// `max_bytes`).
async fn read_answer(
    resp: reqwest::Response,
    max_bytes: usize,
) -> Result<Response<Full<Bytes>>, TransportError> {
    let status = resp.status();
    let headers = end_to_end(resp.headers());
    let mut body = Vec::new();
    let mut stream = resp.bytes_stream();
    while let Some(chunk) = stream.next().await {
        let chunk = chunk?;
        if body.len() + chunk.len() > max_bytes {
            return Err(TransportError::TooLarge {
                limit: max_bytes,
                key: "max_event_bytes",
            });
        }
        body.extend_from_slice(&chunk);
    }
    let mut reply = Response::new(Full::new(Bytes::from(body)));
    *reply.status_mut() = status;
    *reply.headers_mut() = headers;
    Ok(reply)
}
