//! The router platforms' catalogue lookups and stock updates, and Taobao's trade close:
//! what a connector calls to write stock and cancellations back.
//!
//! Each configured SKU is one platform SKU whose seller code (商家编码) is the configured
//! SKU, with the same platform ids the generated orders carry. A full update sets the
//! SKU's stock, an incremental one (where documented) adds to it; below zero is refused
//! as the platforms do. Parameters and answer shapes follow the platforms' published
//! references; the refusal codes for an unknown SKU are the simulator's table in `china`.

use chrono::Utc;
use serde_json::{Map, Value, json};

use super::china::{Fault, RouterCall, SYSTEM_PARAMS};
use super::china_methods::param;
use crate::Platform;
use crate::generate::Status;
use crate::state::Shared;
use crate::writeback::WriteBackKind;

type Answer = Result<Value, (Fault, String)>;

/// The platform ids of configured SKU `i`, as `generate::china` puts them on orders.
fn taobao_num_iid(i: usize) -> u64 {
    600_000_000_000 + i as u64
}
fn taobao_sku_id(i: usize) -> u64 {
    5_000_000_000_000 + i as u64
}
fn jd_sku_id(i: usize) -> u64 {
    100_012_000_000 + i as u64
}
fn douyin_sku_id(i: usize) -> u64 {
    1_700_000_000_000_000 + i as u64
}
fn pdd_goods_id(i: usize) -> u64 {
    300_000_000_000 + i as u64
}
fn pdd_sku_id(i: usize) -> u64 {
    1_000_000_000_000 + i as u64
}
fn xhs_sku_id(i: usize) -> String {
    format!("65{:022x}", i + 1)
}
fn xhs_item_id(i: usize) -> String {
    format!("64{:022x}", i + 1)
}

/// The stock write-back and lookup methods, or `None` for a method not handled here.
pub(super) fn dispatch(shared: &Shared, call: &RouterCall) -> Option<Answer> {
    let answer = match (shared.platform(), call.method.as_str()) {
        (Platform::Taobao, "taobao.skus.custom.get") => taobao_lookup(shared, call),
        (Platform::Taobao, "taobao.item.quantity.update") => counted(shared, taobao_update(shared, call)),
        (Platform::Taobao, "taobao.trade.close") => counted(shared, taobao_close(shared, call)),
        (Platform::Jd, "jingdong.sku.read.searchSkuList") => jd_lookup(shared, call),
        (Platform::Jd, "jingdong.stock.write.updateSkuStock") => counted(shared, jd_update(shared, call)),
        (Platform::Douyin, "sku.syncStock") => counted(shared, douyin_update(shared, call)),
        (Platform::Pinduoduo, "pdd.goods.list.get") => pdd_lookup(shared, call),
        (Platform::Pinduoduo, "pdd.goods.quantity.update") => counted(shared, pdd_update(shared, call)),
        (Platform::Xiaohongshu, "product.getDetailSkuList") => xhs_lookup(shared, call),
        (Platform::Xiaohongshu, "inventory.syncSkuStock") => counted(shared, xhs_update(shared, call)),
        _ => return None,
    };
    Some(answer)
}

/// A refused write-back is counted, as every platform's refusals are.
fn counted(shared: &Shared, answer: Answer) -> Answer {
    if answer.is_err() {
        shared.reject();
    }
    answer
}

fn required(call: &RouterCall, name: &str) -> Result<String, (Fault, String)> {
    call.text(name).ok_or_else(|| param(format!("{name} is required")))
}

fn required_number(call: &RouterCall, name: &str) -> Result<i64, (Fault, String)> {
    call.number(name)?.ok_or_else(|| param(format!("{name} is required")))
}

/// The configured SKU whose platform id (`id(i)`) is `given`.
fn by_id<T: ToString>(shared: &Shared, given: &str, id: impl Fn(usize) -> T) -> Option<usize> {
    (0..shared.config.skus.len()).find(|&i| id(i).to_string() == given)
}

fn by_code(shared: &Shared, code: &str) -> Option<usize> {
    shared.config.skus.iter().position(|s| s == code)
}

fn unknown_sku(what: impl std::fmt::Display) -> (Fault, String) {
    (Fault::Sku, format!("no SKU {what}"))
}

/// Sets (or, `incremental`, adds to) SKU `i`'s stock and records the write-back with the
/// call's business parameters; the new level.
fn apply(shared: &Shared, call: &RouterCall, i: usize, quantity: i64, incremental: bool) -> Answer {
    let level = {
        let mut stock = shared.stock.lock().expect("stock lock");
        let level = if incremental { stock[i] + quantity } else { quantity };
        if level < 0 {
            return Err(param(format!("stock would be {level}; it cannot be below zero")));
        }
        stock[i] = level;
        level
    };
    let body: Map<String, Value> = call
        .biz
        .iter()
        .filter(|(k, _)| !SYSTEM_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shared.record(WriteBackKind::Stock, &shared.config.skus[i], Value::Object(body));
    Ok(json!(level))
}

/// `type` / `update_type`: 1 full (the default), 2 incremental.
fn incremental(call: &RouterCall, name: &str) -> Result<bool, (Fault, String)> {
    match call.number(name)?.unwrap_or(1) {
        1 => Ok(false),
        2 => Ok(true),
        other => Err(param(format!(
            "{name} must be 1 (full) or 2 (incremental), not {other}"
        ))),
    }
}

fn taobao_lookup(shared: &Shared, call: &RouterCall) -> Answer {
    let codes = required(call, "outer_id")?;
    required(call, "fields")?;
    let stock = shared.stock.lock().expect("stock lock").clone();
    // Up to 40 codes, comma-separated; unknown ones are simply not in the answer.
    let skus: Vec<Value> = codes
        .split(',')
        .take(40)
        .filter_map(|code| by_code(shared, code.trim()))
        .map(|i| {
            json!({"sku_id": taobao_sku_id(i), "num_iid": taobao_num_iid(i),
                "outer_id": shared.config.skus[i], "quantity": stock[i]})
        })
        .collect();
    let answer = if skus.is_empty() {
        json!({"request_id": "sim"})
    } else {
        json!({"skus": {"sku": skus}, "request_id": "sim"})
    };
    Ok(json!({ "skus_custom_get_response": answer }))
}

fn taobao_update(shared: &Shared, call: &RouterCall) -> Answer {
    let num_iid = required(call, "num_iid")?;
    let quantity = required_number(call, "quantity")?;
    let incremental = incremental(call, "type")?;
    if !incremental && quantity < 0 {
        return Err(param("quantity must be at least 0 for a full update"));
    }
    // `sku_id` wins over `outer_id` when both are given.
    let i = match (call.text("sku_id"), call.text("outer_id")) {
        (Some(sku_id), _) => by_id(shared, &sku_id, taobao_sku_id),
        (None, Some(code)) => by_code(shared, &code),
        (None, None) => return Err(param("sku_id or outer_id is required: every simulated item has SKUs")),
    }
    .filter(|&i| taobao_num_iid(i).to_string() == num_iid)
    .ok_or_else(|| unknown_sku(format!("in item {num_iid}")))?;
    let level = apply(shared, call, i, quantity, incremental)?;
    let modified = crate::generate::beijing_text(Utc::now());
    Ok(json!({"item_quantity_update_response": {"item": {
        "num_iid": taobao_num_iid(i), "num": level, "modified": modified,
        "skus": {"sku": [{"sku_id": taobao_sku_id(i), "quantity": level, "modified": modified}]},
    }, "request_id": "sim"}}))
}

/// Taobao's fixed close reasons.
const TAOBAO_CLOSE_REASONS: [&str; 7] = [
    "未及时付款",
    "买家不想买了",
    "买家信息填写错误，重新拍",
    "恶意买家/同行捣乱",
    "缺货",
    "买家拍错了",
    "同城见面交易",
];

/// `taobao.trade.close`: a seller closes a trade the buyer has not paid.
fn taobao_close(shared: &Shared, call: &RouterCall) -> Answer {
    let tid = required(call, "tid")?;
    let reason = required(call, "close_reason")?;
    if !TAOBAO_CLOSE_REASONS.contains(&reason.as_str()) {
        return Err(param(format!("close_reason {reason} is not one of Taobao's reasons")));
    }
    let mut book = shared.book.lock().expect("book lock");
    let order = book
        .get(&tid)
        .ok_or_else(|| (Fault::NotFound, format!("trade {tid}")))?;
    match order.status() {
        Status::Unpaid => {}
        Status::Cancelled => return Err(param("the trade is already closed")),
        _ => return Err(param("only a trade waiting for payment can be closed")),
    }
    let (_, order) = book
        .update(&tid, Utc::now(), |o, at| o.cancelled_at = Some(at))
        .ok_or_else(|| (Fault::NotFound, format!("trade {tid}")))?;
    let modified = crate::generate::beijing_text(order.updated_at);
    drop(book);
    shared.record(WriteBackKind::Cancel, &tid, json!({"tid": tid, "close_reason": reason}));
    Ok(json!({"trade_close_response": {"trade": {"tid": tid, "modified": modified}, "request_id": "sim"}}))
}

fn jd_lookup(shared: &Shared, call: &RouterCall) -> Answer {
    let stock = shared.stock.lock().expect("stock lock").clone();
    let wanted = call.text("outId");
    let data: Vec<Value> = (0..shared.config.skus.len())
        .filter(|&i| wanted.as_deref().is_none_or(|w| w == shared.config.skus[i]))
        .map(|i| {
            json!({"skuId": jd_sku_id(i), "wareId": 10_000_000 + i as u64,
                "outerId": shared.config.skus[i], "stockNum": stock[i], "status": 1})
        })
        .collect();
    Ok(
        json!({"jingdong_sku_read_searchSkuList_responce": {"code": "0", "page": {
            "pageNo": 1, "pageSize": data.len().max(1), "totalItem": data.len(), "data": data,
        }}}),
    )
}

fn jd_update(shared: &Shared, call: &RouterCall) -> Answer {
    let sku_id = required(call, "skuId")?;
    let stock_num = required_number(call, "stockNum")?;
    if stock_num < 0 {
        return Err(param("stockNum must be at least 0"));
    }
    let i = by_id(shared, &sku_id, jd_sku_id).ok_or_else(|| unknown_sku(&sku_id))?;
    apply(shared, call, i, stock_num, false)?;
    Ok(json!({"jingdong_stock_write_updateSkuStock_responce": {"code": "0", "success": true}}))
}

/// `sku.syncStock`: the SKU by `sku_id` or by `code`; `incremental=true` adds and needs
/// an `idempotent_id`. Simulated shops have no regional warehouses (区域仓), so an
/// `out_warehouse_id` names none of theirs.
fn douyin_update(shared: &Shared, call: &RouterCall) -> Answer {
    let stock_num = required_number(call, "stock_num")?;
    let incremental = call.flag("incremental");
    if incremental && call.text("idempotent_id").is_none() {
        return Err(param("idempotent_id is required when incremental is true"));
    }
    if !incremental && stock_num < 0 {
        return Err(param("stock_num must be at least 0"));
    }
    if let Some(warehouse) = call.text("out_warehouse_id") {
        return Err(param(format!(
            "out_warehouse_id {warehouse}: the shop has no such warehouse"
        )));
    }
    let i = match (call.text("sku_id"), call.text("code")) {
        (Some(sku_id), _) => by_id(shared, &sku_id, douyin_sku_id).ok_or_else(|| unknown_sku(sku_id))?,
        (None, Some(code)) => by_code(shared, &code).ok_or_else(|| unknown_sku(format!("with code {code}")))?,
        (None, None) => return Err(param("sku_id or code is required")),
    };
    apply(shared, call, i, stock_num, incremental)?;
    Ok(json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim", "data": {}}))
}

fn pdd_lookup(shared: &Shared, call: &RouterCall) -> Answer {
    let stock = shared.stock.lock().expect("stock lock").clone();
    let wanted = call.text("outer_id");
    let goods: Vec<Value> = (0..shared.config.skus.len())
        .filter(|&i| wanted.as_deref().is_none_or(|w| w == shared.config.skus[i]))
        .map(|i| {
            json!({"goods_id": pdd_goods_id(i), "goods_name": shared.config.skus[i],
                "goods_quantity": stock[i], "is_onsale": 1,
                "sku_list": [{"sku_id": pdd_sku_id(i), "outer_id": shared.config.skus[i],
                    "sku_quantity": stock[i], "is_sku_onsale": 1}]})
        })
        .collect();
    Ok(
        json!({"goods_list_get_response": {"goods_list": goods.clone(), "total_count": goods.len(), "request_id": "sim"}}),
    )
}

fn pdd_update(shared: &Shared, call: &RouterCall) -> Answer {
    let goods_id = required(call, "goods_id")?;
    let quantity = required_number(call, "quantity")?;
    let incremental = incremental(call, "update_type")?;
    if !incremental && quantity < 0 {
        return Err(param("quantity must be at least 0 for a full update"));
    }
    // `sku_id` wins over `outer_id` when both are given.
    let i = match (call.text("sku_id"), call.text("outer_id")) {
        (Some(sku_id), _) => by_id(shared, &sku_id, pdd_sku_id),
        (None, Some(code)) => by_code(shared, &code),
        (None, None) => return Err(param("sku_id or outer_id is required")),
    }
    .filter(|&i| pdd_goods_id(i).to_string() == goods_id)
    .ok_or_else(|| unknown_sku(format!("in goods {goods_id}")))?;
    apply(shared, call, i, quantity, incremental)?;
    Ok(json!({"goods_quantity_update_response": {"is_success": true, "request_id": "sim"}}))
}

fn xhs_lookup(shared: &Shared, call: &RouterCall) -> Answer {
    let page = call.number("pageNo")?.unwrap_or(1);
    let size = call.number("pageSize")?.unwrap_or(50);
    if page < 1 || !(1..=100).contains(&size) {
        return Err(param("pageNo starts at 1 and pageSize is between 1 and 100"));
    }
    let stock = shared.stock.lock().expect("stock lock").clone();
    let skus = &shared.config.skus;
    let start = ((page - 1) * size) as usize;
    let data: Vec<Value> = (start..skus.len().min(start + size as usize))
        .map(|i| {
            json!({"item": {"id": xhs_item_id(i), "name": skus[i]},
                "sku": {"id": xhs_sku_id(i), "itemId": xhs_item_id(i), "erpCode": skus[i],
                    "stock": stock[i], "buyable": true, "name": skus[i]}})
        })
        .collect();
    Ok(json!({"success": true, "code": 0, "msg": "成功", "data": {
        "pageNo": page, "pageSize": size, "total": skus.len(), "data": data,
    }}))
}

fn xhs_update(shared: &Shared, call: &RouterCall) -> Answer {
    let sku_id = required(call, "skuId")?;
    let qty = required_number(call, "qty")?;
    if qty < 0 {
        return Err(param("qty must be at least 0"));
    }
    let i = by_id(shared, &sku_id, xhs_sku_id).ok_or_else(|| unknown_sku(&sku_id))?;
    let level = apply(shared, call, i, qty, false)?;
    Ok(json!({"success": true, "code": 0, "msg": "成功", "data": {
        "skuId": sku_id, "apiVersion": "V0", "skuStock": {"available": level, "total": level},
    }}))
}
