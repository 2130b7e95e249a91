//! The channel-side algorithms every store runs inside one of its transactions: recording
//! mapping drift, merging orders into one shipment and undoing a merge.

use chrono::{DateTime, Utc};
use ordo_core::matching::mergeable;
use ordo_core::{OrderId, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::channels::records::{ChannelTx, DriftChange, DriftRecord, DriftSighting, MergeError, MergeGroup, OrderFlag};
use crate::delivery::records::{NewFeedEvent, NewOutbox};
use crate::orders::records::OrderSummary;

/// Records a drift sighting: counts every field, flags the order, and announces the fields
/// never seen before on the feed and to webhook subscribers.
pub async fn record_drift<T: ChannelTx>(
    tx: &mut T,
    tenant: &TenantId,
    sighting: &DriftSighting,
    now: DateTime<Utc>,
) -> StoreResult<Vec<DriftRecord>> {
    let mut first_seen = Vec::new();
    let changes = sighting
        .appeared
        .iter()
        .map(|f| (f, DriftChange::Appeared))
        .chain(sighting.vanished.iter().map(|f| (f, DriftChange::Vanished)));
    for (field, change) in changes {
        if tx
            .upsert_drift(
                tenant,
                &sighting.mapping,
                field,
                change,
                sighting.order_id,
                sighting.inbox_id,
                now,
            )
            .await?
        {
            first_seen.push(DriftRecord {
                mapping: sighting.mapping.clone(),
                field: field.clone(),
                change,
                first_seen: now,
                last_seen: now,
                seen_count: 1,
                last_order_id: sighting.order_id,
                last_inbox_id: Some(sighting.inbox_id),
            });
        }
    }
    if let Some(order) = sighting.order_id {
        let flag = OrderFlag {
            kind: "schema_drift".into(),
            detail: json!({
                "mapping": sighting.mapping,
                "appeared": sighting.appeared,
                "vanished": sighting.vanished,
                "inbox_id": sighting.inbox_id,
            }),
            at: now,
        };
        tx.put_flag(tenant, order, &flag).await?;
    }
    if !first_seen.is_empty() {
        let data = json!({
            "mapping": sighting.mapping,
            "appeared": first_seen.iter().filter(|r| r.change == DriftChange::Appeared).map(|r| &r.field).collect::<Vec<_>>(),
            "vanished": first_seen.iter().filter(|r| r.change == DriftChange::Vanished).map(|r| &r.field).collect::<Vec<_>>(),
            "order_id": sighting.order_id,
            "inbox_id": sighting.inbox_id,
        });
        announce(tx, tenant, "mapping.drift", data, now).await?;
    }
    Ok(first_seen)
}

/// Merges orders into one shipment after checking, under lock, that they are distinct,
/// exist, are paid and not yet released, go to one buyer and address, were placed within
/// `window` of each other and are in no other merge.
pub async fn merge_orders<T: ChannelTx>(
    tx: &mut T,
    tenant: &TenantId,
    orders: &[OrderId],
    window: chrono::Duration,
    merged_by: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<MergeGroup, MergeError>> {
    let mut ids = sorted(orders);
    ids.dedup();
    if ids.len() < 2 {
        return Ok(Err(MergeError::TooFew));
    }
    let rows = tx.merge_rows(tenant, &ids).await?;
    if let Some(missing) = ids.iter().find(|id| !rows.iter().any(|r| r.id == **id)) {
        return Ok(Err(MergeError::NotFound(*missing)));
    }
    let first = &rows[0];
    for row in &rows {
        if !mergeable(row.status) {
            return Ok(Err(MergeError::NotMergeable {
                order: row.id,
                status: row.status,
            }));
        }
        if let Some(group) = row.group {
            return Ok(Err(MergeError::AlreadyMerged { order: row.id, group }));
        }
        if row.match_key.is_none() || row.match_key != first.match_key {
            return Ok(Err(MergeError::DifferentDestination(row.id)));
        }
    }
    let earliest = rows.iter().map(|r| r.placed_at).min().unwrap_or(now);
    if let Some(late) = rows.iter().find(|r| r.placed_at - earliest > window) {
        return Ok(Err(MergeError::OutsideWindow {
            order: late.id,
            window_minutes: window.num_minutes(),
        }));
    }
    let group = MergeGroup {
        id: Uuid::now_v7(),
        // As given, each once.
        order_ids: orders
            .iter()
            .enumerate()
            .filter(|(i, id)| !orders[..*i].contains(id))
            .map(|(_, id)| *id)
            .collect(),
        merged_by: merged_by.to_owned(),
        created_at: now,
        dissolved_at: None,
        dissolved_by: None,
    };
    tx.insert_merge(tenant, &group).await?;
    announce(
        tx,
        tenant,
        "order.merged",
        json!({ "merge_id": group.id, "order_ids": group.order_ids, "by": merged_by }),
        now,
    )
    .await?;
    Ok(Ok(group))
}

/// Undoes a merge while every one of its orders may still be merged (none released to a
/// warehouse); `None` when there is no such active merge.
pub async fn dissolve_merge<T: ChannelTx>(
    tx: &mut T,
    tenant: &TenantId,
    group: Uuid,
    by: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<Result<MergeGroup, MergeError>>> {
    let Some(mut found) = tx.merge_group(tenant, group).await? else {
        return Ok(None);
    };
    if found.dissolved_at.is_some() {
        return Ok(None);
    }
    let rows = tx.merge_rows(tenant, &sorted(&found.order_ids)).await?;
    if let Some(row) = rows.iter().find(|r| !mergeable(r.status)) {
        return Ok(Some(Err(MergeError::Released {
            order: row.id,
            status: row.status,
        })));
    }
    found.dissolved_at = Some(now);
    found.dissolved_by = Some(by.to_owned());
    tx.dissolve(tenant, &found).await?;
    announce(
        tx,
        tenant,
        "order.unmerged",
        json!({ "merge_id": found.id, "order_ids": found.order_ids, "by": by }),
        now,
    )
    .await?;
    Ok(Some(Ok(found)))
}

/// Splits rows sorted by (key, placed_at) into runs of one key placed within `window` of
/// the run's first order, keeping runs of two or more.
pub fn group_runs(rows: Vec<(String, OrderSummary)>, window: chrono::Duration) -> Vec<Vec<OrderSummary>> {
    let mut out: Vec<Vec<OrderSummary>> = Vec::new();
    let mut current: Vec<OrderSummary> = Vec::new();
    let mut current_key = String::new();
    for (key, row) in rows {
        let fits = key == current_key && current.first().is_some_and(|f| row.placed_at - f.placed_at <= window);
        if !fits {
            if current.len() > 1 {
                out.push(std::mem::take(&mut current));
            }
            current.clear();
            current_key = key;
        }
        current.push(row);
    }
    if current.len() > 1 {
        out.push(current);
    }
    out
}

fn sorted(ids: &[OrderId]) -> Vec<OrderId> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}

/// A feed event plus a message to webhook subscribers.
async fn announce<T: ChannelTx>(
    tx: &mut T,
    tenant: &TenantId,
    kind: &str,
    data: serde_json::Value,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    let message = NewOutbox {
        id: Uuid::now_v7(),
        topic: "webhook".into(),
        destination: kind.into(),
        payload: json!({ "type": kind, "tenant": tenant.as_str(), "data": data, "at": now.to_rfc3339() }),
    };
    tx.insert_outbox(tenant, &message, now).await?;
    tx.append_feed(
        tenant,
        &[NewFeedEvent {
            kind: kind.into(),
            data,
        }],
        now,
    )
    .await
}
