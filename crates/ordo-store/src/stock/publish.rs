//! What a stock change tells the outside world, decided in the transaction that made it:
//! the live feed's `availability.changed`, each channel's new sellable quantity (queued in
//! the outbox for its connector), and low-stock alerts (a record, a feed event and a
//! webhook message).

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Utc};
use ordo_core::TenantId;
use ordo_core::inventory::{bundle_available, channel_sellable};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::delivery::records::{NewFeedEvent, NewOutbox};
use crate::stock::allocate::{AllocTx, TenantStock};
use crate::stock::inventory::Warehouse;
use crate::stock::records::StockAlert;

/// Publishes every SKU whose levels the transaction changed, and every bundle made of
/// them.
pub(crate) async fn publish<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let touched = ctx.book.touched_skus();
    if touched.is_empty() {
        return Ok(());
    }
    let mut skus: BTreeSet<String> = touched.clone();
    skus.extend(
        ctx.catalogue
            .values()
            .filter(|row| row.components.iter().any(|c| touched.contains(&c.sku)))
            .map(|row| row.code.clone()),
    );
    let skus: Vec<String> = skus.into_iter().collect();
    let published: BTreeMap<(String, String), i64> = tx
        .published(tenant, &skus)
        .await?
        .into_iter()
        .map(|(channel, sku, quantity)| ((channel, sku), quantity))
        .collect();
    let open: BTreeSet<String> = tx.open_alerts(tenant, &skus).await?.into_iter().collect();
    let warehouses = ctx.warehouses.clone();
    let rules = ctx.channels.clone();
    let active: Vec<&Warehouse> = warehouses.iter().filter(|w| w.active).collect();
    for sku in &skus {
        let before = available(ctx, sku, &active, true);
        let after = available(ctx, sku, &active, false);
        let mut channels = serde_json::Map::new();
        for rule in &rules {
            let serving: Vec<&Warehouse> = warehouses.iter().filter(|w| w.serves(&rule.channel)).collect();
            let sellable = channel_sellable(
                available(ctx, sku, &serving, false),
                rule.policy,
                rule.overrides.get(sku).copied(),
            );
            if published.get(&(rule.channel.clone(), sku.clone())) == Some(&sellable) {
                continue;
            }
            tx.write_published(tenant, &rule.channel, sku, sellable, now).await?;
            let message = NewOutbox {
                id: Uuid::now_v7(),
                topic: "channel.stock".into(),
                destination: rule.channel.clone(),
                payload: json!({ "channel": rule.channel, "sku": sku, "quantity": sellable }),
            };
            tx.insert_outbox(tenant, &message, now).await?;
            channels.insert(rule.channel.clone(), json!(sellable));
        }
        if before != after || !channels.is_empty() {
            ctx.feed.push(NewFeedEvent {
                kind: "availability.changed".into(),
                data: json!({ "sku": sku, "available": after, "previous": before, "channels": channels }),
            });
        }
        alert(tx, tenant, ctx, sku, after, open.contains(sku), now).await?;
    }
    Ok(())
}

/// Available units of a SKU (or bundle) over some warehouses, now or as it was when the
/// transaction locked it.
fn available(ctx: &TenantStock, sku: &str, warehouses: &[&Warehouse], original: bool) -> i64 {
    let of = |code: &str| -> i64 {
        warehouses
            .iter()
            .map(|w| {
                let level = if original {
                    ctx.book.original(code, &w.code)
                } else {
                    ctx.book.level(code, &w.code)
                };
                level.available()
            })
            .sum()
    };
    match ctx.catalogue.get(sku) {
        Some(row) if !row.components.is_empty() => {
            let parts: Vec<(i64, i64)> = row.components.iter().map(|c| (of(&c.sku), c.quantity)).collect();
            bundle_available(&parts)
        }
        _ => of(sku),
    }
}

async fn alert<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    ctx: &mut TenantStock,
    sku: &str,
    available: i64,
    is_open: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let Some(row) = ctx.catalogue.get(sku) else {
        return Ok(());
    };
    let threshold = row.low_stock_threshold.max(row.forecast_threshold);
    let low = threshold.is_some_and(|t| available < t);
    let kind = match (low, is_open) {
        (true, false) => {
            let record = StockAlert {
                id: Uuid::now_v7(),
                sku: sku.to_owned(),
                available,
                threshold: threshold.unwrap_or(0),
                opened_at: now,
                closed_at: None,
            };
            tx.open_alert(tenant, &record).await?;
            "stock.low"
        }
        (false, true) => {
            tx.close_alert(tenant, sku, now).await?;
            "stock.recovered"
        }
        _ => return Ok(()),
    };
    let data = json!({ "sku": sku, "available": available, "threshold": threshold });
    let message = NewOutbox {
        id: Uuid::now_v7(),
        topic: "webhook".into(),
        destination: kind.into(),
        payload: json!({ "type": kind, "tenant": tenant.as_str(), "data": data, "at": now.to_rfc3339() }),
    };
    tx.insert_outbox(tenant, &message, now).await?;
    ctx.feed.push(NewFeedEvent {
        kind: kind.into(),
        data,
    });
    Ok(())
}
