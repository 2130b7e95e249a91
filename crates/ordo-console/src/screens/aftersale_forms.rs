//! The after-sale changes: open a case from the order page, move a case (approve,
//! decline, cancel, inspect, close, reopen), count goods that came back, and refund. Each
//! goes through the API's own functions (`command_case`, `refund`, `send_exchange` for
//! the order an approved exchange or reship sends), so the console and the API cannot
//! diverge.
//!
//! A change that works reloads the page (or opens the new case); one that is refused
//! answers the stable code and message, which the page shows where the result goes.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderValue;
use axum::response::IntoResponse;
use chrono::Utc;
use ordo_api::error::ApiError;
use ordo_api::routes::aftersales::cases::{self, command_case, send_exchange};
use ordo_core::OrderId;
use ordo_core::aftersale::{CaseAction, CaseKind, Disposition, Receipt};
use ordo_core::auth::Permission;
use ordo_core::money::{Currency, Money};
use ordo_store::aftersales::records::{CaseCommand, NewCase, NewRefund};

use crate::screens::aftersale_case::{MOVES, case_id};
use crate::screens::bulk::invalid;
use crate::screens::{field, form_fields, refresh};
use crate::session::Signed;
use crate::{Console, ScreenResult};

/// `POST /aftersales/{id}/move`: `action` (one of the case page's moves) and `reason`,
/// which is the inspection's note for `inspect`.
pub async fn move_case(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = case_id(&id)?;
    let fields = form_fields(&body);
    let action = field(&fields, "action")
        .and_then(|a| CaseAction::parse(&a))
        .filter(|a| MOVES.contains(a))
        .ok_or_else(|| invalid("action", "approve, decline, cancel, inspect, close or reopen"))?;
    let reason = field(&fields, "reason");
    let command = match action {
        CaseAction::Approve => CaseCommand::Approve,
        CaseAction::Decline => CaseCommand::Decline(reason),
        CaseAction::Cancel => CaseCommand::Cancel(reason),
        CaseAction::Inspect => CaseCommand::Inspect(reason),
        CaseAction::Close => CaseCommand::Close,
        _ => CaseCommand::Reopen,
    };
    let case = command_case(&console.app, principal, id, &command).await?;
    if command == CaseCommand::Approve && matches!(case.kind, CaseKind::Exchange | CaseKind::Reship) {
        send_exchange(&console.app, principal, &case).await?;
    }
    Ok(refresh())
}

/// The receipt form's rows, `r{i}.sku`, `r{i}.quantity`, `r{i}.disposition`,
/// `r{i}.warehouse` (blank: where it shipped from); rows left at 0 are skipped.
fn receipts(fields: &[(String, String)]) -> ScreenResult<Vec<Receipt>> {
    let mut out = Vec::new();
    for i in 0.. {
        let Some(sku) = field(fields, &format!("r{i}.sku")) else {
            break;
        };
        let quantity: i64 = field(fields, &format!("r{i}.quantity"))
            .unwrap_or_else(|| "0".into())
            .parse()
            .map_err(|_| invalid(&format!("r{i}.quantity"), "a whole number"))?;
        if quantity == 0 {
            continue;
        }
        let disposition = field(fields, &format!("r{i}.disposition"))
            .and_then(|d| Disposition::parse(&d))
            .ok_or_else(|| {
                invalid(
                    &format!("r{i}.disposition"),
                    "restock, quarantine, write_off or missing",
                )
            })?;
        out.push(Receipt {
            sku,
            quantity,
            disposition,
            warehouse: field(fields, &format!("r{i}.warehouse")),
        });
    }
    if out.is_empty() {
        return Err(invalid("quantity", "at least one unit"));
    }
    Ok(out)
}

/// `POST /aftersales/{id}/receive`: the receipt form. Stock moves here and only here.
pub async fn receive(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = case_id(&id)?;
    let receipts = receipts(&form_fields(&body))?;
    command_case(&console.app, principal, id, &CaseCommand::Receive(receipts)).await?;
    Ok(refresh())
}

/// A decimal amount of the order's currency, in minor units; blank as none.
fn decimal(fields: &[(String, String)], name: &str, currency: Currency) -> ScreenResult<Option<i64>> {
    field(fields, name)
        .map(|text| {
            Money::parse(&text, currency)
                .map(|m| m.minor)
                .map_err(|message| invalid(name, &message))
        })
        .transpose()
}

/// `POST /aftersales/{id}/refund`: `amount`, `computed` (the amount the form was filled
/// with), `shipping`, `restocking_fee_permille`, `note`. An amount left as computed is
/// sent as none, so the store computes it with the shipping and fee given; one typed in
/// is refunded as typed (never past what was paid: the store checks).
pub async fn refund(
    State(console): State<Console>,
    signed: Signed,
    Path(id): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let id = case_id(&id)?;
    let store = &console.app.store;
    let case = store
        .get_case(&principal.tenant, id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("case {id} not found")))?
        .case;
    let order = store
        .get_order(&principal.tenant, case.order_id)
        .await?
        .ok_or_else(|| ApiError::NotFound(format!("order {} not found", case.order_id)))?;
    let currency = order.state.order.currency;
    let fields = form_fields(&body);
    let typed = field(&fields, "amount");
    let amount = if typed.is_some() && typed == field(&fields, "computed") {
        None
    } else {
        decimal(&fields, "amount", currency)?
    };
    let permille = field(&fields, "restocking_fee_permille")
        .map(|p| p.parse::<i64>().ok().filter(|p| (0..=1000).contains(p)))
        .map(|p| p.ok_or_else(|| invalid("restocking_fee_permille", "0 to 1000")))
        .transpose()?;
    let new = NewRefund {
        order_id: case.order_id,
        case_id: Some(id),
        channel_refund_id: None,
        units: Default::default(),
        shipping: decimal(&fields, "shipping", currency)?.unwrap_or(0),
        amount,
        restocking_fee_permille: permille.unwrap_or_else(|| {
            console
                .app
                .actions
                .aftersales(&principal.tenant)
                .restocking_fee_permille
        }),
        source: "ordo".into(),
        stated_amount: None,
        note: field(&fields, "note"),
    };
    // The refund itself shows when the page reloads.
    let _recorded = cases::refund(&console.app, principal, new).await?;
    Ok(refresh())
}

/// `POST /orders/{id}/aftersales`: `kind`, `reason`, the order's lines as `l{i}.sku` and
/// `l{i}.quantity` (blank or 0: not in the case), and for an exchange `exchange_sku` and
/// `exchange_quantity`. Opens the new case's page.
pub async fn open(
    State(console): State<Console>,
    signed: Signed,
    Path(order): Path<String>,
    body: Bytes,
) -> ScreenResult {
    let principal = signed.require(Permission::Operate)?;
    let order = uuid::Uuid::parse_str(&order).map_err(|_| invalid("id", "not an order id"))?;
    let fields = form_fields(&body);
    let kind = field(&fields, "kind")
        .and_then(|k| CaseKind::parse(&k))
        .ok_or_else(|| invalid("kind", "refund_only, return_refund, exchange or reship"))?;
    let units = |name: String| -> ScreenResult<i64> {
        field(&fields, &name)
            .unwrap_or_else(|| "0".into())
            .parse()
            .map_err(|_| invalid(&name, "a whole number"))
    };
    let mut lines = Vec::new();
    for i in 0.. {
        let Some(sku) = field(&fields, &format!("l{i}.sku")) else {
            break;
        };
        let quantity = units(format!("l{i}.quantity"))?;
        if quantity != 0 {
            lines.push((sku, quantity));
        }
    }
    let exchange_lines = match (kind, field(&fields, "exchange_sku")) {
        (CaseKind::Exchange | CaseKind::Reship, Some(sku)) => {
            // A blank quantity is one unit, the usual exchange.
            let quantity = match units("exchange_quantity".into())? {
                0 => 1,
                n => n,
            };
            vec![(sku, quantity)]
        }
        _ => Vec::new(),
    };
    let new = NewCase {
        order_id: OrderId(order),
        kind,
        reason: field(&fields, "reason"),
        lines,
        exchange_lines,
        channel_case_id: None,
        channel_status: None,
    };
    let case = console
        .app
        .store
        .open_case(&principal.tenant, &new, &principal.actor, Utc::now())
        .await?
        .map_err(ApiError::from)?;
    console.app.feed.bump();
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    if let Ok(to) = HeaderValue::from_str(&format!("/aftersales/{}", case.id)) {
        response.headers_mut().insert("hx-redirect", to);
    }
    Ok(response)
}
