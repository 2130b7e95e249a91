//! The demo's warehouse, carrier and operator, acting through the public API: each tick
//! moves every order one step along the built-in workflow (allocated → sent to the
//! warehouse → picking → packed → shipped with tracking → in transit → delivered →
//! completed), and approves held orders once they have waited a few seconds, so every
//! demo order runs end to end and the exception queue is seen filling and emptying.

use std::time::Duration;

use serde_json::{Value, json};

/// Each status and the next one the demo moves orders to, latest first, so an order moves
/// one step a tick.
const STEPS: [(&str, &str); 7] = [
    ("delivered", "completed"),
    ("in_transit", "delivered"),
    ("shipped", "in_transit"),
    ("packed", "shipped"),
    ("picking", "packed"),
    ("sent_to_warehouse", "picking"),
    ("allocated", "sent_to_warehouse"),
];

/// How long a held order waits in the queue before the demo's operator approves it.
const REVIEW_SECONDS: i64 = 5;

/// Runs until aborted, one step every `tick`.
pub async fn run(http: reqwest::Client, base: String, token: String, tick: Duration) {
    let mut sequence: u64 = 0;
    loop {
        tokio::time::sleep(tick).await;
        for (from, to) in STEPS {
            let url = format!("{base}/api/v1/orders?status={from}&limit=100");
            let Ok(page) = get(&http, &url, &token).await else {
                continue;
            };
            for order in page["items"].as_array().into_iter().flatten() {
                let Some(id) = order["id"].as_str() else { continue };
                let mut body = json!({ "to": to });
                if to == "shipped" {
                    sequence += 1;
                    body["carrier"] = json!("SF Express");
                    body["tracking_number"] = json!(format!("SF{:012}", 100_000_000_000u64 + sequence));
                }
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
