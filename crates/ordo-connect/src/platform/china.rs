//! The Chinese "router" APIs (Taobao/Tmall, JD, Douyin, Pinduoduo, Xiaohongshu): one URL,
//! the method named in a parameter, every request signed with [`sign_router`]. What
//! differs between them is in `china_spec`.
//!
//! Their list calls take a window (`start`..`end` of modification time) and number their
//! pages. Numbered pages shift when an order of the window is modified while it is read
//! (its new time is outside the window, so every later order moves up a place and one can
//! slip between two pages unread). A window is therefore read in one page whenever it can
//! be: when the first page says more follow, the window is cut into pieces expected to fit
//! a page each (by the platform's total when it gives one, else in halves), and only a
//! window shorter than [`MIN_SPLIT`] is paged through.
//!
//! Write-backs: tracking, stock, (Taobao only) cancellation and (Taobao, Douyin) the
//! seller's after-sale decisions; the calls and how a SKU is found are in `china_spec`,
//! `china_stock` and `china_decisions`.

use std::collections::BTreeMap;

use chrono::{TimeDelta, Utc};
use hmac::{Hmac, Mac};
use serde_json::{Map, Value, json};
use sha2::Sha256;

use super::Ctx;
use super::china_spec::{Credentials, Kind, Page};
use super::china_stock::{Lookup, XHS_LOOKUP_MAX_PAGES};
use crate::ConnectError;
use crate::config::{ChannelConfig, Platform};
use crate::cursor::Window;
use crate::http::{Verdict, by_status};
use crate::writeback::WriteBack;

/// Windows shorter than this are paged through instead of cut further: the platforms'
/// times have whole seconds, so shorter pieces would not select fewer orders.
const MIN_SPLIT: TimeDelta = TimeDelta::seconds(2);

/// Most pieces one window is cut into at once, whatever total the platform announces.
const MAX_PIECES: u64 = 64;

/// `upper(hex(HMAC-SHA256(app_secret, k1 v1 k2 v2 …)))` over the parameters sorted by key,
/// `sign` itself excluded: how Ordo signs router requests (`sign_method=hmac-sha256`).
pub fn sign_router(secret: &str, params: &BTreeMap<String, String>) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes a key of any length");
    for (key, value) in params.iter().filter(|(key, _)| key.as_str() != "sign") {
        mac.update(key.as_bytes());
        mac.update(value.as_bytes());
    }
    hex::encode_upper(mac.finalize().into_bytes())
}

/// One shop on one router platform.
#[derive(Debug)]
pub(crate) struct Router {
    kind: Kind,
    credentials: Credentials,
    app_secret: String,
    /// Xiaohongshu orders already taken in, by id, with the `updateTime` they had: the
    /// overlap of the next window lists them again, and fetching their detail and
    /// receiver again (two calls each, under the platform's quota) would change nothing.
    fetched: std::sync::Mutex<std::collections::HashMap<String, String>>,
}

/// Xiaohongshu versions remembered; old ones fall out of the overlap window long before.
const FETCHED_CAPACITY: usize = 50_000;

impl Router {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            kind: Kind::of(config.platform),
            credentials: Credentials {
                app_key: config.app_key.clone().unwrap_or_default(),
                session: config.session.clone().unwrap_or_default(),
            },
            app_secret: config.app_secret.clone().unwrap_or_default(),
            fetched: std::sync::Mutex::default(),
        }
    }

    pub fn platform(&self) -> Platform {
        self.kind.platform()
    }

    pub fn max_window(&self) -> TimeDelta {
        self.kind.max_window()
    }

    /// Which router this is.
    pub(super) fn kind(&self) -> Kind {
        self.kind
    }

    /// One signed call; the answer once its envelope says success.
    pub(super) async fn call(
        &self,
        ctx: &Ctx<'_>,
        method: &str,
        business: &Map<String, Value>,
    ) -> Result<Value, ConnectError> {
        let url = ctx.url(&self.kind.path(method));
        let reply = ctx
            .http
            .send(
                ctx.tally,
                |client| {
                    // Signed per attempt: a retry after a wait needs a fresh timestamp.
                    let mut params = self.kind.params(method, business, &self.credentials, Utc::now());
                    let sign = sign_router(&self.app_secret, &params);
                    params.insert("sign".into(), sign);
                    client.post(&url).form(&params)
                },
                |reply| match by_status(reply) {
                    Verdict::Ok => match reply.json() {
                        Ok(body) => self.kind.envelope_verdict(&body).unwrap_or(Verdict::Ok),
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

    async fn list(&self, ctx: &Ctx<'_>, window: Window, page: u64, pages: &mut u64) -> Result<Page, ConnectError> {
        let size = ctx.config.effective_page_size();
        let body = self
            .call(ctx, self.kind.list_method(), &self.kind.list_params(window, page, size))
            .await?;
        ctx.page(pages)?;
        self.kind.read_page(&body, page, size)
    }

    /// Ingests every order modified in `window` (at most [`Router::max_window`] long).
    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<(), ConnectError> {
        let size = u64::from(ctx.config.effective_page_size());
        let first_page = self.kind.first_page();
        let mut pages = 0;
        // Pieces still to read, the earliest last (it is read first).
        let mut pending = vec![window];
        while let Some(piece) = pending.pop() {
            let page = self.list(ctx, piece, first_page, &mut pages).await?;
            if page.more && piece.to - piece.from >= MIN_SPLIT {
                let count = page
                    .total
                    .map_or(2, |total| (2 * total).div_ceil(size.max(1)))
                    .clamp(2, MAX_PIECES);
                let mut pieces = cut(piece, count);
                pieces.reverse();
                pending.extend(pieces);
                continue;
            }
            let (mut more, mut number) = (page.more, first_page);
            self.ingest_all(ctx, page.orders).await?;
            while more {
                number += 1;
                let page = self.list(ctx, piece, number, &mut pages).await?;
                more = page.more && !page.orders.is_empty();
                self.ingest_all(ctx, page.orders).await?;
            }
        }
        Ok(())
    }

    /// One order again, by its shop order id, after a push message named it. Douyin only
    /// (the one router platform whose push Ordo takes): `order.orderDetail` answers
    /// `data.shop_order_detail`, the document `order.searchList` lists.
    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        if self.kind != Kind::Douyin {
            return Err(ConnectError::Unsupported(format!(
                "fetching a single order on {} (its orders arrive by polling)",
                self.platform()
            )));
        }
        let mut business = Map::new();
        business.insert("shop_order_id".into(), Value::from(id));
        let body = self.call(ctx, "order.orderDetail", &business).await?;
        body.pointer("/data/shop_order_detail")
            .filter(|order| order.is_object())
            .cloned()
            .ok_or_else(|| ConnectError::BadResponse("no data.shop_order_detail in the answer".into()))
    }

    async fn ingest_all(&self, ctx: &Ctx<'_>, orders: Vec<Value>) -> Result<(), ConnectError> {
        for order in orders {
            if self.kind != Kind::Xiaohongshu {
                ctx.ingest(order).await?;
                continue;
            }
            let version = |v: &Value| {
                Some((
                    v.get("orderId").and_then(super::id_text)?,
                    v.get("updateTime").map(Value::to_string)?,
                ))
            };
            let listed = version(&order);
            let known = listed
                .as_ref()
                .is_some_and(|(id, at)| self.fetched.lock().expect("fetched lock").get(id) == Some(at));
            if known {
                continue;
            }
            let document = self.xiaohongshu_document(ctx, &order).await?;
            ctx.ingest(document).await?;
            if let Some((id, at)) = listed {
                let mut fetched = self.fetched.lock().expect("fetched lock");
                if fetched.len() >= FETCHED_CAPACITY {
                    fetched.clear();
                }
                fetched.insert(id, at);
            }
        }
        Ok(())
    }

    /// Xiaohongshu lists only summaries: the document is the order's detail with its
    /// receiver (`order.getOrderReceiverInfo`) under `receiver`.
    async fn xiaohongshu_document(&self, ctx: &Ctx<'_>, summary: &Value) -> Result<Value, ConnectError> {
        let id = summary
            .get("orderId")
            .and_then(super::id_text)
            .ok_or_else(|| ConnectError::BadResponse("an order list entry without orderId".into()))?;
        let by_id: Map<String, Value> = [("orderId".to_owned(), json!(id))].into_iter().collect();
        let detail = self.call(ctx, "order.getOrderDetail", &by_id).await?;
        let mut document = detail
            .get("data")
            .cloned()
            .filter(Value::is_object)
            .unwrap_or_else(|| summary.clone());
        if document.get("orderId").is_none() {
            document["orderId"] = json!(id);
        }
        let receiver = self.call(ctx, "order.getOrderReceiverInfo", &by_id).await?;
        let data = receiver.get("data").cloned().unwrap_or(Value::Null);
        // The platform answers a list of receivers for a list of queries; one was asked.
        let receiver = match data.get("receiverInfos").and_then(Value::as_array) {
            Some(infos) => infos
                .iter()
                .find(|r| r.get("orderId").and_then(super::id_text).as_deref() == Some(id.as_str()))
                .or_else(|| infos.first())
                .cloned()
                .unwrap_or(Value::Null),
            None => data,
        };
        document["receiver"] = receiver;
        Ok(document)
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                ..
            } => {
                let (method, business) = self.kind.tracking_call(external_order_id, carrier, tracking_number);
                match self.call(ctx, method, &business).await {
                    // Delivery is at least once: a repeated message finds the order shipped.
                    Err(ConnectError::Rejected { message, .. })
                        if message.contains("already shipped") || message.contains("已发货") =>
                    {
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            WriteBack::Cancel {
                external_order_id,
                reason,
            } => {
                let (method, business) = self
                    .kind
                    .cancel_call(external_order_id, reason.as_deref())
                    .map_err(ConnectError::Unsupported)?;
                match self.call(ctx, method, &business).await {
                    // Delivery is at least once: a repeated message finds the trade closed.
                    Err(ConnectError::Rejected { message, .. })
                        if message.contains("already closed") || message.contains("已关闭") =>
                    {
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            WriteBack::AfterSale {
                channel_case_id,
                decision,
                reason,
                amount,
                kind,
                ..
            } => {
                let (method, business) = self
                    .kind
                    .aftersale_call(channel_case_id, *decision, reason.as_deref(), *amount, kind.as_deref())
                    .map_err(ConnectError::Unsupported)?;
                self.call(ctx, method, &business).await.map(drop)
            }
            WriteBack::Stock { sku, quantity } => {
                let ids = self.stock_ids(ctx, sku).await?;
                let (method, business) = self.kind.stock_call(sku, &ids, (*quantity).max(0));
                self.call(ctx, method, &business).await.map(drop)
            }
        }
    }

    /// The platform's ids for the SKU whose seller code is `sku`, read page by page
    /// where the platform cannot filter by code (Xiaohongshu), at most
    /// [`XHS_LOOKUP_MAX_PAGES`] pages.
    async fn stock_ids(&self, ctx: &Ctx<'_>, sku: &str) -> Result<Map<String, Value>, ConnectError> {
        for page in 1..=XHS_LOOKUP_MAX_PAGES {
            let Some((method, business)) = self.kind.stock_lookup(sku, page) else {
                // The update call takes the seller's code itself.
                return Ok(Map::new());
            };
            let body = self.call(ctx, method, &business).await?;
            match self.kind.read_lookup(&body, sku, page)? {
                Lookup::Found(ids) => return Ok(ids),
                Lookup::NotHere { more: true } => continue,
                Lookup::NotHere { more: false } => break,
            }
        }
        Err(ConnectError::Rejected {
            code: "unknown_sku".into(),
            message: format!("no {} SKU has the seller code {sku:?}", self.platform()),
        })
    }
}

/// Cuts a window into `count` consecutive pieces of whole seconds that touch.
fn cut(window: Window, count: u64) -> Vec<Window> {
    let span = (window.to - window.from).num_seconds().max(1);
    let step = TimeDelta::seconds((span as u64).div_ceil(count.max(1)).max(1) as i64);
    crate::cursor::split(window, step)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::DateTime;

    #[test]
    fn signing_sorts_keys_and_skips_sign() {
        let mut params: BTreeMap<String, String> = [("b", "2"), ("a", "1"), ("method", "x.y")]
            .into_iter()
            .map(|(k, v)| (k.into(), v.into()))
            .collect();
        let sign = sign_router("secret", &params);
        let mut mac = Hmac::<Sha256>::new_from_slice(b"secret").unwrap();
        mac.update(b"a1b2methodx.y");
        assert_eq!(sign, hex::encode_upper(mac.finalize().into_bytes()));
        params.insert("sign".into(), sign.clone());
        assert_eq!(sign_router("secret", &params), sign);
        assert_eq!(sign.len(), 64);
        assert!(sign.chars().all(|c| c.is_ascii_digit() || c.is_ascii_uppercase()));
    }

    #[test]
    fn windows_are_cut_into_touching_pieces() {
        let from = DateTime::parse_from_rfc3339("2024-05-01T10:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let window = Window {
            from,
            to: from + TimeDelta::seconds(601),
        };
        let pieces = cut(window, 2);
        assert_eq!(pieces.len(), 2);
        assert_eq!(pieces[0].to, pieces[1].from);
        assert_eq!(pieces[1].to, window.to);
    }
}
