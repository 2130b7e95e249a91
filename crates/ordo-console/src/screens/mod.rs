//! The screens, one module each; every one reads through the store's queries and writes
//! through the application services, as the API does.

pub mod bulk;
pub mod dashboard;
pub mod exceptions;
pub mod exceptions_edit;
pub mod inventory;
pub mod inventory_forms;
pub mod inventory_sku;
pub mod order;
pub mod orders;
pub mod users;
pub mod views;

use axum::Router;
use axum::routing::{get, post};

use crate::Console;

/// The screens' routes.
pub fn routes() -> Router<Console> {
    Router::new()
        .route("/dashboard", get(dashboard::show))
        .route("/dashboard/figures", get(dashboard::fragment))
        .route("/dashboard/live", get(dashboard::live))
        .route("/orders", get(orders::list))
        .route("/orders.csv", get(orders::export))
        .route("/orders/bulk", post(bulk::run))
        .route("/orders/{id}", get(order::show))
        .route("/exceptions", get(exceptions::list))
        .route("/exceptions/bulk", post(exceptions::run))
        .route(
            "/exceptions/{id}/edit",
            get(exceptions_edit::form).post(exceptions_edit::save),
        )
        .route("/inventory", get(inventory::list))
        .route("/inventory/changes", post(inventory_forms::change))
        .route("/inventory/import", post(inventory_forms::import))
        .route("/inventory/rules", post(inventory_forms::rule))
        .route("/inventory/{sku}", get(inventory_sku::show))
        .route("/views/{screen}", post(views::save).delete(views::remove))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", post(users::change))
}

/// The fields of a form body, repeated keys kept (`order_ids=a&order_ids=b`).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}
