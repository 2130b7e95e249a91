//! Drift baselines: per tenant and mapping, in how many payloads each field was present.
//! The application compares every payload with them; keeping them here means a node
//! started after a platform renamed a field still compares with what came before, and
//! nodes sharing one database learn from each other's payloads.
//!
//! Nodes add what they saw since they last wrote (counts only ever grow), so writes from
//! several nodes add up instead of overwriting each other.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::TenantId;

use crate::StoreResult;
use crate::sql::SqlRun;

/// The field under which a baseline counts its payloads.
pub const PAYLOADS: &str = "";

/// Drift baseline operations of a store, written once below for every [`SqlRun`] store.
#[async_trait::async_trait]
pub trait DriftBaselineStore: Send + Sync {
    /// Field → payloads it was present in, and [`PAYLOADS`] → payloads seen; empty when
    /// the mapping has seen nothing for this tenant.
    async fn drift_baseline(&self, tenant: &TenantId, mapping: &str) -> StoreResult<BTreeMap<String, i64>>;

    /// Adds counts seen since the last call (field → payloads, [`PAYLOADS`] included).
    async fn add_drift_counts(
        &self,
        tenant: &TenantId,
        mapping: &str,
        counts: &BTreeMap<String, i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()>;
}

#[async_trait::async_trait]
impl<S: SqlRun> DriftBaselineStore for S {
    async fn drift_baseline(&self, tenant: &TenantId, mapping: &str) -> StoreResult<BTreeMap<String, i64>> {
        let sql = "SELECT field, seen FROM drift_baselines WHERE tenant_id = $1 AND mapping = $2";
        let rows = self
            .rows(sql, &[tenant.into(), mapping.into()], |row| {
                Ok((row.text("field")?, row.int("seen")?))
            })
            .await?;
        Ok(rows.into_iter().collect())
    }

    async fn add_drift_counts(
        &self,
        tenant: &TenantId,
        mapping: &str,
        counts: &BTreeMap<String, i64>,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        let sql = "INSERT INTO drift_baselines (tenant_id, mapping, field, seen, updated_at) VALUES ($1, $2, $3, $4, $5) \
                   ON CONFLICT (tenant_id, mapping, field) DO UPDATE SET seen = drift_baselines.seen + excluded.seen, \
                   updated_at = excluded.updated_at";
        for (field, seen) in counts.iter().filter(|(_, seen)| **seen > 0) {
            self.run(
                sql,
                &[tenant.into(), mapping.into(), field.into(), (*seen).into(), now.into()],
            )
            .await?;
        }
        Ok(())
    }
}
