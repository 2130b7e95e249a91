//! Decoding rows of the order-stock tables, shared by the transaction (`alloc_tx.rs`)
//! and the reads (`stock_flow.rs`).

use std::collections::BTreeMap;

use ordo_core::allocation::{Allocation, OrderStock, Shortage};
use ordo_core::inventory::{ChannelPolicy, Component, SkuOverride};
use ordo_store::{CatalogueRow, ChannelRule, SkuAlias, StoreResult};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use crate::errors::map;

/// Catalogue facts with the components in one statement (so a concurrent `upsert_sku`
/// cannot pair a new row with old components); the arrays are both by component SKU.
pub(crate) const CATALOGUE_SELECT: &str = "SELECT s.code, s.low_stock_threshold, s.forecast_threshold,
        s.weight_g, s.length_mm, s.width_mm, s.height_mm, s.attributes,
        ARRAY(SELECT c.component_sku FROM bundle_components c
              WHERE c.tenant_id = s.tenant_id AND c.bundle_sku = s.code ORDER BY c.component_sku) AS component_skus,
        ARRAY(SELECT c.quantity FROM bundle_components c
              WHERE c.tenant_id = s.tenant_id AND c.bundle_sku = s.code ORDER BY c.component_sku) AS component_quantities
    FROM skus s";

pub(crate) fn catalogue_from_row(row: &PgRow) -> StoreResult<CatalogueRow> {
    let skus: Vec<String> = row.try_get("component_skus").map_err(map)?;
    let quantities: Vec<i64> = row.try_get("component_quantities").map_err(map)?;
    Ok(CatalogueRow {
        code: row.try_get("code").map_err(map)?,
        components: skus
            .into_iter()
            .zip(quantities)
            .map(|(sku, quantity)| Component { sku, quantity })
            .collect(),
        low_stock_threshold: row.try_get("low_stock_threshold").map_err(map)?,
        forecast_threshold: row.try_get("forecast_threshold").map_err(map)?,
        weight_g: row.try_get("weight_g").map_err(map)?,
        dims_mm: {
            let side = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(map);
            let (l, w, h) = (side("length_mm")?, side("width_mm")?, side("height_mm")?);
            l.zip(w).zip(h).map(|((l, w), h)| [l, w, h])
        },
        attributes: row
            .try_get::<Json<Vec<String>>, _>("attributes")
            .map(|Json(a)| a)
            .unwrap_or_default(),
    })
}

/// Columns [`channel_rule_from_row`] reads.
pub(crate) const CHANNEL_RULE_COLUMNS: &str = "channel, ratio_permille, buffer, overrides";

pub(crate) fn channel_rule_from_row(row: &PgRow) -> StoreResult<ChannelRule> {
    let Json(overrides): Json<BTreeMap<String, SkuOverride>> = row.try_get("overrides").map_err(map)?;
    Ok(ChannelRule {
        channel: row.try_get("channel").map_err(map)?,
        policy: ChannelPolicy {
            ratio_permille: row.try_get("ratio_permille").map_err(map)?,
            buffer: row.try_get("buffer").map_err(map)?,
        },
        overrides,
    })
}

/// An order's holdings from its rows, which must come by (sku, warehouse): shortages
/// (warehouse '') then sort by SKU among themselves, as [`OrderStock`] wants.
pub(crate) fn order_stock_from_rows(rows: &[PgRow]) -> StoreResult<OrderStock> {
    let mut stock = OrderStock::default();
    for row in rows {
        let sku: String = row.try_get("sku").map_err(map)?;
        let warehouse: String = row.try_get("warehouse").map_err(map)?;
        if warehouse.is_empty() {
            stock.shortages.push(Shortage {
                sku,
                waiting: row.try_get("waiting").map_err(map)?,
            });
        } else {
            stock.allocations.push(Allocation {
                sku,
                warehouse,
                reserved: row.try_get("reserved").map_err(map)?,
                shipped: row.try_get("shipped").map_err(map)?,
                returned: row.try_get("returned").map_err(map)?,
            });
        }
    }
    Ok(stock)
}

/// An alias from a row with `channel, alias, sku`.
pub(crate) fn alias_from_row(row: &PgRow) -> StoreResult<SkuAlias> {
    Ok(SkuAlias {
        channel: row.try_get("channel").map_err(map)?,
        alias: row.try_get("alias").map_err(map)?,
        sku: row.try_get("sku").map_err(map)?,
    })
}
