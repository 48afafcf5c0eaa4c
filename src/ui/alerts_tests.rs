//! The `!` view and the status bar's alert item on `TestBackend` at 80×24
//! and 120×40, with a fixed clock: a firing rate alert, a firing silent
//! alert, an `each` alert, a reconciliation finding and an `exec` failure.

use std::time::Duration;

use crossterm::event::{Event as CEvent, KeyCode, KeyEvent, KeyModifiers};

use crate::alert::exec::Failure;
use crate::alert::{AlertSpec, Exec, Notify, RateOp, Rule};
use crate::app::{App, Overlay, fixture};
use crate::filter::Filter;

fn alert(name: &str, when: &str, rule: Rule) -> AlertSpec {
    AlertSpec {
        name: name.into(),
        when: Filter::parse(when).unwrap(),
        rule,
        notify: Notify::default(),
        exec: None,
    }
}

fn app() -> App {
    let mut failed = alert(
        "failed charges",
        "type:charge.failed",
        Rule::Rate {
            op: RateOp::Gt,
            count: 5,
            window: Duration::from_secs(60),
        },
    );
    failed.notify = Notify {
        bell: true,
        desktop: true,
    };
    failed.exec = Some(Exec {
        argv: vec![
            "/usr/local/bin/page-me".into(),
            "--severity".into(),
            "high".into(),
        ],
        timeout: Duration::from_secs(10),
    });
    let specs = [
        failed,
        alert(
            "quotes quiet",
            "source:quotes",
            Rule::Silent(Duration::from_secs(10)),
        ),
        alert("big charge", ".data.object.amount>=7000", Rule::Each),
        alert(
            "refunds",
            "type:charge.refunded",
            Rule::Silent(Duration::from_secs(3600)),
        ),
    ];
    let mut app = fixture::app_with_alerts(&specs);
    app.now = fixture::T0 + 20_000;
    app.evaluate_alerts();
    let id = app.alerts.register(
        "reconcile",
        "stripe webhooks".into(),
        Notify::default(),
        None,
        app.now,
    );
    app.alerts
        .report(id, "not delivered evt_7".into(), None, fixture::T0 + 19_000);
    app.alert_failed(Failure {
        alert: 0,
        name: "failed charges".into(),
        text: "exec \"/usr/local/bin/page-me\" exit status: 3".into(),
    });
    let _ = app.alerts.drain();
    app
}

#[test]
fn alerts_view_80x24_and_120x40() {
    let mut app = app();
    app.handle(&CEvent::Key(KeyEvent::new(
        KeyCode::Char('!'),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.overlay, Some(Overlay::Alerts));
    insta::assert_snapshot!("alerts_80x24", fixture::screen(&app, 80, 24));
    insta::assert_snapshot!("alerts_120x40", fixture::screen(&app, 120, 40));
    app.handle(&CEvent::Key(KeyEvent::new(
        KeyCode::Char('!'),
        KeyModifiers::NONE,
    )));
    assert_eq!(app.overlay, None, "! closes it again");
}

#[test]
fn the_status_bar_names_the_first_firing_alert_and_counts_the_rest() {
    let app = app();
    let top = fixture::screen(&app, 120, 40);
    let top = top.lines().next().unwrap();
    assert!(top.contains("! failed charges 10 in 1m +3 (!)"), "{top}");
    let narrow = fixture::screen(&app, 50, 24);
    let narrow = narrow.lines().next().unwrap();
    assert!(narrow.contains("! 4 alerts (!)"), "{narrow}");
}
