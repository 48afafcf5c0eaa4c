//! A JetStream source: an ordered, ephemeral consumer that this task owns.
//!
//! An ordered consumer is one the client reads strictly in order without
//! acknowledgements, and replaces when anything goes wrong. The NATS
//! clients ship one (`pull::OrderedConfig`), but the one in async-nats
//! 0.46 starts a replacement from the beginning of the stream when no
//! message had arrived yet (`start = "new"` would replay everything after
//! a restart), only notices a restarted server after two missed
//! heartbeats, and hides its retries from the status. So this module does
//! the same with a plain *pull* consumer configured as an ordered one
//! (ephemeral, no acks, one replica, in memory, lapsing when idle):
//!
//! - pull, not push: the source asks for [`PULL_BATCH`] messages at a time
//!   when it has room, so a slow viewer is never pushed more than it can
//!   hold (the push variant needs flow control for that);
//! - the resume point is the consumer's start as the server resolved it
//!   (its `delivered.stream_seq` at creation — for `start = "new"` the
//!   stream's last sequence then), then the stream sequence of each message
//!   passed on;
//! - a reconnection, a gap in the consumer sequence, a missed heartbeat or
//!   any consumer error: the consumer is deleted (best effort) and a new
//!   one starts at the resume point + 1 — nothing lost, nothing twice;
//! - on shutdown the consumer is deleted; if that cannot be done it lapses
//!   by itself after [`INACTIVE`]. Nothing durable is ever created.

use std::sync::atomic::Ordering;
use std::time::Duration;

use async_nats::jetstream::consumer::{AckPolicy, DeliverPolicy, ReplayPolicy, pull};
use async_nats::jetstream::{self, Context};
use futures_util::{FutureExt, StreamExt};
use tokio::time::Instant;

use super::{BATCH, STATUS_EVERY, Source, Start, StatusLine};
use crate::source::{Backoff, Status};

/// Messages asked for per pull request: at most this many wait in the
/// client for the source.
pub(super) const PULL_BATCH: usize = 256;
/// The server sends a heartbeat this often while a pull waits.
const HEARTBEAT: Duration = Duration::from_secs(5);
/// A pull request lasts this long before the client renews it.
const EXPIRES: Duration = Duration::from_secs(30);
/// An abandoned consumer (evtop killed) is removed by the server after
/// this long without a pull.
pub(super) const INACTIVE: Duration = Duration::from_secs(30);
/// How long deleting a consumer may take (at shutdown, within its grace).
const DELETE_TIMEOUT: Duration = Duration::from_secs(1);

/// How reading one consumer ended.
enum Ended {
    Cancelled,
    /// Make a new consumer at the resume point: the reason, and whether it
    /// is a failure (wait before the next one) or a reconnection.
    Restart(String, bool),
}

/// Read the stream until shutdown (`None`) or until the connection must be
/// made again (the reason).
pub(super) async fn run(src: &Source<'_>, client: &async_nats::Client, stream: &str) -> Option<String> {
    let js = jetstream::new(client.clone());
    let filters = src.pushdown();
    let subjects = match &filters {
        Some(f) => format!("{} (pushed down from type filter)", f.join(", ")),
        None => src.opts.subject.clone(),
    };
    let mut status = StatusLine::new(format!("stream {stream}, {subjects}"));
    let mut resume: Option<u64> = None;
    let mut backoff = Backoff::default();
    loop {
        let epoch = src.link.connections.load(Ordering::Relaxed);
        let policy = match resume {
            Some(seq) => DeliverPolicy::ByStartSequence {
                start_sequence: seq + 1,
            },
            None => initial_policy(src.opts.start),
        };
        let created = tokio::select! {
            _ = src.ctx.cancel.cancelled() => return None,
            c = create(&js, stream, policy, filters.clone().unwrap_or_else(|| vec![src.opts.subject.clone()])) => c,
        };
        let (js_stream, consumer) = match created {
            Ok(c) => c,
            Err(reason) => {
                let delay = backoff.next_delay(Instant::now());
                if !src.ctx.status(Status::Retrying { delay, reason }).await {
                    return None;
                }
                tokio::select! {
                    _ = src.ctx.cancel.cancelled() => return None,
                    _ = tokio::time::sleep(delay) => continue,
                }
            }
        };
        let info = consumer.cached_info();
        let name = info.name.clone();
        resume.get_or_insert(info.delivered.stream_sequence);
        let pending = info.num_pending;
        let since = Instant::now();
        let ended = read(src, client, &consumer, &mut resume, &mut status, epoch, pending).await;
        let _ = tokio::time::timeout(DELETE_TIMEOUT, js_stream.delete_consumer(&name)).await;
        match ended {
            Ended::Cancelled => return None,
            Ended::Restart(reason, failed) => {
                tracing::info!(source = src.ctx.id, "new consumer: {reason}");
                if failed {
                    backoff.reset(since);
                    let delay = backoff.next_delay(Instant::now());
                    if !src.ctx.status(Status::Retrying { delay, reason }).await {
                        return None;
                    }
                    tokio::select! {
                        _ = src.ctx.cancel.cancelled() => return None,
                        _ = tokio::time::sleep(delay) => {}
                    }
                }
            }
        }
    }
}

/// Where a first consumer starts, from `start`.
fn initial_policy(start: Start) -> DeliverPolicy {
    match start {
        Start::New => DeliverPolicy::New,
        Start::All => DeliverPolicy::All,
        Start::Last => DeliverPolicy::Last,
        Start::Sequence(n) => DeliverPolicy::ByStartSequence { start_sequence: n },
        Start::Ago(d) => {
            let nanos = i128::from(crate::event::now_millis()) * 1_000_000 - d.as_nanos() as i128;
            let start_time = time::OffsetDateTime::from_unix_timestamp_nanos(nanos)
                .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
            DeliverPolicy::ByStartTime { start_time }
        }
    }
}

/// Look the stream up and create an ordered-style consumer on it.
async fn create(
    js: &Context,
    stream: &str,
    deliver_policy: DeliverPolicy,
    mut filters: Vec<String>,
) -> Result<
    (
        jetstream::stream::Stream,
        jetstream::consumer::Consumer<pull::Config>,
    ),
    String,
> {
    let js_stream = js.get_stream(stream).await.map_err(|e| match e.kind() {
        jetstream::context::GetStreamErrorKind::JetStream(err)
            if err.error_code() == jetstream::ErrorCode::STREAM_NOT_FOUND =>
        {
            format!("stream {stream:?} not found")
        }
        _ => format!("cannot look up stream {stream:?}: {e}"),
    })?;
    let (filter_subject, filter_subjects) = match filters.len() {
        1 if filters[0] == ">" => (String::new(), Vec::new()),
        1 => (filters.remove(0), Vec::new()),
        _ => (String::new(), filters),
    };
    let config = pull::Config {
        description: Some("evtop viewer (ordered, ephemeral)".into()),
        deliver_policy,
        ack_policy: AckPolicy::None,
        max_deliver: 1,
        replay_policy: ReplayPolicy::Instant,
        filter_subject,
        filter_subjects,
        inactive_threshold: INACTIVE,
        num_replicas: 1,
        memory_storage: true,
        ..Default::default()
    };
    let consumer = js_stream
        .create_consumer(config)
        .await
        .map_err(|e| format!("cannot create a consumer on stream {stream:?}: {e}"))?;
    Ok((js_stream, consumer))
}

/// Pass the consumer's messages on until it must be replaced.
async fn read(
    src: &Source<'_>,
    client: &async_nats::Client,
    consumer: &jetstream::consumer::Consumer<pull::Config>,
    resume: &mut Option<u64>,
    status: &mut StatusLine,
    epoch: u64,
    mut pending: u64,
) -> Ended {
    let messages = consumer
        .stream()
        .max_messages_per_batch(PULL_BATCH)
        .heartbeat(HEARTBEAT)
        .expires(EXPIRES)
        .messages()
        .await;
    let mut messages = match messages {
        Ok(m) => m,
        Err(e) => return Ended::Restart(format!("cannot pull from the consumer: {e}"), true),
    };
    if !status.refresh(src, client, Some(pending)).await {
        return Ended::Cancelled;
    }
    let mut tick = tokio::time::interval(STATUS_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut consumer_seq = 0u64;
    let mut batch = Vec::new();
    loop {
        let next = tokio::select! {
            _ = src.ctx.cancel.cancelled() => return Ended::Cancelled,
            m = messages.next() => m,
            _ = tick.tick() => {
                if !status.refresh(src, client, Some(pending)).await {
                    return Ended::Cancelled;
                }
                continue;
            }
            _ = src.link.changed.notified() => {
                if src.link.connections.load(Ordering::Relaxed) != epoch {
                    return Ended::Restart("reconnected".into(), false);
                }
                if !status.refresh(src, client, Some(pending)).await {
                    return Ended::Cancelled;
                }
                continue;
            }
        };
        let mut next = Some(next);
        while let Some(item) = next.take() {
            let msg = match item {
                None => return Ended::Restart("the consumer's messages ended".into(), true),
                Some(Err(e)) => {
                    if !src.flush(&mut batch).await {
                        return Ended::Cancelled;
                    }
                    return Ended::Restart(format!("consumer: {e}"), true);
                }
                Some(Ok(m)) => m,
            };
            let Ok(info) = msg.info() else {
                continue; // not a stream message (cannot happen on a consumer's inbox)
            };
            if info.consumer_sequence != consumer_seq + 1 {
                if !src.flush(&mut batch).await {
                    return Ended::Cancelled;
                }
                return Ended::Restart(
                    format!(
                        "consumer sequence {} after {consumer_seq}: starting again after stream sequence {}",
                        info.consumer_sequence,
                        resume.unwrap_or(0)
                    ),
                    false,
                );
            }
            consumer_seq = info.consumer_sequence;
            pending = info.pending;
            let seq = info.stream_sequence;
            let published = (info.published.unix_timestamp_nanos() / 1_000_000) as i64;
            let built = src.build(
                msg.subject.as_str(),
                msg.headers.as_ref(),
                &msg.payload,
                Some(seq),
                Some(published),
            );
            *resume = Some(seq);
            if !src.take(built, &mut batch).await {
                return Ended::Cancelled;
            }
            if batch.len() < BATCH {
                next = messages.next().now_or_never();
            }
        }
        if !src.flush(&mut batch).await {
            return Ended::Cancelled;
        }
    }
}
