//! The SSE source against real servers: resume, status codes, content type,
//! bounds, idle timeout, Streamdata, and agreement with axum's SSE encoder.

use std::time::Duration;

use evtop::event::Event;
use evtop::source::{DropKind, SourceMsg, Status};
use evtop::store::Store;
use futures_util::StreamExt;
use tokio::io::AsyncWriteExt;

use crate::support::*;

fn events_of(msgs: &[SourceMsg]) -> Vec<Event> {
    msgs.iter()
        .filter_map(|m| match m {
            SourceMsg::Events { events, .. } => Some(events.clone()),
            _ => None,
        })
        .flatten()
        .collect()
}

fn retrying(msgs: &[SourceMsg]) -> Vec<(Duration, String)> {
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

#[tokio::test]
async fn resumes_with_last_event_id_after_every_drop() {
    const TOTAL: usize = 60;
    const K: usize = 7;
    let (addr, seen) = raw_server(|_, req, mut sock| async move {
        let start: usize = req
            .header("Last-Event-ID")
            .map_or(0, |v| v.parse::<usize>().unwrap() + 1);
        sse_head(&mut sock).await;
        let mut body = String::from("retry: 20\n\n");
        for i in start..(start + K).min(TOTAL) {
            body.push_str(&format!("id: {i}\nevent: tick\ndata: {{\"n\":{i}}}\n\n"));
        }
        let _ = sock.write_all(body.as_bytes()).await;
        // Drop the connection abruptly.
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let mut got = Vec::new();
    let msgs = until(&mut eng, 20, |m| {
        if let SourceMsg::Events { events, .. } = m {
            got.extend(events.iter().map(|e| e.id.clone().unwrap()));
        }
        got.len() >= TOTAL
    })
    .await;
    let want: Vec<String> = (0..TOTAL).map(|i| i.to_string()).collect();
    assert_eq!(got, want, "every id exactly once, in order");
    let reqs = seen.lock().unwrap().clone();
    let want_ids: Vec<Option<String>> = (0..reqs.len())
        .map(|c| {
            if c == 0 {
                None
            } else {
                Some((c * K - 1).to_string())
            }
        })
        .collect();
    let got_ids: Vec<Option<String>> = reqs
        .iter()
        .map(|r| r.header("Last-Event-ID").map(str::to_owned))
        .collect();
    assert_eq!(got_ids, want_ids, "Last-Event-ID sent on each reconnect");
    // The server's retry: 20 was used (clamped up to the 100 ms floor).
    assert!(
        retrying(&msgs)
            .iter()
            .all(|(d, _)| *d == Duration::from_millis(100)),
        "{:?}",
        retrying(&msgs)
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn id_only_block_sets_last_event_id() {
    let (addr, seen) = raw_server(|n, _, mut sock| async move {
        sse_head(&mut sock).await;
        if n == 0 {
            let _ = sock
                .write_all(b"retry: 100\ndata: a\n\nid: checkpoint-9\n\n")
                .await;
        } else {
            let _ = sock.write_all(b"data: b\n\n").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let mut n = 0;
    until(&mut eng, 10, |m| {
        if let SourceMsg::Events { events, .. } = m {
            n += events.len();
        }
        n >= 2
    })
    .await;
    let reqs = seen.lock().unwrap().clone();
    assert_eq!(reqs[1].header("Last-Event-ID"), Some("checkpoint-9"));
    eng.shutdown().await;
}

#[tokio::test]
async fn http_204_stops_the_source() {
    let (addr, seen) = raw_server(|_, _, mut sock| async move {
        respond(&mut sock, "204 No Content", &[], "").await;
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let msgs = until(&mut eng, 10, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Closed(_),
                ..
            }
        )
    })
    .await;
    let SourceMsg::Status {
        status: Status::Closed(reason),
        ..
    } = msgs.last().unwrap()
    else {
        unreachable!()
    };
    assert!(reason.contains("closed by server"), "{reason}");
    // The task ended: the channel closes, and no second request was made.
    let rest = tokio::time::timeout(Duration::from_secs(5), eng.rx.recv())
        .await
        .unwrap();
    assert!(rest.is_none());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[tokio::test]
async fn http_503_honours_retry_after() {
    let (addr, _) = raw_server(|n, _, mut sock| async move {
        if n == 0 {
            respond(
                &mut sock,
                "503 Service Unavailable",
                &[("Retry-After", "2")],
                "down for maintenance",
            )
            .await;
        } else {
            sse_head(&mut sock).await;
            let _ = sock.write_all(b"data: back\n\n").await;
            tokio::time::sleep(Duration::from_secs(5)).await;
        }
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let msgs = until(&mut eng, 10, |m| matches!(m, SourceMsg::Events { .. })).await;
    let r = retrying(&msgs);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].0, Duration::from_secs(2));
    assert!(
        r[0].1.contains("503 Service Unavailable") && r[0].1.contains("down for maintenance"),
        "{}",
        r[0].1
    );
    assert_eq!(events_of(&msgs)[0].data, "back");
    eng.shutdown().await;
}

#[tokio::test]
async fn http_401_retries_slowly_and_shows_the_body() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        respond(
            &mut sock,
            "401 Unauthorized",
            &[("Content-Type", "application/json")],
            r#"{"error":"bad token"}"#,
        )
        .await;
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let msgs = until(&mut eng, 10, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let r = retrying(&msgs);
    assert!(r[0].0 >= Duration::from_secs(30), "{:?}", r[0].0);
    assert!(
        r[0].1.contains("401 Unauthorized") && r[0].1.contains("bad token"),
        "{}",
        r[0].1
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn wrong_content_type_is_named() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        respond(
            &mut sock,
            "200 OK",
            &[("Content-Type", "text/html; charset=utf-8")],
            "<html>login</html>",
        )
        .await;
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let msgs = until(&mut eng, 10, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let reason = &retrying(&msgs)[0].1;
    assert!(
        reason.contains("text/html") && reason.contains("expected text/event-stream"),
        "{reason}"
    );
    eng.shutdown().await;
}

#[tokio::test]
async fn oversize_event_between_two_small_ones() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock.write_all(b"data: first\n\ndata: ").await;
        let chunk = vec![b'x'; 64 * 1024];
        for _ in 0..128 {
            // 8 MiB
            if sock.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"\n\ndata: second\n\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let mut datas = Vec::new();
    let msgs = until(&mut eng, 20, |m| {
        if let SourceMsg::Events { events, .. } = m {
            datas.extend(events.iter().map(|e| e.data.clone()));
        }
        datas.len() >= 2
    })
    .await;
    assert_eq!(datas, ["first", "second"]);
    let drops: Vec<_> = msgs
        .iter()
        .filter_map(|m| match m {
            SourceMsg::Dropped { kind, detail, .. } => Some((*kind, detail.clone())),
            _ => None,
        })
        .collect();
    assert_eq!(drops.len(), 1, "{drops:?}");
    assert_eq!(drops[0].0, DropKind::Oversize);
    assert!(drops[0].1.contains("max_event_bytes"), "{}", drops[0].1);
    eng.shutdown().await;
}

#[tokio::test]
async fn endless_line_is_skipped_and_the_stream_goes_on() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock.write_all(b"data: ").await;
        let chunk = vec![b'z'; 64 * 1024];
        for _ in 0..512 {
            // 32 MiB without a newline, with a 64 KiB bound on the client
            if sock.write_all(&chunk).await.is_err() {
                return;
            }
        }
        let _ = sock.write_all(b"\n\ndata: after\n\n").await;
        tokio::time::sleep(Duration::from_secs(5)).await;
    })
    .await;
    let mut eng = engine(
        &[sse_spec("s", format!("http://{addr}/"), false, None)],
        64 * 1024,
    );
    let msgs = until(&mut eng, 30, |m| matches!(m, SourceMsg::Events { .. })).await;
    assert!(msgs.iter().any(|m| matches!(
        m,
        SourceMsg::Dropped {
            kind: DropKind::Oversize,
            ..
        }
    )));
    assert_eq!(events_of(&msgs)[0].data, "after");
    eng.shutdown().await;
}

#[tokio::test]
async fn idle_timeout_reconnects_a_silent_stream() {
    let (addr, seen) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        let _ = sock.write_all(b"retry: 100\ndata: hello\n\n").await;
        tokio::time::sleep(Duration::from_secs(30)).await; // then silence, connection open
    })
    .await;
    let spec = sse_spec(
        "s",
        format!("http://{addr}/"),
        false,
        Some(Duration::from_millis(300)),
    );
    let mut eng = engine(&[spec], 1 << 20);
    let msgs = until(&mut eng, 10, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    assert!(
        retrying(&msgs)[0].1.contains("nothing received for 300ms"),
        "{:?}",
        retrying(&msgs)
    );
    until(&mut eng, 10, |m| matches!(m, SourceMsg::Events { .. })).await;
    assert!(seen.lock().unwrap().len() >= 2, "reconnected");
    eng.shutdown().await;
}

/// Streamdata: snapshot, every op, then a failing `test` → state untouched,
/// reconnect without Last-Event-ID, fresh snapshot, final state = server's.
#[tokio::test]
async fn streamdata_resyncs_after_a_failed_patch() {
    let final_state = serde_json::json!({"quotes":[{"sym":"ACME","px":12.5}],"open":true});
    let fs = final_state.clone();
    let (addr, seen) = raw_server(move |n, _, mut sock| {
        let fs = fs.clone();
        async move {
            sse_head(&mut sock).await;
            if n == 0 {
                let body = concat!(
                    "retry: 100\n\n",
                    "id: 1\nevent: data\ndata: {\"quotes\":[{\"sym\":\"ACME\",\"px\":10}],\"n\":0}\n\n",
                    "id: 2\nevent: patch\ndata: [{\"op\":\"replace\",\"path\":\"/quotes/0/px\",\"value\":11},{\"op\":\"add\",\"path\":\"/open\",\"value\":true},{\"op\":\"remove\",\"path\":\"/n\"}]\n\n",
                    "id: 3\nevent: patch\ndata: [{\"op\":\"copy\",\"from\":\"/open\",\"path\":\"/tmp\"},{\"op\":\"move\",\"from\":\"/tmp\",\"path\":\"/tmp2\"},{\"op\":\"test\",\"path\":\"/tmp2\",\"value\":true},{\"op\":\"remove\",\"path\":\"/tmp2\"}]\n\n",
                    "id: 4\nevent: patch\ndata: [{\"op\":\"replace\",\"path\":\"/quotes/0/px\",\"value\":99},{\"op\":\"test\",\"path\":\"/quotes/0/sym\",\"value\":\"WRONG\"}]\n\n",
                    "id: 5\nevent: patch\ndata: [{\"op\":\"replace\",\"path\":\"/quotes/0/px\",\"value\":50}]\n\n",
                );
                let _ = sock.write_all(body.as_bytes()).await;
            } else {
                let body = format!("id: 10\nevent: data\ndata: {fs}\n\n");
                let _ = sock.write_all(body.as_bytes()).await;
            }
            tokio::time::sleep(Duration::from_secs(30)).await;
        }
    })
    .await;
    let specs = [sse_spec("q", format!("http://{addr}/"), true, None)];
    let mut eng = engine(&specs, 1 << 20);
    let mut store = Store::new(1000, &specs, 0);
    let mut states = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let msg = tokio::time::timeout_at(deadline, eng.rx.recv())
            .await
            .expect("timed out")
            .unwrap();
        let is_events = matches!(msg, SourceMsg::Events { .. });
        if let Some(id) = store.ingest(msg, 0, |_, _| {}) {
            states.push(store.sources()[0].state.clone());
            eng.resync(id);
        }
        if is_events && store.sources()[0].state.as_ref() == Some(&final_state) {
            break;
        }
    }
    assert_eq!(
        states,
        [Some(
            serde_json::json!({"quotes":[{"sym":"ACME","px":11}],"open":true})
        )],
        "the failing patch left the state as it was"
    );
    let src = &store.sources()[0];
    assert_eq!(src.unparsable, 1);
    assert!(!src.out_of_sync);
    let reqs = seen.lock().unwrap().clone();
    assert!(reqs.len() >= 2);
    assert_eq!(
        reqs[1].header("Last-Event-ID"),
        None,
        "a resync asks for a fresh snapshot"
    );
    // All events stay in the feed (5 + the new snapshot).
    assert_eq!(store.records().len(), 6);
    eng.shutdown().await;
}

/// Random events encoded by axum's SSE implementation arrive intact.
#[tokio::test]
async fn agrees_with_axum_sse_encoder_on_random_events() {
    use axum::response::sse::{Event as AxEvent, Sse};
    let mut rng = fastrand::Rng::with_seed(42);
    let alphabet: Vec<char> = "ab :é€😀\n\r\t{}\"\\,".chars().collect();
    let mut expected = Vec::new();
    for i in 0..300 {
        let len = rng.usize(0..40);
        let mut data: String = (0..len).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
        // axum splits data on LF (and CR/CRLF); EventSource gives LF back.
        data = data.replace("\r\n", "\n").replace('\r', "\n");
        let ty = ["message", "charge.succeeded", "a:b", "x y"][rng.usize(..4)].to_owned();
        let id = (rng.bool()).then(|| format!("id-{i}"));
        expected.push((ty, data, id));
    }
    let exp = expected.clone();
    // axum writes no `data:` line for empty data, so EventSource semantics
    // dispatch nothing for those: they are not expected.
    expected.retain(|(_, data, _)| !data.is_empty());
    let app = axum::Router::new().route(
        "/",
        axum::routing::get(move || {
            let exp = exp.clone();
            async move {
                let stream = futures_util::stream::iter(exp.into_iter().map(|(ty, data, id)| {
                    let mut e = AxEvent::default().data(data);
                    if ty != "message" {
                        e = e.event(ty);
                    }
                    if let Some(id) = id {
                        e = e.id(id);
                    }
                    Ok::<_, std::convert::Infallible>(e)
                }))
                .chain(futures_util::stream::pending());
                Sse::new(stream)
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut eng = engine(&[sse_spec("ax", format!("http://{addr}/"), false, None)], 1 << 20);
    let mut got = Vec::new();
    until(&mut eng, 10, |m| {
        if let SourceMsg::Events { events, .. } = m {
            got.extend(
                events
                    .iter()
                    .map(|e| (e.ty.clone(), e.data.clone(), e.id.clone())),
            );
        }
        got.len() >= expected.len()
    })
    .await;
    assert_eq!(got, expected);
    eng.shutdown().await;
}

#[tokio::test]
async fn connection_refused_is_reported_and_retried() {
    // Bind then drop to get a port nobody listens on.
    let addr = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let mut eng = engine(&[sse_spec("s", format!("http://{addr}/"), false, None)], 1 << 20);
    let msgs = until(&mut eng, 15, |m| {
        matches!(
            m,
            SourceMsg::Status {
                status: Status::Retrying { .. },
                ..
            }
        )
    })
    .await;
    let (delay, reason) = &retrying(&msgs)[0];
    assert!(reason.contains("cannot connect"), "{reason}");
    assert!(*delay <= Duration::from_secs(1));
    eng.shutdown().await;
}
