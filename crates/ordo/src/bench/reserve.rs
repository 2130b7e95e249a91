//! `ordo bench reserve`: reservations per second and commit → stream latency.
//!
//! Concurrent clients post paid one-line orders over HTTP; each order reserves stock in
//! the transaction that stores it. Three runs, each on a fresh store:
//! - `no reservation` (baseline): the same orders with `reserve_when = never`;
//! - `hot SKU`: every order reserves the same SKU (one contended stock row);
//! - `spread SKUs`: orders reserve one of 1,000 SKUs.
//!
//! During each run a live-stream subscriber (`GET /api/v1/stream`) times every
//! `order.created` event it receives against the moment the client got its 201 (after the
//! commit: a lower bound of commit → subscriber) and the moment it sent the request (an
//! upper bound). Afterwards the stock is checked: reserved equals the orders allocated,
//! nothing oversold, balances agree with movements.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::allocation::ReserveWhen;
use ordo_core::auth::Role;
use ordo_core::input::EXAMPLE_JSON;
use serde_json::{Value, json};

use super::{machine, percentile_ms};
use crate::config::Config;
use crate::server;

/// Options of `ordo bench reserve`.
#[derive(Debug, clap::Args)]
pub struct ReserveArgs {
    /// Store URL (default: a fresh SQLite file per run). A PostgreSQL URL is used as is:
    /// each run works in a tenant of its own.
    #[arg(long)]
    pub db: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub clients: u32,
    /// Measured seconds per run (at most 120).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=120))]
    pub seconds: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=30))]
    pub warmup_seconds: u64,
}

const SPREAD_SKUS: usize = 1000;
/// Enough units that no run sells out: the benchmark measures reserving, not holding.
const UNITS: i64 = 100_000_000;

#[derive(Clone, Copy, PartialEq)]
enum Mode {
    Baseline,
    Hot,
    Spread,
}

impl Mode {
    fn label(self) -> &'static str {
        match self {
            Self::Baseline => "no reservation (baseline)",
            Self::Hot => "hot SKU (1 row)",
            Self::Spread => "spread SKUs (1,000)",
        }
    }

    fn sku(self, n: u64) -> String {
        match self {
            Self::Hot => "HOT-1".into(),
            Self::Baseline | Self::Spread => format!("SKU-{:04}", n % SPREAD_SKUS as u64),
        }
    }
}

/// Timings of one order, microseconds since the run's start.
#[derive(Default, Clone, Copy)]
struct Timing {
    sent: u64,
    acked: Option<u64>,
    streamed: Option<u64>,
}

struct Outcome {
    mode: Mode,
    ok: u64,
    seconds: f64,
    latencies_us: Vec<u32>,
    from_ack_us: Vec<u32>,
    from_send_us: Vec<u32>,
    missing_from_stream: usize,
    errors: u64,
    stock: String,
}

/// Runs the three modes and prints a table.
pub async fn run(args: ReserveArgs, config: Config) -> anyhow::Result<()> {
    println!("machine: {}", machine());
    let scratch = tempfile::tempdir().context("creating a temporary directory")?;
    let mut outcomes = Vec::new();
    for (index, mode) in [Mode::Baseline, Mode::Hot, Mode::Spread].into_iter().enumerate() {
        let url = match &args.db {
            Some(url) => url.clone(),
            None => format!("sqlite://{}/reserve-{index}.db", scratch.path().display()),
        };
        let mut config = config.clone();
        config.server.listen = "127.0.0.1:0".into();
        config.auth.admin_token = None;
        config.inventory.unpaid_timeout_minutes = 0;
        if mode == Mode::Baseline {
            config.inventory.reserve_when = ReserveWhen::Never;
        }
        let store = server::open_store(&url, config.store.max_connections).await?;
        let tenant = TenantId::parse(format!("bench{}", Utc::now().timestamp_micros())).expect("valid tenant");
        store.ensure_tenant(&tenant, "bench", Utc::now()).await?;
        let token = TokenService::new(store.clone())
            .create(&tenant, Role::Admin, "bench", Utc::now())
            .await?
            .secret;
        let node = server::start(&config, store.clone(), None).await?;
        let base = format!("http://{}", node.addr);
        println!(
            "{}: store {}, clients {}, {} s + {} s warm-up",
            mode.label(),
            node.store.backend(),
            args.clients,
            args.seconds,
            args.warmup_seconds
        );
        let result = measure(mode, &base, &token, &args).await;
        node.stop().await?;
        outcomes.push(result?);
    }
    print(&outcomes);
    Ok(())
}

async fn measure(mode: Mode, base: &str, token: &str, args: &ReserveArgs) -> anyhow::Result<Outcome> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients as usize + 2)
        .timeout(Duration::from_secs(30))
        .build()?;
    stock(&http, base, token, mode).await?;
    let start = Instant::now();
    let timings: Arc<Mutex<HashMap<String, Timing>>> = Arc::default();
    let subscriber = tokio::spawn(subscribe(
        http.clone(),
        base.to_owned(),
        token.to_owned(),
        start,
        timings.clone(),
    ));
    // Let the subscriber connect before the load starts.
    tokio::time::sleep(Duration::from_millis(300)).await;
    let measure_from = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let stop_at = measure_from + Duration::from_secs(args.seconds);
    let mut clients = tokio::task::JoinSet::new();
    for client in 0..u64::from(args.clients) {
        let (http, endpoint, token, timings) = (
            http.clone(),
            format!("{base}/api/v1/orders"),
            token.to_owned(),
            timings.clone(),
        );
        let stride = u64::from(args.clients);
        clients.spawn(async move {
            let (mut ok, mut errors, mut latencies) = (0u64, 0u64, Vec::new());
            let mut n = client;
            while Instant::now() < stop_at {
                let external_id = format!("B-{n}");
                let body = order(&external_id, &mode.sku(n));
                let sent = Instant::now();
                timings.lock().expect("timings").insert(
                    external_id.clone(),
                    Timing {
                        sent: micros(start, sent),
                        ..Timing::default()
                    },
                );
                let answer = http.post(&endpoint).bearer_auth(&token).json(&body).send().await;
                let acked = Instant::now();
                match answer {
                    Ok(r) if r.status().as_u16() == 201 => {
                        if let Some(t) = timings.lock().expect("timings").get_mut(&external_id) {
                            t.acked = Some(micros(start, acked));
                        }
                        if sent >= measure_from {
                            ok += 1;
                            latencies.push(u32::try_from((acked - sent).as_micros()).unwrap_or(u32::MAX));
                        }
                    }
                    _ => errors += 1,
                }
                n += stride;
            }
            (ok, errors, latencies)
        });
    }
    let (mut ok, mut errors, mut latencies_us) = (0, 0, Vec::new());
    while let Some(joined) = clients.join_next().await {
        let (o, e, l) = joined.context("a load client panicked")?;
        ok += o;
        errors += e;
        latencies_us.extend(l);
    }
    let seconds = measure_from.elapsed().as_secs_f64();
    // Give the stream a moment to deliver the last events.
    tokio::time::sleep(Duration::from_millis(500)).await;
    subscriber.abort();
    latencies_us.sort_unstable();
    let (mut from_ack_us, mut from_send_us, mut missing_from_stream) = (Vec::new(), Vec::new(), 0);
    for t in timings.lock().expect("timings").values() {
        match (t.acked, t.streamed) {
            (Some(acked), Some(streamed)) => {
                from_ack_us.push(u32::try_from(streamed.saturating_sub(acked)).unwrap_or(u32::MAX));
                from_send_us.push(u32::try_from(streamed.saturating_sub(t.sent)).unwrap_or(u32::MAX));
            }
            (Some(_), None) => missing_from_stream += 1,
            _ => {}
        }
    }
    from_ack_us.sort_unstable();
    from_send_us.sort_unstable();
    let acked = timings
        .lock()
        .expect("timings")
        .values()
        .filter(|t| t.acked.is_some())
        .count() as i64;
    let stock = check_stock(&http, base, token, mode, acked).await?;
    Ok(Outcome {
        mode,
        ok,
        seconds,
        latencies_us,
        from_ack_us,
        from_send_us,
        missing_from_stream,
        errors,
        stock,
    })
}

fn micros(start: Instant, at: Instant) -> u64 {
    u64::try_from((at - start).as_micros()).unwrap_or(u64::MAX)
}

/// A paid one-line order for one unit of `sku`.
fn order(external_id: &str, sku: &str) -> Value {
    let mut value: Value = serde_json::from_str(EXAMPLE_JSON).expect("the example parses");
    value["external_id"] = json!(external_id);
    value["placed_at"] = json!(Utc::now().to_rfc3339());
    value["lines"] = json!([{ "sku": sku, "quantity": 1, "unit_price": "79.00" }]);
    value
}

/// One warehouse and the SKUs the mode uses, each with plenty of stock.
async fn stock(http: &reqwest::Client, base: &str, token: &str, mode: Mode) -> anyhow::Result<()> {
    let put = |path: String, body: Value| http.put(format!("{base}{path}")).bearer_auth(token).json(&body).send();
    let response = put("/api/v1/warehouses/HZ-01".into(), json!({ "name": "Hangzhou" })).await?;
    anyhow::ensure!(response.status().is_success(), "warehouse: {}", response.text().await?);
    let skus: Vec<String> = match mode {
        Mode::Hot => vec![mode.sku(0)],
        Mode::Baseline | Mode::Spread => (0..SPREAD_SKUS as u64).map(|n| mode.sku(n)).collect(),
    };
    let mut changes = Vec::new();
    for sku in &skus {
        let response = put(format!("/api/v1/skus/{sku}"), json!({ "name": sku })).await?;
        anyhow::ensure!(response.status().is_success(), "sku {sku}: {}", response.text().await?);
        changes.push(json!({ "warehouse": "HZ-01", "sku": sku, "op": "receive", "quantity": UNITS }));
    }
    let response = http
        .post(format!("{base}/api/v1/stock/changes"))
        .bearer_auth(token)
        .json(&changes)
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "stock: {}", response.text().await?);
    Ok(())
}

/// Reads the live stream and stamps every `order.created` it sees.
async fn subscribe(
    http: reqwest::Client,
    base: String,
    token: String,
    start: Instant,
    timings: Arc<Mutex<HashMap<String, Timing>>>,
) -> anyhow::Result<()> {
    let response = http
        .get(format!("{base}/api/v1/stream?kinds=order.created"))
        .bearer_auth(&token)
        .timeout(Duration::from_secs(600))
        .send()
        .await?;
    anyhow::ensure!(response.status().is_success(), "stream: HTTP {}", response.status());
    super::each_event(response, |event, at| {
        if let Some(id) = event["data"]["external_id"].as_str()
            && let Some(t) = timings.lock().expect("timings").get_mut(id)
        {
            t.streamed.get_or_insert(micros(start, at));
        }
    })
    .await
}

/// Reads the stock back: units reserved must equal orders acknowledged (nothing lost,
/// nothing oversold) and balances must agree with movements.
async fn check_stock(
    http: &reqwest::Client,
    base: &str,
    token: &str,
    mode: Mode,
    acked: i64,
) -> anyhow::Result<String> {
    let get = |path: &str| http.get(format!("{base}{path}")).bearer_auth(token).send();
    let check: Value = get("/api/v1/inventory/check").await?.json().await?;
    let consistent = check["consistent"] == true;
    let mut reserved = 0;
    let skus: Vec<String> = match mode {
        Mode::Hot => vec![mode.sku(0)],
        _ => (0..SPREAD_SKUS as u64).map(|n| mode.sku(n)).collect(),
    };
    for sku in skus {
        let view: Value = get(&format!("/api/v1/availability/{sku}")).await?.json().await?;
        reserved += view["levels"]["HZ-01"]["reserved"].as_i64().unwrap_or(0);
    }
    let expected = if mode == Mode::Baseline { 0 } else { acked };
    Ok(format!(
        "{reserved} units reserved for {acked} acknowledged orders ({}), balances {}",
        if reserved == expected {
            "as expected"
        } else {
            "MISMATCH"
        },
        if consistent { "agree with movements" } else { "DISAGREE" }
    ))
}

fn print(outcomes: &[Outcome]) {
    println!();
    println!(
        "{:<28} {:>9} {:>8} {:>8} {:>8} {:>13} {:>13} {:>13}",
        "mode", "orders/s", "p50 ms", "p99 ms", "errors", "ack→sse p50", "ack→sse p99", "send→sse p99"
    );
    for o in outcomes {
        println!(
            "{:<28} {:>9.0} {:>8.2} {:>8.2} {:>8} {:>13.2} {:>13.2} {:>13.2}",
            o.mode.label(),
            o.ok as f64 / o.seconds.max(f64::EPSILON),
            percentile_ms(&o.latencies_us, 50.0),
            percentile_ms(&o.latencies_us, 99.0),
            o.errors,
            percentile_ms(&o.from_ack_us, 50.0),
            percentile_ms(&o.from_ack_us, 99.0),
            percentile_ms(&o.from_send_us, 99.0),
        );
    }
    for o in outcomes {
        println!(
            "{}: {}; {} acknowledged orders never reached the stream",
            o.mode.label(),
            o.stock,
            o.missing_from_stream
        );
    }
}
