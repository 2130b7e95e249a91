//! After-sales over HTTP, on both stores: a return received and refunded with the amount
//! Ordo computes, the order's paid / refunded / net, a refund past what was paid
//! refused, an exchange sending its own order, roles and tenants.

mod common;

use common::TestApp;
use ordo_core::auth::Role;
use serde_json::{Value, json};

on_both_stores_with_stock!(
    a_return_is_received_restocked_and_refunded_with_the_computed_amount,
    an_exchange_sends_its_own_reserved_order,
    viewers_and_other_tenants_cannot_touch_a_case,
    the_workflows_refund_action_refunds_what_is_left_until_the_file_drops_it,
    a_tenants_case_flow_and_restocking_fee_are_its_own,
    an_amazon_returns_report_receives_its_goods_once,
);

async fn send(app: &TestApp, token: &str, method: reqwest::Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = app.client.request(method, app.url(path)).bearer_auth(token);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app, &app.admin, reqwest::Method::POST, path, Some(body)).await
}

/// One warehouse with stock of the example's SKUs, the example order (2 × TEE-RED-M at
/// 79.00, 1 × MUG-01 at 35.50 less 5.50, 10.00 shipping: 198.00 paid), shipped.
async fn shipped_example(app: &TestApp) -> String {
    let (status, _) = send(
        app,
        &app.admin,
        reqwest::Method::PUT,
        "/api/v1/warehouses/HZ-01",
        Some(json!({"name": "Hangzhou", "region": "CN"})),
    )
    .await;
    assert_eq!(status, 200);
    for sku in ["TEE-RED-M", "MUG-01"] {
        let path = format!("/api/v1/skus/{sku}");
        let (status, _) = send(app, &app.admin, reqwest::Method::PUT, &path, Some(json!({"name": sku}))).await;
        assert_eq!(status, 200);
        let change = json!({"warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": 10, "reason": "opening"});
        assert_eq!(post(app, "/api/v1/stock/changes", json!([change])).await.0, 200);
    }
    let response = app.post_order(&app.admin, common::example_with(|_| {})).await;
    assert_eq!(response.status().as_u16(), 201);
    let created: Value = response.json().await.unwrap();
    let id = created["id"].as_str().unwrap().to_owned();
    let (status, body) = post(app, &format!("/api/v1/orders/{id}/ship"), json!({})).await;
    assert_eq!(status, 200, "{body}");
    id
}

/// Available at HZ-01 (on hand, once the order shipped and nothing is reserved).
async fn on_hand(app: &TestApp, sku: &str) -> i64 {
    let (_, body) = app.get_json(&app.admin, &format!("/api/v1/availability/{sku}")).await;
    body["warehouses"]["HZ-01"]
        .as_i64()
        .unwrap_or_else(|| panic!("no level of {sku}: {body}"))
}

async fn a_return_is_received_restocked_and_refunded_with_the_computed_amount(app: TestApp) {
    let order = shipped_example(&app).await;
    let (status, case) = post(
        &app,
        "/api/v1/aftersales",
        json!({"order_id": order, "kind": "return_refund", "reason": "too small", "lines": [{"sku": "TEE-RED-M", "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    assert_eq!(case["status"], "requested");
    let id = case["id"].as_str().unwrap().to_owned();
    let (status, case) = post(&app, &format!("/api/v1/aftersales/{id}/approve"), json!({})).await;
    assert_eq!((status, case["status"].as_str()), (200, Some("awaiting_return")));
    let before = on_hand(&app, "TEE-RED-M").await;
    let (status, case) = post(
        &app,
        &format!("/api/v1/aftersales/{id}/receive"),
        json!({"lines": [{"sku": "TEE-RED-M", "quantity": 1, "disposition": "restock"}]}),
    )
    .await;
    assert_eq!((status, case["status"].as_str()), (200, Some("received")), "{case}");
    assert_eq!(case["refund_due"]["amount"], 7900);
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before + 1);
    let (status, cancel) = post(&app, &format!("/api/v1/aftersales/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, cancel["error"]["code"].as_str()),
        (409, Some("illegal_case_transition"))
    );
    let (status, refund) = post(&app, &format!("/api/v1/aftersales/{id}/refund"), json!({})).await;
    assert_eq!((status, refund["amount"].as_i64()), (201, Some(7900)), "{refund}");
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    assert_eq!(
        (view["paid"].as_i64(), view["refunded"].as_i64(), view["net"].as_i64()),
        (Some(19800), Some(7900), Some(11900))
    );
    assert_eq!(view["refund_state"], "partly_refunded");
    assert_eq!(view["cases"][0]["status"], "refunded");
    let (status, refused) = post(
        &app,
        &format!("/api/v1/orders/{order}/refunds"),
        json!({"amount": 11901}),
    )
    .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("refund_exceeds_paid"))
    );
    assert!(refused["error"]["message"].as_str().unwrap().contains("11900"));
    let (status, _) = post(
        &app,
        &format!("/api/v1/orders/{order}/refunds"),
        json!({"amount": 11900, "note": "goodwill"}),
    )
    .await;
    assert_eq!(status, 201);
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    assert_eq!(
        (view["refund_state"].as_str(), view["net"].as_i64()),
        (Some("refunded"), Some(0))
    );
    let (_, list) = app.get_json(&app.admin, "/api/v1/aftersales?status=refunded").await;
    assert_eq!(list["cases"].as_array().unwrap().len(), 1);
    assert_eq!(list["counts"]["refunded"], 1);
    // A direct return cannot put back the unit the case already received.
    let path = format!("/api/v1/orders/{order}/return");
    let (status, refused) = post(&app, &path, json!({"lines": {"TEE-RED-M": 2}})).await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (422, Some("stock_refused")),
        "{refused}"
    );
    let (status, _) = post(&app, &path, json!({"lines": {"TEE-RED-M": 1}})).await;
    assert_eq!(status, 200);
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before + 2);
}

async fn an_exchange_sends_its_own_reserved_order(app: TestApp) {
    let order = shipped_example(&app).await;
    let (status, case) = post(
        &app,
        "/api/v1/aftersales",
        json!({"order_id": order, "kind": "exchange", "lines": [{"sku": "MUG-01", "quantity": 1}],
               "exchange_lines": [{"sku": "TEE-RED-M", "quantity": 1}]}),
    )
    .await;
    assert_eq!(status, 201, "{case}");
    let id = case["id"].as_str().unwrap();
    // The TEE is worth 79.00, the mug came to 30.00: the buyer owes 49.00.
    assert_eq!(case["price_difference"]["amount"], 4900);
    let (status, case) = post(&app, &format!("/api/v1/aftersales/{id}/approve"), json!({})).await;
    assert_eq!(status, 200, "{case}");
    let sent = case["exchange_order_id"]
        .as_str()
        .expect("an exchange order")
        .to_owned();
    let linked = case["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "exchange_order")
        .cloned();
    assert_eq!(
        linked.map(|e| e["data"]["price_difference"].clone()),
        Some(json!(4900)),
        "recorded with the link"
    );
    let (_, new_order) = app.get_json(&app.admin, &format!("/api/v1/orders/{sent}")).await;
    assert_eq!(new_order["status"], "allocated", "{new_order}");
    assert_eq!(new_order["order"]["lines"][0]["sku"], "TEE-RED-M");
    assert_eq!(new_order["paid"], 0, "the exchange is paid with the original order");
    let before = on_hand(&app, "TEE-RED-M").await;
    let (status, shipped) = post(
        &app,
        &format!("/api/v1/orders/{sent}/ship"),
        json!({"tracking_number": "SF-EX-1"}),
    )
    .await;
    assert_eq!(
        (status, shipped["status"].as_str()),
        (200, Some("shipped")),
        "{shipped}"
    );
    assert_eq!(
        on_hand(&app, "TEE-RED-M").await,
        before,
        "reserved units left: available stays"
    );
    // Approving again neither moves the case nor sends a second order.
    let (status, again) = post(&app, &format!("/api/v1/aftersales/{id}/approve"), json!({})).await;
    assert_eq!(
        (status, again["error"]["code"].as_str()),
        (409, Some("illegal_case_transition"))
    );
}

async fn viewers_and_other_tenants_cannot_touch_a_case(app: TestApp) {
    let order = shipped_example(&app).await;
    let viewer = app.token("default", Role::Viewer).await;
    let body = json!({"order_id": order, "kind": "refund_only", "lines": [{"sku": "MUG-01", "quantity": 1}]});
    let (status, _) = send(
        &app,
        &viewer,
        reqwest::Method::POST,
        "/api/v1/aftersales",
        Some(body.clone()),
    )
    .await;
    assert_eq!(status, 403);
    let (status, case) = post(&app, "/api/v1/aftersales", body).await;
    assert_eq!(status, 201);
    let id = case["id"].as_str().unwrap();
    let (status, _) = app.get_json(&viewer, &format!("/api/v1/aftersales/{id}")).await;
    assert_eq!(status, 200, "a viewer reads");
    let other = app.token("other", Role::Admin).await;
    let (status, _) = app.get_json(&other, &format!("/api/v1/aftersales/{id}")).await;
    assert_eq!(status, 404);
    let (_, list) = app.get_json(&other, "/api/v1/aftersales").await;
    assert!(list["cases"].as_array().unwrap().is_empty());
    let (status, bad) = post(
        &app,
        "/api/v1/aftersales",
        json!({"order_id": order, "kind": "swap", "lines": []}),
    )
    .await;
    assert_eq!((status, bad["error"]["code"].as_str()), (422, Some("invalid_kind")));
}

/// Walks a shipped order back through the workflow: return requested, returned, refunded.
async fn walk_to_refunded(app: &TestApp, order: &str) {
    for (to, extra) in [
        ("return_requested", json!({"reason": "buyer asked"})),
        ("returned", json!({})),
        ("refunded", json!({})),
    ] {
        let mut body = extra;
        body["to"] = json!(to);
        let (status, moved) = post(app, &format!("/api/v1/orders/{order}/transitions"), body).await;
        assert_eq!(status, 200, "{to}: {moved}");
    }
}

async fn the_workflows_refund_action_refunds_what_is_left_until_the_file_drops_it(app: TestApp) {
    let order = shipped_example(&app).await;
    let (status, _) = post(
        &app,
        &format!("/api/v1/orders/{order}/refunds"),
        json!({"amount": 1000}),
    )
    .await;
    assert_eq!(status, 201);
    walk_to_refunded(&app, &order).await;
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{order}")).await;
    assert_eq!(
        (view["refunded"].as_i64(), view["refund_state"].as_str()),
        (Some(19800), Some("refunded"))
    );
    assert_eq!(view["refunds"][1]["amount"], 18800, "what was left");

    // The tenant's workflow without the action: the move records no money.
    let workflow = ordo_workflow::workflow::DEFAULT_WORKFLOW_TOML.replace(
        "actions = [\"refund\", \"notify\", \"write_back\"]",
        "actions = [\"notify\"]",
    );
    assert!(!workflow.contains("\"refund\","));
    let response = app
        .client
        .put(app.url("/api/v1/policies/workflow"))
        .bearer_auth(&app.admin)
        .body(workflow)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let second = app
        .post_order(&app.admin, common::example_with(|v| v["external_id"] = json!("W-2002")))
        .await;
    let second: Value = second.json().await.unwrap();
    let second = second["id"].as_str().unwrap().to_owned();
    assert_eq!(
        post(&app, &format!("/api/v1/orders/{second}/ship"), json!({})).await.0,
        200
    );
    walk_to_refunded(&app, &second).await;
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/orders/{second}")).await;
    assert_eq!(
        (view["status"].as_str(), view["refunded"].as_i64()),
        (Some("refunded"), Some(0))
    );
}

async fn put_policy(app: &TestApp, body: String) -> (u16, Value) {
    let response = app
        .client
        .put(app.url("/api/v1/policies/aftersales"))
        .bearer_auth(&app.admin)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn a_tenants_case_flow_and_restocking_fee_are_its_own(app: TestApp) {
    let (status, bad) = put_policy(
        &app,
        "[[transition]]\naction = \"approve\"\nfrom = [\"shipped\"]\n".into(),
    )
    .await;
    assert_eq!(status, 422, "{bad}");
    assert!(
        bad.to_string().contains("aftersales:3:"),
        "the problem says where: {bad}"
    );
    // Cancelling stays possible after a first receipt, and Ordo keeps back 10 %.
    let mut flow = String::from("restocking_fee_permille = 100\n");
    for (action, from) in [
        ("approve", "[\"requested\"]"),
        ("receive", "[\"awaiting_return\", \"partly_received\"]"),
        ("cancel", "[\"requested\", \"awaiting_return\", \"partly_received\"]"),
        ("refund", "[\"partly_received\", \"received\"]"),
    ] {
        flow.push_str(&format!("[[transition]]\naction = \"{action}\"\nfrom = {from}\n"));
    }
    let (status, saved) = put_policy(&app, flow).await;
    assert_eq!(status, 200, "{saved}");
    let order = shipped_example(&app).await;
    let open = json!({"order_id": order, "kind": "return_refund", "lines": [{"sku": "TEE-RED-M", "quantity": 2}]});
    let (_, case) = post(&app, "/api/v1/aftersales", open).await;
    let id = case["id"].as_str().unwrap().to_owned();
    post(&app, &format!("/api/v1/aftersales/{id}/approve"), json!({})).await;
    let receipt = json!({"lines": [{"sku": "TEE-RED-M", "quantity": 1, "disposition": "restock"}]});
    let (_, case) = post(&app, &format!("/api/v1/aftersales/{id}/receive"), receipt).await;
    assert_eq!(case["status"], "partly_received");
    let (status, refund) = post(&app, &format!("/api/v1/aftersales/{id}/refund"), json!({})).await;
    assert_eq!(
        (status, refund["amount"].as_i64(), refund["restocking_fee"].as_i64()),
        (201, Some(7110), Some(790))
    );
    let (status, case) = post(&app, &format!("/api/v1/aftersales/{id}/cancel"), json!({})).await;
    assert_eq!(
        (status, case["error"]["code"].as_str()),
        (409, Some("illegal_case_transition")),
        "refunded is not in the file's cancel"
    );
}

async fn an_amazon_returns_report_receives_its_goods_once(app: TestApp) {
    let order = shipped_example(&app).await;
    let header = "return-date\torder-id\tsku\tasin\tfnsku\tproduct-name\tquantity\tfulfillment-center-id\tdetailed-disposition\treason\tstatus\tlicense-plate-number\tcustomer-comments";
    let report = format!(
        "{header}\n2026-11-20T08:12:44+00:00\tW-1001\tTEE-RED-M\tB0\tX0\tTee\t1\tPHX7\tSELLABLE\tTOO_SMALL\tUnit returned to inventory\tLPN1\t\n\
         2026-11-20T08:12:44+00:00\tW-1001\tMUG-01\tB1\tX1\tMug\t1\tPHX7\tCUSTOMER_DAMAGED\tDAMAGED\tUnit returned to inventory\tLPN2\t\n"
    );
    let before = on_hand(&app, "TEE-RED-M").await;
    let send = |body: String| {
        app.client
            .post(app.url("/api/v1/channels/web/amazon-returns?warehouse=HZ-01"))
            .bearer_auth(&app.admin)
            .body(body)
            .send()
    };
    let response = send(report.clone()).await.unwrap();
    let status = response.status().as_u16();
    let done: Value = response.json().await.unwrap();
    assert_eq!(status, 200, "{done}");
    let case = done["cases"][0]["case_id"].as_str().unwrap().to_owned();
    let (_, view) = app.get_json(&app.admin, &format!("/api/v1/aftersales/{case}")).await;
    assert_eq!(view["status"], "received", "{view}");
    assert_eq!(view["channel_case_id"], "fba-return:W-1001:LPN1+LPN2");
    assert_eq!(
        (
            view["lines"][0]["restocked"].as_i64(),
            view["lines"][1]["quarantined"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(on_hand(&app, "TEE-RED-M").await, before + 1);
    assert_eq!(send(report).await.unwrap().status().as_u16(), 200);
    assert_eq!(
        on_hand(&app, "TEE-RED-M").await,
        before + 1,
        "the same report twice receives once"
    );
    let (_, list) = app
        .get_json(&app.admin, &format!("/api/v1/aftersales?order_id={order}"))
        .await;
    assert_eq!(list["cases"].as_array().unwrap().len(), 1);
    let response = send("order-id\tsku\tquantity\n".into()).await.unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let refused: Value = response.json().await.unwrap();
    assert!(
        refused["error"]["message"]
            .as_str()
            .unwrap()
            .starts_with("header.detailed-disposition"),
        "{refused}"
    );
}
