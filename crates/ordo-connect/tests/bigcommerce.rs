//! BigCommerce: orders listed by page until a short or `204` page, each completed with
//! its products and shipping addresses into the document the mapping reads, the cursor,
//! `429` with `X-Rate-Limit-Time-Reset-Ms`, and write-back bodies.

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::mapped::{canonical, minor_units};
use common::{MemorySink, QueryKeys, config, requests_to};
use ordo_connect::{Connector, Platform, PushError, TrackingLine, WriteBack};
use ordo_sim::{BIGCOMMERCE_STORE_HASH, Change, RateLimit, RateLimits, SimConfig, Simulator};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const STORE: &str = "/stores/abc123";
const ORDERS: &str = "/stores/abc123/v2/orders";

/// The assembled order the built-in mapping is tested with, as the connector must build it.
fn assembled() -> Value {
    let path = format!(
        "{}/../ordo-mapping/tests/fixtures/bigcommerce_v2_order_assembled.json",
        env!("CARGO_MANIFEST_DIR")
    );
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The order as `GET /v2/orders` lists it: sub-resources only linked.
fn listed(assembled: &Value) -> Value {
    let mut order = assembled.clone();
    let id = order["id"].clone();
    order["products"] = json!({"url": format!("https://api.bigcommerce.com{ORDERS}/{id}/products"), "resource": format!("/orders/{id}/products")});
    order["shipping_addresses"] = json!({"url": format!("https://api.bigcommerce.com{ORDERS}/{id}/shipping_addresses"), "resource": format!("/orders/{id}/shipping_addresses")});
    order
}

/// Another order: the fixture with a new id and modification time and `products` lines.
fn other(id: u64, modified: &str, products: usize) -> Value {
    let mut order = assembled();
    order["id"] = json!(id);
    order["date_modified"] = json!(modified);
    let product = order["products"][0].clone();
    order["products"] = (0..products)
        .map(|i| {
            let mut p = product.clone();
            p["id"] = json!(id * 1000 + i as u64);
            p["order_id"] = json!(id);
            p
        })
        .collect();
    order["shipping_addresses"][0]["order_id"] = json!(id);
    order
}

fn connector(server: &MockServer, sink: &Arc<MemorySink>, page_size: u32) -> Connector {
    let mut config = config("bc", Platform::BigCommerce, &server.uri());
    config.store_hash = Some("abc123".into());
    config.access_token = Some("bc-token".into());
    config.page_size = Some(page_size);
    Connector::new(config, sink.clone()).unwrap()
}

async fn mount_orders_page(server: &MockServer, page: u32, answer: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-auth-token", "bc-token"))
        .and(header("accept", "application/json"))
        .and(QueryKeys(&["min_date_modified", "sort", "page", "limit"]))
        .and(query_param("sort", "date_modified:asc"))
        .and(query_param("limit", "2"))
        .and(query_param("page", page.to_string()))
        .respond_with(answer)
        .expect(1)
        .mount(server)
        .await;
}

/// Serves `items` of an order's sub-resource by `page` and `limit`, `204` past the end.
async fn mount_sub_resource(server: &MockServer, order: &Value, name: &str) {
    let items = order[name].as_array().unwrap().clone();
    let pages = items.len().div_ceil(250).max(1);
    for page in 1..=pages + 1 {
        let chunk: Vec<Value> = items.iter().skip((page - 1) * 250).take(250).cloned().collect();
        let answer = if chunk.is_empty() {
            ResponseTemplate::new(204)
        } else {
            ResponseTemplate::new(200).set_body_json(chunk)
        };
        Mock::given(method("GET"))
            .and(path(format!("{ORDERS}/{}/{name}", order["id"])))
            .and(header("x-auth-token", "bc-token"))
            .and(QueryKeys(&["page", "limit"]))
            .and(query_param("limit", "250"))
            .and(query_param("page", page.to_string()))
            .respond_with(answer)
            .mount(server)
            .await;
    }
}

#[tokio::test]
async fn each_order_is_stored_with_its_products_and_shipping_addresses() {
    let server = MockServer::start().await;
    let first = assembled();
    // 251 products take two pages of the sub-resource.
    let second = other(3072, "Tue, 10 Mar 2026 18:00:00 +0000", 251);
    let third = other(3073, "Tue, 10 Mar 2026 19:30:00 +0000", 1);
    mount_orders_page(
        &server,
        1,
        ResponseTemplate::new(200).set_body_json(json!([listed(&first), listed(&second)])),
    )
    .await;
    mount_orders_page(
        &server,
        2,
        ResponseTemplate::new(200).set_body_json(json!([listed(&third)])),
    )
    .await;
    for order in [&first, &second, &third] {
        mount_sub_resource(&server, order, "products").await;
        mount_sub_resource(&server, order, "shipping_addresses").await;
    }
    let sink = MemorySink::new();

    let report = connector(&server, &sink, 2).poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages), (3, 2));
    let payloads = sink.payloads();
    assert_eq!(
        payloads[0], first,
        "the document is exactly the mapping's assembled shape"
    );
    assert_eq!(payloads[1]["products"].as_array().unwrap().len(), 251);
    assert_eq!(payloads[1], second);
    assert_eq!(sink.ingested()[0].mapping, "bigcommerce.order");
    assert_eq!(
        sink.cursor("bc"),
        Some(json!({"updated_after": "2026-03-10T19:30:00.000Z"}))
    );
    // The window start goes out as RFC 2822, BigCommerce's own date format.
    let listing = requests_to(&server, ORDERS).await;
    let since = common::query(&listing[0])["min_date_modified"].clone();
    assert!(chrono::DateTime::parse_from_rfc2822(&since).is_ok(), "{since}");
    // Two product pages for the big order, one for each of the others (short pages end).
    let product_pages = requests_to(&server, &format!("{ORDERS}/3072/products")).await;
    assert_eq!(product_pages.len(), 2);
}

#[tokio::test]
async fn an_empty_listing_is_a_204_and_leaves_a_fresh_cursor_at_the_window_start() {
    let server = MockServer::start().await;
    mount_orders_page(&server, 1, ResponseTemplate::new(204)).await;
    let sink = MemorySink::new();

    let report = connector(&server, &sink, 2).poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages), (0, 1));
    assert!(sink.cursor("bc").is_some());
}

#[tokio::test]
async fn a_429_waits_the_milliseconds_bigcommerce_names_then_retries() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("x-rate-limit-time-reset-ms", "300")
                .insert_header("x-rate-limit-requests-left", "0")
                .set_body_json(json!({"status": 429, "title": "Too many requests"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    mount_orders_page(&server, 1, ResponseTemplate::new(204)).await;
    let sink = MemorySink::new();

    let started = Instant::now();
    let report = connector(&server, &sink, 2).poll_once().await.unwrap();

    assert_eq!((report.rate_limited, report.retries, report.requests), (1, 1, 2));
    // The test backoff is at most 60 ms, so only the header explains a 300 ms wait.
    assert!(started.elapsed() >= Duration::from_millis(300));
}

#[tokio::test]
async fn a_refused_token_is_an_auth_failure() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!([{"status": 401, "message": "No credentials"}])))
        .expect(1)
        .mount(&server)
        .await;
    let error = connector(&server, &MemorySink::new(), 2).poll_once().await.unwrap_err();
    assert_eq!(error.code(), "auth");
}

#[tokio::test]
async fn write_backs_create_a_shipment_per_address_cancel_and_set_absolute_stock() {
    let server = MockServer::start().await;
    let products = json!([
        {"id": 9001, "order_address_id": 605, "quantity": 2, "quantity_shipped": 0, "is_bundled_product": false},
        {"id": 9002, "order_address_id": 606, "quantity": 1, "quantity_shipped": 0, "is_bundled_product": false},
    ]);
    Mock::given(method("GET"))
        .and(path(format!("{ORDERS}/3071/products")))
        .respond_with(ResponseTemplate::new(200).set_body_json(products))
        .mount(&server)
        .await;
    let expect = |verb: &str, at: String, body: Value| {
        Mock::given(method(verb))
            .and(path(at))
            .and(header("x-auth-token", "bc-token"))
            .and(body_json(body))
            .respond_with(ResponseTemplate::new(201).set_body_json(json!({"id": 1})))
            .expect(1)
    };
    let shipment = |address: u64, items: Value| {
        json!({"order_address_id": address, "tracking_number": "1Z001", "shipping_provider": "",
               "tracking_carrier": "ups", "items": items})
    };
    let shipments = format!("{ORDERS}/3071/shipments");
    expect(
        "POST",
        shipments.clone(),
        shipment(605, json!([{"order_product_id": 9001, "quantity": 2}])),
    )
    .mount(&server)
    .await;
    expect(
        "POST",
        shipments.clone(),
        shipment(606, json!([{"order_product_id": 9002, "quantity": 1}])),
    )
    .mount(&server)
    .await;
    expect("PUT", format!("{ORDERS}/3071"), json!({"status_id": 5}))
        .mount(&server)
        .await;
    expect(
        "PUT",
        format!("{STORE}/v3/inventory/adjustments/absolute"),
        json!({"reason": "Sellable quantity from Ordo", "items": [{"location_id": 1, "sku": "POUR-CER-WHT", "quantity": 0}]}),
    )
    .mount(&server)
    .await;
    let connector = connector(&server, &MemorySink::new(), 2);

    let tracking = |lines: Vec<TrackingLine>| WriteBack::Tracking {
        external_order_id: "3071".into(),
        carrier: "ups".into(),
        tracking_number: "1Z001".into(),
        tracking_url: None,
        shipped_at: "2026-03-11T10:00:00Z".parse().unwrap(),
        lines,
    };
    connector.push(&tracking(vec![])).await.unwrap();
    connector
        .push(&WriteBack::Cancel {
            external_order_id: "3071".into(),
            reason: None,
        })
        .await
        .unwrap();
    connector
        .push(&WriteBack::Stock {
            sku: "POUR-CER-WHT".into(),
            quantity: -3,
        })
        .await
        .unwrap();
    let unknown_line = connector
        .push(&tracking(vec![TrackingLine {
            line_id: "1".into(),
            sku: "X".into(),
            quantity: 1,
        }]))
        .await
        .unwrap_err();
    assert!(matches!(unknown_line, PushError::Permanent { code, .. } if code == "unknown_line"));
    let bad_id = connector
        .push(&WriteBack::Cancel {
            external_order_id: "../products".into(),
            reason: None,
        })
        .await
        .unwrap_err();
    assert!(matches!(bad_id, PushError::Permanent { code, .. } if code == "bad_order_id"));
}

#[tokio::test]
async fn polling_the_simulator_stores_every_order_once_and_each_maps_to_its_stated_total() {
    // A small store quota, so the poll runs into 429s and has to wait them out.
    let quota = RateLimit {
        burst: 8,
        per_second: 40.0,
    };
    let sim = Simulator::start(SimConfig {
        rate_limits: RateLimits {
            api: Some(quota),
            order_items: None,
        },
        ..SimConfig::new(ordo_sim::Platform::BigCommerce)
    })
    .await
    .unwrap();
    let mut expected: Vec<String> = sim.create_orders(9).into_iter().map(|o| o.external_id).collect();
    expected.extend(sim.create_unpaid_orders(2).into_iter().map(|o| o.external_id));
    sim.update_order(&expected[0], Change::Cancel).unwrap();
    let mut config = config("bc", Platform::BigCommerce, &sim.base_url());
    config.store_hash = Some(BIGCOMMERCE_STORE_HASH.into());
    config.access_token = Some("sim-bigcommerce-token".into());
    config.page_size = Some(4);
    let sink = MemorySink::new();

    let connector = Connector::new(config, sink.clone()).unwrap();
    let report = connector.poll_once().await.unwrap();

    let mut ids = sink.ids("id");
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "every order exactly once");
    assert!(report.rate_limited > 0, "the quota was reached: {report:?}");
    for payload in sink.payloads() {
        let id = common::text(&payload["id"]);
        assert_eq!(
            Some(&payload),
            sim.order(&id).as_ref(),
            "the stored document is the store's order"
        );
        let order = canonical("bigcommerce.order", &payload);
        let stated = minor_units(payload["total_inc_tax"].as_str().unwrap());
        assert_eq!(order.stated_total, Some(stated));
        assert_eq!(order.total_mismatch(), None, "order {id} adds up to its stated total");
        assert_eq!(order.lines.len(), payload["products"].as_array().unwrap().len());
    }

    // The simulator takes the connector's write-backs as the platform would.
    let tracking = WriteBack::Tracking {
        external_order_id: expected[1].clone(),
        carrier: "ups".into(),
        tracking_number: "1ZSIM".into(),
        tracking_url: None,
        shipped_at: chrono::Utc::now(),
        lines: vec![],
    };
    connector.push(&tracking).await.unwrap();
    // Delivered twice (at least once): the second finds nothing left to ship.
    connector.push(&tracking).await.unwrap();
    let cancel = WriteBack::Cancel {
        external_order_id: expected[2].clone(),
        reason: None,
    };
    connector.push(&cancel).await.unwrap();
    let sku = sim.config().skus[0].clone();
    connector
        .push(&WriteBack::Stock {
            sku: sku.clone(),
            quantity: 4,
        })
        .await
        .unwrap();
    let kinds: Vec<(ordo_sim::WriteBackKind, String)> = sim
        .writebacks()
        .into_iter()
        .map(|w| (w.kind, w.external_id_or_sku))
        .collect();
    assert_eq!(
        kinds,
        [
            (ordo_sim::WriteBackKind::Tracking, expected[1].clone()),
            (ordo_sim::WriteBackKind::Cancel, expected[2].clone()),
            (ordo_sim::WriteBackKind::Stock, sku),
        ]
    );
    assert_eq!(sim.stats().writebacks_rejected, 0);
}
