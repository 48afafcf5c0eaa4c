//! Whether `tail`'s sources ever worked, for its exit status (SPEC 1): a
//! run that ends while no source ever connected exits 1 with the reasons,
//! and `--fail-after N` ends the run as soon as every source has failed N
//! times in a row. Pure: it only watches the [`SourceMsg`]s go by.

use crate::source::{SourceMsg, Status};

/// What one source has shown so far.
#[derive(Debug, Clone, Default)]
struct SourceHealth {
    name: String,
    /// It was live (or delivered an event) at least once.
    connected: bool,
    /// Failures (`Retrying`) since it was last live.
    failures_in_a_row: u32,
    /// It stopped for good without ever being live (`Closed` before `Live`).
    dead: bool,
    /// The last failure's reason.
    last_reason: Option<String>,
}

/// The health of every source of a `tail` run, indexed by source id.
#[derive(Debug, Clone, Default)]
pub struct Health {
    sources: Vec<SourceHealth>,
}

impl Health {
    /// Health for sources with these names (in source-id order), none of
    /// them connected yet.
    pub fn new<S: Into<String>>(names: impl IntoIterator<Item = S>) -> Self {
        Health {
            sources: names
                .into_iter()
                .map(|n| SourceHealth {
                    name: n.into(),
                    ..SourceHealth::default()
                })
                .collect(),
        }
    }

    /// Take in one message from the engine.
    pub fn observe(&mut self, msg: &SourceMsg) {
        let (source, status) = match msg {
            SourceMsg::Status { source, status } => (*source, Some(status)),
            SourceMsg::Events { source, .. } => (*source, None),
            SourceMsg::Dropped { .. } | SourceMsg::CaughtUp { .. } => return,
        };
        let Some(s) = self.sources.get_mut(source as usize) else {
            return;
        };
        match status {
            None | Some(Status::Live(_)) => {
                s.connected = true;
                s.failures_in_a_row = 0;
            }
            Some(Status::Connecting) => {}
            Some(Status::Retrying { reason, .. }) => {
                s.failures_in_a_row = s.failures_in_a_row.saturating_add(1);
                s.last_reason = Some(reason.clone());
            }
            Some(Status::Finished(_)) => {}
            Some(Status::Closed(reason)) => {
                if !s.connected {
                    s.dead = true;
                    s.last_reason = Some(reason.clone());
                }
            }
        }
    }

    /// Whether any source was ever live.
    pub fn ever_connected(&self) -> bool {
        self.sources.iter().any(|s| s.connected)
    }

    /// Whether every source has failed at least `n` times in a row (a
    /// source that stopped for good without ever connecting counts as
    /// failed). False with no sources or `n` = 0.
    pub fn all_failed(&self, n: u32) -> bool {
        n > 0 && !self.sources.is_empty() && self.sources.iter().all(|s| s.dead || s.failures_in_a_row >= n)
    }

    /// The exit code a run that ends now deserves: 1 when there were
    /// sources and none ever connected, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.sources.is_empty() || self.ever_connected() {
            0
        } else {
            1
        }
    }

    /// Each failing source's last reason, one line: `a: reason; b: reason`
    /// (`no reason given` for a source that never said why).
    pub fn reasons(&self) -> String {
        self.sources
            .iter()
            .filter(|s| !s.connected)
            .map(|s| {
                format!(
                    "{}: {}",
                    s.name,
                    s.last_reason.as_deref().unwrap_or("never answered")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::source::SourceMsg;

    fn status(source: u16, status: Status) -> SourceMsg {
        SourceMsg::Status { source, status }
    }

    fn retry(source: u16, reason: &str) -> SourceMsg {
        status(
            source,
            Status::Retrying {
                delay: Duration::from_secs(1),
                reason: reason.into(),
            },
        )
    }

    #[test]
    fn a_run_where_nothing_connected_exits_1_with_the_reasons() {
        let mut h = Health::new(["a", "b"]);
        assert_eq!(h.exit_code(), 1, "nothing seen yet");
        h.observe(&status(0, Status::Connecting));
        h.observe(&retry(0, "cannot connect: refused"));
        h.observe(&status(1, Status::Closed("invalid header".into())));
        assert_eq!(h.exit_code(), 1);
        assert_eq!(h.reasons(), "a: cannot connect: refused; b: invalid header");
        h.observe(&status(1, Status::Live("HTTP 200".into())));
        assert_eq!(h.exit_code(), 0, "one source connected");
        assert_eq!(h.reasons(), "a: cannot connect: refused");
    }

    #[test]
    fn events_count_as_connected() {
        let mut h = Health::new(["a"]);
        h.observe(&SourceMsg::Events {
            source: 0,
            events: Vec::new(),
            cursor: None,
        });
        assert_eq!(h.exit_code(), 0);
    }

    #[test]
    fn all_failed_needs_every_source_n_times_in_a_row() {
        let mut h = Health::new(["a", "b"]);
        assert!(!h.all_failed(1));
        h.observe(&retry(0, "x"));
        h.observe(&retry(0, "x"));
        assert!(!h.all_failed(2), "b has not failed");
        h.observe(&retry(1, "y"));
        assert!(h.all_failed(1));
        assert!(!h.all_failed(2));
        h.observe(&retry(1, "y"));
        assert!(h.all_failed(2));
        // Live starts the count over.
        h.observe(&status(1, Status::Live(String::new())));
        h.observe(&retry(1, "y"));
        assert!(!h.all_failed(2));
        assert!(!h.all_failed(0), "0 never fails");
    }

    #[test]
    fn a_source_closed_before_connecting_counts_as_failed_but_not_after() {
        let mut h = Health::new(["a", "b"]);
        h.observe(&status(0, Status::Closed("bad".into())));
        h.observe(&retry(1, "x"));
        assert!(h.all_failed(1));
        let mut h = Health::new(["a"]);
        h.observe(&status(0, Status::Live(String::new())));
        h.observe(&status(0, Status::Closed("end of file".into())));
        assert!(!h.all_failed(1));
        assert_eq!(h.exit_code(), 0);
    }

    #[test]
    fn no_sources_never_fail() {
        let h = Health::new(Vec::<String>::new());
        assert_eq!(h.exit_code(), 0);
        assert!(!h.all_failed(1));
    }
}
