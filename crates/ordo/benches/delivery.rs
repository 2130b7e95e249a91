//! Outbox delivery throughput on PostgreSQL, with one `ordo serve` and with three on the
//! same database: fulfilment requests (outbox topic `wms.fulfil`) delivered to a simulated
//! warehouse that records when each arrives.
//!
//! Every order posted to the API reserves its stock and queues one fulfilment request in
//! the transaction that stores it. Each run measures two things:
//! - live: orders posted by [`CLIENTS`] concurrent clients, spread over the nodes, as fast
//!   as they are answered; msg/s counts requests delivered from the first post to the last
//!   arrival, and the lag runs from an order's 201 to its request's arrival;
//! - backlog: as many orders queued while the warehouse connector is paused, then released;
//!   msg/s from the first arrival to the last, which is the delivery alone.
//!
//! `cargo bench -p ordo --bench delivery`. Release build, a private PostgreSQL started in
//! a temporary directory, everything on 127.0.0.1.

// Shared with the crash tests, which use all of it.
#[path = "../tests/common/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "../tests/common/server.rs"]
mod server;

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ordo_sim::{WmsKind, WmsSim, WmsSimConfig, WmsSimulator};
use serde_json::{Value, json};

use postgres::Postgres;
use server::{Server, mint_token};

const TOKEN: &str = "delivery-bench-admin-token-0123456789abcdef";
/// The same on every node: each opens the connector credentials another sealed.
const KEY: &str = "3c2b1a09f8e7d6c5b4a3928170f6e5d43c2b1a09f8e7d6c5b4a3928170f6e5d4";
/// Messages per measurement.
const MESSAGES: usize = 2_000;
const CLIENTS: usize = 16;
/// Orders take their SKU in turn from this many, so nodes rarely wait on each other's
/// stock locks: the runs measure delivery, not one hot SKU.
const SKUS: usize = 20;
const WAREHOUSE: &str = "HZ-01";
/// The run is abandoned if its messages have not all arrived by then.
const DELIVERY_LIMIT: Duration = Duration::from_secs(60);

struct Figures {
    nodes: usize,
    live_rate: f64,
    p50: Duration,
    p99: Duration,
    backlog_rate: f64,
}

async fn send(http: &reqwest::Client, token: &str, method: reqwest::Method, url: String, body: &Value) -> Value {
    let response = http
        .request(method, &url)
        .bearer_auth(token)
        .json(body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let answer = response.json().await.unwrap_or_default();
    assert!(status.is_success(), "{url}: {status} {answer}");
    answer
}

/// The warehouse and its connector, paused or not.
async fn connect(http: &reqwest::Client, base: &str, token: &str, wms: &WmsSim, paused: bool) {
    let config = wms.config();
    let warehouse = json!({
        "name": "Hangzhou",
        "connector": {
            "kind": "generic", "base_url": wms.url(), "token": config.token,
            "secret": config.secret, "timeout_ms": 5000, "paused": paused,
        },
    });
    let url = format!("{base}/api/v1/warehouses/{WAREHOUSE}");
    send(http, token, reqwest::Method::PUT, url, &warehouse).await;
}

/// Waits until every node runs the warehouse connector: a node that does not run it yet
/// gives up the requests it claims for it.
async fn wait_connected(http: &reqwest::Client, bases: &[String], token: &str) {
    let started = Instant::now();
    for base in bases {
        loop {
            let connectors: Value = http
                .get(format!("{base}/api/v1/warehouse-connectors"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap_or_default();
            if connectors.get(WAREHOUSE).is_some() {
                break;
            }
            assert!(
                started.elapsed() < Duration::from_secs(10),
                "{base} does not run the connector"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

/// Posts `MESSAGES` orders of one unit each; the acknowledged order ids with the moment
/// each 201 arrived, and when the first post left.
async fn post_orders(
    http: &reqwest::Client,
    bases: &[String],
    token: &str,
    label: &str,
) -> (HashMap<String, Instant>, Instant) {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    order["remark"] = Value::Null;
    let order = Arc::new(order);
    let started = Instant::now();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|client| {
            let (http, bases, token, order) = (http.clone(), bases.to_vec(), token.to_owned(), order.clone());
            let label = label.to_owned();
            tokio::spawn(async move {
                let mut acknowledged = Vec::new();
                for n in (client..MESSAGES).step_by(CLIENTS) {
                    let mut order = (*order).clone();
                    order["external_id"] = json!(format!("{label}-{n}"));
                    order["lines"] = json!([{ "sku": sku(n), "quantity": 1, "unit_price": "79.00" }]);
                    let url = format!("{}/api/v1/orders", bases[n % bases.len()]);
                    let answer = send(&http, &token, reqwest::Method::POST, url, &order).await;
                    acknowledged.push((answer["id"].as_str().unwrap().to_owned(), Instant::now()));
                }
                acknowledged
            })
        })
        .collect();
    let mut acknowledged = HashMap::new();
    for client in clients {
        acknowledged.extend(client.await.unwrap());
    }
    (acknowledged, started)
}

/// When each acknowledged order's request arrived, in arrival order, once all have.
async fn arrivals(wms: &WmsSim, acknowledged: &HashMap<String, Instant>) -> Vec<(String, Instant)> {
    let started = Instant::now();
    loop {
        let arrived: Vec<(String, Instant)> = wms
            .received()
            .into_iter()
            .filter(|r| acknowledged.contains_key(&r.order_id))
            .map(|r| (r.order_id, r.at))
            .collect();
        if arrived.len() == acknowledged.len() {
            return arrived;
        }
        assert!(
            started.elapsed() < DELIVERY_LIMIT,
            "{} of {} requests arrived within {DELIVERY_LIMIT:?}",
            arrived.len(),
            acknowledged.len()
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn sku(n: usize) -> String {
    format!("BENCH-{:02}", n % SKUS)
}

fn rate(messages: usize, from: Instant, to: Instant) -> f64 {
    messages as f64 / to.duration_since(from).as_secs_f64()
}

async fn run(db: &str, dir: &Path, count: usize) -> Figures {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    // Review is not measured here: every order goes straight to its warehouse.
    let env = [("ORDO_SECRET_KEY", KEY), ("ORDO_REVIEW__ENABLED", "false")];
    let mut nodes = Vec::new();
    for _ in 0..count {
        let mut node = Server::start(db, dir, TOKEN, &env);
        node.wait_healthy(&http, Duration::from_secs(60)).await;
        nodes.push(node);
    }
    let bases: Vec<String> = nodes.iter().map(|n| n.base.clone()).collect();
    // A tenant per run, so neither run sees the other's orders or connector.
    let tenant = format!("bench-{count}-nodes");
    let token = mint_token(db, dir, &tenant);
    let mut config = WmsSimConfig::new(WmsKind::Generic);
    // Steps far beyond the run: no warehouse callback competes with the deliveries.
    config.accept_delay = Duration::from_secs(3600);
    let wms = WmsSimulator::start(config).await.unwrap();
    let base = &bases[0];
    for n in 0..SKUS {
        let url = format!("{base}/api/v1/skus/{}", sku(n));
        send(&http, &token, reqwest::Method::PUT, url, &json!({ "name": sku(n) })).await;
    }
    connect(&http, base, &token, &wms, false).await;
    let stock: Vec<Value> = (0..SKUS)
        .map(|n| json!({ "warehouse": WAREHOUSE, "sku": sku(n), "op": "receive", "quantity": 10 * MESSAGES }))
        .collect();
    let stock = json!(stock);
    send(
        &http,
        &token,
        reqwest::Method::POST,
        format!("{base}/api/v1/stock/changes"),
        &stock,
    )
    .await;

    wait_connected(&http, &bases, &token).await;
    let (acknowledged, started) = post_orders(&http, &bases, &token, "live").await;
    let arrived = arrivals(&wms, &acknowledged).await;
    let mut lags: Vec<Duration> = arrived
        .iter()
        .map(|(id, at)| at.saturating_duration_since(acknowledged[id]))
        .collect();
    lags.sort();
    let last = arrived.iter().map(|(_, at)| *at).max().unwrap();
    let live_rate = rate(arrived.len(), started, last);

    connect(&http, base, &token, &wms, true).await;
    // Every node takes a connection change up within a second.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let (acknowledged, _) = post_orders(&http, &bases, &token, "backlog").await;
    connect(&http, base, &token, &wms, false).await;
    let arrived = arrivals(&wms, &acknowledged).await;
    let first = arrived.iter().map(|(_, at)| *at).min().unwrap();
    let last = arrived.iter().map(|(_, at)| *at).max().unwrap();
    let backlog_rate = rate(arrived.len(), first, last);
    Figures {
        nodes: count,
        live_rate,
        p50: lags[lags.len() / 2],
        p99: lags[lags.len() * 99 / 100],
        backlog_rate,
    }
}

fn cpu_model() -> String {
    std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .and_then(|rest| rest.split_once(':'))
        .map_or_else(|| "unknown CPU".to_owned(), |(_, model)| model.trim().to_owned())
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    let dir = tempfile::tempdir().unwrap();
    let mut postgres = Postgres::init(dir.path());
    postgres.start().await;
    let version = postgres.query("SHOW server_version")[0][0].clone();
    let mut figures = Vec::new();
    for count in [1, 3] {
        figures.push(run(&postgres.url(), dir.path(), count).await);
    }
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    println!(
        "\noutbox delivery (wms.fulfil), {MESSAGES} messages per run, {CLIENTS} clients; \
         PostgreSQL {version}; {cores} cores, {}\n",
        cpu_model()
    );
    println!("| nodes | messages | msg/s | lag p50 ms | lag p99 ms | backlog msg/s |");
    println!("|---|---|---|---|---|---|");
    for f in figures {
        println!(
            "| {} | {MESSAGES} | {:.0} | {:.1} | {:.1} | {:.0} |",
            f.nodes,
            f.live_rate,
            millis(f.p50),
            millis(f.p99),
            f.backlog_rate
        );
    }
}
