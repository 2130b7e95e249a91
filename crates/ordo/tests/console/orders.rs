//! The orders list and one order.

use crate::console::{Node, order};

#[tokio::test]
async fn the_list_filters_pages_saves_views_and_exports_exactly_the_filtered_rows() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    for n in 0..60 {
        let mut o = order(&format!("LIST-{n:03}"));
        o["placed_at"] = serde_json::Value::from(format!("2026-11-{:02}T10:00:00+08:00", 1 + n % 28));
        if n % 3 == 0 {
            o["buyer"]["email"] = serde_json::Value::from("vip@example.com");
        }
        node.post_order(&o).await;
    }
    let session = node.sign_in("ana").await;

    let first = session.page("/orders").await;
    assert_eq!(first.matches("data-row").count(), 50, "one page of rows");
    let next = first.split("data-next").next().unwrap();
    let cursor = next.rsplit("cursor=").next().unwrap().split('"').next().unwrap();
    let second = session.page(&format!("/orders?cursor={cursor}")).await;
    assert_eq!(second.matches("data-row").count(), 10);

    let vip = session.page("/orders?buyer=vip%40example.com").await;
    assert_eq!(vip.matches("data-row").count(), 20);
    let november_first = session.page("/orders?from=2026-11-01&to=2026-11-01").await;
    assert_eq!(
        november_first.matches("data-row").count(),
        3,
        "days are the tenant's days"
    );
    let bad = session.get("/orders?from=yesterday").await;
    assert_eq!(bad.status(), 400);
    assert!(bad.text().await.unwrap().contains("invalid_parameter"));

    let saved = session
        .post(
            "/views/orders",
            &[("name", "VIPs"), ("query", "buyer=vip%40example.com")],
        )
        .await;
    assert_eq!(saved.status(), 204);
    assert!(
        session
            .page("/orders")
            .await
            .contains("href=\"/orders?buyer=vip%40example.com\" data-view=\"VIPs\"")
    );

    let csv = session.get("/orders.csv?buyer=vip%40example.com").await;
    assert_eq!(csv.headers()["content-type"], "text/csv; charset=utf-8");
    let text = csv.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 20, "exactly the filtered list");
    assert!(rows.iter().all(|r| r[1].is_empty() || r[2].starts_with("LIST-")));
}

#[tokio::test]
async fn an_order_shows_its_lines_stock_and_timeline_and_the_buttons_its_state_allows() {
    let node = Node::start().await;
    node.create_user("default", "ana", "operator", "en");
    let placed = node.post_order(&order("ONE-1")).await;
    let id = placed["id"].as_str().unwrap().to_owned();
    let session = node.sign_in("ana").await;

    let page = session.page(&format!("/orders/{id}")).await;
    assert!(page.contains("ONE-1") && page.contains("data-timeline"), "{page}");
    assert!(
        page.contains("order.created") || page.contains("order.received"),
        "{page}"
    );
    assert!(page.contains("data-payload="), "the payload that made it, raw");
    let status = placed["status"].as_str().unwrap();
    if status == "on_hold" {
        // Nothing is in stock: the order waits, and a person may approve or cancel it.
        assert!(
            page.contains("value=\"approve\"") && !page.contains("value=\"hold\""),
            "{status}"
        );
        let bulk = |reason: &'static str| {
            let session = session.clone();
            let id = id.clone();
            async move {
                let form = [("action", "cancel"), ("order_ids", id.as_str()), ("reason", reason)];
                session.post("/orders/bulk", &form).await.text().await.unwrap()
            }
        };
        let refused = bulk("").await;
        assert!(
            refused.contains("data-code=\"reason_required\""),
            "the workflow's rule, shown: {refused}"
        );
        let result = bulk("buyer asked").await;
        assert!(result.contains("data-status=\"cancelled\""), "{result}");
        let cancelled = session.page(&format!("/orders/{id}")).await;
        assert!(
            !cancelled.contains("data-actions"),
            "a cancelled order has no moves left: {}",
            cancelled
                .split("data-actions")
                .nth(1)
                .unwrap_or("")
                .chars()
                .take(600)
                .collect::<String>()
        );
    } else {
        assert!(
            page.contains("value=\"hold\"") && !page.contains("value=\"approve\""),
            "{status}"
        );
        session
            .post("/orders/bulk", &[("action", "hold"), ("order_ids", &id)])
            .await;
        let held = session.page(&format!("/orders/{id}")).await;
        assert!(held.contains("value=\"approve\"") && !held.contains("value=\"hold\""));
    }

    assert_eq!(session.get("/orders/not-an-id").await.status(), 400);
    assert_eq!(
        session.get(&format!("/orders/{}", uuid::Uuid::now_v7())).await.status(),
        404
    );
}
