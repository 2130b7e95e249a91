//! The demo's carrier and operator, acting through the public API. The simulated
//! warehouses take each order from allocated to shipped (picking, packing, tracking) by
//! their callbacks; each tick here moves shipped orders one step on (in transit →
//! delivered → completed) and approves held orders once they have waited a few seconds,
//! so every demo order runs the built-in workflow end to end and the exception queue is
//! seen filling and emptying.

use std::time::Duration;

use serde_json::{Value, json};

/// Each status and the next one the carrier moves orders to, latest first, so an order
/// moves one step a tick.
const STEPS: [(&str, &str); 3] = [
    ("delivered", "completed"),
    ("in_transit", "delivered"),
    ("shipped", "in_transit"),
];

/// How long a held order waits in the queue before the demo's operator approves it.
const REVIEW_SECONDS: i64 = 5;

/// Runs until aborted, one step every `tick`.
pub async fn run(http: reqwest::Client, base: String, token: String, tick: Duration) {
    loop {
        tokio::time::sleep(tick).await;
        for (from, to) in STEPS {
            let url = format!("{base}/api/v1/orders?status={from}&limit=100");
            let Ok(page) = get(&http, &url, &token).await else {
                continue;
            };
            for order in page["items"].as_array().into_iter().flatten() {
                let Some(id) = order["id"].as_str() else { continue };
                let body = json!({ "to": to });
                let _ = http
                    .post(format!("{base}/api/v1/orders/{id}/transitions"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await;
            }
        }
        approve_waiting(&http, &base, &token).await;
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
