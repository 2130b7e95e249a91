//! Stocks the demo tenant through the real API: warehouses, the catalogue, and opening
//! stock in every warehouse.

use anyhow::Context;
use serde_json::{Value, json};

use crate::generator;

/// Chinese channels ship from Chinese warehouses, international ones from abroad.
const CHINESE_CHANNELS: [&str; 7] = ["taobao", "tmall", "jd", "douyin", "pinduoduo", "xiaohongshu", "web"];
const INTERNATIONAL_CHANNELS: [&str; 4] = ["shopify", "amazon", "woocommerce", "web"];

/// Creates the sample warehouses and SKUs and sets opening stock where none was set yet
/// (a re-run keeps the stock the previous run left).
pub async fn seed(http: &reqwest::Client, base: &str, token: &str) -> anyhow::Result<()> {
    let send = |method: reqwest::Method, path: String, body: Value| {
        http.request(method, format!("{base}{path}"))
            .bearer_auth(token)
            .json(&body)
            .send()
    };
    for w in generator::warehouses() {
        let channels: &[&str] = if w.country == "CN" {
            &CHINESE_CHANNELS
        } else {
            &INTERNATIONAL_CHANNELS
        };
        let body = json!({
            "name": w.name, "latitude": w.lat, "longitude": w.lon, "region": w.country,
            "channels": channels, "daily_capacity": 20_000,
        });
        let response = send(reqwest::Method::PUT, format!("/api/v1/warehouses/{}", w.code), body).await?;
        anyhow::ensure!(
            response.status().is_success(),
            "warehouse {}: {}",
            w.code,
            response.text().await?
        );
    }
    for item in generator::catalogue() {
        // Cost is shown to admins and operators only; 40 % of list price is a plausible margin.
        let cost = format!("{}.{:02}", item.price_fen * 4 / 10 / 100, item.price_fen * 4 / 10 % 100);
        let body = json!({"name": item.name, "cost_price": cost, "cost_currency": "CNY", "low_stock_threshold": 20});
        let response = send(reqwest::Method::PUT, format!("/api/v1/skus/{}", item.sku), body).await?;
        anyhow::ensure!(
            response.status().is_success(),
            "sku {}: {}",
            item.sku,
            response.text().await?
        );
    }
    let mut changes = Vec::new();
    for (i, item) in generator::catalogue().iter().enumerate() {
        for (j, w) in generator::warehouses().iter().enumerate() {
            let on_hand = ((i * 37 + j * 11) % 450 + 50) as i64;
            changes.push(json!({
                "warehouse": w.code, "sku": item.sku, "op": "set", "quantity": on_hand,
                "expected_on_hand": 0, "reason": "opening stock",
            }));
        }
    }
    let response = send(
        reqwest::Method::POST,
        "/api/v1/stock/changes".into(),
        Value::Array(changes),
    )
    .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "opening stock: {}",
        response.text().await?
    );
    let results: Value = response.json().await.context("reading the stock report")?;
    let set = results
        .as_array()
        .map_or(0, |rows| rows.iter().filter(|r| r["ok"] == true).count());
    let rows = results.as_array().map_or(0, Vec::len);
    if set == rows {
        println!("Stocked {set} (warehouse, SKU) pairs.");
    } else {
        println!("Stocked {set} of {rows} (warehouse, SKU) pairs; the others keep the stock of an earlier run.");
    }
    Ok(())
}

/// Receives `units` of every sample SKU in every sample warehouse.
pub async fn receive_everywhere(http: &reqwest::Client, base: &str, token: &str, units: i64) -> anyhow::Result<()> {
    let changes: Vec<Value> = generator::catalogue()
        .iter()
        .flat_map(|item| {
            generator::warehouses().iter().map(move |w| {
                json!({ "warehouse": w.code, "sku": item.sku, "op": "receive", "quantity": units, "reason": "bench stock" })
            })
        })
        .collect();
    let response = http
        .post(format!("{base}/api/v1/stock/changes"))
        .bearer_auth(token)
        .json(&changes)
        .send()
        .await?;
    anyhow::ensure!(
        response.status().is_success(),
        "receiving stock: {}",
        response.text().await?
    );
    Ok(())
}
