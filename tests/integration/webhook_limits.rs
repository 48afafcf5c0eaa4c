//! The webhook server's bounds under abuse: headers trickled in, idle
//! connections by the hundred, connections over the cap. Most run the
//! server with short timeouts (`Limits`) so the mechanism shows without
//! waiting; one runs the real ten seconds.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use evtop::source::SourceMsg;
use evtop::source::webhook::{HEADER_TIMEOUT, Limits, MAX_CONNECTIONS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use crate::support::*;

/// A webhook source on /h served with `limits`; returns its address, the
/// channel its events arrive on, and the token that stops it.
async fn serve_with(limits: Limits) -> (SocketAddr, mpsc::Receiver<SourceMsg>, CancellationToken) {
    webhook_served(limits, 65536).await
}

/// Send `request` one byte every `gap` until the server closes the
/// connection; returns how many bytes went out before it did (or the
/// whole length, if it never did).
async fn trickle(addr: SocketAddr, request: &[u8], gap: Duration) -> usize {
    let sock = TcpStream::connect(addr).await.unwrap();
    let (mut read, mut write) = sock.into_split();
    let sent = Arc::new(AtomicUsize::new(0));
    let closed_at = {
        let sent = sent.clone();
        tokio::spawn(async move {
            let mut buf = [0u8; 1024];
            loop {
                match read.read(&mut buf).await {
                    Ok(0) | Err(_) => return sent.load(Ordering::SeqCst),
                    Ok(_) => {}
                }
            }
        })
    };
    for byte in request {
        if closed_at.is_finished() || write.write_all(&[*byte]).await.is_err() {
            break;
        }
        sent.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(gap).await;
    }
    if !closed_at.is_finished() {
        return request.len();
    }
    closed_at.await.unwrap()
}

const REQUEST: &[u8] = b"POST /h HTTP/1.1\r\nHost: evtop\r\nContent-Length: 2\r\nX-Slow: trickle\r\n\r\n{}";

#[tokio::test(flavor = "multi_thread")]
async fn trickled_headers_are_cut_off_at_the_header_timeout() {
    let limits = Limits {
        header_timeout: Duration::from_millis(400),
        ..Limits::default()
    };
    let (addr, mut rx, cancel) = serve_with(limits).await;
    let sent = trickle(addr, REQUEST, Duration::from_millis(50)).await;
    assert!(
        sent < REQUEST.len() - 4,
        "cut off before the headers were in: {sent} of {}",
        REQUEST.len()
    );
    assert!(
        rx.try_recv().is_err(),
        "no event from a request that never arrived"
    );
    // The server goes on answering.
    let resp = sender()
        .post(format!("http://{addr}/h"))
        .body("{}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn one_byte_a_second_is_cut_off_after_ten_seconds() {
    assert_eq!(HEADER_TIMEOUT, Duration::from_secs(10));
    assert_eq!(Limits::default().header_timeout, HEADER_TIMEOUT);
    let specs = config_sources(
        "[[source]]\nname = \"h\"\nkind = \"webhook\"\nlisten = \"127.0.0.1:0\"\npath = \"/h\"\n",
    );
    let (engine, urls) = live_webhooks(&specs, 65536).await;
    let addr: SocketAddr = urls[0]
        .trim_start_matches("http://")
        .trim_end_matches("/h")
        .parse()
        .unwrap();
    let started = Instant::now();
    let sent = trickle(addr, REQUEST, Duration::from_secs(1)).await;
    let took = started.elapsed();
    assert!(sent < 15, "cut off after about ten bytes, not at the end: {sent}");
    assert!(took >= Duration::from_secs(9), "not before the timeout: {took:?}");
    engine.shutdown().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_hundred_idle_connections_do_not_shut_out_a_delivery() {
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        ..Limits::default()
    };
    assert_eq!(limits.max_connections, MAX_CONNECTIONS);
    let (addr, mut rx, cancel) = serve_with(limits).await;
    let mut idle = Vec::new();
    for _ in 0..100 {
        idle.push(TcpStream::connect(addr).await.unwrap());
    }
    // A real delivery behind them waits at most for the cap's queue to
    // move (each idle connection is cut at the header timeout).
    let resp = sender()
        .post(format!("http://{addr}/h"))
        .body("{\"real\":true}")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 200);
    let msg = tokio::time::timeout(Duration::from_secs(10), rx.recv())
        .await
        .unwrap()
        .unwrap();
    let SourceMsg::Events { events, .. } = msg else {
        panic!("{msg:?}")
    };
    assert_eq!(events[0].data, "{\"real\":true}");
    // The server closed every idle connection (each read ends: EOF, or a
    // reset).
    for mut sock in idle {
        let mut rest = Vec::new();
        let ended = tokio::time::timeout(Duration::from_secs(10), sock.read_to_end(&mut rest)).await;
        assert!(ended.is_ok(), "an idle connection was left open");
    }
    cancel.cancel();
}

#[tokio::test(flavor = "multi_thread")]
async fn connections_over_the_cap_wait_until_one_ends() {
    let limits = Limits {
        header_timeout: Duration::from_secs(60),
        max_connections: 2,
        ..Limits::default()
    };
    let (addr, _rx, cancel) = serve_with(limits).await;
    let first = TcpStream::connect(addr).await.unwrap();
    let _second = TcpStream::connect(addr).await.unwrap();
    let delivery = tokio::spawn(async move {
        sender()
            .post(format!("http://{addr}/h"))
            .body("{}")
            .send()
            .await
            .map(|r| r.status().as_u16())
    });
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(
        !delivery.is_finished(),
        "a third connection is not served while two are open"
    );
    drop(first);
    let status = tokio::time::timeout(Duration::from_secs(10), delivery)
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert_eq!(status, 200, "served once a connection ended");
    cancel.cancel();
}
