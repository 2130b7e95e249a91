//! What differs between the five router APIs (`docs/channel-apis.md`, "Chinese
//! platforms"): paths, parameter names, time formats, where orders and "more pages" are in
//! an answer, and what their error envelopes mean.
//!
//! Common parameters (all sent form-encoded in the POST body, signed):
//!
//! | Platform | method key | app key | session | timestamp | fixed | business params |
//! |---|---|---|---|---|---|---|
//! | Taobao | `method` | `app_key` | `session` | `yyyy-MM-dd HH:mm:ss` (+08:00) | `format=json`, `v=2.0` | flat |
//! | JD | `method` | `app_key` | `access_token` | `yyyy-MM-dd HH:mm:ss` (+08:00) | `format=json`, `v=2.0` | JSON in `360buy_param_json` |
//! | Douyin | `method` | `app_key` | `access_token` | `yyyy-MM-dd HH:mm:ss` (+08:00) | `v=2` | JSON in `param_json` |
//! | Pinduoduo | `type` | `client_id` | `access_token` | epoch seconds | `data_type=JSON`, `version=V1` | flat |
//! | Xiaohongshu | `method` | `appId` | `accessToken` | epoch seconds | `version=2.0` | flat |
//!
//! and every request carries `sign_method=hmac-sha256` and `sign`.
//!
//! The stock and cancellation calls, all taken from the platforms' documentation (no
//! live access), are tabled in `china_stock`.

use std::collections::BTreeMap;

use chrono::{DateTime, FixedOffset, TimeDelta, Utc};
use serde_json::{Map, Value, json};

use crate::ConnectError;
use crate::config::Platform;
use crate::cursor::Window;
use crate::http::Verdict;

/// Which router.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Taobao,
    Jd,
    Douyin,
    Pinduoduo,
    Xiaohongshu,
}

/// One list page as the connector needs it.
#[derive(Debug)]
pub(crate) struct Page {
    pub orders: Vec<Value>,
    pub more: bool,
    /// How many orders the whole window holds, when the platform says.
    pub total: Option<u64>,
}

/// What a signed call needs besides its method and parameters.
#[derive(Debug, Clone)]
pub(crate) struct Credentials {
    pub app_key: String,
    pub session: String,
}

/// JD order states asked for: every state, since the cursor wants every change.
const JD_STATES: &str =
    "WAIT_SELLER_STOCK_OUT,WAIT_GOODS_RECEIVE_CONFIRM,FINISHED_L,TRADE_CANCELED,LOCKED,POP_ORDER_PAUSE";

/// Taobao trade fields asked for: what the `taobao.order` mapping reads.
const TAOBAO_FIELDS: &str = "tid,tid_str,status,created,modified,pay_time,payment,post_fee,total_fee,buyer_nick,\
buyer_open_uid,buyer_message,receiver_name,receiver_mobile,receiver_phone,receiver_state,receiver_city,\
receiver_district,receiver_town,receiver_address,receiver_zip,orders";

impl Kind {
    pub fn of(platform: Platform) -> Self {
        match platform {
            Platform::Jd => Self::Jd,
            Platform::Douyin => Self::Douyin,
            Platform::Pinduoduo => Self::Pinduoduo,
            Platform::Xiaohongshu => Self::Xiaohongshu,
            _ => Self::Taobao,
        }
    }

    pub fn platform(self) -> Platform {
        match self {
            Self::Taobao => Platform::Taobao,
            Self::Jd => Platform::Jd,
            Self::Douyin => Platform::Douyin,
            Self::Pinduoduo => Platform::Pinduoduo,
            Self::Xiaohongshu => Platform::Xiaohongshu,
        }
    }

    /// The router path a method is posted to (Douyin's path is the method itself).
    pub fn path(self, method: &str) -> String {
        match self {
            Self::Taobao => "/router/rest".into(),
            Self::Jd => "/routerjson".into(),
            Self::Douyin => format!("/{}", method.replace('.', "/")),
            Self::Pinduoduo => "/api/router".into(),
            Self::Xiaohongshu => "/api/sns/v3/".into(),
        }
    }

    pub fn list_method(self) -> &'static str {
        match self {
            Self::Taobao => "taobao.trades.sold.increment.get",
            Self::Jd => "jingdong.pop.order.search",
            Self::Douyin => "order.searchList",
            Self::Pinduoduo => "pdd.order.number.list.increment.get",
            Self::Xiaohongshu => "order.getOrderList",
        }
    }

    /// Douyin counts pages from 0, the others from 1.
    pub fn first_page(self) -> u64 {
        if self == Self::Douyin { 0 } else { 1 }
    }

    /// The longest window one list call may cover.
    pub fn max_window(self) -> TimeDelta {
        if self == Self::Pinduoduo {
            TimeDelta::minutes(30)
        } else {
            TimeDelta::hours(24)
        }
    }

    /// Every parameter of a call except `sign`.
    pub fn params(
        self,
        method: &str,
        business: &Map<String, Value>,
        creds: &Credentials,
        now: DateTime<Utc>,
    ) -> BTreeMap<String, String> {
        let mut params = BTreeMap::new();
        let mut put = |k: &str, v: String| {
            params.insert(k.to_owned(), v);
        };
        match self {
            Self::Taobao | Self::Jd | Self::Douyin => {
                put("method", method.into());
                put("app_key", creds.app_key.clone());
                put(
                    if self == Self::Taobao {
                        "session"
                    } else {
                        "access_token"
                    },
                    creds.session.clone(),
                );
                put("timestamp", beijing(now));
                put("v", if self == Self::Douyin { "2" } else { "2.0" }.into());
                if self != Self::Douyin {
                    put("format", "json".into());
                }
            }
            Self::Pinduoduo => {
                put("type", method.into());
                put("client_id", creds.app_key.clone());
                put("access_token", creds.session.clone());
                put("timestamp", now.timestamp().to_string());
                put("data_type", "JSON".into());
                put("version", "V1".into());
            }
            Self::Xiaohongshu => {
                put("method", method.into());
                put("appId", creds.app_key.clone());
                put("accessToken", creds.session.clone());
                put("timestamp", now.timestamp().to_string());
                put("version", "2.0".into());
            }
        }
        put("sign_method", "hmac-sha256".into());
        match self {
            // Sorted keys: a BTreeMap serialises in key order whatever serde_json's features.
            Self::Jd => put("360buy_param_json", sorted_json(business)),
            Self::Douyin => put("param_json", sorted_json(business)),
            _ => {
                for (key, value) in business {
                    put(key, scalar_text(value));
                }
            }
        }
        params
    }

    /// The list call's business parameters for one page of a window.
    pub fn list_params(self, window: Window, page: u64, size: u32) -> Map<String, Value> {
        let (from, to) = (window.from, window.to);
        let value = match self {
            Self::Taobao => json!({
                "fields": TAOBAO_FIELDS, "start_modified": beijing(from), "end_modified": beijing(to),
                "page_no": page, "page_size": size, "use_has_next": true,
            }),
            Self::Jd => json!({
                "start_date": beijing(from), "end_date": beijing(to), "dateType": 1, "order_state": JD_STATES,
                "page": page, "page_size": size,
            }),
            Self::Douyin => json!({
                "update_time_start": from.timestamp(), "update_time_end": to.timestamp(),
                "page": page, "size": size, "order_by": "update_time", "order_asc": true,
            }),
            Self::Pinduoduo => json!({
                "start_updated_at": from.timestamp(), "end_updated_at": to.timestamp(),
                "page": page, "page_size": size, "use_has_next": true,
                "order_status": 5, "refund_status": 5, "is_lucky_flag": 0,
            }),
            Self::Xiaohongshu => json!({
                "startTime": from.timestamp_millis(), "endTime": to.timestamp_millis(), "timeType": 2,
                "pageNo": page, "pageSize": size,
            }),
        };
        object(value)
    }

    /// Reads a list answer: its orders, whether more pages follow, and the total if given.
    pub fn read_page(self, body: &Value, page: u64, size: u32) -> Result<Page, ConnectError> {
        let root = match self {
            Self::Taobao => "/trades_sold_increment_get_response",
            Self::Jd => "/jingdong_pop_order_search_responce/searchorderinfo_result",
            Self::Douyin | Self::Xiaohongshu => "/data",
            Self::Pinduoduo => "/order_sn_increment_get_response",
        };
        let r = body
            .pointer(root)
            .ok_or_else(|| ConnectError::BadResponse(format!("no {root} in the answer")))?;
        let list = match self {
            Self::Taobao => r.pointer("/trades/trade"),
            Self::Jd => r.get("orderInfoList"),
            Self::Douyin => r.get("shop_order_list"),
            Self::Pinduoduo => r.get("order_sn_list"),
            Self::Xiaohongshu => r.get("orderList"),
        };
        // An empty result often omits the list altogether.
        let orders = list.and_then(Value::as_array).cloned().unwrap_or_default();
        let size = u64::from(size);
        let (more, total) = match self {
            Self::Taobao | Self::Pinduoduo => {
                let total = number(r.get(if self == Self::Taobao {
                    "total_results"
                } else {
                    "total_count"
                }));
                (flag(r.get("has_next")), total)
            }
            Self::Jd => {
                let total = number(r.get("orderTotal")).unwrap_or(0);
                (page * size < total, Some(total))
            }
            Self::Douyin => {
                let total = number(r.get("total")).unwrap_or(0);
                ((page + 1) * size < total, Some(total))
            }
            Self::Xiaohongshu => {
                let max_page = number(r.get("maxPageNo")).unwrap_or(0);
                (page < max_page, number(r.get("total")).or(Some(max_page * size)))
            }
        };
        Ok(Page { orders, more, total })
    }

    /// The verdict of an error envelope, or `None` for a successful answer.
    pub fn envelope_verdict(self, body: &Value) -> Option<Verdict> {
        let (code, message) = match self {
            Self::Taobao | Self::Jd | Self::Pinduoduo => {
                let e = body.get("error_response")?;
                let code = e
                    .get("code")
                    .or_else(|| e.get("error_code"))
                    .map(text)
                    .unwrap_or_default();
                let message = ["msg", "sub_code", "sub_msg", "zh_desc", "en_desc", "error_msg"]
                    .iter()
                    .filter_map(|k| e.get(*k).map(text))
                    .collect::<Vec<_>>()
                    .join(" / ");
                (code, message)
            }
            Self::Douyin => {
                let code = body.get("code")?;
                let code = code
                    .as_i64()
                    .or_else(|| code.as_str().and_then(|c| c.trim().parse().ok()))?;
                if code == 10000 {
                    return None;
                }
                (code.to_string(), body.get("msg").map(text).unwrap_or_default())
            }
            Self::Xiaohongshu => {
                if body.get("success").and_then(Value::as_bool) != Some(false) {
                    return None;
                }
                (
                    body.get("error_code").map(text).unwrap_or_default(),
                    body.get("msg").map(text).unwrap_or_default(),
                )
            }
        };
        Some(self.classify(&code, &message))
    }

    fn classify(self, code: &str, message: &str) -> Verdict {
        let lower = message.to_lowercase();
        let rate_code = match self {
            Self::Taobao => matches!(code, "7" | "27"),
            Self::Douyin => code == "50002",
            Self::Pinduoduo => code == "70031",
            Self::Jd | Self::Xiaohongshu => false,
        };
        let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
        if rate_code
            || says(&[
                "频繁",
                "限流",
                "超限",
                "call limited",
                "rate limit",
                "too many",
                "limited-by",
            ])
        {
            return Verdict::RateLimited(None);
        }
        if lower.contains("isp.")
            || says(&[
                "系统繁忙",
                "系统错误",
                "服务异常",
                "服务不可用",
                "timeout",
                "internal error",
            ])
        {
            return Verdict::Transient(format!("{} {code}: {message}", self.platform()));
        }
        if says(&["session", "token"]) {
            return Verdict::Auth(format!("{} {code}: {message}", self.platform()));
        }
        Verdict::Permanent {
            code: format!("{}_{code}", self.platform()),
            message: message.to_owned(),
        }
    }

    /// The tracking write-back call.
    pub fn tracking_call(self, order: &str, carrier: &str, tracking: &str) -> (&'static str, Map<String, Value>) {
        let (method, value) = match self {
            Self::Taobao => (
                "taobao.logistics.offline.send",
                json!({"tid": order, "out_sid": tracking, "company_code": carrier}),
            ),
            Self::Jd => (
                "jingdong.pop.order.shipment",
                json!({"order_id": order, "logi_no": tracking, "logi_coprId": carrier}),
            ),
            Self::Douyin => (
                "order.logisticsAdd",
                json!({"order_id": order, "logistics_code": tracking, "company": carrier}),
            ),
            Self::Pinduoduo => (
                "pdd.logistics.online.send",
                json!({"order_sn": order, "tracking_number": tracking, "logistics_id": carrier}),
            ),
            Self::Xiaohongshu => (
                "order.orderDeliver",
                json!({"orderId": order, "expressNo": tracking, "expressCompanyCode": carrier}),
            ),
        };
        (method, object(value))
    }
}

/// Beijing time, `yyyy-MM-dd HH:mm:ss`.
pub(crate) fn beijing(at: DateTime<Utc>) -> String {
    let offset = FixedOffset::east_opt(8 * 3600).expect("+08:00 is a valid offset");
    at.with_timezone(&offset).format("%Y-%m-%d %H:%M:%S").to_string()
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}

fn sorted_json(business: &Map<String, Value>) -> String {
    let sorted: BTreeMap<&String, &Value> = business.iter().collect();
    serde_json::to_string(&sorted).unwrap_or_default()
}

/// A parameter value as form text: strings as they are, anything else as JSON.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

fn text(value: &Value) -> String {
    scalar_text(value)
}

fn number(value: Option<&Value>) -> Option<u64> {
    match value? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

fn flag(value: Option<&Value>) -> bool {
    match value {
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) => s == "true",
        _ => false,
    }
}
