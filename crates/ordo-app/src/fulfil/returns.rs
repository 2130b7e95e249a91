//! Goods a warehouse reports back (`returned`): counted into the order's return case, so
//! stock moves per unit with its disposition exactly as a receipt entered by hand does.
//!
//! The case is the one the warehouse names (Ordo's case id, the RMA), else the order's
//! most recently changed case that takes goods back and waits for them (`awaiting_return`,
//! `approved`, `partly_received`). Units beyond what that case still expects — or all of
//! them when the order has no such case — go into a `return_refund` case opened from the
//! report, approved and received at once, so goods never vanish.
//!
//! A report is received once: its case event carries the warehouse's event id in its actor
//! (`warehouse:<code> return <event id>`), and a report whose id is already on one of the
//! order's cases changes nothing. On one node reports are taken one at a time; two nodes
//! receiving the same report at the same instant could both count it, as two people
//! entering the same receipt would — the warehouse's retries are minutes apart.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use chrono::Utc;
use ordo_connect::wms::{ReturnDisposition, ReturnLine, WmsEvent, WmsEventKind};
use ordo_core::aftersale::{CaseError, CaseFlow, CaseKind, CaseStatus, Disposition, Receipt};
use ordo_core::{OrderId, TenantId};
use ordo_store::aftersales::records::{AfterSaleError, CaseCommand, CaseQuery, CaseRecord, NewCase};
use ordo_store::{OrderQuery, Store};
use uuid::Uuid;

use super::callback::{Applied, CallbackProblem, current};
use crate::actions::{ActionError, OrderActions};

/// Cases of one order looked at when matching a report (an order has a handful).
const CASES_PER_ORDER: u32 = 100;

/// States in which a case waits for goods.
const WAITING: [CaseStatus; 3] = [
    CaseStatus::AwaitingReturn,
    CaseStatus::Approved,
    CaseStatus::PartlyReceived,
];

/// One report at a time on this node, so a delivery and its retry cannot both pass the
/// "already received" check.
fn one_at_a_time() -> &'static tokio::sync::Mutex<()> {
    static LOCK: OnceLock<tokio::sync::Mutex<()>> = OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
}

/// Receives a `returned` event reported by the connector of warehouse `connector`.
pub(super) async fn apply_returned(
    actions: &OrderActions,
    tenant: &TenantId,
    connector: &str,
    event: WmsEvent,
) -> Result<Applied, CallbackProblem> {
    let WmsEventKind::Returned {
        event_id,
        warehouse,
        case_ref,
        lines,
    } = event.kind
    else {
        return Err(CallbackProblem::NoOrder);
    };
    let warehouse = warehouse.unwrap_or_else(|| connector.to_owned());
    let report = Report {
        connector,
        warehouse: &warehouse,
        event_id: &event_id,
        actor: format!("warehouse:{connector} return {event_id}"),
    };
    let _turn = one_at_a_time().lock().await;
    let result = receive_report(
        actions,
        tenant,
        &report,
        event.order_ref.as_deref(),
        case_ref.as_deref(),
        &lines,
    )
    .await;
    let outcome = match &result {
        Ok(applied) if applied.note.is_some() => "repeat",
        Ok(_) => "received",
        Err(_) => "refused",
    };
    metrics::counter!("ordo_wms_returns_total", "warehouse" => connector.to_owned(), "result" => outcome).increment(1);
    if let Err(error) = &result {
        tracing::warn!(warehouse = connector, event_id, %error, "warehouse return not received");
    }
    result
}

/// What a report is and who it is recorded as.
struct Report<'a> {
    connector: &'a str,
    warehouse: &'a str,
    event_id: &'a str,
    actor: String,
}

async fn receive_report(
    actions: &OrderActions,
    tenant: &TenantId,
    report: &Report<'_>,
    order_ref: Option<&str>,
    case_ref: Option<&str>,
    lines: &[ReturnLine],
) -> Result<Applied, CallbackProblem> {
    let store = actions.store().as_ref();
    let named = named_case(store, tenant, case_ref).await?;
    let order = match (find_order(store, tenant, order_ref).await?, &named) {
        (Some(order), Some(case)) if case.order_id != order => {
            return Err(invalid(
                "case_order_mismatch",
                format!("case {} is about order {}, not {order}", case.id, case.order_id),
            ));
        }
        (Some(order), _) => order,
        (None, Some(case)) => case.order_id,
        (None, None) => return Err(CallbackProblem::NoOrder),
    };
    let cases = store
        .list_cases(
            tenant,
            &CaseQuery {
                order_id: Some(order),
                limit: CASES_PER_ORDER,
                ..Default::default()
            },
        )
        .await
        .map_err(ActionError::from)?;
    // A report already received, or one opened its own case and stopped short.
    let mut own_case = None;
    for case in &cases {
        let Some(detail) = store.get_case(tenant, case.id).await.map_err(ActionError::from)? else {
            continue;
        };
        let mine = |kind: &str| detail.events.iter().any(|e| e.kind == kind && e.actor == report.actor);
        if mine("received") {
            let mut applied = current(actions, tenant, order).await?;
            applied.case_id = Some(case.id.to_string());
            applied.note = Some(format!(
                "return {} was received already (case {})",
                report.event_id, case.id
            ));
            return Ok(applied);
        }
        if mine("requested") {
            own_case = Some(detail.case.clone());
        }
    }
    let target = named.or_else(|| {
        cases
            .iter()
            .find(|c| c.kind.takes_goods_back() && WAITING.contains(&c.status))
            .cloned()
    });
    let (fits, rest) = match &target {
        Some(case) => split(case, lines),
        None => (Vec::new(), lines.to_vec()),
    };
    let mut received = None;
    if let (Some(case), false) = (&target, fits.is_empty()) {
        received = Some(receive(store, tenant, case, &fits, report).await?);
    }
    if !rest.is_empty() {
        let case = match own_case {
            Some(case) => case,
            None => open_from_report(store, tenant, order, &rest, report).await?,
        };
        received = Some(receive(store, tenant, &case, &rest, report).await?);
    }
    let mut applied = current(actions, tenant, order).await?;
    applied.case_id = received.map(|c: CaseRecord| c.id.to_string());
    Ok(applied)
}

/// The case a report names by Ordo's case id. A reference that is not a case id (a
/// warehouse's own RMA number) names none; a case id the tenant does not have is refused.
async fn named_case(
    store: &dyn Store,
    tenant: &TenantId,
    case_ref: Option<&str>,
) -> Result<Option<CaseRecord>, CallbackProblem> {
    let Some(id) = case_ref.and_then(|r| Uuid::parse_str(r.trim()).ok()) else {
        return Ok(None);
    };
    match store.get_case(tenant, id).await.map_err(ActionError::from)? {
        Some(detail) => Ok(Some(detail.case)),
        None => Err(invalid("unknown_case", format!("case_id: no case {id}"))),
    }
}

/// The order a report names: Ordo's order id, or the channel's order id when that names
/// exactly one order.
async fn find_order(
    store: &dyn Store,
    tenant: &TenantId,
    order_ref: Option<&str>,
) -> Result<Option<OrderId>, CallbackProblem> {
    let Some(reference) = order_ref.map(str::trim).filter(|r| !r.is_empty()) else {
        return Ok(None);
    };
    if let Ok(id) = Uuid::parse_str(reference) {
        let id = OrderId(id);
        return match store.get_order(tenant, id).await.map_err(ActionError::from)? {
            Some(_) => Ok(Some(id)),
            None => Err(ActionError::NotFound(id).into()),
        };
    }
    let query = OrderQuery {
        external_id: Some(reference.to_owned()),
        limit: 2,
        ..Default::default()
    };
    let page = store.search_orders(tenant, &query).await.map_err(ActionError::from)?;
    match page.items.as_slice() {
        [one] => Ok(Some(one.id)),
        [] => Err(CallbackProblem::NoOrder),
        _ => Err(invalid(
            "ambiguous_order",
            format!("order reference {reference:?} names orders on several channels"),
        )),
    }
}

/// The lines a case still expects, and what is beyond them.
fn split(case: &CaseRecord, lines: &[ReturnLine]) -> (Vec<ReturnLine>, Vec<ReturnLine>) {
    let mut room: BTreeMap<&str, i64> = BTreeMap::new();
    for line in &case.lines {
        *room.entry(line.sku.as_str()).or_insert(0) += line.outstanding().max(0);
    }
    let (mut fits, mut rest) = (Vec::new(), Vec::new());
    for line in lines {
        let left = room.get_mut(line.sku.as_str());
        let take = left.as_ref().map_or(0, |l| (**l).min(i64::from(line.quantity)));
        if let Some(left) = left {
            *left -= take;
        }
        let take = u32::try_from(take).unwrap_or(0);
        if take > 0 {
            fits.push(ReturnLine {
                quantity: take,
                ..line.clone()
            });
        }
        if line.quantity > take {
            rest.push(ReturnLine {
                quantity: line.quantity - take,
                ..line.clone()
            });
        }
    }
    (fits, rest)
}

/// Opens a `return_refund` case for what came back with no case waiting for it, and
/// approves it.
async fn open_from_report(
    store: &dyn Store,
    tenant: &TenantId,
    order: OrderId,
    lines: &[ReturnLine],
    report: &Report<'_>,
) -> Result<CaseRecord, CallbackProblem> {
    let mut units: Vec<(String, i64)> = Vec::new();
    for line in lines {
        match units.iter_mut().find(|(sku, _)| *sku == line.sku) {
            Some((_, total)) => *total += i64::from(line.quantity),
            None => units.push((line.sku.clone(), i64::from(line.quantity))),
        }
    }
    let new = NewCase {
        order_id: order,
        kind: CaseKind::ReturnRefund,
        reason: Some(format!(
            "returned to warehouse {} with no case waiting (report {} from {})",
            report.warehouse, report.event_id, report.connector
        )),
        lines: units,
        exchange_lines: Vec::new(),
        channel_case_id: None,
        channel_status: None,
    };
    let now = Utc::now();
    let case = store
        .open_case(tenant, &new, &report.actor, now)
        .await
        .map_err(ActionError::from)?
        .map_err(refused)?;
    Ok(case)
}

/// Counts the lines into a case (approving it first if it was only requested).
async fn receive(
    store: &dyn Store,
    tenant: &TenantId,
    case: &CaseRecord,
    lines: &[ReturnLine],
    report: &Report<'_>,
) -> Result<CaseRecord, CallbackProblem> {
    let flow = CaseFlow::default();
    let now = Utc::now();
    if case.status == CaseStatus::Requested {
        store
            .case_command(tenant, case.id, &CaseCommand::Approve, &flow, &report.actor, now)
            .await
            .map_err(ActionError::from)?
            .map_err(refused)?;
    }
    let receipts: Vec<Receipt> = lines
        .iter()
        .map(|line| {
            let disposition = disposition(line.disposition);
            Receipt {
                sku: line.sku.clone(),
                quantity: i64::from(line.quantity),
                disposition,
                warehouse: (disposition != Disposition::Missing).then(|| report.warehouse.to_owned()),
            }
        })
        .collect();
    let command = CaseCommand::Receive(receipts);
    let case = store
        .case_command(tenant, case.id, &command, &flow, &report.actor, now)
        .await
        .map_err(ActionError::from)?
        .map_err(refused)?;
    Ok(case)
}

fn disposition(disposition: ReturnDisposition) -> Disposition {
    match disposition {
        ReturnDisposition::Restock => Disposition::Restock,
        ReturnDisposition::Quarantine => Disposition::Quarantine,
        ReturnDisposition::WriteOff => Disposition::WriteOff,
        ReturnDisposition::Missing => Disposition::Missing,
    }
}

fn invalid(code: &'static str, message: String) -> CallbackProblem {
    ActionError::Invalid {
        code,
        message,
        details: Vec::new(),
    }
    .into()
}

/// An after-sale refusal as the callback's answer: a move the case cannot make is a
/// conflict, anything else a report that cannot be taken as it is.
fn refused(error: AfterSaleError) -> CallbackProblem {
    match error {
        AfterSaleError::Case(e @ CaseError::IllegalTransition { .. }) => ActionError::Workflow {
            code: e.code(),
            message: e.to_string(),
        }
        .into(),
        other => invalid(other.code(), other.to_string()),
    }
}
