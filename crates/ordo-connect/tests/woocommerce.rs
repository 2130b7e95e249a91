//! WooCommerce: numbered pages until `X-WP-TotalPages`, an order moving during paging, auth
//! refusals, and write-back bodies.

mod common;

use common::{MemorySink, QueryKeys, config, fixture};
use ordo_connect::{Connector, Platform, PushError, WriteBack};
use serde_json::{Value, json};
use wiremock::matchers::{basic_auth, body_json, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS: &str = "/wp-json/wc/v3/orders";

/// WooCommerce's published order with another id and modification time.
fn order(id: u64, modified_gmt: &str) -> Value {
    let mut order = fixture("woocommerce_rest_v3_orders_list.json")[0].clone();
    order["id"] = json!(id);
    order["date_modified_gmt"] = json!(modified_gmt);
    order
}

async fn mount_page(server: &MockServer, page: u32, orders: Vec<Value>, total_pages: u32) {
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(basic_auth("ck_test", "cs_test"))
        .and(QueryKeys(&[
            "modified_after",
            "dates_are_gmt",
            "orderby",
            "order",
            "per_page",
            "page",
        ]))
        .and(query_param("dates_are_gmt", "true"))
        .and(query_param("orderby", "modified"))
        .and(query_param("order", "asc"))
        .and(query_param("per_page", "100"))
        .and(query_param("page", page.to_string()))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(Value::Array(orders))
                .insert_header("x-wp-total", "3")
                .insert_header("x-wp-totalpages", total_pages.to_string().as_str()),
        )
        .expect(1)
        .mount(server)
        .await;
}

fn connector(server: &MockServer, sink: &std::sync::Arc<MemorySink>) -> Connector {
    Connector::new(config("woo", Platform::Woocommerce, &server.uri()), sink.clone()).unwrap()
}

#[tokio::test]
async fn pages_are_read_until_the_total_pages() {
    let server = MockServer::start().await;
    let list = fixture("woocommerce_rest_v3_orders_list.json");
    // The published list, oldest first as `order=asc` asks, then one more page.
    mount_page(&server, 1, vec![list[1].clone(), list[0].clone()], 2).await;
    mount_page(&server, 2, vec![order(731, "2017-03-23T08:00:00")], 2).await;
    let sink = MemorySink::new();

    let report = connector(&server, &sink).poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages), (3, 2));
    assert_eq!(sink.ids("id"), ["723", "727", "731"]);
    assert_eq!(sink.ingested()[0].mapping, "woocommerce.order");
    // `date_modified_gmt` has no offset: it is UTC.
    assert_eq!(
        sink.cursor("woo"),
        Some(json!({"updated_after": "2017-03-23T08:00:00.000Z"}))
    );
}

#[tokio::test]
async fn an_order_modified_during_paging_holds_the_cursor_back() {
    let server = MockServer::start().await;
    // Order 1 was modified between the two page reads: it shows again at the end, and
    // whatever sat at the start of page 2 slipped onto page 1 unread.
    mount_page(
        &server,
        1,
        vec![order(1, "2024-05-01T10:00:00"), order(2, "2024-05-01T10:05:00")],
        2,
    )
    .await;
    mount_page(
        &server,
        2,
        vec![order(3, "2024-05-01T10:10:00"), order(1, "2024-05-01T10:20:00")],
        2,
    )
    .await;
    let sink = MemorySink::new();

    connector(&server, &sink).poll_once().await.unwrap();

    assert_eq!(
        sink.cursor("woo"),
        Some(json!({"updated_after": "2024-05-01T10:00:00.000Z"}))
    );
}

#[tokio::test]
async fn wrong_credentials_are_an_auth_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"code": "woocommerce_rest_cannot_view", "message": "Sorry, you cannot list resources.", "data": {"status": 401}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let error = connector(&server, &MemorySink::new()).poll_once().await.unwrap_err();
    assert_eq!(error.code(), "auth");
    assert!(error.to_string().contains("woocommerce_rest_cannot_view"));
}

#[tokio::test]
async fn write_backs_use_shipment_tracking_order_status_and_product_stock() {
    let server = MockServer::start().await;
    let expect = |verb: &str, at: &str, body: Value| {
        Mock::given(method(verb))
            .and(path(at.to_owned()))
            .and(basic_auth("ck_test", "cs_test"))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(200).set_body_json(json!({"id": 1})))
            .expect(1)
    };
    expect(
        "POST",
        "/wp-json/wc-shipment-tracking/v3/orders/727/shipment-trackings",
        json!({"tracking_provider": "UPS", "tracking_number": "1Z001", "date_shipped": "2024-05-01"}),
    )
    .mount(&server)
    .await;
    expect("PUT", "/wp-json/wc/v3/orders/727", json!({"status": "completed"}))
        .mount(&server)
        .await;
    expect("PUT", "/wp-json/wc/v3/orders/723", json!({"status": "cancelled"}))
        .mount(&server)
        .await;
    expect(
        "PUT",
        "/wp-json/wc/v3/products/93",
        json!({"manage_stock": true, "stock_quantity": 5}),
    )
    .mount(&server)
    .await;
    expect(
        "PUT",
        "/wp-json/wc/v3/products/799/variations/733",
        json!({"manage_stock": true, "stock_quantity": 0}),
    )
    .mount(&server)
    .await;
    for (sku, found) in [
        ("WOO-1", json!([{"id": 93, "sku": "WOO-1", "stock_quantity": 2}])),
        (
            "WOO-1-BLUE",
            json!([{"id": 733, "parent_id": 799, "type": "variation", "sku": "WOO-1-BLUE"}]),
        ),
        ("NOPE", json!([])),
    ] {
        Mock::given(method("GET"))
            .and(path("/wp-json/wc/v3/products"))
            .and(query_param("sku", sku))
            .respond_with(ResponseTemplate::new(200).set_body_json(found))
            .mount(&server)
            .await;
    }
    let connector = connector(&server, &MemorySink::new());

    let tracking = WriteBack::Tracking {
        external_order_id: "727".into(),
        carrier: "UPS".into(),
        tracking_number: "1Z001".into(),
        tracking_url: None,
        shipped_at: "2024-05-01T22:00:00Z".parse().unwrap(),
        lines: vec![],
    };
    connector.push(&tracking).await.unwrap();
    connector
        .push(&WriteBack::Cancel {
            external_order_id: "723".into(),
            reason: None,
        })
        .await
        .unwrap();
    connector
        .push(&WriteBack::Stock {
            sku: "WOO-1".into(),
            quantity: 5,
        })
        .await
        .unwrap();
    connector
        .push(&WriteBack::Stock {
            sku: "WOO-1-BLUE".into(),
            quantity: -2,
        })
        .await
        .unwrap();
    let unknown = connector
        .push(&WriteBack::Stock {
            sku: "NOPE".into(),
            quantity: 1,
        })
        .await
        .unwrap_err();
    assert!(matches!(unknown, PushError::Permanent { code, .. } if code == "unknown_sku"));
}
