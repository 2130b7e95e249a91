//! The workflow operations: each runs the algorithm `ordo_store::workflow` writes once for
//! every store in one transaction, retried on a transient conflict.

use chrono::{DateTime, Utc};
use ordo_core::allocation::StockPolicy;
use ordo_core::{OrderId, TenantId};
use ordo_store::workflow::actions::order_action;
use ordo_store::workflow::requests::order_request;
use ordo_store::{
    OrderAction, OrderActionOutcome, OrderRequest, OrderRequestError, OrderRequestOutcome, StoreResult, WorkflowStore,
};

use crate::PgStore;
use crate::tx::{PgTx, retrying};

#[async_trait::async_trait]
impl WorkflowStore for PgStore {
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>> {
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let outcome = order_request(&mut tx, tenant, id, request, policy, actor, now).await?;
            tx.finish(outcome).await
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
        retrying(|| async {
            let mut tx = PgTx::begin(&self.pool).await?;
            let outcome = order_action(&mut tx, tenant, id, action, policy, actor, now).await?;
            tx.finish(outcome).await
        })
        .await
    }
}
