//! Recording a refund, written once for every store: idempotent on the channel's refund
//! id, never more than what is left of the payment, computed by Ordo when no amount is
//! given, settling its case. Locks: the case (if any), then the order row, feed last.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use ordo_core::aftersale::refund::{self, RefundLine, RefundQuote};
use ordo_core::aftersale::{CaseAction, CaseError, CaseFlow, CaseKind};
use ordo_core::ingest::{EventKind, NewEvent};
use ordo_core::{Order, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::aftersales::cases::{CHANNEL_ACTOR, aftersale_message, order_event, record};
use crate::aftersales::records::{AfterSaleError, CaseRecord, NewRefund, RefundRecord};
use crate::aftersales::sql;
use crate::stock::allocate::AllocTx;

/// What recording a refund did: the refund, and whether it is new (false: the channel's
/// id was seen before and the first refund is returned).
pub type Recorded = (RefundRecord, bool);

/// Records a refund in an open transaction.
pub async fn record_refund<T: AllocTx>(
    tx: &mut T,
    tenant: &TenantId,
    new: &NewRefund,
    flow: &CaseFlow,
    actor: &str,
    now: DateTime<Utc>,
) -> StoreResult<Result<Recorded, AfterSaleError>> {
    if let Some(channel_id) = &new.channel_refund_id
        && let Some(existing) = sql::refund_by_channel_id(tx, tenant, new.order_id, channel_id).await?
    {
        return Ok(Ok((existing, false)));
    }
    let mut case = match new.case_id {
        None => None,
        Some(id) => match sql::lock_case(tx, tenant, id).await? {
            Some(case) if case.order_id == new.order_id => Some(case),
            _ => return Ok(Err(AfterSaleError::CaseNotFound(id))),
        },
    };
    if let Some(case) = &case
        && let Err(e) = flow.next(case.kind, case.status, CaseAction::Refund, &case.lines)
    {
        return Ok(Err(e.into()));
    }
    let Some(peek) = tx.peek_order(tenant, new.order_id).await? else {
        return Ok(Err(AfterSaleError::OrderNotFound(new.order_id)));
    };
    let Some(locked) = tx
        .lock_order(tenant, &peek.order.channel, &peek.order.external_id)
        .await?
    else {
        return Ok(Err(AfterSaleError::OrderNotFound(new.order_id)));
    };
    let order = &locked.state.order;
    let before = sql::order_refunds_tx(tx, tenant, new.order_id).await?;
    let quote = match quote_for(
        order,
        case.as_ref(),
        &new.units,
        &before,
        new.shipping,
        new.restocking_fee_permille,
    ) {
        Ok(quote) => quote,
        Err(e) => return Ok(Err(e.into())),
    };
    let amount = new.amount.unwrap_or(quote.amount);
    if let Err(e) = refund::check_amount(amount, quote.refundable) {
        return Ok(Err(e.into()));
    }
    let refund = RefundRecord {
        id: Uuid::now_v7(),
        order_id: new.order_id,
        case_id: new.case_id,
        channel_refund_id: new.channel_refund_id.clone(),
        currency: order.currency.code().to_owned(),
        amount,
        shipping: new.shipping,
        restocking_fee: quote.restocking_fee,
        lines: quote.lines,
        source: new.source.clone(),
        stated_amount: new.stated_amount,
        note: new.note.clone(),
        created_by: actor.to_owned(),
        created_at: now,
    };
    sql::insert_refund(tx, tenant, &refund).await?;
    if let Some(case) = case.as_mut() {
        case.status = flow
            .next(case.kind, case.status, CaseAction::Refund, &case.lines)
            .map_err(|e| crate::StoreError::Other(e.to_string()))?;
        case.version += 1;
        case.updated_at = now;
        sql::update_case(tx, tenant, case).await?;
        let seq = sql::last_seq(tx, tenant, case.id).await? + 1;
        if refund.source == "ordo"
            && actor != CHANNEL_ACTOR
            && let Some(message) = aftersale_message(
                case,
                "refund",
                refund.note.as_deref(),
                Some((amount, refund.currency.as_str())),
            )
        {
            tx.insert_outbox(tenant, &message, now).await?;
        }
        let data = json!({ "refund_id": refund.id, "amount": amount, "currency": refund.currency });
        record(tx, tenant, case, seq, "refunded", data, actor, now).await?;
    }
    let paid = refund::paid(order);
    let event = NewEvent {
        kind: EventKind::Refunded,
        data: json!({
            "refund_id": refund.id, "amount": amount, "currency": refund.currency,
            "refunded": before.iter().map(|r| r.amount).sum::<i64>() + amount, "paid": paid, "source": refund.source,
            "channel_refund_id": refund.channel_refund_id,
            "lines": refund.lines.iter().map(line_json).collect::<Vec<_>>(),
        }),
    };
    order_event(tx, tenant, &locked, locked.state.status, &event, actor, now).await?;
    Ok(Ok((refund, true)))
}

/// What Ordo would refund now: for `units` (a case's due units when none are named), given
/// the order's refunds so far, with `shipping` and the restocking fee. The one computation
/// behind a recorded refund and the amount a case shows as due.
pub fn quote_for(
    order: &Order,
    case: Option<&CaseRecord>,
    units: &BTreeMap<String, i64>,
    before: &[RefundRecord],
    shipping: i64,
    restocking_fee_permille: i64,
) -> Result<RefundQuote, CaseError> {
    let refunded: i64 = before.iter().map(|r| r.amount).sum();
    let mut already: BTreeMap<String, i64> = BTreeMap::new();
    for line in before.iter().flat_map(|r| &r.lines) {
        *already.entry(line.sku.clone()).or_insert(0) += line.quantity;
    }
    let units = match case {
        Some(case) if units.is_empty() => units_due(case, before),
        _ => units.clone(),
    };
    refund::quote(order, &units, &already, refunded, shipping, restocking_fee_permille)
}

/// What a case refunds when no units are named: what came back (or, refund-only, what it
/// asked for), less what its earlier refunds covered.
fn units_due(case: &CaseRecord, before: &[RefundRecord]) -> BTreeMap<String, i64> {
    let mut covered: BTreeMap<String, i64> = BTreeMap::new();
    for line in before
        .iter()
        .filter(|r| r.case_id == Some(case.id))
        .flat_map(|r| &r.lines)
    {
        *covered.entry(line.sku.clone()).or_insert(0) += line.quantity;
    }
    let mut units = BTreeMap::new();
    for line in &case.lines {
        let due = if case.kind == CaseKind::RefundOnly {
            line.quantity
        } else {
            line.received
        };
        let left = due - covered.get(&line.sku).copied().unwrap_or(0);
        if left > 0 {
            units.insert(line.sku.clone(), left);
        }
    }
    units
}

fn line_json(line: &RefundLine) -> serde_json::Value {
    json!({ "sku": line.sku, "quantity": line.quantity, "amount": line.amount })
}
