//! The workflow operations: each opens one transaction and runs the algorithm
//! `ordo_store::workflow` writes once for every store.

use chrono::{DateTime, Utc};
use ordo_core::allocation::StockPolicy;
use ordo_core::{OrderId, TenantId};
use ordo_store::workflow::actions::order_action;
use ordo_store::workflow::requests::order_request;
use ordo_store::{
    OrderAction, OrderActionOutcome, OrderRequest, OrderRequestError, OrderRequestOutcome, StoreResult, WorkflowStore,
};

use crate::SqliteStore;
use crate::writer::run_to_completion;

#[async_trait::async_trait]
impl WorkflowStore for SqliteStore {
    async fn order_request(
        &self,
        tenant: &TenantId,
        id: OrderId,
        request: &OrderRequest,
        policy: StockPolicy,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<OrderRequestOutcome, OrderRequestError>> {
        let (tenant, request, actor) = (tenant.clone(), request.clone(), actor.to_owned());
        // A refused request has written nothing before it was refused, so committing it
        // is harmless.
        self.rw
            .transaction(move |tx| run_to_completion(order_request(tx, &tenant, id, &request, policy, &actor, now)))
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
        self.rw
            .transaction(move |tx| run_to_completion(order_action(tx, &tenant, id, &action, policy, &actor, now)))
            .await
    }
}
