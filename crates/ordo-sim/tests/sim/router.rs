//! How a connector talks to the five router platforms: building and signing calls, and
//! reading each platform's list envelope and error codes.

use chrono::{DateTime, FixedOffset, Utc};
use ordo_sim::{Platform, Sim, sign_router};
use serde_json::{Value, json};

use crate::common::client;

pub const ROUTERS: [Platform; 5] = [
    Platform::Taobao,
    Platform::Jd,
    Platform::Douyin,
    Platform::Pinduoduo,
    Platform::Xiaohongshu,
];

pub fn beijing(t: DateTime<Utc>) -> String {
    t.with_timezone(&FixedOffset::east_opt(8 * 3600).unwrap())
        .format("%Y-%m-%d %H:%M:%S")
        .to_string()
}

/// A router call as a connector builds it: system parameters, business parameters (in
/// JD's and Douyin's JSON container, flat elsewhere), signed, sent as a form.
pub async fn call(sim: &Sim, method: &str, biz: Value, secret: &str, app_key: &str) -> Value {
    let platform = sim.platform();
    let now = Utc::now();
    let mut params: Vec<(String, String)> = Vec::new();
    let mut push = |k: &str, v: String| params.push((k.to_owned(), v));
    let (key_name, method_name) = match platform {
        Platform::Pinduoduo => ("client_id", "type"),
        Platform::Xiaohongshu => ("appId", "method"),
        _ => ("app_key", "method"),
    };
    push(key_name, app_key.to_owned());
    push(method_name, method.to_owned());
    push("sign_method", "hmac-sha256".into());
    push(
        "timestamp",
        match platform {
            Platform::Taobao | Platform::Jd => beijing(now),
            _ => now.timestamp().to_string(),
        },
    );
    match platform {
        Platform::Jd => push("360buy_param_json", biz.to_string()),
        Platform::Douyin => push("param_json", biz.to_string()),
        _ => {
            for (k, v) in biz.as_object().unwrap() {
                push(k, v.as_str().map_or_else(|| v.to_string(), str::to_owned));
            }
        }
    }
    let sign = sign_router(secret, params.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    params.push(("sign".into(), sign));
    let path = match platform {
        Platform::Taobao => "/router/rest".to_owned(),
        Platform::Jd => "/routerjson".to_owned(),
        Platform::Douyin => format!("/{}", method.replace('.', "/")),
        Platform::Pinduoduo => "/api/router".to_owned(),
        _ => "/api/sns/v3/".to_owned(),
    };
    let response = client()
        .post(format!("{}{path}", sim.base_url()))
        .form(&params)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200, "router platforms answer errors with HTTP 200");
    response.json().await.unwrap()
}

pub async fn signed(sim: &Sim, method: &str, biz: Value) -> Value {
    call(sim, method, biz, "sim-app-secret", "sim-app-key").await
}

pub fn list_method(platform: Platform) -> &'static str {
    match platform {
        Platform::Taobao => "taobao.trades.sold.increment.get",
        Platform::Jd => "jingdong.pop.order.search",
        Platform::Douyin => "order.searchList",
        Platform::Pinduoduo => "pdd.order.number.list.increment.get",
        _ => "order.getOrderList",
    }
}

/// The business parameters of one list page over `[start, end]`.
pub fn list_params(platform: Platform, start: DateTime<Utc>, end: DateTime<Utc>, page: usize, size: usize) -> Value {
    match platform {
        Platform::Taobao => {
            json!({"start_modified": beijing(start), "end_modified": beijing(end), "page_no": page.to_string(), "page_size": size.to_string(), "use_has_next": "true"})
        }
        Platform::Jd => {
            json!({"start_date": beijing(start), "end_date": beijing(end), "dateType": 1, "order_state": "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,FINISHED_L,TRADE_CANCELED,LOCKED,POP_ORDER_PAUSE", "page": page.to_string(), "page_size": size.to_string()})
        }
        Platform::Douyin => {
            json!({"update_time_start": start.timestamp(), "update_time_end": end.timestamp(), "page": page - 1, "size": size, "order_by": "update_time", "order_asc": true})
        }
        Platform::Pinduoduo => {
            json!({"start_updated_at": start.timestamp().to_string(), "end_updated_at": end.timestamp().to_string(), "page": page.to_string(), "page_size": size.to_string(), "use_has_next": "true"})
        }
        _ => {
            json!({"startTime": start.timestamp_millis().to_string(), "endTime": end.timestamp_millis().to_string(), "timeType": "2", "pageNo": page.to_string(), "pageSize": size.to_string()})
        }
    }
}

/// The ids on a page and whether the platform says more pages follow.
pub fn read_page(platform: Platform, body: &Value, page: usize, size: usize) -> (Vec<String>, bool) {
    let ids = |list: &Value, key: &str| -> Vec<String> {
        list.as_array()
            .unwrap_or_else(|| panic!("no order list in {body}"))
            .iter()
            .map(|o| o[key].as_str().unwrap().to_owned())
            .collect()
    };
    match platform {
        Platform::Taobao => {
            let r = &body["trades_sold_increment_get_response"];
            (ids(&r["trades"]["trade"], "tid_str"), r["has_next"].as_bool().unwrap())
        }
        Platform::Jd => {
            let r = &body["jingdong_pop_order_search_responce"]["searchorderinfo_result"];
            (
                ids(&r["orderInfoList"], "orderId"),
                page * size < r["orderTotal"].as_u64().unwrap() as usize,
            )
        }
        Platform::Douyin => {
            let r = &body["data"];
            assert_eq!(body["code"], 10000);
            (
                ids(&r["shop_order_list"], "order_id"),
                page * size < r["total"].as_u64().unwrap() as usize,
            )
        }
        Platform::Pinduoduo => {
            let r = &body["order_sn_increment_get_response"];
            (ids(&r["order_sn_list"], "order_sn"), r["has_next"].as_bool().unwrap())
        }
        _ => {
            let r = &body["data"];
            (
                ids(&r["orderList"], "orderId"),
                page < r["maxPageNo"].as_u64().unwrap() as usize,
            )
        }
    }
}

/// The error code wherever the platform puts it.
pub fn error_code(platform: Platform, body: &Value) -> String {
    let code = match platform {
        Platform::Taobao | Platform::Jd => &body["error_response"]["code"],
        Platform::Pinduoduo => &body["error_response"]["error_code"],
        Platform::Douyin => &body["code"],
        _ => {
            assert_eq!(body["success"], false);
            &body["error_code"]
        }
    };
    code.as_str().map_or_else(|| code.to_string(), str::to_owned)
}

/// A "send" write-back call; without `tracking`, the tracking number is missing.
pub fn ship(platform: Platform, id: &str, tracking: Option<&str>) -> (&'static str, Value) {
    let mut biz = match platform {
        Platform::Taobao => (
            "taobao.logistics.offline.send",
            json!({"tid": id, "company_code": "SF"}),
        ),
        Platform::Jd => (
            "jingdong.pop.order.shipment",
            json!({"order_id": id, "logi_coprId": "467"}),
        ),
        Platform::Douyin => ("order.logisticsAdd", json!({"order_id": id, "company": "shunfeng"})),
        Platform::Pinduoduo => (
            "pdd.logistics.online.send",
            json!({"order_sn": id, "logistics_id": "44"}),
        ),
        _ => (
            "order.orderDeliver",
            json!({"orderId": id, "expressCompanyCode": "shunfeng"}),
        ),
    };
    if let Some(tracking) = tracking {
        let name = match platform {
            Platform::Taobao => "out_sid",
            Platform::Jd => "logi_no",
            Platform::Douyin => "logistics_code",
            Platform::Pinduoduo => "tracking_number",
            _ => "expressNo",
        };
        biz.1[name] = json!(tracking);
    }
    biz
}
