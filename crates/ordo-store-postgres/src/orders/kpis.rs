//! The dashboard rollups a transaction adds to (`ordo_store::orders::kpis`), written at
//! commit as one upsert statement per table. Every node adds to the same rows (today's
//! orders in, per channel), so each transaction takes their locks last, after everything
//! else it locks, and in the key order of [`KpiRows`]'s maps; two transactions adding to
//! the same rows then wait for each other instead of deadlocking.

use ordo_store::StoreResult;
use ordo_store::orders::kpis::KpiRows;

use crate::errors::map;
use crate::tx::PgTx;

impl PgTx {
    /// Adds the buffered figures.
    pub(crate) async fn flush_kpis(&mut self) -> StoreResult<()> {
        let KpiRows { counts, latency, sync } = std::mem::take(&mut self.kpis);
        if !counts.is_empty() {
            let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((key, metric), n) in counts {
                columns.0.push(key.tenant.as_str().to_owned());
                columns.1.push(key.day);
                columns.2.push(key.channel);
                columns.3.push(key.warehouse);
                columns.4.push(metric);
                columns.5.push(n);
            }
            // WITH ORDINALITY … ORDER BY: rows are upserted, and their locks taken, in the
            // maps' order.
            sqlx::query(
                "INSERT INTO kpi_counts AS k (tenant_id, day, channel, warehouse, metric, value)
                 SELECT t, d, c, w, m, v FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[],
                     $5::text[], $6::bigint[]) WITH ORDINALITY AS r(t, d, c, w, m, v, i) ORDER BY i
                 ON CONFLICT (tenant_id, day, channel, warehouse, metric)
                 DO UPDATE SET value = k.value + excluded.value",
            )
            .bind(columns.0)
            .bind(columns.1)
            .bind(columns.2)
            .bind(columns.3)
            .bind(columns.4)
            .bind(columns.5)
            .execute(self.conn())
            .await
            .map_err(map)?;
        }
        if !latency.is_empty() {
            let mut columns = (
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
                Vec::new(),
            );
            for ((key, stage, bucket), n) in latency {
                columns.0.push(key.tenant.as_str().to_owned());
                columns.1.push(key.day);
                columns.2.push(key.channel);
                columns.3.push(key.warehouse);
                columns.4.push(stage);
                columns.5.push(bucket);
                columns.6.push(n);
            }
            sqlx::query(
                "INSERT INTO kpi_latency AS k (tenant_id, day, channel, warehouse, stage, bucket, n)
                 SELECT t, d, c, w, s, b, n FROM UNNEST($1::text[], $2::timestamptz[], $3::text[], $4::text[],
                     $5::text[], $6::bigint[], $7::bigint[]) WITH ORDINALITY AS r(t, d, c, w, s, b, n, i) ORDER BY i
                 ON CONFLICT (tenant_id, day, channel, warehouse, stage, bucket)
                 DO UPDATE SET n = k.n + excluded.n",
            )
            .bind(columns.0)
            .bind(columns.1)
            .bind(columns.2)
            .bind(columns.3)
            .bind(columns.4)
            .bind(columns.5)
            .bind(columns.6)
            .execute(self.conn())
            .await
            .map_err(map)?;
        }
        if !sync.is_empty() {
            let mut columns = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
            for ((tenant, channel), (changed, seen)) in sync {
                columns.0.push(tenant.as_str().to_owned());
                columns.1.push(channel);
                columns.2.push(changed);
                columns.3.push(seen);
            }
            // The newest arrival wins, whichever node commits last.
            sqlx::query(
                "INSERT INTO kpi_sync AS k (tenant_id, channel, changed_at, seen_at)
                 SELECT t, c, ch, s FROM UNNEST($1::text[], $2::text[], $3::timestamptz[], $4::timestamptz[])
                     WITH ORDINALITY AS r(t, c, ch, s, i) ORDER BY i
                 ON CONFLICT (tenant_id, channel)
                 DO UPDATE SET changed_at = excluded.changed_at, seen_at = excluded.seen_at
                 WHERE excluded.seen_at >= k.seen_at",
            )
            .bind(columns.0)
            .bind(columns.1)
            .bind(columns.2)
            .bind(columns.3)
            .execute(self.conn())
            .await
            .map_err(map)?;
        }
        Ok(())
    }
}
