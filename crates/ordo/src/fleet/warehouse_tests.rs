//! Orders reach their warehouses by themselves and come back shipped: an allocated order
//! is sent to the simulated warehouse that holds its stock, which picks, packs and ships
//! it by callback; a warehouse that is down delays only its own orders, which go out
//! when it is back.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ordo_core::auth::Role;
use ordo_core::{OrderStatus, TenantId};
use ordo_store::Store;
use serde_json::json;

use super::tests::stock_at;
use super::*;
use crate::config::Config;

pub(super) async fn status_of(store: &Arc<dyn Store>, id: &str) -> OrderStatus {
    let id = ordo_core::OrderId(uuid::Uuid::parse_str(id).unwrap());
    store
        .get_order(&TenantId::default_tenant(), id)
        .await
        .unwrap()
        .unwrap()
        .state
        .status
}

pub(super) async fn wait_for(store: &Arc<dyn Store>, id: &str, wanted: OrderStatus, limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let status = status_of(store, id).await;
        if status == wanted {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < limit,
            "order {id} is {status:?}, not {wanted:?}, after {limit:?}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A node with the fleet's warehouse simulators, HZ-01 stocked with TEE-RED-M and SZ-01
/// with MUG-01, and an admin token.
pub(super) struct Harness {
    pub node: crate::server::Node,
    pub fleet: Fleet,
    pub store: Arc<dyn Store>,
    pub token: String,
    pub base: String,
    pub http: reqwest::Client,
    _dir: tempfile::TempDir,
}

impl Harness {
    pub async fn start() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = Config::default();
        // Review is tested elsewhere; here every order goes straight through.
        config.review.enabled = false;
        let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
        let store = crate::server::open_store(&url, 4).await.unwrap();
        let (node, fleet) = start_with_node(
            config,
            store.clone(),
            None,
            "127.0.0.1:0",
            &["TEE-RED-M".to_owned()],
            60_000,
        )
        .await
        .unwrap();
        stock_at(&store, "HZ-01", &["TEE-RED-M"], 100).await;
        stock_at(&store, "SZ-01", &["MUG-01"], 100).await;
        let token = ordo_app::TokenService::new(store.clone())
            .create(&TenantId::default_tenant(), Role::Admin, "test", chrono::Utc::now())
            .await
            .unwrap()
            .secret;
        let base = format!("http://{}", node.addr);
        Self {
            node,
            fleet,
            store,
            token,
            base,
            http: reqwest::Client::new(),
            _dir: dir,
        }
    }

    /// Posts an order of one unit of each SKU; its id.
    pub async fn post(&self, external_id: &str, skus: &[&str]) -> String {
        let mut order: serde_json::Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
        order["external_id"] = json!(external_id);
        order["remark"] = serde_json::Value::Null;
        order["lines"] = skus
            .iter()
            .map(|sku| json!({ "sku": sku, "quantity": 1, "unit_price": "79.00" }))
            .collect();
        let response = self
            .http
            .post(format!("{}/api/v1/orders", self.base))
            .bearer_auth(&self.token)
            .json(&order)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 201);
        let body: serde_json::Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_warehouse_outage_delays_only_its_own_orders_and_loses_none() {
    let h = Harness::start().await;
    let (store, fleet) = (&h.store, &h.fleet);

    // Both warehouses up: an order goes out, is picked, packed and shipped by callbacks,
    // and its tracking goes to the channel.
    let first = h.post("WH-1", &["TEE-RED-M"]).await;
    wait_for(store, &first, OrderStatus::Shipped, Duration::from_secs(10)).await;
    assert_eq!(fleet.warehouse("HZ-01").received().len(), 1);
    let tracking = store
        .list_outbox(&TenantId::default_tenant(), Some("channel.tracking"), None, 10)
        .await
        .unwrap();
    assert!(
        tracking.iter().any(|m| m.payload["order_id"] == json!(first)),
        "{tracking:?}"
    );
    // The request named the carrier the sourcing rules pick for a Chinese address.
    let requests = store
        .list_outbox(&TenantId::default_tenant(), Some("wms.fulfil"), None, 10)
        .await
        .unwrap();
    assert_eq!(
        (&requests[0].payload["carrier"], &requests[0].payload["service"]),
        (&json!("SF"), &json!("standard")),
        "{:?}",
        requests[0].payload
    );

    // Hangzhou down: its order waits, Shenzhen's is not slowed.
    fleet.warehouse("HZ-01").set_down(true);
    let stalled = h.post("WH-2", &["TEE-RED-M"]).await;
    let healthy = h.post("WH-3", &["MUG-01"]).await;
    let took = wait_for(store, &healthy, OrderStatus::Shipped, Duration::from_secs(10)).await;
    assert!(
        took < Duration::from_secs(3),
        "the healthy warehouse's order took {took:?}"
    );
    assert_eq!(status_of(store, &stalled).await, OrderStatus::SentToWarehouse);
    assert_eq!(fleet.warehouse("HZ-01").received().len(), 1);

    // Back up: the waiting request goes out (after the breaker's pause) and ships.
    fleet.warehouse("HZ-01").set_down(false);
    wait_for(store, &stalled, OrderStatus::Shipped, Duration::from_secs(45)).await;
    let received: Vec<String> = fleet
        .warehouse("HZ-01")
        .received()
        .into_iter()
        .map(|r| r.order_id)
        .collect();
    assert_eq!(received, [first, stalled]);
    h.node.stop().await.unwrap();
}
