//! Alerts in the monitor (SPEC 11.2): the evaluator ([`crate::alert::Alerts`])
//! sees every event the store takes in ([`App::ingest`]), before the feed's
//! filter and type selection, and is decided after every batch and on the
//! loop's 1 s tick ([`App::evaluate_alerts`]), on the store's clock. The
//! loop (`tui/alerts.rs`) drains the changes and performs them (notify
//! bytes, `exec`); what shows is drawn from here: the status bar's alert
//! item and the `!` view (`ui/alerts.rs`).

use crate::alert::exec::Failure;
use crate::alert::{AlertSpec, Alerts};
use crate::source::Status;

use super::{App, Overlay};

impl App {
    /// Evaluate `specs` over every event from now on.
    pub fn with_alerts(mut self, specs: &[AlertSpec]) -> Self {
        let names: Vec<&str> = self.store.sources().iter().map(|s| s.name.as_str()).collect();
        self.alerts = Alerts::new(specs, &names, self.store.clock(self.now));
        self
    }

    /// Decide every alert at the store's clock, with the sources' liveness.
    pub fn evaluate_alerts(&mut self) {
        if self.alerts.is_empty() {
            return;
        }
        let now = self.store.clock(self.now);
        let sources = self.store.sources();
        self.alerts.evaluate(now, |id| {
            sources
                .get(id as usize)
                .is_some_and(|s| matches!(s.status, Status::Live(_)))
        });
    }

    /// An `exec` failed (or was skipped): a notice, and a line in the `!`
    /// view's history.
    pub fn alert_failed(&mut self, f: Failure) {
        self.notify(format!("alert {}: {}", f.name, f.text), true);
        self.alerts.note(f.alert, "exec failed", f.text, self.now);
    }

    /// `!`: open the alerts view, or close it when open.
    pub(super) fn toggle_alerts(&mut self) {
        if self.overlay == Some(Overlay::Alerts) {
            self.overlay = None;
        } else {
            self.open(Overlay::Alerts);
        }
    }
}
