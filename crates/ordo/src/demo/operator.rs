//! The demo's carrier, buyers and operator, acting through the public API. The simulated
//! warehouses take each order from allocated to shipped (picking, packing, tracking) by
//! their callbacks; each tick here the carrier sends tracking updates for the parcels
//! (shipped → in transit → delivered, about one in ten through a delivery exception
//! first), which move the orders; buyers confirm delivered orders (completed); and the
//! operator approves held orders once they have waited a few seconds. About one delivered
//! order in twenty comes back: the buyer asks to return a unit, the operator approves, the
//! warehouse receives it (restocked, or written off when damaged) and the money goes back
//! as Ordo computes it. Every demo order thus runs the built-in workflow end to end, and
//! the exception queue, the returns queue and the delivery problems are seen filling and
//! emptying.

use std::time::Duration;

use serde_json::{Value, json};

/// Each parcel status and the next one the carrier reports, latest first, so a parcel
/// moves one step a tick.
const PARCEL_STEPS: [(&str, &str); 3] = [
    ("exception", "delivered"),
    ("in_transit", "delivered"),
    ("shipped", "in_transit"),
];

/// How long a held order waits in the queue before the demo's operator approves it.
const REVIEW_SECONDS: i64 = 5;

/// Runs until aborted, one step every `tick`.
pub async fn run(http: reqwest::Client, base: String, token: String, tick: Duration) {
    loop {
        tokio::time::sleep(tick).await;
        carry(&http, &base, &token).await;
        let url = format!("{base}/api/v1/orders?status=delivered&limit=100");
        if let Ok(page) = get(&http, &url, &token).await {
            for order in page["items"].as_array().into_iter().flatten() {
                let Some(id) = order["id"].as_str() else { continue };
                if comes_back(id) {
                    give_back(&http, &base, &token, id).await;
                }
                let _ = http
                    .post(format!("{base}/api/v1/orders/{id}/transitions"))
                    .bearer_auth(&token)
                    .json(&json!({ "to": "completed" }))
                    .send()
                    .await;
            }
        }
        approve_waiting(&http, &base, &token).await;
    }
}

/// The carrier: one tracking update per parcel a tick, in Ordo's generic shape.
async fn carry(http: &reqwest::Client, base: &str, token: &str) {
    for (from, to) in PARCEL_STEPS {
        let url = format!("{base}/api/v1/shipments?status={from}&limit=200");
        let Ok(page) = get(http, &url, token).await else {
            continue;
        };
        let checkpoints: Vec<Value> = page
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|parcel| {
                let number = parcel["tracking_number"].as_str()?;
                // About one parcel in ten meets a problem on the way.
                let status = if from == "in_transit" && number.bytes().map(u32::from).sum::<u32>() % 10 == 0 {
                    "exception"
                } else {
                    to
                };
                Some(json!({
                    "tracking_number": number, "carrier": parcel["carrier"], "status": status,
                    "at": chrono::Utc::now().to_rfc3339(), "message": format!("demo carrier: {status}"),
                }))
            })
            .collect();
        if checkpoints.is_empty() {
            continue;
        }
        let _ = http
            .post(format!("{base}/api/v1/tracking/generic"))
            .bearer_auth(token)
            .json(&checkpoints)
            .send()
            .await;
    }
}

/// About one order in twenty, always the same ones.
fn comes_back(id: &str) -> bool {
    id.bytes().map(u32::from).sum::<u32>() % 20 == 0
}

/// A buyer returns one unit of the order's first line; the operator approves, the
/// warehouse receives it (one return in four damaged and written off) and Ordo refunds
/// what it computes. Each step goes through the public API, so it is seen in the console.
async fn give_back(http: &reqwest::Client, base: &str, token: &str, id: &str) {
    let Ok(order) = get(http, &format!("{base}/api/v1/orders/{id}"), token).await else {
        return;
    };
    let Some(sku) = order["order"]["lines"][0]["sku"].as_str() else {
        return;
    };
    let open = json!({
        "order_id": id, "kind": "return_refund", "reason": "demo buyer: not as expected",
        "lines": [{ "sku": sku, "quantity": 1 }],
    });
    let post = |path: String, body: Value| http.post(format!("{base}{path}")).bearer_auth(token).json(&body).send();
    let Ok(response) = post("/api/v1/aftersales".into(), open).await else {
        return;
    };
    let Ok(case) = response.json::<Value>().await else {
        return;
    };
    let Some(case) = case["id"].as_str() else {
        return;
    };
    let disposition = if case.ends_with(['0', '4', '8', 'c']) {
        "write_off"
    } else {
        "restock"
    };
    let receipt = json!({ "lines": [{ "sku": sku, "quantity": 1, "disposition": disposition }] });
    for (path, body) in [
        (format!("/api/v1/aftersales/{case}/approve"), json!({})),
        (format!("/api/v1/aftersales/{case}/receive"), receipt),
        (format!("/api/v1/aftersales/{case}/refund"), json!({})),
    ] {
        if !post(path, body).await.is_ok_and(|r| r.status().is_success()) {
            return;
        }
    }
}

async fn approve_waiting(http: &reqwest::Client, base: &str, token: &str) {
    let Ok(queue) = get(http, &format!("{base}/api/v1/exceptions?kind=review&limit=100"), token).await else {
        return;
    };
    let ids: Vec<String> = queue["items"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|item| item["age_minutes"].as_i64().is_some())
        .filter(|item| {
            item["held_since"]
                .as_str()
                .and_then(|t| chrono::DateTime::parse_from_rfc3339(t).ok())
                .is_some_and(|t| (chrono::Utc::now() - t.to_utc()).num_seconds() >= REVIEW_SECONDS)
        })
        .filter_map(|item| item["order"]["id"].as_str().map(str::to_owned))
        .collect();
    if ids.is_empty() {
        return;
    }
    let body = json!({ "action": "approve", "order_ids": ids, "reason": "checked by the demo operator" });
    let _ = http
        .post(format!("{base}/api/v1/exceptions/bulk"))
        .bearer_auth(token)
        .json(&body)
        .send()
        .await;
}

async fn get(http: &reqwest::Client, url: &str, token: &str) -> Result<Value, reqwest::Error> {
    http.get(url).bearer_auth(token).send().await?.json().await
}
