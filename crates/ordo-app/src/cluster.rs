//! This node among the others on one database: its id, its heartbeat, and the leases
//! that let exactly one node do each piece of background work.
//!
//! - A channel connection's poller (and its request budget and write-backs) runs where
//!   its `poll:{tenant}:{code}` lease is held: renewed every second, it lasts
//!   [`POLL_LEASE`], so a dead node's polls move to another within that.
//! - Each sweeper runs a round only while this node holds `sweeper:{name}`.
//! - Outbox messages are claimed one by one (see `ordo_store::OutboxQueue`), so any
//!   node may deliver them.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use ordo_core::TenantId;
use ordo_store::{LeaseTake, NodeBeat, Store};
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// How long a poll lease lasts without renewal: the longest a dead node's connections go
/// unpolled.
pub const POLL_LEASE: chrono::Duration = chrono::Duration::seconds(6);

/// How long a sweeper lease lasts without renewal. Sweepers renew it every round (at most
/// every five seconds), so it outlives a slow round.
pub const SWEEPER_LEASE: chrono::Duration = chrono::Duration::seconds(15);

/// A node that beat within this long counts as up.
pub const NODE_FRESH: chrono::Duration = chrono::Duration::seconds(10);

/// This node's identity and leases; cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

struct Inner {
    store: Arc<dyn Store>,
    node: String,
    started_at: chrono::DateTime<Utc>,
}

impl Cluster {
    /// This node, named `node` (unique among the nodes of one database).
    pub fn new(store: Arc<dyn Store>, node: impl Into<String>) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                node: node.into(),
                started_at: Utc::now(),
            }),
        }
    }

    /// A fresh node id: host name, process id and a random suffix, so two processes on
    /// one host (or one restarted) never share one.
    pub fn fresh_id() -> String {
        let host = std::env::var("HOSTNAME")
            .ok()
            .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
            .map(|h| h.trim().to_owned())
            .filter(|h| !h.is_empty())
            .unwrap_or_else(|| "node".into());
        format!("{host}-{}-{:04x}", std::process::id(), rand::random::<u16>())
    }

    /// This node's id.
    pub fn node(&self) -> &str {
        &self.inner.node
    }

    /// Takes or renews a lease for `ttl`; whether this node holds it. A store error counts
    /// as not holding it: work is skipped, never doubled.
    pub async fn hold(&self, name: &str, tenant: Option<&TenantId>, ttl: chrono::Duration) -> bool {
        let now = Utc::now();
        match self
            .inner
            .store
            .take_lease(name, tenant, &self.inner.node, now, now + ttl)
            .await
        {
            Ok(LeaseTake::Held { taken_over, .. }) => {
                if let Some(previous) = taken_over {
                    let kind = name.split(':').next().unwrap_or(name).to_owned();
                    metrics::counter!("ordo_lease_takeovers_total", "kind" => kind).increment(1);
                    tracing::info!(lease = name, from = %previous, "took over an expired lease");
                }
                true
            }
            Ok(LeaseTake::Busy) => false,
            Err(error) => {
                tracing::warn!(%error, lease = name, "could not take a lease");
                false
            }
        }
    }

    /// Whether this node runs sweeper `name` this round (takes or renews its lease).
    pub async fn lead(&self, name: &str) -> bool {
        self.hold(&format!("sweeper:{name}"), None, SWEEPER_LEASE).await
    }

    /// Gives a lease up, so another node takes it at once instead of after its expiry.
    pub async fn release(&self, name: &str) {
        if let Err(error) = self.inner.store.release_lease(name, &self.inner.node).await {
            tracing::warn!(%error, lease = name, "could not release a lease");
        }
    }

    /// Beats every second until `stop`, naming `addr` as where this node's API listens;
    /// gives up its sweeper leases on the way out.
    pub fn spawn_heartbeat(&self, addr: String, mut stop: watch::Receiver<bool>) -> JoinHandle<()> {
        let cluster = self.clone();
        tokio::spawn(async move {
            loop {
                let beat = NodeBeat {
                    id: cluster.inner.node.clone(),
                    addr: addr.clone(),
                    started_at: cluster.inner.started_at,
                    seen_at: Utc::now(),
                };
                if let Err(error) = cluster.inner.store.beat(&beat).await {
                    tracing::warn!(%error, "heartbeat failed");
                }
                tokio::select! {
                    () = tokio::time::sleep(Duration::from_secs(1)) => {}
                    _ = stop.changed() => break,
                }
                if *stop.borrow() {
                    break;
                }
            }
            if let Ok(leases) = cluster.inner.store.list_leases().await {
                for lease in leases.iter().filter(|l| l.holder == cluster.inner.node) {
                    cluster.release(&lease.name).await;
                }
            }
        })
    }
}
