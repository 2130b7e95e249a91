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
        routes::orders::order::create_order,
        routes::orders::order::ingest_mapped,
        routes::orders::order::platform_hook,
        routes::orders::order::list_mappings,
        routes::orders::order::get_order,
        routes::orders::order::search_orders,
        routes::orders::kpis::kpis,
        routes::orders::inbox::list_inbox,
        routes::orders::inbox::get_inbox,
        routes::orders::inbox::replay_inbox,
        routes::stock::catalogue::put_warehouse,
        routes::stock::catalogue::list_warehouses,
        routes::stock::catalogue::put_sku,
        routes::stock::catalogue::get_sku,
        routes::stock::catalogue::list_skus,
        routes::stock::aliases::put_alias,
        routes::stock::aliases::list_aliases,
        routes::stock::aliases::delete_alias,
        routes::stock::levels::change_stock,
        routes::stock::levels::import_stock_csv,
        routes::stock::levels::availability,
        routes::stock::levels::list_movements,
        routes::stock::levels::check,
        routes::stock::routing::routing,
        routes::stock::routing::what_if,
        routes::aftersales::cases::open_case,
        routes::aftersales::cases::list_cases,
        routes::aftersales::cases::get_case,
        routes::aftersales::cases::move_case,
        routes::aftersales::cases::receive,
        routes::aftersales::cases::refund_case,
        routes::aftersales::cases::refund_order,
        routes::aftersales::reports::amazon_returns,
        routes::fulfilment::requests::ship,
        routes::fulfilment::requests::return_goods,
        routes::fulfilment::requests::cancel,
        routes::fulfilment::requests::retry,
        routes::fulfilment::requests::order_stock,
        routes::delivery::live::stream,
        routes::delivery::live::feed,
        routes::delivery::live::put_channel_rule,
        routes::delivery::live::list_channel_rules,
        routes::delivery::live::channel_stock,
        routes::delivery::live::alerts,
        routes::delivery::live::outbox,
        routes::delivery::live::retry_outbox,
        routes::channels::matching::list_drift,
        routes::channels::connectors::list_channels,
        routes::channels::connectors::poll_channel,
        routes::channels::connectors::get_channel,
        routes::channels::connectors::put_channel,
        routes::channels::connectors::delete_channel,
        routes::fulfilment::wms::connection_callback,
        routes::system::cluster,
        routes::channels::matching::duplicates,
        routes::channels::matching::merge_candidates,
        routes::channels::matching::list_merges,
        routes::channels::matching::create_merge,
        routes::channels::matching::undo_merge,
        routes::fulfilment::consolidation::pool,
        routes::fulfilment::consolidation::consolidate,
        routes::fulfilment::consolidation::release,
        routes::review::exceptions::list_exceptions,
        routes::review::exceptions::approve,
        routes::review::exceptions::rerun,
        routes::review::exceptions::hold,
        routes::review::exceptions::bulk,
        routes::review::exceptions::transition,
        routes::review::policies::workflow,
        routes::review::policies::rules,
        routes::review::policies::rules_dry_run,
        routes::review::policies::reload,
        routes::settings::policies::list,
        routes::settings::policies::get,
        routes::settings::policies::put,
        routes::settings::policies::reset,
        routes::settings::policies::versions,
        routes::settings::policies::version,
        routes::settings::policies::restore,
        routes::review::policies::edit_order,
        routes::fulfilment::wms::health,
        routes::fulfilment::wms::callback,
        routes::delivery::subscriptions::create_subscription,
        routes::delivery::subscriptions::list_subscriptions,
        routes::delivery::subscriptions::delete_subscription,
        routes::delivery::subscriptions::list_deliveries,
        routes::fulfilment::tracking::receive,
        routes::fulfilment::tracking::list_inbound,
        routes::fulfilment::tracking::replay_inbound,
        routes::fulfilment::tracking::list_shipments,
        routes::fulfilment::tracking::acknowledge,
        routes::orders::tokens::create_token,
        routes::orders::tokens::list_tokens,
        routes::orders::tokens::revoke_token,
        routes::system::healthz,
        routes::system::metrics,
        routes::system::openapi,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "orders", description = "Canonical orders in and out"),
        (name = "inbox", description = "Every inbound payload, and replay of failed ones"),
        (name = "inventory", description = "Warehouses, catalogue, stock, movements, availability"),
        (name = "aftersales", description = "Returns, refunds, exchanges and reships: goods and money kept apart"),
        (name = "fulfilment", description = "Ship, return, cancel, retry: an order's stock after it arrives"),
        (name = "channels", description = "Connectors, mappings and payload drift"),
        (name = "review", description = "Workflow, review rules, the exception queue and order corrections"),
        (name = "live", description = "Live stream and feed, channel quantities, alerts, outbox"),
        (name = "subscriptions", description = "Webhook receivers for feed events, and their deliveries"),
        (name = "tracking", description = "Carrier tracking updates, parcels and delivery problems"),
        (name = "tokens", description = "API tokens of the caller's tenant"),
        (name = "settings", description = "A tenant's policies as versioned TOML: check, save, history, restore"),
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
    router_with(state, Router::new())
}

/// The whole API with more routes beside it (the console), under the same limits and
/// metrics and the API's JSON answer for an unknown route.
pub fn router_with(state: AppState, beside: Router) -> Router {
    let limits = state.limits;
    let api = Router::new()
        .route(
            "/api/v1/orders",
            post(routes::orders::order::create_order).get(routes::orders::order::search_orders),
        )
        .route("/api/v1/ingest/{mapping}", post(routes::orders::order::ingest_mapped))
        .route(
            "/api/v1/hooks/{platform}/{connection}",
            post(routes::orders::order::platform_hook),
        )
        .route("/api/v1/mappings", get(routes::orders::order::list_mappings))
        .route("/api/v1/orders/duplicates", get(routes::channels::matching::duplicates))
        .route(
            "/api/v1/orders/{id}",
            get(routes::orders::order::get_order).patch(routes::review::policies::edit_order),
        )
        .route(
            "/api/v1/orders/{id}/transitions",
            post(routes::review::exceptions::transition),
        )
        .route("/api/v1/orders/{id}/hold", post(routes::review::exceptions::hold))
        .route("/api/v1/exceptions", get(routes::review::exceptions::list_exceptions))
        .route("/api/v1/exceptions/bulk", post(routes::review::exceptions::bulk))
        .route(
            "/api/v1/exceptions/{id}/approve",
            post(routes::review::exceptions::approve),
        )
        .route("/api/v1/exceptions/{id}/rerun", post(routes::review::exceptions::rerun))
        .route("/api/v1/workflow", get(routes::review::policies::workflow))
        .route("/api/v1/rules", get(routes::review::policies::rules))
        .route("/api/v1/rules/dry-run", post(routes::review::policies::rules_dry_run))
        .route("/api/v1/policies/reload", post(routes::review::policies::reload))
        .route("/api/v1/policies", get(routes::settings::policies::list))
        .route(
            "/api/v1/policies/{kind}",
            get(routes::settings::policies::get)
                .put(routes::settings::policies::put)
                .delete(routes::settings::policies::reset),
        )
        .route(
            "/api/v1/policies/{kind}/versions",
            get(routes::settings::policies::versions),
        )
        .route(
            "/api/v1/policies/{kind}/versions/{version}",
            get(routes::settings::policies::version),
        )
        .route(
            "/api/v1/policies/{kind}/versions/{version}/restore",
            post(routes::settings::policies::restore),
        )
        .route(
            "/api/v1/merges",
            get(routes::channels::matching::list_merges).post(routes::channels::matching::create_merge),
        )
        .route(
            "/api/v1/merges/candidates",
            get(routes::channels::matching::merge_candidates),
        )
        .route(
            "/api/v1/merges/{id}",
            axum::routing::delete(routes::channels::matching::undo_merge),
        )
        .route(
            "/api/v1/consolidation",
            post(routes::fulfilment::consolidation::consolidate),
        )
        .route(
            "/api/v1/consolidation/pool",
            get(routes::fulfilment::consolidation::pool),
        )
        .route(
            "/api/v1/consolidation/{match_key}/release",
            post(routes::fulfilment::consolidation::release),
        )
        .route("/api/v1/drift", get(routes::channels::matching::list_drift))
        .route("/api/v1/channels", get(routes::channels::connectors::list_channels))
        .route(
            "/api/v1/channels/{channel}",
            get(routes::channels::connectors::get_channel)
                .put(routes::channels::connectors::put_channel)
                .delete(routes::channels::connectors::delete_channel),
        )
        .route("/api/v1/cluster", get(routes::system::cluster))
        .route(
            "/api/v1/channels/{channel}/poll",
            post(routes::channels::connectors::poll_channel),
        )
        .route(
            "/api/v1/aftersales",
            post(routes::aftersales::cases::open_case).get(routes::aftersales::cases::list_cases),
        )
        .route("/api/v1/aftersales/{id}", get(routes::aftersales::cases::get_case))
        .route(
            "/api/v1/aftersales/{id}/receive",
            post(routes::aftersales::cases::receive),
        )
        .route(
            "/api/v1/aftersales/{id}/refund",
            post(routes::aftersales::cases::refund_case),
        )
        .route(
            "/api/v1/aftersales/{id}/{action}",
            post(routes::aftersales::cases::move_case),
        )
        .route(
            "/api/v1/orders/{id}/refunds",
            post(routes::aftersales::cases::refund_order),
        )
        .route(
            "/api/v1/channels/{channel}/amazon-returns",
            post(routes::aftersales::reports::amazon_returns),
        )
        .route("/api/v1/orders/{id}/ship", post(routes::fulfilment::requests::ship))
        .route(
            "/api/v1/orders/{id}/return",
            post(routes::fulfilment::requests::return_goods),
        )
        .route("/api/v1/orders/{id}/cancel", post(routes::fulfilment::requests::cancel))
        .route("/api/v1/orders/{id}/retry", post(routes::fulfilment::requests::retry))
        .route(
            "/api/v1/orders/{id}/stock",
            get(routes::fulfilment::requests::order_stock),
        )
        .route("/api/v1/stream", get(routes::delivery::live::stream))
        .route("/api/v1/feed", get(routes::delivery::live::feed))
        .route(
            "/api/v1/channels/stock-rules",
            get(routes::delivery::live::list_channel_rules),
        )
        .route(
            "/api/v1/channels/{channel}/stock-rule",
            axum::routing::put(routes::delivery::live::put_channel_rule),
        )
        .route(
            "/api/v1/channels/{channel}/stock",
            get(routes::delivery::live::channel_stock),
        )
        .route("/api/v1/alerts", get(routes::delivery::live::alerts))
        .route("/api/v1/outbox", get(routes::delivery::live::outbox))
        .route("/api/v1/outbox/{id}/retry", post(routes::delivery::live::retry_outbox))
        .route("/api/v1/kpis", get(routes::orders::kpis::kpis))
        .route("/api/v1/inbox", get(routes::orders::inbox::list_inbox))
        .route("/api/v1/inbox/{id}", get(routes::orders::inbox::get_inbox))
        .route("/api/v1/inbox/{id}/replay", post(routes::orders::inbox::replay_inbox))
        .route(
            "/api/v1/subscriptions",
            post(routes::delivery::subscriptions::create_subscription)
                .get(routes::delivery::subscriptions::list_subscriptions),
        )
        .route(
            "/api/v1/subscriptions/{id}",
            axum::routing::delete(routes::delivery::subscriptions::delete_subscription),
        )
        .route(
            "/api/v1/subscriptions/{id}/deliveries",
            get(routes::delivery::subscriptions::list_deliveries),
        )
        .route(
            "/api/v1/tracking/inbound",
            get(routes::fulfilment::tracking::list_inbound),
        )
        .route(
            "/api/v1/tracking/inbound/{id}/replay",
            post(routes::fulfilment::tracking::replay_inbound),
        )
        .route("/api/v1/tracking/{source}", post(routes::fulfilment::tracking::receive))
        .route("/api/v1/shipments", get(routes::fulfilment::tracking::list_shipments))
        .route(
            "/api/v1/shipments/{id}/acknowledge",
            post(routes::fulfilment::tracking::acknowledge),
        )
        .route(
            "/api/v1/tokens",
            post(routes::orders::tokens::create_token).get(routes::orders::tokens::list_tokens),
        )
        .route(
            "/api/v1/tokens/{id}",
            axum::routing::delete(routes::orders::tokens::revoke_token),
        )
        .route("/api/v1/warehouses", get(routes::stock::catalogue::list_warehouses))
        .route(
            "/api/v1/warehouses/{code}/events",
            post(routes::fulfilment::wms::callback),
        )
        .route("/api/v1/warehouse-connectors", get(routes::fulfilment::wms::health))
        .route(
            "/api/v1/warehouse-hooks/{connection}/events",
            post(routes::fulfilment::wms::connection_callback),
        )
        .route(
            "/api/v1/warehouses/{code}",
            axum::routing::put(routes::stock::catalogue::put_warehouse),
        )
        .route("/api/v1/skus", get(routes::stock::catalogue::list_skus))
        .route(
            "/api/v1/skus/{code}",
            axum::routing::put(routes::stock::catalogue::put_sku).get(routes::stock::catalogue::get_sku),
        )
        .route("/api/v1/sku-aliases", get(routes::stock::aliases::list_aliases))
        .route(
            "/api/v1/sku-aliases/{alias}",
            axum::routing::put(routes::stock::aliases::put_alias).delete(routes::stock::aliases::delete_alias),
        )
        .route("/api/v1/stock/changes", post(routes::stock::levels::change_stock))
        .route("/api/v1/stock/import", post(routes::stock::levels::import_stock_csv))
        .route("/api/v1/availability/{sku}", get(routes::stock::levels::availability))
        .route("/api/v1/movements", get(routes::stock::levels::list_movements))
        .route("/api/v1/inventory/check", get(routes::stock::levels::check))
        .route("/api/v1/routing", get(routes::stock::routing::routing))
        .route("/api/v1/routing/what-if", post(routes::stock::routing::what_if))
        .route("/api/v1/openapi.json", get(routes::system::openapi))
        .route("/healthz", get(routes::system::healthz))
        .route("/metrics", get(routes::system::metrics));
    api.with_state(state)
        .merge(beside)
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(limits.body_limit_bytes))
        .layer(TimeoutLayer::with_status_code(
            axum::http::StatusCode::REQUEST_TIMEOUT,
            limits.request_timeout,
        ))
        .layer(middleware::from_fn(record_metrics))
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
