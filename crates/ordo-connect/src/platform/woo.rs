//! WooCommerce REST API `wc/v3`, HTTP Basic with the consumer key and secret.
//!
//! Orders are listed with `modified_after` in ascending modification time and paged by
//! number until `X-WP-TotalPages`. Numbered pages shift when an order already read is
//! modified during the poll (it moves to the end, and every later order moves one place
//! up, so one may slip between two pages unread). Such an order shows up twice in the same
//! window; when that happens the cursor only advances to where the moved order was first
//! seen, so the next window reads the slipped one again.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::{Ctx, id_text};
use crate::ConnectError;
use crate::config::ChannelConfig;
use crate::cursor::{Window, parse_utc, rfc3339};
use crate::http::{Reply, by_status};
use crate::writeback::WriteBack;

const API: &str = "/wp-json/wc/v3";

/// A WooCommerce store.
#[derive(Debug)]
pub(crate) struct Woo {
    key: String,
    secret: String,
}

impl Woo {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            key: config.consumer_key.clone().unwrap_or_default(),
            secret: config.consumer_secret.clone().unwrap_or_default(),
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
                    let request = client
                        .request(method.clone(), url)
                        .query(query)
                        .basic_auth(&self.key, Some(&self.secret))
                        .header("accept", "application/json");
                    match body {
                        Some(body) => request.json(body),
                        None => request,
                    }
                },
                by_status,
            )
            .await
    }

    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = ctx.url(&format!("{API}/orders"));
        let per_page = ctx.config.effective_page_size();
        let mut newest: Option<DateTime<Utc>> = None;
        // Where each order was first seen in this window, to notice one seen twice.
        let mut first_seen: HashMap<String, Option<DateTime<Utc>>> = HashMap::new();
        let mut shifted_before: Option<DateTime<Utc>> = None;
        let (mut page, mut pages) = (1_u32, 0);
        loop {
            let query = [
                ("modified_after", rfc3339(window.from)),
                ("dates_are_gmt", "true".to_owned()),
                ("orderby", "modified".to_owned()),
                ("order", "asc".to_owned()),
                ("per_page", per_page.to_string()),
                ("page", page.to_string()),
            ];
            let reply = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?;
            ctx.page(&mut pages)?;
            let body = reply.json()?;
            let orders = body
                .as_array()
                .ok_or_else(|| ConnectError::BadResponse("orders: not an array".into()))?;
            for order in orders {
                let modified = order
                    .get("date_modified_gmt")
                    .and_then(Value::as_str)
                    .and_then(parse_utc);
                newest = newest.max(modified);
                if let Some(id) = order.get("id").and_then(id_text)
                    && let Some(earlier) = first_seen.insert(id, modified)
                {
                    let limit = earlier.unwrap_or(window.from);
                    shifted_before = Some(shifted_before.map_or(limit, |s| s.min(limit)));
                }
                ctx.ingest(order.clone()).await?;
            }
            let more = match reply
                .header("x-wp-totalpages")
                .and_then(|v| v.trim().parse::<u32>().ok())
            {
                Some(total_pages) => page < total_pages,
                None => orders.len() == per_page as usize,
            };
            if !more || orders.is_empty() {
                break;
            }
            page += 1;
        }
        if let Some(limit) = shifted_before {
            tracing::debug!(channel = %ctx.config.code, %limit, "an order moved during paging; cursor held back");
            return Ok(Some(newest.map_or(limit, |n| n.min(limit))));
        }
        Ok(newest)
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        let url = ctx.url(&format!("{API}/orders/{}", numeric(id)?));
        self.call(ctx, reqwest::Method::GET, &url, &[], None).await?.json()
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id,
                carrier,
                tracking_number,
                shipped_at,
                ..
            } => {
                let id = numeric(external_order_id)?;
                let tracking = json!({
                    "tracking_provider": carrier,
                    "tracking_number": tracking_number,
                    "date_shipped": shipped_at.format("%Y-%m-%d").to_string(),
                });
                let url = ctx.url(&format!(
                    "/wp-json/wc-shipment-tracking/v3/orders/{id}/shipment-trackings"
                ));
                self.call(ctx, reqwest::Method::POST, &url, &[], Some(&tracking))
                    .await?;
                self.set_status(ctx, id, "completed").await
            }
            WriteBack::Cancel { external_order_id, .. } => {
                self.set_status(ctx, numeric(external_order_id)?, "cancelled").await
            }
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on WooCommerce: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { sku, quantity } => {
                let url = ctx.url(&format!("{API}/products"));
                let body = self
                    .call(ctx, reqwest::Method::GET, &url, &[("sku", sku.clone())], None)
                    .await?
                    .json()?;
                let products = body
                    .as_array()
                    .ok_or_else(|| ConnectError::BadResponse("products: not an array".into()))?;
                let product = products
                    .iter()
                    .find(|p| p.get("sku").and_then(Value::as_str) == Some(sku.as_str()))
                    .ok_or_else(|| ConnectError::Rejected {
                        code: "unknown_sku".into(),
                        message: format!("no WooCommerce product has SKU {sku:?}"),
                    })?;
                let id = product
                    .get("id")
                    .and_then(id_text)
                    .ok_or_else(|| ConnectError::BadResponse("product without id".into()))?;
                // A variation is updated under its parent product.
                let parent = product.get("parent_id").and_then(Value::as_u64).filter(|p| *p > 0);
                let path = match (product.get("type").and_then(Value::as_str), parent) {
                    (Some("variation"), Some(parent)) => format!("{API}/products/{parent}/variations/{id}"),
                    _ => format!("{API}/products/{id}"),
                };
                let update = json!({ "manage_stock": true, "stock_quantity": (*quantity).max(0) });
                self.call(ctx, reqwest::Method::PUT, &ctx.url(&path), &[], Some(&update))
                    .await
                    .map(drop)
            }
        }
    }

    async fn set_status(&self, ctx: &Ctx<'_>, id: &str, status: &str) -> Result<(), ConnectError> {
        let url = ctx.url(&format!("{API}/orders/{id}"));
        self.call(ctx, reqwest::Method::PUT, &url, &[], Some(&json!({ "status": status })))
            .await
            .map(drop)
    }
}

/// WooCommerce order ids are numbers; anything else would address another resource.
fn numeric(id: &str) -> Result<&str, ConnectError> {
    if !id.is_empty() && id.bytes().all(|b| b.is_ascii_digit()) {
        Ok(id)
    } else {
        Err(ConnectError::Rejected {
            code: "bad_order_id".into(),
            message: format!("{id:?} is not a WooCommerce order id"),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_numeric_ids_reach_a_path() {
        assert_eq!(numeric("727").unwrap(), "727");
        assert!(numeric("../products").is_err());
        assert!(numeric("").is_err());
    }
}
