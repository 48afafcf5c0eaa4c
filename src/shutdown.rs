//! One shutdown path for tasks that are not a source's (the demo's servers
//! and senders): mini-redis's pattern with tokio-util's pieces. Every task
//! is spawned through [`Tasks::spawn`], however small (a connection, a
//! writer half), so it is tracked and ends when shutdown is asked for;
//! [`Tasks::shutdown`] waits for all of them, not only the top-level ones.
//! Sources have the same thing in [`crate::source::SourceCtx`] (`cancel` +
//! `tasks`), owned by [`crate::engine::Engine`].

use std::future::Future;
use std::time::Duration;

use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;

/// Tracked, cancellable tasks. Clones share the tracker and the token.
#[derive(Debug, Clone, Default)]
pub struct Tasks {
    tracker: TaskTracker,
    cancel: CancellationToken,
}

impl Tasks {
    /// Run `task` until it ends or shutdown is asked for, whichever comes
    /// first; [`Tasks::shutdown`] waits for it.
    pub fn spawn<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        let cancel = self.cancel.clone();
        self.tracker.spawn(async move {
            cancel.run_until_cancelled(task).await;
        })
    }

    /// Run `task`, which watches [`Tasks::cancelled`] itself to end
    /// gracefully (a server that lets its connections finish), as part of
    /// the shutdown: [`Tasks::shutdown`] waits for it.
    pub fn track<F>(&self, task: F) -> JoinHandle<()>
    where
        F: Future<Output = ()> + Send + 'static,
    {
        self.tracker.spawn(task)
    }

    /// Fired when shutdown is asked for.
    pub fn cancelled(&self) -> CancellationToken {
        self.cancel.clone()
    }

    /// Tasks still running.
    pub fn len(&self) -> usize {
        self.tracker.len()
    }

    /// No task is running.
    pub fn is_empty(&self) -> bool {
        self.tracker.is_empty()
    }

    /// Ask every task to end and wait up to `grace` for all of them; true
    /// when they all ended in time.
    pub async fn shutdown(&self, grace: Duration) -> bool {
        self.cancel.cancel();
        self.tracker.close();
        tokio::time::timeout(grace, self.tracker.wait()).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn shutdown_waits_for_nested_tasks_and_ends_them() {
        let tasks = Tasks::default();
        let (tx, mut rx) = tokio::sync::mpsc::channel::<()>(1);
        let inner = tasks.clone();
        tasks.spawn(async move {
            // A task that spawns another, as an accept loop does.
            inner.spawn(async move {
                let _keep = tx;
                std::future::pending::<()>().await;
            });
            std::future::pending::<()>().await;
        });
        tokio::task::yield_now().await;
        assert_eq!(tasks.len(), 2);
        assert!(tasks.shutdown(Duration::from_secs(1)).await);
        assert!(tasks.is_empty());
        // The inner task's sender was dropped when it was ended.
        assert_eq!(rx.recv().await, None);
    }
}
