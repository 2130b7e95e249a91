//! The exception queue (审单): tabs per reason, bulk actions over the selected rows and
//! over a whole tab, corrections through the API's edit, roles and tenants.

use reqwest::Method;
use serde_json::{Value, json};

use crate::console::{Node, Session, TOKEN, order};

/// Calls the API as the default tenant's admin.
async fn api(node: &Node, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = node
        .http
        .request(method, format!("{}{path}", node.server.base))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::String(text)))
}

/// A warehouse and the example's two SKUs in the catalogue, none of them stocked: an
/// order with no remark then waits for stock with no open hold (the `stock` tab), and one
/// with a remark is held by the review rules (the `review` tab).
async fn catalogue(node: &Node) {
    let (status, body) = api(
        node,
        Method::PUT,
        "/api/v1/warehouses/HZ-01",
        Some(json!({"name": "杭州仓"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    for sku in ["TEE-RED-M", "MUG-01"] {
        let (status, body) = api(
            node,
            Method::PUT,
            &format!("/api/v1/skus/{sku}"),
            Some(json!({"name": sku})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
}

/// The example order with its own number, buyer and address (so it is nobody's likely
/// duplicate), with the buyer's remark or without.
async fn held(node: &Node, external_id: &str, n: usize, remark: bool) -> String {
    let mut o = order(external_id);
    o["buyer"]["id"] = json!(format!("buyer-{external_id}"));
    o["buyer"]["email"] = json!(format!("{}@example.com", external_id.to_lowercase()));
    o["buyer"]["phone"] = json!(format!("+86 139 0000 {n:04}"));
    o["shipping_address"]["phone"] = json!(format!("1390000{n:04}"));
    o["shipping_address"]["line1"] = json!(format!("文三路 {n} 号"));
    if !remark {
        o["remark"] = Value::Null;
    }
    let placed = node.post_order(&o).await;
    assert_eq!(placed["status"], "on_hold", "{placed}");
    placed["id"].as_str().unwrap().to_owned()
}

/// The ids of the queue's orders of one reason, as the API lists them.
async fn queue(node: &Node, kind: &str) -> Vec<String> {
    let (status, body) = api(node, Method::GET, &format!("/api/v1/exceptions?kind={kind}"), None).await;
    assert_eq!(status, 200, "{body}");
    body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["order"]["id"].as_str().unwrap().to_owned())
        .collect()
}

/// The count on a tab of a queue page.
fn tab_count(page: &str, kind: &str) -> usize {
    let tab = page
        .split(&format!("data-tab=\"{kind}\""))
        .nth(1)
        .unwrap_or_else(|| panic!("no {kind} tab"));
    let count = tab.split("data-count=\"").nth(1).unwrap();
    count[..count.find('"').unwrap()].parse().unwrap()
}

async fn bulk(session: &Session, form: &[(&str, &str)]) -> (u16, String) {
    let response = session.post("/exceptions/bulk", form).await;
    (response.status().as_u16(), response.text().await.unwrap())
}

#[tokio::test]
async fn the_queue_has_a_tab_per_reason_with_its_count_in_both_languages() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    node.create_user("default", "li", "operator", "zh-CN");
    node.create_user("default", "vic", "viewer", "en");
    catalogue(&node).await;
    for n in 0..2 {
        held(&node, &format!("REV-{n}"), n, true).await;
    }
    for n in 2..5 {
        held(&node, &format!("STK-{n}"), n, false).await;
    }

    let ana = node.sign_in("ana").await;
    let page = ana.page("/exceptions").await;
    assert!(
        page.contains("<html lang=\"en\">") && page.contains("Review rules"),
        "{page}"
    );
    assert_eq!(tab_count(&page, "review"), 2);
    assert_eq!(tab_count(&page, "stock"), 3);
    assert_eq!(tab_count(&page, "manual"), 0);
    // No tab asked for: the first reason with orders waiting.
    assert!(page.contains("data-tab=\"review\" class=\"on\""), "{page}");
    assert_eq!(page.matches("data-row").count(), 2);
    assert!(page.contains("REV-0") && !page.contains("STK-2"));
    assert!(page.contains("data-hit=\"remark_present\"") && page.contains("data-suggestion"));
    assert!(page.contains("data-sla=\"sla-ok\""), "just held: well within the SLA");
    assert!(page.contains("data-scope=\"all\"") && page.contains("data-confirm="));
    assert!(page.contains("hx-get=\"/exceptions/") && page.contains("data-correct"));

    let li = node.sign_in("li").await;
    let stock = li.page("/exceptions?kind=stock").await;
    assert!(
        stock.contains("<html lang=\"zh-CN\">") && stock.contains("审单"),
        "{stock}"
    );
    assert_eq!(stock.matches("data-row").count(), 3);
    assert!(stock.contains("等待到货") && stock.contains("STK-4"));
    assert!(
        stock.contains("hx-vals='{\"scope\": \"all\", \"expected\": \"3\"}'"),
        "{stock}"
    );

    let bad = ana.get("/exceptions?kind=everything").await;
    assert_eq!(bad.status(), 400);

    let viewer = node.sign_in("vic").await;
    let seen = viewer.page("/exceptions").await;
    assert!(seen.contains("REV-1"), "a viewer reads the queue");
    assert!(
        !seen.contains("/exceptions/bulk") && !seen.contains("data-correct") && !seen.contains("name=\"order_ids\""),
        "and sees no action controls"
    );
}

#[tokio::test]
async fn bulk_approve_over_the_selected_orders_gives_one_result_per_order() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    catalogue(&node).await;
    let a = held(&node, "SEL-1", 1, true).await;
    let b = held(&node, "SEL-2", 2, true).await;
    let c = held(&node, "SEL-3", 3, true).await;
    let session = node.sign_in("ana").await;

    let (status, results) = bulk(
        &session,
        &[
            ("action", "approve"),
            ("scope", "selected"),
            ("order_ids", &a),
            ("order_ids", &b),
            ("order_ids", "not-an-order"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results.matches("data-result=").count(), 3, "{results}");
    for id in [&a, &b] {
        let row = results.split(&format!("data-result=\"{id}\"")).nth(1).unwrap();
        let row = &row[..row.find("</tr>").unwrap()];
        // The remark is read; with no stock the order goes back to waiting for it.
        assert!(row.contains("data-status=\"on_hold\""), "{row}");
    }
    assert!(results.contains("data-code=\"invalid_parameter\""));
    assert!(!results.contains(&c));
    assert_eq!(queue(&node, "review").await, vec![c.clone()]);
    let stock = queue(&node, "stock").await;
    assert!(stock.contains(&a) && stock.contains(&b) && stock.len() == 2);

    let (status, _) = bulk(&session, &[("action", "approve"), ("scope", "selected")]).await;
    assert_eq!(status, 400, "nothing selected");
}

#[tokio::test]
async fn all_matching_acts_on_exactly_the_orders_of_the_tab_and_no_more_than_confirmed() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    catalogue(&node).await;
    let mut review = Vec::new();
    for n in 0..3 {
        review.push(held(&node, &format!("ALLR-{n}"), n, true).await);
    }
    let mut stock = Vec::new();
    for n in 3..7 {
        stock.push(held(&node, &format!("ALLS-{n}"), n, false).await);
    }
    let session = node.sign_in("ana").await;
    let page = session.page("/exceptions?kind=stock").await;
    assert_eq!(tab_count(&page, "stock"), 4);

    let (status, results) = bulk(
        &session,
        &[
            ("action", "cancel"),
            ("scope", "all"),
            ("kind", "stock"),
            ("expected", "4"),
            ("reason", "sold out"),
            // Selected rows do not matter when the whole tab is meant.
            ("order_ids", &review[0]),
        ],
    )
    .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results.matches("data-result=").count(), 4, "{results}");
    assert_eq!(results.matches("data-status=\"cancelled\"").count(), 4, "{results}");
    for id in &stock {
        assert!(results.contains(&format!("data-result=\"{id}\"")));
    }
    assert!(queue(&node, "stock").await.is_empty());
    assert_eq!(queue(&node, "review").await.len(), 3, "the other tab is untouched");

    // Fewer confirmed than the tab holds now (say, orders held since the page was shown):
    // only as many as confirmed, the longest waiting first.
    let (status, results) = bulk(
        &session,
        &[
            ("action", "cancel"),
            ("scope", "all"),
            ("kind", "review"),
            ("expected", "2"),
            ("reason", "fraud"),
        ],
    )
    .await;
    assert_eq!(status, 200, "{results}");
    assert_eq!(results.matches("data-result=").count(), 2, "{results}");
    assert_eq!(queue(&node, "review").await, vec![review[2].clone()]);

    let (status, _) = bulk(&session, &[("action", "cancel"), ("scope", "all"), ("kind", "review")]).await;
    assert_eq!(status, 400, "the count the person confirmed is required");
}

#[tokio::test]
async fn a_phone_is_corrected_and_refused_exactly_as_the_apis_edit_does() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    catalogue(&node).await;
    let mine = held(&node, "FIX-1", 1, true).await;
    let theirs = held(&node, "FIX-2", 2, true).await;
    let session = node.sign_in("ana").await;

    let form = session.page(&format!("/exceptions/{mine}/edit")).await;
    // As ingestion repaired it.
    assert!(
        form.contains("name=\"shipping_address.phone\" value=\"+8613900000001\""),
        "{form}"
    );
    assert!(form.contains("name=\"lines[0].sku\" value=\"TEE-RED-M\""), "{form}");

    // A control character: refused, with the API's codes, next to the field.
    let bad = "139\u{7}0000";
    let response = session
        .post(&format!("/exceptions/{mine}/edit"), &[("shipping_address.phone", bad)])
        .await;
    assert_eq!(response.status(), 422);
    let refused = response.text().await.unwrap();
    let (status, answer) = api(
        &node,
        Method::PATCH,
        &format!("/api/v1/orders/{theirs}"),
        Some(json!({"shipping_address": {"phone": bad}})),
    )
    .await;
    assert_eq!(status, 422);
    let code = answer["error"]["code"].as_str().unwrap();
    let detail = &answer["error"]["details"][0];
    assert!(refused.contains(&format!("data-code=\"{code}\"")), "{refused}");
    assert!(
        refused.contains(&format!(
            "data-field=\"{}\" data-code=\"{}\"",
            detail["field"].as_str().unwrap(),
            detail["code"].as_str().unwrap()
        )),
        "{refused}"
    );
    assert!(refused.contains("aria-invalid=\"true\""));

    // Spaces around the number: stored as the API stores the same text.
    let typed = "  +86 139-0000-0009  ";
    let response = session
        .post(
            &format!("/exceptions/{mine}/edit"),
            &[("shipping_address.phone", typed), ("shipping_address.city", "杭州市")],
        )
        .await;
    assert_eq!(response.status(), 200);
    let saved = response.text().await.unwrap();
    assert!(
        saved.contains("data-saved") && saved.contains("data-status=\"on_hold\""),
        "{saved}"
    );
    let (status, _) = api(
        &node,
        Method::PATCH,
        &format!("/api/v1/orders/{theirs}"),
        Some(json!({"shipping_address": {"phone": typed}})),
    )
    .await;
    assert_eq!(status, 200);
    let (_, mine_now) = api(&node, Method::GET, &format!("/api/v1/orders/{mine}"), None).await;
    let (_, theirs_now) = api(&node, Method::GET, &format!("/api/v1/orders/{theirs}"), None).await;
    let phone = &mine_now["order"]["shipping_address"]["phone"];
    assert_eq!(phone, &theirs_now["order"]["shipping_address"]["phone"]);
    assert_eq!(phone, "+86 139-0000-0009");
    assert!(
        saved.contains("value=\"+86 139-0000-0009\""),
        "the form shows what is stored"
    );
    let edited = mine_now["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "order.edited")
        .expect("the edit is on the timeline");
    assert_eq!(
        edited["data"]["changes"]
            .as_object()
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["shipping_address"],
        "only what changed: {edited}"
    );

    // A SKU the catalogue does not know, put right: the rules run again and let it go on
    // to wait for stock. An empty one is refused with the API's code.
    let mut o = order("FIX-3");
    o["remark"] = Value::Null;
    o["buyer"]["id"] = json!("buyer-fix-3");
    o["shipping_address"]["line1"] = json!("文一路 3 号");
    o["lines"][1]["sku"] = json!("MUG-1");
    let unknown = node.post_order(&o).await["id"].as_str().unwrap().to_owned();
    assert_eq!(
        queue(&node, "review").await.iter().filter(|i| **i == unknown).count(),
        1
    );
    let response = session
        .post(&format!("/exceptions/{unknown}/edit"), &[("lines[1].sku", " ")])
        .await;
    assert_eq!(response.status(), 422);
    let refused = response.text().await.unwrap();
    let (status, answer) = api(
        &node,
        Method::PATCH,
        &format!("/api/v1/orders/{theirs}"),
        Some(json!({"lines": [{"sku": "TEE-RED-M", "quantity": 2, "unit_price": "79.00"}, {"sku": " ", "quantity": 1, "unit_price": "35.50"}]})),
    )
    .await;
    assert_eq!(status, 422);
    let code = answer["error"]["code"].as_str().unwrap();
    assert!(
        refused.contains(&format!("data-code=\"{code}\"")) && refused.contains("lines[1].sku"),
        "{refused}"
    );
    let response = session
        .post(&format!("/exceptions/{unknown}/edit"), &[("lines[1].sku", "MUG-01")])
        .await;
    assert_eq!(response.status(), 200);
    assert!(!queue(&node, "review").await.contains(&unknown));
    assert!(queue(&node, "stock").await.contains(&unknown));
}

#[tokio::test]
async fn a_viewer_is_refused_every_change_and_another_tenant_sees_none_of_the_queue() {
    let node = Node::start().await;
    node.create_user("default", "vic", "viewer", "en");
    node.create_user("globex", "gus", "admin", "en");
    catalogue(&node).await;
    let id = held(&node, "OWN-1", 1, true).await;

    let viewer = node.sign_in("vic").await;
    for form in [
        vec![("action", "approve"), ("order_ids", id.as_str())],
        vec![
            ("action", "cancel"),
            ("scope", "all"),
            ("kind", "review"),
            ("expected", "1"),
        ],
    ] {
        let (status, _) = bulk(&viewer, &form).await;
        assert_eq!(status, 403);
    }
    let edit = viewer
        .post(&format!("/exceptions/{id}/edit"), &[("shipping_address.phone", "1")])
        .await;
    assert_eq!(edit.status(), 403);
    assert_eq!(viewer.get(&format!("/exceptions/{id}/edit")).await.status(), 403);
    assert_eq!(queue(&node, "review").await, vec![id.clone()], "nothing changed");

    let other = node.sign_in("gus").await;
    let page = other.page("/exceptions").await;
    assert!(!page.contains("OWN-1") && !page.contains(&id));
    assert_eq!(tab_count(&page, "review"), 0);
    let (status, results) = bulk(&other, &[("action", "cancel"), ("order_ids", &id), ("reason", "x")]).await;
    assert_eq!(status, 200);
    assert!(results.contains("data-code=\"not_found\""), "{results}");
    let (status, results) = bulk(
        &other,
        &[
            ("action", "cancel"),
            ("scope", "all"),
            ("kind", "review"),
            ("expected", "5"),
            ("reason", "x"),
        ],
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(results.matches("data-result=").count(), 0, "{results}");
    assert_eq!(other.get(&format!("/exceptions/{id}/edit")).await.status(), 404);
    assert_eq!(queue(&node, "review").await, vec![id]);
}
