//! Command-line definitions (clap) and nothing else: what each subcommand
//! and option means is in `--help`, SPEC §1 and the README, kept in step.

use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};

use crate::output::Format;

/// evtop — watch the events of API platforms live in a terminal.
///
/// Connects to Server-Sent Events streams (including Streamdata JSON-Patch
/// streams) and WebSocket streams (including GraphQL subscriptions), polls HTTP endpoints (event lists like Stripe's and GitHub's,
/// or any JSON resource as a stream of patches) and receives webhook
/// deliveries (verifying Stripe, GitHub and Standard Webhooks signatures),
/// keeps the state they describe, and shows or prints their events,
/// filtered by type, source and fields.
#[derive(Debug, Parser)]
#[command(
    name = "evtop",
    version,
    args_conflicts_with_subcommands = true,
    disable_help_subcommand = true,
    after_help = "Examples:\n  evtop tail https://events.example.com/stream\n  evtop tail --poll https://api.example.com/v1/events --interval 5s\n  evtop tail wss://ws-feed.example.com/   (a WebSocket stream; subscribe frames: kind = \"websocket\" in -c FILE)\n  evtop tail 'nats://127.0.0.1:4222/orders.>?stream=ORDERS&start=1h'   (a NATS subject; JetStream with stream=)\n  evtop --listen 8787   (then: curl -X POST -d '{\"type\":\"hi\"}' http://127.0.0.1:8787/)\n  evtop tail -f 'type:charge.*' --format ndjson payments=https://… | jq .data\n  evtop tail -c evtop.toml --count 10 --state-out state.json\n  evtop tail --format ndjson > rec.ndjson; evtop replay rec.ndjson\n  evtop tail --contract asyncapi.yaml -f drift URL   (events that break the contract)\n  evtop catalog rec.ndjson -o asyncapi.yaml   (the event catalog as AsyncAPI)\n  evtop relay -c evtop.toml --to nats://127.0.0.1:4222   (every event into NATS JetStream; see `evtop help relay`)\n  evtop help filter   (the filter language)\n\nConfig lookup without --config: $EVTOP_CONFIG, $XDG_CONFIG_HOME/evtop/config.toml,\n~/.config/evtop/config.toml, then the platform config dir.\nLogs go to ~/.local/state/evtop/evtop.log (level: $EVTOP_LOG)."
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Headless: print matching events to stdout (diagnostics and alerts to stderr).
    Tail(TailArgs),
    /// Built-in demo sources on 127.0.0.1, then the monitor (needs no network, no config).
    Demo(DemoArgs),
    /// Recorded events (NDJSON from `tail --format ndjson` or `e`) as sources, then the monitor.
    Replay(ReplayArgs),
    /// Send the recorded webhook deliveries in FILE to URL again, oldest first.
    Resend(ResendArgs),
    /// The event catalog — types, their fields, kinds, formats, values — of
    /// recordings, or of the configured sources for --duration, as AsyncAPI
    /// 3.0, JSON or Markdown.
    Catalog(CatalogArgs),
    /// Publish every event of the sources into NATS JetStream, for viewers to share.
    #[command(
        long_about = "Runs the sources of -c FILE and of the command line headless, as `evtop tail` does, and \
    publishes every event into a NATS JetStream stream: subject PREFIX.<source>.<type> (the type's dots stay \
    subject tokens; spaces, *, > and empty tokens become _), payload the event's NDJSON line exactly as \
    `evtop tail --format ndjson` prints it (without the newline), header Nats-Msg-Id: <source>:<id> for \
    events with an id (<source>:<id>:<attempt> for a webhook redelivery), so that the stream's duplicate \
    window stores each event once even when a restarted relay sends it again.\n\n\
    The stream is created when absent (file storage, subjects PREFIX.>, --replicas, --max-age, a 2 minute \
    duplicate window) and reused when present. Publishing waits for JetStream's acks, with up to 256 in \
    flight; while the broker cannot be reached (or does not acknowledge), events wait in a queue of --queue \
    events, the oldest dropped past it and counted on stderr; sources keep running and webhook deliveries \
    are answered at once. SIGINT/SIGTERM stop the sources, then the relay waits up to 5 s for what is \
    queued and in flight to be acknowledged and prints a summary on stderr. Exit status 0 when every \
    relayed event was acknowledged, 1 when some were lost, no source ever connected, or the broker refused \
    the relay (credentials, a stream whose subjects do not cover PREFIX.>). -f/--filter relays only \
    the events it matches.",
        after_help = "Examples:\n  evtop relay -c sources.toml --to nats://127.0.0.1:4222\n  evtop relay --listen 8787 --to nats://nats.internal:4222 --prefix stripe\n  evtop relay payments=https://events.example.com/stream --to nats://a:4222,nats://b:4222,nats://c:4222 --replicas 3\n  evtop relay -c sources.toml -f '-type:ping' --to tls://nats.example.com:4222 --creds relay.creds\nViewers: a source with kind = \"nats\", stream = \"EVTOP\", subject = \"evtop.>\", format = \"evtop\" (README)."
    )]
    Relay(RelayArgs),
    /// Help: `evtop help filter` prints the filter language; `evtop help
    /// tail` (or another subcommand) that subcommand's options.
    Help {
        /// `filter`, or a subcommand name; nothing for the main help.
        #[arg(value_name = "TOPIC")]
        topic: Option<String>,
    },
}

/// `evtop catalog`.
#[derive(Debug, Clone, Args)]
#[command(
    after_help = "Examples:\n  evtop catalog rec.ndjson > asyncapi.json\n  evtop catalog rec.ndjson -o asyncapi.yaml\n  evtop catalog --format markdown rec.ndjson > EVENTS.md\n  evtop catalog -c evtop.toml --duration 5m -o asyncapi.yaml"
)]
pub struct CatalogArgs {
    /// Recordings (NDJSON from `tail --format ndjson` or `e`). Without any,
    /// the config's sources are watched (see --duration).
    #[arg(value_name = "FILE")]
    pub files: Vec<PathBuf>,
    /// Config file whose sources are watched (when no FILE is given).
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore the default config lookup; an explicit --config still applies.
    #[arg(long)]
    pub no_config: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// How long to watch live sources [default: until Ctrl-C].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// What to write.
    #[arg(long, value_enum, default_value = "asyncapi")]
    pub format: crate::catalog::CatalogFormat,
    /// Write to FILE instead of stdout; AsyncAPI is YAML when it ends in .yaml or .yml.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Only the events matching this filter (see `evtop help filter`); with
    /// recordings, `since:` / `until:` count back from their latest `received`.
    #[arg(short, long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
}

/// `evtop resend`.
#[derive(Debug, Clone, Args)]
pub struct ResendArgs {
    /// A recording (NDJSON) holding webhook deliveries.
    #[arg(value_name = "FILE")]
    pub file: PathBuf,
    /// Where to send them.
    #[arg(long, value_name = "URL")]
    pub to: String,
    /// Only the deliveries matching this filter, e.g. 'type:charge.*' or
    /// 'received>=2026-12-02T14:05:00Z' (see `evtop help filter`). For
    /// `since:`, `until:` and clock times, now is the recording's latest
    /// `received`: 'since:10m' is its last ten minutes.
    #[arg(short, long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// Re-sign each delivery with a fresh timestamp (recordings keep signatures masked).
    /// Only deliveries that passed verification when received, or were received
    /// with verify = "none", are ever re-signed.
    #[arg(long, value_enum, value_name = "SCHEME", requires = "secret")]
    pub verify: Option<SignScheme>,
    /// The signing secret for --verify (standard: whsec_ + base64).
    #[arg(long, value_name = "SECRET", requires = "verify")]
    pub secret: Option<String>,
    /// Also send the deliveries that failed verification when received
    /// ("verified": false, e.g. a bad signature), exactly as recorded: never
    /// re-signed, so they arrive without a signature header. Without this flag
    /// they are skipped, and counted and named on stderr.
    #[arg(long)]
    pub include_unverified: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
}

/// How certificates are checked (every command that connects).
#[derive(Debug, Args, Clone, Default)]
pub struct TlsArgs {
    /// Trust the CA certificates in FILE (PEM) as well as the system's, for
    /// every HTTPS, WSS or TLS connection. $SSL_CERT_FILE instead replaces the system's.
    #[arg(long, value_name = "FILE")]
    pub cacert: Option<PathBuf>,
    /// Do not check certificates at all (every affected status line
    /// says so). For testing only.
    #[arg(long)]
    pub insecure: bool,
}

/// `evtop relay`.
#[derive(Debug, Clone, Args)]
pub struct RelayArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    /// NATS server(s) to publish to: nats://HOST:PORT (tls:// for TLS;
    /// user:password@ or a token@ in the URL); several, separated by
    /// commas, for a cluster (the client also learns the cluster's other
    /// servers from the one it reaches).
    #[arg(long, value_name = "NATS_URL")]
    pub to: String,
    /// The JetStream stream [default: the prefix in capitals, e.g. EVTOP].
    #[arg(long, value_name = "NAME")]
    pub stream: Option<String>,
    /// Subject prefix: events go to PREFIX.<source>.<type>.
    #[arg(long, value_name = "P", default_value = "evtop")]
    pub prefix: String,
    /// Replicas of a stream the relay creates (1 to 5; 3 on a three-node
    /// cluster keeps every acknowledged event through a node's loss)
    /// [default: 1].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u8).range(1..=5))]
    pub replicas: Option<u8>,
    /// How long a stream the relay creates keeps events: 1h, 7d
    /// [default: 7d].
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub max_age: Option<Duration>,
    /// Events waiting for the broker at most while it cannot be reached;
    /// past it the oldest are dropped (and counted on stderr). Memory is
    /// about N times the size of an event's NDJSON line.
    #[arg(long, value_name = "N", default_value_t = crate::relay::queue::DEFAULT_QUEUE,
          value_parser = parse_queue)]
    pub queue: usize,
    /// A NATS credentials file (JWT and NKey seed) to connect with.
    #[arg(long, value_name = "FILE")]
    pub creds: Option<PathBuf>,
}

fn parse_queue(s: &str) -> Result<usize, String> {
    match s.replace('_', "").parse::<usize>() {
        Ok(n) if (1..=10_000_000).contains(&n) => Ok(n),
        _ => Err(format!(
            "expected a number of events from 1 to 10000000, got {s:?}"
        )),
    }
}

/// `resend --verify`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum SignScheme {
    /// Stripe-Signature: t=…,v1=…
    Stripe,
    /// X-Hub-Signature-256: sha256=…
    Github,
    /// Standard Webhooks: webhook-id, webhook-timestamp, webhook-signature
    Standard,
}

/// `evtop replay`.
#[derive(Debug, Clone, Args)]
pub struct ReplayArgs {
    /// Recordings: NDJSON as `evtop tail --format ndjson` prints and `e` exports.
    #[arg(value_name = "FILE", required = true)]
    pub files: Vec<PathBuf>,
    /// Run headless, as `evtop tail` (every `tail` output option applies).
    #[arg(long)]
    pub tail: bool,
    /// Divide the gaps between recorded receive times by this; 0 = as fast as possible.
    #[arg(long, value_name = "X", default_value_t = 1.0, value_parser = parse_speed)]
    pub speed: f64,
    /// Keep reading as the files grow.
    #[arg(long)]
    pub follow: bool,
    /// Initial filter, e.g. 'type:charge.* -source:test' (see `evtop help filter`).
    /// `since:` / `until:` count back from the replay's clock (the latest
    /// `received` replayed), not the wall clock; with --tail (no --follow)
    /// from the recordings' last event: `since:10s` is their last 10 s.
    #[arg(short, long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// No colours (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
    /// Events kept in memory [default: every event of the recordings, up
    /// to 10,000,000].
    #[arg(long, value_name = "N", value_parser = parse_buffer)]
    pub buffer: Option<usize>,
    /// Check every event against this contract: an AsyncAPI document (JSON
    /// or YAML; what `evtop catalog` writes, or hand-written) or a JSON object
    /// of event type → JSON Schema (draft-07). An event that fails its type's
    /// schema, or whose type is not in it, is a drift: marked ≠, its reasons
    /// in NDJSON ("drift": […]) and the detail pane; filter with `drift` or
    /// `-drift`.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
    /// Evaluate the `[[alert]]` tables of this config file over the replay, on
    /// the recording's clock (its sources are not started): try alert rules
    /// against a recorded incident.
    #[arg(long, value_name = "FILE")]
    pub alerts: Option<PathBuf>,
    #[command(flatten)]
    pub output: TailOutput,
}

/// `evtop demo`.
#[derive(Debug, Clone, Args)]
pub struct DemoArgs {
    /// Run headless, as `evtop tail` (every `tail` option applies).
    #[arg(long)]
    pub tail: bool,
    #[command(flatten)]
    pub args: TailArgs,
}

/// Options every mode takes.
#[derive(Debug, Clone, Default, Args)]
pub struct CommonArgs {
    /// SSE source URL, a WebSocket stream's ws:// or wss:// URL, or a NATS
    /// subject as nats://HOST:PORT/SUBJECT[?stream=NAME&start=…&format=evtop],
    /// named after its host; `name=URL` names it. Without a scheme
    /// (`localhost:8701/stream`) http:// is assumed, as curl does. Repeatable.
    #[arg(value_name = "URL")]
    pub urls: Vec<String>,
    /// Polling source (events mode: the response lists events, found
    /// automatically; type and id from each event's /type and /id), named
    /// after its host; `name=URL` names it. Repeatable.
    #[arg(long = "poll", value_name = "URL")]
    pub polls: Vec<String>,
    /// Polling source in diff mode: the response is one JSON resource, shown
    /// as a snapshot and then a patch per change. Named as --poll. Repeatable.
    #[arg(long = "diff", value_name = "URL")]
    pub diffs: Vec<String>,
    /// Time between polls of the --poll and --diff sources: 500ms, 10s, 2m
    /// [default: 2s; at least 100ms]. A server's X-Poll-Interval or
    /// Retry-After can lengthen it.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub interval: Option<Duration>,
    /// Webhook receiver: answers POSTs to PATH (default /) on PORT, on
    /// 127.0.0.1 unless HOST is given; signatures are not checked (use a
    /// config file's `verify` for that); type and id from the body's /type
    /// and /id. Named `webhook` unless NAME= is given. Repeatable.
    #[arg(long = "listen", value_name = "[NAME=][HOST:]PORT[/PATH]")]
    pub listens: Vec<String>,
    /// Header for every SSE and polling source given on the command line: 'Name: value'.
    #[arg(short = 'H', long = "header", value_name = "HEADER")]
    pub headers: Vec<String>,
    /// Config file (sources from it and from the command line are merged; its
    /// `[[alert]]` tables are watched, and its `[[reconcile]]` tables pair a
    /// polled events list with a webhook source, reporting ids listed but
    /// not delivered or delivered but not listed: see README, "Alerts and
    /// reconciliation").
    #[arg(short, long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// Ignore the default config lookup ($EVTOP_CONFIG, ~/.config/evtop/…);
    /// an explicit --config still applies.
    #[arg(long)]
    pub no_config: bool,
    #[command(flatten)]
    pub tls: TlsArgs,
    /// Initial filter, e.g. 'type:charge.* .data.object.amount>1000
    /// -source:test' or 'since:5m received>=14:05'; may start with `-`.
    /// See `evtop help filter`.
    #[arg(short, long, value_name = "EXPR", allow_hyphen_values = true)]
    pub filter: Option<String>,
    /// No colours (also when NO_COLOR is set).
    #[arg(long)]
    pub no_color: bool,
    /// Events kept in memory, all sources together (overrides [settings]
    /// buffer) [default: 100000].
    #[arg(long, value_name = "N", value_parser = parse_buffer)]
    pub buffer: Option<usize>,
    /// Check every event against this contract: an AsyncAPI document (JSON
    /// or YAML; what `evtop catalog` writes, or hand-written) or a JSON object
    /// of event type → JSON Schema (draft-07). An event that fails its type's
    /// schema, or whose type is not in it, is a drift: marked ≠, its reasons
    /// in NDJSON ("drift": […]) and the detail pane; filter with `drift` or
    /// `-drift`.
    #[arg(long, value_name = "FILE")]
    pub contract: Option<PathBuf>,
}

/// `evtop tail`.
#[derive(Debug, Clone, Args)]
pub struct TailArgs {
    #[command(flatten)]
    pub common: CommonArgs,
    #[command(flatten)]
    pub output: TailOutput,
}

/// What `tail` prints and when it stops.
#[derive(Debug, Clone, Args)]
pub struct TailOutput {
    /// Output format [default: text on a terminal, ndjson otherwise].
    #[arg(long, value_enum, value_name = "FORMAT")]
    pub format: Option<Format>,
    /// Exit 0 after N matching events have been printed.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Exit 0 after this long: 500ms, 10s, 2m.
    #[arg(long, value_name = "DUR", value_parser = parse_duration)]
    pub duration: Option<Duration>,
    /// At exit, write {source name: state document or null} as JSON to FILE.
    #[arg(long, value_name = "FILE")]
    pub state_out: Option<PathBuf>,
    /// Exit 1 as soon as every source has failed N times in a row (without
    /// it, failing sources are retried until --count, --duration or a
    /// signal; a run in which no source ever connected still exits 1).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..))]
    pub fail_after: Option<u32>,
}

fn parse_duration(s: &str) -> Result<Duration, String> {
    crate::config::parse_duration(s)
}

fn parse_buffer(s: &str) -> Result<usize, String> {
    let range = crate::config::BUFFER_RANGE;
    match s.replace('_', "").parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n as usize),
        _ => Err(format!(
            "expected a number of events from {} to {}, got {s:?}",
            range.start(),
            range.end()
        )),
    }
}

fn parse_speed(s: &str) -> Result<f64, String> {
    match s.parse::<f64>() {
        Ok(x) if x.is_finite() && x >= 0.0 => Ok(x),
        _ => Err(format!(
            "expected a number ≥ 0 (1 = as recorded, 0 = as fast as possible), got {s:?}"
        )),
    }
}
