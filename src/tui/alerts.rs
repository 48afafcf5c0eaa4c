//! What the monitor's loop does with alert changes (SPEC 11.2): the
//! `notify` bytes go to the terminal writer (never from `draw`), at most
//! one notification a second per alert; `exec` runs on the runtime
//! ([`Runner`]); a failure becomes a notice and a line in the `!` view.

use std::io::Write;

use crate::alert::exec::Runner;
use crate::alert::notify::Limiter;
use crate::app::App;

/// The loop's alert effects.
#[derive(Default)]
pub struct Effects {
    /// Runs `exec`s; its failures wake the loop ([`Runner::failure`]).
    pub runner: Runner,
    limiter: Limiter,
}

impl Effects {
    /// Perform the changes the app's alerts queued: notify bytes to `term`,
    /// `exec`s started. Returns whether anything changed on screen.
    pub fn act(&mut self, app: &mut App, term: &mut dyn Write) -> bool {
        let changes = app.alerts.drain();
        for change in &changes {
            let bytes = change.notify_bytes();
            if !bytes.is_empty() && self.limiter.allow(change.alert, change.at) {
                // Like OSC 52: a terminal that is gone is noticed by the
                // next frame, not here.
                let _ = term.write_all(&bytes).and_then(|()| term.flush());
            }
            if let Some(f) = self.runner.run(change) {
                app.alert_failed(f);
            }
        }
        !changes.is_empty()
    }
}
