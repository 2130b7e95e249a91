//! Amazon Selling Partner API: Orders v0 and Orders `2026-01-01`, with Login with Amazon.
//!
//! An access token is fetched with the refresh token and cached until a minute before it
//! expires; a `403` on a cached token drops it and the call is tried once with a new one.
//! v0 lists orders without their items, so each order's items are read (all their pages)
//! and stored with it as one document: the `Order` with `OrderItems` added. `2026-01-01`
//! orders already carry their items and are stored as they come.
//!
//! A v0 order's address is restricted data: `getOrders` gives at most its city, region and
//! country. For an order that ships, the connector asks for a Restricted Data Token for
//! that order's `getOrderAddress` and adds the whole address to the document. When the
//! seller's application may not read it, the order is stored without it and held for it.

use chrono::{DateTime, SecondsFormat, Utc};
use serde_json::{Value, json};
use sha2::Digest;
use tokio::sync::Mutex;
use tokio::time::{Duration, Instant};

use super::{Ctx, array_at};
use crate::ConnectError;
use crate::config::{ChannelConfig, Platform};
use crate::cursor::{Window, parse_utc, rfc3339};
use crate::http::{Reply, by_status, json_request};
use crate::writeback::WriteBack;

/// A token is replaced this long before Amazon says it expires, so no call carries one
/// that dies on the way.
const TOKEN_MARGIN: Duration = Duration::from_secs(60);

/// Most item pages read for one order: Amazon pages items by the hundred, and no order
/// has ten thousand lines.
const MAX_ITEM_PAGES: u32 = 100;

/// One seller account in one marketplace.
#[derive(Debug)]
pub(crate) struct Amazon {
    orders_2026: bool,
    token_url: String,
    client_id: String,
    client_secret: String,
    refresh_token: String,
    marketplace_id: String,
    seller_id: Option<String>,
    token: Mutex<Option<(String, Instant)>>,
}

impl Amazon {
    pub fn new(config: &ChannelConfig) -> Self {
        Self {
            orders_2026: config.platform == Platform::Amazon2026,
            token_url: config.effective_token_url(),
            client_id: config.lwa_client_id.clone().unwrap_or_default(),
            client_secret: config.lwa_client_secret.clone().unwrap_or_default(),
            refresh_token: config.refresh_token.clone().unwrap_or_default(),
            marketplace_id: config.marketplace_id.clone().unwrap_or_default(),
            seller_id: config.seller_id.clone(),
            token: Mutex::new(None),
        }
    }

    /// A valid access token, from the cache or Login with Amazon.
    async fn token(&self, ctx: &Ctx<'_>) -> Result<String, ConnectError> {
        let mut cached = self.token.lock().await;
        if let Some((token, expires)) = cached.as_ref()
            && Instant::now() < *expires
        {
            return Ok(token.clone());
        }
        let form = [
            ("grant_type", "refresh_token"),
            ("refresh_token", self.refresh_token.as_str()),
            ("client_id", self.client_id.as_str()),
            ("client_secret", self.client_secret.as_str()),
        ];
        let reply = ctx
            .http
            .send_unbudgeted(ctx.tally, |client| client.post(&self.token_url).form(&form), by_status)
            .await
            .map_err(|e| match e {
                // LWA answers a bad refresh token or client with 400 `invalid_grant`/`invalid_client`.
                ConnectError::Rejected { message, .. } => ConnectError::Auth(format!("Login with Amazon: {message}")),
                other => other,
            })?;
        let body = reply.json()?;
        let token = body
            .get("access_token")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectError::BadResponse("token answer without access_token".into()))?
            .to_owned();
        let lifetime = Duration::from_secs(body.get("expires_in").and_then(Value::as_u64).unwrap_or(3600));
        *cached = Some((token.clone(), Instant::now() + lifetime.saturating_sub(TOKEN_MARGIN)));
        Ok(token)
    }

    /// The whole shipping address of a v0 order through a Restricted Data Token, or `None`
    /// when the application is not allowed the restricted data (the order is then held
    /// for its address instead of failing the poll).
    async fn order_address(&self, ctx: &Ctx<'_>, id: &str) -> Result<Option<Value>, ConnectError> {
        let address_path = format!("/orders/v0/orders/{id}/address");
        let request = json!({"restrictedResources": [{"method": "GET", "path": address_path}]});
        let url = ctx.url("/tokens/2021-03-01/restrictedDataToken");
        let answer = self.call(ctx, reqwest::Method::POST, &url, &[], Some(&request)).await;
        let rdt = match answer {
            Ok(reply) => reply.json()?,
            Err(ConnectError::Auth(message) | ConnectError::Rejected { message, .. }) => {
                tracing::warn!(order = id, %message, "no Restricted Data Token: the order waits for its address");
                return Ok(None);
            }
            Err(other) => return Err(other),
        };
        let token = rdt
            .get("restrictedDataToken")
            .and_then(Value::as_str)
            .ok_or_else(|| ConnectError::BadResponse("token answer without restrictedDataToken".into()))?;
        let url = ctx.url_segments(&["orders", "v0", "orders", id, "address"])?;
        let body = self
            .send(ctx, token, reqwest::Method::GET, url.as_str(), &[], None)
            .await?
            .json()?;
        Ok(body.pointer("/payload/ShippingAddress").cloned())
    }

    /// Sends one SP-API request with the given token.
    async fn send(
        &self,
        ctx: &Ctx<'_>,
        token: &str,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ConnectError> {
        ctx.http
            .send(
                ctx.tally,
                |client| json_request(client, method.clone(), url, query, ("x-amz-access-token", token), body),
                by_status,
            )
            .await
    }

    /// Sends an SP-API request with a token, renewing a refused cached token once.
    async fn call(
        &self,
        ctx: &Ctx<'_>,
        method: reqwest::Method,
        url: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Reply, ConnectError> {
        let mut renewed = false;
        loop {
            let token = self.token(ctx).await?;
            let result = self.send(ctx, &token, method.clone(), url, query, body).await;
            match result {
                Err(ConnectError::Auth(_)) if !renewed => {
                    renewed = true;
                    let mut cached = self.token.lock().await;
                    if cached.as_ref().is_some_and(|(t, _)| *t == token) {
                        *cached = None;
                    }
                }
                other => return other,
            }
        }
    }

    pub async fn poll(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        if self.orders_2026 {
            self.poll_2026(ctx, window).await
        } else {
            self.poll_v0(ctx, window).await
        }
    }

    async fn poll_v0(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = ctx.url("/orders/v0/orders");
        let mut query = vec![
            ("MarketplaceIds", self.marketplace_id.clone()),
            ("LastUpdatedAfter", rfc3339(window.from)),
            ("MaxResultsPerPage", ctx.config.effective_page_size().to_string()),
        ];
        let (mut vouched, mut pages) = (None, 0);
        loop {
            let body = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?.json()?;
            ctx.page(&mut pages)?;
            for order in array_at(&body, "/payload/Orders")? {
                let updated = order.get("LastUpdateDate").and_then(Value::as_str).and_then(parse_utc);
                vouched = vouched.max(updated);
                let id = order_id(order, "AmazonOrderId")?;
                let mut document = order.clone();
                document["OrderItems"] = Value::Array(self.order_items(ctx, &id).await?);
                self.add_address(ctx, &id, &mut document).await?;
                ctx.ingest(document).await?;
            }
            // Amazon's own "complete up to here", on its clock.
            let before = body
                .pointer("/payload/LastUpdatedBefore")
                .and_then(Value::as_str)
                .and_then(parse_utc);
            vouched = vouched.max(before);
            match body
                .pointer("/payload/NextToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(token) => {
                    query = vec![
                        ("MarketplaceIds", self.marketplace_id.clone()),
                        ("NextToken", token.to_owned()),
                    ];
                }
                None => return Ok(vouched),
            }
        }
    }

    /// Adds the restricted address to a v0 order that ships and lacks it. A pending order
    /// has none yet and a cancelled one needs none.
    async fn add_address(&self, ctx: &Ctx<'_>, id: &str, document: &mut Value) -> Result<(), ConnectError> {
        let status = document.get("OrderStatus").and_then(Value::as_str).unwrap_or_default();
        let has_street = document
            .pointer("/ShippingAddress/AddressLine1")
            .and_then(Value::as_str)
            .is_some_and(|l| !l.trim().is_empty());
        if has_street || matches!(status, "Pending" | "PendingAvailability" | "Canceled") {
            return Ok(());
        }
        if let Some(address) = self.order_address(ctx, id).await? {
            document["ShippingAddress"] = address;
        }
        Ok(())
    }

    /// Every item of one order, across `NextToken` pages.
    async fn order_items(&self, ctx: &Ctx<'_>, id: &str) -> Result<Vec<Value>, ConnectError> {
        let url = ctx.url_segments(&["orders", "v0", "orders", id, "orderItems"])?;
        let (mut items, mut query, mut pages) = (Vec::new(), Vec::new(), 0);
        loop {
            let body = self
                .call(ctx, reqwest::Method::GET, url.as_str(), &query, None)
                .await?
                .json()?;
            pages += 1;
            if pages > MAX_ITEM_PAGES {
                return Err(ConnectError::BadResponse(format!(
                    "order {id}: items keep announcing more pages"
                )));
            }
            items.extend(array_at(&body, "/payload/OrderItems")?.iter().cloned());
            match body
                .pointer("/payload/NextToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(token) => query = vec![("NextToken", token.to_owned())],
                None => return Ok(items),
            }
        }
    }

    async fn poll_2026(&self, ctx: &Ctx<'_>, window: Window) -> Result<Option<DateTime<Utc>>, ConnectError> {
        let url = ctx.url("/orders/2026-01-01/orders");
        let (mut vouched, mut pages, mut token) = (None, 0, None::<String>);
        loop {
            let mut query = vec![
                ("marketplaceIds", self.marketplace_id.clone()),
                ("lastUpdatedAfter", rfc3339(window.from)),
                ("maxResultsPerPage", ctx.config.effective_page_size().to_string()),
            ];
            if let Some(token) = &token {
                query.push(("paginationToken", token.clone()));
            }
            let body = self.call(ctx, reqwest::Method::GET, &url, &query, None).await?.json()?;
            ctx.page(&mut pages)?;
            for order in array_at(&body, "/orders")? {
                let updated = order.get("lastUpdatedTime").and_then(Value::as_str).and_then(parse_utc);
                vouched = vouched.max(updated);
                ctx.ingest(order.clone()).await?;
            }
            let before = body
                .get("lastUpdatedBefore")
                .and_then(Value::as_str)
                .and_then(parse_utc);
            vouched = vouched.max(before);
            match body
                .pointer("/pagination/nextToken")
                .and_then(Value::as_str)
                .filter(|t| !t.is_empty())
            {
                Some(next) => token = Some(next.to_owned()),
                None => return Ok(vouched),
            }
        }
    }

    pub async fn fetch_order(&self, ctx: &Ctx<'_>, id: &str) -> Result<Value, ConnectError> {
        if self.orders_2026 {
            let url = ctx.url_segments(&["orders", "2026-01-01", "orders", id])?;
            let body = self
                .call(ctx, reqwest::Method::GET, url.as_str(), &[], None)
                .await?
                .json()?;
            return body
                .get("order")
                .cloned()
                .ok_or_else(|| ConnectError::BadResponse("no `order` in the answer".into()));
        }
        let url = ctx.url_segments(&["orders", "v0", "orders", id])?;
        let body = self
            .call(ctx, reqwest::Method::GET, url.as_str(), &[], None)
            .await?
            .json()?;
        let mut order = body
            .get("payload")
            .cloned()
            .ok_or_else(|| ConnectError::BadResponse("no `payload`".into()))?;
        order["OrderItems"] = Value::Array(self.order_items(ctx, id).await?);
        self.add_address(ctx, id, &mut order).await?;
        Ok(order)
    }

    pub async fn push(&self, ctx: &Ctx<'_>, message: &WriteBack) -> Result<(), ConnectError> {
        match message {
            WriteBack::Tracking {
                external_order_id: id,
                carrier,
                tracking_number,
                shipped_at,
                lines,
                ..
            } => {
                let items: Vec<Value> = if lines.is_empty() {
                    // Without named lines the whole order ships: every item, as ordered.
                    self.order_items(ctx, id)
                        .await?
                        .iter()
                        .map(|item| json!({ "orderItemId": item["OrderItemId"], "quantity": item["QuantityOrdered"] }))
                        .collect()
                } else {
                    lines
                        .iter()
                        .map(|l| json!({ "orderItemId": l.line_id, "quantity": l.quantity }))
                        .collect()
                };
                let body = json!({
                    "marketplaceId": self.marketplace_id,
                    "packageDetail": {
                        "packageReferenceId": package_reference(tracking_number),
                        "carrierCode": carrier,
                        "trackingNumber": tracking_number,
                        "shipDate": shipped_at.to_rfc3339_opts(SecondsFormat::Millis, true),
                        "orderItems": items,
                    }
                });
                let url = ctx.url_segments(&["orders", "v0", "orders", id, "shipmentConfirmation"])?;
                self.call(ctx, reqwest::Method::POST, url.as_str(), &[], Some(&body))
                    .await
                    .map(drop)
            }
            WriteBack::Cancel { .. } => Err(ConnectError::Unsupported(
                "cancellation on Amazon (sellers cancel through the Feeds API; Ordo keeps the request)".into(),
            )),
            WriteBack::AfterSale { .. } => Err(ConnectError::Unsupported(
                "after-sale decisions on Amazon: Ordo writes back only Taobao's and Douyin's".into(),
            )),
            WriteBack::Stock { sku, quantity } => {
                let seller = self
                    .seller_id
                    .as_deref()
                    .ok_or_else(|| ConnectError::Config("stock write-back on Amazon needs seller_id".into()))?;
                let url = ctx.url_segments(&["listings", "2021-08-01", "items", seller, sku])?;
                let body = json!({
                    "productType": "PRODUCT",
                    "patches": [{
                        "op": "replace",
                        "path": "/attributes/fulfillment_availability",
                        "value": [{ "fulfillment_channel_code": "DEFAULT", "quantity": (*quantity).max(0) }],
                    }],
                });
                let query = [("marketplaceIds", self.marketplace_id.clone())];
                let answer = self
                    .call(ctx, reqwest::Method::PATCH, url.as_str(), &query, Some(&body))
                    .await?
                    .json()?;
                match answer.get("status").and_then(Value::as_str) {
                    Some("ACCEPTED") | None => Ok(()),
                    Some(status) => Err(ConnectError::Rejected {
                        code: format!("listing_{}", status.to_ascii_lowercase()),
                        message: answer.get("issues").map_or_else(String::new, Value::to_string),
                    }),
                }
            }
        }
    }
}

fn order_id(order: &Value, key: &str) -> Result<String, ConnectError> {
    order
        .get(key)
        .and_then(Value::as_str)
        .filter(|id| !id.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| ConnectError::BadResponse(format!("an order without {key}")))
}

/// Amazon wants a positive number naming the package within the order. It is derived from
/// the tracking number, so a message delivered twice names the same package and two
/// packages of one order get different numbers.
fn package_reference(tracking_number: &str) -> String {
    let digest = sha2::Sha256::digest(tracking_number.as_bytes());
    let n = u32::from_be_bytes([digest[0], digest[1], digest[2], digest[3]]) % 999_999_999 + 1;
    n.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_references_are_positive_numbers_stable_per_tracking_number() {
        let a = package_reference("1Z999AA10123456784");
        assert_eq!(a, package_reference("1Z999AA10123456784"));
        assert_ne!(a, package_reference("1Z999AA10123456785"));
        assert!(a.parse::<u64>().unwrap() > 0);
    }
}
