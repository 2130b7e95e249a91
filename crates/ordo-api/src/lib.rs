//! Ordo's HTTP API.
//!
//! Owns routing, authentication, request limits, the error table (stable codes, see
//! [`error::ApiError`]) and the OpenAPI document generated from the handlers
//! (`/api/v1/openapi.json`). Handlers parse and authorise, then call `ordo-app` for writes
//! and the store for reads.
//!
//! Invariant: every route except `/healthz`, `/metrics` and the platform webhooks takes
//! the [`auth::Auth`] extractor, and every store call is scoped by the authenticated
//! tenant. Platform webhooks (`/api/v1/hooks/…`) are authenticated by the platform's
//! signature over the raw body instead, and scoped by the tenant in their path.

pub mod auth;
pub mod error;
pub mod extract;
pub mod routes;
pub mod state;
pub mod views;

use std::time::Instant;

use axum::Router;
use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{get, post};
use tower_http::timeout::TimeoutLayer;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

pub use state::{AppState, HttpLimits, ReviewSettings};

use crate::error::ApiError;

/// The OpenAPI document, generated from the handlers' annotations.
#[derive(OpenApi)]
#[openapi(
    info(title = "Ordo API", description = "Multi-channel order hub: orders, inbox, tokens."),
    paths(
        routes::orders::create_order,
        routes::orders::ingest_mapped,
        routes::orders::platform_hook,
        routes::orders::list_mappings,
        routes::orders::get_order,
        routes::orders::search_orders,
        routes::inbox::list_inbox,
        routes::inbox::get_inbox,
        routes::inbox::replay_inbox,
        routes::catalogue::put_warehouse,
        routes::catalogue::list_warehouses,
        routes::catalogue::put_sku,
        routes::catalogue::get_sku,
        routes::catalogue::list_skus,
        routes::aliases::put_alias,
        routes::aliases::list_aliases,
        routes::aliases::delete_alias,
        routes::stock::change_stock,
        routes::stock::import_stock_csv,
        routes::stock::availability,
        routes::stock::list_movements,
        routes::stock::check,
        routes::routing::routing,
        routes::routing::what_if,
        routes::fulfilment::ship,
        routes::fulfilment::return_goods,
        routes::fulfilment::cancel,
        routes::fulfilment::retry,
        routes::fulfilment::order_stock,
        routes::live::stream,
        routes::live::feed,
        routes::live::put_channel_rule,
        routes::live::list_channel_rules,
        routes::live::channel_stock,
        routes::live::alerts,
        routes::live::outbox,
        routes::matching::list_drift,
        routes::channels::list_channels,
        routes::channels::poll_channel,
        routes::matching::duplicates,
        routes::matching::merge_candidates,
        routes::matching::list_merges,
        routes::matching::create_merge,
        routes::matching::undo_merge,
        routes::consolidation::pool,
        routes::consolidation::consolidate,
        routes::consolidation::release,
        routes::review::list_exceptions,
        routes::review::approve,
        routes::review::rerun,
        routes::review::hold,
        routes::review::bulk,
        routes::review::transition,
        routes::policies::workflow,
        routes::policies::rules,
        routes::policies::rules_dry_run,
        routes::policies::reload,
        routes::policies::edit_order,
        routes::wms::health,
        routes::wms::callback,
        routes::subscriptions::create_subscription,
        routes::subscriptions::list_subscriptions,
        routes::subscriptions::delete_subscription,
        routes::subscriptions::list_deliveries,
        routes::tracking::receive,
        routes::tracking::list_inbound,
        routes::tracking::replay_inbound,
        routes::tracking::list_shipments,
        routes::tracking::acknowledge,
        routes::tokens::create_token,
        routes::tokens::list_tokens,
        routes::tokens::revoke_token,
        routes::system::healthz,
        routes::system::metrics,
        routes::system::openapi,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "orders", description = "Canonical orders in and out"),
        (name = "inbox", description = "Every inbound payload, and replay of failed ones"),
        (name = "inventory", description = "Warehouses, catalogue, stock, movements, availability"),
        (name = "fulfilment", description = "Ship, return, cancel, retry: an order's stock after it arrives"),
        (name = "channels", description = "Connectors, mappings and payload drift"),
        (name = "review", description = "Workflow, review rules, the exception queue and order corrections"),
        (name = "live", description = "Live stream and feed, channel quantities, alerts, outbox"),
        (name = "subscriptions", description = "Webhook receivers for feed events, and their deliveries"),
        (name = "tracking", description = "Carrier tracking updates, parcels and delivery problems"),
        (name = "tokens", description = "API tokens of the caller's tenant"),
        (name = "system", description = "Health, metrics, this document"),
    )
)]
pub struct ApiDoc;

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The whole API.
pub fn router(state: AppState) -> Router {
    let limits = state.limits;
    let api = Router::new()
        .route(
            "/api/v1/orders",
            post(routes::orders::create_order).get(routes::orders::search_orders),
        )
        .route("/api/v1/ingest/{mapping}", post(routes::orders::ingest_mapped))
        .route("/api/v1/hooks/{platform}/{tenant}", post(routes::orders::platform_hook))
        .route("/api/v1/mappings", get(routes::orders::list_mappings))
        .route("/api/v1/orders/duplicates", get(routes::matching::duplicates))
        .route(
            "/api/v1/orders/{id}",
            get(routes::orders::get_order).patch(routes::policies::edit_order),
        )
        .route("/api/v1/orders/{id}/transitions", post(routes::review::transition))
        .route("/api/v1/orders/{id}/hold", post(routes::review::hold))
        .route("/api/v1/exceptions", get(routes::review::list_exceptions))
        .route("/api/v1/exceptions/bulk", post(routes::review::bulk))
        .route("/api/v1/exceptions/{id}/approve", post(routes::review::approve))
        .route("/api/v1/exceptions/{id}/rerun", post(routes::review::rerun))
        .route("/api/v1/workflow", get(routes::policies::workflow))
        .route("/api/v1/rules", get(routes::policies::rules))
        .route("/api/v1/rules/dry-run", post(routes::policies::rules_dry_run))
        .route("/api/v1/policies/reload", post(routes::policies::reload))
        .route(
            "/api/v1/merges",
            get(routes::matching::list_merges).post(routes::matching::create_merge),
        )
        .route("/api/v1/merges/candidates", get(routes::matching::merge_candidates))
        .route(
            "/api/v1/merges/{id}",
            axum::routing::delete(routes::matching::undo_merge),
        )
        .route("/api/v1/consolidation", post(routes::consolidation::consolidate))
        .route("/api/v1/consolidation/pool", get(routes::consolidation::pool))
        .route(
            "/api/v1/consolidation/{match_key}/release",
            post(routes::consolidation::release),
        )
        .route("/api/v1/drift", get(routes::matching::list_drift))
        .route("/api/v1/channels", get(routes::channels::list_channels))
        .route("/api/v1/channels/{channel}/poll", post(routes::channels::poll_channel))
        .route("/api/v1/orders/{id}/ship", post(routes::fulfilment::ship))
        .route("/api/v1/orders/{id}/return", post(routes::fulfilment::return_goods))
        .route("/api/v1/orders/{id}/cancel", post(routes::fulfilment::cancel))
        .route("/api/v1/orders/{id}/retry", post(routes::fulfilment::retry))
        .route("/api/v1/orders/{id}/stock", get(routes::fulfilment::order_stock))
        .route("/api/v1/stream", get(routes::live::stream))
        .route("/api/v1/feed", get(routes::live::feed))
        .route("/api/v1/channels/stock-rules", get(routes::live::list_channel_rules))
        .route(
            "/api/v1/channels/{channel}/stock-rule",
            axum::routing::put(routes::live::put_channel_rule),
        )
        .route("/api/v1/channels/{channel}/stock", get(routes::live::channel_stock))
        .route("/api/v1/alerts", get(routes::live::alerts))
        .route("/api/v1/outbox", get(routes::live::outbox))
        .route("/api/v1/inbox", get(routes::inbox::list_inbox))
        .route("/api/v1/inbox/{id}", get(routes::inbox::get_inbox))
        .route("/api/v1/inbox/{id}/replay", post(routes::inbox::replay_inbox))
        .route(
            "/api/v1/subscriptions",
            post(routes::subscriptions::create_subscription).get(routes::subscriptions::list_subscriptions),
        )
        .route(
            "/api/v1/subscriptions/{id}",
            axum::routing::delete(routes::subscriptions::delete_subscription),
        )
        .route(
            "/api/v1/subscriptions/{id}/deliveries",
            get(routes::subscriptions::list_deliveries),
        )
        .route("/api/v1/tracking/inbound", get(routes::tracking::list_inbound))
        .route(
            "/api/v1/tracking/inbound/{id}/replay",
            post(routes::tracking::replay_inbound),
        )
        .route("/api/v1/tracking/{source}", post(routes::tracking::receive))
        .route("/api/v1/shipments", get(routes::tracking::list_shipments))
        .route(
            "/api/v1/shipments/{id}/acknowledge",
            post(routes::tracking::acknowledge),
        )
        .route(
            "/api/v1/tokens",
            post(routes::tokens::create_token).get(routes::tokens::list_tokens),
        )
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(routes::tokens::revoke_token),
        )
        .route("/api/v1/warehouses", get(routes::catalogue::list_warehouses))
        .route("/api/v1/warehouses/{code}/events", post(routes::wms::callback))
        .route("/api/v1/warehouse-connectors", get(routes::wms::health))
        .route(
            "/api/v1/warehouses/{code}",
            axum::routing::put(routes::catalogue::put_warehouse),
        )
        .route("/api/v1/skus", get(routes::catalogue::list_skus))
        .route(
            "/api/v1/skus/{code}",
            axum::routing::put(routes::catalogue::put_sku).get(routes::catalogue::get_sku),
        )
        .route("/api/v1/sku-aliases", get(routes::aliases::list_aliases))
        .route(
            "/api/v1/sku-aliases/{alias}",
            axum::routing::put(routes::aliases::put_alias).delete(routes::aliases::delete_alias),
        )
        .route("/api/v1/stock/changes", post(routes::stock::change_stock))
        .route("/api/v1/stock/import", post(routes::stock::import_stock_csv))
        .route("/api/v1/availability/{sku}", get(routes::stock::availability))
        .route("/api/v1/movements", get(routes::stock::list_movements))
        .route("/api/v1/inventory/check", get(routes::stock::check))
        .route("/api/v1/routing", get(routes::routing::routing))
        .route("/api/v1/routing/what-if", post(routes::routing::what_if))
        .route("/api/v1/openapi.json", get(routes::system::openapi))
        .route("/healthz", get(routes::system::healthz))
        .route("/metrics", get(routes::system::metrics));
    api.fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(record_metrics))
        .with_state(state)
}

async fn not_found() -> ApiError {
    ApiError::NotFound("no such route".into())
}

async fn method_not_allowed() -> ApiError {
    ApiError::NotFound("no such method on this route".into())
}

/// Counts requests and their latency per route and status.
async fn record_metrics(request: Request, next: Next) -> Response {
    let started = Instant::now();
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map(|p| p.as_str().to_owned())
        .unwrap_or_else(|| "other".into());
    let method = request.method().to_string();
    let response = next.run(request).await;
    let status = response.status().as_u16().to_string();
    metrics::counter!("ordo_http_requests_total", "method" => method.clone(), "route" => route.clone(), "status" => status)
        .increment(1);
    metrics::histogram!("ordo_http_request_seconds", "method" => method, "route" => route)
        .record(started.elapsed().as_secs_f64());
    response
}
