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
