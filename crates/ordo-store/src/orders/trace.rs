//! What arrived for one order: every inbox payload that created or changed it (with its
//! body, for the order page's raw view and replay), newest first.

use ordo_core::{OrderId, TenantId};

use crate::StoreResult;
use crate::columns::Record;
use crate::orders::records::InboxEntry;
use crate::sql::SqlRun;

/// Payloads of one order, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait OrderTraceStore: Send + Sync {
    /// The inbox entries that name `order`, newest first, at most `limit`, with bodies.
    async fn order_payloads(&self, tenant: &TenantId, order: OrderId, limit: u32) -> StoreResult<Vec<InboxEntry>>;
}

#[async_trait::async_trait]
impl<S: SqlRun> OrderTraceStore for S {
    async fn order_payloads(&self, tenant: &TenantId, order: OrderId, limit: u32) -> StoreResult<Vec<InboxEntry>> {
        self.rows(
            "SELECT id, source, channel, external_id, received_at, status, error, order_id, outcome, attempts, \
             replay_of, resolved_by, body FROM inbox WHERE tenant_id = $1 AND order_id = $2 \
             ORDER BY received_at DESC, id DESC LIMIT $3",
            &[
                tenant.into(),
                order.0.into(),
                crate::orders::records::page_limit(limit).into(),
            ],
            |row| {
                let mut entry = InboxEntry::read(row)?;
                entry.body = row.bytes("body")?;
                Ok(entry)
            },
        )
        .await
    }
}
