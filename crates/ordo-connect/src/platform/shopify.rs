//! Shopify Admin REST API `2024-10`.
//!
//! Orders are listed with `updated_at_min` in ascending `updated_at` and paged with the
//! `page_info` of the `Link: <…>; rel="next"` header (a cursor, so orders updated during the
//! poll reappear at the end rather than shifting pages). Write-back: fulfillment orders →
//! `fulfillments.json`, `cancel.json`, and `inventory_levels/set.json` after finding the
//! SKU's `inventory_item_id` among the products' variants (cached).

use std::collections::HashMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use tokio::sync::Mutex;
use tokio::time::Instant;

use super::{Ctx, array_at, id_text};
use crate::ConnectError;
use crate::config::ChannelConfig;
use crate::cursor::{Window, parse_utc, rfc3339};
use crate::http::{Reply, by_status, json_request};
use crate::writeback::{TrackingLine, WriteBack};

const API: &str = "/admin/api/2024-10";

/// A catalogue younger than this is trusted to know every SKU; an unknown SKU is then
/// refused instead of re-reading every product for each message about it.
const VARIANT_CACHE_FRESH: Duration = Duration::from_secs(60);

/// A Shopify shop.
#[derive(Debug)]
pub(crate) struct Shopify {
    token: String,
    /// SKU → `inventory_item_id`, and when it was read.
    variants: Mutex<Option<(HashMap<String, Value>, Instant)>>,
}

impl Shopify {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            token: config.access_token.clone().unwrap_or_default(),
            variants: Mutex::new(None),
        }
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
                |client| {
                    json_request(
                        client,
                        method.clone(),
                        url,
                        query,
                        ("x-shopify-access-token", &self.token),
                        body,
                    )
                },
                by_status,
            )
            .await
    }

    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = ctx.url(&format!("{API}/orders.json"));
        let limit = ctx.config.effective_page_size().to_string();
        let mut query = vec![
            ("status", "any".to_owned()),
            ("updated_at_min", rfc3339(window.from)),
            ("order", "updated_at asc".to_owned()),
            ("limit", limit.clone()),
        ];
        let (mut newest, mut pages) = (None, 0);
        loop {
            let reply = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?;
            ctx.page(&mut pages)?;
            let body = reply.json()?;
            for order in array_at(&body, "/orders")? {
                let updated = order.get("updated_at").and_then(Value::as_str).and_then(parse_utc);
                newest = newest.max(updated);
                ctx.ingest(order.clone()).await?;
            }
            // A page_info request carries only `limit` and `page_info`.
            match reply.header("link").and_then(next_page_info) {
                Some(page_info) => query = vec![("limit", limit.clone()), ("page_info", page_info)],
                None => return Ok(newest),
            }
        }
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        let url = ctx.url(&format!("{API}/orders/{}.json", path_id(id)?));
        let body = self.call(ctx, reqwest::Method::GET, &url, &[], None).await?.json()?;
        body.get("order")
            .cloned()
            .ok_or_else(|| ConnectError::BadResponse("no `order` in the answer".into()))
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                tracking_url,
                lines,
                ..
            } => {
                let id = path_id(external_order_id)?;
                let url = ctx.url(&format!("{API}/orders/{id}/fulfillment_orders.json"));
                let body = self.call(ctx, reqwest::Method::GET, &url, &[], None).await?.json()?;
                let Some(groups) = fulfillment_groups(array_at(&body, "/fulfillment_orders")?, lines)? else {
                    tracing::info!(channel = %ctx.config.code, order = %id, "nothing left to fulfil; tracking already sent");
                    return Ok(());
                };
                let mut tracking_info = json!({ "number": tracking_number, "company": carrier });
                if let Some(url) = tracking_url {
                    tracking_info["url"] = json!(url);
                }
                let request = json!({ "fulfillment": {
                    "line_items_by_fulfillment_order": groups,
                    "tracking_info": tracking_info,
                    "notify_customer": true,
                }});
                let url = ctx.url(&format!("{API}/fulfillments.json"));
                self.call(ctx, reqwest::Method::POST, &url, &[], Some(&request))
                    .await
                    .map(drop)
            }
            WriteBack::Cancel {
                external_order_id,
                reason,
            } => {
                let url = ctx.url(&format!("{API}/orders/{}/cancel.json", path_id(external_order_id)?));
                let request = json!({ "reason": cancel_reason(reason.as_deref()) });
                match self.call(ctx, reqwest::Method::POST, &url, &[], Some(&request)).await {
                    // Delivery is at least once: a repeated cancellation is done already.
                    Err(ConnectError::Rejected { code, message })
                        if code == "http_422" && message.contains("already") =>
                    {
                        Ok(())
                    }
                    other => other.map(drop),
                }
            }
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on Shopify: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { sku, quantity } => {
                let location_id = ctx
                    .config
                    .location_id
                    .ok_or_else(|| ConnectError::Config("stock write-back on Shopify needs location_id".into()))?;
                let inventory_item_id = self.inventory_item(ctx, sku).await?;
                let request = json!({
                    "location_id": location_id,
                    "inventory_item_id": inventory_item_id,
                    "available": (*quantity).max(0),
                });
                let url = ctx.url(&format!("{API}/inventory_levels/set.json"));
                self.call(ctx, reqwest::Method::POST, &url, &[], Some(&request))
                    .await
                    .map(drop)
            }
        }
    }

    /// The `inventory_item_id` of the variant with `sku`, reading the catalogue when the
    /// cache does not know it and is not fresh.
    async fn inventory_item(&self, ctx: &Ctx<'_>, sku: &str) -> Result<Value, ConnectError> {
        let mut cache = self.variants.lock().await;
        if let Some((variants, read_at)) = cache.as_ref() {
            if let Some(id) = variants.get(sku) {
                return Ok(id.clone());
            }
            if read_at.elapsed() < VARIANT_CACHE_FRESH {
                return Err(unknown_sku(sku));
            }
        }
        let variants = self.read_variants(ctx).await?;
        let found = variants.get(sku).cloned();
        *cache = Some((variants, Instant::now()));
        found.ok_or_else(|| unknown_sku(sku))
    }

    async fn read_variants(&self, ctx: &Ctx<'_>) -> Result<HashMap<String, Value>, ConnectError> {
        let url = ctx.url(&format!("{API}/products.json"));
        let mut query = vec![("fields", "id,variants".to_owned()), ("limit", "250".to_owned())];
        let (mut variants, mut pages) = (HashMap::new(), 0);
        loop {
            let reply = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?;
            pages += 1;
            if pages > super::MAX_PAGES_PER_WINDOW {
                return Err(ConnectError::BadResponse(
                    "products.json keeps announcing more pages".into(),
                ));
            }
            let body = reply.json()?;
            for product in array_at(&body, "/products")? {
                for variant in product.get("variants").and_then(Value::as_array).into_iter().flatten() {
                    let sku = variant.get("sku").and_then(Value::as_str).filter(|s| !s.is_empty());
                    if let (Some(sku), Some(item)) = (sku, variant.get("inventory_item_id")) {
                        variants.insert(sku.to_owned(), item.clone());
                    }
                }
            }
            match reply.header("link").and_then(next_page_info) {
                Some(page_info) => query = vec![("limit", "250".to_owned()), ("page_info", page_info)],
                None => return Ok(variants),
            }
        }
    }
}

fn unknown_sku(sku: &str) -> ConnectError {
    ConnectError::Rejected {
        code: "unknown_sku".into(),
        message: format!("no Shopify variant has SKU {sku:?}"),
    }
}

/// Shopify order ids are numbers; anything else would address another resource.
fn path_id(id: &str) -> Result<&str, ConnectError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ConnectError::Rejected {
            code: "bad_order_id".into(),
            message: format!("{id:?} is not a Shopify order id"),
        })
    }
}

/// Shopify's cancellation reasons; anything else is `other`.
fn cancel_reason(reason: Option<&str>) -> &'static str {
    match reason.unwrap_or_default() {
        "customer" => "customer",
        "fraud" => "fraud",
        "inventory" => "inventory",
        "declined" => "declined",
        _ => "other",
    }
}

/// `line_items_by_fulfillment_order` for the open fulfillment orders: whole fulfillment
/// orders when no lines are named, else the named order lines' fulfillment-order line items
/// with the quantities asked for. `None` when nothing is left to fulfil (a repeated
/// message); an error when the named lines cannot be fulfilled.
fn fulfillment_groups(orders: &[Value], lines: &[TrackingLine]) -> Result<Option<Vec<Value>>, ConnectError> {
    let open: Vec<&Value> = orders
        .iter()
        .filter(|fo| {
            matches!(
                fo.get("status").and_then(Value::as_str),
                Some("open" | "in_progress" | "scheduled")
            )
        })
        .collect();
    if open.is_empty() {
        return if orders
            .iter()
            .any(|fo| fo.get("status").and_then(Value::as_str) == Some("closed"))
            || orders.is_empty()
        {
            Ok(None)
        } else {
            Err(ConnectError::Rejected {
                code: "not_fulfillable".into(),
                message: "the order has no open fulfillment order (cancelled or on hold?)".into(),
            })
        };
    }
    if lines.is_empty() {
        return Ok(Some(
            open.iter()
                .map(|fo| json!({ "fulfillment_order_id": fo["id"] }))
                .collect(),
        ));
    }
    let mut wanted: HashMap<&str, u32> = HashMap::new();
    for line in lines {
        *wanted.entry(line.line_id.as_str()).or_default() += line.quantity;
    }
    let mut groups = Vec::new();
    for fo in open {
        let mut items = Vec::new();
        for item in fo.get("line_items").and_then(Value::as_array).into_iter().flatten() {
            let Some(line_id) = item.get("line_item_id").and_then(id_text) else {
                continue;
            };
            let fulfillable = item.get("fulfillable_quantity").and_then(Value::as_u64).unwrap_or(0);
            if let Some(remaining) = wanted.get_mut(line_id.as_str()) {
                let take = u64::from(*remaining).min(fulfillable);
                if take > 0 {
                    *remaining -= take as u32;
                    items.push(json!({ "id": item["id"], "quantity": take }));
                }
            }
        }
        if !items.is_empty() {
            groups.push(json!({ "fulfillment_order_id": fo["id"], "fulfillment_order_line_items": items }));
        }
    }
    if !groups.is_empty() {
        return Ok(Some(groups));
    }
    // Nothing left to fulfil of the named lines: sent before if the order has them at all.
    let known: Vec<String> = orders
        .iter()
        .flat_map(|fo| fo.get("line_items").and_then(Value::as_array).into_iter().flatten())
        .filter_map(|item| item.get("line_item_id").and_then(id_text))
        .collect();
    match lines.iter().find(|line| !known.contains(&line.line_id)) {
        None => Ok(None),
        Some(line) => Err(ConnectError::Rejected {
            code: "unknown_line".into(),
            message: format!("the order has no line {:?} (sku {:?})", line.line_id, line.sku),
        }),
    }
}

/// The `page_info` of the `rel="next"` link, if there is one.
fn next_page_info(link: &str) -> Option<String> {
    link.split(',')
        .find(|part| part.contains("rel=\"next\""))
        .and_then(|part| {
            let target = part.split_once('<')?.1.split_once('>')?.0;
            let url = reqwest::Url::parse(target)
                .or_else(|_| reqwest::Url::parse("http://x/")?.join(target))
                .ok()?;
            url.query_pairs()
                .find(|(key, _)| key == "page_info")
                .map(|(_, value)| value.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_next_link_is_found_among_others() {
        let link = r#"<https://s.myshopify.com/admin/api/2024-10/orders.json?limit=50&page_info=abc>; rel="previous", <https://s.myshopify.com/admin/api/2024-10/orders.json?limit=50&page_info=d%3De>; rel="next""#;
        assert_eq!(next_page_info(link).as_deref(), Some("d=e"));
        assert_eq!(
            next_page_info(r#"</orders.json?page_info=rel>; rel="next""#).as_deref(),
            Some("rel")
        );
        assert_eq!(
            next_page_info(r#"<https://x/orders.json?page_info=a>; rel="previous""#),
            None
        );
    }

    #[test]
    fn named_lines_become_fulfillment_order_line_items() {
        let orders = vec![
            json!({"id": 1, "status": "closed", "line_items": [{"id": 10, "line_item_id": 100, "fulfillable_quantity": 0}]}),
            json!({"id": 2, "status": "open", "line_items": [
                {"id": 20, "line_item_id": 200, "fulfillable_quantity": 3},
                {"id": 21, "line_item_id": 201, "fulfillable_quantity": 1}]}),
        ];
        let lines = vec![TrackingLine {
            line_id: "200".into(),
            sku: "A".into(),
            quantity: 2,
        }];
        let groups = fulfillment_groups(&orders, &lines).unwrap().unwrap();
        assert_eq!(
            groups,
            vec![json!({"fulfillment_order_id": 2, "fulfillment_order_line_items": [{"id": 20, "quantity": 2}]})]
        );
        let whole = fulfillment_groups(&orders, &[]).unwrap().unwrap();
        assert_eq!(whole, vec![json!({"fulfillment_order_id": 2})]);
        assert_eq!(
            fulfillment_groups(&orders[..1], &[]).unwrap(),
            None,
            "all closed: sent before"
        );
        let done = vec![TrackingLine {
            line_id: "100".into(),
            sku: "B".into(),
            quantity: 1,
        }];
        assert_eq!(
            fulfillment_groups(&orders, &done).unwrap(),
            None,
            "line 100 was fulfilled before"
        );
        let wrong = vec![TrackingLine {
            line_id: "IPOD2008RED".into(),
            sku: "IPOD2008RED".into(),
            quantity: 1,
        }];
        let refused = fulfillment_groups(&orders, &wrong);
        assert!(matches!(refused, Err(ConnectError::Rejected { code, .. }) if code == "unknown_line"));
    }
}
