//! `/api/v1/kpis`: the dashboard's figures for the caller's tenant (see
//! `ordo_app::kpis`), read from rollups the store keeps as orders move, never by scanning
//! orders.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;
use chrono::{DateTime, Duration, Utc};
use ordo_app::kpis::{Dashboard, Day, Exceptions, Figures, KpiSettings, Latencies, Latency, Windows, dashboard};
use ordo_core::auth::Permission;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::Auth;
use crate::error::{ApiError, ApiResult, ErrorBody};
use crate::extract::QueryParams;
use crate::state::AppState;

/// How the figures are judged.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct KpiParams {
    /// An order shipped within this many hours of being placed is on time (default 48;
    /// orders carry no ship-by time of their own).
    pub ship_within_hours: Option<u32>,
    /// A held order held longer than this many hours is overdue (default 24).
    pub exception_sla_hours: Option<u32>,
}

/// How long a stage took. Percentiles are the upper bound of the histogram bucket they
/// fall in (1 s … 30 days, roughly log-scale): "p95_seconds: 300" reads "95 % took at most
/// 300 s". `null` with no measurement, or beyond 30 days.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatencyView {
    /// How many times the stage was measured.
    pub count: i64,
    /// Median, in seconds (a bucket bound).
    pub p50_seconds: Option<i64>,
    /// 95th percentile, in seconds (a bucket bound).
    pub p95_seconds: Option<i64>,
}

/// Each stage's latency.
#[derive(Debug, Serialize, ToSchema)]
pub struct LatenciesView {
    /// Placed (the order's `placed_at`) → every line reserved.
    pub order_to_allocated: LatencyView,
    /// Allocated → fulfilment request queued to the warehouse.
    pub allocated_to_sent: LatencyView,
    /// Request queued → shipped from that warehouse.
    pub sent_to_shipped: LatencyView,
}

/// The figures of one window.
#[derive(Debug, Serialize, ToSchema)]
pub struct FiguresView {
    /// Orders created (a repeat, an update or an idempotent replay is not counted).
    pub orders_in: i64,
    /// Orders whose every line became reserved (counted once per order).
    pub allocated: i64,
    /// Of those, reserved at more than one warehouse.
    pub split: i64,
    /// Of those, reserved wholly at the first-choice warehouse.
    pub first_route_filled: i64,
    /// `split / allocated`, 0..1; `null` with nothing allocated.
    pub split_rate: Option<f64>,
    /// `first_route_filled / allocated`, 0..1; `null` with nothing allocated.
    pub first_route_fill_rate: Option<f64>,
    /// Fulfilment requests queued, one per order and warehouse.
    pub sent: i64,
    /// Packages that left, one per order and warehouse each time.
    pub shipped: i64,
    /// Shipped within the deadline from `placed_at`.
    pub shipped_on_time: i64,
    /// Shipped later.
    pub shipped_late: i64,
    /// `shipped_on_time / shipped`, 0..1; `null` with nothing shipped.
    pub on_time_rate: Option<f64>,
    /// How long each stage took.
    pub latency: LatenciesView,
}

/// The same figures today, over 7 days and over 30 days (UTC days, today included).
#[derive(Debug, Serialize, ToSchema)]
pub struct WindowsView {
    /// Today (UTC).
    pub today: FiguresView,
    /// The last 7 days.
    #[serde(rename = "7d")]
    pub days_7: FiguresView,
    /// The last 30 days.
    #[serde(rename = "30d")]
    pub days_30: FiguresView,
}

/// Held orders of one reason, now.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExceptionsView {
    /// `review` or `manual` (the kind of the order's open holds; an order with both
    /// counts under each), or `stock` (held waiting for stock or an unknown SKU).
    pub reason: String,
    /// How many orders.
    pub count: i64,
    /// How long the longest held one has been held.
    pub oldest_age_seconds: i64,
    /// How many have been held longer than `exception_sla_hours`.
    pub overdue: i64,
}

/// One day's arrivals and shipments.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    /// Its UTC midnight.
    pub day: DateTime<Utc>,
    /// Orders created.
    pub orders_in: i64,
    /// Packages that left.
    pub shipped: i64,
}

/// The dashboard of the caller's tenant.
#[derive(Debug, Serialize, ToSchema)]
pub struct KpisView {
    /// When the figures were read.
    pub generated_at: DateTime<Utc>,
    /// Every channel and warehouse together.
    pub windows: WindowsView,
    /// Per channel code.
    pub by_channel: BTreeMap<String, WindowsView>,
    /// Per warehouse code (orders in have no warehouse and show only in the other views).
    pub by_warehouse: BTreeMap<String, WindowsView>,
    /// Each of the last 30 days, oldest first, today last (days with nothing included).
    pub daily: Vec<DayView>,
    /// Held orders by reason.
    pub exceptions: Vec<ExceptionsView>,
    /// Inbox entries that failed and are not resolved.
    pub failed_inbox: i64,
    /// SKUs with an open low-stock alert.
    pub low_stock_skus: i64,
    /// Per channel: seconds between the platform's last change of its newest arrival and
    /// Ordo storing it.
    pub sync_lag_seconds: BTreeMap<String, i64>,
    /// Units reserved for orders beyond what is on hand: 0 unless something oversold, or a
    /// stock count found less than was reserved.
    pub oversold_units: i64,
}

/// Today's, this week's and this month's figures, per channel and per warehouse: orders
/// in, allocation (split and first-route fill rates), requests sent, packages shipped on
/// time and late, and the latency of each stage (p50 and p95); plus held orders by reason
/// with their age, failed inbox entries, low-stock SKUs, sync lag per channel and
/// oversold units as they are now. Kept as rollups by the transactions that move orders,
/// so reading them costs the same however many orders there are.
#[utoipa::path(
    get, path = "/api/v1/kpis", tag = "orders", params(KpiParams),
    responses((status = 200, body = KpisView), (status = 400, body = ErrorBody)),
    security(("bearer" = []))
)]
pub async fn kpis(
    State(state): State<AppState>,
    auth: Auth,
    QueryParams(params): QueryParams<KpiParams>,
) -> ApiResult<Json<KpisView>> {
    let principal = auth.require(Permission::Read)?;
    let hours = |name: &str, value: Option<u32>, default: Duration| match value {
        None => Ok(default),
        Some(h) if (1..=24 * 30).contains(&h) => Ok(Duration::hours(i64::from(h))),
        Some(h) => Err(ApiError::InvalidParameter {
            parameter: name.into(),
            message: format!("{h} is outside 1..=720"),
        }),
    };
    let defaults = KpiSettings::default();
    let settings = KpiSettings {
        ship_within: hours("ship_within_hours", params.ship_within_hours, defaults.ship_within)?,
        exception_sla: hours(
            "exception_sla_hours",
            params.exception_sla_hours,
            defaults.exception_sla,
        )?,
        ..defaults
    };
    let read = dashboard(state.store.as_ref(), &principal.tenant, &settings, Utc::now()).await?;
    Ok(Json(KpisView::from(read)))
}

impl From<Latency> for LatencyView {
    fn from(l: Latency) -> Self {
        Self {
            count: l.count,
            p50_seconds: l.p50_seconds,
            p95_seconds: l.p95_seconds,
        }
    }
}

impl From<Latencies> for LatenciesView {
    fn from(l: Latencies) -> Self {
        Self {
            order_to_allocated: l.order_to_allocated.into(),
            allocated_to_sent: l.allocated_to_sent.into(),
            sent_to_shipped: l.sent_to_shipped.into(),
        }
    }
}

impl From<Figures> for FiguresView {
    fn from(f: Figures) -> Self {
        Self {
            orders_in: f.orders_in,
            allocated: f.allocated,
            split: f.split,
            first_route_filled: f.first_route_filled,
            split_rate: f.split_rate,
            first_route_fill_rate: f.first_route_fill_rate,
            sent: f.sent,
            shipped: f.shipped,
            shipped_on_time: f.shipped_on_time,
            shipped_late: f.shipped_late,
            on_time_rate: f.on_time_rate,
            latency: f.latency.into(),
        }
    }
}

impl From<Windows> for WindowsView {
    fn from(w: Windows) -> Self {
        Self {
            today: w.today.into(),
            days_7: w.days_7.into(),
            days_30: w.days_30.into(),
        }
    }
}

impl From<Exceptions> for ExceptionsView {
    fn from(e: Exceptions) -> Self {
        Self {
            reason: e.reason,
            count: e.count,
            oldest_age_seconds: e.oldest_age_seconds,
            overdue: e.overdue,
        }
    }
}

impl From<Dashboard> for KpisView {
    fn from(d: Dashboard) -> Self {
        let by = |views: BTreeMap<String, Windows>| views.into_iter().map(|(k, w)| (k, w.into())).collect();
        Self {
            generated_at: d.generated_at,
            windows: d.windows.into(),
            by_channel: by(d.by_channel),
            by_warehouse: by(d.by_warehouse),
            daily: d
                .daily
                .into_iter()
                .map(
                    |Day {
                         day,
                         orders_in,
                         shipped,
                     }| DayView {
                        day,
                        orders_in,
                        shipped,
                    },
                )
                .collect(),
            exceptions: d.exceptions.into_iter().map(Into::into).collect(),
            failed_inbox: d.failed_inbox,
            low_stock_skus: d.low_stock_skus,
            sync_lag_seconds: d.sync_lag_seconds,
            oversold_units: d.oversold_units,
        }
    }
}
