//! `ordo bench douyin-push`: Douyin (抖店) order lag by message push, from "created on the
//! platform" to "order in Ordo" (its `order.created` event on the live stream).
//!
//! One simulated Douyin shop pushes a signed batch per order to the node's
//! `/api/v1/hooks/douyin/{connection}`; the node fetches each order the batch names
//! (`order.orderDetail`) and ingests it. The connection is also polled, but every
//! `--poll-ms` (30 s by default), so an order that arrives well within that came by push.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_sim::{Credentials, Platform, Sim, SimConfig, Simulator, WebhookTarget};
use serde_json::Value;

use crate::config::Config;
use crate::server;

/// Options of `ordo bench douyin-push`.
#[derive(Debug, clap::Args)]
pub struct DouyinPushArgs {
    /// Orders created in all.
    #[arg(long, default_value_t = 150, value_parser = clap::value_parser!(u64).range(1..=10_000))]
    pub orders: u64,
    /// Orders created per second. Each pushed order costs one `order.orderDetail` call
    /// under the connection's request budget (5/s by default): above that, fetches queue
    /// and the lag grows with the queue.
    #[arg(long, default_value_t = 3.0)]
    pub rate: f64,
    /// Milliseconds between polls of the connection (the safety net).
    #[arg(long, default_value_t = 30_000)]
    pub poll_ms: u64,
}

/// What a run measured.
pub(crate) struct Lags {
    /// Lag of every order that arrived, microseconds, ascending.
    pub micros: Vec<i64>,
    /// Orders that never arrived within the wait.
    pub missing: usize,
    /// Batches the simulator delivered and failed to deliver.
    pub pushed: (u64, u64),
}

impl Lags {
    /// The `p` quantile in milliseconds (nearest rank).
    pub fn ms(&self, p: f64) -> f64 {
        let l = &self.micros;
        let rank = ((l.len() as f64 * p).ceil() as usize).clamp(1, l.len().max(1)) - 1;
        l.get(rank).map_or(f64::NAN, |us| *us as f64 / 1000.0)
    }
}

/// Runs the benchmark and prints the lag.
pub async fn run(args: DouyinPushArgs, config: Config) -> anyhow::Result<()> {
    println!(
        "bench douyin-push: {} orders at {}/s, pushed to the node; polls every {} ms",
        args.orders, args.rate, args.poll_ms
    );
    let lags = measure(config, args.orders, args.rate, args.poll_ms).await?;
    println!("machine: {}", crate::bench::machine());
    println!("| path | orders | p50 ms | p99 ms | max ms | missing |");
    println!("|---|---|---|---|---|---|");
    println!(
        "| Douyin message push | {} | {:.1} | {:.1} | {:.1} | {} |",
        lags.micros.len(),
        lags.ms(0.5),
        lags.ms(0.99),
        lags.ms(1.0),
        lags.missing
    );
    println!("douyin: {} batches delivered, {} failed", lags.pushed.0, lags.pushed.1);
    Ok(())
}

/// Starts a node and a pushing Douyin simulator, creates `orders` at `rate`, and measures.
pub(crate) async fn measure(mut config: Config, orders: u64, rate: f64, poll_ms: u64) -> anyhow::Result<Lags> {
    let dir = tempfile::tempdir()?;
    let url = format!("sqlite://{}", dir.path().join("ordo.db").display());
    config.store.url = url.clone();
    config.channels = Vec::new();
    let store = server::open_store(&url, config.store.max_connections).await?;
    let socket = std::net::TcpListener::bind("127.0.0.1:0").context("finding a port for the node")?;
    let base = format!("http://{}", socket.local_addr()?);
    let node = server::start_on(&config, store.clone(), None, Some(socket)).await?;
    let token = TokenService::new(store)
        .create(&TenantId::default_tenant(), Role::Admin, "bench", Utc::now())
        .await?
        .secret;
    let http = reqwest::Client::builder().no_proxy().build()?;
    let (shop, hook_path) = connect(&http, &base, &token, poll_ms).await?;

    let seen: Arc<Mutex<HashMap<String, DateTime<Utc>>>> = Arc::default();
    let response = http
        .get(format!("{base}/api/v1/stream?kinds=order.created"))
        .bearer_auth(&token)
        .send()
        .await?;
    let stamps = Arc::clone(&seen);
    let watcher = tokio::spawn(crate::bench::each_event(response, move |event, _| {
        if let Some(id) = event["data"]["external_id"].as_str() {
            stamps
                .lock()
                .expect("seen")
                .entry(id.to_owned())
                .or_insert_with(Utc::now);
        }
    }));
    tokio::time::sleep(Duration::from_millis(300)).await;

    let mut created: Vec<(String, DateTime<Utc>)> = Vec::new();
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate.max(0.1)));
    for _ in 0..orders {
        tick.tick().await;
        // The platform stamps whole seconds; the true instant is taken here.
        let at = Utc::now();
        created.extend(shop.create_orders(1).into_iter().map(|o| (o.external_id, at)));
    }
    let wait_until = tokio::time::Instant::now() + Duration::from_secs(10);
    while seen.lock().expect("seen").len() < created.len() && tokio::time::Instant::now() < wait_until {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let seen = seen.lock().expect("seen").clone();
    let mut micros: Vec<i64> = created
        .iter()
        .filter_map(|(id, at)| {
            seen.get(id)
                .map(|arrived| (*arrived - *at).num_microseconds().unwrap_or(0))
        })
        .collect();
    micros.sort_unstable();
    let stats = shop.stats();
    watcher.abort();
    node.stop().await?;
    tracing::debug!(hook_path, "douyin push bench done");
    Ok(Lags {
        missing: created.len() - micros.len(),
        micros,
        pushed: (stats.webhooks_sent, stats.webhooks_failed),
    })
}

/// Saves a Douyin connection whose webhook secret is the app secret, and starts the shop
/// that pushes to it. The push URL names the connection, which exists only once saved,
/// and saving checks the shop answers: a first shop without push answers that check, then
/// the connection is pointed at the pushing shop (its id, and so its URL, stays).
async fn connect(http: &reqwest::Client, base: &str, token: &str, poll_ms: u64) -> anyhow::Result<(Sim, String)> {
    let shop_config = |webhook: Option<WebhookTarget>| {
        let mut config = SimConfig::new(Platform::Douyin);
        config.skus = ["TEE-RED-M", "MUG-01", "CAP-BLK"].map(String::from).to_vec();
        config.webhook = webhook;
        if let Credentials::AppKey { access_token, .. } = &mut config.credentials {
            *access_token = Some("sim-session-douyin".into());
        }
        config
    };
    let put = |sim: &Sim| {
        let mut channel = serde_json::to_value(crate::fleet::channel_for(sim, poll_ms)?)?;
        let object = channel.as_object_mut().context("a channel is an object")?;
        object.remove("code");
        let secret = object.get("app_secret").cloned().unwrap_or(Value::Null);
        object.insert("webhook_secret".into(), secret);
        let request = http
            .put(format!("{base}/api/v1/channels/douyin"))
            .bearer_auth(token)
            .json(&channel);
        anyhow::Ok(async move {
            let response = request.send().await?;
            let status = response.status();
            let saved: Value = response.json().await.unwrap_or_default();
            anyhow::ensure!(status.is_success(), "saving the Douyin connection: {status} {saved}");
            Ok(saved["hook_path"].as_str().unwrap_or_default().to_owned())
        })
    };
    let checker = Simulator::start(shop_config(None)).await?;
    let hook_path = put(&checker)?.await?;
    anyhow::ensure!(!hook_path.is_empty(), "the saved connection shows no hook_path");
    let shop = Simulator::start(shop_config(Some(WebhookTarget {
        url: format!("{base}{hook_path}"),
        // Douyin signs with the app's own key and secret; this one is not used.
        secret: String::new(),
    })))
    .await?;
    let again = put(&shop)?.await?;
    anyhow::ensure!(again == hook_path, "the connection's id changed: {hook_path} → {again}");
    // Every node runs a saved connection within a second.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    Ok((shop, hook_path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn douyin_orders_arrive_by_push_long_before_the_next_poll() {
        let poll_ms = 60_000;
        let lags = measure(Config::default(), 12, 4.0, poll_ms).await.unwrap();
        assert_eq!(lags.missing, 0, "every order arrived");
        assert!(lags.pushed.0 >= 12 && lags.pushed.1 == 0, "{:?}", lags.pushed);
        let worst = lags.ms(1.0);
        assert!(
            worst < 5_000.0,
            "pushed orders arrive within seconds, not at the next poll: {worst} ms"
        );
    }
}
