//! One order: header, buyer, address, lines with what each reserved where, parcels, and
//! one timeline of everything that happened to it (events, repairs with before → after,
//! holds, merges, status moves).

use askama::Template;
use axum::extract::{Path, State};
use axum::response::IntoResponse;
use ordo_core::allocation::OrderStock;
use ordo_core::auth::Permission;
use ordo_core::{OrderId, OrderStatus};
use ordo_store::OrderRecord;
use ordo_store::fulfilment::shipments::{ShipmentQuery, ShipmentRecord};

use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// One entry of the timeline.
pub struct Moment {
    /// When.
    pub at: chrono::DateTime<chrono::Utc>,
    /// The event's stable kind.
    pub kind: String,
    /// Who.
    pub actor: String,
    /// A class for the dot: `hold`, `repair` or empty.
    pub class: &'static str,
    /// The details, as readable JSON.
    pub detail: String,
}

/// The order page.
#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    c: Chrome,
    o: OrderRecord,
    stock: OrderStock,
    parcels: Vec<ShipmentRecord>,
    timeline: Vec<Moment>,
    actions: Vec<&'static str>,
}

/// `GET /orders/{id}`.
pub async fn show(State(console): State<Console>, signed: Signed, Path(id): Path<String>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let id = uuid::Uuid::parse_str(&id).map_err(|_| crate::screens::bulk::invalid("id", "not an order id"))?;
    let id = OrderId(id);
    let store = &console.app.store;
    let shipments = ShipmentQuery {
        order: Some(id),
        limit: 50,
        ..ShipmentQuery::default()
    };
    let (record, stock, parcels) = tokio::try_join!(
        store.get_order(&principal.tenant, id),
        store.get_order_stock(&principal.tenant, id),
        store.list_shipments(&principal.tenant, &shipments),
    )?;
    let Some(o) = record else {
        return Err(ordo_api::error::ApiError::NotFound(format!("order {id} not found")).into());
    };
    let timeline = o
        .events
        .iter()
        .rev()
        .map(|e| Moment {
            at: e.at,
            kind: e.kind.clone(),
            actor: e.actor.clone(),
            class: if e.kind.contains("hold") {
                "hold"
            } else if e.kind.contains("repair") || e.kind.contains("edit") {
                "repair"
            } else {
                ""
            },
            detail: serde_json::to_string_pretty(&e.data).unwrap_or_default(),
        })
        .collect();
    let held = o.state.status == OrderStatus::OnHold;
    // The buttons the workflow allows from here, for a role that may act at all.
    let actions = if signed.may(Permission::Operate) {
        let tenant = &principal.tenant;
        let from = o.state.status;
        let mut actions = Vec::new();
        let reach = |to| {
            console
                .app
                .actions
                .steps(tenant, from, to)
                .is_some_and(|s| !s.is_empty())
        };
        if held && (reach(OrderStatus::Allocated) || reach(OrderStatus::Paid)) {
            actions.push("approve");
        }
        if held || from == OrderStatus::Paid {
            actions.push("rerun");
        }
        if !held && reach(OrderStatus::OnHold) {
            actions.push("hold");
        }
        if reach(OrderStatus::Cancelled) {
            actions.push("cancel");
        }
        actions
    } else {
        Vec::new()
    };
    let page = OrderPage {
        c: Chrome::new(&console, &signed, "orders"),
        o,
        stock,
        parcels,
        timeline,
        actions,
    };
    Ok(Page(page).into_response())
}
