//! After-sales: cases (returns, refund-only requests, exchanges, reships) with their lines,
//! per-unit dispositions and immutable events, and refunds as records of their own. Goods
//! move stock only on receipt; money is checked against what was paid; the order's own
//! status becomes `returned` once everything that left came back.
//!
//! Depends on `orders`, `delivery` and `stock`.

pub mod cases;
pub mod records;
pub mod refunds;
pub mod sql;

#[cfg(feature = "contract")]
pub mod contract;

use chrono::{DateTime, Utc};
use ordo_core::aftersale::CaseFlow;
use ordo_core::{OrderId, TenantId};
use uuid::Uuid;

use crate::StoreResult;
use crate::sql::{SqlRun, TxRunner};
use records::{AfterSaleError, CaseCommand, CaseDetail, CaseQuery, CaseRecord, NewCase, NewRefund, RefundRecord};
pub use refunds::Recorded;

/// After-sale operations of a store: each write runs one algorithm of this module in one
/// transaction; reads are written once over [`SqlRun`].
#[async_trait::async_trait]
pub trait AfterSaleStore: Send + Sync {
    /// Opens a case (or returns the one opened under the same channel id).
    async fn open_case(
        &self,
        tenant: &TenantId,
        new: &NewCase,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<CaseRecord, AfterSaleError>>;

    /// Applies a command to a case under the tenant's case flow.
    async fn case_command(
        &self,
        tenant: &TenantId,
        id: Uuid,
        command: &CaseCommand,
        flow: &CaseFlow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<CaseRecord, AfterSaleError>>;

    /// Records a refund.
    async fn record_refund(
        &self,
        tenant: &TenantId,
        new: &NewRefund,
        flow: &CaseFlow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<Recorded, AfterSaleError>>;

    /// A case with its events and refunds.
    async fn get_case(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<CaseDetail>>;

    /// Cases, most recently changed first.
    async fn list_cases(&self, tenant: &TenantId, query: &CaseQuery) -> StoreResult<Vec<CaseRecord>>;

    /// The case a channel knows by its own id.
    async fn channel_case(
        &self,
        tenant: &TenantId,
        channel: &str,
        channel_case_id: &str,
    ) -> StoreResult<Option<CaseRecord>>;

    /// Cases per state, for the queue's tabs.
    async fn case_counts(&self, tenant: &TenantId) -> StoreResult<Vec<(String, i64)>>;

    /// An order's refunds, oldest first.
    async fn order_refunds(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<RefundRecord>>;
}

#[async_trait::async_trait]
impl<S> AfterSaleStore for S
where
    S: TxRunner + SqlRun,
    for<'c> S::Tx<'c>: crate::stock::allocate::AllocTx,
{
    async fn open_case(
        &self,
        tenant: &TenantId,
        new: &NewCase,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<CaseRecord, AfterSaleError>> {
        let (tenant, new, actor) = (tenant.clone(), new.clone(), actor.to_owned());
        self.in_tx(move |tx| {
            let (tenant, new, actor) = (tenant.clone(), new.clone(), actor.clone());
            Box::pin(async move { cases::open_case(tx, &tenant, &new, &actor, now).await })
        })
        .await
    }

    async fn case_command(
        &self,
        tenant: &TenantId,
        id: Uuid,
        command: &CaseCommand,
        flow: &CaseFlow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<CaseRecord, AfterSaleError>> {
        let (tenant, command, flow, actor) = (tenant.clone(), command.clone(), flow.clone(), actor.to_owned());
        self.in_tx(move |tx| {
            let (tenant, command, flow, actor) = (tenant.clone(), command.clone(), flow.clone(), actor.clone());
            Box::pin(async move { cases::act(tx, &tenant, id, &command, &flow, &actor, now).await })
        })
        .await
    }

    async fn record_refund(
        &self,
        tenant: &TenantId,
        new: &NewRefund,
        flow: &CaseFlow,
        actor: &str,
        now: DateTime<Utc>,
    ) -> StoreResult<Result<Recorded, AfterSaleError>> {
        let (tenant, new, flow, actor) = (tenant.clone(), new.clone(), flow.clone(), actor.to_owned());
        self.in_tx(move |tx| {
            let (tenant, new, flow, actor) = (tenant.clone(), new.clone(), flow.clone(), actor.clone());
            Box::pin(async move { refunds::record_refund(tx, &tenant, &new, &flow, &actor, now).await })
        })
        .await
    }

    async fn get_case(&self, tenant: &TenantId, id: Uuid) -> StoreResult<Option<CaseDetail>> {
        let Some(case) = sql::case(self, tenant, id).await? else {
            return Ok(None);
        };
        let events = sql::events(self, tenant, id).await?;
        let refunds = sql::case_refunds(self, tenant, id).await?;
        Ok(Some(CaseDetail { case, events, refunds }))
    }

    async fn list_cases(&self, tenant: &TenantId, query: &CaseQuery) -> StoreResult<Vec<CaseRecord>> {
        sql::cases(self, tenant, query).await
    }

    async fn channel_case(
        &self,
        tenant: &TenantId,
        channel: &str,
        channel_case_id: &str,
    ) -> StoreResult<Option<CaseRecord>> {
        sql::channel_case(self, tenant, channel, channel_case_id).await
    }

    async fn case_counts(&self, tenant: &TenantId) -> StoreResult<Vec<(String, i64)>> {
        sql::counts(self, tenant).await
    }

    async fn order_refunds(&self, tenant: &TenantId, order: OrderId) -> StoreResult<Vec<RefundRecord>> {
        sql::order_refunds(self, tenant, order).await
    }
}
