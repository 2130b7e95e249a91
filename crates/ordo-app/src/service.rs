//! Ingestion and replay, as the API (and later the connectors) call them.

use std::collections::BTreeMap;
use std::sync::Arc;

use chrono::Utc;
use ordo_core::allocation::StockPolicy;
use ordo_core::auth::Role;
use ordo_core::{OrderId, TenantId};
use ordo_store::channels::records::DriftSighting;
use ordo_store::{IdempotencyClaim, InboxStatus, InboxWrite, IngestItem, IngestResult, NewInbox, Store, StoreError};
use uuid::Uuid;

use crate::channel_hooks::HookPlatform;
use crate::drift::DriftWatch;
use crate::mappings::MappingRegistry;
use crate::payload::{PayloadError, canonical_input, mapped_input, peek_keys};
use crate::pipeline::{IngestError, Pipeline};
use crate::policies::Policies;
use crate::prepare::{Prepare, RepairSettings, prepare};
use crate::tokens::hash_body;

/// Who is asking: a token's tenant and role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Principal {
    /// The tenant every read and write is scoped to.
    pub tenant: TenantId,
    /// What the caller may do.
    pub role: Role,
    /// Recorded as the actor of events, e.g. `token:0190…`.
    pub actor: String,
}

/// What became of an arrival, and why it failed if it did.
#[derive(Debug, Clone)]
pub struct Ingested {
    /// The committed result.
    pub result: IngestResult,
    /// The parse or validation problem, when the payload was kept as failed.
    pub problem: Option<PayloadError>,
}

/// Errors of a replay request.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// No such entry in this tenant.
    #[error("inbox entry {0} not found")]
    NotFound(Uuid),
    /// The entry did not fail, so there is nothing to replay.
    #[error("{0}")]
    NotReplayable(String),
    /// The source of the entry has no parser here.
    #[error("entries from source {0:?} cannot be replayed by this node")]
    UnknownSource(String),
    /// Store or pipeline trouble.
    #[error(transparent)]
    Ingest(#[from] IngestError),
}

impl From<StoreError> for ReplayError {
    fn from(error: StoreError) -> Self {
        match error {
            StoreError::Unavailable(m) | StoreError::Retryable(m) => Self::Ingest(IngestError::Unavailable(m)),
            other => Self::Ingest(IngestError::Internal(other.to_string())),
        }
    }
}

/// Ingestion over a pipeline and a store.
#[derive(Clone)]
pub struct IngestService {
    pipeline: Pipeline,
    store: Arc<dyn Store>,
    mappings: MappingRegistry,
    hook_secrets: Arc<BTreeMap<&'static str, String>>,
    drift: DriftWatch,
    policies: Policies,
    review: bool,
    repair: Option<RepairSettings>,
    push: ordo_store::fulfilment::push::PushPolicy,
}

/// What became of a platform webhook.
#[derive(Debug, Clone)]
pub enum HookOutcome {
    /// Signature checked; the order payload went through its mapping.
    Ingested(Ingested),
    /// Signature missing or wrong (or no secret configured): kept as rejected.
    Rejected {
        /// The inbox entry.
        inbox_id: Uuid,
        /// Why.
        reason: &'static str,
    },
    /// A verified topic that carries no order: kept, nothing else to do.
    Ignored {
        /// The inbox entry.
        inbox_id: Uuid,
    },
}

/// How a body becomes an order.
enum Parser {
    /// The canonical order JSON.
    Canonical,
    /// A platform payload through a mapping.
    Mapped(Arc<ordo_mapping::Mapping>),
}

impl Parser {
    fn parse(&self, body: &[u8]) -> Result<ordo_core::input::OrderInput, PayloadError> {
        match self {
            Self::Canonical => canonical_input(body),
            Self::Mapped(mapping) => mapped_input(mapping, body),
        }
    }
}

/// Inbox sources of payloads that came through a mapping start with this.
const MAPPED_SOURCE: &str = "mapping:";

impl IngestService {
    /// A service; orders reserve stock under `stock` (until [`Self::with_policies`] gives
    /// each tenant its own); platform payloads are read with `mappings`.
    pub fn new(pipeline: Pipeline, store: Arc<dyn Store>, stock: StockPolicy, mappings: MappingRegistry) -> Self {
        let inventory = crate::policies::kinds::InventoryPolicy {
            reserve_when: stock.reserve_when,
            on_short: stock.on_short,
            ..Default::default()
        };
        let policies = Policies::built_in().with_defaults(crate::policies::Defaults {
            inventory,
            ..Default::default()
        });
        Self {
            pipeline,
            store: store.clone(),
            mappings,
            hook_secrets: Arc::default(),
            drift: DriftWatch::new(store),
            policies,
            review: false,
            repair: None,
            push: Default::default(),
        }
    }

    /// Takes each tenant's stock policy, pool rule, mappings (and rules, when reviewing)
    /// from `policies`.
    pub fn with_policies(mut self, policies: Policies) -> Self {
        self.policies = policies;
        self
    }

    /// Sends allocated orders to these warehouses in the transaction that allocates them.
    pub fn with_push(mut self, push: ordo_store::fulfilment::push::PushPolicy) -> Self {
        self.push = push;
        self
    }

    /// Reviews orders under their tenant's rules when they become paid.
    pub fn with_review(mut self, policies: Policies) -> Self {
        self.policies = policies;
        self.review = true;
        self
    }

    /// Repairs order inputs before validating them.
    pub fn with_repair(mut self, settings: RepairSettings) -> Self {
        self.repair = Some(settings);
        self
    }

    /// How `tenant`'s orders are prepared, and the stock policy they arrive under.
    fn prepare(&self, tenant: &TenantId) -> (Prepare, StockPolicy) {
        let active = self.policies.for_tenant(tenant);
        let prepare = Prepare {
            repair: self.repair.clone(),
            reviewer: self.review.then(|| active.reviewer.clone()),
            push: self.push.clone().with_pool(active.pool()),
        };
        (prepare, active.inventory.stock())
    }

    /// `tenant`'s mapping by name: its own version, else the node's.
    pub fn mapping(&self, tenant: &TenantId, name: &str) -> Option<Arc<ordo_mapping::Mapping>> {
        let own = self.policies.for_tenant(tenant).mappings.get(name).cloned();
        own.or_else(|| self.mappings.get(name))
    }

    /// The secrets platform webhooks are signed with, by channel (`shopify`,
    /// `woocommerce`).
    pub fn with_hook_secrets(mut self, secrets: BTreeMap<&'static str, String>) -> Self {
        self.hook_secrets = Arc::new(secrets);
        self
    }

    /// The secret this node's configuration gives a platform's webhooks (the default
    /// tenant's, from `[hooks]`).
    pub fn node_hook_secret(&self, platform: HookPlatform) -> Option<&str> {
        self.hook_secrets.get(platform.channel()).map(String::as_str)
    }

    /// Takes a webhook a platform sent for `tenant`: checks its signature against `secret`
    /// (the connection's; `app_id` is the sender's app key where the platform signs it,
    /// as Douyin does), keeps it, and reads an order topic through `mapping` (by default
    /// the platform's).
    #[allow(clippy::too_many_arguments)]
    pub async fn ingest_hook(
        &self,
        tenant: &TenantId,
        platform: HookPlatform,
        secret: Option<&str>,
        mapping: Option<&str>,
        topic: Option<&str>,
        signature: Option<&str>,
        app_id: Option<&str>,
        body: Vec<u8>,
    ) -> Result<HookOutcome, IngestError> {
        let principal = Principal {
            tenant: tenant.clone(),
            role: Role::Integration,
            actor: format!("webhook:{}", platform.channel()),
        };
        let verdict = match (secret, signature) {
            (None, _) => Err("webhook_not_configured"),
            (Some(_), None) => Err("signature_missing"),
            (Some(secret), Some(signature)) if !platform.verify(secret, &body, signature, app_id) => {
                Err("bad_signature")
            }
            _ => Ok(()),
        };
        let inbox = || NewInbox {
            id: Uuid::now_v7(),
            tenant: tenant.clone(),
            source: format!("webhook:{}", platform.channel()),
            received_at: Utc::now(),
            body: body.clone(),
            channel: Some(platform.channel().to_owned()),
            external_id: None,
            write: InboxWrite::Insert,
        };
        if let Err(reason) = verdict {
            let error = serde_json::json!({ "code": reason, "message": "the webhook signature did not verify" });
            let item = IngestItem::Rejected { inbox: inbox(), error };
            let result = self.pipeline.submit(item).await?;
            return Ok(HookOutcome::Rejected {
                inbox_id: kept_id(&result),
                reason,
            });
        }
        let topic = topic.unwrap_or("");
        let Some(platform_mapping) = platform.mapping_for(topic) else {
            // Routed by topic: a body that is not an order never meets the order mapping,
            // and is kept as noted rather than as a failure to fix.
            let result = self.pipeline.submit(IngestItem::Noted { inbox: inbox() }).await?;
            return Ok(HookOutcome::Ignored {
                inbox_id: kept_id(&result),
            });
        };
        let mapping = mapping.unwrap_or(platform_mapping);
        match self.ingest_mapped(&principal, mapping, body).await? {
            Some(ingested) => Ok(HookOutcome::Ingested(ingested)),
            None => Err(IngestError::Internal(format!("mapping {mapping} is not loaded"))),
        }
    }

    /// Keeps an arrival that carries no order (an after-sale record a connector polled) as
    /// the item says: its inbox row, written or rewritten, and nothing else.
    pub(crate) async fn keep(&self, item: IngestItem) -> Result<IngestResult, IngestError> {
        self.pipeline.submit(item).await
    }

    /// The after-sale flow `tenant`'s cases move under.
    pub(crate) fn aftersale_flow(&self, tenant: &TenantId) -> ordo_core::aftersale::CaseFlow {
        self.policies.for_tenant(tenant).aftersales.flow()
    }

    /// The mappings in force.
    pub fn mappings(&self) -> &MappingRegistry {
        &self.mappings
    }

    /// Takes a platform payload and reads it with the named mapping; `None` if there is
    /// no such mapping. The raw payload is kept in the inbox whatever happens, so after a
    /// fix to the mapping file a failed one is replayed as it was received.
    pub async fn ingest_mapped(
        &self,
        principal: &Principal,
        mapping: &str,
        body: Vec<u8>,
    ) -> Result<Option<Ingested>, IngestError> {
        let Some(found) = self.mapping(&principal.tenant, mapping) else {
            return Ok(None);
        };
        let source = format!("{MAPPED_SOURCE}{mapping}");
        let drift = self.drift.check(&principal.tenant, &found, &body).await;
        let (prepare, stock) = self.prepare(&principal.tenant);
        let (item, problem) = build_item(
            &Parser::Mapped(found),
            &prepare,
            stock,
            principal,
            &source,
            body,
            InboxWrite::Insert,
            Uuid::now_v7(),
            None,
        );
        // When the platform last changed the order: how far behind the platform this
        // tenant's copy was once stored (`ordo_channel_sync_lag_seconds`).
        let changed_at = match &item {
            IngestItem::Order { order, .. } => {
                Some((order.channel.to_string(), order.updated_at.unwrap_or(order.placed_at)))
            }
            _ => None,
        };
        let result = self.pipeline.submit(item).await?;
        if let Some((channel, changed_at)) = changed_at {
            let lag = (Utc::now() - changed_at).num_milliseconds().max(0) as f64 / 1000.0;
            metrics::gauge!("ordo_channel_sync_lag_seconds", "tenant" => principal.tenant.to_string(), "channel" => channel)
                .set(lag);
        }
        if !drift.is_empty() {
            self.record_drift(&principal.tenant, mapping, drift, &result).await;
        }
        Ok(Some(Ingested { result, problem }))
    }

    /// Records drift after the payload is safely stored; a failure to record it is logged,
    /// never turned into a lost order.
    async fn record_drift(&self, tenant: &TenantId, mapping: &str, drift: ordo_mapping::Drift, result: &IngestResult) {
        let order_id = match result {
            IngestResult::Applied { order_id, .. } => Some(*order_id),
            _ => None,
        };
        let sighting = DriftSighting {
            mapping: mapping.to_owned(),
            appeared: drift.appeared,
            vanished: drift.vanished,
            order_id,
            inbox_id: kept_id(result),
        };
        tracing::warn!(mapping, appeared = ?sighting.appeared, vanished = ?sighting.vanished, "payload shape drifted");
        if let Err(error) = self.store.record_drift(tenant, &sighting, Utc::now()).await {
            tracing::error!(%error, mapping, "could not record payload drift");
        }
    }

    /// The stock policy `tenant`'s orders are ingested under.
    pub fn stock_policy(&self, tenant: &TenantId) -> StockPolicy {
        self.policies.for_tenant(tenant).inventory.stock()
    }

    /// Takes a canonical-order body. A body that fails parsing or validation is kept as a
    /// failed inbox entry ([`IngestResult::FailedKept`]) and the reason is returned with it.
    pub async fn ingest_canonical(
        &self,
        principal: &Principal,
        body: Vec<u8>,
        idempotency_key: Option<String>,
    ) -> Result<Ingested, IngestError> {
        let idempotency = idempotency_key.map(|key| IdempotencyClaim {
            key,
            request_hash: hash_body(&body),
        });
        let (prepare, stock) = self.prepare(&principal.tenant);
        let (item, problem) = build_item(
            &Parser::Canonical,
            &prepare,
            stock,
            principal,
            "api",
            body,
            InboxWrite::Insert,
            Uuid::now_v7(),
            idempotency,
        );
        Ok(Ingested {
            result: self.pipeline.submit(item).await?,
            problem,
        })
    }

    /// Processes a failed inbox entry again: as it is (after a fix to configuration) or
    /// with a corrected body, which is kept as a new entry that resolves the original.
    pub async fn replay(
        &self,
        principal: &Principal,
        inbox_id: Uuid,
        corrected_body: Option<Vec<u8>>,
    ) -> Result<Ingested, ReplayError> {
        let entry = self
            .store
            .get_inbox(&principal.tenant, inbox_id)
            .await?
            .ok_or(ReplayError::NotFound(inbox_id))?;
        if entry.status != InboxStatus::Failed {
            return Err(ReplayError::NotReplayable(format!(
                "inbox entry {inbox_id} is {}; only failed entries can be replayed",
                entry.status.as_str()
            )));
        }
        // A payload is read again the way it first was: canonical, or through the mapping
        // now in force (which is how an edited mapping rescues failed payloads).
        let parser = match entry.source.as_str() {
            "api" | "replay" => Parser::Canonical,
            source => match source
                .strip_prefix(MAPPED_SOURCE)
                .and_then(|name| self.mapping(&principal.tenant, name))
            {
                Some(mapping) => Parser::Mapped(mapping),
                None => return Err(ReplayError::UnknownSource(entry.source)),
            },
        };
        let (prepare, stock) = self.prepare(&principal.tenant);
        let (item, problem) = match corrected_body {
            None => build_item(
                &parser,
                &prepare,
                stock,
                principal,
                &entry.source,
                entry.body,
                InboxWrite::Reprocess,
                inbox_id,
                None,
            ),
            Some(body) => build_item(
                &Parser::Canonical,
                &prepare,
                stock,
                principal,
                "replay",
                body,
                InboxWrite::Correct { replay_of: inbox_id },
                Uuid::now_v7(),
                None,
            ),
        };
        let result = self.pipeline.submit(item).await?;
        if let IngestResult::NotReplayable { reason, .. } = &result {
            return Err(ReplayError::NotReplayable(reason.clone()));
        }
        Ok(Ingested { result, problem })
    }
}

#[allow(clippy::too_many_arguments)]
fn build_item(
    parser: &Parser,
    settings: &Prepare,
    stock: StockPolicy,
    principal: &Principal,
    source: &str,
    body: Vec<u8>,
    write: InboxWrite,
    inbox_id: Uuid,
    idempotency: Option<IdempotencyClaim>,
) -> (IngestItem, Option<PayloadError>) {
    let (parsed, review) = match parser.parse(&body) {
        Ok(input) => prepare(input, settings),
        Err(error) => (Err(error), ordo_store::Review::default()),
    };
    let (channel, external_id) = match &parsed {
        Ok(order) => (Some(order.channel.to_string()), Some(order.external_id.to_string())),
        Err(_) => peek_keys(&body),
    };
    let inbox = NewInbox {
        id: inbox_id,
        tenant: principal.tenant.clone(),
        source: source.to_owned(),
        received_at: Utc::now(),
        body,
        channel,
        external_id,
        write,
    };
    match parsed {
        Ok(order) => {
            let item = IngestItem::Order {
                inbox,
                order: Box::new(order),
                new_order_id: OrderId(Uuid::now_v7()),
                idempotency,
                actor: principal.actor.clone(),
                stock,
                review,
            };
            (item, None)
        }
        Err(error) => (
            IngestItem::Failed {
                inbox,
                error: error.to_json(),
            },
            Some(error),
        ),
    }
}

fn kept_id(result: &IngestResult) -> Uuid {
    match result {
        IngestResult::FailedKept { inbox_id }
        | IngestResult::IdempotencyKeyReused { inbox_id }
        | IngestResult::NotReplayable { inbox_id, .. }
        | IngestResult::Applied { inbox_id, .. } => *inbox_id,
    }
}
