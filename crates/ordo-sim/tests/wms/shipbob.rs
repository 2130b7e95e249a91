//! ShipBob mode: create, get and cancel answer in the shapes of ShipBob's published
//! examples, and webhooks carry the shipment in the same shape.

use std::time::Duration;

use ordo_sim::{WmsKind, WmsSim};
use serde_json::{Value, json};

use crate::common::{Receiver, TOKEN, WHSEC, bounded, client, config, keys, standard_webhook_verifies, start};

fn fixture(name: &str) -> Value {
    let text = match name {
        "order" => include_str!("fixtures/shipbob_2026-01_order_get.json"),
        "cancel" => include_str!("fixtures/shipbob_2026-01_order_cancel.json"),
        "shipment" => include_str!("fixtures/shipbob_2026-01_shipment_get.json"),
        _ => unreachable!("no fixture {name}"),
    };
    serde_json::from_str(text).expect("fixture is JSON")
}

fn order_request(reference_id: &str, quantity: u32) -> Value {
    json!({
        "reference_id": reference_id,
        "order_number": format!("ORD-{reference_id}"),
        "recipient": {
            "name": "John Doe",
            "address": {
                "address1": "100 Nowhere Blvd", "address2": "Suite 100", "city": "Gotham City",
                "state": "NJ", "country": "US", "zip_code": "07093"
            },
            "email": "john@example.com",
            "phone_number": "555-555-5555"
        },
        "products": [
            {"reference_id": "TShirtBlueM", "quantity": quantity},
            {"reference_id": "MugWhite", "quantity": 1}
        ],
        "shipping_method": "Standard"
    })
}

async fn create(http: &reqwest::Client, sim: &WmsSim, body: &Value) -> reqwest::Response {
    http.post(format!("{}/2026-01/order", sim.url()))
        .bearer_auth(TOKEN)
        .header("shipbob_channel_id", "4242")
        .json(body)
        .send()
        .await
        .unwrap()
}

async fn get(http: &reqwest::Client, sim: &WmsSim, id: &Value) -> Value {
    let response = http
        .get(format!("{}/2026-01/order/{id}", sim.url()))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    response.json().await.unwrap()
}

/// Asserts that a shipment has exactly the fields of ShipBob's example, nested ones too.
fn assert_shipment_shape(shipment: &Value) {
    let example = fixture("shipment");
    assert_eq!(keys(shipment), keys(&example));
    for field in ["location", "measurements", "recipient"] {
        assert_eq!(keys(&shipment[field]), keys(&example[field]), "{field}");
    }
    assert_eq!(
        keys(&shipment["recipient"]["address"]),
        keys(&example["recipient"]["address"])
    );
    let product = &shipment["products"][0];
    assert_eq!(keys(product), keys(&example["products"][0]));
    assert_eq!(
        keys(&product["inventory_items"][0]),
        keys(&example["products"][0]["inventory_items"][0])
    );
    if !shipment["tracking"].is_null() {
        assert_eq!(keys(&shipment["tracking"]), keys(&example["tracking"]));
    }
}

#[tokio::test]
async fn orders_are_created_and_read_in_shipbobs_shape_and_shipping_sends_order_shipped() {
    bounded(async {
        let receiver = Receiver::start().await;
        let mut shipbob = config(WmsKind::ShipBob, Some(&receiver.url));
        shipbob.secret = WHSEC.into();
        let sim = start(shipbob).await;
        let http = client();
        let response = create(&http, &sim, &order_request("ref-1", 2)).await;
        assert_eq!(response.status(), 201);
        let order: Value = response.json().await.unwrap();
        let example = fixture("order");
        assert_eq!(keys(&order), keys(&example));
        assert_eq!(keys(&order["products"][0]), keys(&example["products"][0]));
        assert_eq!(keys(&order["recipient"]), keys(&example["recipient"]));
        assert_eq!(
            keys(&order["recipient"]["address"]),
            keys(&example["recipient"]["address"])
        );
        assert_eq!(keys(&order["channel"]), keys(&example["channel"]));
        assert_eq!(order["status"], "Processing");
        assert_eq!(order["reference_id"], "ref-1");
        assert_eq!(order["order_number"], "ORD-ref-1");
        assert_eq!(order["channel"]["id"], 4242);
        assert_eq!(order["products"][0]["quantity"], 2);
        assert!(order["id"].is_u64());
        let shipment = &order["shipments"][0];
        assert_shipment_shape(shipment);
        assert_eq!(
            (shipment["status"].as_str(), shipment["tracking"].is_null()),
            (Some("Processing"), true)
        );

        let callbacks = receiver.wait_for(1).await;
        let envelope = callbacks[0].json();
        assert!(standard_webhook_verifies(&callbacks[0]), "{:?}", callbacks[0].headers);
        assert_eq!(keys(&envelope), keys(&json!({"topic": 0, "data": 0})));
        assert_eq!(envelope["topic"], "order.shipped");
        let shipped = &envelope["data"];
        assert_shipment_shape(shipped);
        assert_eq!(shipped["status"], "Completed");
        assert_eq!(shipped["order_id"], order["id"]);
        assert_eq!(shipped["reference_id"], "ref-1");
        let carrier = shipped["tracking"]["carrier"].as_str().unwrap();
        assert!(["USPS", "UPS", "FedEx"].contains(&carrier), "{carrier}");

        let read = get(&http, &sim, &order["id"]).await;
        assert_eq!(keys(&read), keys(&example));
        assert_eq!(read["status"], "Fulfilled");
        assert_eq!(read["shipments"][0]["tracking"], shipped["tracking"]);
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(receiver.received().len(), 1, "ShipBob reports shipping, not picking");
    })
    .await;
}

#[tokio::test]
async fn a_known_reference_id_answers_200_with_the_existing_order() {
    bounded(async {
        let sim = start(config(WmsKind::ShipBob, None)).await;
        let http = client();
        let first: Value = create(&http, &sim, &order_request("dup", 2))
            .await
            .json()
            .await
            .unwrap();
        let again = create(&http, &sim, &order_request("dup", 5)).await;
        assert_eq!(again.status(), 200);
        let again: Value = again.json().await.unwrap();
        assert_eq!(
            (&again["id"], &again["products"][0]["quantity"]),
            (&first["id"], &json!(2))
        );
        assert_eq!(sim.fulfilments().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn refusals_use_shipbobs_problem_shape() {
    bounded(async {
        let sim = start(config(WmsKind::ShipBob, None)).await;
        let http = client();
        let mut no_address1 = order_request("bad", 1);
        no_address1["recipient"]["address"]["address1"] = Value::Null;
        let mut zero = order_request("bad", 0);
        zero["products"][1]["quantity"] = json!(1);
        let mut no_products = order_request("bad", 1);
        no_products["products"] = json!([]);
        let cases = [
            (no_address1, "recipient.address.address1"),
            (zero, "products[0].quantity"),
            (no_products, "products"),
        ];
        for (body, field) in cases {
            let response = create(&http, &sim, &body).await;
            assert_eq!(response.status(), 422, "{field}");
            let problem: Value = response.json().await.unwrap();
            assert_eq!(problem["status"], 422);
            assert!(problem["errors"][field][0].is_string(), "{problem}");
        }
        let url = format!("{}/2026-01/order", sim.url());
        let body = order_request("ok", 1);
        let no_channel = http.post(&url).bearer_auth(TOKEN).json(&body).send().await.unwrap();
        assert_eq!(no_channel.status(), 400);
        let problem: Value = no_channel.json().await.unwrap();
        assert!(problem["errors"]["shipbob_channel_id"].is_array());
        let wrong_token = http.post(&url).bearer_auth("nope").json(&body).send().await.unwrap();
        assert_eq!(wrong_token.status(), 401);
        assert!(sim.fulfilments().is_empty());
        let unknown = http.get(format!("{url}/1")).bearer_auth(TOKEN).send().await.unwrap();
        assert_eq!(unknown.status(), 404);
    })
    .await;
}

#[tokio::test]
async fn orders_are_cancelled_in_shipbobs_shape_until_they_ship() {
    bounded(async {
        let receiver = Receiver::start().await;
        let slow = ordo_sim::WmsSimConfig {
            accept_delay: Duration::from_secs(30),
            ..config(WmsKind::ShipBob, Some(&receiver.url))
        };
        let sim = start(slow).await;
        let http = client();
        let cancel = |path: String| {
            http.post(format!("{}/2026-01/order/{path}", sim.url()))
                .bearer_auth(TOKEN)
                .send()
        };
        let first: Value = create(&http, &sim, &order_request("c-1", 1))
            .await
            .json()
            .await
            .unwrap();
        let second: Value = create(&http, &sim, &order_request("c-2", 1))
            .await
            .json()
            .await
            .unwrap();

        let response = cancel(format!("{}/cancel", first["id"])).await.unwrap();
        assert_eq!(response.status(), 200);
        let cancelled: Value = response.json().await.unwrap();
        let example = fixture("cancel");
        assert_eq!(keys(&cancelled), keys(&example));
        let result = &cancelled["canceled_shipment_results"][0];
        assert_eq!(keys(result), keys(&example["canceled_shipment_results"][0]));
        assert_eq!(keys(&cancelled["order"]), keys(&example["order"]));
        assert_eq!(
            (cancelled["status"].as_str(), result["is_success"].as_bool()),
            (Some("Success"), Some(true))
        );
        assert_eq!(cancelled["order"]["status"], "Cancelled");

        let webhook = receiver.wait_for(1).await[0].json();
        assert_eq!(webhook["topic"], "order.shipment.cancelled");
        assert_eq!(webhook["data"]["status"], "Cancelled");
        assert_shipment_shape(&webhook["data"]);

        // The 2026-01 reference spells it `{id}:cancel`.
        sim.ship_now(&second["id"].to_string()).unwrap();
        let refused = cancel(format!("{}:cancel", second["id"])).await.unwrap();
        assert_eq!(refused.status(), 422);
        let colon = cancel(format!("{}:cancel", first["id"])).await.unwrap();
        assert_eq!(colon.status(), 200);
        assert_eq!(cancel("999:cancel".into()).await.unwrap().status(), 404);
    })
    .await;
}

#[tokio::test]
async fn a_short_shipment_ships_fewer_units_and_says_which_are_out_of_stock() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::ShipBob, Some(&receiver.url))).await;
        sim.set_short_ship_rate(1.0);
        let http = client();
        let order: Value = create(&http, &sim, &order_request("short", 3))
            .await
            .json()
            .await
            .unwrap();
        let webhook = receiver.wait_for(1).await[0].json();
        assert_eq!(webhook["topic"], "order.shipped");
        let shipment = &webhook["data"];
        let shipped: u64 = shipment["products"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["inventory_items"][0]["quantity"].as_u64().unwrap())
            .sum();
        let short = &shipment["status_details"][0];
        assert_eq!(short["name"], "OutOfStock");
        assert!((1..4).contains(&shipped), "{shipped} of 4 units shipped");
        let read = get(&http, &sim, &order["id"]).await;
        assert_eq!(read["status"], "PartiallyFulfilled");
        assert_eq!(
            sim.fulfilments()[0].short.iter().map(|l| l.quantity).sum::<u32>() as u64,
            4 - shipped
        );
    })
    .await;
}
