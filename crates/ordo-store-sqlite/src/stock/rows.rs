//! Row shapes shared by the writer's [`ordo_store::stock::allocate::AllocTx`] and the pool
//! reads of [`ordo_store::StockFlowStore`], so both read the same columns the same way.

use std::collections::BTreeMap;

use ordo_core::allocation::{Allocation, OrderStock, Shortage};
use ordo_core::inventory::{ChannelPolicy, Component, SkuOverride};
use ordo_store::{CatalogueRow, ChannelRule, StoreError, StoreResult};

/// A list of codes as a JSON array, for `json_each`.
pub(crate) fn json_array(items: &[String]) -> String {
    serde_json::to_string(items).unwrap_or_else(|_| "[]".into())
}

pub(crate) fn json_err(column: &str, error: serde_json::Error) -> StoreError {
    StoreError::Other(format!("column {column}: {error}"))
}

/// One stored `order_stock` row.
pub(crate) struct OrderStockRow {
    pub(crate) sku: String,
    pub(crate) warehouse: String,
    pub(crate) reserved: i64,
    pub(crate) shipped: i64,
    pub(crate) returned: i64,
    pub(crate) waiting: i64,
}

/// Rows in (sku, warehouse) order back into an [`OrderStock`]: shortages are the rows
/// without a warehouse.
pub(crate) fn order_stock_from_rows(rows: impl IntoIterator<Item = OrderStockRow>) -> OrderStock {
    let mut stock = OrderStock::default();
    for row in rows {
        if row.warehouse.is_empty() {
            stock.shortages.push(Shortage {
                sku: row.sku,
                waiting: row.waiting,
            });
        } else {
            stock.allocations.push(Allocation {
                sku: row.sku,
                warehouse: row.warehouse,
                reserved: row.reserved,
                shipped: row.shipped,
                returned: row.returned,
            });
        }
    }
    stock
}

/// Parses stored channel rule columns.
pub(crate) fn channel_rule(
    channel: String,
    ratio_permille: i64,
    buffer: i64,
    overrides: &str,
) -> StoreResult<ChannelRule> {
    Ok(ChannelRule {
        channel,
        policy: ChannelPolicy { ratio_permille, buffer },
        overrides: serde_json::from_str::<BTreeMap<String, SkuOverride>>(overrides)
            .map_err(|e| json_err("overrides", e))?,
    })
}

/// A skus row left-joined with one of its bundle components: (code, low, forecast,
/// component, quantity, (weight, length, width, height), attributes JSON).
pub(crate) type CatalogueJoinRow = (
    String,
    Option<i64>,
    Option<i64>,
    Option<String>,
    Option<i64>,
    (Option<i64>, Option<i64>, Option<i64>, Option<i64>),
    String,
);

/// The columns [`catalogue_join_row`] reads, after the join's five.
pub(crate) const PARCEL_COLUMNS: &str = "s.weight_g, s.length_mm, s.width_mm, s.height_mm, s.attributes";

/// Groups catalogue join rows, ordered by code then component, into catalogue rows.
pub(crate) fn group_catalogue(rows: Vec<CatalogueJoinRow>) -> Vec<CatalogueRow> {
    let mut out: Vec<CatalogueRow> = Vec::new();
    for (code, low, forecast, component, quantity, (weight, length, width, height), attributes) in rows {
        if out.last().is_none_or(|last| last.code != code) {
            out.push(CatalogueRow {
                code,
                components: Vec::new(),
                low_stock_threshold: low,
                forecast_threshold: forecast,
                weight_g: weight,
                dims_mm: length.zip(width).zip(height).map(|((l, w), h)| [l, w, h]),
                // A row this store wrote always holds a JSON array; anything else is no attribute.
                attributes: serde_json::from_str(&attributes).unwrap_or_default(),
            });
        }
        if let (Some(sku), Some(quantity), Some(last)) = (component, quantity, out.last_mut()) {
            last.components.push(Component { sku, quantity });
        }
    }
    out
}

pub(crate) fn catalogue_join_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CatalogueJoinRow> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        (r.get(5)?, r.get(6)?, r.get(7)?, r.get(8)?),
        r.get(9)?,
    ))
}
