//! Packages and tracking end to end: a split order leaves both warehouses as two parcels
//! and is delivered when the carrier has delivered both; a warehouse that ships short
//! has the rest sent from another warehouse.

use std::time::Duration;

use ordo_core::{OrderStatus, TenantId};
use serde_json::{Value, json};

use super::tests::stock_at;
use super::warehouse_tests::{Harness, status_of, wait_for};

impl Harness {
    async fn get(&self, path: &str) -> Value {
        let response = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        response.json().await.unwrap()
    }

    async fn track(&self, body: Value) -> (u16, Value) {
        let response = self
            .http
            .post(format!("{}/api/v1/tracking/generic", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .unwrap();
        (response.status().as_u16(), response.json().await.unwrap())
    }
}

fn checkpoint(tracking: &Value, status: &str) -> Value {
    json!({
        "tracking_number": tracking, "carrier": "SF", "status": status,
        "at": "2026-11-23T08:00:00Z", "message": format!("parcel {status}"),
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_split_order_ships_as_two_parcels_and_is_delivered_with_both() {
    let h = Harness::start().await;
    // Each warehouse holds one of the two lines: two packages.
    let id = h.post("SPLIT-1", &["TEE-RED-M", "MUG-01"]).await;
    wait_for(&h.store, &id, OrderStatus::Shipped, Duration::from_secs(15)).await;
    assert_eq!(h.fleet.warehouse("HZ-01").received().len(), 1);
    assert_eq!(h.fleet.warehouse("SZ-01").received().len(), 1);
    let parcels = h.get(&format!("/api/v1/shipments?order_id={id}")).await;
    let parcels = parcels.as_array().unwrap();
    assert_eq!(parcels.len(), 2, "{parcels:?}");
    let mut warehouses: Vec<&str> = parcels.iter().map(|p| p["warehouse"].as_str().unwrap()).collect();
    warehouses.sort();
    assert_eq!(warehouses, ["HZ-01", "SZ-01"]);
    let told = h
        .store
        .list_outbox(&TenantId::default_tenant(), Some("channel.tracking"), None, 10)
        .await
        .unwrap();
    assert_eq!(told.len(), 2, "each package's tracking reaches the channel");

    // The carrier: first parcel in transit, then an unknown parcel, then both delivered.
    let (first, second) = (&parcels[0]["tracking_number"], &parcels[1]["tracking_number"]);
    let (code, body) = h.track(checkpoint(first, "in_transit")).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("applied")), "{body}");
    assert_eq!(status_of(&h.store, &id).await, OrderStatus::InTransit);
    let (code, body) = h.track(checkpoint(&json!("NOT-OURS-1"), "in_transit")).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("unmatched")), "{body}");
    let (code, body) = h.track(json!({ "tracking_number": 7 })).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (422, Some("invalid_tracking")),
        "{body}"
    );
    h.track(checkpoint(first, "delivered")).await;
    assert_eq!(
        status_of(&h.store, &id).await,
        OrderStatus::InTransit,
        "one parcel still out"
    );
    h.track(checkpoint(second, "exception")).await;
    let problems = h.get("/api/v1/shipments?problems=true").await;
    assert_eq!(problems.as_array().unwrap().len(), 1, "{problems}");
    h.track(checkpoint(second, "delivered")).await;
    assert_eq!(status_of(&h.store, &id).await, OrderStatus::Delivered);
    // Every update was kept, the unreadable one as failed.
    let kept = h.get("/api/v1/tracking/inbound").await;
    let statuses: Vec<&str> = kept
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(
        statuses,
        ["applied", "applied", "applied", "failed", "unmatched", "applied"]
    );
    h.node.stop().await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_shipment_is_sent_on_from_another_warehouse() {
    let h = Harness::start().await;
    h.fleet.warehouse("HZ-01").set_short_ship_rate(1.0);
    let id = h.post("SHORT-1", &["TEE-RED-M"]).await;
    wait_for(&h.store, &id, OrderStatus::SentToWarehouse, Duration::from_secs(5)).await;
    // Stock elsewhere for the units Hangzhou will not find.
    stock_at(&h.store, "SZ-01", &["TEE-RED-M"], 10).await;
    wait_for(&h.store, &id, OrderStatus::Shipped, Duration::from_secs(20)).await;
    let to_sz = h.fleet.warehouse("SZ-01").received();
    assert_eq!(to_sz.len(), 1, "the rest went to Shenzhen");
    assert_eq!(
        h.fleet.warehouse("HZ-01").received().len(),
        1,
        "and not back to Hangzhou"
    );
    assert_eq!(to_sz[0].order_id, id);
    let record = h
        .store
        .get_order(
            &TenantId::default_tenant(),
            ordo_core::OrderId(uuid::Uuid::parse_str(&id).unwrap()),
        )
        .await
        .unwrap()
        .unwrap();
    let kinds: Vec<&str> = record.events.iter().map(|e| e.kind.as_str()).collect();
    assert!(kinds.contains(&"order.shipped_short"), "{kinds:?}");
    h.node.stop().await.unwrap();
}
