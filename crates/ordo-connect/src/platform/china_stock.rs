//! Stock and cancellation write-backs on the five router platforms: which calls carry
//! them, how Ordo's SKU (the seller's own code, 商家编码) becomes the platform's ids, and
//! why a platform refuses a seller cancellation.
//!
//! We have no live access to these platforms: every call below is taken from the
//! platforms' published API references and the public SDKs generated from them.
//!
//! | Platform | finds the SKU by its code | sets the sellable quantity |
//! |---|---|---|
//! | Taobao | `taobao.skus.custom.get` (`outer_id`, `fields`) | `taobao.item.quantity.update` (`num_iid`, `sku_id`, `quantity`, `type=1` full) |
//! | JD | `jingdong.sku.read.searchSkuList` (`outId`) | `jingdong.stock.write.updateSkuStock` (`skuId`, `stockNum`) |
//! | Douyin | — (`code` is accepted directly) | `sku.syncStock` (`code`, `stock_num`, `incremental=false`) |
//! | Pinduoduo | `pdd.goods.list.get` (`outer_id`) | `pdd.goods.quantity.update` (`goods_id`, `sku_id`, `quantity`, `update_type=1` full) |
//! | Xiaohongshu | `product.getDetailSkuList` (pages, matched on `sku.erpCode`) | `inventory.syncSkuStock` (`skuId`, `qty`) |
//!
//! Every update is a full one ("the channel may sell this many"), so a message delivered
//! twice sets the same number twice. Per-warehouse stock (Douyin `out_warehouse_id` for
//! 区域仓, JD `storeId`, Xiaohongshu `inventory.syncSkuStockV2`) is not sent: a stock
//! message names no warehouse, so the platform's normal stock is the one set.
//!
//! Cancellation: only Taobao documents a seller call, `taobao.trade.close` (`tid`,
//! `close_reason`), and it closes unpaid trades only; the others are refused with why.

use serde_json::{Map, Value, json};

use super::china_spec::Kind;
use crate::ConnectError;

/// Xiaohongshu SKUs read per lookup page (the documented maximum is 100).
pub(crate) const XHS_LOOKUP_PAGE_SIZE: u64 = 100;

/// Xiaohongshu lookup pages read before the SKU is declared unknown: 50 pages of 100
/// cover a 5,000-SKU shop, and a message is not worth more calls than that.
pub(crate) const XHS_LOOKUP_MAX_PAGES: u64 = 50;

/// What one lookup page said about a SKU.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// The platform's ids for the SKU, as the update call names them.
    Found(Map<String, Value>),
    /// Not on this page; `more` when a later page may hold it.
    NotHere { more: bool },
}

impl Kind {
    /// The call that finds a SKU's platform ids by the seller's code, page `page`
    /// (from 1), or `None` when the update call takes the code itself.
    pub fn stock_lookup(self, sku: &str, page: u64) -> Option<(&'static str, Map<String, Value>)> {
        let (method, value) = match self {
            Self::Taobao => (
                "taobao.skus.custom.get",
                json!({"outer_id": sku, "fields": "sku_id,num_iid,outer_id"}),
            ),
            Self::Jd => (
                "jingdong.sku.read.searchSkuList",
                json!({"outId": sku, "pageNo": page, "page_size": 20}),
            ),
            Self::Douyin => return None,
            Self::Pinduoduo => (
                "pdd.goods.list.get",
                json!({"outer_id": sku, "page": page, "page_size": 20}),
            ),
            Self::Xiaohongshu => (
                "product.getDetailSkuList",
                json!({"pageNo": page, "pageSize": XHS_LOOKUP_PAGE_SIZE}),
            ),
        };
        Some((method, object(value)))
    }

    /// Reads a lookup answer: the SKU whose code is exactly `sku` (the platforms match
    /// codes loosely or not at all, so the answer is checked), or whether to read on.
    pub fn read_lookup(self, body: &Value, sku: &str, page: u64) -> Result<Lookup, ConnectError> {
        let list = |pointer: &str| {
            body.pointer(pointer)
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default()
        };
        let is = |v: Option<&Value>| v.and_then(Value::as_str) == Some(sku);
        let found = match self {
            Self::Taobao => list("/skus_custom_get_response/skus/sku")
                .iter()
                .find(|s| is(s.get("outer_id")))
                .map(|s| pick(s, &[("num_iid", "num_iid"), ("sku_id", "sku_id")])),
            Self::Jd => list("/jingdong_sku_read_searchSkuList_responce/page/data")
                .iter()
                .find(|s| is(s.get("outerId")))
                .map(|s| pick(s, &[("skuId", "skuId")])),
            Self::Douyin => None,
            Self::Pinduoduo => list("/goods_list_get_response/goods_list").iter().find_map(|goods| {
                let sku_entry = goods
                    .get("sku_list")
                    .and_then(Value::as_array)?
                    .iter()
                    .find(|s| is(s.get("outer_id")))?;
                let mut ids = pick(goods, &[("goods_id", "goods_id")]);
                ids.extend(pick(sku_entry, &[("sku_id", "sku_id")]));
                Some(ids)
            }),
            Self::Xiaohongshu => {
                let entries = list("/data/data");
                if let Some(entry) = entries.iter().find(|e| is(e.pointer("/sku/erpCode"))) {
                    let id = entry.pointer("/sku/id").cloned().unwrap_or(Value::Null);
                    Some(object(json!({ "skuId": id })))
                } else {
                    let total = body.pointer("/data/total").and_then(Value::as_u64).unwrap_or(0);
                    let more = !entries.is_empty() && page * XHS_LOOKUP_PAGE_SIZE < total;
                    return Ok(Lookup::NotHere { more });
                }
            }
        };
        match found {
            Some(ids) if ids.values().all(|v| !v.is_null()) => Ok(Lookup::Found(ids)),
            Some(_) => Err(ConnectError::BadResponse(format!(
                "{} lookup of SKU {sku:?} answered without its ids",
                self.platform()
            ))),
            None => Ok(Lookup::NotHere { more: false }),
        }
    }

    /// The call that sets a SKU's sellable quantity (already at least zero), given the
    /// ids its lookup found.
    pub fn stock_call(self, sku: &str, ids: &Map<String, Value>, quantity: i64) -> (&'static str, Map<String, Value>) {
        let mut business = ids.clone();
        let (method, rest) = match self {
            Self::Taobao => ("taobao.item.quantity.update", json!({"quantity": quantity, "type": 1})),
            Self::Jd => ("jingdong.stock.write.updateSkuStock", json!({"stockNum": quantity})),
            Self::Douyin => (
                "sku.syncStock",
                json!({"code": sku, "stock_num": quantity, "incremental": false}),
            ),
            Self::Pinduoduo => (
                "pdd.goods.quantity.update",
                json!({"quantity": quantity, "update_type": 1}),
            ),
            Self::Xiaohongshu => ("inventory.syncSkuStock", json!({"qty": quantity})),
        };
        business.extend(object(rest));
        (method, business)
    }

    /// The seller's cancellation call, or why the platform has none.
    pub fn cancel_call(self, order: &str, reason: Option<&str>) -> Result<(&'static str, Map<String, Value>), String> {
        let why = match self {
            Self::Taobao => {
                let close_reason = taobao_close_reason(reason);
                return Ok((
                    "taobao.trade.close",
                    object(json!({"tid": order, "close_reason": close_reason})),
                ));
            }
            Self::Jd => {
                "JD's POP order API has no seller cancellation; a buyer's cancellation is approved in the back office"
            }
            Self::Douyin => {
                "Douyin has no seller cancellation; a paid order ends through the buyer's after-sale refund"
            }
            Self::Pinduoduo => "Pinduoduo has no seller cancellation; a paid order ends through the buyer's refund",
            Self::Xiaohongshu => "Xiaohongshu's cancellation calls only review a buyer's cancellation application",
        };
        Err(format!("cancellation on {} ({why})", self.platform()))
    }
}

/// `taobao.trade.close` takes one of Taobao's fixed reasons. Only unpaid trades can be
/// closed, so "the buyer did not pay in time" is the reason when Ordo's says nothing closer.
fn taobao_close_reason(reason: Option<&str>) -> &'static str {
    match reason {
        Some("inventory") => "缺货",
        Some("fraud") => "恶意买家/同行捣乱",
        Some("customer") => "买家不想买了",
        _ => "未及时付款",
    }
}

/// The named fields of `value`, under the update call's names.
fn pick(value: &Value, names: &[(&str, &str)]) -> Map<String, Value> {
    names
        .iter()
        .map(|(from, to)| ((*to).to_owned(), value.get(*from).cloned().unwrap_or(Value::Null)))
        .collect()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinduoduo_lookup_takes_the_goods_and_the_sku_with_that_exact_code() {
        let body = json!({"goods_list_get_response": {"goods_list": [
            {"goods_id": 1, "sku_list": [{"sku_id": 10, "outer_id": "A-1"}]},
            {"goods_id": 2, "sku_list": [{"sku_id": 20, "outer_id": "A"}]},
        ]}});
        let Lookup::Found(ids) = Kind::Pinduoduo.read_lookup(&body, "A", 1).unwrap() else {
            panic!("found")
        };
        assert_eq!(Value::Object(ids), json!({"goods_id": 2, "sku_id": 20}));
    }

    #[test]
    fn xiaohongshu_reads_on_while_the_total_says_more_skus_follow() {
        let body = json!({"success": true, "data": {"total": 150, "data": [{"sku": {"id": "x", "erpCode": "B"}}]}});
        assert!(matches!(
            Kind::Xiaohongshu.read_lookup(&body, "A", 1).unwrap(),
            Lookup::NotHere { more: true }
        ));
        assert!(matches!(
            Kind::Xiaohongshu.read_lookup(&body, "A", 2).unwrap(),
            Lookup::NotHere { more: false }
        ));
    }

    #[test]
    fn only_taobao_has_a_seller_cancellation() {
        assert_eq!(Kind::Taobao.cancel_call("1", None).unwrap().0, "taobao.trade.close");
        for kind in [Kind::Jd, Kind::Douyin, Kind::Pinduoduo, Kind::Xiaohongshu] {
            assert!(kind.cancel_call("1", None).is_err());
        }
    }
}
