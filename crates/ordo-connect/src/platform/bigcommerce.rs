//! BigCommerce Management REST API: orders `v2` (`X-Auth-Token`), inventory `v3`.
//!
//! A v2 order only links to its products and shipping addresses, so each order listed is
//! completed with both sub-resources (all their pages) and stored as one document: the
//! order with `products` and `shipping_addresses` replaced by the arrays, the shape the
//! `bigcommerce.order` mapping reads. v2 answers an empty page with `204` and no body.
//!
//! Orders are listed by `min_date_modified` in ascending modification order and paged by
//! number, so an order modified while the poll pages moves to the end and may push an
//! unread one back onto a page already read; [`PageShift`] holds the cursor back then.
//!
//! Too many requests are answered `429` with `X-Rate-Limit-Time-Reset-Ms`, the
//! milliseconds until the store's quota refills: that is the wait before the retry.
//!
//! The request and answer shapes follow BigCommerce's API reference (Orders v2, Order
//! Shipments v2, Inventory adjustments v3); they are tested against that documentation
//! and the simulator, not against a live store.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Ctx, id_text};
use crate::ConnectError;
use crate::budget::MAX_RETRY_AFTER;
use crate::config::ChannelConfig;
use crate::cursor::Window;
use crate::http::{Reply, Verdict, by_status, json_request};
use crate::writeback::WriteBack;

/// Most pages of one order's products or addresses: v2 pages them by up to 250, and no
/// order has 25,000 lines.
const MAX_SUB_PAGES: u32 = 100;

/// Items of a sub-resource asked for per page: v2's largest page.
const SUB_PAGE_SIZE: u32 = 250;

/// BigCommerce's default inventory location, which every store has.
const DEFAULT_LOCATION_ID: i64 = 1;

/// One BigCommerce store.
#[derive(Debug)]
pub(crate) struct BigCommerce {
    token: String,
    store_hash: String,
    location_id: i64,
}

impl BigCommerce {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            token: config.access_token.clone().unwrap_or_default(),
            store_hash: config.store_hash.clone().unwrap_or_default(),
            location_id: config.location_id.unwrap_or(DEFAULT_LOCATION_ID),
        }
    }

    /// `{base_url}/stores/{store_hash}/…`, each segment percent-encoded.
    fn url(&self, ctx: &Ctx<'_>, segments: &[&str]) -> Result<String, ConnectError> {
        let mut all = vec!["stores", self.store_hash.as_str()];
        all.extend_from_slice(segments);
        Ok(ctx.url_segments(&all)?.to_string())
    }

    async fn call(
        &self,
        ctx: &Ctx<'_>,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ConnectError> {
        ctx.http
            .send(
                ctx.tally,
                |client| json_request(client, method.clone(), url, query, ("x-auth-token", &self.token), body),
                verdict,
            )
            .await
    }

    /// A v2 list page: `204` (or an empty body) is an empty page.
    async fn list(&self, ctx: &Ctx<'_>, url: &str, query: &[(&str, String)]) -> Result<Vec<Value>, ConnectError> {
        let reply = self.call(ctx, reqwest::Method::GET, url, query, None).await?;
        if reply.status == 204 || reply.body.iter().all(u8::is_ascii_whitespace) {
            return Ok(Vec::new());
        }
        match reply.json()? {
            Value::Array(items) => Ok(items),
            other => Err(ConnectError::BadResponse(format!(
                "expected a list, got {}",
                other.to_string().chars().take(200).collect::<String>()
            ))),
        }
    }

    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = self.url(ctx, &["v2", "orders"])?;
        let limit = ctx.config.effective_page_size();
        let (mut newest, mut shift) = (None, PageShift::default());
        let (mut page, mut pages) = (1_u32, 0);
        loop {
            let query = [
                ("min_date_modified", window.from.to_rfc2822()),
                ("sort", "date_modified:asc".to_owned()),
                ("page", page.to_string()),
                ("limit", limit.to_string()),
            ];
            let orders = self.list(ctx, &url, &query).await?;
            ctx.page(&mut pages)?;
            for order in &orders {
                let modified = order
                    .get("date_modified")
                    .and_then(Value::as_str)
                    .and_then(parse_rfc2822);
                newest = newest.max(modified);
                let id = order
                    .get("id")
                    .and_then(id_text)
                    .ok_or_else(|| ConnectError::BadResponse("an order without id".into()))?;
                shift.see(&id, modified, window.from);
                let document = self.assemble(ctx, &id, order.clone()).await?;
                ctx.ingest(document).await?;
            }
            if orders.len() < limit as usize {
                return Ok(shift.vouched(newest, &ctx.config.code));
            }
            page += 1;
        }
    }

    /// The order with its products and shipping addresses in place of the links.
    async fn assemble(&self, ctx: &Ctx<'_>, id: &str, mut order: Value) -> Result<Value, ConnectError> {
        order["products"] = Value::Array(self.sub_resource(ctx, id, "products").await?);
        order["shipping_addresses"] = Value::Array(self.sub_resource(ctx, id, "shipping_addresses").await?);
        Ok(order)
    }

    /// Every element of `/v2/orders/{id}/{name}`, across pages.
    async fn sub_resource(&self, ctx: &Ctx<'_>, id: &str, name: &str) -> Result<Vec<Value>, ConnectError> {
        let url = self.url(ctx, &["v2", "orders", numeric(id)?, name])?;
        let mut all = Vec::new();
        for page in 1..=MAX_SUB_PAGES {
            let query = [("page", page.to_string()), ("limit", SUB_PAGE_SIZE.to_string())];
            let items = self.list(ctx, &url, &query).await?;
            let last = items.len() < SUB_PAGE_SIZE as usize;
            all.extend(items);
            if last {
                return Ok(all);
            }
        }
        Err(ConnectError::BadResponse(format!(
            "order {id}: {name} keep announcing more pages"
        )))
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        let url = self.url(ctx, &["v2", "orders", numeric(id)?])?;
        let order = self.call(ctx, reqwest::Method::GET, &url, &[], None).await?.json()?;
        self.assemble(ctx, id, order).await
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id: id,
                carrier,
                tracking_number,
                lines,
                ..
            } => {
                let products = self.sub_resource(ctx, id, "products").await?;
                let url = self.url(ctx, &["v2", "orders", numeric(id)?, "shipments"])?;
                // A shipment goes to one address; an order shipped to several takes one each.
                for (address, items) in shipment_items(&products, lines)? {
                    let body = json!({
                        "order_address_id": address,
                        "tracking_number": tracking_number,
                        // Empty, not omitted: an omitted provider becomes "custom", which
                        // generates no tracking link; the carrier says whose link it is.
                        "shipping_provider": "",
                        "tracking_carrier": carrier,
                        "items": items,
                    });
                    self.call(ctx, reqwest::Method::POST, &url, &[], Some(&body)).await?;
                }
                Ok(())
            }
            WriteBack::Cancel { external_order_id, .. } => {
                let url = self.url(ctx, &["v2", "orders", numeric(external_order_id)?])?;
                // 5 is Cancelled; setting it again on a cancelled order changes nothing.
                let body = json!({ "status_id": 5 });
                self.call(ctx, reqwest::Method::PUT, &url, &[], Some(&body))
                    .await
                    .map(drop)
            }
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on BigCommerce: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { sku, quantity } => {
                // An absolute adjustment addresses the item by SKU, product or variant
                // alike, so no catalogue lookup is needed first.
                let url = self.url(ctx, &["v3", "inventory", "adjustments", "absolute"])?;
                let body = json!({
                    "reason": "Sellable quantity from Ordo",
                    "items": [{ "location_id": self.location_id, "sku": sku, "quantity": (*quantity).max(0) }],
                });
                self.call(ctx, reqwest::Method::PUT, &url, &[], Some(&body))
                    .await
                    .map(drop)
            }
        }
    }
}

/// The items still to ship, grouped by the address they go to. Without named lines that
/// is what is left of every product (bundled parts ship inside their bundle's line); with
/// lines, each named product up to what is left of it. Nothing left means a repeated
/// delivery of a shipment already made, which sends nothing.
fn shipment_items(
    products: &[Value],
    lines: &[crate::writeback::TrackingLine],
) -> Result<BTreeMap<i64, Vec<Value>>, ConnectError> {
    let int = |p: &Value, key: &str| p.get(key).and_then(Value::as_i64).unwrap_or(0);
    let left = |p: &Value| (int(p, "quantity") - int(p, "quantity_shipped")).max(0);
    let mut wanted: Vec<(&Value, i64)> = Vec::new();
    if lines.is_empty() {
        wanted.extend(
            products
                .iter()
                .filter(|p| p.get("is_bundled_product") != Some(&Value::Bool(true)))
                .map(|p| (p, left(p))),
        );
    } else {
        for line in lines {
            let product = products
                .iter()
                .find(|p| p.get("id").and_then(id_text).as_deref() == Some(line.line_id.as_str()))
                .ok_or_else(|| ConnectError::Rejected {
                    code: "unknown_line".into(),
                    message: format!("the order has no product {:?} ({})", line.line_id, line.sku),
                })?;
            wanted.push((product, left(product).min(i64::from(line.quantity))));
        }
    }
    let mut by_address: BTreeMap<i64, Vec<Value>> = BTreeMap::new();
    for (product, quantity) in wanted.into_iter().filter(|(_, q)| *q > 0) {
        by_address
            .entry(int(product, "order_address_id"))
            .or_default()
            .push(json!({ "order_product_id": product["id"], "quantity": quantity }));
    }
    Ok(by_address)
}

/// BigCommerce's reading of an answer: a `429` waits `X-Rate-Limit-Time-Reset-Ms`.
fn verdict(reply: &Reply) -> Verdict {
    if reply.status == 429
        && let Some(ms) = reply
            .header("x-rate-limit-time-reset-ms")
            .and_then(|v| v.trim().parse::<u64>().ok())
    {
        return Verdict::RateLimited(Some(Duration::from_millis(ms).min(MAX_RETRY_AFTER)));
    }
    by_status(reply)
}

/// An RFC 2822 time, as every v2 date is ("Tue, 10 Mar 2026 17:42:08 +0000").
fn parse_rfc2822(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc2822(text.trim())
        .ok()
        .map(|at| at.with_timezone(&Utc))
}

/// BigCommerce order ids are numbers; anything else would address another resource.
fn numeric(id: &str) -> Result<&str, ConnectError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ConnectError::Rejected {
            code: "bad_order_id".into(),
            message: format!("{id:?} is not a BigCommerce order id"),
        })
    }
}

/// Numbered pages in ascending modification order shift when an order already read is
/// modified during the poll: it moves to the end, every later order moves one place up,
/// and one may slip onto a page already read. Such an order shows up twice in the
/// window; the cursor then only advances to where it was first seen, so the next window
/// reads the slipped one again. (Magento pages the same way and uses this too.)
#[derive(Debug, Default)]
pub(super) struct PageShift {
    first_seen: HashMap<String, Option<DateTime<Utc>>>,
    held_at: Option<DateTime<Utc>>,
}

impl PageShift {
    /// Notes an order read with its modification time.
    pub fn see(&mut self, id: &str, modified: Option<DateTime<Utc>>, window_from: DateTime<Utc>) {
        if let Some(earlier) = self.first_seen.insert(id.to_owned(), modified) {
            let limit = earlier.unwrap_or(window_from);
            self.held_at = Some(self.held_at.map_or(limit, |held| held.min(limit)));
        }
    }

    /// The instant the window vouches for, given the newest modification read.
    pub fn vouched(&self, newest: Option<DateTime<Utc>>, channel: &str) -> Option<DateTime<Utc>> {
        match self.held_at {
            Some(limit) => {
                tracing::debug!(%channel, %limit, "an order moved during paging; cursor held back");
                Some(newest.map_or(limit, |n| n.min(limit)))
            }
            None => newest,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::writeback::TrackingLine;

    #[test]
    fn v2_dates_are_rfc_2822() {
        assert_eq!(
            parse_rfc2822("Tue, 10 Mar 2026 17:42:08 +0000"),
            Some("2026-03-10T17:42:08Z".parse().unwrap())
        );
        assert_eq!(parse_rfc2822("2026-03-10"), None);
    }

    #[test]
    fn shipments_take_what_is_left_of_each_line_by_address() {
        let products = [
            json!({"id": 1, "order_address_id": 7, "quantity": 2, "quantity_shipped": 1}),
            json!({"id": 2, "order_address_id": 8, "quantity": 1, "quantity_shipped": 0}),
            json!({"id": 3, "order_address_id": 7, "quantity": 1, "is_bundled_product": true}),
        ];
        let whole = shipment_items(&products, &[]).unwrap();
        assert_eq!(whole[&7], [json!({"order_product_id": 1, "quantity": 1})]);
        assert_eq!(whole[&8], [json!({"order_product_id": 2, "quantity": 1})]);
        let line = |id: &str, quantity| TrackingLine {
            line_id: id.into(),
            sku: "S".into(),
            quantity,
        };
        let named = shipment_items(&products, &[line("1", 5)]).unwrap();
        assert_eq!(named.len(), 1);
        assert_eq!(named[&7], [json!({"order_product_id": 1, "quantity": 1})]);
        assert!(shipment_items(&products, &[line("9", 1)]).is_err());
        let shipped = [json!({"id": 1, "order_address_id": 7, "quantity": 2, "quantity_shipped": 2})];
        assert!(shipment_items(&shipped, &[]).unwrap().is_empty());
    }
}
