//! A stand-in for the five Chinese router APIs: checks every request's signature, answers
//! list calls from a set of orders by window and page in the platform's envelope, serves
//! Xiaohongshu's detail and receiver calls, and records everything it was asked.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

use chrono::{DateTime, NaiveDateTime, TimeDelta, Utc};
use ordo_connect::{Platform, sign_router};
use serde_json::{Map, Value, json};
use wiremock::{Request, Respond, ResponseTemplate};

use super::{APP_SECRET, fixture, form};

/// One call as the platform saw it: the method and its business parameters.
#[derive(Debug, Clone)]
pub struct Call {
    pub method: String,
    pub params: HashMap<String, String>,
    pub business: Map<String, Value>,
}

/// The stand-in's state, shared with the test.
#[derive(Debug)]
pub struct Router {
    pub platform: Platform,
    /// Orders with their modification time.
    pub orders: Mutex<Vec<(DateTime<Utc>, Value)>>,
    pub calls: Mutex<Vec<Call>>,
    pub bad_signatures: Mutex<usize>,
    /// Answers given before any other, e.g. error envelopes.
    pub scripted: Mutex<VecDeque<Value>>,
}

/// The mountable responder.
pub struct Responder(pub Arc<Router>);

impl Router {
    pub fn new(platform: Platform) -> Arc<Self> {
        Arc::new(Self {
            platform,
            orders: Mutex::new(Vec::new()),
            calls: Mutex::new(Vec::new()),
            bad_signatures: Mutex::new(0),
            scripted: Mutex::new(VecDeque::new()),
        })
    }

    /// Adds the platform's sample order under another id, modified at `at`.
    pub fn add(&self, id: &str, at: DateTime<Utc>) -> Value {
        let mut order = sample(self.platform);
        match self.platform {
            Platform::Taobao => {
                order["tid"] = json!(id.parse::<u64>().unwrap());
                order["tid_str"] = json!(id);
            }
            Platform::Jd => order["orderId"] = json!(id),
            Platform::Douyin => order["order_id"] = json!(id),
            Platform::Pinduoduo => order["order_sn"] = json!(id),
            _ => order["orderId"] = json!(id),
        }
        self.orders.lock().unwrap().push((at, order.clone()));
        order
    }

    pub fn script(&self, answer: Value) {
        self.scripted.lock().unwrap().push_back(answer);
    }

    pub fn calls(&self) -> Vec<Call> {
        self.calls.lock().unwrap().clone()
    }

    /// The list calls' windows, in order.
    pub fn windows(&self) -> Vec<(DateTime<Utc>, DateTime<Utc>)> {
        let list = list_method(self.platform);
        self.calls()
            .iter()
            .filter(|c| c.method == list)
            .map(|c| window(self.platform, &c.business))
            .collect()
    }

    fn answer(&self, call: &Call) -> Value {
        if let Some(answer) = self.scripted.lock().unwrap().pop_front() {
            return answer;
        }
        let p = self.platform;
        if call.method == list_method(p) {
            return self.list(call);
        }
        match call.method.as_str() {
            "order.getOrderDetail" | "order.getOrderReceiverInfo" => {
                let id = call.business["orderId"].as_str().unwrap().to_owned();
                let orders = self.orders.lock().unwrap();
                let (_, order) = orders
                    .iter()
                    .find(|(_, o)| o["orderId"] == json!(id))
                    .expect("known order");
                let mut detail = order.clone();
                let receiver = detail.as_object_mut().unwrap().remove("receiver").unwrap();
                if call.method == "order.getOrderDetail" {
                    json!({"success": true, "data": detail})
                } else {
                    let mut info = receiver;
                    info["orderId"] = json!(id);
                    json!({"success": true, "data": {"receiverInfos": [info]}})
                }
            }
            _ => match p {
                Platform::Taobao => json!({"logistics_offline_send_response": {"shipping": {"is_success": true}}}),
                Platform::Jd => json!({"jingdong_pop_order_shipment_responce": {"code": "0"}}),
                Platform::Douyin => json!({"code": 10000, "msg": "success", "data": {}}),
                Platform::Pinduoduo => json!({"logistics_online_send_response": {"is_success": true}}),
                _ => json!({"success": true, "data": {}}),
            },
        }
    }

    fn list(&self, call: &Call) -> Value {
        let p = self.platform;
        let (from, to) = window(p, &call.business);
        let b = &call.business;
        let int = |k: &str| {
            b[k].as_u64()
                .or_else(|| b[k].as_str().and_then(|s| s.parse().ok()))
                .unwrap()
        };
        let (page, size) = match p {
            Platform::Taobao => (int("page_no"), int("page_size")),
            Platform::Douyin => (int("page") + 1, int("size")),
            Platform::Xiaohongshu => (int("pageNo"), int("pageSize")),
            _ => (int("page"), int("page_size")),
        };
        let mut matching: Vec<(DateTime<Utc>, Value)> = self
            .orders
            .lock()
            .unwrap()
            .iter()
            .filter(|(at, _)| from <= *at && *at <= to)
            .cloned()
            .collect();
        matching.sort_by_key(|(at, _)| *at);
        let total = matching.len() as u64;
        let skip = ((page - 1) * size) as usize;
        let orders: Vec<Value> = matching
            .into_iter()
            .skip(skip)
            .take(size as usize)
            .map(|(_, o)| o)
            .collect();
        let has_next = page * size < total;
        match p {
            Platform::Taobao => {
                json!({"trades_sold_increment_get_response": {"trades": {"trade": orders}, "has_next": has_next}})
            }
            Platform::Jd => json!({"jingdong_pop_order_search_responce": {"code": "0", "searchorderinfo_result": {
                "apiResult": {"success": true}, "orderInfoList": orders, "orderTotal": total}}}),
            Platform::Douyin => json!({"code": 10000, "msg": "success", "data": {
                "shop_order_list": orders, "total": total, "page": page - 1, "size": size}}),
            Platform::Pinduoduo => json!({"order_sn_increment_get_response": {
                "order_sn_list": orders, "has_next": has_next, "total_count": total}}),
            _ => {
                let summaries: Vec<Value> = orders.iter().map(|o| json!({"orderId": o["orderId"]})).collect();
                json!({"success": true, "data": {"orderList": summaries, "total": total, "pageNo": page,
                    "maxPageNo": total.div_ceil(size)}})
            }
        }
    }
}

impl Respond for Responder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let router = &self.0;
        let params = form(request);
        let unsigned: std::collections::BTreeMap<String, String> = params
            .iter()
            .filter(|(k, _)| k.as_str() != "sign")
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        if params.get("sign") != Some(&sign_router(APP_SECRET, &unsigned)) {
            *router.bad_signatures.lock().unwrap() += 1;
            return ResponseTemplate::new(200)
                .set_body_json(json!({"error_response": {"code": 25, "msg": "Invalid signature"}}));
        }
        let method = params
            .get("method")
            .or_else(|| params.get("type"))
            .cloned()
            .unwrap_or_default();
        let business = match router.platform {
            Platform::Jd => serde_json::from_str(&params["360buy_param_json"]).unwrap(),
            Platform::Douyin => serde_json::from_str(&params["param_json"]).unwrap(),
            _ => {
                let common = [
                    "method",
                    "type",
                    "app_key",
                    "client_id",
                    "appId",
                    "session",
                    "access_token",
                    "accessToken",
                    "timestamp",
                    "format",
                    "v",
                    "version",
                    "data_type",
                    "sign_method",
                    "sign",
                ];
                params
                    .iter()
                    .filter(|(k, _)| !common.contains(&k.as_str()))
                    .map(|(k, v)| {
                        (
                            k.clone(),
                            v.parse::<Value>().ok().filter(|v| !v.is_string()).unwrap_or(json!(v)),
                        )
                    })
                    .collect()
            }
        };
        let call = Call {
            method,
            params,
            business,
        };
        let answer = router.answer(&call);
        router.calls.lock().unwrap().push(call);
        ResponseTemplate::new(200).set_body_json(answer)
    }
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

/// The router path of the list call.
pub fn list_path(platform: Platform) -> &'static str {
    match platform {
        Platform::Taobao => "/router/rest",
        Platform::Jd => "/routerjson",
        Platform::Douyin => "/order/searchList",
        Platform::Pinduoduo => "/api/router",
        _ => "/api/sns/v3/",
    }
}

pub fn sample(platform: Platform) -> Value {
    fixture(&format!("{}_sample_order.json", platform.as_str()))
}

/// The window a list call asked about, as the platform reads it.
pub fn window(platform: Platform, b: &Map<String, Value>) -> (DateTime<Utc>, DateTime<Utc>) {
    let beijing = |k: &str| {
        let naive = NaiveDateTime::parse_from_str(b[k].as_str().unwrap(), "%Y-%m-%d %H:%M:%S").unwrap();
        naive.and_utc() - TimeDelta::hours(8)
    };
    let epoch = |k: &str| DateTime::from_timestamp(b[k].as_i64().unwrap(), 0).unwrap();
    let millis = |k: &str| DateTime::from_timestamp_millis(b[k].as_i64().unwrap()).unwrap();
    match platform {
        Platform::Taobao => (beijing("start_modified"), beijing("end_modified")),
        Platform::Jd => (beijing("start_date"), beijing("end_date")),
        Platform::Douyin => (epoch("update_time_start"), epoch("update_time_end")),
        Platform::Pinduoduo => (epoch("start_updated_at"), epoch("end_updated_at")),
        _ => (millis("startTime"), millis("endTime")),
    }
}
