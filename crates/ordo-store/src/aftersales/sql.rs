//! The statements of after-sales, written once for every SQL store (see [`crate::sql`]).

use ordo_core::{OrderId, TenantId};
use serde_json::json;
use uuid::Uuid;

use crate::StoreResult;
use crate::aftersales::records::{CASE_COLUMNS, CaseEvent, CaseQuery, CaseRecord, REFUND_COLUMNS, RefundRecord};
use crate::columns::{Columns, Record};
use crate::orders::records::MAX_PAGE;
use crate::sql::{Param, SqlRun, SqlTx};

const EVENT_COLUMNS: &str = "seq, kind, status, data, actor, at";

/// Reads: a case, its events and refunds, a page of cases, an order's refunds.
pub(crate) async fn case<S: SqlRun + ?Sized>(db: &S, tenant: &TenantId, id: Uuid) -> StoreResult<Option<CaseRecord>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM aftersale_cases WHERE tenant_id = $1 AND id = $2");
    db.row(&sql, &[tenant.into(), id.into()], CaseRecord::read).await
}

pub(crate) async fn events<S: SqlRun + ?Sized>(db: &S, tenant: &TenantId, id: Uuid) -> StoreResult<Vec<CaseEvent>> {
    let sql =
        format!("SELECT {EVENT_COLUMNS} FROM aftersale_events WHERE tenant_id = $1 AND case_id = $2 ORDER BY seq");
    db.rows(&sql, &[tenant.into(), id.into()], CaseEvent::read).await
}

pub(crate) async fn case_refunds<S: SqlRun + ?Sized>(
    db: &S,
    tenant: &TenantId,
    id: Uuid,
) -> StoreResult<Vec<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE tenant_id = $1 AND case_id = $2 ORDER BY created_at, id");
    db.rows(&sql, &[tenant.into(), id.into()], RefundRecord::read).await
}

pub(crate) async fn order_refunds<S: SqlRun + ?Sized>(
    db: &S,
    tenant: &TenantId,
    order: OrderId,
) -> StoreResult<Vec<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at, id");
    db.rows(&sql, &[tenant.into(), order.0.into()], RefundRecord::read)
        .await
}

pub(crate) async fn cases<S: SqlRun + ?Sized>(
    db: &S,
    tenant: &TenantId,
    query: &CaseQuery,
) -> StoreResult<Vec<CaseRecord>> {
    let limit = i64::from(query.limit.clamp(1, MAX_PAGE));
    let status = query.status.map(|s| s.as_str());
    let order = query.order_id.map(|o| o.0);
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM aftersale_cases WHERE tenant_id = $1 \
         AND ($2 IS NULL OR status = $2) AND ($3 IS NULL OR order_id = $3) \
         ORDER BY updated_at DESC, id DESC LIMIT $4"
    );
    let params = [tenant.into(), Param::Text(status), order.into(), limit.into()];
    db.rows(&sql, &params, CaseRecord::read).await
}

pub(crate) async fn channel_case<S: SqlRun + ?Sized>(
    db: &S,
    tenant: &TenantId,
    channel: &str,
    channel_case_id: &str,
) -> StoreResult<Option<CaseRecord>> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM aftersale_cases WHERE tenant_id = $1 AND channel = $2 AND channel_case_id = $3"
    );
    db.row(
        &sql,
        &[tenant.into(), channel.into(), channel_case_id.into()],
        CaseRecord::read,
    )
    .await
}

fn count(row: &dyn Columns) -> StoreResult<(String, i64)> {
    Ok((row.text("status")?, row.int("n")?))
}

pub(crate) async fn counts<S: SqlRun + ?Sized>(db: &S, tenant: &TenantId) -> StoreResult<Vec<(String, i64)>> {
    let sql = "SELECT status, COUNT(*) AS n FROM aftersale_cases WHERE tenant_id = $1 GROUP BY status ORDER BY status";
    db.rows(sql, &[tenant.into()], count).await
}

/// Row operations inside a transaction.
pub(crate) async fn lock_case<T: SqlTx>(tx: &mut T, tenant: &TenantId, id: Uuid) -> StoreResult<Option<CaseRecord>> {
    let sql = format!(
        "SELECT {CASE_COLUMNS} FROM aftersale_cases WHERE tenant_id = $1 AND id = $2{}",
        tx.dialect().for_update()
    );
    tx.row(&sql, &[tenant.into(), id.into()], CaseRecord::read).await
}

pub(crate) async fn case_by_channel_id<T: SqlTx>(
    tx: &mut T,
    tenant: &TenantId,
    channel: &str,
    channel_case_id: &str,
) -> StoreResult<Option<Uuid>> {
    let sql = "SELECT id FROM aftersale_cases WHERE tenant_id = $1 AND channel = $2 AND channel_case_id = $3";
    tx.row(sql, &[tenant.into(), channel.into(), channel_case_id.into()], |r| {
        r.id("id")
    })
    .await
}

pub(crate) async fn order_cases_tx<T: SqlTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
) -> StoreResult<Vec<CaseRecord>> {
    let sql = format!("SELECT {CASE_COLUMNS} FROM aftersale_cases WHERE tenant_id = $1 AND order_id = $2");
    tx.rows(&sql, &[tenant.into(), order.0.into()], CaseRecord::read).await
}

pub(crate) async fn order_refunds_tx<T: SqlTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
) -> StoreResult<Vec<RefundRecord>> {
    let sql =
        format!("SELECT {REFUND_COLUMNS} FROM refunds WHERE tenant_id = $1 AND order_id = $2 ORDER BY created_at, id");
    tx.rows(&sql, &[tenant.into(), order.0.into()], RefundRecord::read)
        .await
}

pub(crate) async fn refund_by_channel_id<T: SqlTx>(
    tx: &mut T,
    tenant: &TenantId,
    order: OrderId,
    channel_refund_id: &str,
) -> StoreResult<Option<RefundRecord>> {
    let sql = format!(
        "SELECT {REFUND_COLUMNS} FROM refunds WHERE tenant_id = $1 AND order_id = $2 AND channel_refund_id = $3"
    );
    tx.row(
        &sql,
        &[tenant.into(), order.0.into(), channel_refund_id.into()],
        RefundRecord::read,
    )
    .await
}

pub(crate) async fn insert_case<T: SqlTx>(tx: &mut T, tenant: &TenantId, case: &CaseRecord) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO aftersale_cases (tenant_id, {CASE_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)"
    );
    let lines = json!(case.lines);
    let exchange = json!(case.exchange_lines);
    let params = [
        tenant.into(),
        case.id.into(),
        case.order_id.0.into(),
        (&case.channel).into(),
        (&case.external_order_id).into(),
        case.kind.as_str().into(),
        case.status.as_str().into(),
        (&case.reason).into(),
        (&case.channel_case_id).into(),
        (&case.channel_status).into(),
        (&lines).into(),
        (&exchange).into(),
        case.exchange_order_id.map(|o| o.0).into(),
        Param::Json(case.return_tracking.as_ref()),
        case.version.into(),
        case.created_at.into(),
        case.updated_at.into(),
    ];
    tx.run(&sql, &params).await.map(|_| ())
}

pub(crate) async fn update_case<T: SqlTx>(tx: &mut T, tenant: &TenantId, case: &CaseRecord) -> StoreResult<()> {
    let sql = "UPDATE aftersale_cases SET status = $3, channel_status = $4, lines = $5, exchange_order_id = $6, \
               return_tracking = $7, version = $8, updated_at = $9 WHERE tenant_id = $1 AND id = $2";
    let lines = json!(case.lines);
    let params = [
        tenant.into(),
        case.id.into(),
        case.status.as_str().into(),
        (&case.channel_status).into(),
        (&lines).into(),
        case.exchange_order_id.map(|o| o.0).into(),
        Param::Json(case.return_tracking.as_ref()),
        case.version.into(),
        case.updated_at.into(),
    ];
    tx.run(sql, &params).await.map(|_| ())
}

pub(crate) async fn insert_event<T: SqlTx>(
    tx: &mut T,
    tenant: &TenantId,
    case: Uuid,
    event: &CaseEvent,
) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO aftersale_events (tenant_id, case_id, {EVENT_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
    );
    let params = [
        tenant.into(),
        case.into(),
        event.seq.into(),
        event.kind.as_str().into(),
        event.status.as_str().into(),
        (&event.data).into(),
        event.actor.as_str().into(),
        event.at.into(),
    ];
    tx.run(&sql, &params).await.map(|_| ())
}

pub(crate) async fn insert_refund<T: SqlTx>(tx: &mut T, tenant: &TenantId, refund: &RefundRecord) -> StoreResult<()> {
    let sql = format!(
        "INSERT INTO refunds (tenant_id, {REFUND_COLUMNS}) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)"
    );
    let lines = json!(refund.lines);
    let params = [
        tenant.into(),
        refund.id.into(),
        refund.order_id.0.into(),
        refund.case_id.into(),
        (&refund.channel_refund_id).into(),
        refund.currency.as_str().into(),
        refund.amount.into(),
        refund.shipping.into(),
        refund.restocking_fee.into(),
        (&lines).into(),
        refund.source.as_str().into(),
        refund.stated_amount.into(),
        (&refund.note).into(),
        refund.created_by.as_str().into(),
        refund.created_at.into(),
    ];
    tx.run(&sql, &params).await.map(|_| ())
}

/// The last event number of a case.
pub(crate) async fn last_seq<T: SqlTx>(tx: &mut T, tenant: &TenantId, case: Uuid) -> StoreResult<i64> {
    let sql = "SELECT COALESCE(MAX(seq), 0) AS seq FROM aftersale_events WHERE tenant_id = $1 AND case_id = $2";
    Ok(tx
        .row(sql, &[tenant.into(), case.into()], |r| r.int("seq"))
        .await?
        .unwrap_or(0))
}
