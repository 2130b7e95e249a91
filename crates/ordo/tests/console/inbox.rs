//! Inbox, outbox and alerts: failed payloads fixed and replayed, dead messages queued
//! again, low-stock alerts.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::console::{Node, TOKEN, order};

/// Posts an order the API refuses (and keeps in the inbox as failed); its error.
async fn post_invalid(node: &Node, body: &Value) -> Value {
    let response = node
        .http
        .post(format!("{}/api/v1/orders", node.server.base))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 422, "an invalid order is refused");
    response.json().await.unwrap()
}

/// An API call as the default tenant's admin; status and JSON.
async fn api(node: &Node, method: reqwest::Method, path: &str, body: Option<String>) -> (u16, Value) {
    let mut request = node
        .http
        .request(method, format!("{}{path}", node.server.base))
        .bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

#[tokio::test]
async fn a_failed_payload_shows_its_raw_body_and_error_and_an_edited_body_replays_into_an_order() {
    let node = Node::start().await;
    node.create_user("default", "ops", "operator", "en");
    node.create_user("default", "zh", "viewer", "zh-CN");
    node.create_user("globex", "outsider", "admin", "en");
    let mut bad = order("BAD-1");
    bad["lines"][0]["quantity"] = json!(0);
    let refused = post_invalid(&node, &bad).await;
    let id = refused["error"]["inbox_id"].as_str().unwrap().to_owned();
    let code = refused["error"]["code"].as_str().unwrap().to_owned();

    let ops = node.sign_in("ops").await;
    let list = ops.page("/inbox").await;
    assert!(list.contains("<html lang=\"en\">") && list.contains("Failed payloads"));
    assert!(
        list.contains(&format!("data-inbox=\"{id}\"")) && list.contains(&format!("data-code=\"{code}\"")),
        "the failed payload is listed with its error: {list}"
    );
    let entry = ops.page(&format!("/inbox/{id}")).await;
    assert!(entry.contains("data-raw-body") && entry.contains("BAD-1"), "{entry}");
    assert!(
        entry.contains(&format!("data-code=\"{code}\"")) && entry.contains("lines[0].quantity"),
        "the error, field by field: {entry}"
    );
    assert!(entry.contains("data-replay"), "an operator may fix and replay it");

    // Still wrong: refused, and the correction is kept.
    let still_bad = serde_json::to_string(&bad).unwrap();
    let answer = ops.post(&format!("/inbox/{id}/replay"), &[("body", &still_bad)]).await;
    assert_eq!(answer.status(), 422);
    assert!(answer.text().await.unwrap().contains("data-code="));

    // The corrected body becomes an order; the original is resolved.
    let mut fixed = bad.clone();
    fixed["lines"][0]["quantity"] = json!(2);
    let fixed = serde_json::to_string_pretty(&fixed).unwrap();
    let answer = ops.post(&format!("/inbox/{id}/replay"), &[("body", &fixed)]).await;
    assert_eq!(answer.status(), 200);
    let text = answer.text().await.unwrap();
    let order_id = text
        .split("data-replayed=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("replayed into an order: {text}"))
        .to_owned();
    let (status, placed) = api(&node, reqwest::Method::GET, &format!("/api/v1/orders/{order_id}"), None).await;
    assert_eq!(status, 200);
    assert!(placed.to_string().contains("\"BAD-1\""), "{placed}");
    let resolved = ops.page(&format!("/inbox/{id}")).await;
    assert!(resolved.contains("data-status=\"resolved\"") && !resolved.contains("data-replay"));

    // Chinese, and read-only for a viewer.
    let viewer = node.sign_in("zh").await;
    let page = viewer.page("/inbox").await;
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("处理失败的报文"));
    assert!(!page.contains("hx-post=\"/inbox"), "a viewer sees no actions");
    let second = post_invalid(&node, &bad).await;
    let second = second["error"]["inbox_id"].as_str().unwrap();
    let entry = viewer.page(&format!("/inbox/{second}")).await;
    assert!(entry.contains("data-raw-body") && !entry.contains("data-replay"));
    let forged = viewer
        .post(&format!("/inbox/{second}/replay"), &[("body", &fixed)])
        .await;
    assert_eq!(forged.status(), 403);
    let uuid = uuid::Uuid::now_v7().to_string();
    for path in [
        format!("/inbox/outbox/{uuid}/retry"),
        format!("/inbox/parcels/{uuid}/acknowledge"),
    ] {
        assert_eq!(viewer.post(&path, &[]).await.status(), 403, "{path}");
    }

    // Another tenant sees none of it.
    let outsider = node.sign_in("outsider").await;
    let theirs = outsider.page("/inbox").await;
    assert!(!theirs.contains(second) && !theirs.contains("BAD-1"));
    assert_eq!(outsider.get(&format!("/inbox/{second}")).await.status(), 404);
    let forged = outsider
        .post(&format!("/inbox/{second}/replay"), &[("body", &fixed)])
        .await;
    assert_eq!(forged.status(), 404);
}

#[tokio::test]
async fn failed_payloads_page_by_keyset() {
    let node = Node::start().await;
    node.create_user("default", "ops", "operator", "en");
    for n in 0..53 {
        let mut bad = order(&format!("PAGE-{n:02}"));
        bad["lines"][0]["quantity"] = json!(0);
        post_invalid(&node, &bad).await;
    }
    let ops = node.sign_in("ops").await;
    let first = ops.page("/inbox").await;
    assert_eq!(first.matches("data-inbox=").count(), 50);
    let cursor = first
        .split("/inbox?cursor=")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("a next page")
        .to_owned();
    let second = ops.page(&format!("/inbox?cursor={cursor}")).await;
    assert_eq!(second.matches("data-inbox=").count(), 3);
    assert!(!second.contains("data-next"));
    assert_eq!(ops.get("/inbox?cursor=nonsense").await.status(), 400);
}

/// A receiver that answers every request 200, counting them.
async fn receiver() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/alerts", listener.local_addr().unwrap());
    let count = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = count.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            let seen = seen.clone();
            tokio::spawn(async move {
                let mut buffer = vec![0; 64 * 1024];
                let _ = socket.read(&mut buffer).await;
                seen.fetch_add(1, Ordering::SeqCst);
                let _ = socket
                    .write_all(b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                    .await;
            });
        }
    });
    (url, count)
}

/// Waits for an outbox message of `status` (with `id`, when given), at most ten seconds.
async fn outbox_message(node: &Node, status: &str, id: Option<&str>) -> Value {
    let started = Instant::now();
    loop {
        let (_, listed) = api(
            node,
            reqwest::Method::GET,
            &format!("/api/v1/outbox?status={status}"),
            None,
        )
        .await;
        let found = listed
            .as_array()
            .and_then(|l| l.iter().find(|m| id.is_none_or(|id| m["id"] == id)));
        if let Some(message) = found {
            return message.clone();
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "no {status} outbox message"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_dead_alert_is_queued_again_and_low_stock_is_listed() {
    let node = Node::start().await;
    node.create_user("default", "ops", "operator", "zh-CN");
    node.create_user("default", "boss", "admin", "en");
    // Alerts go nowhere (a closed port) and die at the first failure.
    let closed = crate::server::free_port();
    let policy = format!("url = \"http://127.0.0.1:{closed}/alerts\"\nmax_attempts = 1\n");
    let put = node
        .http
        .put(format!("{}/api/v1/policies/alerts", node.server.base))
        .bearer_auth(TOKEN)
        .body(policy)
        .send()
        .await
        .unwrap();
    assert_eq!(put.status(), 200);
    let (status, _) = api(
        &node,
        reqwest::Method::PUT,
        "/api/v1/warehouses/HZ-01",
        Some(json!({"name": "Hangzhou"}).to_string()),
    )
    .await;
    assert_eq!(status, 200);
    let sku = json!({"name": "Last units", "low_stock_threshold": 2}).to_string();
    assert_eq!(
        api(&node, reqwest::Method::PUT, "/api/v1/skus/LAST", Some(sku)).await.0,
        200
    );
    let change = json!([{"warehouse": "HZ-01", "sku": "LAST", "op": "receive", "quantity": 10}]).to_string();
    assert_eq!(
        api(&node, reqwest::Method::POST, "/api/v1/stock/changes", Some(change))
            .await
            .0,
        200
    );
    let mut low = order("LOW-1");
    low["lines"] = json!([{"sku": "LAST", "quantity": 9, "unit_price": "10.00"}]);
    node.post_order(&low).await;
    let dead = outbox_message(&node, "dead", None).await;
    let id = dead["id"].as_str().unwrap().to_owned();

    let ops = node.sign_in("ops").await;
    let page = ops.page("/inbox").await;
    assert!(page.contains("<html lang=\"zh-CN\">") && page.contains("发送失败的消息"));
    assert!(page.contains(&format!("data-outbox=\"{id}\"")), "{page}");
    assert!(page.contains("data-sku=\"LAST\""), "the low-stock alert: {page}");
    assert!(page.contains(&format!("hx-post=\"/inbox/outbox/{id}/retry\"")));

    // The receiver is fixed; the message goes out again and is delivered.
    let (url, received) = receiver().await;
    let boss = node.sign_in("boss").await;
    let editor = boss.page("/config/alerts").await;
    let version = editor
        .split("name=\"replaces\" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap()
        .to_owned();
    let saved = boss
        .post(
            "/config/alerts/save",
            &[
                ("body", &format!("url = \"{url}\"\n")),
                ("replaces", &version),
                ("note", "receiver fixed"),
            ],
        )
        .await;
    assert_eq!(saved.status(), 204);
    let retried = ops.post(&format!("/inbox/outbox/{id}/retry"), &[]).await;
    assert_eq!(retried.status(), 200);
    assert!(retried.text().await.unwrap().contains("data-done=\"retried\""));
    let delivered = outbox_message(&node, "delivered", Some(&id)).await;
    assert_eq!(delivered["attempts"], 1, "counted afresh from its retry");
    assert!(received.load(std::sync::atomic::Ordering::SeqCst) >= 1);
    // Only a dead message can be retried, through the API as through the screen.
    let again = ops.post(&format!("/inbox/outbox/{id}/retry"), &[]).await;
    assert_eq!(again.status(), 404);
    let (status, body) = api(
        &node,
        reqwest::Method::POST,
        &format!("/api/v1/outbox/{id}/retry"),
        None,
    )
    .await;
    assert_eq!((status, body["error"]["code"].as_str()), (404, Some("not_found")));
}
