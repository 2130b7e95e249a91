//! Shopify: polling with `Link` pagination, the cursor across failures and restarts, rate
//! limits and retries, a single-order fetch, and write-back bodies.

mod common;

use std::time::{Duration, Instant};

use common::{MemorySink, QueryKeys, config, fixture, query, requests_to};
use ordo_connect::{Connector, Platform, PushError, TrackingLine, WriteBack};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS: &str = "/admin/api/2024-10/orders.json";

/// Shopify's published order with another id and update time.
fn order(id: u64, updated_at: &str) -> Value {
    let mut order = fixture("shopify_rest_order_single.json")["order"].clone();
    order["id"] = json!(id);
    order["admin_graphql_api_id"] = json!(format!("gid://shopify/Order/{id}"));
    order["updated_at"] = json!(updated_at);
    order
}

fn orders_page(orders: Vec<Value>) -> ResponseTemplate {
    ResponseTemplate::new(200)
        .set_body_json(json!({ "orders": orders }))
        .insert_header("x-shopify-shop-api-call-limit", "1/40")
}

/// Two pages: orders 1 and 2, then (via `page_info`) order 3, the newest at 16:00 UTC.
async fn mount_two_pages(server: &MockServer) {
    let next = format!("<{}{ORDERS}?limit=250&page_info=PAGE2>; rel=\"next\"", server.uri());
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(query_param("status", "any"))
        .and(query_param("order", "updated_at asc"))
        .and(query_param("limit", "250"))
        .and(query_param_is_missing("page_info"))
        .and(header("x-shopify-access-token", "shpat_test"))
        .respond_with(
            orders_page(vec![
                order(1, "2024-05-01T10:00:00-04:00"),
                order(2, "2024-05-01T11:00:00-04:00"),
            ])
            .insert_header("link", next.as_str()),
        )
        .mount(server)
        .await;
    // A page_info request carries only `limit` and `page_info`.
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(QueryKeys(&["limit", "page_info"]))
        .and(query_param("page_info", "PAGE2"))
        .respond_with(orders_page(vec![order(3, "2024-05-01T12:00:00-04:00")]))
        .mount(server)
        .await;
}

fn connector(server: &MockServer, sink: &std::sync::Arc<MemorySink>) -> Connector {
    Connector::new(config("shopify", Platform::Shopify, &server.uri()), sink.clone()).unwrap()
}

#[tokio::test]
async fn pages_follow_the_link_header_and_the_cursor_moves_once_the_window_is_read() {
    let server = MockServer::start().await;
    mount_two_pages(&server).await;
    let sink = MemorySink::new();

    let report = connector(&server, &sink).poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages, report.requests), (3, 2, 2));
    assert_eq!(sink.ids("id"), ["1", "2", "3"]);
    let first = &sink.ingested()[0];
    assert_eq!(
        (first.channel.as_str(), first.mapping.as_str()),
        ("shopify", "shopify.order")
    );
    assert_eq!(
        sink.cursor("shopify"),
        Some(json!({"updated_after": "2024-05-01T16:00:00.000Z"}))
    );
    assert_eq!(sink.saves().len(), 1, "saved once, after the last page");
}

#[tokio::test]
async fn a_store_failure_mid_window_keeps_the_cursor_and_a_restart_loses_nothing() {
    let server = MockServer::start().await;
    mount_two_pages(&server).await;
    let sink = MemorySink::new();
    sink.refuse_from(2);

    let failed = connector(&server, &sink);
    let error = failed.poll_once().await.unwrap_err();
    assert_eq!(error.code(), "sink");
    assert_eq!(sink.cursor("shopify"), None, "the window was not read in full");
    assert_eq!(failed.status().last_error.unwrap().code, "sink");

    // A new runner (a restart) reads the whole window again.
    sink.accept_all();
    let report = connector(&server, &sink).poll_once().await.unwrap();
    assert_eq!(report.orders, 3);
    assert_eq!(sink.ids("id"), ["1", "2", "1", "2", "3"]);
    let saved = sink.cursor("shopify").unwrap();

    // Another restart starts at the saved cursor minus the overlap; the orders it reads
    // again are harmless and the cursor stays where it was.
    let again = connector(&server, &sink).poll_once().await.unwrap();
    assert_eq!(again.orders, 3);
    assert_eq!(sink.cursor("shopify").unwrap(), saved);
    assert_eq!(sink.saves().len(), 1, "nothing new, nothing saved");
    let requests = requests_to(&server, ORDERS).await;
    let last_first_page = requests
        .iter()
        .rev()
        .find(|r| query(r).contains_key("updated_at_min"))
        .unwrap();
    assert_eq!(query(last_first_page)["updated_at_min"], "2024-05-01T15:55:00Z");
}

#[tokio::test]
async fn a_429_waits_for_retry_after() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "0.4"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(orders_page(vec![order(1, "2024-05-01T10:00:00Z")]))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = connector(&server, &sink);

    let started = Instant::now();
    let report = connector.poll_once().await.unwrap();

    assert!(
        started.elapsed() >= Duration::from_millis(400),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(
        (report.requests, report.rate_limited, report.retries, report.orders),
        (2, 1, 1, 1)
    );
    assert_eq!(connector.status().rate_limited, 1);
}

#[tokio::test]
async fn server_errors_back_off_then_succeed_and_give_up_after_max_attempts() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(orders_page(vec![order(1, "2024-05-01T10:00:00Z")]))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let started = Instant::now();
    let report = connector(&server, &sink).poll_once().await.unwrap();
    assert_eq!((report.requests, report.retries, report.orders), (3, 2, 1));
    // Backoff is capped at 60 ms in these tests.
    assert!(started.elapsed() < Duration::from_secs(1));

    let down = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(502))
        .mount(&down)
        .await;
    let connector = connector(&down, &sink);
    let started = Instant::now();
    let error = connector.poll_once().await.unwrap_err();
    assert_eq!(error.code(), "unavailable");
    assert!(error.is_retryable());
    assert_eq!(requests_to(&down, ORDERS).await.len(), 4, "max_attempts");
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_401_is_permanent_and_shows_in_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(json!({"errors": "[API] Invalid API key or access token"})),
        )
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = connector(&server, &sink);

    for failures in 1..=2 {
        let error = connector.poll_once().await.unwrap_err();
        assert_eq!(error.code(), "auth");
        let status = connector.status();
        assert_eq!(status.consecutive_failures, failures);
        let last = status.last_error.unwrap();
        assert_eq!(last.code, "auth");
        assert!(last.message.contains("Invalid API key"), "{}", last.message);
        assert!(status.last_success.is_none());
    }
    assert_eq!(requests_to(&server, ORDERS).await.len(), 2, "no retries of a 401");
}

#[tokio::test]
async fn a_single_order_is_fetched_again_and_ingested() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/admin/api/2024-10/orders/450789469.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("shopify_rest_order_single.json")))
        .expect(1)
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = connector(&server, &sink);
    connector.fetch_order("450789469").await.unwrap();
    assert_eq!(
        sink.payloads(),
        [fixture("shopify_rest_order_single.json")["order"].clone()]
    );
    assert_eq!(connector.status().orders_ingested, 1);
    assert_eq!(connector.fetch_order("../shop").await.unwrap_err().code(), "rejected");
}

#[tokio::test]
async fn tracking_is_sent_against_the_open_fulfillment_order() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/admin/api/2024-10/orders/450789469/fulfillment_orders.json"))
        .respond_with(ResponseTemplate::new(200).set_body_json(fixture("shopify_rest_fulfillment_orders_list.json")))
        .mount(&server)
        .await;
    let expected = json!({"fulfillment": {
        "line_items_by_fulfillment_order": [{
            "fulfillment_order_id": 1025578636_u64,
            "fulfillment_order_line_items": [{"id": 1025578649_u64, "quantity": 1}],
        }],
        "tracking_info": {"number": "1Z001", "company": "UPS", "url": "https://track.example/1Z001"},
        "notify_customer": true,
    }});
    Mock::given(method("POST"))
        .and(path("/admin/api/2024-10/fulfillments.json"))
        .and(body_json(&expected))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({"fulfillment": {"id": 1, "status": "success"}})))
        .expect(1)
        .mount(&server)
        .await;
    let connector = connector(&server, &MemorySink::new());
    let message = WriteBack::Tracking {
        external_order_id: "450789469".into(),
        carrier: "UPS".into(),
        tracking_number: "1Z001".into(),
        tracking_url: Some("https://track.example/1Z001".into()),
        shipped_at: "2024-05-01T10:00:00Z".parse().unwrap(),
        lines: vec![TrackingLine {
            line_id: "518995019".into(),
            sku: "IPOD2008RED".into(),
            quantity: 1,
        }],
    };
    connector.push(&message).await.unwrap();
}

#[tokio::test]
async fn cancellations_name_a_shopify_reason() {
    let server = MockServer::start().await;
    for (reason, sent) in [("customer", "customer"), ("changed their mind", "other")] {
        Mock::given(method("POST"))
            .and(path("/admin/api/2024-10/orders/450789469/cancel.json"))
            .and(body_json(json!({"reason": sent})))
            .respond_with(ResponseTemplate::new(200).set_body_json(fixture("shopify_rest_order_single.json")))
            .expect(1)
            .mount(&server)
            .await;
        let message = WriteBack::Cancel {
            external_order_id: "450789469".into(),
            reason: Some(reason.into()),
        };
        connector(&server, &MemorySink::new()).push(&message).await.unwrap();
    }
}

#[tokio::test]
async fn stock_finds_the_variant_once_and_sets_the_level() {
    let server = MockServer::start().await;
    let products = "/admin/api/2024-10/products.json";
    let next = format!("<{}{products}?limit=250&page_info=P2>; rel=\"next\"", server.uri());
    Mock::given(method("GET"))
        .and(path(products))
        .and(query_param("fields", "id,variants"))
        .and(query_param("limit", "250"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"products": [{"id": 632910392, "variants": [
                    {"id": 808950810, "sku": "IPOD2008PINK", "inventory_item_id": 808950810},
                    {"id": 49148385, "sku": "IPOD2008RED", "inventory_item_id": 49148385}]}]}))
                .insert_header("link", next.as_str()),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(products))
        .and(QueryKeys(&["limit", "page_info"]))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({"products": [{"id": 921728736, "variants": [{"id": 447654529, "sku": "IPOD2009BLACK", "inventory_item_id": 447654529}]}]}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    for (item, available) in [(447654529_u64, 7), (808950810, 0)] {
        Mock::given(method("POST"))
            .and(path("/admin/api/2024-10/inventory_levels/set.json"))
            .and(body_json(
                json!({"location_id": 655441491, "inventory_item_id": item, "available": available}),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"inventory_level": {}})))
            .expect(1)
            .mount(&server)
            .await;
    }
    let mut config = config("shopify", Platform::Shopify, &server.uri());
    let sink = MemorySink::new();
    let without_location = Connector::new(config.clone(), sink.clone()).unwrap();
    let stock = |sku: &str, quantity| WriteBack::Stock {
        sku: sku.into(),
        quantity,
    };
    assert!(matches!(
        without_location.push(&stock("IPOD2009BLACK", 7)).await,
        Err(PushError::Permanent { code, .. }) if code == "config"
    ));

    config.location_id = Some(655441491);
    let connector = Connector::new(config, sink).unwrap();
    connector.push(&stock("IPOD2009BLACK", 7)).await.unwrap();
    connector.push(&stock("IPOD2008PINK", -3)).await.unwrap();
    let unknown = connector.push(&stock("NOPE", 1)).await.unwrap_err();
    assert!(matches!(unknown, PushError::Permanent { code, .. } if code == "unknown_sku"));
}
