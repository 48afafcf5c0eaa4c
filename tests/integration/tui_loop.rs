//! The real TUI loop on a `TestBackend`, fed by a real SSE server and a
//! scripted key stream.

use std::time::Duration;

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};
use evtop::app::App;
use evtop::event::now_millis;
use evtop::filter::Filter;
use evtop::store::Store;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use tokio::io::AsyncWriteExt;

use crate::support::*;

fn key(c: char) -> std::io::Result<CEvent> {
    Ok(CEvent::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)))
}

#[tokio::test]
async fn loop_ingests_filters_draws_and_quits() {
    let (addr, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for i in 0..40 {
            let ty = if i % 2 == 0 { "order.created" } else { "order.paid" };
            let _ = sock
                .write_all(format!("id: o{i}\nevent: {ty}\ndata: {{\"n\":{i}}}\n\n").as_bytes())
                .await;
        }
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let specs = [sse_spec("orders", format!("http://{addr}/"), false, None)];
    let mut eng = engine(&specs, 1 << 20);
    let mut app = App::new(
        Store::new(1000, &specs, now_millis()),
        Filter::default(),
        false,
        now_millis(),
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    // Wait for the events, filter to order.paid, then quit.
    let script = futures_util::stream::unfold(0usize, |i| async move {
        let keys = "\u{0}/type:order.paid\n\u{0}q";
        let c = keys.chars().nth(i)?;
        if c == '\u{0}' {
            tokio::time::sleep(Duration::from_millis(800)).await;
            return Some((Ok(CEvent::FocusGained), i + 1));
        }
        let ev = if c == '\n' {
            Ok(CEvent::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)))
        } else {
            key(c)
        };
        Some((ev, i + 1))
    });
    let script = Box::pin(script);
    let mut clip = Vec::new();
    let code = evtop::tui::run_loop(&mut term, script, &mut eng, &mut app, 30, &mut clip)
        .await
        .unwrap();
    assert_eq!(code, 0);
    assert_eq!(app.store.records().len(), 40);
    assert_eq!(app.feed.seqs.len(), 20);
    // The last frame drawn shows the filtered feed.
    let buf = term.backend().buffer();
    let text: String = buf.content().iter().map(|c| c.symbol()).collect();
    assert!(
        text.contains("orders order.paid o39 n=39") && !text.contains("orders order.created"),
        "{text}"
    );
    eng.shutdown().await;
}

/// Sources that hang, trickle or refuse never stall the UI: keys are
/// answered and `q` quits at once.
#[tokio::test]
async fn keys_are_answered_while_sources_hang_trickle_or_fail() {
    let (silent, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        tokio::time::sleep(Duration::from_secs(60)).await;
    })
    .await;
    let (trickle, _) = raw_server(|_, _, mut sock| async move {
        sse_head(&mut sock).await;
        for b in b"data: drip\n\n".iter().cycle().take(600) {
            if sock.write_all(&[*b]).await.is_err() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
    .await;
    let refused = {
        let l = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        l.local_addr().unwrap()
    };
    let specs = [
        sse_spec("silent", format!("http://{silent}/"), false, None),
        sse_spec("trickle", format!("http://{trickle}/"), false, None),
        sse_spec("refused", format!("http://{refused}/"), false, None),
    ];
    let mut eng = engine(&specs, 1 << 20);
    let mut app = App::new(
        Store::new(1000, &specs, now_millis()),
        Filter::default(),
        false,
        now_millis(),
    );
    let mut term = Terminal::new(TestBackend::new(100, 30)).unwrap();
    let script = Box::pin(futures_util::stream::unfold(0usize, |i| async move {
        let keys = ['t', 'j', '?', 's', 'v', 'q'];
        let c = *keys.get(i)?;
        tokio::time::sleep(Duration::from_millis(300)).await;
        Some((key(c), i + 1))
    }));
    let mut clip = Vec::new();
    let run = evtop::tui::run_loop(&mut term, script, &mut eng, &mut app, 30, &mut clip);
    let code = tokio::time::timeout(Duration::from_secs(10), run)
        .await
        .expect("the UI stalled")
        .unwrap();
    assert_eq!(code, 0);
    let states: Vec<String> = app.store.sources().iter().map(|s| s.status.to_string()).collect();
    assert!(states[2].contains("cannot connect"), "{states:?}");
    eng.shutdown().await;
}

/// Issue 12: a live source is shown as it is. A real SSE server sends
/// every 50 ms, dies, and comes back for two events then goes silent; a
/// real polled endpoint starts answering bodies that are not JSON. The
/// loop leaves a marker where the stream was down, the status bar says
/// `degraded` for the poll, and 40 s of silence on a stream that sent
/// every 50 ms reads `quiet 40s`, not `live`.
#[tokio::test]
async fn loop_shows_quiet_degraded_and_disconnection_markers() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicUsize, Ordering};
    let done = Arc::new(AtomicUsize::new(0));
    let d = done.clone();
    let (ticker, _) = raw_server(move |n, _, mut sock| {
        let d = d.clone();
        async move {
            sse_head(&mut sock).await;
            let _ = sock.write_all(b"retry: 100\n\n").await;
            let count = if n == 0 { 8 } else { 2 };
            for i in 0..count {
                let _ = sock
                    .write_all(format!("id: t{n}-{i}\nevent: tick\ndata: {{\"i\":{i}}}\n\n").as_bytes())
                    .await;
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            if n == 0 {
                return; // dies: the connection closes
            }
            d.fetch_add(1, Ordering::SeqCst);
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
    })
    .await;
    let d = done.clone();
    let (api, _) = raw_server(move |n, _, mut sock| {
        let d = d.clone();
        async move {
            let body = if n == 0 {
                r#"[{"id":"a1","type":"order.paid"}]"#
            } else {
                "<html>502 Bad Gateway</html>"
            };
            respond(&mut sock, "200 OK", &[("Content-Type", "application/json")], body).await;
            if n == 2 {
                d.fetch_add(1, Ordering::SeqCst);
            }
        }
    })
    .await;
    let mut specs = vec![sse_spec("ticker", format!("http://{ticker}/"), false, None)];
    specs.extend(config_sources(&format!(
        "[[source]]\nname = \"api\"\nkind = \"poll\"\nurl = \"http://{api}/\"\ninterval = \"100ms\"\n"
    )));
    let mut eng = engine(&specs, 1 << 20);
    let mut app = App::new(
        Store::new(1000, &specs, now_millis()),
        Filter::default(),
        false,
        now_millis(),
    );
    let mut term = Terminal::new(TestBackend::new(120, 40)).unwrap();
    let flags = done.clone();
    let script = Box::pin(futures_util::stream::unfold(0usize, move |step| {
        let flags = flags.clone();
        async move {
            if step > 0 {
                return None;
            }
            // Until both servers have done their part, then a moment for
            // the loop to take it in.
            while flags.load(Ordering::SeqCst) < 2 {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            tokio::time::sleep(Duration::from_millis(300)).await;
            Some((key('q'), 1))
        }
    }));
    let mut clip = Vec::new();
    let run = evtop::tui::run_loop(&mut term, script, &mut eng, &mut app, 30, &mut clip);
    tokio::time::timeout(Duration::from_secs(20), run)
        .await
        .expect("the loop ended")
        .unwrap();
    eng.shutdown().await;

    // The marker: down when the first connection closed, back after.
    assert_eq!(app.markers.len(), 1, "{:?}", app.markers);
    let m = &app.markers[0];
    assert!(m.up.is_some(), "{m:?}");
    let first_after = app.store.get(m.at_seq).map(|r| r.id().unwrap_or("").to_owned());
    assert_eq!(
        first_after.as_deref(),
        Some("t1-0"),
        "the marker sits before the first event after"
    );
    let ticker_state = &app.store.sources()[0];
    let silent_from = ticker_state.last_event_at.unwrap().max(ticker_state.status_since);
    // Drawn 40 s later (the loop's clock is the wall clock, so the frame is
    // drawn here with the app's time moved on).
    app.now = silent_from + 40_000;
    term.draw(|f| evtop::ui::draw(f, &app)).unwrap();
    let text: String = term
        .backend()
        .buffer()
        .content()
        .chunks(120)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>() + "\n")
        .collect();
    let top = text.lines().next().unwrap();
    assert!(top.contains("ticker quiet 40s"), "{top}");
    assert!(top.contains("api degraded: "), "{top}");
    assert!(!top.contains("live"), "nothing here is live: {top}");
    let marker = text
        .lines()
        .find(|l| l.contains("ticker disconnected"))
        .unwrap_or_else(|| panic!("no marker row:\n{text}"));
    assert!(
        marker.starts_with("── ticker disconnected ") && marker.contains(", back "),
        "{marker}"
    );
}
