//! WeChat Channels shop (微信小店 / 视频号小店). Every call carries an `access_token`
//! bought with the app's appid and secret (`GET /cgi-bin/token`), kept until shortly
//! before it expires and bought again once when the API calls it expired (errcode 40001,
//! 40014, 42001). Orders: `POST /channels/ec/order/list/get` pages order ids by
//! `next_key` over an update-time range, then `POST /channels/ec/order/get` fetches each.
//!
//! Taken from the platform's documentation (no live access): the token call, the list
//! (`update_time_range` of epoch seconds at most 7 days long, `page_size` up to 100,
//! `next_key`, `has_more`, `order_id_list`), the order (`{errcode, errmsg, order}`), the
//! shipment (`/channels/ec/order/delivery/send`) and the errcodes: 45009 (quota reached)
//! and -1 (system busy) are waited out.

use std::time::{Duration, Instant};

use chrono::TimeDelta;
use serde_json::{Value, json};

use super::Ctx;
use crate::ConnectError;
use crate::config::ChannelConfig;
use crate::cursor::Window;
use crate::http::{Verdict, by_status};
use crate::writeback::WriteBack;

/// A token is bought again this long before WeChat says it expires, so that no call
/// carries one that runs out in flight.
const TOKEN_MARGIN: Duration = Duration::from_secs(300);

/// Marks the auth failure that means "buy a new token", as opposed to a refused secret.
const EXPIRED: &str = "token expired";

/// One shop.
#[derive(Debug)]
pub(crate) struct Wechat {
    appid: String,
    secret: String,
    token: std::sync::Mutex<Option<(String, Instant)>>,
}

impl Wechat {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            appid: config.app_key.clone().unwrap_or_default(),
            secret: config.app_secret.clone().unwrap_or_default(),
            token: std::sync::Mutex::default(),
        }
    }

    /// The list's documented longest update-time range.
    pub fn max_window(&self) -> TimeDelta {
        TimeDelta::days(7)
    }

    async fn token(&self, ctx: &Ctx<'_>) -> Result<String, ConnectError> {
        if let Some((token, until)) = self.token.lock().expect("token lock").clone()
            && Instant::now() < until
        {
            return Ok(token);
        }
        let url = ctx.url("/cgi-bin/token");
        let query = [
            ("grant_type", "client_credential"),
            ("appid", self.appid.as_str()),
            ("secret", self.secret.as_str()),
        ];
        let reply = ctx
            .http
            .send(
                ctx.tally,
                |client| client.get(&url).query(&query),
                |reply| judge(reply, false),
            )
            .await?;
        let body = reply.json()?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectError::BadResponse("no access_token in the token answer".into()))?
            .to_owned();
        let lifetime = Duration::from_secs(body.get("expires_in").and_then(Value::as_u64).unwrap_or(7200));
        let until = Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN);
        *self.token.lock().expect("token lock") = Some((token.clone(), until));
        Ok(token)
    }

    /// One API call; an expired token is bought again once.
    async fn call(&self, ctx: &Ctx<'_>, path: &str, body: &Value) -> Result<Value, ConnectError> {
        let mut renewed = false;
        loop {
            let token = self.token(ctx).await?;
            let url = ctx.url(path);
            let sent = ctx
                .http
                .send(
                    ctx.tally,
                    |client| client.post(&url).query(&[("access_token", &token)]).json(body),
                    |reply| judge(reply, true),
                )
                .await;
            match sent {
                Err(ConnectError::Auth(message)) if message.starts_with(EXPIRED) && !renewed => {
                    renewed = true;
                    *self.token.lock().expect("token lock") = None;
                }
                other => return other?.json(),
            }
        }
    }

    /// Ingests every order updated in `window`.
    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<(), ConnectError> {
        let size = ctx.config.effective_page_size();
        let mut next_key = String::new();
        let mut pages = 0;
        loop {
            let request = json!({
                "update_time_range": {"start_time": window.from.timestamp(), "end_time": window.to.timestamp()},
                "page_size": size,
                "next_key": next_key,
            });
            let body = self.call(ctx, "/channels/ec/order/list/get", &request).await?;
            ctx.page(&mut pages)?;
            let ids: Vec<String> = body
                .get("order_id_list")
                .and_then(Value::as_array)
                .map(|ids| ids.iter().filter_map(super::id_text).collect())
                .unwrap_or_default();
            for id in &ids {
                let order = self.fetch_order(ctx, id).await?;
                ctx.ingest(order).await?;
            }
            let more = body.get("has_more").and_then(Value::as_bool).unwrap_or(false);
            let key = body.get("next_key").and_then(Value::as_str).unwrap_or_default();
            // An empty page or an unchanged key would otherwise loop forever.
            if !more || ids.is_empty() || key.is_empty() || key == next_key {
                return Ok(());
            }
            next_key = key.to_owned();
        }
    }

    /// The `order` of `/channels/ec/order/get`: what the `wechat.order` mapping reads.
    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        let body = self
            .call(ctx, "/channels/ec/order/get", &json!({ "order_id": id }))
            .await?;
        body.get("order")
            .filter(|o| o.is_object())
            .cloned()
            .ok_or_else(|| ConnectError::BadResponse("no order in /channels/ec/order/get".into()))
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                ..
            } => {
                // A package names the products it holds: the whole order ships in one.
                let order = self.fetch_order(ctx, external_order_id).await?;
                let products: Vec<Value> = order
                    .pointer("/order_detail/product_infos")
                    .and_then(Value::as_array)
                    .map(|lines| {
                        lines
                            .iter()
                            .map(|l| json!({"product_id": l["product_id"], "sku_id": l["sku_id"], "product_cnt": l["sku_cnt"]}))
                            .collect()
                    })
                    .unwrap_or_default();
                let request = json!({
                    "order_id": external_order_id,
                    "delivery_list": [{
                        "delivery_id": carrier, "waybill_id": tracking_number,
                        // 1: shipped with a carrier's waybill (not self-delivered).
                        "deliver_type": 1, "product_infos": products,
                    }],
                });
                self.call(ctx, "/channels/ec/order/delivery/send", &request)
                    .await
                    .map(drop)
            }
            WriteBack::Cancel { .. } => Err(ConnectError::Unsupported(
                "cancelling a WeChat Channels order: the shop API has no seller cancellation call".into(),
            )),
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on WeChat Channels: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { .. } => Err(ConnectError::Unsupported(
                "setting WeChat Channels stock: the update call names WeChat's product and SKU ids, \
                 and finding them by the merchant's SKU code is not built"
                    .into(),
            )),
        }
    }
}

/// The verdict of an answer: HTTP status first, then `errcode` (absent or 0 is success).
fn judge(reply: &crate::http::Reply, api: bool) -> Verdict {
    let status = by_status(reply);
    if !matches!(status, Verdict::Ok) {
        return status;
    }
    let Ok(body) = reply.json() else {
        return Verdict::Permanent {
            code: "bad_response".into(),
            message: "answer is not JSON".into(),
        };
    };
    let code = body.get("errcode").and_then(Value::as_i64).unwrap_or(0);
    let message = body.get("errmsg").and_then(Value::as_str).unwrap_or_default();
    match code {
        0 => Verdict::Ok,
        45009 | -1 => Verdict::RateLimited(None),
        40001 | 40014 | 42001 if api => Verdict::Auth(format!("{EXPIRED} ({code}): {message}")),
        40001 | 40013 | 40125 | 40164 | 40014 | 42001 => Verdict::Auth(format!("wechat {code}: {message}")),
        _ => Verdict::Permanent {
            code: format!("wechat_{code}"),
            message: message.to_owned(),
        },
    }
}
