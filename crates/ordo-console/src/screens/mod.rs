//! The screens, one module each; every one reads through the store's queries and writes
//! through the application services, as the API does.

pub mod aftersale_case;
pub mod aftersale_forms;
pub mod aftersales;
pub mod bulk;
pub mod channels;
pub mod channels_edit;
pub mod config;
pub mod config_trial;
pub mod dashboard;
pub mod exceptions;
pub mod exceptions_edit;
pub mod inbox;
pub mod inbox_entry;
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
        .route("/orders/{id}/aftersales", post(aftersale_forms::open))
        .route("/aftersales", get(aftersales::list))
        .route("/aftersales/{id}", get(aftersale_case::show))
        .route("/aftersales/{id}/move", post(aftersale_forms::move_case))
        .route("/aftersales/{id}/receive", post(aftersale_forms::receive))
        .route("/aftersales/{id}/refund", post(aftersale_forms::refund))
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
        .route("/channels", get(channels::list))
        .route("/channels/poll/{code}", post(channels::poll))
        .route(
            "/channels/connection/{kind}",
            get(channels_edit::form).post(channels_edit::save),
        )
        .route("/channels/connection/{kind}/delete", post(channels_edit::remove))
        .route("/config", get(config::index))
        .route("/config/{kind}", get(config::show))
        .route("/config/{kind}/check", post(config::check_text))
        .route("/config/{kind}/trial", post(config_trial::run))
        .route("/config/{kind}/save", post(config::save))
        .route("/config/{kind}/restore/{version}", post(config::restore))
        .route("/inbox", get(inbox::list))
        .route("/inbox/{id}", get(inbox_entry::show))
        .route("/inbox/{id}/replay", post(inbox_entry::replay))
        .route("/inbox/outbox/{id}/retry", post(inbox::retry))
        .route("/inbox/parcels/{id}/acknowledge", post(inbox::acknowledge))
}

/// A form field, trimmed; blank as none.
pub fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.trim().to_owned())
        .filter(|v| !v.is_empty())
}

/// An empty answer that has htmx reload the page, for changes that alter what it lists.
pub fn refresh() -> axum::response::Response {
    use axum::response::IntoResponse;
    let mut response = axum::http::StatusCode::NO_CONTENT.into_response();
    response
        .headers_mut()
        .insert("hx-refresh", axum::http::HeaderValue::from_static("true"));
    response
}

/// The fields of a form body, repeated keys kept (`order_ids=a&order_ids=b`).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}
