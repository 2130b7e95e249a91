//! After-sales in Chromium: a return opened from the order page, approved, received one
//! unit to the shelf and one written off, refunded with the amount Ordo computes, and the
//! order's paid, refunded and net; a viewer finds no button that changes a case.

use serde_json::{Value, json};

use crate::Browser;
use crate::console::{Node, TOKEN, order};

/// Sends `body` to the API as the default tenant's admin; fails unless it succeeds.
async fn api(node: &Node, method: reqwest::Method, path: &str, body: Value) -> Value {
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

/// The example order (2 × TEE-RED-M at 79.00, 1 × MUG-01 at 35.50 less 5.50, 10.00
/// shipping: 198.00 paid), stocked at HZ-01 and shipped from there; its id.
async fn shipped_order(node: &Node, external_id: &str) -> String {
    use reqwest::Method;
    api(node, Method::PUT, "/api/v1/warehouses/HZ-01", json!({"name": "杭州仓"})).await;
    for sku in ["TEE-RED-M", "MUG-01"] {
        api(node, Method::PUT, &format!("/api/v1/skus/{sku}"), json!({"name": sku})).await;
        let change = json!({"warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": 10, "reason": "opening"});
        api(node, Method::POST, "/api/v1/stock/changes", json!([change])).await;
    }
    let mut body = order(external_id);
    // A remark would hold the order for review; this one goes straight to its warehouse.
    body.as_object_mut().unwrap().remove("remark");
    let placed = node.post_order(&body).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let shipped = api(node, Method::POST, &format!("/api/v1/orders/{id}/ship"), json!({})).await;
    assert_eq!(shipped["status"], "shipped", "{shipped}");
    id
}

/// Clears a field and types `text` into it.
async fn fill(browser: &Browser, css: &str, text: &str) {
    let input = browser.wait_for(css).await;
    input.clear().await.unwrap();
    input.send_keys(text).await.unwrap();
}

async fn click(browser: &Browser, css: &str) {
    browser.wait_for(css).await.click().await.unwrap();
}

#[tokio::test]
async fn aftersales_an_operator_returns_two_units_restocks_one_writes_one_off_and_refunds_the_computed_amount() {
    let node = Node::start().await;
    node.create_user("default", "ola", "operator", "en");
    let order_id = shipped_order(&node, "RET-1").await;
    let Some(browser) = Browser::start().await else { return };
    let base = &node.server.base;
    browser.sign_in(base, "ola").await;

    // Open a return of both shirts from the order page.
    browser.client.goto(&format!("{base}/orders/{order_id}")).await.unwrap();
    assert!(browser.text_of("[data-net]").await.contains("198.00"));
    click(&browser, "[data-open-case] summary").await;
    browser
        .wait_for("[data-open-form] select[name=kind]")
        .await
        .select_by_value("return_refund")
        .await
        .unwrap();
    fill(&browser, "[data-open-form] input[name=reason]", "too small").await;
    fill(&browser, "[data-open-line='TEE-RED-M']", "2").await;
    click(&browser, "[data-open-submit]").await;
    browser.wait_for("[data-case-status=requested]").await;
    let url = browser.client.current_url().await.unwrap();
    assert!(url.path().starts_with("/aftersales/"), "the new case opens: {url}");

    // Approve: the goods are now expected back.
    click(&browser, "[data-move=approve]").await;
    browser.wait_for("[data-case-status=awaiting_return]").await;
    assert_eq!(browser.count("[data-move=approve]").await, 0, "approved once");

    // One shirt back on the shelf where it shipped from, one written off.
    let warehouse = browser.wait_for("select[name='r0.warehouse']").await;
    assert_eq!(warehouse.prop("value").await.unwrap().as_deref(), Some("HZ-01"));
    fill(&browser, "input[name='r0.quantity']", "1").await;
    browser
        .wait_for("select[name='r0.disposition']")
        .await
        .select_by_value("restock")
        .await
        .unwrap();
    fill(&browser, "input[name='r1.quantity']", "1").await;
    browser
        .wait_for("select[name='r1.disposition']")
        .await
        .select_by_value("write_off")
        .await
        .unwrap();
    click(&browser, "[data-receive]").await;
    browser.wait_for("[data-case-status=received]").await;
    assert_eq!(
        browser.text_of("[data-line='TEE-RED-M'] [data-col=restocked]").await,
        "1"
    );
    assert_eq!(
        browser.text_of("[data-line='TEE-RED-M'] [data-col=written_off]").await,
        "1"
    );

    // Ordo computes both shirts (2 × 79.00); more than was paid is refused on the page.
    let due = browser.text_of("[data-refund-due]").await;
    assert!(due.contains("158.00"), "{due}");
    let amount = browser.wait_for("[data-refund-form] input[name=amount]").await;
    assert_eq!(amount.prop("value").await.unwrap().as_deref(), Some("158.00"));
    fill(&browser, "[data-refund-form] input[name=amount]", "999.00").await;
    click(&browser, "[data-refund]").await;
    let refused = browser.wait_for("#refund-result [data-code=refund_exceeds_paid]").await;
    assert!(
        refused.text().await.unwrap().contains("19800"),
        "the message says what is left"
    );
    fill(&browser, "[data-refund-form] input[name=amount]", "158.00").await;
    click(&browser, "[data-refund]").await;
    browser.wait_for("[data-case-status=refunded]").await;
    assert!(browser.text_of("[data-refund-amount]").await.contains("158.00"));

    // The order shows what went back and what is kept.
    click(&browser, "[data-order-link]").await;
    browser.wait_for("[data-payment]").await;
    assert!(browser.text_of("[data-paid]").await.contains("198.00"));
    assert!(browser.text_of("[data-refunded]").await.contains("158.00"));
    assert!(browser.text_of("[data-net]").await.contains("40.00"));
    let state = browser
        .wait_for("[data-payment]")
        .await
        .attr("data-refund-state")
        .await
        .unwrap();
    assert_eq!(state.as_deref(), Some("partly_refunded"));
    assert_eq!(browser.count("[data-order-cases] tr[data-case]").await, 1);

    // The queue lists it under refunded.
    browser.client.goto(&format!("{base}/aftersales")).await.unwrap();
    click(&browser, "[data-tab=refunded]").await;
    browser.wait_for("tr[data-row][data-status=refunded]").await;
    browser.close().await;
}

#[tokio::test]
async fn aftersales_a_viewer_reads_a_case_and_finds_no_button_that_changes_it() {
    let node = Node::start().await;
    node.create_user("default", "vera", "viewer", "en");
    let order_id = shipped_order(&node, "RET-2").await;
    let case = api(
        &node,
        reqwest::Method::POST,
        "/api/v1/aftersales",
        json!({"order_id": order_id, "kind": "return_refund", "lines": [{"sku": "MUG-01", "quantity": 1}]}),
    )
    .await;
    let case_id = case["id"].as_str().unwrap().to_owned();
    api(
        &node,
        reqwest::Method::POST,
        &format!("/api/v1/aftersales/{case_id}/approve"),
        json!({}),
    )
    .await;
    let Some(browser) = Browser::start().await else { return };
    let base = &node.server.base;
    browser.sign_in(base, "vera").await;

    browser.client.goto(&format!("{base}/aftersales")).await.unwrap();
    browser.wait_for(&format!("tr[data-row][data-case='{case_id}']")).await;
    browser
        .client
        .goto(&format!("{base}/aftersales/{case_id}"))
        .await
        .unwrap();
    browser.wait_for("[data-case-status=awaiting_return]").await;
    browser.wait_for("[data-timeline]").await;
    for form in [
        "[data-moves]",
        "[data-receipt-form]",
        "[data-refund-form]",
        "button[data-move]",
    ] {
        assert_eq!(browser.count(form).await, 0, "{form} is not shown to a viewer");
    }
    browser.client.goto(&format!("{base}/orders/{order_id}")).await.unwrap();
    browser.wait_for("[data-payment]").await;
    assert_eq!(browser.count("[data-open-case]").await, 0);
    assert_eq!(browser.count("[data-order-cases] tr[data-case]").await, 1);

    // The page's own token, the viewer's own cookie: the server refuses anyway.
    let script = r#"
        const done = arguments[arguments.length - 1];
        const token = JSON.parse(document.body.getAttribute('hx-headers'))['X-CSRF-Token'];
        fetch('/aftersales/' + arguments[0] + '/move', {method: 'POST',
          headers: {'content-type': 'application/x-www-form-urlencoded', 'x-csrf-token': token},
          body: 'action=cancel'}).then(r => done(r.status));
    "#;
    let status = browser
        .client
        .execute_async(script, vec![Value::from(case_id.clone())])
        .await
        .unwrap();
    assert_eq!(status, json!(403));
    browser.close().await;
}
