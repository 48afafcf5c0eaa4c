//! How long a polling source waits between requests: the interval, the
//! server's wishes (`X-Poll-Interval`, `Retry-After`) and the error backoff,
//! as one pure function so the rules are tested without a clock.

use std::time::Duration;

use tokio::time::Instant;

use crate::source::Backoff;
use crate::source::http::TransportError;

/// How one poll ended.
#[derive(Debug)]
pub enum Outcome {
    /// A 2xx or 304: whatever it held has been emitted or reported.
    Polled,
    /// An HTTP error status, or no answer (cannot connect, timed out,
    /// connection lost).
    Failed(TransportError),
    /// evtop is shutting down (nobody reads events any more).
    Cancelled,
}

impl From<TransportError> for Outcome {
    fn from(e: TransportError) -> Self {
        Outcome::Failed(e)
    }
}

/// How long to wait after a poll that ended with `outcome`.
///
/// Never shorter than `interval`, nor than `server_interval`
/// (`X-Poll-Interval`): evtop never polls faster than it was asked to.
/// Errors wait longer: 401/403/404 at least [`AUTH_RETRY_MIN`]; 429 and 5xx
/// exactly `Retry-After` when the server sent one; other errors the jittered
/// `backoff`. Only a successful poll resets the backoff.
pub fn next_wait(
    outcome: &Outcome,
    interval: Duration,
    server_interval: Option<Duration>,
    backoff: &mut Backoff,
    now: Instant,
) -> Duration {
    let floor = interval.max(server_interval.unwrap_or_default());
    let wait = match outcome {
        Outcome::Polled | Outcome::Cancelled => {
            backoff.reset(now);
            Duration::ZERO
        }
        Outcome::Failed(e) => match e.status() {
            Some(status) => backoff.after_status(status.as_u16(), e.retry_after(), now),
            None => backoff.next_delay(now),
        },
    };
    wait.max(floor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::AUTH_RETRY_MIN;

    const SEC: Duration = Duration::from_secs(1);

    fn http(status: u16, retry_after: Option<Duration>) -> Outcome {
        Outcome::Failed(TransportError::Status {
            status: reqwest::StatusCode::from_u16(status).unwrap(),
            retry_after,
            body: String::new(),
        })
    }

    #[test]
    fn success_waits_the_interval_or_the_servers_longer_one() {
        let mut b = Backoff::default().stable_after(Duration::ZERO);
        let ok = Outcome::Polled;
        let ms200 = Duration::from_millis(200);
        assert_eq!(next_wait(&ok, ms200, None, &mut b, Instant::now()), ms200);
        assert_eq!(next_wait(&ok, ms200, Some(SEC), &mut b, Instant::now()), SEC);
        assert_eq!(
            next_wait(&ok, 5 * SEC, Some(SEC), &mut b, Instant::now()),
            5 * SEC,
            "never shorter than the interval"
        );
        assert_eq!(
            next_wait(&Outcome::Polled, ms200, Some(60 * SEC), &mut b, Instant::now()),
            60 * SEC
        );
    }

    #[test]
    fn retry_after_is_the_wait_on_429_and_5xx() {
        let mut b = Backoff::default().stable_after(Duration::ZERO);
        let ms = Duration::from_millis(100);
        assert_eq!(
            next_wait(&http(429, Some(7 * SEC)), ms, None, &mut b, Instant::now()),
            7 * SEC
        );
        assert_eq!(
            next_wait(&http(503, Some(2 * SEC)), ms, None, &mut b, Instant::now()),
            2 * SEC
        );
        // Still never below the interval or X-Poll-Interval.
        assert_eq!(
            next_wait(&http(429, Some(SEC)), 3 * SEC, None, &mut b, Instant::now()),
            3 * SEC
        );
        assert_eq!(
            next_wait(&http(429, Some(SEC)), ms, Some(4 * SEC), &mut b, Instant::now()),
            4 * SEC
        );
    }

    #[test]
    fn auth_errors_wait_at_least_30s() {
        let mut b = Backoff::default().stable_after(Duration::ZERO);
        for status in [401, 403, 404] {
            let w = next_wait(
                &http(status, None),
                Duration::from_millis(100),
                None,
                &mut b,
                Instant::now(),
            );
            assert!(w >= AUTH_RETRY_MIN, "{status}: {w:?}");
        }
        // A 403 with Retry-After (GitHub's secondary rate limit) waits that long.
        let w = next_wait(&http(403, Some(120 * SEC)), SEC, None, &mut b, Instant::now());
        assert_eq!(w, 120 * SEC);
    }

    #[test]
    fn other_errors_back_off_with_jitter_and_a_success_resets() {
        let mut b = Backoff::default().stable_after(Duration::ZERO);
        let ms = Duration::from_millis(100);
        let net = Outcome::Failed(TransportError::Network {
            what: crate::source::http::Network::Connect,
            detail: String::new(),
        });
        let ceilings = [1, 2, 4, 8];
        for c in ceilings {
            let w = next_wait(&net, ms, None, &mut b, Instant::now());
            let c = c * SEC;
            assert!(w >= c / 2 && w <= c, "{w:?} not in [{:?}, {c:?}]", c / 2);
        }
        let w = next_wait(&http(500, None), ms, None, &mut b, Instant::now());
        assert!(
            w >= 8 * SEC && w <= 16 * SEC,
            "5xx without Retry-After backs off: {w:?}"
        );
        next_wait(&Outcome::Polled, ms, None, &mut b, Instant::now());
        assert!(
            next_wait(&net, ms, None, &mut b, Instant::now()) <= SEC,
            "reset after a success"
        );
        // The interval is a floor for errors too.
        assert!(next_wait(&net, 10 * SEC, None, &mut b, Instant::now()) >= 10 * SEC);
    }
}
