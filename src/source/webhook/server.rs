//! The HTTP side of the webhook source: accepting connections under a cap,
//! hyper's HTTP/1.1 with a header read timeout, and routing by path and
//! method. What a delivery becomes is `delivery.rs`'s business.

use std::collections::HashMap;
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{ALLOW, CONTENT_TYPE, HeaderValue};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::delivery::Route;
use super::drain::early_reply;
use super::{BODY_TIMEOUT, DRAIN_BYTES, DRAIN_TIMEOUT, HEADER_TIMEOUT, MAX_CONNECTIONS, Routes};
use crate::config::SourceKind;

/// Pause after a failed `accept` (e.g. out of file descriptors), so the
/// loop does not spin.
const ACCEPT_ERROR_PAUSE: Duration = Duration::from_millis(100);

/// The server's bounds. [`Limits::default`] is what evtop uses; tests pass
/// short timeouts to see them act without waiting ten seconds.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// See [`HEADER_TIMEOUT`].
    pub header_timeout: Duration,
    /// See [`BODY_TIMEOUT`].
    pub body_timeout: Duration,
    /// See [`MAX_CONNECTIONS`].
    pub max_connections: usize,
    /// See [`DRAIN_BYTES`].
    pub drain_bytes: usize,
    /// See [`DRAIN_TIMEOUT`].
    pub drain_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            header_timeout: HEADER_TIMEOUT,
            body_timeout: BODY_TIMEOUT,
            max_connections: MAX_CONNECTIONS,
            drain_bytes: DRAIN_BYTES,
            drain_timeout: DRAIN_TIMEOUT,
        }
    }
}

/// The routes of one address.
pub(super) struct Router {
    routes: HashMap<String, Arc<Route>>,
    pub(super) limits: Limits,
    /// Forwarding client: like the sources' but never following redirects,
    /// so the sender sees the app's 3xx as it is.
    pub(super) forward_client: reqwest::Client,
    /// Where connection and drain tasks are spawned (shutdown waits for them).
    pub(super) tasks: tokio_util::task::TaskTracker,
}

/// Serve webhook `routes` (sources of `kind = "webhook"`; others are
/// ignored) on `listener` until the first route's cancel token fires.
///
/// At most `limits.max_connections` connections are served at once: the
/// next is accepted only when one ends, so hundreds of idle connections
/// wait in the kernel's backlog instead of costing memory here, and each
/// served connection must send its headers within `limits.header_timeout`.
pub async fn serve(listener: TcpListener, routes: Routes, limits: Limits) {
    let Some((cancel, tasks)) = routes
        .first()
        .map(|(_, ctx)| (ctx.cancel.clone(), ctx.tasks.clone()))
    else {
        return;
    };
    let mut table = HashMap::new();
    for (spec, ctx) in routes {
        if let SourceKind::Webhook(opts) = &spec.kind {
            let path = opts.path.clone();
            table
                .entry(path)
                .or_insert_with(|| Route::start(spec.clone(), opts.clone(), ctx));
        }
    }
    let forward_client = match forward_client() {
        Ok(c) => c,
        Err(e) => {
            tracing::error!("webhook forwarding client: {e}");
            return;
        }
    };
    let router = Arc::new(Router {
        routes: table,
        limits,
        forward_client,
        tasks: tasks.clone(),
    });
    let permits = Arc::new(Semaphore::new(limits.max_connections.max(1)));
    loop {
        let permit = tokio::select! {
            _ = cancel.cancelled() => return,
            p = permits.clone().acquire_owned() => match p {
                Ok(p) => p,
                Err(_) => return,
            },
        };
        let stream = tokio::select! {
            _ = cancel.cancelled() => return,
            r = listener.accept() => match r {
                Ok((stream, _)) => stream,
                Err(e) => {
                    tracing::warn!("webhook server: accept failed: {e}");
                    tokio::time::sleep(ACCEPT_ERROR_PAUSE).await;
                    continue;
                }
            },
        };
        let _ = stream.set_nodelay(true);
        let router = router.clone();
        let cancel = cancel.clone();
        tasks.spawn(async move {
            let _permit = permit;
            let service = service_fn(move |req| {
                let router = router.clone();
                async move { Ok::<_, Infallible>(dispatch(&router, req).await) }
            });
            let mut builder = http1::Builder::new();
            builder
                .timer(TokioTimer::new())
                .header_read_timeout(limits.header_timeout);
            let conn = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = cancel.cancelled() => {}
                r = conn => if let Err(e) = r {
                    tracing::debug!("webhook connection ended: {e}");
                }
            }
        });
    }
}

/// 404 for an unknown path, 405 for another method (both drained as in
/// [`early_reply`]), else the route.
async fn dispatch(router: &Router, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let Some(route) = router.routes.get(req.uri().path()) else {
        let (parts, body) = req.into_parts();
        let reply = text(StatusCode::NOT_FOUND, "no webhook source at this path\n");
        return early_reply(&parts.headers, body, false, reply, router);
    };
    if req.method() != Method::POST {
        let mut reply = text(
            StatusCode::METHOD_NOT_ALLOWED,
            "webhook deliveries are POST requests\n",
        );
        reply
            .headers_mut()
            .insert(ALLOW, HeaderValue::from_static("POST"));
        let (parts, body) = req.into_parts();
        return early_reply(&parts.headers, body, false, reply, router);
    }
    route.deliver(router, req).await
}

/// A plain-text reply.
pub(super) fn text(status: StatusCode, body: impl Into<Bytes>) -> Response<Full<Bytes>> {
    let mut resp = Response::new(Full::new(body.into()));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

fn forward_client() -> reqwest::Result<reqwest::Client> {
    crate::source::http::client_builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
}
