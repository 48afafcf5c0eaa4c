//! The engine: starts every source task and hands the caller (`tail` or the
//! TUI) the one channel their messages arrive on.
//!
//! ```text
//! source task ─┐
//! source task ─┼─▶ bounded mpsc (SourceMsg) ─▶ caller: Store::ingest ─▶ print / draw
//! source task ─┘         ▲                              │
//!                        └──── resync (Notify) ◀────────┘  a patch failed
//! ```
//!
//! The channel is bounded ([`CHANNEL_CAPACITY`] batches): when the consumer
//! falls behind, sources wait instead of piling events up in memory, and the
//! TCP window pushes back on the server. Shutdown is one path (mini-redis's
//! pattern): one [`CancellationToken`] every task watches, and one
//! [`TaskTracker`] every source task is spawned on — webhook connections,
//! feeders and body drains included — which [`Engine::shutdown`] waits for,
//! within a grace period.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Notify, mpsc};

use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

use crate::config::{Settings, SourceSpec, Tls};
use crate::event::SourceId;
use crate::filter::Filter;
use crate::source::{self, SourceCtx, SourceMsg};

/// Batches (one per network read) in flight between sources and the store.
pub const CHANNEL_CAPACITY: usize = 64;
/// How long to wait for a TCP connection before calling it failed.
pub use crate::source::http::CONNECT_TIMEOUT;
/// TCP keepalive on every connection, so the OS notices dead peers too.
pub const TCP_KEEPALIVE: Duration = Duration::from_secs(30);
/// How long shutdown waits for source tasks to finish.
pub const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// Running sources.
pub struct Engine {
    /// Every source's messages, in arrival order.
    pub rx: mpsc::Receiver<SourceMsg>,
    resync: Vec<Arc<Notify>>,
    cancel: CancellationToken,
    /// Every source task, top-level or not (see [`SourceCtx::tasks`]).
    tasks: TaskTracker,
}

impl Engine {
    /// Start one task per source. Must be called inside a tokio runtime.
    pub fn start(sources: &[SourceSpec], settings: &Settings, secrets: &[String]) -> anyhow::Result<Engine> {
        Engine::start_filtered(sources, settings, secrets, Arc::default())
    }

    /// [`Engine::start`], telling the sources the initial filter
    /// ([`SourceCtx::filter`]) so that a kind whose server filters can ask
    /// it for less.
    pub fn start_filtered(
        sources: &[SourceSpec],
        settings: &Settings,
        secrets: &[String],
        filter: Arc<Filter>,
    ) -> anyhow::Result<Engine> {
        let client = client_for(&settings.tls)?;
        let tls = Arc::new(settings.tls.clone());
        let (tx, rx) = mpsc::channel(CHANNEL_CAPACITY);
        let cancel = CancellationToken::new();
        let secrets: Arc<[String]> = secrets.into();
        let mut resync = Vec::with_capacity(sources.len());
        // Webhook sources on one address share a server: the launcher
        // groups them; every other source gets its task at once.
        let mut launcher = source::Launcher::default();
        let tasks = TaskTracker::new();
        for (i, spec) in sources.iter().enumerate() {
            let notify = Arc::new(Notify::new());
            let ctx = SourceCtx {
                id: i as SourceId,
                tx: tx.clone(),
                cancel: cancel.child_token(),
                tasks: tasks.clone(),
                resync: notify.clone(),
                max_event_bytes: settings.max_event_bytes,
                client: client.clone(),
                secrets: secrets.clone(),
                tls_unchecked: settings.tls.insecure
                    && (spec.url.starts_with("https:") || spec.url.starts_with("wss:")),
                tls: tls.clone(),
                filter: filter.clone(),
            };
            launcher.add(Arc::new(spec.clone()), ctx);
            resync.push(notify);
        }
        // The handles are not needed: the tracker holds every task.
        drop(launcher.finish());
        Ok(Engine {
            rx,
            resync,
            cancel,
            tasks,
        })
    }

    /// Ask a source to reconnect for a fresh snapshot.
    pub fn resync(&self, source: SourceId) {
        if let Some(n) = self.resync.get(source as usize) {
            n.notify_one();
        }
    }

    /// Stop every source and wait (briefly) for them to finish.
    pub async fn shutdown(self) {
        self.cancel.cancel();
        self.tasks.close();
        let _ = tokio::time::timeout(SHUTDOWN_GRACE, self.tasks.wait()).await;
    }
}

/// The HTTP client with the default certificate checks.
pub fn http_client() -> anyhow::Result<reqwest::Client> {
    client_for(&Tls::default())
}

/// The one HTTP client every source shares (connection pool, TLS config:
/// [`source::http::client_builder_for`]).
pub fn client_for(tls: &Tls) -> anyhow::Result<reqwest::Client> {
    Ok(source::http::client_builder_for(tls)?
        .tcp_keepalive(TCP_KEEPALIVE)
        .build()?)
}
