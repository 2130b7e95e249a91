//! The generic JSON warehouse: submits, idempotency, validation, auth, cancellation,
//! callbacks and arrival times.

use std::time::{Duration, Instant};

use ordo_sim::{FulfilmentState, WmsKind, WmsSimError};
use serde_json::{Value, json};

use crate::common::{
    Receiver, TOKEN, bounded, client, config, eventually, fulfilment_request, signature_verifies, start, submit,
};

#[tokio::test]
async fn a_fulfilment_is_accepted_picked_packed_and_shipped_with_signed_callbacks() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let response = submit(&http, &sim, &fulfilment_request("r-1", Some(&receiver.url))).await;
        assert_eq!(response.status(), 201);
        let id = response.json::<Value>().await.unwrap()["fulfilment_id"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(id.starts_with("F-"), "{id}");

        let callbacks = receiver.wait_for(4).await;
        let events: Vec<Value> = callbacks.iter().map(|c| c.json()).collect();
        let names: Vec<&str> = events.iter().map(|e| e["event"].as_str().unwrap()).collect();
        assert_eq!(names, ["accepted", "picked", "packed", "shipped"]);
        for callback in &callbacks {
            assert!(
                signature_verifies(&callback.body, &callback.signature()),
                "bad signature"
            );
            let body = callback.json();
            assert_eq!(body["request_id"], "r-1");
            assert_eq!(body["fulfilment_id"], id.as_str());
            assert_eq!(body["order_id"], "ORD-r-1");
            assert!(body["at"].as_str().unwrap().ends_with('Z'));
        }
        assert_eq!(events[0]["shipments"], json!([]));
        assert_eq!(events[0]["short"], json!([]));
        assert_eq!(events[0]["reason"], Value::Null);

        let shipment = &events[3]["shipments"][0];
        assert_eq!(shipment["carrier"], "SF");
        let tracking = shipment["tracking_number"].as_str().unwrap();
        assert!(tracking.starts_with("SF") && tracking[2..].bytes().all(|b| b.is_ascii_digit()));
        assert!(shipment["tracking_url"].as_str().unwrap().contains(tracking));
        assert_eq!(
            shipment["lines"],
            json!([{"sku": "SKU-RED-M", "quantity": 2}, {"sku": "SKU-MUG-01", "quantity": 3}])
        );
        assert!(shipment["shipped_at"].is_string());

        let fulfilment = sim.fulfilment(&id).unwrap();
        assert_eq!(fulfilment.state, FulfilmentState::Shipped);
        assert_eq!(fulfilment.shipments[0].tracking_number, tracking);
        eventually("callbacks are recorded", || sim.callbacks().len() == 4).await;
        assert!(sim.callbacks().iter().all(|c| c.delivered && c.status == Some(200)));
        assert_eq!(sim.stats().callbacks_sent, 4);
        assert_eq!(sim.stats().shipped, 1);

        let shown: Value = http
            .get(format!("{}/fulfilments/{id}", sim.url()))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(shown["state"], "shipped");
        assert_eq!(shown["shipments"][0]["tracking_number"], tracking);
    })
    .await;
}

#[tokio::test]
async fn the_same_request_id_answers_the_same_fulfilment_and_never_makes_a_second() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let body = fulfilment_request("same", None);
        let first = submit(&http, &sim, &body).await;
        assert_eq!(first.status(), 201);
        let first: Value = first.json().await.unwrap();
        let again = submit(&http, &sim, &body).await;
        assert_eq!(again.status(), 200);
        assert_eq!(again.json::<Value>().await.unwrap(), first);

        let concurrent: Vec<_> = (0..20)
            .map(|_| {
                let (http, url, body) = (http.clone(), sim.url(), body.clone());
                tokio::spawn(async move {
                    let response = http
                        .post(format!("{url}/fulfilments"))
                        .bearer_auth(TOKEN)
                        .json(&body)
                        .send()
                        .await
                        .unwrap();
                    (response.status().as_u16(), response.json::<Value>().await.unwrap())
                })
            })
            .collect();
        for task in concurrent {
            assert_eq!(task.await.unwrap(), (200, first.clone()));
        }
        assert_eq!(sim.fulfilments().len(), 1);
        assert_eq!(sim.received().len(), 1);
        assert_eq!(sim.stats().created, 1);
        assert_eq!(sim.stats().duplicates, 21);
    })
    .await;
}

#[tokio::test]
async fn every_submit_is_kept_as_an_arrival_by_its_idempotency_key_repeats_included() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let before = Instant::now();
        let keyed = |request_id: &str, key: Option<&str>| {
            let mut request = http
                .post(format!("{}/fulfilments", sim.url()))
                .bearer_auth(TOKEN)
                .json(&fulfilment_request(request_id, None));
            if let Some(key) = key {
                request = request.header("Idempotency-Key", key);
            }
            request.send()
        };
        assert_eq!(keyed("first", Some("key-1")).await.unwrap().status(), 201);
        assert_eq!(keyed("first", Some("key-1")).await.unwrap().status(), 200);
        assert_eq!(keyed("second", None).await.unwrap().status(), 201);
        // A refused body is not an arrival: nothing was read that a client could repeat.
        let refused = submit(&http, &sim, &json!({"request_id": "third"})).await;
        assert_eq!(refused.status(), 422);

        let arrivals = sim.arrivals();
        let keys: Vec<(&str, &str)> = arrivals
            .iter()
            .map(|a| (a.key.as_str(), a.request_id.as_str()))
            .collect();
        assert_eq!(keys, [("key-1", "first"), ("key-1", "first"), ("second", "second")]);
        assert!(arrivals.iter().all(|a| a.at >= before));
        assert!(arrivals.windows(2).all(|w| w[0].at <= w[1].at));
        assert_eq!(sim.received().len(), 2, "repeats make no second fulfilment");
    })
    .await;
}

#[tokio::test]
async fn refused_fields_answer_422_naming_the_field() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let base = fulfilment_request("bad", None);
        let change = |edit: &dyn Fn(&mut Value)| {
            let mut body = base.clone();
            edit(&mut body);
            body
        };
        let cases = [
            (
                change(&|b| b.as_object_mut().unwrap().remove("lines").map(drop).unwrap()),
                "lines",
            ),
            (change(&|b| b["lines"] = json!([])), "lines"),
            (change(&|b| b["lines"][1]["quantity"] = json!(0)), "lines[1].quantity"),
            (change(&|b| b["lines"][0]["sku"] = json!("")), "lines[0].sku"),
            (change(&|b| b["ship_to"]["line1"] = Value::Null), "ship_to.line1"),
            (
                change(&|b| {
                    b["ship_to"]
                        .as_object_mut()
                        .unwrap()
                        .remove("country")
                        .map(drop)
                        .unwrap()
                }),
                "ship_to.country",
            ),
            (change(&|b| b["ship_to"] = Value::Null), "ship_to"),
            (change(&|b| b["request_id"] = json!(7)), "request_id"),
            (change(&|b| b["callback_url"] = json!("not a url")), "callback_url"),
        ];
        for (body, field) in cases {
            let response = submit(&http, &sim, &body).await;
            assert_eq!(response.status(), 422, "{field}");
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["field"], field);
            assert!(error["error"].as_str().unwrap().contains(field));
        }
        let not_json = http
            .post(format!("{}/fulfilments", sim.url()))
            .bearer_auth(TOKEN)
            .body("{")
            .send()
            .await
            .unwrap();
        assert_eq!(not_json.status(), 400);
        assert!(sim.fulfilments().is_empty());
        assert_eq!(sim.stats().rejected, 10);
    })
    .await;
}

#[tokio::test]
async fn a_wrong_or_missing_token_answers_401() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let url = format!("{}/fulfilments", sim.url());
        let body = fulfilment_request("r", None);
        let wrong = http.post(&url).bearer_auth("nope").json(&body).send().await.unwrap();
        assert_eq!(wrong.status(), 401);
        let missing = http.post(&url).json(&body).send().await.unwrap();
        assert_eq!(missing.status(), 401);
        let cancel = http.post(format!("{url}/F-00000001/cancel")).send().await.unwrap();
        assert_eq!(cancel.status(), 401);
        assert!(sim.received().is_empty());
        assert_eq!(sim.stats().unauthorized, 3);
    })
    .await;
}

#[tokio::test]
async fn a_fulfilment_can_be_cancelled_until_it_ships() {
    bounded(async {
        let receiver = Receiver::start().await;
        let slow = ordo_sim::WmsSimConfig {
            accept_delay: Duration::from_secs(30),
            ..config(WmsKind::Generic, Some(&receiver.url))
        };
        let sim = start(slow).await;
        let http = client();
        let cancel = |id: String| {
            http.post(format!("{}/fulfilments/{id}/cancel", sim.url()))
                .bearer_auth(TOKEN)
                .send()
        };
        submit(&http, &sim, &fulfilment_request("to-cancel", None)).await;
        submit(&http, &sim, &fulfilment_request("to-ship", None)).await;
        let response = cancel("F-00000001".into()).await.unwrap();
        assert_eq!(response.status(), 200);
        assert_eq!(response.json::<Value>().await.unwrap()["state"], "cancelled");
        assert_eq!(cancel("F-00000001".into()).await.unwrap().status(), 200);
        let callbacks = receiver.wait_for(1).await;
        let body = callbacks[0].json();
        assert_eq!(
            (body["event"].as_str(), body["request_id"].as_str()),
            (Some("cancelled"), Some("to-cancel"))
        );
        assert!(body["reason"].is_string());
        assert!(matches!(sim.ship_now("F-00000001"), Err(WmsSimError::Cancelled(_))));

        let shipped = sim.ship_now("F-00000002").unwrap();
        assert_eq!(shipped.state, FulfilmentState::Shipped);
        assert_eq!(cancel("F-00000002".into()).await.unwrap().status(), 409);
        assert_eq!(cancel("F-00000099".into()).await.unwrap().status(), 404);
        assert!(matches!(
            sim.ship_now("F-00000099"),
            Err(WmsSimError::UnknownFulfilment(_))
        ));

        // Shipping at once still reports every step, in order; the cancelled one sent one.
        let callbacks = receiver.wait_for(5).await;
        let events: Vec<String> = callbacks[1..]
            .iter()
            .map(|c| c.json()["event"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(events, ["accepted", "picked", "packed", "shipped"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(receiver.received().len(), 5, "a second cancel sends no second callback");
        assert_eq!(sim.stats().cancelled, 1);
    })
    .await;
}

#[tokio::test]
async fn received_keeps_the_first_arrival_of_each_request_before_any_latency() {
    bounded(async {
        let sim = start(config(WmsKind::Generic, None)).await;
        let http = client();
        let before = Instant::now();
        submit(&http, &sim, &fulfilment_request("a", None)).await;
        let between = Instant::now();
        sim.set_latency(Duration::from_millis(150));
        submit(&http, &sim, &fulfilment_request("b", None)).await;
        let after = Instant::now();
        submit(&http, &sim, &fulfilment_request("a", None)).await;

        let received = sim.received();
        assert_eq!(received.len(), 2);
        assert_eq!(
            (received[0].request_id.as_str(), received[0].order_id.as_str()),
            ("a", "ORD-a")
        );
        assert!(before <= received[0].at && received[0].at <= between);
        assert!(between <= received[1].at && received[1].at <= after);
        assert!(
            after - received[1].at >= Duration::from_millis(150),
            "stamped before the latency"
        );
        assert_eq!(received[0].lines.len(), 2);
        assert_eq!(received[0].lines[1].quantity, 3);
        let age = chrono::Utc::now() - received[0].at_utc;
        assert!(age < chrono::Duration::seconds(10));
    })
    .await;
}

#[tokio::test]
async fn failed_callbacks_are_retried_and_given_up_on_after_four_attempts() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::Generic, Some(&receiver.url))).await;
        let http = client();
        receiver.fail_first(2);
        submit(&http, &sim, &fulfilment_request("retried", None)).await;
        eventually("all four steps are delivered", || {
            sim.callbacks().iter().filter(|c| c.delivered).count() == 4
        })
        .await;
        // Two attempts failed, whichever callbacks they belonged to; all were then delivered.
        let attempts: u32 = sim.callbacks().iter().map(|c| c.attempts).sum();
        assert_eq!(attempts, 4 + 2);
        assert!(sim.callbacks().iter().all(|c| c.status == Some(200)));

        receiver.answer(503);
        submit(&http, &sim, &fulfilment_request("refused", None)).await;
        eventually("the refused callbacks are given up on", || {
            sim.callbacks().iter().filter(|c| c.request_id == "refused").count() == 4
        })
        .await;
        for callback in sim.callbacks().iter().filter(|c| c.request_id == "refused") {
            assert!(!callback.delivered);
            assert_eq!((callback.attempts, callback.status), (4, Some(503)));
        }
        assert_eq!(sim.stats().callbacks_failed, 4);
    })
    .await;
}
