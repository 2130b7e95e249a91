//! Kuaishou shop (快手小店) open platform. One path per method (`open.order.cursor.list`
//! is `/open/order/cursor/list`), the business parameters as one JSON text in `param`,
//! and every call signed with [`sign_kuaishou`].
//!
//! It is not driven from `china_spec`'s table: its signature covers a fixed `k=v&…`
//! string ending in the secret (not the sorted key-value run the table signs), its list
//! pages by an opaque cursor (not numbered pages, so `Router`'s window cutting does not
//! apply), and its envelope is `{result, error_msg, data}`.
//!
//! Taken from the platform's documentation and public SDKs (no live access): the
//! signature, `open.order.cursor.list` (`beginTime`/`endTime` in ms, `queryType=2` by
//! update time, `cursor`, which reads `nomore` after the last page), `open.order.detail`
//! (`oid`), `open.seller.order.goods.deliver` (`orderId`, `expressNo`, `expressCode`).

use std::collections::BTreeMap;

use base64::Engine;
use chrono::{DateTime, TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::Ctx;
use crate::ConnectError;
use crate::config::ChannelConfig;
use crate::cursor::Window;
use crate::http::{Verdict, by_status};
use crate::writeback::WriteBack;

/// The cursor value after the last page.
const NO_MORE: &str = "nomore";

/// `base64(HMAC-SHA256(sign_secret, "access_token=…&appkey=…&method=…&param=…&signMethod=
/// HMAC_SHA256&timestamp=…&version=…&signSecret=…"))`: the parameters in that fixed
/// (alphabetical) order, the secret appended last.
pub fn sign_kuaishou(sign_secret: &str, params: &BTreeMap<String, String>) -> String {
    let get = |k: &str| params.get(k).map(String::as_str).unwrap_or_default();
    let text = format!(
        "access_token={}&appkey={}&method={}&param={}&signMethod={}&timestamp={}&version={}&signSecret={sign_secret}",
        get("access_token"),
        get("appkey"),
        get("method"),
        get("param"),
        get("signMethod"),
        get("timestamp"),
        get("version"),
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(sign_secret.as_bytes()).expect("HMAC takes a key of any length");
    mac.update(text.as_bytes());
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes())
}

/// One Kuaishou shop.
#[derive(Debug)]
pub(crate) struct Kuaishou {
    app_key: String,
    sign_secret: String,
    access_token: String,
}

impl Kuaishou {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            app_key: config.app_key.clone().unwrap_or_default(),
            sign_secret: config.app_secret.clone().unwrap_or_default(),
            access_token: config.session.clone().unwrap_or_default(),
        }
    }

    /// The documentation bounds one list call's window; a day keeps each poll small.
    pub fn max_window(&self) -> TimeDelta {
        TimeDelta::hours(24)
    }

    /// Every parameter of a call, `sign` included.
    pub(crate) fn params(
        &self,
        method: &str,
        business: &Map<String, Value>,
        now: DateTime<Utc>,
    ) -> BTreeMap<String, String> {
        // Keys sorted, as the SDKs serialise them: the signature covers this exact text.
        let sorted: BTreeMap<&String, &Value> = business.iter().collect();
        let mut params: BTreeMap<String, String> = [
            ("appkey", self.app_key.clone()),
            ("access_token", self.access_token.clone()),
            ("method", method.to_owned()),
            ("version", "1".to_owned()),
            ("param", serde_json::to_string(&sorted).unwrap_or_default()),
            ("signMethod", "HMAC_SHA256".to_owned()),
            ("timestamp", now.timestamp_millis().to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
        let sign = sign_kuaishou(&self.sign_secret, &params);
        params.insert("sign".into(), sign);
        params
    }

    async fn call(&self, ctx: &Ctx<'_>, method: &str, business: &Map<String, Value>) -> Result<Value, ConnectError> {
        let url = ctx.url(&format!("/{}", method.replace('.', "/")));
        let reply = ctx
            .http
            .send(
                ctx.tally,
                // Signed per attempt: a retry after a wait needs a fresh timestamp.
                |client| client.post(&url).form(&self.params(method, business, Utc::now())),
                |reply| match by_status(reply) {
                    Verdict::Ok => match reply.json() {
                        Ok(body) => envelope_verdict(&body),
                        Err(e) => Verdict::Permanent {
                            code: "bad_response".into(),
                            message: e.to_string(),
                        },
                    },
                    other => other,
                },
            )
            .await?;
        reply.json()
    }

    /// Ingests every order updated in `window`, page by page along the cursor.
    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<(), ConnectError> {
        let size = ctx.config.effective_page_size();
        let mut cursor = String::new();
        let mut pages = 0;
        loop {
            let business = object(json!({
                "orderViewStatus": 1, "queryType": 2, "sort": 1, "pageSize": size, "cursor": cursor,
                "beginTime": window.from.timestamp_millis(), "endTime": window.to.timestamp_millis(),
            }));
            let body = self.call(ctx, "open.order.cursor.list", &business).await?;
            ctx.page(&mut pages)?;
            let data = body.get("data").cloned().unwrap_or(Value::Null);
            let orders = data
                .get("orderList")
                .and_then(Value::as_array)
                .cloned()
                .unwrap_or_default();
            let empty = orders.is_empty();
            for order in orders {
                let document = self.document(ctx, order).await?;
                ctx.ingest(document).await?;
            }
            let next = data.get("cursor").and_then(Value::as_str).unwrap_or(NO_MORE);
            // An empty page or an unchanged cursor would otherwise loop forever.
            if empty || next == NO_MORE || next.is_empty() || next == cursor {
                return Ok(());
            }
            cursor = next.to_owned();
        }
    }

    /// A listed order as the `kuaishou.order` mapping reads it: the list entry when it
    /// carries the item and address, else `open.order.detail`'s `data`.
    async fn document(&self, ctx: &Ctx<'_>, listed: Value) -> Result<Value, ConnectError> {
        if listed.get("orderItemInfo").is_some() && listed.get("orderAddress").is_some() {
            return Ok(listed);
        }
        let id = listed
            .pointer("/orderBaseInfo/oid")
            .and_then(super::id_text)
            .ok_or_else(|| ConnectError::BadResponse("a listed order without orderBaseInfo.oid".into()))?;
        self.fetch_order(ctx, &id).await
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        let body = self
            .call(ctx, "open.order.detail", &object(json!({ "oid": oid(id) })))
            .await?;
        body.get("data")
            .filter(|d| d.get("orderBaseInfo").is_some())
            .cloned()
            .ok_or_else(|| ConnectError::BadResponse("no data.orderBaseInfo in open.order.detail".into()))
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                ..
            } => {
                let business = object(json!({
                    "orderId": oid(external_order_id), "expressNo": tracking_number, "expressCode": carrier,
                }));
                match self.call(ctx, "open.seller.order.goods.deliver", &business).await {
                    // Delivery is at least once: a repeated message finds the order shipped.
                    Err(ConnectError::Rejected { message, .. }) if message.contains("已发货") => Ok(()),
                    other => other.map(drop),
                }
            }
            WriteBack::Cancel { .. } => Err(ConnectError::Unsupported(
                "cancelling a Kuaishou order: the open platform has no seller cancellation call".into(),
            )),
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on Kuaishou: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { .. } => Err(ConnectError::Unsupported(
                "setting Kuaishou stock: open.item.sku.stock.update changes stock by a difference, \
                 and a stock message states the level"
                    .into(),
            )),
        }
    }
}

/// Order ids are numbers on the wire; one that does not parse is sent as written.
fn oid(id: &str) -> Value {
    id.parse::<u64>().map_or_else(|_| json!(id), |n| json!(n))
}

/// `None`-free verdict of an answer: `result` 1 is success.
pub(crate) fn envelope_verdict(body: &Value) -> Verdict {
    let result = body.get("result").and_then(Value::as_i64);
    if result == Some(1) {
        return Verdict::Ok;
    }
    let code = result.map_or_else(|| "unknown".to_owned(), |c| c.to_string());
    let message = body
        .get("error_msg")
        .or_else(|| body.get("msg"))
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let lower = message.to_lowercase();
    let says = |words: &[&str]| words.iter().any(|w| lower.contains(w));
    if says(&["频繁", "限流", "超限", "rate limit", "too many"]) {
        return Verdict::RateLimited(None);
    }
    if says(&["系统繁忙", "系统错误", "服务异常", "timeout"]) {
        return Verdict::Transient(format!("kuaishou {code}: {message}"));
    }
    if says(&["access_token", "token", "授权", "签名", "sign"]) {
        return Verdict::Auth(format!("kuaishou {code}: {message}"));
    }
    Verdict::Permanent {
        code: format!("kuaishou_{code}"),
        message,
    }
}

fn object(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
