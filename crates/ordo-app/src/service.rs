//! Ingestion and replay, as the API (and later the connectors) call them.

use std::sync::Arc;

use chrono::Utc;
use ordo_core::allocation::StockPolicy;
use ordo_core::auth::Role;
use ordo_core::{OrderId, TenantId};
use ordo_store::{IdempotencyClaim, InboxStatus, InboxWrite, IngestItem, IngestResult, NewInbox, Store, StoreError};
use uuid::Uuid;

use crate::payload::{PayloadError, parse_canonical, peek_keys};
use crate::pipeline::{IngestError, Pipeline};
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
    stock: StockPolicy,
}

impl IngestService {
    /// A service; orders reserve stock under `stock`.
    pub fn new(pipeline: Pipeline, store: Arc<dyn Store>, stock: StockPolicy) -> Self {
        Self { pipeline, store, stock }
    }

    /// The stock policy orders are ingested under.
    pub fn stock_policy(&self) -> StockPolicy {
        self.stock
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
        let (item, problem) = build_item(
            self.stock,
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
        if !matches!(entry.source.as_str(), "api" | "replay") {
            return Err(ReplayError::UnknownSource(entry.source));
        }
        let (item, problem) = match corrected_body {
            None => build_item(
                self.stock,
                principal,
                &entry.source,
                entry.body,
                InboxWrite::Reprocess,
                inbox_id,
                None,
            ),
            Some(body) => build_item(
                self.stock,
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

fn build_item(
    stock: StockPolicy,
    principal: &Principal,
    source: &str,
    body: Vec<u8>,
    write: InboxWrite,
    inbox_id: Uuid,
    idempotency: Option<IdempotencyClaim>,
) -> (IngestItem, Option<PayloadError>) {
    let parsed = parse_canonical(&body);
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
