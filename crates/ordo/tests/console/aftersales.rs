//! After-sales over HTTP: the queue and its counts, an exchange opened on the order page
//! and approved in the console sending its own order as the API does, refusals answered
//! with their stable code and message, roles and tenants.

use reqwest::Method;
use serde_json::{Value, json};

use crate::console::{Node, Session, TOKEN, order};

/// Calls the API as the default tenant's admin; fails unless it succeeds.
async fn api(node: &Node, method: Method, path: &str, body: Value) -> Value {
    let response = node
        .http
        .request(method.clone(), format!("{}{path}", node.server.base))
        .bearer_auth(TOKEN)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer: Value = response.json().await.unwrap_or_default();
    assert!(status.is_success(), "{method} {path}: {status} {answer}");
    answer
}

/// The example order without its remark, stocked at HZ-01 and shipped; its id.
async fn shipped_order(node: &Node, external_id: &str) -> String {
    api(node, Method::PUT, "/api/v1/warehouses/HZ-01", json!({"name": "杭州仓"})).await;
    for sku in ["TEE-RED-M", "MUG-01"] {
        api(node, Method::PUT, &format!("/api/v1/skus/{sku}"), json!({"name": sku})).await;
        let change = json!({"warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": 10, "reason": "opening"});
        api(node, Method::POST, "/api/v1/stock/changes", json!([change])).await;
    }
    let mut body = order(external_id);
    body.as_object_mut().unwrap().remove("remark");
    let id = node.post_order(&body).await["id"].as_str().unwrap().to_owned();
    api(node, Method::POST, &format!("/api/v1/orders/{id}/ship"), json!({})).await;
    id
}

/// Opens a case from the order page's form; the new case's id, from where htmx is sent.
async fn open(session: &Session, order_id: &str, form: &[(&str, &str)]) -> String {
    let response = session.post(&format!("/orders/{order_id}/aftersales"), form).await;
    assert_eq!(response.status(), 204, "{}", response.text().await.unwrap());
    let to = response.headers()["hx-redirect"].to_str().unwrap().to_owned();
    to.strip_prefix("/aftersales/").unwrap().to_owned()
}

#[tokio::test]
async fn an_exchange_approved_in_the_console_sends_its_order_and_refusals_say_why() {
    let node = Node::start().await;
    node.create_user("default", "ola", "operator", "en");
    let order_id = shipped_order(&node, "EXC-1").await;
    let session = node.sign_in("ola").await;

    let page = session.page(&format!("/orders/{order_id}")).await;
    assert!(page.contains("data-open-form") && page.contains("data-paid=\"19800\""));
    let case = open(
        &session,
        &order_id,
        &[
            ("kind", "exchange"),
            ("reason", "wrong colour"),
            ("l0.sku", "TEE-RED-M"),
            ("l0.quantity", "1"),
            ("l1.sku", "MUG-01"),
            ("l1.quantity", "0"),
            ("exchange_sku", "TEE-RED-M"),
            ("exchange_quantity", ""),
        ],
    )
    .await;
    let queue = session.page("/aftersales").await;
    assert!(queue.contains("data-tab=\"requested\""));
    assert!(queue.contains(&format!("data-case=\"{case}\" data-status=\"requested\"")));
    assert!(queue.contains("data-count=\"1\""));

    let approved = session
        .post(&format!("/aftersales/{case}/move"), &[("action", "approve")])
        .await;
    assert_eq!(approved.status(), 204);
    assert_eq!(approved.headers()["hx-refresh"], "true");
    let view = api(&node, Method::GET, &format!("/api/v1/aftersales/{case}"), json!(null)).await;
    assert_eq!(view["status"], "awaiting_return");
    let sent = view["exchange_order_id"].as_str().expect("the exchange's order");
    let page = session.page(&format!("/aftersales/{case}")).await;
    assert!(page.contains(&format!("data-exchange-order=\"{sent}\"")), "{page}");
    assert!(page.contains("data-price-difference=\"0\""), "a shirt for a shirt");

    // Refusals come back with their code and message, for the page to show.
    let again = session
        .post(&format!("/aftersales/{case}/move"), &[("action", "approve")])
        .await;
    assert_eq!(again.status(), 409);
    let text = again.text().await.unwrap();
    assert!(
        text.contains("data-code=\"illegal_case_transition\"") && text.contains("awaiting_return"),
        "{text}"
    );
    let too_many = session
        .post(
            &format!("/aftersales/{case}/receive"),
            &[
                ("r0.sku", "TEE-RED-M"),
                ("r0.quantity", "2"),
                ("r0.disposition", "restock"),
                ("r0.warehouse", ""),
            ],
        )
        .await;
    assert_eq!(too_many.status(), 422);
    assert!(
        too_many
            .text()
            .await
            .unwrap()
            .contains("data-code=\"quantity_exceeded\"")
    );
    let nothing = session
        .post(
            &format!("/aftersales/{case}/receive"),
            &[("r0.sku", "TEE-RED-M"), ("r0.quantity", "0")],
        )
        .await;
    assert_eq!(nothing.status(), 400);
}

#[tokio::test]
async fn a_viewer_is_refused_every_change_and_another_tenant_sees_no_case() {
    let node = Node::start().await;
    node.create_user("default", "vic", "viewer", "en");
    node.create_user("globex", "gus", "admin", "en");
    let order_id = shipped_order(&node, "OWN-1").await;
    let case = api(
        &node,
        Method::POST,
        "/api/v1/aftersales",
        json!({"order_id": order_id, "kind": "refund_only", "lines": [{"sku": "MUG-01", "quantity": 1}]}),
    )
    .await["id"]
        .as_str()
        .unwrap()
        .to_owned();

    let viewer = node.sign_in("vic").await;
    let page = viewer.page(&format!("/aftersales/{case}")).await;
    assert!(!page.contains("data-moves") && !page.contains("data-refund-form"));
    for (path, form) in [
        (format!("/aftersales/{case}/move"), vec![("action", "cancel")]),
        (format!("/aftersales/{case}/refund"), vec![("amount", "1.00")]),
        (
            format!("/aftersales/{case}/receive"),
            vec![
                ("r0.sku", "MUG-01"),
                ("r0.quantity", "1"),
                ("r0.disposition", "restock"),
            ],
        ),
        (
            format!("/orders/{order_id}/aftersales"),
            vec![("kind", "refund_only"), ("l0.sku", "MUG-01"), ("l0.quantity", "1")],
        ),
    ] {
        assert_eq!(viewer.post(&path, &form).await.status(), 403, "{path}");
    }

    let other = node.sign_in("gus").await;
    assert_eq!(other.get(&format!("/aftersales/{case}")).await.status(), 404);
    let queue = other.page("/aftersales?status=all").await;
    assert!(!queue.contains(&case) && !queue.contains("OWN-1"));
    let refused = other
        .post(&format!("/aftersales/{case}/move"), &[("action", "cancel")])
        .await;
    assert_eq!(refused.status(), 404);
    let view = api(&node, Method::GET, &format!("/api/v1/aftersales/{case}"), json!(null)).await;
    assert_eq!(view["status"], "requested", "nothing changed");
}
