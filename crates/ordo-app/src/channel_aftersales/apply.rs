//! What a channel's after-sale event does in Ordo: a refund is recorded as the channel
//! gave it (idempotent on its id, both figures kept when its parts disagree); a return
//! opens or moves the case the channel knows by its id, its status kept verbatim beside
//! Ordo's; a label is attached to its case. Dispositions and line removals are kept in
//! the inbox and acknowledged: they name the channel's reverse-logistics records, not
//! Ordo's, and stock moves only on Ordo's own receipt.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::aftersale::{CaseError, CaseFlow, CaseStatus};
use ordo_core::{ChannelId, Order, OrderId, TenantId};
use ordo_store::aftersales::records::{AfterSaleError, CaseCommand, CaseRecord, NewCase, NewRefund};
use ordo_store::{OrderQuery, Store, StoreError};
use serde::Serialize;
use serde_json::json;
use uuid::Uuid;

use super::{ChannelAfterSale, ChannelRefund, ChannelReturn};

/// What an event did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Applied {
    /// The order it concerns, when found.
    pub order_id: Option<OrderId>,
    /// The case opened or moved.
    pub case_id: Option<Uuid>,
    /// Refunds recorded now.
    pub refunds: Vec<Uuid>,
    /// Refunds seen before (a delivery again).
    pub known_refunds: Vec<Uuid>,
    /// What was kept without effect, and why.
    pub notes: Vec<String>,
}

/// Why an event could not be applied.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// The order it names is not stored (yet).
    #[error("no {channel} order {external_id} is stored")]
    OrderUnknown {
        /// Channel code.
        channel: String,
        /// The channel's order id.
        external_id: String,
    },
    /// A rule refused it (e.g. more than was paid).
    #[error(transparent)]
    Refused(#[from] AfterSaleError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Applies one event of `channel` (the connection's channel code) for `tenant`.
pub async fn apply(
    store: &dyn Store,
    tenant: &TenantId,
    channel: &str,
    event: &ChannelAfterSale,
    flow: &CaseFlow,
    now: DateTime<Utc>,
) -> Result<Applied, ApplyError> {
    let mut applied = Applied::default();
    match event {
        ChannelAfterSale::Several(events) => {
            for event in events {
                let one = Box::pin(apply(store, tenant, channel, event, flow, now)).await?;
                applied.order_id = one.order_id.or(applied.order_id);
                applied.case_id = one.case_id.or(applied.case_id);
                applied.refunds.extend(one.refunds);
                applied.known_refunds.extend(one.known_refunds);
                applied.notes.extend(one.notes);
            }
        }
        // The case first, so that it exists whatever the refund meets; then the money.
        ChannelAfterSale::Case { case, refund } => {
            apply_return(store, tenant, channel, case, flow, &mut applied, now).await?;
            if let Some(refund) = refund {
                apply_refund(store, tenant, channel, refund, flow, &mut applied, now).await?;
            }
        }
        ChannelAfterSale::Refund(refund) => {
            apply_refund(store, tenant, channel, refund, flow, &mut applied, now).await?
        }
        ChannelAfterSale::Refunds(refunds) => {
            for refund in refunds {
                apply_refund(store, tenant, channel, refund, flow, &mut applied, now).await?;
            }
        }
        ChannelAfterSale::Return(ret) => apply_return(store, tenant, channel, ret, flow, &mut applied, now).await?,
        ChannelAfterSale::ReturnShipment(shipment) => {
            match store.channel_case(tenant, channel, &shipment.channel_case_id).await? {
                Some(case) => {
                    let tracking = json!({
                        "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
                        "tracking_url": shipment.tracking_url, "label_url": shipment.label_url,
                        "channel_delivery_id": shipment.channel_delivery_id,
                    });
                    let command = CaseCommand::AttachReturn(tracking);
                    move_case(store, tenant, &case, &command, flow, &mut applied, now).await?;
                }
                None => applied
                    .notes
                    .push(format!("no case {} is known yet", shipment.channel_case_id)),
            }
        }
        ChannelAfterSale::ReturnUpdate(update) => applied.notes.push(format!(
            "return {} changed lines on the channel; the case keeps what was asked",
            update.channel_case_id
        )),
        ChannelAfterSale::Disposed(disposal) => applied.notes.push(format!(
            "the channel disposed of {} ({} lines); stock moves on Ordo's receipt only",
            disposal.channel_reference,
            disposal.dispositions.len()
        )),
    }
    Ok(applied)
}

async fn find_order(
    store: &dyn Store,
    tenant: &TenantId,
    channel: &str,
    external_id: &str,
) -> Result<(OrderId, Order), ApplyError> {
    let unknown = || ApplyError::OrderUnknown {
        channel: channel.to_owned(),
        external_id: external_id.to_owned(),
    };
    let query = OrderQuery {
        channel: Some(ChannelId::parse(channel).map_err(|_| unknown())?),
        external_id: Some(external_id.to_owned()),
        limit: 1,
        ..Default::default()
    };
    let page = store.search_orders(tenant, &query).await?;
    let id = page.items.first().map(|o| o.id).ok_or_else(unknown)?;
    let record = store.get_order(tenant, id).await?.ok_or_else(unknown)?;
    Ok((id, record.state.order))
}

/// The SKU of an order line the channel names by its line id (or its SKU).
fn sku_of(order: &Order, line_id: Option<&str>, sku: Option<&str>) -> Option<String> {
    line_id
        .and_then(|id| order.lines.iter().find(|l| l.line_id.as_deref() == Some(id)))
        .map(|l| l.sku.as_str().to_owned())
        .or_else(|| sku.map(str::to_owned))
}

async fn apply_refund(
    store: &dyn Store,
    tenant: &TenantId,
    channel: &str,
    refund: &ChannelRefund,
    flow: &CaseFlow,
    applied: &mut Applied,
    now: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let (order_id, order) = find_order(store, tenant, channel, &refund.external_order_id).await?;
    applied.order_id = Some(order_id);
    if refund.amount == 0 {
        applied.notes.push(format!(
            "refund {} moved no money (itemised {})",
            refund.channel_refund_id, refund.itemised
        ));
        return Ok(());
    }
    let mut units: BTreeMap<String, i64> = BTreeMap::new();
    for line in refund.lines.iter().filter(|l| l.quantity > 0) {
        if let Some(sku) = sku_of(&order, line.line_id.as_deref(), line.sku.as_deref()) {
            *units.entry(sku).or_insert(0) += line.quantity;
        }
    }
    let mut new = NewRefund {
        order_id,
        case_id: None,
        channel_refund_id: Some(refund.channel_refund_id.clone()),
        units,
        shipping: refund.shipping,
        amount: Some(refund.amount),
        restocking_fee_permille: 0,
        source: "channel".into(),
        stated_amount: refund.mismatch().map(|m| m.itemised),
        note: refund.note.clone(),
    };
    let mut result = store.record_refund(tenant, &new, flow, "channel", now).await?;
    // The channel decided the money; lines Ordo cannot place (units already refunded
    // here, a line it does not know) do not stop it being recorded.
    if let Err(AfterSaleError::Case(CaseError::TooMany { .. } | CaseError::UnknownSku { .. })) = result {
        new.units.clear();
        applied.notes.push(format!(
            "refund {}: lines kept as the channel gave them only",
            refund.channel_refund_id
        ));
        result = store.record_refund(tenant, &new, flow, "channel", now).await?;
    }
    let (record, created) = result?;
    if created {
        applied.refunds.push(record.id);
    } else {
        applied.known_refunds.push(record.id);
    }
    Ok(())
}

async fn apply_return(
    store: &dyn Store,
    tenant: &TenantId,
    channel: &str,
    ret: &ChannelReturn,
    flow: &CaseFlow,
    applied: &mut Applied,
    now: DateTime<Utc>,
) -> Result<(), ApplyError> {
    let case = match store.channel_case(tenant, channel, &ret.channel_case_id).await? {
        Some(case) => case,
        None => {
            let external = ret
                .external_order_id
                .as_deref()
                .ok_or_else(|| ApplyError::OrderUnknown {
                    channel: channel.to_owned(),
                    external_id: format!("(return {} names none)", ret.channel_case_id),
                })?;
            let (order_id, order) = find_order(store, tenant, channel, external).await?;
            let mut lines: Vec<(String, i64)> = Vec::new();
            for line in &ret.lines {
                if let Some(sku) = sku_of(&order, line.line_id.as_deref(), line.sku.as_deref()) {
                    lines.push((sku, line.quantity));
                }
            }
            let new = NewCase {
                order_id,
                kind: ret.kind,
                reason: ret.lines.iter().find_map(|l| l.reason.clone()),
                lines,
                exchange_lines: Vec::new(),
                channel_case_id: Some(ret.channel_case_id.clone()),
                channel_status: Some(ret.channel_status.clone()),
            };
            store.open_case(tenant, &new, "channel", now).await??
        }
    };
    applied.order_id = Some(case.order_id);
    applied.case_id = Some(case.id);
    let case = if case.channel_status.as_deref() != Some(ret.channel_status.as_str()) {
        let command = CaseCommand::ChannelStatus(ret.channel_status.clone());
        store
            .case_command(tenant, case.id, &command, flow, "channel", now)
            .await??
    } else {
        case
    };
    let command = match ret.status {
        CaseStatus::AwaitingReturn | CaseStatus::Approved if case.status == CaseStatus::Requested => {
            Some(CaseCommand::Approve)
        }
        CaseStatus::Declined => Some(CaseCommand::Decline(
            ret.decline_reason.clone().or(ret.decline_note.clone()),
        )),
        CaseStatus::Cancelled => Some(CaseCommand::Cancel(None)),
        CaseStatus::Closed => Some(CaseCommand::Close),
        _ => None,
    };
    if let Some(command) = command
        && case.status != ret.status
    {
        move_case(store, tenant, &case, &command, flow, applied, now).await?;
    }
    Ok(())
}

/// Moves a case as the channel says; a move the flow does not allow from Ordo's state is
/// noted, not an error (the channel's status is kept either way).
async fn move_case(
    store: &dyn Store,
    tenant: &TenantId,
    case: &CaseRecord,
    command: &CaseCommand,
    flow: &CaseFlow,
    applied: &mut Applied,
    now: DateTime<Utc>,
) -> Result<(), ApplyError> {
    match store
        .case_command(tenant, case.id, command, flow, "channel", now)
        .await?
    {
        Ok(_) => Ok(()),
        Err(e @ AfterSaleError::Case(CaseError::IllegalTransition { .. })) => {
            applied.notes.push(e.to_string());
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

/// Applies Amazon's FBA customer returns report: one return case per order, keyed by the
/// order and its licence plates, so a report sent again changes nothing. Amazon's
/// fulfilment centre has already counted the goods; with `warehouse` (the Ordo warehouse
/// that stands for it) they are received there with Amazon's dispositions, otherwise the
/// case waits for its goods to be counted in Ordo.
pub async fn apply_fba_returns(
    store: &dyn Store,
    tenant: &TenantId,
    channel: &str,
    rows: &[super::amazon::FbaReturn],
    warehouse: Option<&str>,
    flow: &CaseFlow,
    now: DateTime<Utc>,
) -> Result<Vec<Applied>, ApplyError> {
    let mut out = Vec::new();
    for ret in super::amazon::cases(rows) {
        let mut applied = Applied::default();
        // Opened (or found) and approved: the goods are on their way or already counted.
        let opening = ChannelReturn {
            status: CaseStatus::AwaitingReturn,
            ..ret.clone()
        };
        apply_return(store, tenant, channel, &opening, flow, &mut applied, now).await?;
        let (Some(warehouse), Some(case_id)) = (warehouse, applied.case_id) else {
            out.push(applied);
            continue;
        };
        let order = ret.external_order_id.as_deref().unwrap_or_default();
        let receipts: Vec<ordo_core::aftersale::Receipt> = rows
            .iter()
            .filter(|r| r.order_id == order)
            .map(|r| ordo_core::aftersale::Receipt {
                sku: r.sku.clone(),
                quantity: r.quantity,
                disposition: r.disposition,
                warehouse: Some(warehouse.to_owned()),
            })
            .collect();
        let case = store.get_case(tenant, case_id).await?.map(|d| d.case);
        if let Some(case) = case.filter(|c| matches!(c.status, CaseStatus::AwaitingReturn | CaseStatus::Approved)) {
            move_case(
                store,
                tenant,
                &case,
                &CaseCommand::Receive(receipts),
                flow,
                &mut applied,
                now,
            )
            .await?;
        }
        out.push(applied);
    }
    Ok(out)
}
