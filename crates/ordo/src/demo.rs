//! `ordo demo`: a node on an embedded SQLite file with a steady stream of realistic orders.
//!
//! Owns the demo's life: open the store, mint an admin token, start the node, print how to
//! talk to it, then feed it over real HTTP, mixing in what real channels do: a few broken
//! payloads (kept in the inbox as failed), re-deliveries of earlier orders, and later
//! versions of pending orders once they are paid. A status line every five seconds shows
//! what happened; Ctrl-C (or `--seconds`) stops the feed and the node gracefully.

mod operator;
pub(crate) mod seed;

use std::collections::VecDeque;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use metrics_exporter_prometheus::PrometheusHandle;
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::bench::percentile_ms;
use crate::config::Config;
use crate::generator::{self, OrderGenerator};
use crate::{fleet, server};

/// Share of deliveries that are deliberately broken.
const BROKEN: f64 = 0.02;
/// Share that re-deliver an order sent before (a duplicate).
const DUPLICATE: f64 = 0.05;
/// Share that deliver a later version of a pending order (now paid).
const LATER_VERSION: f64 = 0.03;
/// Orders remembered for re-delivery and later versions.
const REMEMBERED: usize = 500;
/// Requests in flight at once; more waits, so a slow node slows the feed instead of piling up.
const IN_FLIGHT: usize = 64;
/// Seconds between status lines.
const STATUS_EVERY: Duration = Duration::from_secs(5);

/// Options of `ordo demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Directory of the demo's SQLite database (created if missing; kept between runs).
    #[arg(long, default_value = "ordo-data")]
    pub data_dir: PathBuf,
    /// Address to listen on; if it is taken, a free port on 127.0.0.1 is used instead.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: String,
    /// Orders per second to feed.
    #[arg(long, default_value_t = 20.0, value_parser = parse_rate)]
    pub rate: f64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub seconds: Option<u64>,
    /// Orders per second placed on the simulated platforms (Shopify, WooCommerce, Amazon,
    /// Taobao, JD, Douyin, Pinduoduo, Xiaohongshu), in turn.
    #[arg(long, default_value_t = 2.0, value_parser = parse_rate)]
    pub channel_rate: f64,
}

fn parse_rate(text: &str) -> Result<f64, String> {
    match text.parse::<f64>() {
        Ok(rate) if (0.1..=10_000.0).contains(&rate) => Ok(rate),
        _ => Err(format!(
            "{text:?} is not a rate between 0.1 and 10000 orders per second"
        )),
    }
}

/// Runs the demo until Ctrl-C or `--seconds`.
pub async fn run(args: DemoArgs, mut config: Config, metrics: Option<PrometheusHandle>) -> anyhow::Result<()> {
    let db_path = args.data_dir.join("ordo.db");
    let url = format!("sqlite://{}", db_path.display());
    let store = server::open_store(&url, config.store.max_connections).await?;
    let minted = TokenService::new(store.clone())
        .create(&TenantId::default_tenant(), Role::Admin, "demo", Utc::now())
        .await
        .context("minting the demo token")?;
    let console_password = console_user(&store, &config).await?;
    config.store.url = url;
    config.server.listen = args.listen.clone();
    let skus: Vec<String> = generator::catalogue().iter().map(|i| i.sku.to_owned()).collect();
    let (node, fleet) = fleet::start_with_node(config, store, metrics, &args.listen, &skus, 1000).await?;
    if !args.listen.ends_with(":0") && node.addr.to_string() != args.listen {
        println!("{} is in use; listening on {} instead.", args.listen, node.addr);
    }
    let base = format!("http://{}", node.addr);
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(IN_FLIGHT)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    seed::seed(&http, &base, &minted.secret)
        .await
        .context("stocking the demo catalogue")?;
    let feed = Feed::new(http, base.clone(), minted.secret.clone());

    // One order first, so the banner can show a real id to look up.
    let mut generator = OrderGenerator::new(clock_seed());
    let first = feed.first_order(&mut generator).await?;
    print_banner(&base, &minted.secret, &db_path, &first);
    println!("Console  {base}/  (sign in as \"admin\" with password {console_password}; a new one each start)");
    print_channels(&fleet);
    print_catalogue();
    let channel_feed = tokio::spawn(feed_channels(fleet.sims.clone(), args.channel_rate));
    let operator = tokio::spawn(operator::run(
        feed.http(),
        base.clone(),
        minted.secret.clone(),
        Duration::from_millis(500),
    ));
    let bound = args
        .seconds
        .map(|seconds| format!(" for {seconds} s"))
        .unwrap_or_default();
    println!("Feeding {} orders per second{bound}; Ctrl-C stops.", args.rate);

    let result = feed
        .run(&mut generator, args.rate, args.seconds.map(Duration::from_secs))
        .await;
    println!("Stopping: committing what is queued…");
    channel_feed.abort();
    operator.abort();
    node.stop().await?;
    result?;
    println!(
        "Stopped. The data stays in {}; run `ordo demo` again to continue.",
        db_path.display()
    );
    Ok(())
}

/// Places orders on the simulated platforms in turn; they reach Ordo by webhook or poll.
async fn feed_channels(sims: Vec<ordo_sim::Sim>, rate: f64) {
    let mut tick = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
    for sim in sims.iter().cycle() {
        tick.tick().await;
        sim.create_orders(1);
    }
}

fn print_channels(fleet: &fleet::Fleet) {
    println!("Simulated channels (orders placed there arrive by themselves)");
    for sim in &fleet.sims {
        let how = match sim.platform() {
            ordo_sim::Platform::Shopify | ordo_sim::Platform::WooCommerce => "signed webhooks + polling",
            _ => "polling",
        };
        println!("  {:<12} {}  {how}", sim.platform().code(), sim.base_url());
    }
    let douyin = fleet.sim(ordo_sim::Platform::Douyin).base_url();
    println!("  # each connector's health and cursor; fields a platform renamed");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/channels");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/drift");
    println!("  # make Douyin rename a field, as platforms do (then watch /api/v1/drift)");
    println!(
        "  curl -s -X POST {douyin}/_sim/renames -d '{{\"from\":\"create_time\",\"to\":\"created_time\"}}' -H 'content-type: application/json'"
    );
    println!("  # take Taobao down and bring it back: other channels keep flowing, nothing is lost");
    let taobao = fleet.sim(ordo_sim::Platform::Taobao).base_url();
    println!("  curl -s -X POST {taobao}/_sim/down -d '{{\"down\":true}}' -H 'content-type: application/json'");
    println!();
    println!("Simulated warehouses (allocated orders are sent to them; they pick, pack and ship by callback)");
    for (code, sim) in &fleet.warehouses {
        println!("  {code:<8} {}", sim.url());
    }
    if let Some((code, sim)) = fleet.warehouses.first() {
        println!("  # take {code} down: only its orders wait, and they go out when it is back");
        println!(
            "  curl -s -X POST {}/_sim/down -d '{{\"down\":true}}' -H 'content-type: application/json'",
            sim.url()
        );
    }
    println!("  # the exception queue, the workflow, the review rules, each warehouse connector");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/exceptions");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/workflow");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/rules");
    println!("  curl -s -H 'Authorization: Bearer TOKEN' URL/api/v1/warehouse-connectors");
    println!();
}

/// Makes sure the console's demo admin exists, with a fresh password printed once.
async fn console_user(store: &std::sync::Arc<dyn ordo_store::Store>, config: &Config) -> anyhow::Result<String> {
    use rand::Rng;
    let password: String = rand::rng()
        .sample_iter(rand::distr::Alphanumeric)
        .take(16)
        .map(char::from)
        .collect();
    let users = ordo_app::users::Users::new(
        store.clone(),
        chrono::Duration::minutes(i64::from(config.console.idle_minutes)),
    );
    match store.user_by_login("admin").await? {
        Some(user) => {
            users
                .change(
                    &user.tenant,
                    user.id,
                    ordo_store::UserChange::default(),
                    Some(&password),
                )
                .await?;
        }
        None => {
            let new = ordo_app::users::NewUser {
                tenant: TenantId::default_tenant(),
                login: "admin".into(),
                name: "Demo admin".into(),
                role: Role::Admin,
                language: "zh-CN".into(),
                password: password.clone(),
            };
            users.create(new, Utc::now()).await?;
        }
    }
    Ok(password)
}

fn print_banner(base: &str, token: &str, db_path: &std::path::Path, first_id: &str) {
    let auth = format!("-H 'Authorization: Bearer {token}'");
    println!();
    println!("Ordo demo is running");
    println!("  URL    {base}");
    println!("  Token  {token}");
    println!("         (admin of tenant \"default\"; shown once, only its hash is stored)");
    println!("  Data   {}", db_path.display());
    println!();
    println!("Try:");
    println!("  # the five newest Taobao orders");
    println!("  curl -s {auth} '{base}/api/v1/orders?channel=taobao&limit=5'");
    println!("  # one order with its history");
    println!("  curl -s {auth} {base}/api/v1/orders/{first_id}");
    println!("  # payloads that failed and wait in the inbox for a fix and replay");
    println!("  curl -s {auth} '{base}/api/v1/inbox?status=failed'");
    println!("  # stock of one SKU, per warehouse, and its movements");
    println!("  curl -s {auth} {base}/api/v1/availability/TEE-RED-M");
    println!("  curl -s {auth} '{base}/api/v1/movements?sku=TEE-RED-M'");
    println!("  # live events: orders, allocations, availability (Ctrl-C stops)");
    println!("  curl -sN {auth} {base}/api/v1/stream");
    println!("  # orders held for stock, and low-stock alerts");
    println!("  curl -s {auth} '{base}/api/v1/orders?status=on_hold&limit=5'");
    println!("  curl -s {auth} {base}/api/v1/alerts");
    println!("  # ship an allocated order (its reservation becomes a deduction)");
    println!("  curl -s -X POST {auth} {base}/api/v1/orders/ORDER_ID/ship");
    println!("  # the API description (OpenAPI 3.1)");
    println!("  curl -s {auth} {base}/api/v1/openapi.json");
    println!("  # health and Prometheus metrics need no token");
    println!("  curl -s {base}/healthz");
    println!();
}

fn print_catalogue() {
    println!("Sample catalogue");
    println!("  Warehouses");
    for w in generator::warehouses() {
        let place = format!("{:.4}, {:.4}", w.lat, w.lon);
        println!("    {:<7} {}  {place:<20} {} ({})", w.code, w.country, w.name, w.city);
    }
    println!("  SKUs (list price in CNY)");
    for item in generator::catalogue() {
        let price = format!("{}.{:02}", item.price_fen / 100, item.price_fen % 100);
        println!("    {:<17} {:>7}  {} / {}", item.sku, price, item.name, item.name_en);
    }
    println!();
}

/// What a delivery is meant to be.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    New,
    Broken,
    Duplicate,
    LaterVersion,
}

/// Counters behind the status line.
#[derive(Default)]
struct Tally {
    sent: u64,
    created: u64,
    duplicates: u64,
    updated: u64,
    stale: u64,
    failed: u64,
    errors: u64,
    /// Latencies (µs) since the last status line.
    window_us: Vec<u32>,
}

/// Orders the node has answered, kept to re-deliver them or send their later version.
/// Only answered orders go in, so a re-delivery never overtakes the original.
#[derive(Default)]
struct Memory {
    /// Final versions (not pending): re-delivering them is an exact duplicate.
    settled: VecDeque<Value>,
    /// Pending orders waiting for payment.
    pending: VecDeque<Value>,
}

struct Shared {
    tally: Mutex<Tally>,
    memory: Mutex<Memory>,
}

/// The HTTP side of the demo: builds deliveries and sends them.
#[derive(Clone)]
struct Feed {
    http: reqwest::Client,
    endpoint: Arc<String>,
    token: Arc<String>,
    shared: Arc<Shared>,
}

impl Feed {
    fn http(&self) -> reqwest::Client {
        self.http.clone()
    }

    fn new(http: reqwest::Client, base: String, token: String) -> Self {
        let shared = Shared {
            tally: Mutex::default(),
            memory: Mutex::default(),
        };
        Self {
            http,
            endpoint: Arc::new(format!("{base}/api/v1/orders")),
            token: Arc::new(token),
            shared: Arc::new(shared),
        }
    }

    /// Sends one valid order and returns its id.
    async fn first_order(&self, generator: &mut OrderGenerator) -> anyhow::Result<String> {
        let order = generator.next_order(Utc::now());
        let (status, body) = self.post(&order).await?;
        anyhow::ensure!(status == 201, "the node refused the first order: {status} {body}");
        self.remember(Kind::New, order);
        body["id"]
            .as_str()
            .map(str::to_owned)
            .context("the first answer has no id")
    }

    async fn run(&self, generator: &mut OrderGenerator, rate: f64, limit: Option<Duration>) -> anyhow::Result<()> {
        let started = Instant::now();
        let deadline = limit.map(|limit| tokio::time::Instant::now() + limit);
        let mut rng = StdRng::seed_from_u64(clock_seed());
        let mut ticker = tokio::time::interval(Duration::from_secs_f64(1.0 / rate));
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut status = tokio::time::interval_at(tokio::time::Instant::now() + STATUS_EVERY, STATUS_EVERY);
        let slots = Arc::new(Semaphore::new(IN_FLIGHT));
        let stop = stop_signal(deadline);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                () = &mut stop => break,
                _ = status.tick() => self.print_status(started.elapsed()),
                _ = ticker.tick() => {
                    let (kind, order) = self.next_delivery(generator, &mut rng);
                    let permit = slots.clone().acquire_owned().await.context("in-flight limit closed")?;
                    let feed = self.clone();
                    tokio::spawn(async move {
                        feed.deliver(kind, order).await;
                        drop(permit);
                    });
                }
            }
        }
        // Wait for deliveries in flight, so the final line counts every answer.
        let _all = slots
            .acquire_many(IN_FLIGHT as u32)
            .await
            .context("in-flight limit closed")?;
        self.print_status(started.elapsed());
        Ok(())
    }

    fn next_delivery(&self, generator: &mut OrderGenerator, rng: &mut StdRng) -> (Kind, Value) {
        let roll: f64 = rng.random();
        let now = Utc::now();
        {
            let mut memory = self.shared.memory.lock().expect("memory lock");
            if (BROKEN..BROKEN + DUPLICATE).contains(&roll) && !memory.settled.is_empty() {
                let index = rng.random_range(0..memory.settled.len());
                return (Kind::Duplicate, memory.settled[index].clone());
            }
            if (BROKEN + DUPLICATE..BROKEN + DUPLICATE + LATER_VERSION).contains(&roll) {
                let paid = memory
                    .pending
                    .pop_front()
                    .and_then(|order| generator::paid_version(&order, now));
                if let Some(paid) = paid {
                    return (Kind::LaterVersion, paid);
                }
            }
        }
        let order = generator.next_order(now);
        if roll < BROKEN {
            (Kind::Broken, break_order(order, rng))
        } else {
            (Kind::New, order)
        }
    }

    async fn deliver(&self, kind: Kind, order: Value) {
        let sent = Instant::now();
        let outcome = match self.post(&order).await {
            Ok((200..=299, body)) => body["outcome"].as_str().unwrap_or_default().to_owned(),
            Ok((400 | 422, _)) => "failed".to_owned(),
            Ok((status, _)) => {
                tracing::warn!(status, "unexpected answer to a delivery");
                "error".to_owned()
            }
            Err(error) => {
                tracing::warn!(error = format!("{error:#}"), "delivery failed");
                "error".to_owned()
            }
        };
        let latency = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
        {
            let mut tally = self.shared.tally.lock().expect("tally lock");
            tally.sent += 1;
            tally.window_us.push(latency);
            match outcome.as_str() {
                "created" => tally.created += 1,
                "unchanged" => tally.duplicates += 1,
                "updated" => tally.updated += 1,
                "stale" => tally.stale += 1,
                "failed" => tally.failed += 1,
                _ => tally.errors += 1,
            }
        }
        if matches!(outcome.as_str(), "created" | "updated") {
            self.remember(kind, order);
        }
    }

    /// Posts an order: the status and the answer's JSON body (`null` if it has none).
    async fn post(&self, order: &Value) -> anyhow::Result<(u16, Value)> {
        let request = self
            .http
            .post(self.endpoint.as_str())
            .bearer_auth(self.token.as_str())
            .json(order);
        let response = request.send().await?;
        let status = response.status().as_u16();
        Ok((status, response.json().await.unwrap_or(Value::Null)))
    }

    fn remember(&self, kind: Kind, order: Value) {
        let mut memory = self.shared.memory.lock().expect("memory lock");
        let pending = kind == Kind::New && order["financial_status"] == "pending";
        let list = if pending {
            &mut memory.pending
        } else {
            &mut memory.settled
        };
        if list.len() >= REMEMBERED {
            list.pop_front();
        }
        list.push_back(order);
    }

    fn print_status(&self, elapsed: Duration) {
        let mut tally = self.shared.tally.lock().expect("tally lock");
        let mut window = std::mem::take(&mut tally.window_us);
        window.sort_unstable();
        let t = &*tally;
        let mut line = format!("[{:>4} s] sent {} · created {}", elapsed.as_secs(), t.sent, t.created);
        line += &format!(
            " · duplicates {} · updated {} · failed {}",
            t.duplicates, t.updated, t.failed
        );
        // Neither happens when all is well, so they only show when they do.
        for (label, count) in [("stale", t.stale), ("errors", t.errors)]
            .into_iter()
            .filter(|(_, n)| *n > 0)
        {
            line += &format!(" · {label} {count}");
        }
        let (p50, p99) = (percentile_ms(&window, 50.0), percentile_ms(&window, 99.0));
        println!("{line} · p50 {p50:.1} ms · p99 {p99:.1} ms");
    }
}

/// Breaks an order the way integrations do: an unknown currency, a lost address line, or
/// a price sent as a JSON number.
fn break_order(mut order: Value, rng: &mut StdRng) -> Value {
    match rng.random_range(0..3) {
        0 => order["currency"] = json!("RMB"),
        1 => {
            if let Some(address) = order["shipping_address"].as_object_mut() {
                address.remove("line1");
            }
        }
        _ => order["lines"][0]["unit_price"] = json!(79.9),
    }
    order
}

fn clock_seed() -> u64 {
    Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64
}

/// Resolves on Ctrl-C or at the deadline.
async fn stop_signal(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(at) => {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {},
                () = tokio::time::sleep_until(at) => {},
            }
        }
        None => {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
