//! "Now" for a filter that judges each event once, as it passes: `tail`'s
//! printer and `relay`. The same clock as [`crate::store::Store::clock`]:
//! the wall clock, or in a replay of recordings the latest `received`
//! replayed — here taken per event, the event itself included, so a
//! replay's `until:` / `since:` verdicts do not depend on how events were
//! batched (`replay --tail --filter until:1m` prints the same lines at any
//! speed).

/// See the module docs.
#[derive(Debug, Clone, Copy)]
pub struct StreamClock {
    /// Every source replays a recording ([`crate::store::Store::is_replay`]).
    replay: bool,
    /// The latest `received` seen (a replay's clock).
    latest: Option<i64>,
    /// A clock that does not move: the end of recordings read whole
    /// ([`StreamClock::fixed`]).
    fixed: Option<i64>,
}

impl StreamClock {
    /// A clock for a stream that is a replay of recordings or not.
    pub fn new(replay: bool) -> Self {
        StreamClock {
            replay,
            latest: None,
            fixed: None,
        }
    }

    /// A clock standing at `now` for every event: `replay --tail` of
    /// recordings that are read to their end (no `--follow`) judges a
    /// relative filter from the recordings' latest `received`, as `resend`
    /// and `catalog` do — `since:10s` is the last ten seconds of the file,
    /// not "every event, each being the latest so far".
    pub fn fixed(now: i64) -> Self {
        StreamClock {
            replay: true,
            latest: None,
            fixed: Some(now),
        }
    }

    /// Now for an event received at `received`, the wall clock being `wall`:
    /// `wall` live, the latest `received` so far (this one included) in a
    /// replay.
    pub fn now(&mut self, wall: i64, received: i64) -> i64 {
        if let Some(now) = self.fixed {
            return now;
        }
        if !self.replay {
            return wall;
        }
        let latest = self.latest.map_or(received, |t| t.max(received));
        self.latest = Some(latest);
        latest
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn live_is_the_wall_and_a_replay_is_the_latest_received() {
        let mut live = StreamClock::new(false);
        assert_eq!(live.now(5_000, 1_000), 5_000);
        let mut replay = StreamClock::new(true);
        assert_eq!(replay.now(5_000, 1_000), 1_000);
        assert_eq!(replay.now(5_000, 3_000), 3_000);
        // An event out of order does not turn the clock back.
        assert_eq!(replay.now(5_000, 2_000), 3_000);
        let mut end = StreamClock::fixed(9_000);
        assert_eq!(end.now(5_000, 1_000), 9_000);
        assert_eq!(end.now(5_000, 3_000), 9_000);
    }
}
