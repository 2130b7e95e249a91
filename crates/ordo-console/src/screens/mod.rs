//! The screens, one module each; every one reads through the store's queries and writes
//! through the application services, as the API does.

pub mod bulk;
pub mod dashboard;
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
        .route("/views/{screen}", post(views::save).delete(views::remove))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", post(users::change))
}

/// The fields of a form body, repeated keys kept (`order_ids=a&order_ids=b`).
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}
