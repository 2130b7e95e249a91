//! The after-sale list methods of Taobao (`taobao.refunds.receive.get`), Douyin
//! (`afterSale.List`) and Pinduoduo (`pdd.refund.list.increment.get`), signed and paged
//! like their order lists; fields, status words and codes written from the platforms'
//! documentation (no sample payloads of these platforms may be copied).
//!
//! A share of paid orders (the after-sale rate, 5 % by default, `/_sim/aftersale-rate`)
//! have one after-sale record, on their first line, modified when the order last was; a
//! return or exchange only once the order shipped. Which record follows the order's
//! number, so that a few orders show every kind:
//!
//! | seq % 4 | Taobao | Douyin | Pinduoduo |
//! |---|---|---|---|
//! | 0 | refund only, `SUCCESS` | return, 7 待买家退货 | refund only, 10 退款成功 |
//! | 1 | return, `WAIT_BUYER_RETURN_GOODS` | refund only, 12 售后成功 (refunded) | return, 7 |
//! | 2 | refund only, `WAIT_SELLER_AGREE` | return, 11 待商家二次同意 | refund only, 2 |
//! | 3 | return, `SUCCESS` | exchange, 6 待商家同意 | exchange, 14 |

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::china::{Fault, RouterCall};
use super::china_methods::param;
use crate::Platform;
use crate::book::offset_page;
use crate::generate::{SimOrder, beijing_text, money};
use crate::state::Shared;

type Answer = Result<Value, (Fault, String)>;

/// The after-sale method of the platform, answered; `None` for any other method.
pub(super) fn dispatch(shared: &Shared, call: &RouterCall) -> Option<Answer> {
    Some(match (shared.platform(), call.method.as_str()) {
        (Platform::Taobao, "taobao.refunds.receive.get") => taobao(shared, call),
        (Platform::Douyin, "afterSale.List") => douyin(shared, call),
        (Platform::Pinduoduo, "pdd.refund.list.increment.get") => pinduoduo(shared, call),
        (Platform::Taobao, "taobao.rp.refunds.agree") => counted(shared, taobao_agree(shared, call)),
        (Platform::Taobao, "taobao.rp.returngoods.agree") => counted(shared, taobao_return_agree(shared, call)),
        (Platform::Taobao, "taobao.refund.refuse") => counted(shared, taobao_refuse(shared, call)),
        (Platform::Douyin, "afterSale.operate") => counted(shared, douyin_operate(shared, call)),
        _ => return None,
    })
}

/// Whether the record an order would have sends goods back (a return or an exchange).
fn goods_back(platform: Platform, order: &SimOrder) -> bool {
    match platform {
        Platform::Douyin => order.seq % 4 != 1,
        _ => order.seq % 4 % 2 == 1,
    }
}

/// Whether a paid order has an after-sale record, at `permille` of them: a hash of the
/// order's number and the seed, so the same orders always do. Goods come back only once
/// they went out: a return or exchange is listed only for an order shipped (by a tracking
/// write-back).
pub(crate) fn has_aftersale(platform: Platform, order: &SimOrder, seed: u64, permille: u32) -> bool {
    if order.paid_at.is_none() || order.cancelled_at.is_some() || order.lines.is_empty() {
        return false;
    }
    if goods_back(platform, order) && order.shipments.is_empty() {
        return false;
    }
    let mut x = order.seq ^ seed.rotate_left(17) ^ 0x9E37_79B9_7F4A_7C15;
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    x % 1000 < u64::from(permille)
}

/// The orders with an after-sale record modified in `[start, end]`, oldest change first.
fn with_aftersale<'a>(
    shared: &Shared,
    book: &'a crate::book::OrderBook,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
) -> Vec<&'a SimOrder> {
    let (platform, permille, seed) = (shared.platform(), shared.aftersale_permille(), shared.config.seed);
    book.all(|o| o.updated_at >= start && o.updated_at <= end && has_aftersale(platform, o, seed, permille))
}

/// The after-sale record of an order, as its platform's list writes it.
pub(crate) fn record(platform: Platform, o: &SimOrder) -> Value {
    let line = &o.lines[0];
    let amount = line.unit_minor * i64::from(line.quantity);
    let scenario = o.seq % 4;
    match platform {
        Platform::Taobao => {
            let (status, goods_back) = match scenario {
                0 => ("SUCCESS", false),
                1 => ("WAIT_BUYER_RETURN_GOODS", true),
                2 => ("WAIT_SELLER_AGREE", false),
                _ => ("SUCCESS", true),
            };
            json!({
                "refund_id": 120_000_000_000_000_000u64 + o.seq,
                "tid": o.num_id, "oid": line.id,
                "title": line.title, "total_fee": money(amount), "refund_fee": money(amount),
                "status": status, "has_good_return": goods_back,
                "good_status": if goods_back { "BUYER_RETURNED_GOODS" } else { "BUYER_NOT_RECEIVED" },
                "created": beijing_text(o.updated_at), "modified": beijing_text(o.updated_at),
                "num": line.quantity, "outer_id": line.sku,
                "reason": if goods_back { "七天无理由退换货" } else { "未按约定时间发货" },
            })
        }
        Platform::Douyin => {
            let (kind, status, refund_status) = match scenario {
                0 => (0, 7, 1),
                1 => (2, 12, 3),
                2 => (0, 11, 1),
                _ => (3, 6, 1),
            };
            json!({
                "aftersale_info": {
                    "aftersale_id": (7_090_000_000_000_000_000u64 + o.seq).to_string(),
                    "aftersale_order_type": 1, "aftersale_type": kind, "aftersale_status": status,
                    "refund_status": refund_status,
                    "related_id": line.id.to_string(),
                    "apply_time": o.updated_at.timestamp(), "update_time": o.updated_at.timestamp(),
                    "refund_amount": if kind == 3 { 0 } else { amount }, "refund_post_amount": 0,
                    "aftersale_num": line.quantity, "reason": "七天无理由退货",
                },
                "order_info": {
                    "shop_order_id": o.num_id.to_string(),
                    "related_order_info": [{
                        "sku_order_id": line.id.to_string(), "shop_sku_code": line.sku,
                        "item_num": line.quantity, "aftersale_item_num": line.quantity, "pay_amount": amount,
                    }],
                },
            })
        }
        _ => {
            let (kind, status) = match scenario {
                0 => (2, 10),
                1 => (3, 7),
                2 => (2, 2),
                _ => (4, 14),
            };
            json!({
                "id": 9_000_000_000u64 + o.seq, "order_sn": o.external_id,
                "after_sales_type": kind, "after_sales_status": status,
                "after_sales_reason": "不想要了",
                "refund_amount": amount, "goods_number": line.quantity,
                "sku_id": 1_000_000_000_000u64 + line.sku_index as u64, "outer_id": line.sku,
                "created_time": beijing_text(o.updated_at), "updated_time": beijing_text(o.updated_at),
            })
        }
    }
}

fn rendered(shared: &Shared, orders: &[&SimOrder]) -> Vec<Value> {
    orders.iter().map(|o| decided(shared, o)).collect()
}

/// The after-sale record of an order with the status the seller's last decision set.
pub(crate) fn decided(shared: &Shared, o: &SimOrder) -> Value {
    let platform = shared.platform();
    let mut record = record(platform, o);
    if let Some(status) = shared.aftersale_decisions.lock().expect("decisions lock").get(&o.seq) {
        let at = match platform {
            Platform::Taobao => "/status",
            Platform::Douyin => "/aftersale_info/aftersale_status",
            _ => "/after_sales_status",
        };
        if let Some(slot) = record.pointer_mut(at) {
            *slot = status.clone();
        }
    }
    record
}

/// A refused decision is counted, as every platform's refusals are.
fn counted(shared: &Shared, answer: Answer) -> Answer {
    if answer.is_err() {
        shared.reject();
    }
    answer
}

/// Taobao refund ids and Douyin after-sale ids are the order's number over a base.
const TAOBAO_REFUND_BASE: u64 = 120_000_000_000_000_000;
const DOUYIN_AFTERSALE_BASE: u64 = 7_090_000_000_000_000_000;

/// The order whose after-sale record has id `id` (over `base`), and that record as it
/// stands.
fn listed(shared: &Shared, id: &str, base: u64) -> Result<(String, u64, Value), (Fault, String)> {
    let not_found = || (Fault::NotFound, format!("after-sale {id}"));
    let seq = id
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_sub(base))
        .ok_or_else(not_found)?;
    let (platform, permille, seed) = (shared.platform(), shared.aftersale_permille(), shared.config.seed);
    let book = shared.book.lock().expect("book lock");
    let order = book
        .find(|o| o.seq == seq && has_aftersale(platform, o, seed, permille))
        .ok_or_else(not_found)?;
    let external_id = order.external_id.clone();
    Ok((external_id, seq, decided(shared, order)))
}

/// Records the seller's decision: the after-sale's new status, its order modified (so
/// the after-sale list shows it again), and the call in the write-back log.
fn decide(shared: &Shared, external_id: &str, seq: u64, status: Value, body: Value) {
    shared
        .aftersale_decisions
        .lock()
        .expect("decisions lock")
        .insert(seq, status);
    shared
        .book
        .lock()
        .expect("book lock")
        .update(external_id, Utc::now(), |_, _| ());
    shared.record(crate::writeback::WriteBackKind::AfterSale, external_id, body);
}

fn required(call: &RouterCall, name: &str) -> Result<String, (Fault, String)> {
    call.text(name).ok_or_else(|| param(format!("{name} is required")))
}

/// `taobao.rp.refunds.agree`: `refund_infos` is `refund_id|amount|version|phase`, several
/// separated by commas; a refund waiting for the seller (or for the goods' receipt)
/// succeeds.
fn taobao_agree(shared: &Shared, call: &RouterCall) -> Answer {
    let infos = required(call, "refund_infos")?;
    let mut results = Vec::new();
    for info in infos.split(',') {
        let id = info.split('|').next().unwrap_or_default().trim();
        let (external_id, seq, record) = listed(shared, id, TAOBAO_REFUND_BASE)?;
        match record["status"].as_str().unwrap_or_default() {
            "SUCCESS" => {}
            "WAIT_SELLER_AGREE" | "WAIT_SELLER_CONFIRM_GOODS" => {
                let body = json!({"refund_id": id, "decision": "agree", "refund_infos": info});
                decide(shared, &external_id, seq, json!("SUCCESS"), body);
            }
            other => return Err(param(format!("refund {id} cannot be agreed in status {other}"))),
        }
        results.push(json!({"refund_id": id, "succ": true, "message": "退款成功"}));
    }
    Ok(json!({"rp_refunds_agree_response": {
        "msg_code": "OP_SUCC", "succ": true, "message": "操作成功",
        "results": {"refund_mapping_result": results}, "request_id": "sim",
    }}))
}

/// `taobao.rp.returngoods.agree`: the seller agrees to take the goods back; the buyer
/// is then to return them.
fn taobao_return_agree(shared: &Shared, call: &RouterCall) -> Answer {
    let id = required(call, "refund_id")?;
    let (external_id, seq, record) = listed(shared, &id, TAOBAO_REFUND_BASE)?;
    if record["has_good_return"] != json!(true) {
        return Err(param(format!("refund {id} returns no goods")));
    }
    match record["status"].as_str().unwrap_or_default() {
        "WAIT_BUYER_RETURN_GOODS" => {}
        "WAIT_SELLER_AGREE" => {
            let body = json!({"refund_id": id, "decision": "agree_return"});
            decide(shared, &external_id, seq, json!("WAIT_BUYER_RETURN_GOODS"), body);
        }
        other => return Err(param(format!("refund {id} cannot be agreed in status {other}"))),
    }
    Ok(json!({"rp_returngoods_agree_response": {"is_success": true, "request_id": "sim"}}))
}

/// `taobao.refund.refuse`: the seller refuses, with a message.
fn taobao_refuse(shared: &Shared, call: &RouterCall) -> Answer {
    let id = required(call, "refund_id")?;
    let message = required(call, "refuse_message")?;
    let (external_id, seq, record) = listed(shared, &id, TAOBAO_REFUND_BASE)?;
    match record["status"].as_str().unwrap_or_default() {
        "SELLER_REFUSE_BUYER" => {}
        "WAIT_SELLER_AGREE" | "WAIT_SELLER_CONFIRM_GOODS" => {
            let body = json!({"refund_id": id, "decision": "refuse", "refuse_message": message});
            decide(shared, &external_id, seq, json!("SELLER_REFUSE_BUYER"), body);
        }
        other => return Err(param(format!("refund {id} cannot be refused in status {other}"))),
    }
    let modified = beijing_text(Utc::now());
    Ok(json!({"refund_refuse_response": {
        "is_success": true, "refund": {"refund_id": id, "status": "SELLER_REFUSE_BUYER", "modified": modified},
        "request_id": "sim",
    }}))
}

/// `afterSale/operate`: `type` 101 / 201 agree to a return / a refund, 111 agree to
/// refund once the goods came back, 102 / 202 / 112 refuse them; `items` name the
/// after-sales. Status codes: 6 待商家同意, 7 待买家退货, 11 待商家二次同意, 12 售后成功,
/// 27 拒绝售后申请, 29 退货后拒绝退款.
fn douyin_operate(shared: &Shared, call: &RouterCall) -> Answer {
    let kind = call.number("type")?.ok_or_else(|| param("type is required"))?;
    let items = call
        .biz
        .get("items")
        .and_then(Value::as_array)
        .filter(|items| !items.is_empty())
        .cloned()
        .ok_or_else(|| param("items is required"))?;
    let agree = match kind {
        101 | 111 | 201 => true,
        102 | 112 | 202 => false,
        other => return Err(param(format!("type {other} is not an after-sale review"))),
    };
    let mut results = Vec::new();
    for item in &items {
        let id = match &item["aftersale_id"] {
            Value::String(s) => s.clone(),
            Value::Number(n) => n.to_string(),
            _ => return Err(param("items.aftersale_id is required")),
        };
        let (external_id, seq, record) = listed(shared, &id, DOUYIN_AFTERSALE_BASE)?;
        let info = &record["aftersale_info"];
        let status = info["aftersale_status"].as_i64().unwrap_or_default();
        let goods_back = info["aftersale_type"].as_i64() != Some(2);
        let next = match (status, agree) {
            (6, true) if goods_back => 7,
            (6 | 11, true) => 12,
            (6, false) => 27,
            (11, false) => 29,
            _ => return Err(param(format!("after-sale {id} cannot be reviewed in status {status}"))),
        };
        let body = json!({"aftersale_id": id, "type": kind, "item": item});
        decide(shared, &external_id, seq, json!(next), body);
        results.push(json!({"aftersale_id": id, "status_code": 0, "status_msg": "success"}));
    }
    Ok(
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim",
        "data": {"items": results}}),
    )
}

fn taobao(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.text_window("start_modified", "end_modified")?;
    let (page, size) = call.paging("page_no", "page_size", 1, 40, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = with_aftersale(shared, &book, window);
    let refunds = rendered(shared, &offset_page(&all, page, size));
    let mut answer = json!({"refunds": {"refund": refunds}, "has_next": page * size < all.len(), "request_id": "sim"});
    if !call.flag("use_has_next") {
        answer["total_results"] = json!(all.len());
    }
    Ok(json!({ "refunds_receive_get_response": answer }))
}

fn douyin(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.epoch_window("update_start_time", "update_end_time", false)?;
    let (page, size) = call.paging("page", "size", 0, 10, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = with_aftersale(shared, &book, window);
    let items = rendered(shared, &offset_page(&all, page, size));
    Ok(
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim", "data": {
            "items": items, "has_more": page * size < all.len(), "total": all.len(), "page": page - 1, "size": size,
        }}),
    )
}

/// Pinduoduo refuses windows longer than this.
const PDD_MAX_WINDOW_S: i64 = 30 * 60;

fn pinduoduo(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.epoch_window("start_updated_at", "end_updated_at", false)?;
    if (window.1 - window.0).num_seconds() > PDD_MAX_WINDOW_S {
        return Err(param("end_updated_at - start_updated_at must not exceed 30 minutes"));
    }
    let (page, size) = call.paging("page", "page_size", 1, 100, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = with_aftersale(shared, &book, window);
    let list = rendered(shared, &offset_page(&all, page, size));
    Ok(json!({"refund_increment_get_response": {"refund_list": list, "total_count": all.len(), "request_id": "sim"}}))
}
