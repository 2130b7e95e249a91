//! After-sales polled from the simulated Chinese platforms, on both stores: every record
//! is kept in the inbox and applied; a Taobao refund that succeeded is one refund in Ordo
//! however often it is polled, a Douyin return is a case carrying the platform's status
//! verbatim, Pinduoduo's refunds are read from fen, and the after-sale cursor is kept
//! beside the order cursor.
//!
//! A refund approved in Ordo goes back to Taobao through the connector's write-back.
//!
//! Goods come back only once they went out: the orders are shipped in Ordo (through the
//! API) and on the platform (the connector's tracking write-back) before the platform lists
//! their returns.

mod common;

use std::sync::Arc;

use chrono::Utc;
use common::Backend;
use ordo_app::connectors::StoreSink;
use ordo_app::{FeedHub, IngestService, MappingRegistry, Pipeline, PipelineConfig};
use ordo_connect::{ChannelConfig, ChannelSink, Connector, Platform, WriteBack};
use ordo_core::aftersale::CaseKind;
use ordo_core::{ChannelId, OrderId, TenantId};
use ordo_sim::{Sim, SimConfig, Simulator};
use ordo_store::{InboxQuery, InboxStatus, OrderQuery, Store};
use serde_json::{Value, json};

struct Node {
    app: common::TestApp,
    store: Arc<dyn Store>,
    sink: Arc<StoreSink>,
    tenant: TenantId,
}

async fn node(backend: Backend) -> Node {
    let app = common::spawn(backend).await;
    let store = app.store.clone();
    let tenant = TenantId::default_tenant();
    let (pipeline, _writers) = Pipeline::start(store.clone(), PipelineConfig::default(), FeedHub::new());
    let service = IngestService::new(
        pipeline,
        store.clone(),
        ordo_core::allocation::StockPolicy::default(),
        MappingRegistry::load(None).unwrap(),
    );
    let sink = Arc::new(StoreSink::new(service, store.clone(), tenant.clone()));
    Node {
        app,
        store,
        sink,
        tenant,
    }
}

async fn call(node: &Node, method: reqwest::Method, path: &str, body: Value) {
    let response = node
        .app
        .client
        .request(method, node.app.url(path))
        .bearer_auth(&node.app.admin)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status().as_u16(),
        200,
        "{path}: {}",
        response.text().await.unwrap()
    );
}

/// The simulators' SKUs in stock at one warehouse, so that orders are allocated there.
async fn stock_up(node: &Node) {
    let warehouse = json!({"name": "Hangzhou", "region": "CN"});
    call(node, reqwest::Method::PUT, "/api/v1/warehouses/HZ-01", warehouse).await;
    for sku in SimConfig::new(ordo_sim::Platform::Taobao).skus {
        call(
            node,
            reqwest::Method::PUT,
            &format!("/api/v1/skus/{sku}"),
            json!({"name": sku}),
        )
        .await;
        let change = json!({"warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": 100, "reason": "opening"});
        call(node, reqwest::Method::POST, "/api/v1/stock/changes", json!([change])).await;
    }
}

/// Polls once, ships every order in Ordo and on the platform, and polls twice more; the
/// after-sale inbox entries kept by the last poll (none: everything was seen).
async fn poll_ship_and_poll_again(node: &Node, channel: &str, connector: &Connector, sim: &Sim) -> usize {
    connector.poll_once().await.unwrap();
    for external_id in sim.order_ids() {
        let id = order_id(node, channel, &external_id).await;
        call(
            node,
            reqwest::Method::POST,
            &format!("/api/v1/orders/{id}/ship"),
            json!({}),
        )
        .await;
        let tracking = WriteBack::Tracking {
            external_order_id: external_id.clone(),
            carrier: "SF".into(),
            tracking_number: format!("SF{id}", id = &external_id[external_id.len() - 8..]),
            tracking_url: None,
            shipped_at: Utc::now(),
            lines: Vec::new(),
        };
        connector.push(&tracking).await.unwrap();
    }
    // The platform's times are whole seconds, each change a second after the last: the
    // shipments are listed once their second has passed.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    connector.poll_once().await.unwrap();
    let before = kept(node).await.len();
    connector.poll_once().await.unwrap();
    assert_eq!(connector.status().aftersales_error, None);
    kept(node).await.len() - before
}

/// A simulator where every paid order has an after-sale record, and its `count` orders.
async fn simulate(platform: ordo_sim::Platform, count: usize) -> Sim {
    let mut config = SimConfig::new(platform);
    config.rate_limits = ordo_sim::RateLimits::unlimited();
    let sim = Simulator::start(config).await.unwrap();
    sim.set_aftersale_rate(1.0);
    sim.create_orders(count);
    sim
}

fn connector(node: &Node, code: &str, platform: Platform, sim: &Sim) -> Connector {
    let mut config = ChannelConfig::new(code, platform, sim.base_url());
    config.app_key = Some("sim-app-key".into());
    config.app_secret = Some("sim-app-secret".into());
    // The simulator takes calls without a session; the connector needs one.
    config.session = Some("sim-session".into());
    config.safety_lag_seconds = 0;
    config.budget.requests_per_second = Some(1000.0);
    config.budget.burst = Some(1000);
    Connector::new(config, node.sink.clone()).unwrap()
}

async fn order_id(node: &Node, channel: &str, external_id: &str) -> OrderId {
    let query = OrderQuery {
        channel: Some(ChannelId::parse(channel).unwrap()),
        external_id: Some(external_id.to_owned()),
        limit: 1,
        ..Default::default()
    };
    let page = node.store.search_orders(&node.tenant, &query).await.unwrap();
    page.items
        .first()
        .unwrap_or_else(|| panic!("{channel} order {external_id} stored"))
        .id
}

/// The inbox entries of polled after-sale records, by status.
async fn kept(node: &Node) -> Vec<(InboxStatus, Option<Value>)> {
    let query = InboxQuery {
        status: None,
        after: None,
        limit: 500,
    };
    let page = node.store.list_inbox(&node.tenant, &query).await.unwrap();
    page.items
        .into_iter()
        .filter(|e| e.source.starts_with("connector-aftersale:"))
        .map(|e| (e.status, e.error))
        .collect()
}

fn text(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn taobao_refunds_are_recorded_once(backend: Backend) {
    let node = node(backend).await;
    stock_up(&node).await;
    let sim = simulate(ordo_sim::Platform::Taobao, 4).await;
    let connector = connector(&node, "taobao", Platform::Taobao, &sim);
    assert_eq!(poll_ship_and_poll_again(&node, "taobao", &connector, &sim).await, 0);
    let records = sim.aftersales();
    assert_eq!(records.len(), 4, "every paid order has one");
    let mut succeeded = 0;
    for record in &records {
        let (refund_id, tid) = (text(&record["refund_id"]), text(&record["tid"]));
        let order = order_id(&node, "taobao", &tid).await;
        let refunds = node.store.order_refunds(&node.tenant, order).await.unwrap();
        let case = node
            .store
            .channel_case(&node.tenant, "taobao", &refund_id)
            .await
            .unwrap()
            .expect("a case per refund");
        assert_eq!(case.channel_status.as_deref(), record["status"].as_str());
        if record["status"] == "SUCCESS" {
            succeeded += 1;
            assert_eq!(refunds.len(), 1, "polled twice, still one refund: {refunds:?}");
            assert_eq!(refunds[0].channel_refund_id.as_deref(), Some(refund_id.as_str()));
            let fee = record["refund_fee"].as_str().unwrap().replace('.', "");
            assert_eq!(refunds[0].amount, fee.parse::<i64>().unwrap());
            assert_eq!(refunds[0].currency, "CNY");
        } else {
            assert!(refunds.is_empty(), "no money moved for {}", record["status"]);
        }
    }
    assert_eq!(succeeded, 2);
    let entries = kept(&node).await;
    assert!(entries.len() >= 4, "{entries:?}");
    assert!(
        entries.iter().all(|(status, _)| *status == InboxStatus::Processed),
        "{entries:?}"
    );
    let cursor = node.sink.load_cursor("taobao:aftersales").await.unwrap();
    assert!(cursor.is_some_and(|c| c.get("updated_after").is_some()));
}

async fn douyin_returns_become_cases(backend: Backend) {
    let node = node(backend).await;
    stock_up(&node).await;
    let sim = simulate(ordo_sim::Platform::Douyin, 4).await;
    let connector = connector(&node, "douyin", Platform::Douyin, &sim);
    assert_eq!(poll_ship_and_poll_again(&node, "douyin", &connector, &sim).await, 0);
    let records = sim.aftersales();
    assert_eq!(records.len(), 4);
    let mut returns = 0;
    for record in &records {
        let info = &record["aftersale_info"];
        let case = node
            .store
            .channel_case(&node.tenant, "douyin", &text(&info["aftersale_id"]))
            .await
            .unwrap()
            .expect("a case per after-sale");
        assert_eq!(case.channel_status, Some(text(&info["aftersale_status"])));
        assert_eq!(case.external_order_id, text(&record["order_info"]["shop_order_id"]));
        let order = order_id(&node, "douyin", &case.external_order_id).await;
        let refunds = node.store.order_refunds(&node.tenant, order).await.unwrap();
        assert_eq!(refunds.len(), usize::from(info["refund_status"] == 3), "{info}");
        if info["aftersale_type"] == 0 {
            returns += 1;
            assert_eq!(case.kind, CaseKind::ReturnRefund);
            assert_eq!(case.lines.len(), 1);
        }
    }
    assert_eq!(returns, 2);
    let entries = kept(&node).await;
    assert!(entries.len() >= 4, "{entries:?}");
    assert!(
        entries.iter().all(|(status, _)| *status == InboxStatus::Processed),
        "{entries:?}"
    );
}

/// A Taobao refund waiting for the seller, approved in Ordo: one `channel.aftersale`
/// message, which the connector delivers through Taobao's agree call; the platform's
/// refund succeeds and, polled again, is the channel's refund on the case, with nothing
/// more sent back.
async fn an_approval_in_ordo_reaches_taobao(backend: Backend) {
    let node = node(backend).await;
    stock_up(&node).await;
    let sim = simulate(ordo_sim::Platform::Taobao, 4).await;
    let connector = connector(&node, "taobao", Platform::Taobao, &sim);
    assert_eq!(poll_ship_and_poll_again(&node, "taobao", &connector, &sim).await, 0);
    let waiting = sim
        .aftersales()
        .into_iter()
        .find(|r| r["status"] == "WAIT_SELLER_AGREE")
        .expect("a refund waits for the seller");
    let refund_id = text(&waiting["refund_id"]);
    let case = node
        .store
        .channel_case(&node.tenant, "taobao", &refund_id)
        .await
        .unwrap()
        .expect("its case");
    call(
        &node,
        reqwest::Method::POST,
        &format!("/api/v1/aftersales/{}/approve", case.id),
        json!({}),
    )
    .await;
    let messages = node
        .store
        .list_outbox(&node.tenant, Some("channel.aftersale"), None, 10)
        .await
        .unwrap();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert_eq!(messages[0].destination, "taobao");
    let write_back = ordo_app::connectors::write_back_of(&messages[0]).unwrap();
    connector.push(&write_back).await.unwrap();
    let status = |records: Vec<Value>| {
        records
            .into_iter()
            .find(|r| text(&r["refund_id"]) == refund_id)
            .map(|r| text(&r["status"]))
    };
    assert_eq!(status(sim.aftersales()).as_deref(), Some("SUCCESS"));

    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    connector.poll_once().await.unwrap();
    let case = node
        .store
        .channel_case(&node.tenant, "taobao", &refund_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(case.channel_status.as_deref(), Some("SUCCESS"));
    let refunds = node.store.order_refunds(&node.tenant, case.order_id).await.unwrap();
    assert_eq!(refunds.len(), 1, "{refunds:?}");
    assert_eq!(refunds[0].source, "channel");
    let messages = node
        .store
        .list_outbox(&node.tenant, Some("channel.aftersale"), None, 10)
        .await
        .unwrap();
    assert_eq!(messages.len(), 1, "the channel's own refund is not sent back");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_in_ordo_reaches_taobao_on_sqlite() {
    an_approval_in_ordo_reaches_taobao(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_approval_in_ordo_reaches_taobao_on_postgres() {
    an_approval_in_ordo_reaches_taobao(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taobao_refunds_polled_twice_are_one_refund_on_sqlite() {
    taobao_refunds_are_recorded_once(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn taobao_refunds_polled_twice_are_one_refund_on_postgres() {
    taobao_refunds_are_recorded_once(Backend::Postgres).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn douyin_returns_become_cases_with_the_channel_status_on_sqlite() {
    douyin_returns_become_cases(Backend::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn douyin_returns_become_cases_with_the_channel_status_on_postgres() {
    douyin_returns_become_cases(Backend::Postgres).await;
}

/// Pinduoduo's refunds before shipping: a refund that succeeded (status 10) is one refund,
/// one still asked for (status 2) a requested case; lines found by the seller's SKU code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pinduoduo_refunds_are_polled_into_cases_and_one_refund() {
    let node = node(Backend::Sqlite).await;
    stock_up(&node).await;
    let sim = simulate(ordo_sim::Platform::Pinduoduo, 4).await;
    let connector = connector(&node, "pinduoduo", Platform::Pinduoduo, &sim);
    for _ in 0..2 {
        connector.poll_once().await.unwrap();
    }
    assert_eq!(connector.status().aftersales_error, None);
    let records = sim.aftersales();
    assert_eq!(records.len(), 2, "refunds only, nothing shipped yet: {records:?}");
    for record in &records {
        let case = node
            .store
            .channel_case(&node.tenant, "pinduoduo", &text(&record["id"]))
            .await
            .unwrap()
            .expect("a case per after-sale");
        assert_eq!(case.channel_status, Some(text(&record["after_sales_status"])));
        assert_eq!(case.kind, CaseKind::RefundOnly);
        assert_eq!(case.lines[0].sku, text(&record["outer_id"]));
        let order = order_id(&node, "pinduoduo", &text(&record["order_sn"])).await;
        let refunds = node.store.order_refunds(&node.tenant, order).await.unwrap();
        let moved = record["after_sales_status"] == 10;
        assert_eq!(refunds.len(), usize::from(moved), "{record}");
        if moved {
            assert_eq!(refunds[0].amount, record["refund_amount"].as_i64().unwrap());
        }
    }
    let entries = kept(&node).await;
    assert_eq!(entries.len(), 2, "each record kept once: {entries:?}");
    assert!(entries.iter().all(|(status, _)| *status == InboxStatus::Processed));
}
