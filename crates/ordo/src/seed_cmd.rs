//! `ordo seed`: fills a store with a realistic history (orders spread over the last
//! days, over every channel, most allocated, some held), for trying the console at scale
//! and for its benchmark. Orders go through a node's API like any client's, so every
//! rollup, event and reservation is what production would have written.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use clap::Args;
use futures_util::StreamExt;
use indicatif::{ProgressBar, ProgressStyle};
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;

use crate::config::Config;
use crate::demo::seed;
use crate::generator::{self, OrderGenerator};
use crate::server;

/// What to seed.
#[derive(Debug, Args)]
pub struct SeedArgs {
    /// How many orders.
    #[arg(long, default_value_t = 100_000)]
    orders: u64,
    /// Spread over this many days before now.
    #[arg(long, default_value_t = 90)]
    days: u32,
    /// Requests in flight.
    #[arg(long, default_value_t = 32)]
    clients: usize,
    /// Store URL (default: the configured store).
    #[arg(long)]
    db: Option<String>,
}

/// Seeds the default tenant.
pub async fn run(args: SeedArgs, mut config: Config) -> anyhow::Result<()> {
    let url = args.db.clone().unwrap_or_else(|| config.store.url.clone());
    let store = server::open_store(&url, config.store.max_connections).await?;
    let minted = TokenService::new(store.clone())
        .create(&TenantId::default_tenant(), Role::Admin, "seed", Utc::now())
        .await
        .context("minting the seed token")?;
    config.store.url = url;
    config.server.listen = "127.0.0.1:0".into();
    let node = server::start(&config, store, None).await?;
    let base = format!("http://{}", node.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients)
        .timeout(Duration::from_secs(60))
        .build()?;
    seed::seed(&http, &base, &minted.secret).await?;
    // Enough stock for about nine orders in ten; the rest wait for stock, as in life.
    let pairs = (generator::catalogue().len() * generator::warehouses().len()) as u64;
    let units = (args.orders * 9 / 10 * 2 / pairs).max(1) as i64;
    seed::receive_everywhere(&http, &base, &minted.secret, units).await?;

    let bar = ProgressBar::new(args.orders);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} orders  {per_sec}  eta {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let started = Instant::now();
    let end = Utc::now();
    let span = chrono::Duration::days(i64::from(args.days.max(1)));
    let mut generator = OrderGenerator::new(end.timestamp() as u64);
    let total = args.orders;
    let orders = (0..total).map(move |i| {
        // Evenly over the span, oldest first, so the history reads like time passing.
        let at = end - span + chrono::Duration::seconds(span.num_seconds() * i as i64 / total.max(1) as i64);
        generator.next_order(at)
    });
    let mut failed = 0u64;
    let mut sent = futures_util::stream::iter(orders)
        .map(|order| {
            let request = http
                .post(format!("{base}/api/v1/orders"))
                .bearer_auth(&minted.secret)
                .json(&order)
                .send();
            async move { request.await.map(|r| r.status().is_success()).unwrap_or(false) }
        })
        .buffer_unordered(args.clients.max(1));
    while let Some(ok) = sent.next().await {
        if !ok {
            failed += 1;
        }
        bar.inc(1);
    }
    bar.finish();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "seeded {} orders over {} days in {seconds:.0} s ({:.0}/s); {failed} refused",
        total - failed,
        args.days,
        total as f64 / seconds.max(0.001)
    );
    node.stop().await
}
