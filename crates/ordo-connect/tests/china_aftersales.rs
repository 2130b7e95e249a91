//! After-sale lists of the simulated Taobao, Douyin and Pinduoduo: polled beside orders
//! with their own cursor (`{code}:aftersales`), page by page, each record handed to the
//! sink once per window; a sink that keeps none is never asked, and one that cannot keep
//! them leaves the after-sale cursor where it was without holding up orders.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use ordo_connect::{
    AfterSaleDecision, ChannelConfig, ChannelSink, Connector, Platform, PushError, SinkError, WriteBack,
};
use ordo_sim::{RateLimits, SimConfig, Simulator};
use serde_json::Value;

/// Keeps cursors, counts orders and keeps after-sale records (or refuses them).
#[derive(Default)]
struct Sink {
    cursors: Mutex<HashMap<String, Value>>,
    orders: Mutex<usize>,
    aftersales: Mutex<Vec<(String, Value)>>,
    refuse: bool,
}

#[async_trait]
impl ChannelSink for Sink {
    async fn load_cursor(&self, channel: &str) -> Result<Option<Value>, SinkError> {
        Ok(self.cursors.lock().unwrap().get(channel).cloned())
    }

    async fn save_cursor(&self, channel: &str, cursor: &Value) -> Result<(), SinkError> {
        self.cursors.lock().unwrap().insert(channel.to_owned(), cursor.clone());
        Ok(())
    }

    async fn ingest(&self, _channel: &str, _mapping: &str, _payload: Value) -> Result<(), SinkError> {
        *self.orders.lock().unwrap() += 1;
        Ok(())
    }

    fn keeps_after_sales(&self) -> bool {
        true
    }

    async fn after_sale(&self, _channel: &str, platform: &str, payload: Value) -> Result<(), SinkError> {
        if self.refuse {
            return Err(SinkError::new("the store is down"));
        }
        self.aftersales.lock().unwrap().push((platform.to_owned(), payload));
        Ok(())
    }
}

fn id(platform: Platform, record: &Value) -> String {
    let value = match platform {
        Platform::Taobao => &record["refund_id"],
        Platform::Douyin => &record["aftersale_info"]["aftersale_id"],
        _ => &record["id"],
    };
    match value {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

async fn connector(platform: Platform, sink: Arc<Sink>, orders: usize) -> (ordo_sim::Sim, Connector) {
    let sim_platform = match platform {
        Platform::Taobao => ordo_sim::Platform::Taobao,
        Platform::Douyin => ordo_sim::Platform::Douyin,
        _ => ordo_sim::Platform::Pinduoduo,
    };
    let mut config = SimConfig::new(sim_platform);
    config.rate_limits = RateLimits::unlimited();
    let sim = Simulator::start(config).await.unwrap();
    sim.set_aftersale_rate(1.0);
    sim.create_orders(orders);
    let mut channel = ChannelConfig::new(platform.as_str(), platform, sim.base_url());
    channel.app_key = Some("sim-app-key".into());
    channel.app_secret = Some("sim-app-secret".into());
    channel.session = Some("sim-session".into());
    channel.safety_lag_seconds = 0;
    channel.initial_lookback_hours = 1;
    channel.budget.requests_per_second = Some(1000.0);
    channel.budget.burst = Some(1000);
    channel.page_size = Some(5);
    (sim, Connector::new(channel, sink).unwrap())
}

#[tokio::test]
async fn every_listed_after_sale_reaches_the_sink_page_by_page_with_its_own_cursor() {
    for platform in [Platform::Taobao, Platform::Douyin, Platform::Pinduoduo] {
        let sink = Arc::new(Sink::default());
        let (sim, connector) = connector(platform, sink.clone(), 24).await;
        let report = connector.poll_once().await.unwrap();
        assert_eq!(report.orders, 24, "{platform:?}");
        let listed: BTreeSet<String> = sim.aftersales().iter().map(|r| id(platform, r)).collect();
        // Before shipping, only refunds: one order in two (Douyin: in four).
        let refunds = if platform == Platform::Douyin { 6 } else { 12 };
        assert_eq!(listed.len(), refunds, "{platform:?}");
        let handed = sink.aftersales.lock().unwrap().clone();
        assert!(handed.iter().all(|(p, _)| p == platform.as_str()));
        let ids: Vec<String> = handed.iter().map(|(_, r)| id(platform, r)).collect();
        assert_eq!(ids.iter().cloned().collect::<BTreeSet<_>>(), listed, "{platform:?}");
        assert_eq!(ids.len(), listed.len(), "{platform:?}: each once in one window");
        let key = format!("{}:aftersales", platform.as_str());
        let cursor = sink.cursors.lock().unwrap().get(&key).cloned();
        assert!(cursor.is_some(), "{platform:?}");
        assert_eq!(connector.status().aftersales_cursor, cursor);
        assert_eq!(connector.status().aftersales_error, None);
    }
}

#[tokio::test]
async fn a_sink_that_cannot_keep_after_sales_holds_back_only_their_cursor() {
    let sink = Arc::new(Sink {
        refuse: true,
        ..Default::default()
    });
    let (_sim, connector) = connector(Platform::Taobao, sink.clone(), 4).await;
    let report = connector.poll_once().await.unwrap();
    assert_eq!(report.orders, 4);
    assert!(sink.cursors.lock().unwrap().contains_key("taobao"));
    assert!(!sink.cursors.lock().unwrap().contains_key("taobao:aftersales"));
    let status = connector.status();
    assert_eq!(status.consecutive_failures, 0);
    let error = status.aftersales_error.expect("the after-sale failure is shown");
    assert!(error.message.contains("the store is down"), "{error:?}");
}

/// The seller's decisions reach the simulated Taobao through its documented calls and
/// move its after-sales: agreed, a refund waiting for the seller succeeds; refused, it
/// is the seller's refusal. Delivered twice, a decision changes nothing more; a platform
/// without such a call drops the message with why.
#[tokio::test]
async fn a_decision_written_back_moves_the_simulated_after_sale() {
    let sink = Arc::new(Sink::default());
    let (sim, connector) = connector(Platform::Taobao, sink, 12).await;
    let waiting: Vec<String> = sim
        .aftersales()
        .iter()
        .filter(|r| r["status"] == "WAIT_SELLER_AGREE")
        .map(|r| id(Platform::Taobao, r))
        .collect();
    assert!(waiting.len() >= 2, "{waiting:?}");
    let status = |wanted: &str| {
        sim.aftersales()
            .into_iter()
            .find(|r| id(Platform::Taobao, r) == wanted)
            .map(|r| r["status"].as_str().unwrap_or_default().to_owned())
    };
    let decision = |case: &str, decision, reason: Option<&str>| WriteBack::AfterSale {
        channel_case_id: case.to_owned(),
        external_order_id: "1".into(),
        decision,
        reason: reason.map(str::to_owned),
        amount: None,
        kind: Some("refund_only".into()),
    };
    let approve = decision(&waiting[0], AfterSaleDecision::Approve, None);
    connector.push(&approve).await.unwrap();
    connector.push(&approve).await.unwrap();
    assert_eq!(status(&waiting[0]).as_deref(), Some("SUCCESS"));
    let refuse = decision(&waiting[1], AfterSaleDecision::Refuse, Some("商品已使用"));
    connector.push(&refuse).await.unwrap();
    assert_eq!(status(&waiting[1]).as_deref(), Some("SELLER_REFUSE_BUYER"));
    let calls: Vec<_> = sim
        .writebacks()
        .into_iter()
        .filter(|w| w.kind == ordo_sim::WriteBackKind::AfterSale)
        .collect();
    assert_eq!(
        calls.len(),
        2,
        "the repeated agreement is not recorded again: {calls:?}"
    );
    assert_eq!(calls[1].body["refuse_message"], "商品已使用");

    // A refusal of what already succeeded is the platform's refusal, never retried.
    let late = decision(&waiting[0], AfterSaleDecision::Refuse, Some("too late"));
    assert!(matches!(connector.push(&late).await, Err(PushError::Permanent { .. })));

    // Pinduoduo documents no seller decision call: dropped with why.
    let (_pdd, pinduoduo) = self::connector(Platform::Pinduoduo, Arc::new(Sink::default()), 1).await;
    let unsupported = pinduoduo.push(&approve).await.unwrap_err();
    assert!(
        matches!(&unsupported, PushError::Unsupported { message } if message.contains("Pinduoduo")),
        "{unsupported:?}"
    );
}

/// Douyin reviews through `afterSale/operate`: an exchange waiting for the seller (6),
/// agreed, waits for the buyer's goods (7); a return waiting for the second review (11),
/// refused, is refused after the return (29).
#[tokio::test]
async fn a_douyin_review_moves_the_simulated_after_sale() {
    let (sim, connector) = connector(Platform::Douyin, Arc::new(Sink::default()), 8).await;
    // Goods come back only once they went out.
    for external_id in sim.order_ids() {
        let tracking = WriteBack::Tracking {
            external_order_id: external_id.clone(),
            carrier: "SF".into(),
            tracking_number: format!("SF{}", &external_id[external_id.len() - 8..]),
            tracking_url: None,
            shipped_at: chrono::Utc::now(),
            lines: Vec::new(),
        };
        connector.push(&tracking).await.unwrap();
    }
    let in_status = |code: i64| {
        sim.aftersales()
            .into_iter()
            .find(|r| r["aftersale_info"]["aftersale_status"] == code)
            .map(|r| id(Platform::Douyin, &r))
    };
    let status = |wanted: &str| {
        sim.aftersales()
            .into_iter()
            .find(|r| id(Platform::Douyin, r) == wanted)
            .and_then(|r| r["aftersale_info"]["aftersale_status"].as_i64())
    };
    let (exchange, ret) = (in_status(6).expect("an exchange"), in_status(11).expect("a return"));
    let review = |case: &str, decision, kind: &str| WriteBack::AfterSale {
        channel_case_id: case.to_owned(),
        external_order_id: "1".into(),
        decision,
        reason: Some("已影响二次销售".into()),
        amount: None,
        kind: Some(kind.into()),
    };
    connector
        .push(&review(&exchange, AfterSaleDecision::Approve, "exchange"))
        .await
        .unwrap();
    assert_eq!(status(&exchange), Some(7));
    connector
        .push(&review(&ret, AfterSaleDecision::Refuse, "return_refund"))
        .await
        .unwrap();
    assert_eq!(status(&ret), Some(29));
    let calls: Vec<_> = sim
        .writebacks()
        .into_iter()
        .filter(|w| w.kind == ordo_sim::WriteBackKind::AfterSale)
        .collect();
    assert_eq!(
        calls.iter().map(|c| c.body["type"].as_i64()).collect::<Vec<_>>(),
        [Some(101), Some(102)]
    );
}
