//! Reading the dashboard rollups back (see [`crate::orders::kpis`] for what they count):
//! a tenant's rows from a day on, written once for every [`SqlRun`] store. Each read is
//! a range of the tables' primary key (tenant, day, …), so it costs the rows of the days
//! asked for, however many orders they count.

use chrono::{DateTime, Utc};
use ordo_core::TenantId;

use crate::StoreResult;
use crate::columns::Columns;
use crate::sql::{Param, SqlRun};

/// One count of the rollups as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiCount {
    /// UTC midnight of the day.
    pub day: DateTime<Utc>,
    /// Channel.
    pub channel: String,
    /// Warehouse, empty when the figure has none.
    pub warehouse: String,
    /// Which figure ([`crate::orders::kpis::ORDERS_IN`] …).
    pub metric: String,
    /// How many.
    pub value: i64,
}

/// One latency bucket of the rollups as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KpiBucket {
    /// UTC midnight of the day.
    pub day: DateTime<Utc>,
    /// Channel.
    pub channel: String,
    /// Warehouse.
    pub warehouse: String,
    /// Which stage ([`crate::orders::kpis::ORDER_TO_ALLOCATED`] …).
    pub stage: String,
    /// Upper bound in seconds (one of [`crate::orders::kpis::BUCKETS`]), or
    /// [`crate::orders::kpis::OVER`].
    pub bucket: i64,
    /// How many.
    pub n: i64,
}

/// The newest arrival from a channel.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncMark {
    /// Channel.
    pub channel: String,
    /// When the platform last changed that order.
    pub changed_at: DateTime<Utc>,
    /// When Ordo stored it.
    pub seen_at: DateTime<Utc>,
}

/// A tenant's rollups from a day on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KpiRead {
    /// Counts per day, channel, warehouse and metric.
    pub counts: Vec<KpiCount>,
    /// Latency buckets per day, channel, warehouse and stage.
    pub latency: Vec<KpiBucket>,
    /// The newest arrival per channel (not per day).
    pub sync: Vec<SyncMark>,
}

/// Reading the rollups, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait KpiStore: Send + Sync {
    /// A tenant's rollups of `since_day` (a UTC midnight, see
    /// [`crate::orders::kpis::day_of`]) and later.
    async fn kpis(&self, tenant: &TenantId, since_day: DateTime<Utc>) -> StoreResult<KpiRead>;
}

#[async_trait::async_trait]
impl<S: SqlRun> KpiStore for S {
    async fn kpis(&self, tenant: &TenantId, since_day: DateTime<Utc>) -> StoreResult<KpiRead> {
        let params: [Param<'_>; 2] = [tenant.into(), since_day.into()];
        let counts = self
            .rows(
                "SELECT day, channel, warehouse, metric, value FROM kpi_counts \
                 WHERE tenant_id = $1 AND day >= $2 ORDER BY day, channel, warehouse, metric",
                &params,
                |row: &dyn Columns| {
                    Ok(KpiCount {
                        day: row.time("day")?,
                        channel: row.text("channel")?,
                        warehouse: row.text("warehouse")?,
                        metric: row.text("metric")?,
                        value: row.int("value")?,
                    })
                },
            )
            .await?;
        let latency = self
            .rows(
                "SELECT day, channel, warehouse, stage, bucket, n FROM kpi_latency \
                 WHERE tenant_id = $1 AND day >= $2 ORDER BY day, channel, warehouse, stage, bucket",
                &params,
                |row: &dyn Columns| {
                    Ok(KpiBucket {
                        day: row.time("day")?,
                        channel: row.text("channel")?,
                        warehouse: row.text("warehouse")?,
                        stage: row.text("stage")?,
                        bucket: row.int("bucket")?,
                        n: row.int("n")?,
                    })
                },
            )
            .await?;
        let sync = self
            .rows(
                "SELECT channel, changed_at, seen_at FROM kpi_sync WHERE tenant_id = $1 ORDER BY channel",
                &[tenant.into()],
                |row: &dyn Columns| {
                    Ok(SyncMark {
                        channel: row.text("channel")?,
                        changed_at: row.time("changed_at")?,
                        seen_at: row.time("seen_at")?,
                    })
                },
            )
            .await?;
        Ok(KpiRead { counts, latency, sync })
    }
}
