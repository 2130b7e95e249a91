//! Goods coming back from the warehouse simulator: a shipped fulfilment's units reported
//! as a signed generic `returned` callback or a ShipBob `return.completed` webhook, on
//! request (handle and `/_sim/`) and at a return rate; nothing comes back of what has not
//! shipped.

#[path = "wms/common.rs"]
#[allow(dead_code)]
mod common;

use ordo_sim::{WmsKind, WmsSimError};
use serde_json::json;

use common::{
    Receiver, TOKEN, bounded, client, config, fulfilment_request, signature_verifies, standard_webhook_verifies, start,
    submit,
};

#[tokio::test]
async fn a_shipped_fulfilment_is_reported_back_as_a_signed_returned_callback() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::Generic, Some(&receiver.url))).await;
        let http = client();
        assert_eq!(
            submit(&http, &sim, &fulfilment_request("r-1", None)).await.status(),
            201
        );
        // Nothing shipped yet: nothing can come back.
        assert!(matches!(
            sim.send_return("F-00000001", &[], None),
            Err(WmsSimError::NotShipped(_))
        ));
        sim.ship_now("F-00000001").unwrap();
        let steps = receiver.wait_for(4).await.len();

        let lines = [
            ("SKU-RED-M".to_owned(), 1, "restock".to_owned()),
            ("SKU-RED-M".to_owned(), 1, "write_off".to_owned()),
        ];
        let report = sim.send_return("F-00000001", &lines, Some("case-7")).unwrap();
        assert_eq!(report, "R-00000001");
        let callbacks = receiver.wait_for(steps + 1).await;
        let returned = callbacks.last().unwrap();
        assert!(signature_verifies(&returned.body, &returned.signature()));
        let body = returned.json();
        assert_eq!(body["event"], "returned");
        assert_eq!(body["event_id"], "R-00000001");
        assert_eq!(
            (&body["warehouse"], &body["order_id"], &body["case_id"]),
            (&json!("WH-1"), &json!("ORD-r-1"), &json!("case-7"))
        );
        assert_eq!(
            body["lines"],
            json!([
                {"sku": "SKU-RED-M", "quantity": 1, "disposition": "restock"},
                {"sku": "SKU-RED-M", "quantity": 1, "disposition": "write_off"},
            ])
        );

        // Over `/_sim/`: no lines is every unit that shipped, restocked; a new report id.
        let answer: serde_json::Value = http
            .post(format!("{}/_sim/fulfilments/F-00000001/return", sim.url()))
            .json(&json!({}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["report_id"], "R-00000002");
        let callbacks = receiver.wait_for(steps + 2).await;
        let body = callbacks.last().unwrap().json();
        assert_eq!(
            body["lines"],
            json!([
                {"sku": "SKU-RED-M", "quantity": 2, "disposition": "restock"},
                {"sku": "SKU-MUG-01", "quantity": 3, "disposition": "restock"},
            ])
        );
        assert_eq!(body["case_id"], json!(null));
        let refused = http
            .post(format!("{}/_sim/fulfilments/F-00000001/return", sim.url()))
            .json(&json!({"lines": [{"sku": "SKU-RED-M", "quantity": 1, "disposition": "resell"}]}))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), 422);
        assert_eq!(sim.stats().returned, 2);
    })
    .await;
}

#[tokio::test]
async fn at_a_return_rate_of_one_every_fulfilment_comes_back_after_shipping() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::Generic, Some(&receiver.url))).await;
        let http = client();
        let set: serde_json::Value = http
            .post(format!("{}/_sim/return-rate", sim.url()))
            .json(&json!({"rate": 1.0}))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(set["rate"], 1.0);
        assert_eq!(
            submit(&http, &sim, &fulfilment_request("r-2", None)).await.status(),
            201
        );
        // accepted, picked, packed, shipped, returned.
        let callbacks = receiver.wait_for(5).await;
        let events: Vec<String> = callbacks
            .iter()
            .map(|c| c.json()["event"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(events.last().map(String::as_str), Some("returned"), "{events:?}");
        let shipped = events.iter().position(|e| e == "shipped").unwrap();
        assert!(shipped < events.len() - 1, "the return follows the shipment");
        assert_eq!(sim.stats().returned, 1);
    })
    .await;
}

#[tokio::test]
async fn shipbob_reports_a_completed_return_order_with_its_actions() {
    bounded(async {
        let receiver = Receiver::start().await;
        let sim = start(config(WmsKind::ShipBob, Some(&receiver.url))).await;
        let http = client();
        let created = http
            .post(format!("{}/2026-01/order", sim.url()))
            .bearer_auth(TOKEN)
            .header("shipbob_channel_id", "4242")
            .json(&json!({
                "reference_id": "ref-1", "order_number": "1001",
                "recipient": {"name": "John Doe", "address": {"address1": "1 Main St", "city": "Gotham", "country": "US"}},
                "products": [{"reference_id": "TShirtBlueM", "quantity": 2}],
                "shipping_method": "Standard",
            }))
            .send()
            .await
            .unwrap();
        assert_eq!(created.status(), 201);
        let id = created.json::<serde_json::Value>().await.unwrap()["id"].to_string();
        sim.ship_now(&id).unwrap();
        let steps = receiver.wait_for(1).await.len();
        let lines = [
            ("TShirtBlueM".to_owned(), 1, "restock".to_owned()),
            ("TShirtBlueM".to_owned(), 1, "missing".to_owned()),
        ];
        let report = sim.send_return(&id, &lines, None).unwrap();
        assert_eq!(report, "return:5000001");
        let callbacks = receiver.wait_for(steps + 1).await;
        let webhook = callbacks.last().unwrap();
        assert!(standard_webhook_verifies(webhook));
        let body = webhook.json();
        assert_eq!(body["topic"], "return.completed");
        let ret = &body["data"];
        assert_eq!(
            (&ret["id"], &ret["status"], &ret["store_order_id"], &ret["reference_id"]),
            (&json!(5_000_001), &json!("Completed"), &json!("1001"), &json!("RMA-5000001"))
        );
        let item = &ret["inventory"][0];
        assert_eq!((&item["name"], &item["quantity"]), (&json!("TShirtBlueM"), &json!(2)));
        assert_eq!(
            item["action_taken"],
            json!([{"action": "Restock", "action_reason": null, "image_url": null, "quantity_processed": 1}])
        );
    })
    .await;
}
