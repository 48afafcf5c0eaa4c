//! Test servers for polling sources: a Stripe-style event list and helpers
//! shared by `poll_source.rs` and `poll_binary.rs`.

#![allow(dead_code)]

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use axum::extract::{Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use evtop::event::Event;
use evtop::source::{DropKind, SourceMsg, Status};

use crate::support::serve;

/// First `created` of the Stripe-style events (2026-11-28T10:00:00Z).
pub const CREATED0: i64 = 1_795_860_000;

/// The id of the i-th event (0 is the oldest).
pub fn evt_id(i: usize) -> String {
    format!("evt_{i:04}")
}

/// The i-th event as the server writes it (Stripe's key order).
pub fn stripe_event(i: usize) -> String {
    let ty = ["charge.succeeded", "payment_intent.created", "charge.refunded"][i % 3];
    format!(
        r#"{{"id":"{}","object":"event","type":"{ty}","created":{},"data":{{"object":{{"amount":{}}}}}}}"#,
        evt_id(i),
        CREATED0 + i as i64,
        i * 100
    )
}

/// One request the Stripe-style server answered.
#[derive(Debug, Clone)]
pub struct Logged {
    pub query: HashMap<String, String>,
    /// `has_more` of the answer.
    pub has_more: bool,
}

/// `GET /v1/events` as Stripe documents it: newest first; `limit` (default
/// 10); `ending_before=X` gives the `limit` events immediately newer than X,
/// still newest first, with `has_more` when even newer ones wait; without
/// a cursor the newest `limit`, `has_more` when older ones exist.
#[derive(Clone, Default)]
pub struct Stripe {
    /// How many events exist: ids `evt_0000` … in creation order.
    pub count: Arc<Mutex<usize>>,
    pub log: Arc<Mutex<Vec<Logged>>>,
    /// When set, requests without `Authorization: Bearer <token>` get 401.
    pub token: Option<String>,
    /// Answer the next authorized request with an HTML page quoting its
    /// `Authorization` header (a server that echoes credentials).
    pub echo_once: Arc<AtomicBool>,
}

impl Stripe {
    pub fn with(count: usize) -> Self {
        Stripe {
            count: Arc::new(Mutex::new(count)),
            ..Stripe::default()
        }
    }

    /// Add `n` events at once (one burst).
    pub fn grow(&self, n: usize) {
        *self.count.lock().unwrap() += n;
    }

    pub async fn start(self) -> SocketAddr {
        let app = axum::Router::new()
            .route("/v1/events", axum::routing::get(list))
            .with_state(self);
        serve(app).await
    }

    /// The JSON list body for a query and its `has_more`, or the body of a
    /// 400 for an unknown cursor.
    fn page(&self, q: &HashMap<String, String>) -> Result<(String, bool), String> {
        let n = *self.count.lock().unwrap();
        let limit = q.get("limit").and_then(|l| l.parse().ok()).unwrap_or(10usize);
        let (range, has_more) = match q.get("ending_before") {
            Some(id) => {
                let at = id
                    .strip_prefix("evt_")
                    .and_then(|i| i.parse::<usize>().ok())
                    .filter(|&i| i < n)
                    .ok_or_else(|| format!(r#"{{"error":{{"message":"No such event: '{id}'"}}}}"#))?;
                let end = (at + 1 + limit).min(n);
                (at + 1..end, end < n)
            }
            None => {
                let start = n.saturating_sub(limit);
                (start..n, start > 0)
            }
        };
        let data: Vec<String> = range.rev().map(stripe_event).collect();
        let body = format!(
            r#"{{"object":"list","data":[{}],"has_more":{has_more},"url":"/v1/events"}}"#,
            data.join(",")
        );
        Ok((body, has_more))
    }
}

async fn list(
    State(s): State<Stripe>,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    let auth = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if let Some(token) = &s.token {
        if auth != format!("Bearer {token}") {
            let body = r#"{"error":{"message":"Invalid API Key provided","type":"invalid_request_error"}}"#;
            return (StatusCode::UNAUTHORIZED, body).into_response();
        }
        if s.echo_once.swap(false, Ordering::SeqCst) {
            let page = format!("<html><p>Welcome back, {auth}</p></html>");
            return ([(header::CONTENT_TYPE, "text/html")], page).into_response();
        }
    }
    match s.page(&q) {
        Ok((body, has_more)) => {
            s.log.lock().unwrap().push(Logged { query: q, has_more });
            ([(header::CONTENT_TYPE, "application/json")], body).into_response()
        }
        Err(body) => (StatusCode::BAD_REQUEST, body).into_response(),
    }
}

/// Every event in `msgs`, in order.
pub fn events_of(msgs: &[SourceMsg]) -> Vec<Event> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Events { events, .. } => Some(events.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

/// Every `Retrying` status in `msgs`: (delay, reason).
pub fn retrying(msgs: &[SourceMsg]) -> Vec<(std::time::Duration, String)> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Status {
                status: Status::Retrying { delay, reason },
                ..
            } => Some((*delay, reason.clone())),
            _ => None,
        })
        .collect()
}

/// Every drop in `msgs`: (kind, detail).
pub fn drops(msgs: &[SourceMsg]) -> Vec<(DropKind, String)> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Dropped { kind, detail, .. } => Some((*kind, detail.clone())),
            _ => None,
        })
        .collect()
}

/// A polling source's config text.
pub fn poll_config(name: &str, url: &str, extra: &str) -> String {
    format!("[[source]]\nname = \"{name}\"\nkind = \"poll\"\nurl = \"{url}\"\n{extra}\n")
}
