//! The whole path on one machine: every simulator's orders reach Ordo by webhook or by
//! polling; a channel that is down or failing delays no other; a field renamed by a
//! platform is reported as drift and fixed by editing the mapping file while the node
//! runs; tracking and a cancellation decided in Ordo reach the platform.

use std::sync::Arc;
use std::time::{Duration, Instant};

use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_sim::Platform;
use ordo_store::{OrderQuery, OrderSummary, Store};

use super::*;
use crate::config::Config;

const SKUS: [&str; 3] = ["TEE-RED-M", "MUG-01", "CAP-BLK"];

async fn find(store: &Arc<dyn Store>, channel: &str, id: &str) -> Option<OrderSummary> {
    let query = OrderQuery {
        channel: Some(ordo_core::ChannelId::parse(channel).unwrap()),
        external_id: Some(id.to_owned()),
        ..OrderQuery::default()
    };
    let found = store.search_orders(&TenantId::default_tenant(), &query).await.unwrap();
    found.items.into_iter().next()
}

/// Waits until every (channel, external id) is an order in Ordo; panics naming the
/// missing ones after `limit`.
async fn arrive(store: &Arc<dyn Store>, wanted: &[(&str, String)], limit: Duration) -> Duration {
    let started = Instant::now();
    loop {
        let mut missing = Vec::new();
        for (channel, id) in wanted {
            if find(store, channel, id).await.is_none() {
                missing.push(format!("{channel}:{id}"));
            }
        }
        if missing.is_empty() {
            return started.elapsed();
        }
        assert!(started.elapsed() < limit, "not in Ordo after {limit:?}: {missing:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// One warehouse with plenty of every SKU the simulators sell.
async fn stock_up(store: &Arc<dyn Store>) {
    stock_at(store, "SH-01", &SKUS, 1_000).await;
}

/// A warehouse serving every channel, these SKUs in the catalogue, and `quantity` of each
/// received there.
pub(super) async fn stock_at(store: &Arc<dyn Store>, warehouse: &str, skus: &[&str], quantity: i64) {
    stock_in(store, &TenantId::default_tenant(), warehouse, skus, quantity).await;
}

/// A warehouse of a tenant with these SKUs in stock.
pub(super) async fn stock_in(store: &Arc<dyn Store>, tenant: &TenantId, warehouse: &str, skus: &[&str], quantity: i64) {
    use ordo_store::stock::inventory::{SkuRecord, StockChange, StockOp, Warehouse};
    let tenant = tenant.clone();
    let record = Warehouse {
        code: warehouse.into(),
        name: warehouse.into(),
        latitude: None,
        longitude: None,
        region: None,
        channels: vec![],
        daily_capacity: None,
        priority: 0,
        active: true,
    };
    let now = chrono::Utc::now();
    store.upsert_warehouse(&tenant, &record, now).await.unwrap();
    for sku in skus {
        let record = SkuRecord {
            code: (*sku).into(),
            barcode: None,
            name: (*sku).into(),
            weight_g: None,
            dimensions_mm: None,
            attributes: vec![],
            cost_price_minor: None,
            cost_currency: None,
            low_stock_threshold: None,
            components: vec![],
        };
        store.upsert_sku(&tenant, &record, now).await.unwrap().unwrap();
        let receipt = StockChange {
            warehouse: warehouse.into(),
            sku: (*sku).into(),
            op: StockOp::Receive { quantity },
            reason: "receipt".into(),
            reference: None,
            actor: "test".into(),
        };
        store.change_stock(&tenant, &[receipt], now).await.unwrap()[0]
            .clone()
            .unwrap();
    }
}

fn ids(platform: Platform, created: Vec<ordo_sim::CreatedOrder>) -> Vec<(&'static str, String)> {
    created.into_iter().map(|c| (platform.code(), c.external_id)).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_channel_arrives_failures_stay_isolated_and_a_rename_is_fixed_by_config() {
    let dir = tempfile::tempdir().unwrap();
    let mappings = dir.path().join("mappings");
    std::fs::create_dir(&mappings).unwrap();
    let mut config = Config::default();
    config.mappings.dir = Some(mappings.clone());
    let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
    let store = crate::server::open_store(&url, 4).await.unwrap();
    let skus: Vec<String> = SKUS.iter().map(|s| (*s).to_owned()).collect();
    let (node, fleet) = start_with_node(config, store.clone(), None, "127.0.0.1:0", &skus, 200)
        .await
        .unwrap();

    // 1. Every platform's orders arrive by themselves.
    let mut wanted = Vec::new();
    for sim in &fleet.sims {
        wanted.extend(ids(sim.platform(), sim.create_orders(3)));
    }
    arrive(&store, &wanted, Duration::from_secs(20)).await;

    // 2. Taobao down and JD failing every request: Douyin (polled) and Shopify (pushed)
    //    are not slowed, and Taobao's and JD's orders are not lost once they recover.
    let taobao = fleet.sim(Platform::Taobao);
    let jd = fleet.sim(Platform::Jd);
    taobao.set_down(true);
    jd.set_failure_rate(1.0);
    let stalled = ids(Platform::Taobao, taobao.create_orders(2));
    let failing = ids(Platform::Jd, jd.create_orders(2));
    let mut healthy = ids(Platform::Douyin, fleet.sim(Platform::Douyin).create_orders(2));
    healthy.extend(ids(Platform::Shopify, fleet.sim(Platform::Shopify).create_orders(2)));
    let took = arrive(&store, &healthy, Duration::from_secs(5)).await;
    assert!(took < Duration::from_secs(3), "healthy channels took {took:?}");
    taobao.set_down(false);
    jd.set_failure_rate(0.0);
    arrive(&store, &stalled, Duration::from_secs(30)).await;
    arrive(&store, &failing, Duration::from_secs(30)).await;

    // 3. Douyin renames create_time: the order is kept failed, the drift is reported, and
    //    an edit of the mapping file (picked up by the running node) lets it in on replay.
    let douyin = fleet.sim(Platform::Douyin);
    douyin.rename_field("create_time", "created_time").unwrap();
    let renamed = douyin.create_orders(1).remove(0);
    let started = Instant::now();
    let failed_entry = loop {
        let drift = store.list_drift(&TenantId::default_tenant()).await.unwrap();
        let gone = drift
            .iter()
            .find(|d| d.mapping == "douyin.order" && d.field.ends_with("create_time"));
        if let Some(gone) = gone
            && drift.iter().any(|d| d.field.ends_with("created_time"))
        {
            break gone.last_inbox_id.unwrap();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no drift reported: {drift:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let built_in = ordo_mapping::BUILT_IN
        .iter()
        .find(|(f, _)| *f == "douyin.order.toml")
        .unwrap()
        .1;
    let fixed = built_in.replace("path = \"create_time\"", "path = \"created_time\"");
    assert_ne!(fixed, built_in);
    std::fs::write(mappings.join("douyin.order.toml"), fixed).unwrap();
    let token = ordo_app::TokenService::new(store.clone())
        .create(&TenantId::default_tenant(), Role::Admin, "test", chrono::Utc::now())
        .await
        .unwrap();
    let http = reqwest::Client::new();
    let base = format!("http://{}", node.addr);
    let started = Instant::now();
    loop {
        // The node reloads mapping files by itself within a second or so.
        let replay = http
            .post(format!("{base}/api/v1/inbox/{failed_entry}/replay"))
            .bearer_auth(&token.secret)
            .send()
            .await
            .unwrap();
        if replay.status() == 200 {
            break;
        }
        let text = replay.text().await.unwrap();
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replay kept failing: {text}"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    arrive(&store, &[("douyin", renamed.external_id)], Duration::from_secs(5)).await;
    // New orders in the renamed shape now go straight in.
    arrive(
        &store,
        &ids(Platform::Douyin, douyin.create_orders(1)),
        Duration::from_secs(10),
    )
    .await;

    // 4. With stock in a warehouse, a Shopify order is allocated; shipping it in Ordo with
    //    a tracking number fulfils it on the platform.
    stock_up(&store).await;
    let shopify = fleet.sim(Platform::Shopify);
    let sold = shopify.create_orders(1).remove(0);
    arrive(
        &store,
        &[("shopify", sold.external_id.clone())],
        Duration::from_secs(10),
    )
    .await;
    let found = find(&store, "shopify", &sold.external_id).await.unwrap();
    assert_eq!(found.status, ordo_core::OrderStatus::Allocated);
    let shipped = http
        .post(format!("{base}/api/v1/orders/{}/ship", found.id))
        .bearer_auth(&token.secret)
        .json(&serde_json::json!({ "carrier": "UPS", "tracking_number": "1Z999AA10123456784" }))
        .send()
        .await
        .unwrap();
    assert!(shipped.status().is_success(), "{}", shipped.text().await.unwrap());
    let started = Instant::now();
    loop {
        let tracked = shopify
            .writebacks()
            .into_iter()
            .find(|w| w.kind == ordo_sim::WriteBackKind::Tracking && w.external_id_or_sku == sold.external_id);
        if let Some(tracked) = tracked {
            assert_eq!(
                tracked.body["fulfillment"]["tracking_info"]["number"], "1Z999AA10123456784",
                "{}",
                tracked.body
            );
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the tracking never reached Shopify"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // 5. A cancellation decided in Ordo reaches the platform through the outbox.
    let order = shopify.create_orders(1).remove(0);
    arrive(
        &store,
        &[("shopify", order.external_id.clone())],
        Duration::from_secs(10),
    )
    .await;
    let found = find(&store, "shopify", &order.external_id).await.unwrap();
    let cancelled = http
        .post(format!("{base}/api/v1/orders/{}/cancel", found.id))
        .bearer_auth(&token.secret)
        .json(&serde_json::json!({ "reason": "customer" }))
        .send()
        .await
        .unwrap();
    let status = cancelled.status();
    assert!(status.is_success(), "{}", cancelled.text().await.unwrap());
    let started = Instant::now();
    while !shopify
        .writebacks()
        .iter()
        .any(|w| w.kind == ordo_sim::WriteBackKind::Cancel && w.external_id_or_sku == order.external_id)
    {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "the cancellation never reached Shopify"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    node.stop().await.unwrap();
}
