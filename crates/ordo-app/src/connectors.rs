//! Channel connectors inside a node: where their cursors are kept and their payloads go
//! (the store and the ingestion service), and the delivery of channel write-backs
//! (`channel.tracking`, `channel.cancel`, `channel.stock` outbox messages) through them.
//!
//! Each channel polls in its own task; write-backs are delivered per channel
//! concurrently, so a slow or failing channel holds up only its own messages.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ordo_connect::{
    ChannelConfig, ChannelHandle, ChannelRunner, ChannelSink, ChannelStatus, ConnectError, PushError, SinkError,
    TrackingLine, WriteBack,
};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::{OutboxMessage, OutboxStatus, Store, StoreResult};
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::service::{IngestService, Principal};
use crate::webhooks::backoff;

/// Connectors write into the store and the ingestion service of one tenant.
///
/// Polls re-read the overlap of their windows on purpose; a payload byte for byte equal
/// to one already taken in is not stored again (it would only be `unchanged`). Payloads
/// that failed are not remembered, so the next re-read after a mapping fix takes them in.
pub struct StoreSink {
    service: IngestService,
    store: Arc<dyn Store>,
    tenant: TenantId,
    seen: std::sync::Mutex<Seen>,
}

/// Digests of recently ingested payloads, bounded.
#[derive(Default)]
struct Seen {
    set: std::collections::HashSet<[u8; 32]>,
    order: std::collections::VecDeque<[u8; 32]>,
}

/// Payloads remembered per sink; several overlap windows of a busy shop.
const SEEN_CAPACITY: usize = 100_000;

impl Seen {
    fn insert(&mut self, digest: [u8; 32]) {
        if self.set.insert(digest) {
            self.order.push_back(digest);
            if self.order.len() > SEEN_CAPACITY
                && let Some(old) = self.order.pop_front()
            {
                self.set.remove(&old);
            }
        }
    }
}

impl StoreSink {
    /// A sink for `tenant`.
    pub fn new(service: IngestService, store: Arc<dyn Store>, tenant: TenantId) -> Self {
        Self {
            service,
            store,
            tenant,
            seen: std::sync::Mutex::default(),
        }
    }
}

#[async_trait]
impl ChannelSink for StoreSink {
    async fn load_cursor(&self, channel: &str) -> Result<Option<serde_json::Value>, SinkError> {
        self.store
            .get_cursor(&self.tenant, channel)
            .await
            .map_err(|e| SinkError::new(e.to_string()))
    }

    async fn save_cursor(&self, channel: &str, cursor: &serde_json::Value) -> Result<(), SinkError> {
        self.store
            .put_cursor(&self.tenant, channel, cursor, Utc::now())
            .await
            .map_err(|e| SinkError::new(e.to_string()))
    }

    async fn ingest(&self, channel: &str, mapping: &str, payload: serde_json::Value) -> Result<(), SinkError> {
        let principal = Principal {
            tenant: self.tenant.clone(),
            role: Role::Integration,
            actor: format!("connector:{channel}"),
        };
        let body = serde_json::to_vec(&payload).map_err(|e| SinkError::new(e.to_string()))?;
        let digest: [u8; 32] = {
            use sha2::Digest;
            let mut hash = sha2::Sha256::new();
            hash.update(mapping.as_bytes());
            hash.update(&body);
            hash.finalize().into()
        };
        if self.seen.lock().expect("seen payloads lock").set.contains(&digest) {
            metrics::counter!("ordo_channel_rereads_skipped_total", "channel" => channel.to_owned()).increment(1);
            return Ok(());
        }
        // A payload that fails its mapping is kept as failed (visible, replayable): only
        // a store that could not take it stops the cursor.
        match self.service.ingest_mapped(&principal, mapping, body).await {
            Ok(Some(ingested)) => {
                if ingested.problem.is_none() {
                    self.seen.lock().expect("seen payloads lock").insert(digest);
                }
                Ok(())
            }
            Ok(None) => Err(SinkError::new(format!("mapping {mapping} is not loaded"))),
            Err(error) => Err(SinkError::new(error.to_string())),
        }
    }
}

/// Whether the connectors and secrets configured for this node (`ordo.toml`) serve
/// `tenant`: they are the default tenant's, and no other tenant's data may reach them.
pub fn node_connections_serve(tenant: &str) -> bool {
    tenant == TenantId::default_tenant().as_str()
}

/// The running connectors of a node, by channel code; cheap to clone. They serve the
/// default tenant only (see [`node_connections_serve`]).
#[derive(Clone, Default)]
pub struct Channels {
    handles: Arc<BTreeMap<String, ChannelHandle>>,
}

impl Channels {
    /// Starts one connector per configuration, each in its own task.
    pub fn start(
        configs: Vec<ChannelConfig>,
        sink: Arc<dyn ChannelSink>,
        stop: watch::Receiver<bool>,
    ) -> Result<Self, ConnectError> {
        let mut handles = BTreeMap::new();
        for config in configs {
            let code = config.code.clone();
            handles.insert(code, ChannelRunner::spawn(config, Arc::clone(&sink), stop.clone())?);
        }
        Ok(Self {
            handles: Arc::new(handles),
        })
    }

    /// The health of every connector of a tenant.
    pub fn statuses(&self, tenant: &TenantId) -> Vec<ChannelStatus> {
        if !node_connections_serve(tenant.as_str()) {
            return Vec::new();
        }
        self.handles.values().map(ChannelHandle::status).collect()
    }

    /// A tenant's connector by channel code.
    pub fn get(&self, tenant: &str, code: &str) -> Option<&ChannelHandle> {
        node_connections_serve(tenant).then(|| self.handles.get(code)).flatten()
    }
}

/// The outbox topics connectors deliver.
pub const WRITE_BACK_TOPICS: [&str; 3] = ["channel.tracking", "channel.cancel", "channel.stock"];

/// Reads an outbox message as the write-back a connector sends; `Err` says why it cannot
/// be sent at all (e.g. a shipment without a tracking number).
pub fn write_back_of(message: &OutboxMessage) -> Result<WriteBack, String> {
    let p = &message.payload;
    let text = |key: &str| p[key].as_str().map(str::to_owned);
    let external_order_id = || text("external_order_id").ok_or("the message names no external_order_id");
    match message.topic.as_str() {
        "channel.tracking" => {
            let tracking_number = text("tracking_number").ok_or("the shipment has no tracking number")?;
            let lines = p["lines"]
                .as_array()
                .map(|lines| {
                    lines
                        .iter()
                        .filter_map(|l| {
                            Some(TrackingLine {
                                line_id: l["line_id"].as_str()?.to_owned(),
                                sku: l["sku"].as_str().unwrap_or_default().to_owned(),
                                quantity: u32::try_from(l["quantity"].as_u64()?).ok()?,
                            })
                        })
                        .collect()
                })
                .unwrap_or_default();
            Ok(WriteBack::Tracking {
                external_order_id: external_order_id()?,
                carrier: text("carrier").unwrap_or_else(|| "Other".into()),
                tracking_number,
                tracking_url: text("tracking_url"),
                shipped_at: text("shipped_at")
                    .and_then(|t| chrono::DateTime::parse_from_rfc3339(&t).ok())
                    .map_or_else(Utc::now, |t| t.with_timezone(&Utc)),
                lines,
            })
        }
        "channel.cancel" => Ok(WriteBack::Cancel {
            external_order_id: external_order_id()?,
            reason: text("reason"),
        }),
        "channel.stock" => Ok(WriteBack::Stock {
            sku: text("sku").ok_or("the message names no sku")?,
            quantity: p["quantity"].as_i64().ok_or("the message has no quantity")?,
        }),
        other => Err(format!("topic {other} is not a channel write-back")),
    }
}

/// How many attempts a write-back gets before it is marked dead.
const MAX_ATTEMPTS: i64 = 12;

/// Delivers every due write-back once, each channel's messages in order and the channels
/// side by side; returns how many were handled.
pub async fn deliver_write_backs(store: &dyn Store, channels: &Channels) -> StoreResult<usize> {
    // By tenant and channel: two tenants' channels may share a code, never a connector.
    let mut by_channel: BTreeMap<(String, String), Vec<OutboxMessage>> = BTreeMap::new();
    let mut handled = 0;
    for topic in WRITE_BACK_TOPICS {
        let now = Utc::now();
        for message in store.claim_due(topic, now, now + crate::DELIVERY_LEASE, 200).await? {
            let key = (message.tenant.clone(), message.destination.clone());
            by_channel.entry(key).or_default().push(message);
        }
    }
    let rounds = by_channel.into_iter().map(|((tenant, channel), messages)| async move {
        let mut outcomes = Vec::with_capacity(messages.len());
        for message in messages {
            let outcome = match (channels.get(&tenant, &channel), write_back_of(&message)) {
                (None, _) => (
                    OutboxStatus::Dropped,
                    Some(format!("no connector runs for channel {channel} of tenant {tenant}")),
                    None,
                ),
                (_, Err(why)) => (OutboxStatus::Dropped, Some(why), None),
                (Some(handle), Ok(write_back)) => match handle.push(&write_back).await {
                    Ok(()) => (OutboxStatus::Delivered, None, None),
                    Err(PushError::Retry { after, message: why }) if message.attempts + 1 < MAX_ATTEMPTS => {
                        (OutboxStatus::Pending, Some(why), after)
                    }
                    Err(error @ PushError::Unsupported { .. }) => {
                        (OutboxStatus::Dropped, Some(error.to_string()), None)
                    }
                    Err(error) => (OutboxStatus::Dead, Some(error.to_string()), None),
                },
            };
            outcomes.push((message, outcome));
        }
        outcomes
    });
    for outcomes in futures_util::future::join_all(rounds).await {
        for (message, (status, error, after)) in outcomes {
            metrics::counter!("ordo_channel_write_backs_total", "topic" => message.topic.clone(), "status" => status.as_str()).increment(1);
            let wait = after
                .and_then(|d| chrono::Duration::from_std(d).ok())
                .unwrap_or_else(|| backoff(message.attempts));
            store
                .finish_outbox(message.id, status, Utc::now() + wait, error.as_deref())
                .await?;
            handled += 1;
        }
    }
    Ok(handled)
}

/// Delivers write-backs every `every` until `stop` turns true.
pub fn spawn_write_backs(
    store: Arc<dyn Store>,
    channels: Channels,
    every: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::select! {
                () = tokio::time::sleep(every) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if let Err(error) = deliver_write_backs(store.as_ref(), &channels).await {
                tracing::warn!(%error, "write-back round failed");
            }
        }
    })
}
