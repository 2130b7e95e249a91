//! The workflow: how an order moves through the other domains. Arrivals (the ingestion
//! algorithm), a person's or a rule's actions on one order, and the requests that ship,
//! return, cancel, expire or retry it are written here once, over the transaction traits
//! the lower domains define, and run by every store.
//!
//! Depends on every other domain; none depends on it.

pub mod actions;
pub mod effects;
pub mod ingest;
pub mod requests;

use chrono::{DateTime, Utc};
use ordo_core::allocation::StockPolicy;
use ordo_core::{OrderId, TenantId};

use crate::StoreResult;
use crate::orders::records::OrderRequestError;
use crate::sql::TxRunner;
pub use actions::{OrderAction, OrderActionOutcome};
pub use ingest::{IngestItem, IngestResult, Review};
pub use requests::{OrderRequest, OrderRequestOutcome};

/// The workflow operations of a store: each runs one algorithm of this module in one
/// transaction.
#[async_trait::async_trait]
pub trait WorkflowStore: Send + Sync {
    /// Ships, returns, cancels, expires or retries one order, with its stock, in one
    /// transaction.
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>>;

    /// Applies an action to one order in one transaction.
    async fn order_action(
        &self,
        tenant: &TenantId,
        id: OrderId,
        action: &OrderAction,
        policy: ordo_core::allocation::StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderActionOutcome, OrderRequestError>>;
}

#[async_trait::async_trait]
impl<S> WorkflowStore for S
where
    S: TxRunner,
    for<'c> S::Tx<'c>: crate::fulfilment::shipments::ShipmentTx,
{
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>> {
        // A refused request has written nothing before it was refused, so committing it
        // is harmless.
        let (tenant, request, actor) = (tenant.clone(), request.clone(), actor.to_owned());
        self.in_tx(move |tx| {
            let (tenant, request, actor) = (tenant.clone(), request.clone(), actor.clone());
            Box::pin(async move { requests::order_request(tx, &tenant, id, &request, policy, &actor, now).await })
        })
        .await
    }

    async fn order_action(
        &self,
        tenant: &TenantId,
        id: OrderId,
        action: &OrderAction,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderActionOutcome, OrderRequestError>> {
        let (tenant, action, actor) = (tenant.clone(), action.clone(), actor.to_owned());
        self.in_tx(move |tx| {
            let (tenant, action, actor) = (tenant.clone(), action.clone(), actor.clone());
            Box::pin(async move { actions::order_action(tx, &tenant, id, &action, policy, &actor, now).await })
        })
        .await
    }
}
