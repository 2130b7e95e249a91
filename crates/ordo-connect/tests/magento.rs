//! Magento 2 / Adobe Commerce: search-criteria paging by `total_count`, whole orders as
//! documents, an order moving during paging, auth and rate-limit answers, and write-backs
//! addressed by the entity id found from the increment id.

mod common;

use std::sync::Arc;

use common::mapped::{canonical, minor_units};
use common::{MemorySink, QueryKeys, config, requests_to};
use ordo_connect::{Connector, Platform, PushError, TrackingLine, WriteBack};
use ordo_sim::{Change, SimConfig, Simulator};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS: &str = "/rest/V1/orders";
const FILTER: &str = "searchCriteria[filter_groups][0][filters][0]";

/// A built-in mapping's Magento fixture.
fn fixture(name: &str) -> Value {
    let path = format!("{}/../ordo-mapping/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
    serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
}

/// The tutorial's order with another entity id, increment id and update time.
fn order(entity_id: u64, updated_at: &str) -> Value {
    let mut order = fixture("magento_rest_v1_order_get_example.json");
    order["entity_id"] = json!(entity_id);
    order["increment_id"] = json!(format!("{entity_id:09}"));
    order["updated_at"] = json!(updated_at);
    order
}

fn connector(server: &MockServer, sink: &Arc<MemorySink>) -> Connector {
    let mut config = config("mage", Platform::Magento, &server.uri());
    config.access_token = Some("mage-token".into());
    config.page_size = Some(2);
    Connector::new(config, sink.clone()).unwrap()
}

const LIST_KEYS: &[&str] = &[
    "searchCriteria[filter_groups][0][filters][0][field]",
    "searchCriteria[filter_groups][0][filters][0][value]",
    "searchCriteria[filter_groups][0][filters][0][condition_type]",
    "searchCriteria[sortOrders][0][field]",
    "searchCriteria[sortOrders][0][direction]",
    "searchCriteria[pageSize]",
    "searchCriteria[currentPage]",
];

async fn mount_page(server: &MockServer, page: u32, orders: Vec<Value>, total: usize) {
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("authorization", "Bearer mage-token"))
        .and(QueryKeys(LIST_KEYS))
        .and(query_param(format!("{FILTER}[field]"), "updated_at"))
        .and(query_param(format!("{FILTER}[condition_type]"), "gteq"))
        .and(query_param("searchCriteria[sortOrders][0][field]", "updated_at"))
        .and(query_param("searchCriteria[sortOrders][0][direction]", "ASC"))
        .and(query_param("searchCriteria[pageSize]", "2"))
        .and(query_param("searchCriteria[currentPage]", page.to_string()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "items": orders,
            "search_criteria": {"filter_groups": [], "page_size": 2, "current_page": page},
            "total_count": total,
        })))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn whole_orders_are_stored_page_by_page_until_the_total_count() {
    let server = MockServer::start().await;
    let configurable = fixture("magento_order_configurable_discount_tax.json");
    let (first, third) = (order(3, "2026-03-14 09:00:00"), order(7, "2026-03-14 10:15:00"));
    mount_page(&server, 1, vec![first.clone(), configurable.clone()], 3).await;
    // Page 2 is short and the count is reached: page 3 (which Magento would answer with
    // page 2 again) is never asked for.
    mount_page(&server, 2, vec![third.clone()], 3).await;
    let sink = MemorySink::new();

    let report = connector(&server, &sink).poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages), (3, 2));
    assert_eq!(sink.payloads(), [first, configurable, third]);
    assert_eq!(sink.ingested()[0].mapping, "magento.order");
    assert_eq!(
        sink.cursor("mage"),
        Some(json!({"updated_after": "2026-03-14T10:15:00.000Z"}))
    );
    let since = common::query(&requests_to(&server, ORDERS).await[0])[&format!("{FILTER}[value]")].clone();
    assert!(
        chrono::NaiveDateTime::parse_from_str(&since, "%Y-%m-%d %H:%M:%S").is_ok(),
        "the filter takes Magento's own UTC format: {since}"
    );
}

#[tokio::test]
async fn an_order_updated_during_paging_holds_the_cursor_where_it_was_first_seen() {
    let server = MockServer::start().await;
    mount_page(
        &server,
        1,
        vec![order(1, "2026-03-14 10:00:00"), order(2, "2026-03-14 10:05:00")],
        4,
    )
    .await;
    mount_page(
        &server,
        2,
        vec![order(3, "2026-03-14 10:10:00"), order(1, "2026-03-14 10:20:00")],
        4,
    )
    .await;
    let sink = MemorySink::new();

    connector(&server, &sink).poll_once().await.unwrap();

    assert_eq!(
        sink.cursor("mage"),
        Some(json!({"updated_after": "2026-03-14T10:00:00.000Z"}))
    );
}

#[tokio::test]
async fn refusals_and_rate_limits_are_read_from_the_status() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"message": "Too many requests"})),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(401).set_body_json(
            json!({"message": "The consumer isn't authorized to access %resources.", "parameters": {"resources": "Magento_Sales::actions_view"}}),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let error = connector(&server, &sink).poll_once().await.unwrap_err();
    assert_eq!(error.code(), "auth");
    assert!(error.to_string().contains("isn't authorized"));
}

/// Answers the increment-id search for `order`.
async fn mount_find(server: &MockServer, order: &Value) {
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(query_param(format!("{FILTER}[field]"), "increment_id"))
        .and(query_param(format!("{FILTER}[condition_type]"), "eq"))
        .and(query_param(
            format!("{FILTER}[value]"),
            order["increment_id"].as_str().unwrap(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"items": [order], "total_count": 1})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn write_backs_ship_cancel_and_set_stock_by_entity_and_stock_item_id() {
    let server = MockServer::start().await;
    let configurable = fixture("magento_order_configurable_discount_tax.json");
    let mut shipped = order(5, "2026-03-14 09:00:00");
    shipped["items"][0]["qty_shipped"] = json!(1);
    shipped["state"] = json!("complete");
    let mut cancelled = order(6, "2026-03-14 09:00:00");
    cancelled["state"] = json!("canceled");
    for order in [&configurable, &shipped, &cancelled] {
        mount_find(&server, order).await;
    }
    let expect = |verb: &str, at: &str, body: Option<Value>, answer: Value| {
        let mock = Mock::given(method(verb))
            .and(path(at.to_owned()))
            .and(header("authorization", "Bearer mage-token"));
        let mock = match body {
            Some(body) => mock.and(body_json(body)),
            None => mock,
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
    };
    let track = json!([{"track_number": "1Z001", "title": "ups", "carrier_code": "ups"}]);
    // The whole order: no items, Magento ships what is left.
    expect(
        "POST",
        "/rest/V1/order/1042/ship",
        Some(json!({"notify": true, "tracks": track})),
        json!(31),
    )
    .mount(&server)
    .await;
    expect("POST", "/rest/V1/orders/1042/cancel", None, json!(true))
        .mount(&server)
        .await;
    expect(
        "GET",
        "/rest/V1/stockItems/MH07-L-Gray",
        None,
        json!({"item_id": 88, "qty": 4}),
    )
    .mount(&server)
    .await;
    expect(
        "PUT",
        "/rest/V1/products/MH07-L-Gray/stockItems/88",
        Some(json!({"stockItem": {"qty": 0, "is_in_stock": false}})),
        json!(88),
    )
    .mount(&server)
    .await;
    Mock::given(method("GET"))
        .and(path("/rest/V1/stockItems/NOPE"))
        .respond_with(
            ResponseTemplate::new(404)
                .set_body_json(json!({"message": "The Product with the \"NOPE\" SKU doesn't exist."})),
        )
        .mount(&server)
        .await;
    let connector = connector(&server, &MemorySink::new());
    let tracking = |id: &str, lines: Vec<TrackingLine>| WriteBack::Tracking {
        external_order_id: id.into(),
        carrier: "ups".into(),
        tracking_number: "1Z001".into(),
        tracking_url: None,
        shipped_at: "2026-03-15T10:00:00Z".parse().unwrap(),
        lines,
    };

    connector.push(&tracking("000001042", vec![])).await.unwrap();
    // Already shipped or cancelled: a repeated delivery is done without another call.
    connector.push(&tracking("000000005", vec![])).await.unwrap();
    for id in ["000001042", "000000006"] {
        connector
            .push(&WriteBack::Cancel {
                external_order_id: id.into(),
                reason: None,
            })
            .await
            .unwrap();
    }
    connector
        .push(&WriteBack::Stock {
            sku: "MH07-L-Gray".into(),
            quantity: -1,
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
    let line = TrackingLine {
        line_id: "999".into(),
        sku: "X".into(),
        quantity: 1,
    };
    let unknown_line = connector.push(&tracking("000001042", vec![line])).await.unwrap_err();
    assert!(matches!(unknown_line, PushError::Permanent { code, .. } if code == "unknown_line"));
}

#[tokio::test]
async fn named_lines_ship_as_order_items_with_their_quantities() {
    let server = MockServer::start().await;
    let configurable = fixture("magento_order_configurable_discount_tax.json");
    mount_find(&server, &configurable).await;
    Mock::given(method("POST"))
        .and(path("/rest/V1/order/1042/ship"))
        .and(body_json(json!({
            "notify": true,
            "tracks": [{"track_number": "1Z002", "title": "dhl", "carrier_code": "dhl"}],
            "items": [{"order_item_id": 2101, "qty": 1}],
        })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!(32)))
        .expect(1)
        .mount(&server)
        .await;
    let connector = connector(&server, &MemorySink::new());
    connector
        .push(&WriteBack::Tracking {
            external_order_id: "000001042".into(),
            carrier: "dhl".into(),
            tracking_number: "1Z002".into(),
            tracking_url: None,
            shipped_at: "2026-03-15T10:00:00Z".parse().unwrap(),
            lines: vec![TrackingLine {
                line_id: "2101".into(),
                sku: "MH07-L-Gray".into(),
                quantity: 1,
            }],
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn polling_the_simulator_stores_every_order_once_and_each_maps_to_its_stated_total() {
    let sim = Simulator::start(SimConfig::new(ordo_sim::Platform::Magento))
        .await
        .unwrap();
    let mut expected: Vec<String> = sim.create_orders(9).into_iter().map(|o| o.external_id).collect();
    expected.extend(sim.create_unpaid_orders(2).into_iter().map(|o| o.external_id));
    sim.update_order(&expected[0], Change::Cancel).unwrap();
    sim.update_order(&expected[9], Change::Pay).unwrap();
    let mut config = config("mage", Platform::Magento, &sim.base_url());
    config.access_token = Some("sim-magento-token".into());
    config.page_size = Some(4);
    let sink = MemorySink::new();

    let connector = Connector::new(config, sink.clone()).unwrap();
    let report = connector.poll_once().await.unwrap();

    // Three pages of four by the total count; a fourth would repeat the third.
    assert_eq!(report.pages, 3);
    let mut ids = sink.ids("increment_id");
    ids.sort();
    expected.sort();
    assert_eq!(ids, expected, "every order exactly once");
    for payload in sink.payloads() {
        let id = common::text(&payload["increment_id"]);
        assert_eq!(
            Some(&payload),
            sim.order(&id).as_ref(),
            "the stored document is the shop's order"
        );
        let order = canonical("magento.order", &payload);
        assert_eq!(
            order.stated_total,
            Some(minor_units(&payload["grand_total"].to_string()))
        );
        assert_eq!(order.total_mismatch(), None, "order {id} adds up to its stated total");
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
