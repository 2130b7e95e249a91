//! `ordo bench channels`: ingest lag per channel, from "created on the platform" to "order
//! in Ordo" (its `order.created` event on the live stream), with every platform simulated
//! on this machine. Shopify and WooCommerce arrive by signed webhook (and are polled as a
//! safety net); Amazon and the Chinese platforms are polled every `--poll-ms`. The
//! baseline, in the same run, is the canonical API: POST → the same event.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use serde_json::Value;

use crate::config::Config;
use crate::{fleet, server};

/// Options of `ordo bench channels`.
#[derive(Debug, clap::Args)]
pub struct ChannelsArgs {
    /// Seconds to create orders for.
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Orders created per second, spread over the channels and the API baseline.
    #[arg(long, default_value_t = 45.0)]
    pub rate: f64,
    /// Milliseconds between polls of each polled channel.
    #[arg(long, default_value_t = 1000)]
    pub poll_ms: u64,
}

const BASELINE: &str = "api (baseline)";

/// Runs the benchmark and prints per-channel lag.
pub async fn run(args: ChannelsArgs, mut config: Config) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
    config.store.url = url.clone();
    let store = server::open_store(&url, config.store.max_connections).await?;
    let skus: Vec<String> = ["TEE-RED-M", "MUG-01", "CAP-BLK"].map(String::from).to_vec();
    let (node, fleet) = fleet::start_with_node(config, store.clone(), None, "127.0.0.1:0", &skus, args.poll_ms).await?;
    let token = TokenService::new(store)
        .create(&TenantId::default_tenant(), Role::Admin, "bench", Utc::now())
        .await?
        .secret;
    let base = format!("http://{}", node.addr);
    let http = reqwest::Client::new();
    let seen: Arc<Mutex<HashMap<String, DateTime<Utc>>>> = Arc::default();
    let watcher = tokio::spawn(watch(http.clone(), base.clone(), token.clone(), Arc::clone(&seen)));
    tokio::time::sleep(Duration::from_millis(300)).await;

    println!(
        "bench channels: {} orders/s for {} s over {} simulated channels + the API, polls every {} ms",
        args.rate,
        args.seconds,
        fleet.sims.len(),
        args.poll_ms
    );
    let mut created: Vec<(String, String, DateTime<Utc>)> = Vec::new();
    let slots = fleet.sims.len() + 1;
    let every = Duration::from_secs_f64(1.0 / args.rate.max(0.1));
    let mut tick = tokio::time::interval(every);
    let deadline = tokio::time::Instant::now() + Duration::from_secs(args.seconds);
    let mut n = 0_usize;
    while tokio::time::Instant::now() < deadline {
        tick.tick().await;
        match fleet.sims.get(n % slots) {
            Some(sim) => {
                let code = sim.platform().code().to_owned();
                // The platforms stamp whole seconds; the true instant is taken here.
                let at = Utc::now();
                for order in sim.create_orders(1) {
                    created.push((code.clone(), order.external_id, at));
                }
            }
            None => {
                let id = format!("BENCH-{n}");
                let sent = Utc::now();
                let body = baseline_order(&id);
                let response = http
                    .post(format!("{base}/api/v1/orders"))
                    .bearer_auth(&token)
                    .json(&body)
                    .send()
                    .await?;
                anyhow::ensure!(
                    response.status().is_success(),
                    "baseline order refused: {}",
                    response.status()
                );
                created.push((BASELINE.into(), id, sent));
            }
        }
        n += 1;
    }
    // Stragglers: polled channels need up to one interval (more while rate-limited).
    let wait_until = tokio::time::Instant::now() + Duration::from_secs(15);
    loop {
        let seen = seen.lock().expect("seen").len();
        if seen >= created.len() || tokio::time::Instant::now() > wait_until {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    report(&created, &seen.lock().expect("seen"));
    for sim in &fleet.sims {
        let stats = sim.stats();
        println!(
            "{}: {} requests, {} answered 429/limited, {} webhooks sent, {} failed",
            sim.platform().code(),
            stats.requests,
            stats.rate_limited,
            stats.webhooks_sent,
            stats.webhooks_failed
        );
    }
    // The stream never ends by itself, and a graceful stop waits for open requests.
    watcher.abort();
    node.stop().await?;
    Ok(())
}

fn baseline_order(id: &str) -> Value {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).expect("example order");
    order["channel"] = Value::from("web");
    order["external_id"] = Value::from(id);
    order
}

fn report(created: &[(String, String, DateTime<Utc>)], seen: &HashMap<String, DateTime<Utc>>) {
    let mut lags: BTreeMap<&str, Vec<i64>> = BTreeMap::new();
    let mut missing: BTreeMap<&str, usize> = BTreeMap::new();
    for (channel, id, at) in created {
        let key = if channel == BASELINE {
            format!("web:{id}")
        } else {
            format!("{channel}:{id}")
        };
        match seen.get(&key) {
            Some(arrived) => lags
                .entry(channel)
                .or_default()
                .push((*arrived - *at).num_microseconds().unwrap_or(0)),
            None => *missing.entry(channel).or_default() += 1,
        }
    }
    println!("machine: {}", crate::bench::machine());
    println!("| channel | path | orders | p50 ms | p99 ms | max ms | missing |");
    println!("|---|---|---|---|---|---|---|");
    let keys: std::collections::BTreeSet<&str> = lags.keys().chain(missing.keys()).copied().collect();
    for channel in keys {
        let mut l = lags.remove(channel).unwrap_or_default();
        l.sort_unstable();
        let pick = |p: f64| {
            l.get(
                ((l.len() as f64 * p).ceil() as usize)
                    .saturating_sub(1)
                    .min(l.len().saturating_sub(1)),
            )
            .map_or(f64::NAN, |us| *us as f64 / 1000.0)
        };
        let path = match channel {
            "shopify" | "woocommerce" => "webhook",
            BASELINE => "POST /api/v1/orders",
            _ => "polling",
        };
        println!(
            "| {channel} | {path} | {} | {:.1} | {:.1} | {:.1} | {} |",
            l.len(),
            pick(0.5),
            pick(0.99),
            pick(1.0),
            missing.get(channel).copied().unwrap_or(0)
        );
    }
}

/// Stamps the arrival of every `order.created` event on the live stream.
async fn watch(
    http: reqwest::Client,
    base: String,
    token: String,
    seen: Arc<Mutex<HashMap<String, DateTime<Utc>>>>,
) -> anyhow::Result<()> {
    let response = http
        .get(format!("{base}/api/v1/stream?kinds=order.created"))
        .bearer_auth(&token)
        .send()
        .await?;
    crate::bench::each_event(response, |event, _| {
        if let (Some(channel), Some(id)) = (event["data"]["channel"].as_str(), event["data"]["external_id"].as_str()) {
            seen.lock()
                .expect("seen")
                .entry(format!("{channel}:{id}"))
                .or_insert_with(Utc::now);
        }
    })
    .await
}
