//! Wakes live-stream subscribers when the feed grows.
//!
//! The feed itself lives in the store (numbered per tenant, in commit order), so a
//! subscriber never misses an event and can resume from any number; this hub only says
//! "read again" the moment a commit on this node, or on another node sharing the database,
//! may have added events. Subscribers re-read on every bump, so a bump for another tenant
//! costs one empty read.

use tokio::sync::watch;

/// A cheap, cloneable doorbell.
#[derive(Clone, Debug)]
pub struct FeedHub {
    bell: watch::Sender<u64>,
}

impl Default for FeedHub {
    fn default() -> Self {
        Self::new()
    }
}

impl FeedHub {
    /// A hub nobody listens to yet.
    pub fn new() -> Self {
        Self {
            bell: watch::Sender::new(0),
        }
    }

    /// Says the feed may have grown.
    pub fn bump(&self) {
        self.bell.send_modify(|n| *n = n.wrapping_add(1));
    }

    /// A receiver whose `changed()` completes after the next bump.
    pub fn subscribe(&self) -> watch::Receiver<u64> {
        self.bell.subscribe()
    }
}
