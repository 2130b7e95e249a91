//! Several real `ordo serve` processes on one PostgreSQL: a channel connection is polled
//! by exactly one of them (the lease holder), and when that node is killed with `kill -9`
//! another takes the connection over within ten seconds, from the durable cursor, so
//! every order the shop holds arrives, once.

// Shared with the PostgreSQL crash test, which uses all of it.
#[path = "../common/postgres.rs"]
#[allow(dead_code)]
mod postgres;
#[path = "../common/server.rs"]
mod server;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use ordo_sim::{Credentials, Platform, SimConfig, Simulator};
use serde_json::Value;

use postgres::Postgres;
use server::Server;

const TOKEN: &str = "nodes-test-admin-token-0123456789abcdef";
/// The same on every node: each opens the credentials another sealed.
const KEY: &str = "0f1e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";
const LEASE: &str = "poll:default:shopify";

async fn get(http: &reqwest::Client, base: &str, path: &str) -> Option<Value> {
    let response = http.get(format!("{base}{path}")).bearer_auth(TOKEN).send().await.ok()?;
    response.json().await.ok()
}

/// The live holder of the poll lease, as a node reports it.
async fn holder(http: &reqwest::Client, base: &str) -> Option<String> {
    let cluster = get(http, base, "/api/v1/cluster").await?;
    cluster["leases"]
        .as_array()?
        .iter()
        .find(|l| l["name"] == LEASE && l["live"] == true)
        .and_then(|l| l["holder"].as_str().map(str::to_owned))
}

/// External id → how many orders carry it.
async fn orders(http: &reqwest::Client, base: &str) -> BTreeMap<String, usize> {
    let page = get(http, base, "/api/v1/orders?limit=500").await.unwrap_or_default();
    let mut seen = BTreeMap::new();
    for item in page["items"].as_array().into_iter().flatten() {
        *seen
            .entry(item["external_id"].as_str().unwrap_or_default().to_owned())
            .or_default() += 1;
    }
    seen
}

async fn until<T>(limit: Duration, what: &str, mut probe: impl AsyncFnMut() -> Option<T>) -> (T, Duration) {
    let started = Instant::now();
    loop {
        if let Some(found) = probe().await {
            return (found, started.elapsed());
        }
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_is_polled_by_one_node_and_taken_over_within_ten_seconds_of_a_kill() {
    let dir = tempfile::tempdir().unwrap();
    let mut postgres = Postgres::init(dir.path());
    postgres.start().await;
    let shop = Simulator::start(SimConfig::new(Platform::Shopify)).await.unwrap();
    let Credentials::AccessToken(token) = &shop.config().credentials else {
        panic!("a Shopify simulator takes an access token")
    };
    let config = dir.path().join("ordo.toml");
    std::fs::write(
        &config,
        format!(
            "[[channels]]\ncode = \"shopify\"\nplatform = \"shopify\"\nbase_url = \"{}\"\naccess_token = \"{token}\"\n\
             location_id = {}\npoll_interval_ms = 200\noverlap_seconds = 5\nsafety_lag_seconds = 0\ninitial_lookback_hours = 1\n",
            shop.base_url(),
            ordo_sim::SHOPIFY_LOCATION_ID,
        ),
    )
    .unwrap();
    let config = config.display().to_string();
    let env = [("ORDO_CONFIG", config.as_str()), ("ORDO_SECRET_KEY", KEY)];
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();
    let mut nodes = Vec::new();
    for _ in 0..2 {
        let mut node = Server::start(&postgres.url(), dir.path(), TOKEN, &env);
        node.wait_healthy(&http, Duration::from_secs(20)).await;
        nodes.push(node);
    }

    // One node holds the lease, and both say so; it stays with that node.
    let (first, _) = until(Duration::from_secs(5), "a poll lease", async || {
        holder(&http, &nodes[0].base).await
    })
    .await;
    for _ in 0..10 {
        for node in &nodes {
            assert_eq!(holder(&http, &node.base).await.as_deref(), Some(first.as_str()));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    // Only the poller shows the connector's running status.
    let mut polling = Vec::new();
    for (n, node) in nodes.iter().enumerate() {
        let channels = get(&http, &node.base, "/api/v1/channels").await.unwrap();
        assert_eq!(channels[0]["polled_by"].as_str(), Some(first.as_str()));
        if channels[0].get("status").is_some() {
            polling.push(n);
        }
    }
    assert_eq!(polling.len(), 1, "exactly one node polls: {polling:?}");
    let poller = polling[0];
    let survivor = 1 - poller;

    let before: Vec<_> = shop.create_orders(5).into_iter().map(|o| o.external_id).collect();
    until(Duration::from_secs(10), "the first orders", async || {
        let seen = orders(&http, &nodes[survivor].base).await;
        before.iter().all(|id| seen.contains_key(id)).then_some(())
    })
    .await;

    // kill -9: the poller cannot give its lease up; the survivor takes it once it expires.
    nodes[poller].child.kill().unwrap();
    nodes[poller].child.wait().unwrap();
    let (second, failover) = until(Duration::from_secs(10), "a takeover", async || {
        holder(&http, &nodes[survivor].base).await.filter(|h| *h != first)
    })
    .await;
    eprintln!("poll lease moved from {first} to {second} {failover:?} after kill -9");
    let after: Vec<_> = shop.create_orders(5).into_iter().map(|o| o.external_id).collect();
    let (seen, _) = until(
        Duration::from_secs(10),
        "the orders placed after the kill",
        async || {
            let seen = orders(&http, &nodes[survivor].base).await;
            after.iter().all(|id| seen.contains_key(id)).then_some(seen)
        },
    )
    .await;
    for id in before.iter().chain(&after) {
        assert_eq!(seen.get(id), Some(&1), "order {id} arrived once");
    }
    assert!(failover < Duration::from_secs(10));
}
