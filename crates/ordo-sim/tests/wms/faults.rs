//! Injected faults and the `/_sim/` controls: failure rate, outages, latency, short
//! shipments.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use ordo_sim::{FulfilmentState, WmsKind};
use serde_json::{Value, json};

use crate::common::{
    Receiver, TOKEN, bounded, client, config, eventually, fulfilment_request, signature_verifies, start, submit,
};

#[tokio::test]
async fn a_full_failure_rate_answers_503_to_every_submit() {
    bounded(async {
        let sim = start(ordo_sim::WmsSimConfig {
            fail_rate: 1.0,
            ..config(WmsKind::Generic, None)
        })
        .await;
        let http = client();
        for i in 0..5 {
            let response = submit(&http, &sim, &fulfilment_request(&format!("r{i}"), None)).await;
            assert_eq!(response.status(), 503);
        }
        assert!(sim.received().is_empty());
        assert_eq!(sim.stats().failures_injected, 5);
        sim.set_fail_rate(0.0);
        assert_eq!(submit(&http, &sim, &fulfilment_request("r0", None)).await.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn a_down_warehouse_refuses_connections_and_comes_back_on_the_same_port() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let pooled = client();
        assert_eq!(
            submit(&pooled, &sim, &fulfilment_request("before", None))
                .await
                .status(),
            201
        );

        sim.set_down(true);
        // A connection kept from before gets at most a 503 that closes it; new ones are
        // refused once the listener has closed, which happens within a tick.
        let kept = pooled
            .post(format!("{}/fulfilments", sim.url()))
            .bearer_auth(TOKEN)
            .json(&fulfilment_request("during", None))
            .send()
            .await;
        assert!(kept.is_err() || kept.unwrap().status() == 503);
        let mut refused = false;
        for _ in 0..100 {
            let fresh = client()
                .post(format!("{}/fulfilments", sim.url()))
                .bearer_auth(TOKEN)
                .json(&fulfilment_request("during", None))
                .send()
                .await;
            match fresh {
                Err(error) if error.is_connect() => {
                    refused = true;
                    break;
                }
                Err(error) => panic!("unexpected error {error}"),
                Ok(response) => assert_eq!(response.status(), 503),
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(refused, "connections are refused while down");

        sim.set_down(false);
        let mut back = false;
        for _ in 0..100 {
            if let Ok(response) = submit_fresh(&sim, "after").await {
                assert_eq!(response.status(), 201);
                back = true;
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(back, "the warehouse answers again on {}", sim.url());
        let ids: Vec<String> = sim.received().into_iter().map(|r| r.request_id).collect();
        assert_eq!(ids, ["before", "after"]);
    })
    .await;
}

async fn submit_fresh(sim: &ordo_sim::WmsSim, request_id: &str) -> reqwest::Result<reqwest::Response> {
    client()
        .post(format!("{}/fulfilments", sim.url()))
        .bearer_auth(TOKEN)
        .json(&fulfilment_request(request_id, None))
        .send()
        .await
}

#[tokio::test]
async fn an_unavailable_warehouse_answers_503_while_its_controls_keep_working() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        sim.set_unavailable(true);
        assert_eq!(submit(&http, &sim, &fulfilment_request("r", None)).await.status(), 503);
        let stats: Value = http
            .get(format!("{}/_sim/stats", sim.url()))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stats["failures_injected"], 1);
        sim.set_unavailable(false);
        assert_eq!(submit(&http, &sim, &fulfilment_request("r", None)).await.status(), 201);
    })
    .await;
}

#[tokio::test]
async fn every_fulfilment_ships_short_at_a_full_short_ship_rate_with_consistent_quantities() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::Generic, Some(&receiver.url))).await;
        sim.set_short_ship_rate(1.0);
        let http = client();
        let requests = 10;
        for i in 0..requests {
            submit(&http, &sim, &fulfilment_request(&format!("s{i}"), None)).await;
        }
        let callbacks = receiver.wait_for(4 * requests).await;
        let finals: Vec<Value> = callbacks
            .iter()
            .filter(|c| signature_verifies(&c.body, &c.signature()))
            .map(|c| c.json())
            .filter(|body| body["event"] != "accepted" && body["event"] != "picked" && body["event"] != "packed")
            .collect();
        assert_eq!(finals.len(), requests);
        let ordered: HashMap<&str, u64> = [("SKU-RED-M", 2), ("SKU-MUG-01", 3)].into();
        for body in &finals {
            assert_eq!(body["event"], "short_shipped");
            assert!(body["reason"].is_string());
            let short = body["short"].as_array().unwrap();
            assert_eq!(short.len(), 1, "one line is short");
            let mut units: HashMap<&str, u64> = HashMap::new();
            for line in short.iter().chain(body["shipments"][0]["lines"].as_array().unwrap()) {
                *units.entry(line["sku"].as_str().unwrap()).or_default() += line["quantity"].as_u64().unwrap();
            }
            assert!(short[0]["quantity"].as_u64().unwrap() >= 1);
            assert_eq!(units, ordered, "shipped and short add up to what was ordered");
            assert!(body["shipments"][0]["tracking_number"].is_string());
        }
        assert!(
            sim.fulfilments()
                .iter()
                .all(|f| f.state == FulfilmentState::ShortShipped)
        );
        assert_eq!(sim.stats().short_shipped, requests as u64);
    })
    .await;
}

#[tokio::test]
async fn added_latency_delays_every_answer() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        sim.set_latency(Duration::from_millis(200));
        let started = Instant::now();
        assert_eq!(
            submit(&http, &sim, &fulfilment_request("slow", None)).await.status(),
            201
        );
        assert!(started.elapsed() >= Duration::from_millis(200));
    })
    .await;
}

#[tokio::test]
async fn the_http_control_surface_drives_the_warehouse() {
    bounded(async {
        let slow = ordo_sim::WmsSimConfig {
            accept_delay: Duration::from_secs(30),
            ..config(WmsKind::Generic, None)
        };
        let sim = start(slow).await;
        let http = client();
        let base = sim.url();
        let control = |path: &str, body: Value| http.post(format!("{base}/_sim/{path}")).json(&body).send();
        let info: Value = http
            .get(format!("{base}/_sim"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(info["kind"], "generic");
        assert_eq!(info["carriers"], json!(["SF", "UPS"]));

        assert_eq!(control("fail-rate", json!({"rate": 1.0})).await.unwrap().status(), 200);
        assert_eq!(submit(&http, &sim, &fulfilment_request("x", None)).await.status(), 503);
        control("fail-rate", json!({"rate": 0.0})).await.unwrap();

        control("down", json!({"down": true})).await.unwrap();
        assert_eq!(submit(&http, &sim, &fulfilment_request("x", None)).await.status(), 503);
        control("down", json!({"down": false})).await.unwrap();

        control("down", json!({"down": true, "refuse": true, "for_ms": 300}))
            .await
            .unwrap();
        let connects = || std::net::TcpStream::connect(sim.addr()).is_ok();
        eventually("connections are refused", || !connects()).await;
        eventually("the timed outage ends by itself", connects).await;

        control("latency", json!({"ms": 50})).await.unwrap();
        let started = Instant::now();
        assert_eq!(submit(&http, &sim, &fulfilment_request("x", None)).await.status(), 201);
        assert!(started.elapsed() >= Duration::from_millis(50));
        control("latency", json!({"ms": 0})).await.unwrap();

        control("short-ship-rate", json!({"rate": 1.0})).await.unwrap();
        let id = "F-00000001";
        let shipped: Value = control(&format!("fulfilments/{id}/ship"), json!({}))
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(shipped["state"], "short_shipped");
        let listed: Value = http
            .get(format!("{base}/_sim/fulfilments"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(listed[0]["id"], id);
        let one = http.get(format!("{base}/_sim/fulfilments/{id}")).send().await.unwrap();
        assert_eq!(one.json::<Value>().await.unwrap()["state"], "short_shipped");
        let stats: Value = http
            .get(format!("{base}/_sim/stats"))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(stats["created"], 1);
        assert_eq!(stats["short_shipped"], 1);
        let callbacks = http.get(format!("{base}/_sim/callbacks")).send().await.unwrap();
        assert_eq!(
            callbacks.json::<Value>().await.unwrap(),
            json!([]),
            "no callback target"
        );
        let missing = control("fulfilments/F-00000009/ship", json!({})).await.unwrap();
        assert_eq!(missing.status(), 404);
    })
    .await;
}
