//! evtop — a terminal monitor for the events of API platforms.
//!
//! # Architecture
//!
//! ```text
//!   config.rs / cli.rs ──▶ Vec<SourceSpec>     (each kind validates its own keys:
//!                               │               source/registry.rs → source/<kind>/config.rs)
//!                               │ engine.rs: registry::Launcher → each kind's start
//!                               ▼
//!   source/sse.rs ─────┐                                 ┌─▶ tail.rs ─▶ printer thread: filter ─▶ output ─▶ stdout
//!   source/poll.rs ────┤
//!   source/nats.rs ────┼─▶ bounded mpsc<SourceMsg> ─▶ store.rs
//!   source/webhook.rs ─┤      (batches of Event)         └─▶ tui.rs: app.rs (state, keys) ─▶ ui.rs + ui/ (draw)
//!     (HTTP server;    └──◀── resync (Notify) ◀── a Streamdata patch failed
//!      answers first)
//! ```
//!
//! - [`event`]: the one record every source produces ([`event::Event`]).
//!   Sources differ only in how they get bytes and in their
//!   [`event::Meta`]; nothing after the channel knows what kind of source an
//!   event came from.
//! - [`source`]: source tasks, their status, backoff and error texts. Each
//!   kind of source is one folder under `source/` and one entry in
//!   [`source::registry::KINDS`], described by a [`source::Kind`]:
//!
//!   ```text
//!   pub static KIND: Kind = Kind {
//!       name: "sse",                      // kind = "sse"
//!       keys: &["patch", "idle_timeout"], // the keys only this kind takes
//!       requests: true,                   // takes url + headers
//!       parse,      // fn(&RawSource, name, &Ctx, Env, secrets) -> Result<SourceSpec, ConfigError>
//!       types,      // fn(&RawSource, file) -> Result<(), ConfigError>: TOML types of its keys
//!       start,      // fn(Vec<(Arc<SourceSpec>, SourceCtx)>) -> Vec<JoinHandle<()>>
//!       progress: false,                  // its live status is progress (a replay)
//!       view_line: None,                  // its own line in the sources view
//!       check_all: None,                  // a rule across all sources
//!       cli_url: None,                    // URL schemes it claims on the command line (ws, wss)
//!   };
//!   ```
//!
//!   Its parsed options travel as a variant of [`source::SourceKind`]
//!   (`From<Options>`); what its events carry besides the data is a variant
//!   of [`event::Meta`], which writes its NDJSON member, feed mark, detail
//!   lines and answers filter terms. The store, filters, `tail`, recordings
//!   and panes ask these, never match on a kind;
//!   [`source::sse`] with its incremental, size-bounded WHATWG parser;
//!   [`source::poll`]: polled event lists (cursor paging, dedupe by id,
//!   ETag) and diff mode (any JSON resource as `data` + `patch` events);
//!   [`source::webhook`]: a server per `listen` address that receives
//!   deliveries, verifies their signatures, answers at once (or passes them
//!   on to an app with `forward_to`) and numbers redeliveries — each event
//!   carries a [`event::WebhookMeta`].
//!   [`source::nats`]: a NATS subject, live or from a JetStream stream
//!   through an ephemeral consumer it owns and resumes after the last
//!   sequence passed on — each event carries a [`event::NatsMeta`]
//!   (subject, stream sequence), or, for an event another evtop relayed,
//!   the original source name and metadata ([`event::Meta::source_name`]).
//!   The initial filter reaches every source ([`source::SourceCtx::filter`])
//!   so that a server that can filter (a NATS subject filter) is asked for
//!   no more than may be shown.
//! - Below the kinds: [`source::http`] (the HTTP client every kind and
//!   `resend` build from, `Retry-After`, [`source::http::TransportError`]: why
//!   a request failed, typed, in words without secrets), [`source::tls`]
//!   (rustls for kinds that do TLS themselves; certificate errors in words),
//!   [`source::Backoff`] (one retry strategy, time passed in, the same rule
//!   for HTTP statuses everywhere).
//! - Shutdown: every task a source starts is spawned on the engine's
//!   `TaskTracker` ([`source::SourceCtx::tasks`]) and ends on its token; the
//!   demo's servers use [`shutdown::Tasks`], the same pair. Stopping waits for
//!   all of them.
//! - [`store`]: the single owner of buffered events (a compact ring),
//!   per-source state documents and counters, per-type rate history
//!   (counted at each event's `received`: what the sparklines and the rate
//!   chart draw, in a replay on the recording's clock). Pure: no I/O,
//!   no clock; the caller passes `now`.
//! - [`filter`]: the filter language, shared by `tail` and the TUI (and
//!   its help text, `evtop help filter` and `?`). Pure: its time terms
//!   (`since:`, `received>=14:05`) count from the "now" its caller sets
//!   ([`filter::Filter::set_now`]) from [`store::Store::clock`] — the TUI
//!   every tick (`app/view/window.rs` moves the feed with it), `tail`'s
//!   printer and `relay` per event ([`tail::StreamClock`]), `resend` and
//!   `catalog` of recordings once ([`recording::latest_received`]).
//! - [`contract`]: `--contract FILE` (SPEC 10) — an AsyncAPI document or a
//!   type → JSON Schema object, compiled once at start; the verdict per
//!   event ([`contract::Contract::drifts`]) and why
//!   ([`contract::Contract::reasons`]). The TUI's store checks events as it
//!   takes them in and keeps a flag per record ([`store::Record::drift`])
//!   and drift counts per type; `tail`'s printer thread checks only what the
//!   rest of its filter lets through. Reasons are worked out again when an
//!   event is shown (detail pane, export), never stored.
//! - [`config`]: TOML schema, `${VAR}` expansion, validation with precise
//!   errors, secret masking.
//! - [`reconcile`]: `[[reconcile]]` (SPEC 11.3), pure: a polled events
//!   list (the provider's truth) against a webhook source's deliveries,
//!   time passed in; findings ("not delivered ID", "not listed ID") at
//!   `within`, the backlog (what a source sends before
//!   [`source::SourceMsg::CaughtUp`]) not reconciled, ids kept in bounded
//!   memory. `tail` runs it on its runtime thread before the printer (and
//!   prints findings on stderr); the TUI in `App::ingest` (marks `⊘`).
//! - [`tail`] + [`output`]: the headless mode. Its runtime thread only moves
//!   events (sources, webhook servers, the store's state documents); an
//!   output thread (`tail/printer.rs`) filters, formats and writes stdout,
//!   and another writes stderr, each behind a bounded queue, so a reader
//!   that stops never stalls a source or a webhook reply.
//!   `tail/health.rs` decides the exit status from the sources' statuses;
//!   [`sanitize`] makes every
//!   network-supplied string inert before it reaches a terminal.
//! - [`relay`]: `evtop relay`, `tail`'s runtime with a publisher instead of
//!   a printer: the relay loop filters and formats each event (subject,
//!   `Nats-Msg-Id`, NDJSON payload) and hands it to a bounded queue; a
//!   publisher thread with its own runtime owns the NATS client, publishes
//!   with a window of acks in flight and resends what was not acknowledged.
//!   The sources' runtime never awaits the broker.
//! - [`tui`]: the monitor's loop (input, batched source messages, frame
//!   tick); [`app`]: its state and key handling, no I/O; [`ui`]: pure
//!   drawing, one file per pane. [`demo`]: loopback servers (and a webhook
//!   sender) for `evtop demo`.
//!
//! Back-pressure is explicit: the channel is bounded, so a consumer that
//! falls behind slows the sources (and TCP slows the servers) instead of
//! growing memory; the ring buffer drops its oldest events and counts them.
//! A webhook sender is the one peer that must not be slowed: its delivery
//! is answered first, then queued without waiting, and counted as dropped
//! if the consumer has fallen that far behind.

pub mod alert;
pub mod app;
pub mod catalog;
pub mod cli;
pub mod config;
pub mod contract;
pub mod demo;
pub mod engine;
pub mod event;
pub mod filter;
pub mod logging;
pub mod output;
pub mod reconcile;
pub mod recording;
pub mod relay;
pub mod resend;
pub mod sanitize;
pub mod shutdown;
pub mod source;
pub mod store;
pub mod tail;
pub mod tui;
pub mod ui;
