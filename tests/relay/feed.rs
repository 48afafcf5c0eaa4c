//! An SSE server for the relay tests: a fixed list of events with ids, of
//! which it serves the first `available` (more can be released while
//! clients are connected), resuming after `Last-Event-ID`; it can be
//! stopped (every connection dropped) and started again on the same port.

#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::AsyncWriteExt;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::support::{read_head, sse_head};

/// One SSE event: id, type, data.
#[derive(Debug, Clone)]
pub struct FeedEvent {
    pub id: String,
    pub ty: String,
    pub data: String,
}

/// `n` events with ids `e1`…, six types, small JSON data.
pub fn numbered(n: usize) -> Vec<FeedEvent> {
    const TYPES: [&str; 6] = [
        "charge.succeeded",
        "charge.failed",
        "invoice.paid",
        "customer.created",
        "payout.sent",
        "ping",
    ];
    (1..=n)
        .map(|i| FeedEvent {
            id: format!("e{i}"),
            ty: TYPES[i % TYPES.len()].to_string(),
            data: format!(r#"{{"n":{i},"amount":{}.50}}"#, i * 7),
        })
        .collect()
}

pub struct Feed {
    pub addr: SocketAddr,
    events: Arc<Vec<FeedEvent>>,
    available: watch::Sender<usize>,
    /// Events between pauses of `pace` (0: no pauses).
    chunk: usize,
    pace: Duration,
    /// The `Last-Event-ID` of every request, in arrival order.
    pub last_ids: Arc<Mutex<Vec<Option<String>>>>,
    /// The accept loop.
    tasks: Option<JoinSet<()>>,
    /// One task per connection.
    conns: Arc<Mutex<JoinSet<()>>>,
}

impl Feed {
    /// Serve `events` on 127.0.0.1:0, the first `available` of them.
    pub async fn start(events: Vec<FeedEvent>, available: usize) -> Feed {
        Feed::start_paced(events, available, 0, Duration::ZERO).await
    }

    /// [`Feed::start`], pausing `pace` after every `chunk` events (a stream
    /// that takes a while).
    pub async fn start_paced(events: Vec<FeedEvent>, available: usize, chunk: usize, pace: Duration) -> Feed {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let mut feed = Feed {
            addr: listener.local_addr().unwrap(),
            events: Arc::new(events),
            available: watch::channel(available).0,
            chunk,
            pace,
            last_ids: Arc::default(),
            tasks: None,
            conns: Arc::default(),
        };
        feed.serve(listener);
        feed
    }

    pub fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    /// Serve the first `n` events.
    pub fn release(&self, n: usize) {
        self.available.send_replace(n.min(self.events.len()));
    }

    /// Drop the listener and every connection (a server going away), and
    /// wait until they are gone, so that nothing more is sent on them.
    pub async fn stop(&mut self) {
        if let Some(mut t) = self.tasks.take() {
            t.abort_all();
            while t.join_next().await.is_some() {}
        }
        let mut conns = std::mem::take(&mut *self.conns.lock().unwrap());
        conns.abort_all();
        while conns.join_next().await.is_some() {}
    }

    /// Listen again on the same port.
    pub async fn restart(&mut self) {
        self.stop().await;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let listener = loop {
            match TcpListener::bind(self.addr).await {
                Ok(l) => break l,
                Err(e) if tokio::time::Instant::now() > deadline => {
                    panic!("cannot listen on {} again: {e}", self.addr)
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(20)).await,
            }
        };
        self.serve(listener);
    }

    fn serve(&mut self, listener: TcpListener) {
        let mut tasks = JoinSet::new();
        let events = self.events.clone();
        let available = self.available.subscribe();
        let last_ids = self.last_ids.clone();
        let (chunk, pace) = (self.chunk, self.pace);
        let conns = self.conns.clone();
        tasks.spawn(async move {
            while let Ok((mut sock, _)) = listener.accept().await {
                let Some(req) = read_head(&mut sock).await else {
                    continue;
                };
                let last = req.header("Last-Event-ID").map(str::to_owned);
                last_ids.lock().unwrap().push(last.clone());
                let start = last
                    .as_deref()
                    .and_then(|id| events.iter().position(|e| e.id == id))
                    .map_or(0, |i| i + 1);
                let events = events.clone();
                let mut available = available.clone();
                conns.lock().unwrap().spawn(async move {
                    sse_head(&mut sock).await;
                    let mut next = start;
                    loop {
                        let until = *available.borrow_and_update();
                        while next < until {
                            let e = &events[next];
                            let frame = format!("id: {}\nevent: {}\ndata: {}\n\n", e.id, e.ty, e.data);
                            if sock.write_all(frame.as_bytes()).await.is_err() {
                                return;
                            }
                            next += 1;
                            if chunk > 0 && next % chunk == 0 {
                                tokio::time::sleep(pace).await;
                            }
                        }
                        if available.changed().await.is_err() {
                            return;
                        }
                    }
                });
            }
        });
        self.tasks = Some(tasks);
    }
}

impl Drop for Feed {
    fn drop(&mut self) {
        if let Some(mut t) = self.tasks.take() {
            t.abort_all();
        }
        self.conns.lock().unwrap().abort_all();
    }
}
