//! Fulfilment requests to warehouses (WMS / 3PL), and what the warehouses answer.
//!
//! Requests wait in the outbox (topic `wms.fulfil`, queued by the store when an order is
//! allocated); each warehouse's are delivered by its own task with its own circuit
//! breaker, so one warehouse's outage never delays another's orders, and nothing is lost:
//! a failed request is retried with capped exponential backoff, then dead-lettered.
//! Callbacks (accepted, picked, packed, shipped with tracking, cancelled, short-shipped)
//! move the order along the workflow; `returned` callbacks receive goods into the order's
//! return case.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ordo_connect::breaker::{Breaker, BreakerConfig, BreakerState};
use ordo_connect::wms::{FulfilmentRequest, WmsClient, WmsConfig, WmsError};
use ordo_core::{OrderStatus, TenantId};
use ordo_store::OrderAction;
use ordo_store::fulfilment::push::{FULFIL_TOPIC, PushPolicy, PushTargets};
use ordo_store::{OutboxMessage, OutboxStatus, Store, StoreResult};
use serde::Serialize;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use crate::feed::FeedHub;
use crate::webhooks::backoff;

mod callback;
mod returns;
pub use callback::{Applied, CallbackProblem, apply_event};

/// Attempts before a request is dead-lettered (about 17 minutes of backoff in all).
pub const MAX_ATTEMPTS: i64 = 10;

/// One warehouse's connector and health.
pub struct Link {
    config: WmsConfig,
    client: WmsClient,
    breaker: Mutex<Breaker>,
    health: Mutex<Health>,
    // A warehouse whose last batch is still out gets no new one: its messages stay due
    // and no other warehouse waits for it.
    busy: std::sync::atomic::AtomicBool,
    paused: bool,
    /// The connection's id, which its callback URL names.
    id: Option<uuid::Uuid>,
}

/// What `GET /api/v1/warehouses/connectors` shows of a warehouse connector.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Health {
    /// Requests delivered.
    pub delivered: u64,
    /// Attempts that failed.
    pub failed: u64,
    /// Requests dead-lettered.
    pub dead: u64,
    /// The last error.
    pub last_error: Option<String>,
    /// `closed`, `open` or `half_open`.
    pub breaker: String,
    /// Paused: requests wait.
    pub paused: bool,
}

/// (tenant, warehouse code).
type Key = (String, String);

/// The warehouse connectors of every tenant, by tenant and code, kept current by
/// [`crate::connections::Supervisor`]; cheap to clone. Any node delivers to any warehouse
/// (each request is claimed first), so every node has every connector.
#[derive(Clone, Default)]
pub struct Warehouses {
    links: Arc<std::sync::RwLock<BTreeMap<Key, Arc<Link>>>>,
    targets: PushTargets,
    http: Option<reqwest::Client>,
    callback_base: Option<String>,
    policies: crate::policies::Policies,
}

impl Warehouses {
    /// No connectors yet; `callback_base` is this node's URL, to which generic warehouses
    /// send their callbacks.
    pub fn empty(callback_base: Option<String>) -> Result<Self, String> {
        let http = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .build()
            .map_err(|e| e.to_string())?;
        Ok(Self {
            http: Some(http),
            callback_base,
            ..Self::default()
        })
    }

    /// Connectors for the default tenant's warehouses (`{base}/api/v1/warehouses/{code}/events`
    /// takes their callbacks).
    pub fn new(configs: &[WmsConfig], callback_base: Option<String>) -> Result<Self, String> {
        let warehouses = Self::empty(callback_base)?;
        let tenant = TenantId::default_tenant().as_str().to_owned();
        warehouses.replace(
            configs
                .iter()
                .map(|c| ((tenant.clone(), c.code.clone()), (c.clone(), false, None)))
                .collect(),
        )?;
        Ok(warehouses)
    }

    /// Replaces the connectors: (tenant, code) → (configuration, paused, connection id).
    /// A connector whose configuration did not change keeps its breaker and health.
    pub fn replace(&self, configs: BTreeMap<Key, (WmsConfig, bool, Option<uuid::Uuid>)>) -> Result<(), String> {
        let http = self.http.clone().unwrap_or_default();
        let old = self.read().clone();
        let mut links = BTreeMap::new();
        let mut targets: BTreeMap<String, std::collections::BTreeSet<String>> = BTreeMap::new();
        for (key, (config, paused, id)) in configs {
            targets.entry(key.0.clone()).or_default().insert(key.1.clone());
            let link = match old.get(&key) {
                Some(link) if link.config == config && link.paused == paused && link.id == id => link.clone(),
                _ => {
                    let client = WmsClient::new(config.clone(), http.clone())
                        .map_err(|e| format!("warehouse {}: {e}", config.code))?;
                    Arc::new(Link {
                        config,
                        client,
                        breaker: Mutex::new(Breaker::new(BreakerConfig::default())),
                        health: Mutex::default(),
                        busy: Default::default(),
                        paused,
                        id,
                    })
                }
            };
            links.insert(key, link);
        }
        *self.links.write().unwrap_or_else(std::sync::PoisonError::into_inner) = links;
        self.targets.replace(targets);
        Ok(())
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, BTreeMap<Key, Arc<Link>>> {
        self.links.read().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn link(&self, tenant: &str, code: &str) -> Option<Arc<Link>> {
        self.read().get(&(tenant.to_owned(), code.to_owned())).cloned()
    }

    /// The same, holding back the orders each tenant's consolidation policy pools (see
    /// [`crate::consolidation`]).
    pub fn with_policies(mut self, policies: crate::policies::Policies) -> Self {
        self.policies = policies;
        self
    }

    /// Whether no tenant has a warehouse connector.
    pub fn is_empty(&self) -> bool {
        self.read().is_empty()
    }

    /// The push policy: orders go out by themselves to their tenant's connected
    /// warehouses (pooled ones together, when their pool is released). Live: it follows
    /// connections as they are added and removed.
    pub fn push_policy(&self, tenant: &TenantId) -> PushPolicy {
        PushPolicy {
            warehouses: self.targets.clone(),
            pool: None,
        }
        .with_pool(self.policies.for_tenant(tenant).pool())
    }

    /// A tenant's warehouse connector configuration (for verifying its callbacks).
    pub fn config(&self, tenant: &str, code: &str) -> Option<WmsConfig> {
        self.link(tenant, code).map(|l| l.config.clone())
    }

    /// A warehouse connection by its id: tenant and configuration.
    pub fn by_id(&self, id: uuid::Uuid) -> Option<(String, WmsConfig)> {
        self.read()
            .iter()
            .find(|(_, l)| l.id == Some(id))
            .map(|((tenant, _), l)| (tenant.clone(), l.config.clone()))
    }

    /// The health of each warehouse connector of a tenant, as this node sees it.
    pub fn health(&self, tenant: &TenantId) -> BTreeMap<String, Health> {
        self.read()
            .iter()
            .filter(|((t, _), _)| t == tenant.as_str())
            .map(|((_, code), link)| {
                let mut health = link.health.lock().expect("health lock").clone();
                health.breaker = match link.breaker.lock().expect("breaker lock").state() {
                    BreakerState::Closed => "closed".into(),
                    BreakerState::Open { .. } => "open".into(),
                    BreakerState::HalfOpen => "half_open".into(),
                };
                health.paused = link.paused;
                (code.clone(), health)
            })
            .collect()
    }

    /// Starts delivering every due request, each warehouse's batch in its own task (a
    /// warehouse still busy with its last batch is skipped); returns the tasks.
    pub async fn deliver_due(&self, store: &Arc<dyn Store>) -> StoreResult<Vec<JoinHandle<StoreResult<usize>>>> {
        use std::sync::atomic::Ordering;
        // By tenant and warehouse: two tenants' warehouses may share a code, never a
        // connector.
        let mut by_warehouse: BTreeMap<(String, String), Vec<OutboxMessage>> = BTreeMap::new();
        for message in store.due_outbox(FULFIL_TOPIC, Utc::now(), 500).await? {
            let key = (message.tenant.clone(), message.destination.clone());
            by_warehouse.entry(key).or_default().push(message);
        }
        // Each warehouse not still busy with its last batch takes part in this round.
        let mut batches = Vec::new();
        for ((tenant, code), messages) in by_warehouse {
            let link = self.link(&tenant, &code);
            // A paused connector's requests wait for it; a busy one's for its last batch.
            if let Some(link) = &link
                && (link.paused || link.busy.swap(true, Ordering::AcqRel))
            {
                continue;
            }
            batches.push((link, messages));
        }
        // Only what this node claimed goes out, in one claim for the round: another node
        // may be delivering the rest.
        let ids: Vec<_> = batches
            .iter()
            .flat_map(|(_, messages)| messages.iter().map(|m| m.id))
            .collect();
        let now = Utc::now();
        let claimed: std::collections::BTreeSet<_> =
            match store.claim_outbox(&ids, now, now + crate::DELIVERY_LEASE).await {
                Ok(claimed) => claimed.into_iter().collect(),
                Err(error) => {
                    for link in batches.iter().filter_map(|(link, _)| link.as_ref()) {
                        link.busy.store(false, Ordering::Release);
                    }
                    return Err(error);
                }
            };
        let mut tasks = Vec::with_capacity(batches.len());
        for (link, messages) in batches {
            let messages: Vec<_> = messages.into_iter().filter(|m| claimed.contains(&m.id)).collect();
            let (store, base) = (store.clone(), self.callback_base.clone());
            tasks.push(tokio::spawn(async move {
                let done = deliver(&store, link.clone(), base, messages).await;
                if let Some(link) = link {
                    link.busy.store(false, Ordering::Release);
                }
                done
            }));
        }
        Ok(tasks)
    }

    /// Delivers every due request once and waits for it; returns how many were handled.
    pub async fn deliver_due_now(&self, store: &Arc<dyn Store>) -> StoreResult<usize> {
        let mut handled = 0;
        for task in self.deliver_due(store).await? {
            handled += task.await.map_err(|e| ordo_store::StoreError::Other(e.to_string()))??;
        }
        Ok(handled)
    }
}

async fn deliver(
    store: &Arc<dyn Store>,
    link: Option<Arc<Link>>,
    callback_base: Option<String>,
    messages: Vec<OutboxMessage>,
) -> StoreResult<usize> {
    let Some(link) = link else {
        // This node has no connector for it: one saved a moment ago that it has not
        // loaded yet, or one removed. Retried like a warehouse that is down (another node,
        // or this one after its reload, sends it), dead-lettered only after every attempt.
        let later: Vec<_> = messages
            .iter()
            .map(|m| {
                let why = format!("no connector for warehouse {} of tenant {}", m.destination, m.tenant);
                let status = if m.attempts + 1 >= MAX_ATTEMPTS {
                    OutboxStatus::Dead
                } else {
                    OutboxStatus::Pending
                };
                (m.id, status, Utc::now() + backoff(m.attempts), Some(why))
            })
            .collect();
        store.finish_outbox_many(&later).await?;
        return Ok(later.len());
    };
    // Requests of one warehouse go concurrently, a bounded number at a time: one slow
    // answer must not hold up the rest.
    const IN_FLIGHT: usize = 64;
    let mut handled = 0;
    for chunk in messages.chunks(IN_FLIGHT) {
        let sends = chunk.iter().map(|m| send(&link, callback_base.as_deref(), m));
        let mut finished = Vec::with_capacity(chunk.len());
        for (message, outcome) in chunk.iter().zip(futures_util::future::join_all(sends).await) {
            let (status, error, after) = outcome;
            let wait = after.unwrap_or_else(|| backoff(message.attempts));
            metrics::counter!("ordo_wms_requests_total", "warehouse" => message.destination.clone(), "status" => status.as_str()).increment(1);
            finished.push((message.id, status, Utc::now() + wait, error));
        }
        // One write for the whole chunk: a commit per message would cap a warehouse at
        // the store's commit rate.
        store.finish_outbox_many(&finished).await?;
        handled += finished.len();
    }
    Ok(handled)
}

type Outcome = (OutboxStatus, Option<String>, Option<chrono::Duration>);

async fn send(link: &Link, callback_base: Option<&str>, message: &OutboxMessage) -> Outcome {
    let mut request: FulfilmentRequest = match serde_json::from_value(message.payload.clone()) {
        Ok(r) => r,
        Err(e) => return (OutboxStatus::Dead, Some(format!("unreadable request: {e}")), None),
    };
    if request.callback_url.is_none() {
        // A stored connection is named by its id, so its callbacks find their tenant;
        // connectors built without one (`Warehouses::new`) are the default tenant's.
        request.callback_url = callback_base.map(|b| match link.id {
            Some(id) => format!("{b}/api/v1/warehouse-hooks/{id}/events"),
            None => format!("{b}/api/v1/warehouses/{}/events", link.config.code),
        });
    }
    let allowed = link.breaker.lock().expect("breaker lock").allow(Instant::now());
    if !allowed {
        // Not an attempt: the warehouse is known to be down; look again after the
        // breaker's open period instead of hammering it.
        return (
            OutboxStatus::Pending,
            Some("circuit open".into()),
            Some(chrono::Duration::seconds(5)),
        );
    }
    let started = Instant::now();
    let result = link.client.submit(&request).await;
    metrics::histogram!("ordo_wms_submit_seconds").record(started.elapsed().as_secs_f64());
    let mut health = link.health.lock().expect("health lock");
    let mut breaker = link.breaker.lock().expect("breaker lock");
    match result {
        Ok(_) => {
            breaker.record_success(Instant::now());
            health.delivered += 1;
            (OutboxStatus::Delivered, None, None)
        }
        Err(WmsError::Retryable {
            message: why,
            retry_after,
            ..
        }) => {
            breaker.record_failure(Instant::now());
            health.failed += 1;
            health.last_error = Some(why.clone());
            if message.attempts + 1 >= MAX_ATTEMPTS {
                health.dead += 1;
                (OutboxStatus::Dead, Some(why), None)
            } else {
                let after = retry_after.and_then(|d| chrono::Duration::from_std(d).ok());
                (OutboxStatus::Pending, Some(why), after)
            }
        }
        Err(e @ WmsError::Permanent { .. }) => {
            health.dead += 1;
            health.last_error = Some(e.to_string());
            (OutboxStatus::Dead, Some(e.to_string()), None)
        }
    }
}

/// Sends orders allocated outside ingestion (approved, or stocked later) to their
/// warehouses; returns how many went.
pub async fn push_allocated(store: &Arc<dyn Store>, tenant: &TenantId, policy: &PushPolicy) -> StoreResult<usize> {
    let mut pushed = 0;
    // Merged and pooled orders go out together (see `consolidation`), so they are not
    // even looked at here.
    for id in store.allocated_alone(tenant, policy.pool.as_deref(), 200).await? {
        let action = OrderAction::Push(policy.clone());
        let done = store
            .order_action(tenant, id, &action, Default::default(), "system:push", Utc::now())
            .await?;
        if matches!(done, Ok(ref o) if o.status == OrderStatus::SentToWarehouse) {
            pushed += 1;
        }
    }
    Ok(pushed)
}

/// Delivers requests as soon as commits ring the feed (and at least every `tick`), and
/// sends later-allocated orders every second, until `stop`.
pub fn spawn(
    store: Arc<dyn Store>,
    cluster: crate::cluster::Cluster,
    warehouses: Warehouses,
    feed: FeedHub,
    tick: Duration,
    mut stop: watch::Receiver<bool>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        let mut bell = feed.subscribe();
        let mut last_sweep = Instant::now();
        loop {
            tokio::select! {
                _ = bell.changed() => {}
                () = tokio::time::sleep(tick) => {}
                _ = stop.changed() => return,
            }
            if *stop.borrow() {
                return;
            }
            if let Err(error) = warehouses.deliver_due(&store).await {
                tracing::warn!(%error, "delivering fulfilment requests failed");
            }
            if last_sweep.elapsed() >= Duration::from_secs(1) && cluster.lead("push").await {
                last_sweep = Instant::now();
                let tenants = store.list_tenants().await.unwrap_or_default();
                for tenant in tenants {
                    let policy = warehouses.push_policy(&tenant.id);
                    if let Err(error) = push_allocated(&store, &tenant.id, &policy).await {
                        tracing::warn!(%error, "sending allocated orders failed");
                    }
                }
            }
        }
    })
}
