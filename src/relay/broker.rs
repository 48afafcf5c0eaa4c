//! Connecting to the NATS servers and making sure the relay's stream is
//! there: created when absent, reused when present, refused in words when
//! it cannot hold the relay's subjects. Runs on the publisher thread.

use std::path::PathBuf;
use std::time::Duration;

use async_nats::jetstream::ErrorCode;
use async_nats::jetstream::stream::{Config as StreamConfig, StorageType};
use async_nats::jetstream::{self, context::CreateStreamErrorKind, context::GetStreamErrorKind};
use async_nats::{ConnectErrorKind, ConnectOptions, ServerAddr};

use super::subject::covers;

/// `--max-age` when not given: what a viewer can rewind to (`start = "7d"`).
pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(7 * 24 * 3600);
/// `--replicas` when not given.
pub const DEFAULT_REPLICAS: usize = 1;
/// The duplicate window of a stream the relay creates: JetStream drops a
/// message whose `Nats-Msg-Id` it stored within this window. Two minutes
/// (JetStream's own default) covers a relay restarted by its supervisor
/// (seconds) replaying its sources from the start, and every retry after a
/// broker or cluster-node failover (acks time out after [`ACK_TIMEOUT`]);
/// the server keeps one entry per message of the window in memory, so a
/// longer one costs memory at high rates. A reused stream keeps its own.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);
/// How long a publish waits for its ack (and a JetStream API request for
/// its answer) before it is retried.
pub const ACK_TIMEOUT: Duration = Duration::from_secs(5);
/// How long one TCP connection attempt may take.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);

/// Where to publish and what the stream should be.
#[derive(Debug, Clone)]
pub struct BrokerOptions {
    /// `--to`, split at commas.
    pub servers: Vec<ServerAddr>,
    /// `--to` as given, for messages (credentials removed).
    pub servers_display: String,
    pub stream: String,
    pub prefix: String,
    /// `--replicas`, `None` when not given.
    pub replicas: Option<usize>,
    /// `--max-age`, `None` when not given.
    pub max_age: Option<Duration>,
    /// `--creds`: a NATS credentials file.
    pub creds: Option<PathBuf>,
}

/// Parse `--to`: one or more NATS URLs separated by commas
/// (`nats://a:4222,nats://b:4222`); `host:port` is taken as `nats://`.
pub fn parse_servers(to: &str) -> Result<(Vec<ServerAddr>, String), String> {
    let mut servers = Vec::new();
    let mut shown = Vec::new();
    for part in to.split(',').map(str::trim) {
        if part.is_empty() {
            return Err(format!("--to {to:?}: an empty server URL"));
        }
        let addr: ServerAddr = part
            .parse()
            .map_err(|e| format!("--to {part:?}: not a NATS server URL ({e})"))?;
        shown.push(format!("{}://{}:{}", addr.scheme(), addr.host(), addr.port()));
        servers.push(addr);
    }
    Ok((servers, shown.join(",")))
}

/// Why connecting or setting up the stream failed.
#[derive(Debug)]
pub enum Failure {
    /// Worth retrying: the broker is down, restarting, electing a leader.
    Transient(String),
    /// Retrying will not help (credentials refused, stream unfit): the
    /// relay stops and says why.
    Fatal(String),
}

/// Connect once. `on_event` receives the client's connection events
/// (disconnected, reconnected, server errors) from then on.
pub async fn connect(
    opts: &BrokerOptions,
    on_event: impl Fn(async_nats::Event) + Send + Sync + 'static,
) -> Result<async_nats::Client, Failure> {
    let on_event = std::sync::Arc::new(on_event);
    let mut options = ConnectOptions::new()
        .name("evtop relay")
        .connection_timeout(CONNECT_TIMEOUT)
        .request_timeout(Some(ACK_TIMEOUT))
        // After a disconnect: retry at once, then a little later each time,
        // never more than 2 s apart, forever.
        .reconnect_delay_callback(|attempt| Duration::from_millis((attempt as u64 * 100).min(2000)))
        .event_callback(move |event| {
            let on_event = on_event.clone();
            async move { on_event(event) }
        });
    if let Some(path) = &opts.creds {
        options = options
            .credentials_file(path)
            .await
            .map_err(|e| Failure::Fatal(format!("--creds {}: {e}", path.display())))?;
    }
    options
        .connect(opts.servers.as_slice())
        .await
        .map_err(|e| match e.kind() {
            ConnectErrorKind::AuthorizationViolation | ConnectErrorKind::Authentication => Failure::Fatal(
                format!(
                    "{}: authorization refused by the server (check the URL's user:password, token or --creds)",
                    opts.servers_display
                ),
            ),
            ConnectErrorKind::Tls => Failure::Fatal(format!("{}: TLS error: {e}", opts.servers_display)),
            _ => Failure::Transient(format!(
                "cannot reach {}: {}",
                opts.servers_display,
                io_words(&e)
            )),
        })
}

/// A connect error in a few words (`connection refused`, `timed out`).
fn io_words(e: &async_nats::ConnectError) -> String {
    let text = std::error::Error::source(e)
        .map(|s| s.to_string())
        .unwrap_or_else(|| e.to_string());
    let lower = text.to_lowercase();
    if lower.contains("connection refused") {
        "connection refused".into()
    } else if matches!(e.kind(), ConnectErrorKind::TimedOut) || lower.contains("timed out") {
        "timed out".into()
    } else if matches!(e.kind(), ConnectErrorKind::Dns) {
        format!("name not resolved ({text})")
    } else {
        text
    }
}

/// Make sure the stream exists and holds `prefix.>`. Returns the line
/// saying what was found or made.
pub async fn ensure_stream(js: &jetstream::Context, opts: &BrokerOptions) -> Result<String, Failure> {
    let wanted = format!("{}.>", opts.prefix);
    for _ in 0..3 {
        match js.get_stream(&opts.stream).await {
            Ok(stream) => return reuse(stream.cached_info(), opts, &wanted),
            Err(e) => match e.kind() {
                GetStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NOT_FOUND => {}
                GetStreamErrorKind::JetStream(j) => {
                    return Err(jetstream_failure(&opts.stream, &j));
                }
                _ => {
                    return Err(Failure::Transient(format!(
                        "JetStream did not answer about stream {} ({e}): a cluster electing a leader, or a server started without JetStream (-js)",
                        opts.stream
                    )));
                }
            },
        }
        let replicas = opts.replicas.unwrap_or(DEFAULT_REPLICAS);
        let max_age = opts.max_age.unwrap_or(DEFAULT_MAX_AGE);
        let config = StreamConfig {
            name: opts.stream.clone(),
            description: Some("evtop relay: one message per event, payload its NDJSON line".into()),
            subjects: vec![wanted.clone()],
            storage: StorageType::File,
            num_replicas: replicas,
            max_age,
            duplicate_window: DUPLICATE_WINDOW,
            ..Default::default()
        };
        match js.create_stream(config).await {
            Ok(_) => {
                return Ok(format!(
                    "stream {} created: subjects {wanted}, file storage, {replicas} replica{}, max age {}, duplicate window {}",
                    opts.stream,
                    if replicas == 1 { "" } else { "s" },
                    humantime::format_duration(max_age),
                    humantime::format_duration(DUPLICATE_WINDOW),
                ));
            }
            Err(e) => match e.kind() {
                // Someone else created it meanwhile: look again.
                CreateStreamErrorKind::JetStream(j) if j.error_code() == ErrorCode::STREAM_NAME_EXIST => {}
                CreateStreamErrorKind::JetStream(j) => return Err(jetstream_failure(&opts.stream, &j)),
                CreateStreamErrorKind::TimedOut | CreateStreamErrorKind::JetStreamUnavailable => {
                    return Err(Failure::Transient(format!(
                        "cannot create stream {}: {e}",
                        opts.stream
                    )));
                }
                _ => {
                    return Err(Failure::Fatal(format!(
                        "cannot create stream {}: {e}",
                        opts.stream
                    )));
                }
            },
        }
    }
    Err(Failure::Transient(format!(
        "stream {}: created and deleted by someone else meanwhile",
        opts.stream
    )))
}

/// An existing stream: fine when its subjects cover `wanted`; what differs
/// from the flags is said, not changed.
fn reuse(info: &jetstream::stream::Info, opts: &BrokerOptions, wanted: &str) -> Result<String, Failure> {
    let c = &info.config;
    if !c.subjects.iter().any(|s| covers(s, wanted)) {
        return Err(Failure::Fatal(format!(
            "stream {} exists but its subjects [{}] do not cover {wanted}: give another --stream, or a --prefix it covers",
            opts.stream,
            c.subjects.join(", ")
        )));
    }
    let mut line = format!(
        "stream {} reused: subjects [{}], {} replica{}, max age {}, duplicate window {}",
        opts.stream,
        c.subjects.join(", "),
        c.num_replicas,
        if c.num_replicas == 1 { "" } else { "s" },
        if c.max_age.is_zero() {
            "unlimited".to_string()
        } else {
            humantime::format_duration(c.max_age).to_string()
        },
        humantime::format_duration(c.duplicate_window),
    );
    if opts.replicas.is_some_and(|r| r != c.num_replicas) || opts.max_age.is_some_and(|a| a != c.max_age) {
        line.push_str(" (--replicas and --max-age apply only to a stream the relay creates)");
    }
    if c.duplicate_window.is_zero() {
        line.push_str("; without a duplicate window a restarted relay may publish events twice");
    }
    Ok(line)
}

/// A JetStream API error in words.
fn jetstream_failure(stream: &str, e: &async_nats::jetstream::Error) -> Failure {
    let code = e.error_code();
    if code == ErrorCode::CLUSTER_NOT_AVAILABLE || code == ErrorCode::CLUSTER_NO_PEERS || e.code() == 503 {
        // A cluster electing a leader, or a node still starting.
        return Failure::Transient(format!("stream {stream}: {e}"));
    }
    let words = if code == ErrorCode::STREAM_SUBJECT_OVERLAP {
        "its subjects overlap those of another stream (give another --prefix, or that stream's name as --stream)"
            .to_string()
    } else if code == ErrorCode::STREAM_REPLICAS_NOT_SUPPORTED {
        "this server is not part of a cluster: --replicas above 1 needs one".to_string()
    } else if code == ErrorCode::INSUFFICIENT_RESOURCES {
        "the cluster has too few servers or too little storage for it (--replicas?)".to_string()
    } else if code == ErrorCode::JETSTREAM_NOT_ENABLED || code == ErrorCode::JETSTREAM_NOT_ENABLED_FOR_ACCOUNT
    {
        "JetStream is not enabled on this server or account (start nats-server with -js)".to_string()
    } else {
        e.to_string()
    };
    Failure::Fatal(format!("stream {stream}: {words}"))
}
