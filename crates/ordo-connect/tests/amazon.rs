//! Amazon SP-API: Login with Amazon tokens (cached, renewed on a 403), Orders v0 with each
//! order's items assembled into one document, Orders 2026-01-01, quota answers, and
//! write-back bodies.

mod common;

use std::sync::atomic::{AtomicUsize, Ordering};

use common::{MemorySink, QueryKeys, config, fixture, form, query, requests_to};
use ordo_connect::{Connector, Platform, PushError, WriteBack};
use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const TOKEN: &str = "/auth/o2/token";
const ORDERS: &str = "/orders/v0/orders";

/// Login with Amazon handing out `Atza|1`, `Atza|2`, … one per call.
struct Tokens(AtomicUsize);

impl Respond for Tokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.0.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200).set_body_json(json!({
            "access_token": format!("Atza|{n}"), "token_type": "bearer", "expires_in": 3600,
        }))
    }
}

async fn mount_tokens(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path(TOKEN))
        .respond_with(Tokens(AtomicUsize::new(0)))
        .mount(server)
        .await;
}

fn items_page(order_id: &str, items: &[Value], next: Option<&str>) -> ResponseTemplate {
    let mut payload = json!({ "AmazonOrderId": order_id, "OrderItems": items });
    if let Some(next) = next {
        payload["NextToken"] = json!(next);
    }
    ResponseTemplate::new(200).set_body_json(json!({ "payload": payload }))
}

#[tokio::test]
async fn orders_are_stored_with_every_item_and_the_token_is_cached() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let published = fixture("amazon_spapi_orders_v0_getOrders_example.json");
    let first = published["payload"]["Orders"][0].clone();
    let mut second = first.clone();
    second["AmazonOrderId"] = json!("902-0000000-0000002");
    second["LastUpdateDate"] = json!("2017-01-21T08:00:00Z");
    // Page 1: the published answer (with its NextToken); page 2 by NextToken alone.
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-amz-access-token", "Atza|1"))
        .and(QueryKeys(&["MarketplaceIds", "LastUpdatedAfter", "MaxResultsPerPage"]))
        .and(query_param("MarketplaceIds", "ATVPDKIKX0DER"))
        .and(query_param("MaxResultsPerPage", "100"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&published))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(QueryKeys(&["MarketplaceIds", "NextToken"]))
        .and(query_param("NextToken", "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"payload": {"Orders": [second], "LastUpdatedBefore": "2017-01-22T00:00:00Z"}})),
        )
        .mount(&server)
        .await;
    // The first order's items come in two pages: the published ones, then one more.
    let published_items = fixture("amazon_spapi_orders_v0_getOrderItems_example.json")["payload"]["OrderItems"].clone();
    let items = published_items.as_array().unwrap();
    let extra =
        json!({"ASIN": "B000EXTRA", "OrderItemId": "99999999999999", "SellerSKU": "EXTRA", "QuantityOrdered": 1});
    let items_path = "/orders/v0/orders/902-3159896-1390916/orderItems";
    Mock::given(method("GET"))
        .and(path(items_path))
        .and(query_param_is_missing("NextToken"))
        .respond_with(items_page("902-3159896-1390916", items, Some("ITEMS2")))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(items_path))
        .and(query_param("NextToken", "ITEMS2"))
        .respond_with(items_page("902-3159896-1390916", std::slice::from_ref(&extra), None))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders/v0/orders/902-0000000-0000002/orderItems"))
        .respond_with(items_page("902-0000000-0000002", &items[..1], None))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), sink.clone()).unwrap();

    let report = connector.poll_once().await.unwrap();

    assert_eq!((report.orders, report.pages), (2, 2));
    let documents = sink.payloads();
    let mut expected = first.clone();
    expected["OrderItems"] = json!([items[0], items[1], extra]);
    assert_eq!(documents[0], expected, "the Order with every item under OrderItems");
    assert_eq!(documents[1]["OrderItems"].as_array().unwrap().len(), 1);
    assert_eq!(sink.ingested()[0].mapping, "amazon.order");
    // Amazon vouched for everything up to LastUpdatedBefore.
    assert_eq!(
        sink.cursor("amazon"),
        Some(json!({"updated_after": "2017-01-22T00:00:00.000Z"}))
    );

    connector.poll_once().await.unwrap();
    let token_calls = requests_to(&server, TOKEN).await;
    assert_eq!(token_calls.len(), 1, "the token is cached across polls");
    let sent = form(&token_calls[0]);
    assert_eq!(sent["grant_type"], "refresh_token");
    assert_eq!(sent["refresh_token"], "Atzr|refresh");
    assert_eq!(sent["client_id"], "amzn1.application-oa2-client.test");
    assert_eq!(sent["client_secret"], "lwa-secret");
}

#[tokio::test]
async fn a_refused_token_is_renewed_once() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-amz-access-token", "Atza|1"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied.", "details": "The access token you provided has expired."}]}),
        ))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .and(header("x-amz-access-token", "Atza|2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"payload": {"Orders": []}})))
        .mount(&server)
        .await;
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), MemorySink::new()).unwrap();
    connector.poll_once().await.unwrap();
    assert_eq!(requests_to(&server, TOKEN).await.len(), 2);
}

#[tokio::test]
async fn quota_exceeded_without_retry_after_backs_off() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(429).insert_header("x-amzn-RateLimit-Limit", "0.0167").set_body_json(
            json!({"errors": [{"code": "QuotaExceeded", "message": "You exceeded your quota for the requested resource."}]}),
        ))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"payload": {"Orders": []}})))
        .mount(&server)
        .await;
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), MemorySink::new()).unwrap();
    let started = std::time::Instant::now();
    let report = connector.poll_once().await.unwrap();
    assert_eq!((report.rate_limited, report.retries), (2, 2));
    // With no Retry-After each wait is at least the base backoff (20 ms here).
    assert!(started.elapsed() >= std::time::Duration::from_millis(40));
}

#[tokio::test]
async fn orders_2026_are_stored_as_they_come_across_pagination_tokens() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let published = fixture("amazon_spapi_orders_2026-01-01_searchOrders_example.json");
    let search = "/orders/2026-01-01/orders";
    Mock::given(method("GET"))
        .and(path(search))
        .and(QueryKeys(&["marketplaceIds", "lastUpdatedAfter", "maxResultsPerPage"]))
        .respond_with(ResponseTemplate::new(200).set_body_json(&published))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(search))
        .and(QueryKeys(&[
            "marketplaceIds",
            "lastUpdatedAfter",
            "maxResultsPerPage",
            "paginationToken",
        ]))
        .and(query_param("paginationToken", "2YgYW55IGNhcm5hbCBwbGVhc3VyZS4"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"orders": [], "pagination": {}, "lastUpdatedBefore": "2024-12-25T15:00:00Z"})),
        )
        .mount(&server)
        .await;
    let got = fixture("amazon_spapi_orders_2026-01-01_getOrder_example.json");
    Mock::given(method("GET"))
        .and(path("/orders/2026-01-01/orders/123-4567890-1234567"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&got))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = Connector::new(config("amazon-us", Platform::Amazon2026, &server.uri()), sink.clone()).unwrap();

    let report = connector.poll_once().await.unwrap();
    assert_eq!((report.orders, report.pages), (1, 2));
    assert_eq!(sink.payloads()[0], published["orders"][0]);
    assert_eq!(sink.ingested()[0].mapping, "amazon.order.2026");
    assert_eq!(
        sink.cursor("amazon-us"),
        Some(json!({"updated_after": "2024-12-25T15:00:00.000Z"}))
    );
    let second = &requests_to(&server, search).await[1];
    assert_eq!(
        query(second)["lastUpdatedAfter"],
        query(&requests_to(&server, search).await[0])["lastUpdatedAfter"]
    );

    connector.fetch_order("123-4567890-1234567").await.unwrap();
    assert_eq!(sink.payloads()[1], got["order"]);
}

#[tokio::test]
async fn shipments_are_confirmed_and_quantities_patched_but_cancellations_are_not_sent() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let confirm = "/orders/v0/orders/902-1106328-1059050/shipmentConfirmation";
    Mock::given(method("POST"))
        .and(path(confirm))
        .respond_with(ResponseTemplate::new(204))
        .expect(2)
        .mount(&server)
        .await;
    let mut items = fixture("amazon_spapi_orders_v0_getOrderItems_example.json");
    items["payload"].as_object_mut().unwrap().remove("NextToken");
    Mock::given(method("GET"))
        .and(path("/orders/v0/orders/902-1106328-1059050/orderItems"))
        .respond_with(ResponseTemplate::new(200).set_body_json(items))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/listings/2021-08-01/items/A2SELLER/SKU%2F1"))
        .and(query_param("marketplaceIds", "ATVPDKIKX0DER"))
        .and(body_json(json!({
            "productType": "PRODUCT",
            "patches": [{"op": "replace", "path": "/attributes/fulfillment_availability",
                "value": [{"fulfillment_channel_code": "DEFAULT", "quantity": 12}]}],
        })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"status": "ACCEPTED", "sku": "SKU/1", "submissionId": "f1dc2914"})),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), MemorySink::new()).unwrap();
    let tracking = |lines| WriteBack::Tracking {
        external_order_id: "902-1106328-1059050".into(),
        carrier: "FedEx".into(),
        tracking_number: "112345678".into(),
        tracking_url: None,
        shipped_at: "2022-02-11T01:00:00Z".parse().unwrap(),
        lines,
    };
    let line = ordo_connect::TrackingLine {
        line_id: "79039765272157".into(),
        sku: "CBA_OTF_5".into(),
        quantity: 1,
    };
    connector.push(&tracking(vec![line])).await.unwrap();
    // Without named lines, every item ships as ordered.
    connector.push(&tracking(vec![])).await.unwrap();

    let sent: Vec<Value> = requests_to(&server, confirm)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    let published =
        fixture("amazon_spapi_orders_v0_confirmShipment_request.json")["parameters"]["body"]["value"].clone();
    let detail = &sent[0]["packageDetail"];
    assert_eq!(sent[0]["marketplaceId"], published["marketplaceId"]);
    assert_eq!(detail["carrierCode"], published["packageDetail"]["carrierCode"]);
    assert_eq!(detail["trackingNumber"], published["packageDetail"]["trackingNumber"]);
    assert_eq!(detail["shipDate"], published["packageDetail"]["shipDate"]);
    assert_eq!(
        detail["orderItems"],
        json!([{"orderItemId": "79039765272157", "quantity": 1}])
    );
    assert!(detail["packageReferenceId"].as_str().unwrap().parse::<u64>().unwrap() > 0);
    assert_eq!(
        detail["packageReferenceId"], sent[1]["packageDetail"]["packageReferenceId"],
        "same parcel, same reference"
    );
    assert_eq!(
        sent[1]["packageDetail"]["orderItems"],
        json!([{"orderItemId": "68828574383266", "quantity": 1}, {"orderItemId": "79039765272157", "quantity": 2}])
    );

    connector
        .push(&WriteBack::Stock {
            sku: "SKU/1".into(),
            quantity: 12,
        })
        .await
        .unwrap();
    let cancel = WriteBack::Cancel {
        external_order_id: "902-1106328-1059050".into(),
        reason: None,
    };
    assert!(matches!(
        connector.push(&cancel).await,
        Err(PushError::Unsupported { .. })
    ));
}

/// One unshipped order whose listing names only the region of its address, with items.
async fn mount_unshipped_order(server: &MockServer, id: &str) -> Value {
    let mut order = fixture("amazon_spapi_orders_v0_getOrders_example.json")["payload"]["Orders"][0].clone();
    order["AmazonOrderId"] = json!(id);
    order["OrderStatus"] = json!("Unshipped");
    order["ShippingAddress"] =
        json!({"City": "Canton", "StateOrRegion": "MI", "PostalCode": "48817", "CountryCode": "US"});
    Mock::given(method("GET"))
        .and(path(ORDERS))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({"payload": {"Orders": [order]}})))
        .mount(server)
        .await;
    let items = fixture("amazon_spapi_orders_v0_getOrderItems_example.json")["payload"]["OrderItems"].clone();
    Mock::given(method("GET"))
        .and(path(format!("/orders/v0/orders/{id}/orderItems")))
        .respond_with(items_page(id, items.as_array().unwrap(), None))
        .mount(server)
        .await;
    order
}

#[tokio::test]
async fn the_restricted_address_is_fetched_with_a_token_for_that_order_only() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let id = "902-3159896-1390916";
    mount_unshipped_order(&server, id).await;
    let address_path = format!("/orders/v0/orders/{id}/address");
    Mock::given(method("POST"))
        .and(path("/tokens/2021-03-01/restrictedDataToken"))
        .and(header("x-amz-access-token", "Atza|1"))
        .and(body_json(
            json!({"restrictedResources": [{"method": "GET", "path": address_path}]}),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({"restrictedDataToken": "Atz.sprdt|1", "expiresIn": 3600})),
        )
        .mount(&server)
        .await;
    let published = fixture("amazon_spapi_orders_v0_getOrderAddress_example.json");
    Mock::given(method("GET"))
        .and(path(address_path.as_str()))
        .and(header("x-amz-access-token", "Atz.sprdt|1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(&published))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), sink.clone()).unwrap();
    connector.poll_once().await.unwrap();
    let document = &sink.payloads()[0];
    assert_eq!(document["ShippingAddress"], published["payload"]["ShippingAddress"]);
}

#[tokio::test]
async fn an_application_without_restricted_data_stores_the_order_without_its_address() {
    let server = MockServer::start().await;
    mount_tokens(&server).await;
    let order = mount_unshipped_order(&server, "902-0000000-0000009").await;
    Mock::given(method("POST"))
        .and(path("/tokens/2021-03-01/restrictedDataToken"))
        .respond_with(ResponseTemplate::new(403).set_body_json(
            json!({"errors": [{"code": "Unauthorized", "message": "Access to requested resource is denied."}]}),
        ))
        .mount(&server)
        .await;
    let sink = MemorySink::new();
    let connector = Connector::new(config("amazon", Platform::Amazon, &server.uri()), sink.clone()).unwrap();
    let report = connector.poll_once().await.unwrap();
    assert_eq!(report.orders, 1, "the poll goes on");
    assert_eq!(sink.payloads()[0]["ShippingAddress"], order["ShippingAddress"]);
}
