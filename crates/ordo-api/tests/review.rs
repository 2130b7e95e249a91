//! The workflow, review rules, repair and the exception queue over HTTP, on both stores,
//! with the built-in workflow and rules (or files a test writes and edits).

mod common;

use std::path::Path;

use common::{Backend, TestApp, example_with, fresh_store};
use ordo_app::MappingRegistry;
use ordo_app::policies::Policies;
use ordo_core::allocation::StockPolicy;
use serde_json::{Value, json};

macro_rules! reviewed_on_both_stores {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let app = super::spawn(super::Backend::Sqlite, dir.path()).await;
                    super::$name(app, dir.path()).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let dir = tempfile::tempdir().unwrap();
                    let app = super::spawn(super::Backend::Postgres, dir.path()).await;
                    super::$name(app, dir.path()).await;
                }
            )*
        }
    };
}

reviewed_on_both_stores!(
    the_default_workflow_runs_an_order_end_to_end,
    a_held_order_is_queued_with_its_reasons_and_approved,
    bulk_actions_report_each_order,
    an_edit_fixes_the_order_and_its_rules_run_again,
    a_broken_address_and_phone_are_repaired_and_recorded,
    a_rules_file_error_names_its_line_and_the_old_rules_stay,
    a_dry_run_shows_what_new_rules_would_hold_and_changes_nothing,
    what_an_order_lacks_holds_it_instead_of_refusing_it,
    a_transitions_actions_are_those_of_the_workflow_in_force,
);

/// An app over a fresh store, stock reserved when paid, reviewing under `dir/rules.toml`
/// (the built-in rules copied there, so a test can edit them).
async fn spawn(backend: Backend, dir: &Path) -> TestApp {
    let rules = dir.join("rules.toml");
    std::fs::write(&rules, ordo_workflow::rules::DEFAULT_RULES_TOML).unwrap();
    let policies = Policies::load(None, Some(rules)).unwrap();
    let app = common::spawn_reviewing(
        fresh_store(backend).await,
        Default::default(),
        StockPolicy::default(),
        MappingRegistry::load(None).unwrap(),
        Some(policies),
    )
    .await;
    stock(&app).await;
    app
}

async fn send(app: &TestApp, method: reqwest::Method, path: &str, body: impl Into<reqwest::Body>) -> (u16, Value) {
    let response = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .body(body)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn post(app: &TestApp, path: &str, body: Value) -> (u16, Value) {
    send(app, reqwest::Method::POST, path, body.to_string()).await
}

async fn stock(app: &TestApp) {
    let put = |path: String, body: Value| async move { send(app, reqwest::Method::PUT, &path, body.to_string()).await };
    assert_eq!(
        put("/api/v1/warehouses/HZ-01".into(), json!({"name": "Hangzhou"}))
            .await
            .0,
        200
    );
    for sku in ["TEE-RED-M", "MUG-01"] {
        assert_eq!(put(format!("/api/v1/skus/{sku}"), json!({"name": sku})).await.0, 200);
    }
    let changes = json!([
        {"warehouse": "HZ-01", "sku": "TEE-RED-M", "op": "receive", "quantity": 100},
        {"warehouse": "HZ-01", "sku": "MUG-01", "op": "receive", "quantity": 100},
    ]);
    assert_eq!(post(app, "/api/v1/stock/changes", changes).await.0, 200);
}

/// Posts the example order with changes; returns (id, status).
async fn order(app: &TestApp, change: impl FnOnce(&mut Value)) -> (String, String) {
    // A street number of its own, so that orders of one test are not likely duplicates
    // of each other (unless a test says otherwise).
    let body = example_with(|v| {
        change(v);
        if v["shipping_address"]["line1"] == "文三路 100 号" {
            let number = v["external_id"].as_str().unwrap_or_default().to_owned();
            v["shipping_address"]["line1"] = json!(format!("文三路 {number} 号"));
        }
    });
    let response = app.post_order(&app.admin, body).await;
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap();
    assert!(status == 201 || status == 200, "{body}");
    (
        body["id"].as_str().unwrap().to_owned(),
        body["status"].as_str().unwrap().to_owned(),
    )
}

async fn move_to(app: &TestApp, id: &str, to: &str, extra: Value) -> (u16, Value) {
    let mut body = json!({ "to": to });
    if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
        b.extend(e.clone());
    }
    post(app, &format!("/api/v1/orders/{id}/transitions"), body).await
}

async fn the_default_workflow_runs_an_order_end_to_end(app: TestApp, _: &Path) {
    let (id, status) = order(&app, |v| {
        v["external_id"] = json!("E2E-1");
        v["remark"] = Value::Null;
    })
    .await;
    assert_eq!(status, "allocated");
    // Skipping ahead is refused, naming where it can go.
    let (code, body) = move_to(&app, &id, "delivered", json!({})).await;
    assert_eq!(code, 409);
    assert_eq!(body["error"]["code"], "illegal_transition");
    let message = body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("sent_to_warehouse") && message.contains("shipped"),
        "{message}"
    );
    let steps = [
        ("sent_to_warehouse", json!({})),
        ("picking", json!({})),
        ("packed", json!({})),
        ("shipped", json!({"carrier": "SF", "tracking_number": "SF1234567890"})),
        ("in_transit", json!({})),
        ("delivered", json!({})),
        ("completed", json!({})),
    ];
    for (to, extra) in steps {
        let (code, body) = move_to(&app, &id, to, extra).await;
        assert_eq!(code, 200, "to {to}: {body}");
        assert_eq!(body["status"], to);
    }
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    let kinds: Vec<&str> = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds.iter().filter(|k| **k == "order.transitioned").count(),
        6,
        "{kinds:?}"
    );
    assert!(kinds.contains(&"order.shipped"));
    // The shipment's tracking went to the channel's outbox.
    let (_, outbox) = app.get_json(&app.admin, "/api/v1/outbox?topic=channel.tracking").await;
    assert!(outbox.to_string().contains("SF1234567890"), "{outbox}");
    // Cancelling needs a reason from a person.
    let (id, _) = order(&app, |v| {
        v["external_id"] = json!("E2E-2");
        v["remark"] = Value::Null;
    })
    .await;
    let (code, body) = move_to(&app, &id, "cancelled", json!({})).await;
    assert_eq!((code, body["error"]["code"].as_str()), (409, Some("reason_required")));
    let (code, _) = move_to(&app, &id, "cancelled", json!({"reason": "buyer asked"})).await;
    assert_eq!(code, 200);
}

async fn a_held_order_is_queued_with_its_reasons_and_approved(app: TestApp, _: &Path) {
    // The example carries a remark, which the built-in rules hold for a person.
    let (id, status) = order(&app, |v| v["external_id"] = json!("H-1")).await;
    assert_eq!(status, "on_hold");
    let (_, queue) = app.get_json(&app.admin, "/api/v1/exceptions").await;
    let item = &queue["items"][0];
    assert_eq!(item["order"]["id"], json!(id));
    assert_eq!(item["reason"], "review");
    assert_eq!(item["holds"][0]["reasons"][0]["code"], "remark_present");
    assert!(item["age_minutes"].as_i64().unwrap() >= 0);
    assert_eq!(item["overdue"], false);
    assert!(!item["suggestions"].as_array().unwrap().is_empty(), "{item}");
    // A held order cannot go to the warehouse.
    let (code, _) = move_to(&app, &id, "sent_to_warehouse", json!({})).await;
    assert_eq!(code, 409);
    let (code, body) = post(
        &app,
        &format!("/api/v1/exceptions/{id}/approve"),
        json!({"reason": "remark read"}),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "allocated");
    let (_, queue) = app.get_json(&app.admin, "/api/v1/exceptions").await;
    assert_eq!(queue["items"], json!([]));
    let (code, _) = move_to(&app, &id, "sent_to_warehouse", json!({})).await;
    assert_eq!(code, 200);
}

async fn bulk_actions_report_each_order(app: TestApp, _: &Path) {
    let (a, _) = order(&app, |v| v["external_id"] = json!("B-1")).await;
    let (b, _) = order(&app, |v| v["external_id"] = json!("B-2")).await;
    let (c, status) = order(&app, |v| {
        v["external_id"] = json!("B-3");
        v["remark"] = Value::Null;
    })
    .await;
    assert_eq!(status, "allocated");
    let body = json!({"action": "approve", "order_ids": [a, b, c, "nope"], "reason": "checked"});
    let (code, results) = post(&app, "/api/v1/exceptions/bulk", body).await;
    assert_eq!(code, 200);
    assert_eq!(results[0]["status"], "allocated");
    assert_eq!(results[1]["status"], "allocated");
    assert_eq!(results[2]["error"], "illegal_transition", "{results}");
    assert_eq!(results[3]["error"], "invalid_parameter");
    let body = json!({"action": "cancel", "order_ids": [a, b], "reason": "fraud"});
    let (_, results) = post(&app, "/api/v1/exceptions/bulk", body).await;
    assert_eq!(results[0]["status"], "cancelled");
    assert_eq!(results[1]["status"], "cancelled");
}

async fn an_edit_fixes_the_order_and_its_rules_run_again(app: TestApp, _: &Path) {
    let (id, status) = order(&app, |v| {
        v["external_id"] = json!("ED-1");
        v["remark"] = json!("好评返现 please");
    })
    .await;
    assert_eq!(status, "on_hold");
    let patch = json!({"remark": null, "shipping_address": {"line1": "文三路 200 号"}});
    let (code, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orders/{id}"),
        patch.to_string(),
    )
    .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["status"], "allocated");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    assert_eq!(record["order"]["shipping_address"]["line1"], "文三路 200 号");
    let edited = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.edited")
        .unwrap();
    assert_eq!(edited["data"]["changes"]["remark"]["before"], "好评返现 please");
    // An edit that breaks the order is refused with the field named.
    let patch = json!({"shipping_address": {"country": "C1"}});
    let (code, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orders/{id}"),
        patch.to_string(),
    )
    .await;
    assert_eq!(code, 422, "{body}");
    assert!(body.to_string().contains("shipping_address.country"), "{body}");
}

async fn a_broken_address_and_phone_are_repaired_and_recorded(app: TestApp, _: &Path) {
    let (id, status) = order(&app, |v| {
        v["external_id"] = json!("R-1");
        v["remark"] = Value::Null;
        v["shipping_address"] = json!({
            "name": "王小明 ", "phone": "+86 138-0013-8000", "country": "China",
            "line1": "浙江杭州西湖区文三路 100 号"
        });
    })
    .await;
    assert_eq!(status, "allocated");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    let address = &record["order"]["shipping_address"];
    assert_eq!(address["country"], "CN");
    assert_eq!(address["province"], "浙江省");
    assert_eq!(address["city"], "杭州市");
    assert_eq!(address["district"], "西湖区");
    assert_eq!(address["name"], "王小明");
    let repaired = record["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.repaired")
        .unwrap();
    let fields: Vec<&str> = repaired["data"]["repairs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["field"].as_str().unwrap())
        .collect();
    assert!(fields.contains(&"shipping_address.province"), "{fields:?}");
    assert!(fields.contains(&"shipping_address.country"), "{fields:?}");
    // The inbox keeps the body as it came.
    let (_, inbox) = app.get_json(&app.admin, "/api/v1/inbox?limit=1").await;
    let entry = inbox["items"][0]["id"].as_str().unwrap();
    let (_, entry) = app.get_json(&app.admin, &format!("/api/v1/inbox/{entry}")).await;
    assert!(entry.to_string().contains("浙江杭州西湖区"), "{entry}");
}

async fn a_rules_file_error_names_its_line_and_the_old_rules_stay(app: TestApp, dir: &Path) {
    let broken = format!(
        "{}\n[[rule]]\nname = \"typo\"\nkind = \"remark_presnt\"\noutcome = \"hold\"\n",
        ordo_workflow::rules::DEFAULT_RULES_TOML
    );
    std::fs::write(dir.join("rules.toml"), &broken).unwrap();
    let (code, body) = post(&app, "/api/v1/policies/reload", json!({})).await;
    assert_eq!(code, 422);
    assert_eq!(body["error"]["code"], "invalid_config");
    let line = broken.lines().position(|l| l.contains("remark_presnt")).unwrap() + 1;
    let message = body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&format!("rules.toml:{line}:")), "{message}");
    let (_, rules) = app.get_json(&app.admin, "/api/v1/rules").await;
    assert!(
        rules["problem"]["errors"][0]
            .as_str()
            .unwrap()
            .contains("remark_presnt")
    );
    // The old rules still hold remarks.
    let (_, status) = order(&app, |v| v["external_id"] = json!("K-1")).await;
    assert_eq!(status, "on_hold");
    // Fixed, with the remark rule turned off: remarks pass.
    let fixed = ordo_workflow::rules::DEFAULT_RULES_TOML.replace(
        "kind = \"remark_present\"\noutcome = \"hold\"",
        "kind = \"remark_present\"\noutcome = \"hold\"\nenabled = false",
    );
    std::fs::write(dir.join("rules.toml"), fixed).unwrap();
    assert_eq!(post(&app, "/api/v1/policies/reload", json!({})).await.0, 200);
    let (_, status) = order(&app, |v| v["external_id"] = json!("K-2")).await;
    assert_eq!(status, "allocated");
}

async fn a_dry_run_shows_what_new_rules_would_hold_and_changes_nothing(app: TestApp, _: &Path) {
    let (plain, _) = order(&app, |v| {
        v["external_id"] = json!("DR-1");
        v["remark"] = Value::Null;
    })
    .await;
    let (held, _) = order(&app, |v| v["external_id"] = json!("DR-2")).await;
    let candidate = format!(
        "[[rule]]\nname = \"big-mugs\"\nkind = \"sku_excluded\"\nskus = [\"MUG-01\"]\noutcome = \"hold\"\n\n{}",
        ordo_workflow::rules::DEFAULT_RULES_TOML.replace(
            "kind = \"remark_present\"\noutcome = \"hold\"",
            "kind = \"remark_present\"\noutcome = \"flag\"",
        )
    );
    let response = app
        .client
        .post(app.url("/api/v1/rules/dry-run"))
        .bearer_auth(&app.admin)
        .body(candidate)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let report: Value = response.json().await.unwrap();
    assert_eq!(report["orders_checked"], 2, "{report}");
    assert_eq!(report["would_hold"][0]["order_id"], json!(plain), "{report}");
    assert_eq!(report["would_hold"][0]["hits"][0]["rule"], "big-mugs");
    // The held order stays held under the candidate (its mug), so it is not released.
    assert_eq!(report["would_release"], json!([]), "{report}");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{plain}")).await;
    assert_eq!(record["status"], "allocated");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{held}")).await;
    assert_eq!(record["status"], "on_hold");
    // A candidate with an error is refused with its location.
    let response = app
        .client
        .post(app.url("/api/v1/rules/dry-run"))
        .bearer_auth(&app.admin)
        .body("[[rule]]\nname = \"x\"\nkind = \"remark_present\"\noutcome = \"maybe\"\n")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 422);
    let body: Value = response.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("body:4:"), "{body}");
}

async fn what_an_order_lacks_holds_it_instead_of_refusing_it(app: TestApp, _: &Path) {
    // No address on goods that ship: stored, held for the address, and released by an edit.
    let (id, status) = order(&app, |v| {
        v["external_id"] = json!("NA-1");
        v.as_object_mut().unwrap().remove("remark");
        v.as_object_mut().unwrap().remove("shipping_address");
    })
    .await;
    assert_eq!(status, "on_hold");
    let (_, queue) = app.get_json(&app.admin, "/api/v1/exceptions").await;
    let reasons = &queue["items"][0]["holds"][0]["reasons"];
    assert_eq!(reasons[0]["code"], "address_missing", "{queue}");
    assert_eq!(reasons[0]["field"], "shipping_address");
    let address =
        json!({"name": "王小明", "country": "CN", "province": "浙江省", "city": "杭州市", "line1": "文三路 7 号"});
    let (code, body) = send(
        &app,
        reqwest::Method::PATCH,
        &format!("/api/v1/orders/{id}"),
        json!({ "shipping_address": address }).to_string(),
    )
    .await;
    assert_eq!((code, body["status"].as_str()), (200, Some("allocated")), "{body}");

    // Digital goods need no address and pass.
    let (_, status) = order(&app, |v| {
        v["external_id"] = json!("NA-2");
        v.as_object_mut().unwrap().remove("remark");
        v.as_object_mut().unwrap().remove("shipping_address");
        for line in v["lines"].as_array_mut().unwrap() {
            line["requires_shipping"] = json!(false);
        }
    })
    .await;
    assert_ne!(status, "on_hold");

    // A stated total that the parts do not reach is kept with both figures and held.
    let (id, status) = order(&app, |v| {
        v["external_id"] = json!("TM-1");
        v.as_object_mut().unwrap().remove("remark");
        v["total"] = json!("199.00");
    })
    .await;
    assert_eq!(status, "on_hold");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}")).await;
    assert_eq!(record["totals"]["total"], "198.00");
    assert_eq!(record["totals"]["stated_total"], "199.00");
    assert_eq!(record["totals"]["total_difference"], "1.00");
    assert_eq!(record["order"]["total"], "199.00");
    let (_, queue) = app.get_json(&app.admin, "/api/v1/exceptions").await;
    let item = queue["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|i| i["order"]["id"] == json!(id))
        .unwrap();
    assert_eq!(item["holds"][0]["reasons"][0]["code"], "total_mismatch", "{item}");
}

/// Every feed event of the tenant so far.
async fn feed(app: &TestApp) -> Vec<Value> {
    let mut events = Vec::new();
    loop {
        let after = events.last().map_or(0, |e: &Value| e["seq"].as_i64().unwrap());
        let (_, page) = app
            .get_json(&app.admin, &format!("/api/v1/feed?after={after}&limit=500"))
            .await;
        let page = page.as_array().cloned().unwrap_or_default();
        if page.is_empty() {
            return events;
        }
        events.extend(page);
    }
}

/// The `customer.notification` feed events about an order.
async fn notices(app: &TestApp, id: &str) -> Vec<Value> {
    feed(app)
        .await
        .into_iter()
        .filter(|e| e["kind"] == "customer.notification" && e["data"]["order_id"] == id)
        .map(|e| e["data"].clone())
        .collect()
}

/// The outbox messages of a topic about the order with this external id.
async fn outbox(app: &TestApp, topic: &str, external_id: &str) -> Vec<Value> {
    let (_, messages) = app
        .get_json(&app.admin, &format!("/api/v1/outbox?topic={topic}&limit=500"))
        .await;
    messages
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["payload"]["external_order_id"] == external_id)
        .map(|m| m["payload"].clone())
        .collect()
}

/// Units an order has reserved, over every SKU and warehouse.
async fn reserved(app: &TestApp, id: &str) -> i64 {
    let (_, stock) = app.get_json(&app.admin, &format!("/api/v1/orders/{id}/stock")).await;
    stock["allocations"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["reserved"].as_i64().unwrap())
        .sum()
}

/// An order without a remark (so the built-in rules let it through), allocated.
async fn allocated(app: &TestApp, external_id: &str) -> String {
    let (id, status) = order(app, |v| {
        v["external_id"] = json!(external_id);
        v["remark"] = Value::Null;
    })
    .await;
    assert_eq!(status, "allocated", "{external_id}");
    id
}

async fn a_transitions_actions_are_those_of_the_workflow_in_force(app: TestApp, _: &Path) {
    let reason = json!({"reason": "buyer asked"});
    // The built-in cancel releases, tells the buyer and tells the channel.
    let a = allocated(&app, "ACT-1").await;
    let (code, body) = move_to(&app, &a, "cancelled", reason.clone()).await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(reserved(&app, &a).await, 0);
    assert_eq!(outbox(&app, "channel.cancel", "ACT-1").await.len(), 1);
    let told = notices(&app, &a).await;
    assert_eq!(told.len(), 1, "{told:?}");
    assert_eq!(
        (told[0]["template"].as_str(), told[0]["transition"].as_str()),
        (Some("cancelled"), Some("cancel"))
    );
    // The built-in hold keeps the order's stock.
    let held = allocated(&app, "ACT-2").await;
    assert_eq!(move_to(&app, &held, "on_hold", reason.clone()).await.0, 200);
    assert!(reserved(&app, &held).await > 0);

    // The tenant's own workflow: cancelling tells nobody, holding releases the stock, a
    // shipment's tracking stays in Ordo, and a delivery is written back instead of told.
    let workflow = ordo_workflow::workflow::DEFAULT_WORKFLOW_TOML
        .replace(
            "actions = [\"release\", \"notify\", \"write_back\"]",
            "actions = [\"release\"]",
        )
        .replace(
            "actions = [\"ship\", \"notify\", \"write_back\"]",
            "actions = [\"ship\", \"notify\"]",
        )
        .replace(
            "reason = \"required_for_users\"\ndescription = \"Stop the order",
            "actions = [\"release\"]\nreason = \"required_for_users\"\ndescription = \"Stop the order",
        )
        .replace(
            "actions = [\"notify\"]\ndescription = \"The parcel was delivered.\"",
            "actions = [\"write_back\"]\ndescription = \"The parcel was delivered.\"",
        );
    assert_eq!(workflow.matches("actions = [\"release\"]").count(), 2, "{workflow}");
    let (code, saved) = send(&app, reqwest::Method::PUT, "/api/v1/policies/workflow", workflow).await;
    assert_eq!(code, 200, "{saved}");

    let b = allocated(&app, "ACT-3").await;
    assert_eq!(move_to(&app, &b, "cancelled", reason.clone()).await.0, 200);
    assert_eq!(reserved(&app, &b).await, 0, "release still runs");
    assert_eq!(outbox(&app, "channel.cancel", "ACT-3").await, Vec::<Value>::new());
    assert_eq!(notices(&app, &b).await, Vec::<Value>::new());

    let c = allocated(&app, "ACT-4").await;
    let (code, body) = move_to(&app, &c, "on_hold", reason.clone()).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("on_hold")), "{body}");
    assert_eq!(reserved(&app, &c).await, 0, "the hold released the stock");
    let (_, record) = app.get_json(&app.admin, &format!("/api/v1/orders/{c}")).await;
    assert!(record.to_string().contains("order.stock_released"), "{record}");
    // Released from the hold, it reserves again.
    let (code, body) = move_to(&app, &c, "paid", json!({"reason": "checked"})).await;
    assert_eq!((code, body["status"].as_str()), (200, Some("allocated")), "{body}");
    assert!(reserved(&app, &c).await > 0);

    let d = allocated(&app, "ACT-5").await;
    for (to, extra) in [
        ("sent_to_warehouse", json!({})),
        ("shipped", json!({"carrier": "SF", "tracking_number": "SF-ACT-5"})),
        ("in_transit", json!({})),
        ("delivered", json!({})),
    ] {
        let (code, body) = move_to(&app, &d, to, extra).await;
        assert_eq!(code, 200, "to {to}: {body}");
    }
    assert_eq!(outbox(&app, "channel.tracking", "ACT-5").await, Vec::<Value>::new());
    let told: Vec<Value> = notices(&app, &d).await.iter().map(|n| n["template"].clone()).collect();
    assert_eq!(told, [json!("shipped")], "shipped is told, delivered no longer");
    let status = outbox(&app, "channel.status", "ACT-5").await;
    assert_eq!(status.len(), 1, "{status:?}");
    assert_eq!(
        (status[0]["status"].as_str(), status[0]["transition"].as_str()),
        (Some("delivered"), Some("deliver"))
    );
}
