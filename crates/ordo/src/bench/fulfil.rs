//! `ordo bench fulfil`: from an order submitted to Ordo to its fulfilment request
//! arriving at the warehouse, with simulated warehouses on this machine. The order is
//! repaired, reviewed under the built-in rules, reserved and queued to its warehouse in
//! one transaction; the request then leaves through the outbox. The baseline in the
//! same run is the API answer itself (submitted → `201`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Utc;
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_sim::{WmsKind, WmsSim, WmsSimConfig, WmsSimulator};
use ordo_store::stock::inventory::{SkuRecord, StockChange, StockOp, Warehouse};
use serde_json::{Value, json};
use tokio::sync::Semaphore;

use crate::config::Config;
use crate::server;

/// Options of `ordo bench fulfil`.
#[derive(Debug, clap::Args)]
pub struct FulfilArgs {
    /// Seconds to submit orders for.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Orders submitted per second.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Store URL (default: a fresh SQLite file).
    #[arg(long)]
    pub db: Option<String>,
}

const WAREHOUSES: [&str; 2] = ["HZ-01", "SZ-01"];
const SKUS: [&str; 2] = ["TEE-RED-M", "MUG-01"];
/// Requests in flight at once; enough for the rate, bounded so an overloaded node is
/// measured as slow rather than flooded.
const IN_FLIGHT: usize = 512;

/// Runs the benchmark and prints both latencies.
pub async fn run(args: FulfilArgs, mut config: Config) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let url = args
        .db
        .clone()
        .unwrap_or_else(|| format!("sqlite://{}", dir.path().join("ordo.db").display()));
    config.store.url = url.clone();
    config.server.listen = "127.0.0.1:0".into();
    let store = server::open_store(&url, config.store.max_connections).await?;
    let mut sims: Vec<(String, WmsSim)> = Vec::new();
    for (n, code) in WAREHOUSES.iter().enumerate() {
        let mut sim = WmsSimConfig::new(WmsKind::Generic);
        sim.token = "bench-token".into();
        sim.secret = "bench-secret".into();
        sim.seed = n as u64;
        // Only the arrival is measured: the warehouse takes its time to accept, so no
        // callback competes with the load.
        sim.accept_delay = Duration::from_secs(3600);
        sims.push((
            (*code).to_owned(),
            WmsSimulator::start(sim).await.map_err(|e| anyhow::anyhow!("{e}"))?,
        ));
    }
    config.warehouses = sims
        .iter()
        .map(|(code, sim)| {
            serde_json::from_value(json!({
                "code": code, "kind": "generic", "base_url": sim.url(),
                "token": "bench-token", "secret": "bench-secret",
            }))
        })
        .collect::<Result<_, _>>()?;
    stock(&store, args.rate * args.seconds as f64).await?;
    let node = server::start(&config, store.clone(), None).await?;
    let token = TokenService::new(store.clone())
        .create(&TenantId::default_tenant(), Role::Admin, "bench", Utc::now())
        .await?
        .secret;
    let base = format!("http://{}", node.addr);
    let http = reqwest::Client::builder().pool_max_idle_per_host(IN_FLIGHT).build()?;
    println!(
        "bench fulfil: {} orders/s for {} s on {}, {} simulated warehouses",
        args.rate,
        args.seconds,
        store.backend(),
        sims.len()
    );
    let submitted: Arc<Mutex<HashMap<String, (Instant, Duration)>>> = Arc::default();
    let errors = Arc::new(Mutex::new(0_usize));
    let gate = Arc::new(Semaphore::new(IN_FLIGHT));
    let every = Duration::from_secs_f64(1.0 / args.rate.max(1.0));
    let mut tick = tokio::time::interval(every);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Burst);
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut n = 0_u64;
    while Instant::now() < deadline {
        tick.tick().await;
        n += 1;
        let permit = gate.clone().acquire_owned().await?;
        let (http, base, token, submitted, errors) = (
            http.clone(),
            base.clone(),
            token.clone(),
            submitted.clone(),
            errors.clone(),
        );
        tokio::spawn(async move {
            let _permit = permit;
            let started = Instant::now();
            let answer = http
                .post(format!("{base}/api/v1/orders"))
                .bearer_auth(&token)
                .json(&order(n))
                .send()
                .await;
            let id = match answer {
                Ok(r) if r.status().as_u16() == 201 => r
                    .json::<Value>()
                    .await
                    .ok()
                    .and_then(|b| b["id"].as_str().map(str::to_owned)),
                _ => None,
            };
            match id {
                Some(id) => {
                    submitted
                        .lock()
                        .expect("submitted")
                        .insert(id, (started, started.elapsed()));
                }
                None => *errors.lock().expect("errors") += 1,
            }
        });
    }
    let _ = gate.acquire_many(IN_FLIGHT as u32).await?;
    // Wait for the stragglers to reach their warehouse.
    let wanted = submitted.lock().expect("submitted").len();
    let drain = Instant::now();
    while sims.iter().map(|(_, s)| s.received().len()).sum::<usize>() < wanted
        && drain.elapsed() < Duration::from_secs(30)
    {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let submitted = submitted.lock().expect("submitted").clone();
    let mut api_us: Vec<u32> = submitted.values().map(|(_, d)| d.as_micros() as u32).collect();
    let mut wms_us: Vec<u32> = Vec::new();
    for (_, sim) in &sims {
        for r in sim.received() {
            if let Some((started, _)) = submitted.get(&r.order_id) {
                wms_us.push(r.at.saturating_duration_since(*started).as_micros() as u32);
            }
        }
    }
    api_us.sort_unstable();
    wms_us.sort_unstable();
    let p = crate::bench::percentile_ms;
    println!("machine: {}", crate::bench::machine());
    println!("| path | orders | p50 ms | p99 ms | max ms |");
    println!("|---|---|---|---|---|");
    println!(
        "| submitted → 201 (baseline) | {} | {:.1} | {:.1} | {:.1} |",
        api_us.len(),
        p(&api_us, 50.0),
        p(&api_us, 99.0),
        p(&api_us, 100.0)
    );
    println!(
        "| submitted → request at warehouse | {} | {:.1} | {:.1} | {:.1} |",
        wms_us.len(),
        p(&wms_us, 50.0),
        p(&wms_us, 99.0),
        p(&wms_us, 100.0)
    );
    println!(
        "sent {n}, accepted {}, refused or failed {}, reached a warehouse {}, achieved {:.0} orders/s",
        submitted.len(),
        *errors.lock().expect("errors"),
        wms_us.len(),
        submitted.len() as f64 / args.seconds as f64
    );
    node.stop().await?;
    Ok(())
}

/// A distinct, valid order (its own street number, so review sees no duplicates).
fn order(n: u64) -> Value {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).expect("example order");
    order["external_id"] = json!(format!("FUL-{n}"));
    order["remark"] = Value::Null;
    order["shipping_address"]["line1"] = json!(format!("文三路 {n} 号"));
    order
}

async fn stock(store: &Arc<dyn ordo_store::Store>, orders: f64) -> anyhow::Result<()> {
    let tenant = TenantId::default_tenant();
    let now = Utc::now();
    for (priority, code) in WAREHOUSES.iter().enumerate() {
        let w = Warehouse {
            code: (*code).into(),
            name: (*code).into(),
            latitude: None,
            longitude: None,
            region: None,
            channels: vec![],
            daily_capacity: None,
            priority: priority as i64,
            active: true,
        };
        store.upsert_warehouse(&tenant, &w, now).await?;
    }
    for sku in SKUS {
        let record = SkuRecord {
            code: sku.into(),
            barcode: None,
            name: sku.into(),
            weight_g: None,
            dimensions_mm: None,
            attributes: vec![],
            cost_price_minor: None,
            cost_currency: None,
            low_stock_threshold: None,
            components: vec![],
        };
        store
            .upsert_sku(&tenant, &record, now)
            .await?
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        for code in WAREHOUSES {
            let receipt = StockChange {
                warehouse: code.into(),
                sku: sku.into(),
                op: StockOp::Receive {
                    quantity: (orders * 4.0) as i64 + 100,
                },
                reason: "bench".into(),
                reference: None,
                actor: "bench".into(),
            };
            store.change_stock(&tenant, &[receipt], now).await?[0]
                .clone()
                .map_err(|e| anyhow::anyhow!("{e:?}"))?;
        }
    }
    Ok(())
}
