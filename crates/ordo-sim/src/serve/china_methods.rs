//! The router methods: each platform's incremental order list (its window parameters,
//! time format, page parameters and envelope), Xiaohongshu's detail and receiver calls,
//! and each platform's "ship with tracking number" write-back. Stock write-backs and
//! cancellation are in `china_stock`.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};

use super::china::{Fault, RouterCall, SYSTEM_PARAMS};
use crate::Platform;
use crate::book::offset_page;
use crate::generate::{self, Shipment, SimOrder, Status, china};
use crate::state::Shared;
use crate::writeback::WriteBackKind;

type Answer = Result<Value, (Fault, String)>;

pub(super) fn param(detail: impl Into<String>) -> (Fault, String) {
    (Fault::Param, detail.into())
}

impl RouterCall {
    pub(super) fn text(&self, name: &str) -> Option<String> {
        match self.biz.get(name)? {
            Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }
    }

    pub(super) fn number(&self, name: &str) -> Result<Option<i64>, (Fault, String)> {
        match self.biz.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| param(format!("{name} is not an integer"))),
            Some(Value::String(s)) => s
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| param(format!("{name} is not an integer"))),
            Some(_) => Err(param(format!("{name} is not an integer"))),
        }
    }

    pub(super) fn flag(&self, name: &str) -> bool {
        matches!(self.biz.get(name), Some(Value::Bool(true)))
            || self.text(name).is_some_and(|v| v == "true" || v == "1")
    }

    /// A page number (`first` is 0 or 1) and a size within `1..=max`.
    pub(super) fn paging(
        &self,
        page: &str,
        size: &str,
        first: i64,
        default_size: i64,
        max: i64,
    ) -> Result<(usize, usize), (Fault, String)> {
        let number = self.number(page)?.unwrap_or(first);
        let size_value = self.number(size)?.unwrap_or(default_size);
        if number < first {
            return Err(param(format!("{page} starts at {first}")));
        }
        if !(1..=max).contains(&size_value) {
            return Err(param(format!("{size} must be between 1 and {max}")));
        }
        // Offset pages count from 1.
        Ok(((number - first + 1) as usize, size_value as usize))
    }

    /// A window given as Beijing-time text; both ends are required and inclusive.
    pub(super) fn text_window(
        &self,
        start: &str,
        end: &str,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), (Fault, String)> {
        let read = |name: &str| {
            let text = self.text(name).ok_or_else(|| param(format!("{name} is required")))?;
            generate::parse_beijing(&text).ok_or_else(|| param(format!("{name} must be yyyy-MM-dd HH:mm:ss")))
        };
        ordered(read(start)?, read(end)?)
    }

    /// A window given as epoch seconds or milliseconds.
    pub(super) fn epoch_window(
        &self,
        start: &str,
        end: &str,
        millis: bool,
    ) -> Result<(DateTime<Utc>, DateTime<Utc>), (Fault, String)> {
        let read = |name: &str| {
            let n = self.number(name)?.ok_or_else(|| param(format!("{name} is required")))?;
            let t = if millis {
                DateTime::from_timestamp_millis(n)
            } else {
                DateTime::from_timestamp(n, 0)
            };
            t.ok_or_else(|| param(format!("{name} is out of range")))
        };
        ordered(read(start)?, read(end)?)
    }
}

fn ordered(start: DateTime<Utc>, end: DateTime<Utc>) -> Result<(DateTime<Utc>, DateTime<Utc>), (Fault, String)> {
    if start > end {
        return Err(param("the window's start is after its end"));
    }
    Ok((start, end))
}

pub(super) fn dispatch(shared: &Shared, call: &RouterCall) -> Answer {
    match (shared.platform(), call.method.as_str()) {
        (Platform::Taobao, "taobao.trades.sold.increment.get") => taobao_list(shared, call),
        (Platform::Taobao, "taobao.logistics.offline.send") => {
            ship(shared, call, ["tid", "out_sid", "company_code"])?;
            Ok(json!({"logistics_offline_send_response": {"shipping": {"is_success": true}, "request_id": "sim"}}))
        }
        (Platform::Jd, "jingdong.pop.order.search") => jd_list(shared, call),
        (Platform::Jd, "jingdong.pop.order.shipment") => {
            ship(shared, call, ["order_id", "logi_no", "logi_coprId"])?;
            Ok(
                json!({"jingdong_pop_order_shipment_responce": {"code": "0", "sopjosshipment_result": {"success": true, "chineseErr": "", "englishErr": ""}}}),
            )
        }
        (Platform::Douyin, "order.searchList") => douyin_list(shared, call),
        (Platform::Douyin, "order.orderDetail") => douyin_detail(shared, call),
        (Platform::Douyin, "order.logisticsAdd") => {
            ship(shared, call, ["order_id", "logistics_code", "company"])?;
            Ok(json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim", "data": {}}))
        }
        (Platform::Pinduoduo, "pdd.order.number.list.increment.get") => pdd_list(shared, call),
        (Platform::Pinduoduo, "pdd.logistics.online.send") => {
            ship(shared, call, ["order_sn", "tracking_number", "logistics_id"])?;
            Ok(json!({"logistics_online_send_response": {"is_success": true, "request_id": "sim"}}))
        }
        (Platform::Xiaohongshu, "order.getOrderList") => xhs_list(shared, call),
        (Platform::Xiaohongshu, "order.getOrderDetail") => xhs_detail(shared, call),
        (Platform::Xiaohongshu, "order.getOrderReceiverInfo") => xhs_receiver(shared, call),
        (Platform::Xiaohongshu, "order.orderDeliver") => {
            ship(shared, call, ["orderId", "expressNo", "expressCompanyCode"])?;
            Ok(json!({"success": true, "code": 0, "msg": "成功", "data": {}}))
        }
        // Stock write-backs, their lookups and Taobao's trade close; after-sale lists.
        (_, other) => super::china_stock::dispatch(shared, call)
            .or_else(|| super::china_aftersales::dispatch(shared, call))
            .unwrap_or_else(|| Err((Fault::Method, format!("unknown method {other}")))),
    }
}

/// JD and Pinduoduo show an order to the seller only once it is paid.
fn visible(platform: Platform, order: &SimOrder) -> bool {
    !matches!(platform, Platform::Jd | Platform::Pinduoduo) || order.paid_at.is_some()
}

/// The orders whose chosen time lies in `[start, end]`, ascending by update.
fn in_window<'a>(
    shared: &Shared,
    book: &'a crate::book::OrderBook,
    (start, end): (DateTime<Utc>, DateTime<Utc>),
    by_update: bool,
) -> Vec<&'a SimOrder> {
    let platform = shared.platform();
    book.all(|o| {
        let t = if by_update { o.updated_at } else { o.created_at };
        visible(platform, o) && t >= start && t <= end
    })
}

fn rendered(shared: &Shared, orders: &[&SimOrder]) -> Vec<Value> {
    orders
        .iter()
        .map(|o| shared.renamed(china::order(shared.platform(), o)))
        .collect()
}

fn taobao_list(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.text_window("start_modified", "end_modified")?;
    let (page, size) = call.paging("page_no", "page_size", 1, 40, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = in_window(shared, &book, window, true);
    let trades = rendered(shared, &offset_page(&all, page, size));
    let mut answer = json!({"trades": {"trade": trades}, "has_next": page * size < all.len(), "request_id": "sim"});
    if !call.flag("use_has_next") {
        answer["total_results"] = json!(all.len());
    }
    Ok(json!({ "trades_sold_increment_get_response": answer }))
}

fn jd_list(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.text_window("start_date", "end_date")?;
    // dateType 1 filters by modification time; 0 (JD's default) by order time.
    let by_update = call.number("dateType")?.unwrap_or(0) == 1;
    let (page, size) = call.paging("page", "page_size", 1, 20, 100)?;
    // `order_state`, when given, is a comma-separated list of the states wanted.
    let states: Option<Vec<String>> = call
        .text("order_state")
        .map(|s| s.split(',').map(|x| x.trim().to_owned()).collect());
    let book = shared.book.lock().expect("book lock");
    let mut all = in_window(shared, &book, window, by_update);
    if let Some(states) = &states {
        all.retain(|o| states.iter().any(|s| s == china::jd_state(o)));
    }
    let orders = rendered(shared, &offset_page(&all, page, size));
    Ok(
        json!({"jingdong_pop_order_search_responce": {"code": "0", "searchorderinfo_result": {
            "apiResult": {"success": true, "code": "0", "chineseErr": "", "englishErr": ""},
            "orderTotal": all.len(),
            "orderInfoList": orders,
        }}}),
    )
}

fn douyin_list(shared: &Shared, call: &RouterCall) -> Answer {
    let by_update = call.biz.contains_key("update_time_start") || !call.biz.contains_key("create_time_start");
    let window = if by_update {
        call.epoch_window("update_time_start", "update_time_end", false)?
    } else {
        call.epoch_window("create_time_start", "create_time_end", false)?
    };
    let (page, size) = call.paging("page", "size", 0, 10, 100)?;
    let book = shared.book.lock().expect("book lock");
    let mut all = in_window(shared, &book, window, by_update);
    if call.text("order_by").as_deref() == Some("create_time") {
        all.sort_by_key(|o| o.seq);
    }
    if matches!(call.biz.get("order_asc"), Some(Value::Bool(false)))
        || call.text("order_asc").as_deref() == Some("false")
    {
        all.reverse();
    }
    let orders = rendered(shared, &offset_page(&all, page, size));
    Ok(
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim", "data": {
            "shop_order_list": orders, "total": all.len(), "page": page - 1, "size": size,
        }}),
    )
}

/// `order.orderDetail`: one shop order by `shop_order_id`, as the list renders it, under
/// `data.shop_order_detail` (what a push receiver calls for each order a message names).
fn douyin_detail(shared: &Shared, call: &RouterCall) -> Answer {
    let id = call
        .text("shop_order_id")
        .ok_or_else(|| param("shop_order_id is required"))?;
    let book = shared.book.lock().expect("book lock");
    let order = book.get(&id).ok_or_else(|| (Fault::NotFound, format!("order {id}")))?;
    let detail = rendered(shared, &[order]).remove(0);
    Ok(
        json!({"code": 10000, "msg": "success", "sub_code": "", "sub_msg": "", "log_id": "sim", "data": {
            "shop_order_detail": detail,
        }}),
    )
}

/// Pinduoduo refuses windows longer than this.
const PDD_MAX_WINDOW_S: i64 = 30 * 60;

fn pdd_list(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.epoch_window("start_updated_at", "end_updated_at", false)?;
    if (window.1 - window.0).num_seconds() > PDD_MAX_WINDOW_S {
        return Err(param("end_updated_at - start_updated_at must not exceed 30 minutes"));
    }
    let (page, size) = call.paging("page", "page_size", 1, 100, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = in_window(shared, &book, window, true);
    let orders = rendered(shared, &offset_page(&all, page, size));
    let mut answer = json!({"order_sn_list": orders, "has_next": page * size < all.len(), "request_id": "sim"});
    if !call.flag("use_has_next") {
        answer["total_count"] = json!(all.len());
    }
    Ok(json!({ "order_sn_increment_get_response": answer }))
}

fn xhs_ok(data: Value) -> Value {
    json!({"success": true, "code": 0, "msg": "成功", "data": data})
}

fn xhs_list(shared: &Shared, call: &RouterCall) -> Answer {
    let window = call.epoch_window("startTime", "endTime", true)?;
    // timeType 2 filters by update time; 1 (the default) by creation time.
    let by_update = call.number("timeType")?.unwrap_or(1) == 2;
    let (page, size) = call.paging("pageNo", "pageSize", 1, 50, 100)?;
    let book = shared.book.lock().expect("book lock");
    let all = in_window(shared, &book, window, by_update);
    let orders: Vec<Value> = offset_page(&all, page, size)
        .into_iter()
        .map(|o| shared.renamed(china::xhs_summary(o)))
        .collect();
    Ok(xhs_ok(json!({
        "total": all.len(), "pageNo": page, "pageSize": size,
        "maxPageNo": all.len().div_ceil(size), "orderList": orders,
    })))
}

fn xhs_detail(shared: &Shared, call: &RouterCall) -> Answer {
    let id = call.text("orderId").ok_or_else(|| param("orderId is required"))?;
    let book = shared.book.lock().expect("book lock");
    let order = book.get(&id).ok_or_else(|| (Fault::NotFound, format!("order {id}")))?;
    Ok(xhs_ok(shared.renamed(china::xhs_detail(order))))
}

/// Takes `orderId`, or `receiverQueries: [{orderId, openAddressId}]` as the platform's
/// batch form; answers the receiver itself for one `orderId`, `receiverInfos` for a batch.
fn xhs_receiver(shared: &Shared, call: &RouterCall) -> Answer {
    let renames: Vec<_> = shared
        .renames()
        .iter()
        .filter_map(|r| r.within_object("receiver"))
        .collect();
    let book = shared.book.lock().expect("book lock");
    let receiver = |id: &str| -> Result<Value, (Fault, String)> {
        let order = book.get(id).ok_or_else(|| (Fault::NotFound, format!("order {id}")))?;
        let mut value = china::xhs_receiver(order);
        crate::rename::apply_all(&renames, &mut value);
        Ok(value)
    };
    if let Some(id) = call.text("orderId") {
        return Ok(xhs_ok(receiver(&id)?));
    }
    let queries = match call.biz.get("receiverQueries") {
        Some(Value::String(text)) => serde_json::from_str(text).unwrap_or(Value::Null),
        Some(other) => other.clone(),
        None => Value::Null,
    };
    let Some(queries) = queries.as_array().filter(|q| !q.is_empty()) else {
        return Err(param("orderId or receiverQueries is required"));
    };
    let infos = queries
        .iter()
        .map(|q| receiver(q.get("orderId").and_then(Value::as_str).unwrap_or_default()))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(xhs_ok(json!({ "receiverInfos": infos })))
}

/// A "send" write-back: the order id, tracking number and carrier under the platform's
/// three parameter names. The order must be paid, open and not yet shipped.
fn ship(
    shared: &Shared,
    call: &RouterCall,
    [id_name, number_name, carrier_name]: [&str; 3],
) -> Result<(), (Fault, String)> {
    let result = ship_checked(shared, call, [id_name, number_name, carrier_name]);
    if result.is_err() {
        shared.reject();
    }
    result
}

fn ship_checked(
    shared: &Shared,
    call: &RouterCall,
    [id_name, number_name, carrier_name]: [&str; 3],
) -> Result<(), (Fault, String)> {
    let required = |name: &str| call.text(name).ok_or_else(|| param(format!("{name} is required")));
    let (id, number, carrier) = (required(id_name)?, required(number_name)?, required(carrier_name)?);
    let mut book = shared.book.lock().expect("book lock");
    let order = book
        .get(&id)
        .filter(|o| visible(shared.platform(), o))
        .ok_or_else(|| (Fault::NotFound, format!("order {id}")))?;
    match order.status() {
        Status::Paid => {}
        Status::Unpaid => return Err(param("the order is not paid")),
        Status::Shipped | Status::Completed => return Err(param("the order has already shipped")),
        Status::Cancelled | Status::Refunded => return Err(param("the order is closed")),
    }
    book.update(&id, Utc::now(), |o, at| {
        o.shipments.push(Shipment {
            tracking_number: number,
            company: carrier,
            url: None,
            at,
        });
    })
    .ok_or_else(|| (Fault::NotFound, format!("order {id}")))?;
    let body: Map<String, Value> = call
        .biz
        .iter()
        .filter(|(k, _)| !SYSTEM_PARAMS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    shared.record(WriteBackKind::Tracking, &id, Value::Object(body));
    Ok(())
}
