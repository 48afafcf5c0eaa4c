//! Replies sent before a request's body was read (413 over
//! `max_event_bytes`, 404, 405) and how the sender gets to read them.
//!
//! A server that answers and closes while the body is still arriving
//! closes a socket with unread data, and the kernel answers that with a
//! reset: a sender that writes its whole body before reading the answer
//! (Python's urllib, many HTTP libraries) then sees `Broken pipe` or
//! `Connection reset` instead of the reply. So the reply goes out at once
//! and the rest of the body is read and thrown away in the background, at
//! most [`DRAIN_BYTES`](super::DRAIN_BYTES) within
//! [`DRAIN_TIMEOUT`](super::DRAIN_TIMEOUT); once it is all in, the
//! connection is kept for the next request as usual. Memory stays
//! bounded: the drained bytes are dropped as they come, never buffered.
//!
//! Not drained, and answered with `Connection: close`:
//! - a body announced (`Content-Length`) as longer than the drain bound;
//! - a body the sender is holding back until told to go on
//!   (`Expect: 100-continue`, not yet asked for): it never sends it, and
//!   reads the reply straight away.
//!
//! A streamed body that goes past the bound, or stalls past the timeout,
//! has its connection closed when the drain gives up.

use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::body::{Body, Incoming};
use hyper::header::{CONNECTION, EXPECT, HeaderValue};
use hyper::{HeaderMap, Response};

use super::server::Router;

/// Send `reply` to a request whose `body` was not read to its end
/// (`started`: some of it was read, so any `100 Continue` went out
/// already). Drains the rest in the background within `limits`, or marks
/// the reply `Connection: close` when the rest will not be drained.
pub(super) fn early_reply(
    headers: &HeaderMap,
    body: Incoming,
    started: bool,
    mut reply: Response<Full<Bytes>>,
    router: &Router,
) -> Response<Full<Bytes>> {
    let limits = &router.limits;
    if body.is_end_stream() {
        return reply;
    }
    let held_back = !started && expects_continue(headers);
    let too_long = body
        .size_hint()
        .exact()
        .is_some_and(|rest| rest > limits.drain_bytes as u64);
    if held_back || too_long {
        // Dropping the body makes hyper read what has already arrived and
        // close the connection after the reply.
        reply
            .headers_mut()
            .insert(CONNECTION, HeaderValue::from_static("close"));
        return reply;
    }
    router
        .tasks
        .spawn(drain(body, limits.drain_bytes, limits.drain_timeout));
    reply
}

/// Whether the request asks `Expect: 100-continue`.
fn expects_continue(headers: &HeaderMap) -> bool {
    headers
        .get(EXPECT)
        .is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"100-continue"))
}

/// Read and drop the rest of `body`: at most `max` bytes within
/// `timeout`. Giving up drops the body, and hyper closes the connection;
/// so does the connection ending (evtop shutting down included), which
/// ends the read.
async fn drain(mut body: Incoming, max: usize, timeout: Duration) {
    let discard = async {
        let mut left = max;
        while let Some(Ok(frame)) = body.frame().await {
            if let Some(data) = frame.data_ref() {
                if data.len() > left {
                    tracing::debug!("webhook: refused body longer than the drain bound, closing");
                    return;
                }
                left -= data.len();
            }
        }
    };
    if tokio::time::timeout(timeout, discard).await.is_err() {
        tracing::debug!("webhook: refused body not in within the drain timeout, closing");
    }
}
