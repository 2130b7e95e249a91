//! What each channel is offered and what it was told, written once for every SQL store
//! (see [`crate::sql`]): SKU aliases, channel rules, published quantities, low-stock alerts.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::ChannelPolicy;

use crate::StoreResult;
use crate::columns::{Columns, Record, parsed};
use crate::sql::{SqlRun, TxRunner};
use crate::stock::allocate::put_channel_rule;
use crate::stock::records::{ChannelRule, SkuAlias, StockAlert};

/// Aliases, channel rules, published quantities and alerts of a store.
#[async_trait::async_trait]
pub trait ChannelStockStore: Send + Sync {
    /// Creates or replaces an alias; `Ok(false)` if its SKU is not in the catalogue (or is
    /// itself only an alias).
    async fn put_sku_alias(&self, tenant: &TenantId, alias: &SkuAlias, now: DateTime<Utc>) -> StoreResult<bool>;

    /// Every alias, by (channel, alias).
    async fn list_sku_aliases(&self, tenant: &TenantId) -> StoreResult<Vec<SkuAlias>>;

    /// Deletes an alias; false if there was none.
    async fn delete_sku_alias(&self, tenant: &TenantId, channel: &str, alias: &str) -> StoreResult<bool>;

    /// Creates or replaces a channel rule and queues the channel's new quantities.
    async fn put_channel_rule(&self, tenant: &TenantId, rule: &ChannelRule, now: DateTime<Utc>) -> StoreResult<()>;

    /// Channel rules by channel.
    async fn list_channel_rules(&self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>>;

    /// Quantities last offered to channels, as (channel, sku, quantity), optionally for one SKU.
    async fn list_published(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<(String, String, i64)>>;

    /// Low-stock alerts, newest first.
    async fn list_alerts(&self, tenant: &TenantId, open_only: bool) -> StoreResult<Vec<StockAlert>>;
}

impl Record for SkuAlias {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            channel: row.text("channel")?,
            alias: row.text("alias")?,
            sku: row.text("sku")?,
        })
    }
}

impl Record for ChannelRule {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            channel: row.text("channel")?,
            policy: ChannelPolicy {
                ratio_permille: row.int("ratio_permille")?,
                buffer: row.int("buffer")?,
            },
            overrides: parsed(row, "overrides")?,
        })
    }
}

impl Record for StockAlert {
    fn read(row: &dyn Columns) -> StoreResult<Self> {
        Ok(Self {
            id: row.id("id")?,
            sku: row.text("sku")?,
            available: row.int("available")?,
            threshold: row.int("threshold")?,
            opened_at: row.time("opened_at")?,
            closed_at: row.time_opt("closed_at")?,
        })
    }
}

fn published(row: &dyn Columns) -> StoreResult<(String, String, i64)> {
    Ok((row.text("channel")?, row.text("sku")?, row.int("quantity")?))
}

#[async_trait::async_trait]
impl<S> ChannelStockStore for S
where
    S: SqlRun + TxRunner,
    for<'c> S::Tx<'c>: crate::stock::allocate::AllocTx,
{
    async fn put_sku_alias(&self, tenant: &TenantId, alias: &SkuAlias, now: DateTime<Utc>) -> StoreResult<bool> {
        // Only to a catalogue SKU, so an alias never points at another alias.
        let sql = "INSERT INTO sku_aliases (tenant_id, channel, alias, sku, updated_at) \
                   SELECT $1, $2, $3, $4, $5 WHERE EXISTS (SELECT 1 FROM skus WHERE tenant_id = $1 AND code = $4) \
                   ON CONFLICT (tenant_id, alias, channel) DO UPDATE SET sku = excluded.sku, \
                   updated_at = excluded.updated_at";
        let params = [
            tenant.into(),
            (&alias.channel).into(),
            (&alias.alias).into(),
            (&alias.sku).into(),
            now.into(),
        ];
        Ok(self.run(sql, &params).await? == 1)
    }

    async fn list_sku_aliases(&self, tenant: &TenantId) -> StoreResult<Vec<SkuAlias>> {
        let sql = "SELECT channel, alias, sku FROM sku_aliases WHERE tenant_id = $1 ORDER BY channel, alias";
        self.rows(sql, &[tenant.into()], SkuAlias::read).await
    }

    async fn delete_sku_alias(&self, tenant: &TenantId, channel: &str, alias: &str) -> StoreResult<bool> {
        let sql = "DELETE FROM sku_aliases WHERE tenant_id = $1 AND channel = $2 AND alias = $3";
        Ok(self.run(sql, &[tenant.into(), channel.into(), alias.into()]).await? == 1)
    }

    async fn put_channel_rule(&self, tenant: &TenantId, rule: &ChannelRule, now: DateTime<Utc>) -> StoreResult<()> {
        let (tenant, rule) = (tenant.clone(), rule.clone());
        self.in_tx(move |tx| {
            let (tenant, rule) = (tenant.clone(), rule.clone());
            Box::pin(async move { put_channel_rule(tx, &tenant, &rule, now).await })
        })
        .await
    }

    async fn list_channel_rules(&self, tenant: &TenantId) -> StoreResult<Vec<ChannelRule>> {
        let sql = "SELECT channel, ratio_permille, buffer, overrides FROM channel_rules WHERE tenant_id = $1 \
                   ORDER BY channel";
        self.rows(sql, &[tenant.into()], ChannelRule::read).await
    }

    async fn list_published(&self, tenant: &TenantId, sku: Option<&str>) -> StoreResult<Vec<(String, String, i64)>> {
        let sql = "SELECT channel, sku, quantity FROM channel_stock WHERE tenant_id = $1 \
                   AND (CAST($2 AS TEXT) IS NULL OR sku = $2) ORDER BY channel, sku";
        self.rows(sql, &[tenant.into(), sku.into()], published).await
    }

    async fn list_alerts(&self, tenant: &TenantId, open_only: bool) -> StoreResult<Vec<StockAlert>> {
        // Ids are UUIDv7: newest first is id order, along the primary key.
        let open = if open_only { " AND closed_at IS NULL" } else { "" };
        let sql = format!(
            "SELECT id, sku, available, threshold, opened_at, closed_at FROM stock_alerts \
             WHERE tenant_id = $1{open} ORDER BY id DESC"
        );
        self.rows(&sql, &[tenant.into()], StockAlert::read).await
    }
}
