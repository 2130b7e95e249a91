//! The demo's carrier, buyers and operator, acting through the public API. The simulated
//! warehouses take each order from allocated to shipped (picking, packing, tracking) by
//! their callbacks; each tick here the carrier sends tracking updates for the parcels
//! (shipped → in transit → delivered, about one in ten through a delivery exception
//! first), which move the orders; buyers confirm delivered orders (completed); and the
//! operator approves held orders once they have waited a few seconds. Every demo order
//! thus runs the built-in workflow end to end, and the exception queue and the delivery
//! problems are seen filling and emptying.

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
