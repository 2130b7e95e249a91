//! Inventory: the SKU × warehouse grid (on hand, reserved, safety stock, available, low
//! stock), filtered by SKU prefix and warehouse in the URL, one page at a time. One SKU's
//! page is [`super::inventory_sku`]; the changes, the CSV import and the channel rules are
//! [`super::inventory_forms`].
//!
//! Availability is [`StockLevel::available`] and "low" is an open low-stock alert, the
//! store's own judgement (the threshold set by hand or forecast from sales), so the grid
//! says what the alerts and the API say.

use std::collections::HashSet;

use askama::Template;
use axum::extract::{Query, State};
use axum::response::IntoResponse;
use ordo_core::auth::Permission;
use ordo_core::inventory::StockLevel;
use ordo_store::stock::inventory::Warehouse;
use serde::{Deserialize, Serialize};

use crate::i18n::Words;
use crate::session::Signed;
use crate::{Chrome, Console, Page, ScreenResult};

/// Rows per page.
pub const PAGE_ROWS: usize = 50;

/// The inventory screens' words, `(key, English, Chinese)`, sorted by key.
#[rustfmt::skip]
pub const WORDS: Words = &[
    ("inv_adjust", "Adjust (±)", "调整（±）"),
    ("inv_applied", "Applied", "已生效"),
    ("inv_available", "Available", "可用"),
    ("inv_buffer", "Buffer", "保留量"),
    ("inv_bundle", "Bundle: available from its components", "组合商品：可用量由组件计算"),
    ("inv_cap", "Cap", "上限"),
    ("inv_change", "Stock change", "库存变更"),
    ("inv_csv_help", "Header warehouse,sku,on_hand; each row sets a count.", "表头 warehouse,sku,on_hand；每行设置一个盘点数。"),
    ("inv_file", "File", "文件"),
    ("inv_fixed", "Fixed", "固定"),
    ("inv_import", "Import CSV", "导入 CSV"),
    ("inv_kind", "Kind", "类型"),
    ("inv_line", "Line", "行号"),
    ("inv_low", "Low stock", "低库存"),
    ("inv_movements", "Movements", "库存流水"),
    ("inv_new_channel", "Another channel", "其他渠道"),
    ("inv_no_movements", "No movements yet.", "暂无库存流水。"),
    ("inv_no_stock", "No stock rows match.", "没有符合条件的库存。"),
    ("inv_none", "None", "无"),
    ("inv_offered", "Last offered", "上次推送"),
    ("inv_on_hand", "On hand", "在库"),
    ("inv_op", "Operation", "操作类型"),
    ("inv_override", "This SKU", "本 SKU 规则"),
    ("inv_quantity", "Quantity", "数量"),
    ("inv_ratio", "Share ‰", "比例 ‰"),
    ("inv_receive", "Receive", "入库"),
    ("inv_reference", "Reference", "单据号"),
    ("inv_refused", "Refused", "被拒绝"),
    ("inv_safety", "Safety stock", "安全库存"),
    ("inv_sellable", "Sellable", "可售"),
    ("inv_serving", "Warehouses serving it", "供货仓库"),
    ("inv_set", "Set count", "设为盘点数"),
    ("inv_sku_prefix", "SKU starts with", "SKU 前缀"),
    ("inv_threshold", "Low-stock threshold", "低库存阈值"),
];

/// The grid's filters and where the page starts, as they sit in the URL.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
pub struct StockFilters {
    /// SKU prefix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sku: Option<String>,
    /// Warehouse code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warehouse: Option<String>,
    /// The page starts after this SKU…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_sku: Option<String>,
    /// …and this warehouse.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub after_warehouse: Option<String>,
}

impl StockFilters {
    fn prefix(&self) -> &str {
        self.sku.as_deref().map_or("", str::trim)
    }

    fn warehouse(&self) -> Option<&str> {
        self.warehouse.as_deref().map(str::trim).filter(|w| !w.is_empty())
    }

    /// The filters as a query string, without where the page starts.
    fn query(&self) -> String {
        let mut pairs = Vec::new();
        if !self.prefix().is_empty() {
            pairs.push(("sku", self.prefix()));
        }
        if let Some(warehouse) = self.warehouse() {
            pairs.push(("warehouse", warehouse));
        }
        serde_urlencoded::to_string(pairs).unwrap_or_default()
    }
}

/// One cell of the grid: a SKU in a warehouse.
pub struct GridRow {
    /// SKU code.
    pub sku: String,
    /// Its page's path.
    pub href: String,
    /// Warehouse code.
    pub warehouse: String,
    /// The level.
    pub level: StockLevel,
    /// Available to promise.
    pub available: i64,
    /// The SKU has an open low-stock alert.
    pub low: bool,
}

/// The grid page.
#[derive(Template)]
#[template(path = "inventory.html")]
pub struct InventoryPage {
    c: Chrome,
    f: StockFilters,
    rows: Vec<GridRow>,
    warehouses: Vec<Warehouse>,
    filter_query: String,
    next_query: Option<String>,
    paged: bool,
    fixed_sku: String,
}

/// A path segment for a SKU code, so any code (`A/B`, `红 T`) makes a working link.
pub fn segment(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// `GET /inventory?sku=…&warehouse=…&after_sku=…&after_warehouse=…`: three store queries
/// (levels, warehouses, open alerts) and one page of rows in (SKU, warehouse) order.
pub async fn list(State(console): State<Console>, signed: Signed, Query(f): Query<StockFilters>) -> ScreenResult {
    let principal = signed.require(Permission::Read)?;
    let store = &console.app.store;
    let tenant = &principal.tenant;
    // The store has no filtered, paged read of levels; this reads the tenant's levels once
    // and shows one page of them.
    let (levels, warehouses, alerts) = tokio::try_join!(
        store.list_stock(tenant, None),
        store.list_warehouses(tenant),
        store.list_alerts(tenant, true),
    )?;
    let low: HashSet<String> = alerts.into_iter().map(|a| a.sku).collect();
    let mut levels: Vec<_> = levels
        .into_iter()
        .filter(|r| r.sku.starts_with(f.prefix()))
        .filter(|r| f.warehouse().is_none_or(|w| r.warehouse == w))
        .collect();
    levels.sort_by(|a, b| (&a.sku, &a.warehouse).cmp(&(&b.sku, &b.warehouse)));
    let start = match (&f.after_sku, &f.after_warehouse) {
        (Some(sku), Some(warehouse)) => {
            levels.partition_point(|r| (r.sku.as_str(), r.warehouse.as_str()) <= (sku.as_str(), warehouse.as_str()))
        }
        _ => 0,
    };
    let mut page: Vec<GridRow> = levels
        .into_iter()
        .skip(start)
        .take(PAGE_ROWS + 1)
        .map(|r| GridRow {
            href: format!("/inventory/{}", segment(&r.sku)),
            low: low.contains(&r.sku),
            available: r.level.available(),
            sku: r.sku,
            warehouse: r.warehouse,
            level: r.level,
        })
        .collect();
    let filter_query = f.query();
    let next_query = if page.len() > PAGE_ROWS {
        page.truncate(PAGE_ROWS);
        page.last().map(|last| {
            let after = serde_urlencoded::to_string([
                ("after_sku", last.sku.as_str()),
                ("after_warehouse", last.warehouse.as_str()),
            ])
            .unwrap_or_default();
            if filter_query.is_empty() {
                after
            } else {
                format!("{filter_query}&{after}")
            }
        })
    } else {
        None
    };
    let page = InventoryPage {
        c: Chrome::new(&console, &signed, "inventory"),
        paged: start > 0,
        f,
        rows: page,
        warehouses,
        filter_query,
        next_query,
        fixed_sku: String::new(),
    };
    Ok(Page(page).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sku_is_one_path_segment_whatever_it_holds() {
        assert_eq!(segment("TEE-RED-M"), "TEE-RED-M");
        assert_eq!(segment("A/B C"), "A%2FB%20C");
        assert_eq!(segment("红"), "%E7%BA%A2");
    }
}
