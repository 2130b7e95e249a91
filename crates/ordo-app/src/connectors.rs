//! Channel connectors inside a node: where their cursors are kept and their payloads go
//! (the store and the ingestion service), and the delivery of channel write-backs
//! (`channel.tracking`, `channel.cancel`, `channel.stock`, `channel.aftersale` outbox messages) through them.
//!
//! Each channel polls in its own task; write-backs are delivered per channel
//! concurrently, so a slow or failing channel holds up only its own messages.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::Utc;
use ordo_connect::{
    AfterSaleDecision, ChannelHandle, ChannelSink, ChannelStatus, PushError, SinkError, TrackingLine, WriteBack,
};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::{ConnectionKind, OutboxMessage, OutboxStatus, Store, StoreResult};
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
    aftersales_seen: crate::connectors_aftersales::AfterSalesSeen,
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
            aftersales_seen: Default::default(),
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

    fn keeps_after_sales(&self) -> bool {
        true
    }

    async fn after_sale(&self, channel: &str, platform: &str, payload: serde_json::Value) -> Result<(), SinkError> {
        let (service, store, seen) = (&self.service, self.store.as_ref(), &self.aftersales_seen);
        crate::connectors_aftersales::take(service, store, &self.tenant, seen, channel, platform, payload).await
    }
}

/// What a node knows of a tenant's channel connection, wherever it is polled.
#[derive(Debug, Clone)]
pub struct KnownChannel {
    /// The connection's global id (its webhook URL names it).
    pub id: uuid::Uuid,
    /// Its platform.
    pub platform: ordo_connect::Platform,
    /// The secret its platform signs webhooks with.
    pub webhook_secret: Option<String>,
    /// Why it cannot run, if it cannot.
    pub problem: Option<String>,
}

type Key = (String, String);

#[derive(Default)]
struct View {
    known: BTreeMap<Key, KnownChannel>,
    running: BTreeMap<Key, Arc<ChannelHandle>>,
}

/// The channel connections of every tenant as this node knows them, and the pollers it
/// runs (those whose lease it holds); kept current by
/// [`crate::connections::Supervisor`]. Cheap to clone. Two tenants' channels may share a
/// code, never a connector: everything is keyed by tenant and code.
#[derive(Clone, Default)]
pub struct Channels {
    view: Arc<std::sync::RwLock<View>>,
}

impl Channels {
    fn read(&self) -> std::sync::RwLockReadGuard<'_, View> {
        self.view.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, View> {
        self.view.write().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Replaces what is known of every tenant's connections.
    pub fn set_known(&self, known: BTreeMap<Key, KnownChannel>) {
        self.write().known = known;
    }

    /// Records a poller this node now runs.
    pub fn attach(&self, tenant: &str, code: &str, handle: ChannelHandle) {
        self.write()
            .running
            .insert((tenant.to_owned(), code.to_owned()), Arc::new(handle));
    }

    /// Forgets a poller this node no longer runs.
    pub fn detach(&self, tenant: &str, code: &str) -> Option<Arc<ChannelHandle>> {
        self.write().running.remove(&(tenant.to_owned(), code.to_owned()))
    }

    /// The health of every connector of a tenant polled on this node.
    pub fn statuses(&self, tenant: &TenantId) -> Vec<ChannelStatus> {
        self.read()
            .running
            .iter()
            .filter(|((t, _), _)| t == tenant.as_str())
            .map(|(_, handle)| handle.status())
            .collect()
    }

    /// A tenant's connector by channel code, if this node polls it.
    pub fn get(&self, tenant: &str, code: &str) -> Option<Arc<ChannelHandle>> {
        self.read().running.get(&(tenant.to_owned(), code.to_owned())).cloned()
    }

    /// What is known of a tenant's connection, wherever it is polled.
    pub fn known(&self, tenant: &str, code: &str) -> Option<KnownChannel> {
        self.read().known.get(&(tenant.to_owned(), code.to_owned())).cloned()
    }

    /// A connection by its id: its tenant, code and what is known of it.
    pub fn by_id(&self, id: uuid::Uuid) -> Option<(String, String, KnownChannel)> {
        self.read()
            .known
            .iter()
            .find(|(_, k)| k.id == id)
            .map(|((t, c), k)| (t.clone(), c.clone(), k.clone()))
    }
}

/// The outbox topics connectors deliver (`channel.status`, a workflow transition's
/// `write_back` of a new status, is read and dropped with its reason: no connector
/// reports a bare status to its platform yet; `channel.aftersale` is the seller's
/// decision on a case the channel opened).
pub const WRITE_BACK_TOPICS: [&str; 5] = [
    "channel.tracking",
    "channel.cancel",
    "channel.stock",
    "channel.status",
    "channel.aftersale",
];

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
        "channel.aftersale" => {
            let decision = text("decision").unwrap_or_default();
            Ok(WriteBack::AfterSale {
                channel_case_id: text("channel_case_id").ok_or("the message names no channel_case_id")?,
                external_order_id: external_order_id()?,
                decision: AfterSaleDecision::parse(&decision)
                    .ok_or_else(|| format!("the after-sale decision {decision:?} is not approve, refuse or refund"))?,
                reason: text("reason"),
                amount: p["amount"].as_i64(),
                kind: text("kind"),
            })
        }
        "channel.status" => Err(format!(
            "no channel connector reports a status ({}) to its platform yet",
            text("status").unwrap_or_default()
        )),
        other => Err(format!("topic {other} is not a channel write-back")),
    }
}

/// How many attempts a write-back gets before it is marked dead.
const MAX_ATTEMPTS: i64 = 12;

/// Delivers every due write-back of the connections this node polls (each connection's
/// poller owns its request budget, so its write-backs go out where it runs), each
/// channel's messages in order and the channels side by side; returns how many were
/// handled. Messages for a connection that no longer exists are dropped, with the reason.
pub async fn deliver_write_backs(store: &dyn Store, channels: &Channels) -> StoreResult<usize> {
    // By tenant and channel: two tenants' channels may share a code, never a connector.
    let mut by_channel: BTreeMap<(String, String), Vec<OutboxMessage>> = BTreeMap::new();
    let mut handled = 0;
    // Of the connections this node does not know, whether the store has them (one saved
    // a moment ago that this node has not loaded yet: its poller delivers, not this node).
    let mut stored: BTreeMap<(String, String), bool> = BTreeMap::new();
    for topic in WRITE_BACK_TOPICS {
        for message in store.due_outbox(topic, Utc::now(), 200).await? {
            let key = (message.tenant.clone(), message.destination.clone());
            let mine = channels.get(&key.0, &key.1).is_some();
            let unknown = channels.known(&key.0, &key.1).is_none();
            if unknown && !stored.contains_key(&key) {
                let found = match TenantId::parse(&key.0) {
                    Ok(tenant) => store
                        .get_connection(&tenant, ConnectionKind::Channel, &key.1)
                        .await?
                        .is_some(),
                    Err(_) => false,
                };
                stored.insert(key.clone(), found);
            }
            let gone = unknown && !stored[&key];
            if mine || gone {
                by_channel.entry(key).or_default().push(message);
            }
        }
    }
    // Only what this node claimed goes out: another node may be looking at the rest.
    let ids: Vec<_> = by_channel.values().flatten().map(|m| m.id).collect();
    if ids.is_empty() {
        return Ok(0);
    }
    let now = Utc::now();
    let claimed: std::collections::BTreeSet<_> = store
        .claim_outbox(&ids, now, now + crate::DELIVERY_LEASE)
        .await?
        .into_iter()
        .collect();
    let rounds = by_channel.into_iter().map(|((tenant, channel), messages)| {
        let claimed = &claimed;
        async move {
            let mut outcomes = Vec::with_capacity(messages.len());
            for message in messages.into_iter().filter(|m| claimed.contains(&m.id)) {
                let outcome = match (channels.get(&tenant, &channel), write_back_of(&message)) {
                    (None, _) => (
                        OutboxStatus::Dropped,
                        Some(format!("tenant {tenant} has no channel connection {channel}")),
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
        }
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

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn message(topic: &str, payload: serde_json::Value) -> OutboxMessage {
        OutboxMessage {
            id: uuid::Uuid::now_v7(),
            tenant: "acme".into(),
            topic: topic.into(),
            destination: "taobao".into(),
            payload,
            status: OutboxStatus::Pending,
            attempts: 0,
            next_attempt_at: Utc::now(),
            last_error: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn an_after_sale_decision_is_read_as_its_write_back() {
        assert!(WRITE_BACK_TOPICS.contains(&"channel.aftersale"));
        let refund = message(
            "channel.aftersale",
            json!({"type": "aftersale", "decision": "refund", "channel_case_id": "120000000000000002",
                   "external_order_id": "3000000000002", "kind": "refund_only", "reason": null,
                   "amount": 1990, "currency": "CNY"}),
        );
        assert_eq!(
            write_back_of(&refund).unwrap(),
            WriteBack::AfterSale {
                channel_case_id: "120000000000000002".into(),
                external_order_id: "3000000000002".into(),
                decision: AfterSaleDecision::Refund,
                reason: None,
                amount: Some(1990),
                kind: Some("refund_only".into()),
            }
        );
        let unknown = message(
            "channel.aftersale",
            json!({"decision": "maybe", "channel_case_id": "1", "external_order_id": "2"}),
        );
        assert!(write_back_of(&unknown).unwrap_err().contains("maybe"));
        let nameless = message(
            "channel.aftersale",
            json!({"decision": "approve", "external_order_id": "2"}),
        );
        assert!(write_back_of(&nameless).unwrap_err().contains("channel_case_id"));
    }
}
