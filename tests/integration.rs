//! Integration tests: real servers on 127.0.0.1:0, real HTTP, the real
//! binary. One test crate (one link) with a module per area under
//! `tests/integration/`.

#[path = "integration/support.rs"]
mod support;

#[path = "support/nats.rs"]
mod nats;
#[path = "integration/poll_servers.rs"]
mod poll_servers;
#[path = "integration/websocket_servers.rs"]
mod websocket_servers;

#[path = "integration/alerts_binary.rs"]
mod alerts_binary;
#[path = "integration/catalog_binary.rs"]
mod catalog_binary;
#[path = "integration/chart_tmux.rs"]
mod chart_tmux;
#[path = "integration/cli_binary.rs"]
mod cli_binary;
#[path = "integration/contract.rs"]
mod contract;
#[path = "integration/faults.rs"]
mod faults;
#[path = "integration/memory.rs"]
mod memory;
#[path = "integration/nats_binary.rs"]
mod nats_binary;
#[path = "integration/poll_binary.rs"]
mod poll_binary;
#[path = "integration/poll_source.rs"]
mod poll_source;
#[path = "integration/reconcile_binary.rs"]
mod reconcile_binary;
#[path = "integration/replay.rs"]
mod replay;
#[path = "integration/resend.rs"]
mod resend;
#[path = "integration/shutdown.rs"]
mod shutdown;
#[path = "integration/sse_source.rs"]
mod sse_source;
#[path = "integration/tail_binary.rs"]
mod tail_binary;
#[path = "integration/time_filters.rs"]
mod time_filters;
#[path = "integration/tls_binary.rs"]
mod tls_binary;
#[path = "integration/tui_loop.rs"]
mod tui_loop;
#[path = "integration/tui_time.rs"]
mod tui_time;
#[path = "integration/tui_tmux.rs"]
mod tui_tmux;
#[path = "integration/webhook_binary.rs"]
mod webhook_binary;
#[path = "integration/webhook_early.rs"]
mod webhook_early;
#[path = "integration/webhook_forward.rs"]
mod webhook_forward;
#[path = "integration/webhook_limits.rs"]
mod webhook_limits;
#[path = "integration/webhook_replies.rs"]
mod webhook_replies;
#[path = "integration/websocket_binary.rs"]
mod websocket_binary;
#[path = "integration/websocket_source.rs"]
mod websocket_source;
