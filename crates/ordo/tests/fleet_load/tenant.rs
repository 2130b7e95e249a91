//! One tenant of the fleet: its admin token and its own Shopify shop, warehouse and
//! subscription receiver, connected to Ordo through the public API.

use ordo_sim::{
    Credentials, Platform, RateLimits, Sim, SimConfig, Simulator, WmsKind, WmsSim, WmsSimConfig, WmsSimulator,
};
use reqwest::Method;
use serde_json::{Value, json};

use crate::receiver::Receiver;

/// Every tenant's channel and warehouse have these same codes, so a message routed by
/// code alone would find another tenant's connection.
pub const CHANNEL: &str = "shopify";
pub const WAREHOUSE: &str = "HZ-01";
/// Units of each SKU in stock: far more than the load orders, so no order waits.
const STOCK: i64 = 1_000_000;

pub struct Tenant {
    pub name: &'static str,
    pub token: String,
    pub shop: Sim,
    pub wms: WmsSim,
    pub receiver: Receiver,
    /// The tenant's SKUs, named after it: a line of another tenant's order stands out.
    pub skus: [String; 2],
}

/// Sends a request with a tenant's token; the status and the JSON answer (null if none).
pub async fn call(
    http: &reqwest::Client,
    token: &str,
    method: Method,
    url: &str,
    body: Option<&Value>,
) -> reqwest::Result<(u16, Value)> {
    let mut request = http.request(method, url).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(body);
    }
    let response = request.send().await?;
    let status = response.status().as_u16();
    Ok((status, response.json().await.unwrap_or_default()))
}

impl Tenant {
    /// Starts the tenant's simulators and receiver and connects them through the node at
    /// `base`. `seed` differs per tenant, so each warehouse issues its own tracking
    /// numbers.
    pub async fn start(name: &'static str, seed: u64, token: String, http: &reqwest::Client, base: &str) -> Self {
        let prefix = name.to_uppercase();
        let skus = [format!("{prefix}-TEE"), format!("{prefix}-MUG")];
        let mut shop_config = SimConfig::new(Platform::Shopify);
        shop_config.skus = skus.to_vec();
        shop_config.seed = seed;
        // A shop of its own credentials: a call made with another tenant's is refused.
        shop_config.credentials = Credentials::AccessToken(format!("shpat_{name}_token"));
        // Shopify's budget (2 calls/s) is not under test here, and would hold tracking
        // write-backs back for longer than the test runs.
        shop_config.rate_limits = RateLimits {
            api: None,
            order_items: None,
        };
        let shop = Simulator::start(shop_config).await.unwrap();
        let mut wms_config = WmsSimConfig::new(WmsKind::Generic);
        wms_config.token = format!("{name}-wms-token");
        wms_config.secret = format!("{name}-wms-secret");
        wms_config.seed = seed;
        let wms = WmsSimulator::start(wms_config).await.unwrap();
        let tenant = Self {
            name,
            token,
            shop,
            wms,
            receiver: Receiver::start().await,
            skus,
        };
        tenant.connect(http, base).await;
        tenant
    }

    async fn expect(&self, http: &reqwest::Client, method: Method, url: &str, body: Value, wanted: u16) -> Value {
        let (status, answer) = call(http, &self.token, method, url, Some(&body)).await.unwrap();
        assert_eq!(status, wanted, "{} {url}: {answer}", self.name);
        answer
    }

    /// Catalogue, stock, warehouse connector, channel connection and subscription.
    async fn connect(&self, http: &reqwest::Client, base: &str) {
        for sku in &self.skus {
            let url = format!("{base}/api/v1/skus/{sku}");
            self.expect(http, Method::PUT, &url, json!({ "name": sku }), 200).await;
        }
        let wms = self.wms.config();
        let warehouse = json!({
            "name": format!("{} Hangzhou", self.name),
            "connector": {
                "kind": "generic", "base_url": self.wms.url(), "token": wms.token,
                "secret": wms.secret, "timeout_ms": 2000,
            },
        });
        let url = format!("{base}/api/v1/warehouses/{WAREHOUSE}");
        self.expect(http, Method::PUT, &url, warehouse, 200).await;
        let changes: Vec<Value> = self
            .skus
            .iter()
            .map(|sku| json!({ "warehouse": WAREHOUSE, "sku": sku, "op": "receive", "quantity": STOCK }))
            .collect();
        let url = format!("{base}/api/v1/stock/changes");
        let results = self.expect(http, Method::POST, &url, json!(changes), 200).await;
        assert!(
            results.as_array().unwrap().iter().all(|row| row["ok"] == true),
            "{}: stock refused: {results}",
            self.name
        );
        let Credentials::AccessToken(access_token) = &self.shop.config().credentials else {
            unreachable!("a Shopify simulator takes an access token")
        };
        let channel = json!({
            "platform": "shopify", "base_url": self.shop.base_url(), "access_token": access_token,
            "location_id": ordo_sim::SHOPIFY_LOCATION_ID, "poll_interval_ms": 500,
            // The simulator commits at once, unlike a real platform: no lag needed.
            "overlap_seconds": 5, "safety_lag_seconds": 0, "initial_lookback_hours": 1,
            // Ordo's own budget for the shop, lifted like the shop's.
            "budget": { "requests_per_second": 200.0, "burst": 200 },
            "backoff": { "base_ms": 100, "max_ms": 2000, "max_attempts": 4 },
            "request_timeout_ms": 5000,
        });
        let url = format!("{base}/api/v1/channels/{CHANNEL}");
        self.expect(http, Method::PUT, &url, channel, 200).await;
        let subscription = json!({
            "url": self.receiver.url, "events": ["order.created", "order.shipped"],
            "description": "fleet load receiver",
        });
        let url = format!("{base}/api/v1/subscriptions");
        self.expect(http, Method::POST, &url, subscription, 201).await;
    }

    /// An order for `POST /api/v1/orders` on the tenant's own web shop (no connection):
    /// one unit of each of its SKUs.
    pub fn api_order(&self, external_id: &str) -> Value {
        let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
        order["external_id"] = json!(external_id);
        order["remark"] = Value::Null;
        order["lines"] = json!([
            { "sku": self.skus[0], "quantity": 1, "unit_price": "79.00" },
            { "sku": self.skus[1], "quantity": 1, "unit_price": "35.50" },
        ]);
        order
    }

    /// The tenant's outbox messages, of one topic and status or all, newest first; all of
    /// them (the listing's page holds 500, more than the load queues).
    pub async fn outbox(
        &self,
        http: &reqwest::Client,
        base: &str,
        topic: Option<&str>,
        status: Option<&str>,
    ) -> Vec<Value> {
        let mut url = format!("{base}/api/v1/outbox?limit=500");
        for (name, value) in [("topic", topic), ("status", status)] {
            if let Some(value) = value {
                url.push_str(&format!("&{name}={value}"));
            }
        }
        let (code, answer) = call(http, &self.token, Method::GET, &url, None).await.unwrap();
        assert_eq!(code, 200, "{} {url}: {answer}", self.name);
        let messages = answer.as_array().cloned().unwrap_or_default();
        assert!(messages.len() < 500, "{}: {url} is cut short", self.name);
        messages
    }

    /// Whether the node at `base` runs the tenant's warehouse connector yet.
    pub async fn connected(&self, http: &reqwest::Client, base: &str) -> bool {
        let url = format!("{base}/api/v1/warehouse-connectors");
        matches!(
            call(http, &self.token, Method::GET, &url, None).await,
            Ok((200, connectors)) if connectors.get(WAREHOUSE).is_some()
        )
    }

    /// The node holding the tenant's poll lease, as the node at `base` reports it.
    pub async fn poller(&self, http: &reqwest::Client, base: &str) -> Option<String> {
        let url = format!("{base}/api/v1/cluster");
        let (_, cluster) = call(http, &self.token, Method::GET, &url, None).await.ok()?;
        let lease = format!("poll:{}:{CHANNEL}", self.name);
        cluster["leases"]
            .as_array()?
            .iter()
            .find(|l| l["name"] == lease.as_str() && l["live"] == true)
            .and_then(|l| l["holder"].as_str().map(str::to_owned))
    }
}
