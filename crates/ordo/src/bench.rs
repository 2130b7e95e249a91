//! `ordo bench`: load benchmarks that drive a real node over HTTP on 127.0.0.1.
//!
//! Owns the ingestion benchmark: concurrent clients post unique generated orders for a
//! bounded time, latencies are recorded per request after a warm-up, and afterwards a
//! sample of the acknowledged orders is read back to show they were really kept. With
//! `--baseline` the same load runs again with group commit off (`max_batch = 1`), so the
//! effect of batching commits shows side by side on the same machine.

use std::collections::{BTreeMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use ordo_app::TokenService;
use ordo_core::TenantId;
use ordo_core::auth::Role;
use rand::seq::IndexedRandom;

use crate::config::Config;
use crate::generator::OrderGenerator;
use crate::server;

/// Longest accepted measurement, seconds: keeps a run (and its latency log) bounded.
const MAX_SECONDS: u64 = 300;
/// Acknowledged orders read back after the load.
const DURABILITY_SAMPLE: usize = 50;
/// Distinct error answers printed in full; the rest are only counted.
const ERRORS_SHOWN: usize = 5;

mod channels;
mod console;
mod douyin_push;
mod fulfil;
mod repair;
mod reserve;

/// Benchmarks.
#[derive(Debug, clap::Subcommand)]
pub enum BenchCommand {
    /// Ingestion throughput and latency: concurrent clients POST unique orders.
    Ingest(IngestArgs),
    /// Reservations per second (hot and spread SKUs) and commit → live-stream latency.
    Reserve(reserve::ReserveArgs),
    /// Ingest lag per channel (created on a simulated platform → order in Ordo).
    Channels(channels::ChannelsArgs),
    /// Douyin order lag by message push (created on the platform → order in Ordo).
    DouyinPush(douyin_push::DouyinPushArgs),
    /// The auto-repair rate (and wrong repairs) on a seeded corpus of broken orders.
    Repair(repair::RepairArgs),
    /// Order submitted → fulfilment request at the (simulated) warehouse.
    Fulfil(fulfil::FulfilArgs),
    /// Server time of each console page on a seeded store (`ordo seed`).
    Console(console::ConsoleArgs),
}

/// Options of `ordo bench ingest`.
#[derive(Debug, clap::Args)]
pub struct IngestArgs {
    /// Store URL (default: a fresh SQLite file in a temporary directory). A PostgreSQL URL
    /// is used as is; every run posts external ids of its own, so runs do not collide.
    #[arg(long)]
    pub db: Option<String>,
    /// Concurrent clients.
    #[arg(long, default_value_t = 64, value_parser = clap::value_parser!(u32).range(1..=4096))]
    pub clients: u32,
    /// Measured seconds (at most 300).
    #[arg(long, default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=MAX_SECONDS))]
    pub seconds: u64,
    /// Seconds of load before measuring starts.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(0..=60))]
    pub warmup_seconds: u64,
    /// Also run the same load with group commit off (`max_batch = 1`) and compare.
    #[arg(long, conflicts_with = "url")]
    pub baseline: bool,
    /// Target an already running server instead of starting one, e.g. http://127.0.0.1:8080.
    #[arg(long, requires = "token")]
    pub url: Option<String>,
    /// Token for `--url` (needs the ingest and read permissions).
    #[arg(long, requires = "url")]
    pub token: Option<String>,
}

/// Runs a benchmark.
pub async fn run(command: BenchCommand, config: Config) -> anyhow::Result<()> {
    match command {
        BenchCommand::Ingest(args) => ingest(args, config).await,
        BenchCommand::Reserve(args) => reserve::run(args, config).await,
        BenchCommand::Channels(args) => channels::run(args, config).await,
        BenchCommand::DouyinPush(args) => douyin_push::run(args, config).await,
        BenchCommand::Repair(args) => repair::run(args),
        BenchCommand::Fulfil(args) => fulfil::run(args, config).await,
        BenchCommand::Console(args) => console::run(args, config).await,
    }
}

/// What one load run measured.
struct Report {
    label: String,
    seconds: f64,
    ok: u64,
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    error_samples: Vec<String>,
    created: Vec<String>,
    readback: (usize, usize),
}

impl Report {
    fn per_second(&self) -> f64 {
        self.ok as f64 / self.seconds
    }

    fn percentile_ms(&self, p: f64) -> f64 {
        percentile_ms(&self.latencies_us, p)
    }
}

/// The nearest-rank percentile `p` (0..=100) of sorted microseconds, in milliseconds:
/// the smallest sample at or above `p` per cent of them; 0 when there are none.
pub fn percentile_ms(sorted_us: &[u32], p: f64) -> f64 {
    if sorted_us.is_empty() {
        return 0.0;
    }
    let rank = ((p / 100.0) * sorted_us.len() as f64).ceil() as usize;
    f64::from(sorted_us[rank.clamp(1, sorted_us.len()) - 1]) / 1000.0
}

/// Where the load goes.
struct Target {
    base: String,
    token: String,
}

async fn ingest(args: IngestArgs, config: Config) -> anyhow::Result<()> {
    println!("machine: {}", machine());
    let clients = args.clients;
    // For reading back after the load; the load has its own client (see `drive`).
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let mut reports = Vec::new();
    if let (Some(url), Some(token)) = (&args.url, &args.token) {
        println!(
            "target: {url} (a running server), clients: {clients}, {} s + {} s warm-up",
            args.seconds, args.warmup_seconds
        );
        let target = Target {
            base: url.trim_end_matches('/').to_owned(),
            token: token.clone(),
        };
        reports.push(load(&http, &target, &args, "running server".into()).await?);
    } else {
        let scratch = tempfile::tempdir().context("creating a temporary directory")?;
        let modes: &[(&str, Option<usize>)] = if args.baseline {
            &[("group commit", None), ("no group commit", Some(1))]
        } else {
            &[("group commit", None)]
        };
        for (index, (label, max_batch)) in modes.iter().enumerate() {
            let url = match &args.db {
                Some(url) => url.clone(),
                // A fresh file per mode, so the second run does not start on a bigger table.
                None => format!("sqlite://{}/bench-{index}.db", scratch.path().display()),
            };
            let mut config = config.clone();
            config.server.listen = "127.0.0.1:0".into();
            config.auth.admin_token = None;
            if let Some(max_batch) = max_batch {
                config.ingest.max_batch = *max_batch;
            }
            let store = server::open_store(&url, config.store.max_connections).await?;
            let minted = TokenService::new(store.clone())
                .create(&TenantId::default_tenant(), Role::Admin, "bench", Utc::now())
                .await?;
            let node = server::start(&config, store.clone(), None).await?;
            println!(
                "store: {} ({}), max_batch {}, clients {clients}, {} s + {} s warm-up",
                node.store.backend(),
                crate::redact_url(&url),
                config.ingest.max_batch,
                args.seconds,
                args.warmup_seconds
            );
            let target = Target {
                base: format!("http://{}", node.addr),
                token: minted.secret,
            };
            // Orders reserve stock as they would in production: the sample catalogue,
            // with more units than any run can sell.
            crate::demo::seed::seed(&http, &target.base, &target.token).await?;
            crate::demo::seed::receive_everywhere(&http, &target.base, &target.token, 10_000_000).await?;
            let report = load(
                &http,
                &target,
                &args,
                format!("{label} (max_batch {})", config.ingest.max_batch),
            )
            .await;
            node.stop().await?;
            reports.push(report?);
        }
    }
    print_reports(&reports);
    let durable = reports.iter().all(|r| r.readback.0 == r.readback.1);
    anyhow::ensure!(durable, "some acknowledged orders could not be read back");
    Ok(())
}

/// What one client saw.
#[derive(Default)]
struct ClientLog {
    ok: u64,
    latencies_us: Vec<u32>,
    errors: BTreeMap<String, u64>,
    error_samples: Vec<String>,
    created: Vec<String>,
}

/// When the load starts, is measured and stops.
#[derive(Clone, Copy)]
struct Window {
    measure_from: Instant,
    stop_at: Instant,
}

async fn load(http: &reqwest::Client, target: &Target, args: &IngestArgs, label: String) -> anyhow::Result<Report> {
    let clients = args.clients;
    let measure_from = Instant::now() + Duration::from_secs(args.warmup_seconds);
    let window = Window {
        measure_from,
        stop_at: measure_from + Duration::from_secs(args.seconds),
    };
    let endpoint = format!("{}/api/v1/orders", target.base);
    let token = target.token.clone();
    // The clients get a thread and a runtime of their own, as a separate load generator
    // would: on the node's runtime they would queue their work among the node's tasks.
    let logs = tokio::task::spawn_blocking(move || {
        let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build()?;
        runtime.block_on(drive(clients, endpoint, token, window))
    })
    .await
    .context("the load thread panicked")??;
    let mut report = Report {
        label,
        seconds: measure_from.elapsed().as_secs_f64().max(f64::EPSILON),
        ok: 0,
        latencies_us: Vec::new(),
        errors: BTreeMap::new(),
        error_samples: Vec::new(),
        created: Vec::new(),
        readback: (0, 0),
    };
    for log in logs {
        report.ok += log.ok;
        report.latencies_us.extend(log.latencies_us);
        for (kind, count) in log.errors {
            *report.errors.entry(kind).or_default() += count;
        }
        let room = ERRORS_SHOWN.saturating_sub(report.error_samples.len());
        report.error_samples.extend(log.error_samples.into_iter().take(room));
        report.created.extend(log.created);
    }
    report.latencies_us.sort_unstable();
    report.readback = read_back(http, target, &report.created).await?;
    Ok(report)
}

/// Runs the clients until the window closes; one log per client.
async fn drive(clients: u32, endpoint: String, token: String, window: Window) -> anyhow::Result<Vec<ClientLog>> {
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(clients as usize)
        .timeout(Duration::from_secs(30))
        .build()
        .context("building the HTTP client")?;
    let (endpoint, token) = (Arc::new(endpoint), Arc::new(token));
    // Seeded from the clock so that runs against a persistent database post new orders.
    let seed = Utc::now().timestamp_nanos_opt().unwrap_or_default() as u64;
    let mut tasks = tokio::task::JoinSet::new();
    for stripe in 0..u64::from(clients) {
        let (http, endpoint, token) = (http.clone(), endpoint.clone(), token.clone());
        let mut generator = OrderGenerator::striped(seed, stripe, u64::from(clients));
        tasks.spawn(async move {
            let mut log = ClientLog::default();
            loop {
                let body = serde_json::to_vec(&generator.next_order(Utc::now())).expect("JSON values serialise");
                let sent = Instant::now();
                if sent >= window.stop_at {
                    break;
                }
                let answer = post(&http, &endpoint, &token, body).await;
                let elapsed = u32::try_from(sent.elapsed().as_micros()).unwrap_or(u32::MAX);
                match answer {
                    Ok((status, id)) if (200..300).contains(&status) => {
                        log.created.extend(id.filter(|_| status == 201));
                        // Requests still in flight at the deadline finish a little after it;
                        // they count, and so does the time they took.
                        if sent >= window.measure_from {
                            log.ok += 1;
                            log.latencies_us.push(elapsed);
                        }
                    }
                    Ok((status, text)) => note_error(&mut log, format!("HTTP {status}"), text.unwrap_or_default()),
                    Err(error) => note_error(&mut log, "transport".into(), format!("{error:#}")),
                }
            }
            log
        });
    }
    let mut logs = Vec::with_capacity(clients as usize);
    while let Some(log) = tasks.join_next().await {
        logs.push(log.context("a load client panicked")?);
    }
    Ok(logs)
}

fn note_error(log: &mut ClientLog, kind: String, detail: String) {
    if log.error_samples.len() < ERRORS_SHOWN {
        let detail: String = detail.chars().take(300).collect();
        log.error_samples.push(format!("{kind}: {detail}"));
    }
    *log.errors.entry(kind).or_default() += 1;
}

/// Posts one order: `(status, id of a 201 or the body of an error)`.
async fn post(
    http: &reqwest::Client,
    endpoint: &str,
    token: &str,
    body: Vec<u8>,
) -> anyhow::Result<(u16, Option<String>)> {
    let response = http
        .post(endpoint)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, "application/json")
        .body(body)
        .send()
        .await?;
    let status = response.status().as_u16();
    let bytes = response.bytes().await?;
    if status == 201 {
        let value: serde_json::Value = serde_json::from_slice(&bytes).context("201 without a JSON body")?;
        return Ok((status, value["id"].as_str().map(str::to_owned)));
    }
    let text = (!(200..300).contains(&status)).then(|| String::from_utf8_lossy(&bytes).into_owned());
    Ok((status, text))
}

/// Checks that acknowledged ids are distinct and reads a random sample back:
/// `(read back, sampled)`.
async fn read_back(http: &reqwest::Client, target: &Target, created: &[String]) -> anyhow::Result<(usize, usize)> {
    let distinct: HashSet<&String> = created.iter().collect();
    anyhow::ensure!(
        distinct.len() == created.len(),
        "{} ids were acknowledged twice",
        created.len() - distinct.len()
    );
    let sample: Vec<&String> = created.choose_multiple(&mut rand::rng(), DURABILITY_SAMPLE).collect();
    let mut found = 0;
    for id in &sample {
        let response = http
            .get(format!("{}/api/v1/orders/{id}", target.base))
            .bearer_auth(&target.token)
            .send()
            .await?;
        if response.status().as_u16() == 200 {
            found += 1;
        } else {
            eprintln!(
                "order {id} was acknowledged but reads back as HTTP {}",
                response.status()
            );
        }
    }
    Ok((found, sample.len()))
}

fn print_reports(reports: &[Report]) {
    println!();
    println!(
        "{:<32} {:>10} {:>8} {:>8} {:>8} {:>9} {:>8}",
        "mode", "orders/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "errors"
    );
    for r in reports {
        let errors: u64 = r.errors.values().sum();
        println!(
            "{:<32} {:>10.0} {:>8.2} {:>8.2} {:>8.2} {:>9.2} {:>8}",
            r.label,
            r.per_second(),
            r.percentile_ms(50.0),
            r.percentile_ms(90.0),
            r.percentile_ms(99.0),
            r.percentile_ms(100.0),
            errors
        );
    }
    if let [grouped, single] = reports {
        println!(
            "speed-up from group commit: {:.1}×",
            grouped.per_second() / single.per_second().max(f64::EPSILON)
        );
    }
    for r in reports {
        if !r.errors.is_empty() {
            println!("{} errors: {:?}", r.label, r.errors);
            for sample in &r.error_samples {
                println!("  {sample}");
            }
        }
        println!(
            "{}: {} orders acknowledged with 201, all distinct; {} of {} sampled read back with 200",
            r.label,
            r.created.len(),
            r.readback.0,
            r.readback.1
        );
    }
}

/// Reads a live-stream response and hands each event's JSON to `each`, with the instant
/// its chunk arrived; returns when the stream ends.
pub(crate) async fn each_event(
    mut response: reqwest::Response,
    mut each: impl FnMut(&serde_json::Value, std::time::Instant),
) -> anyhow::Result<()> {
    let mut pending = String::new();
    while let Some(chunk) = response.chunk().await? {
        let now = std::time::Instant::now();
        pending.push_str(&String::from_utf8_lossy(&chunk));
        while let Some(end) = pending.find("\n\n") {
            let message: String = pending.drain(..end + 2).collect();
            let Some(data) = message.lines().find_map(|l| l.strip_prefix("data:")) else {
                continue;
            };
            if let Ok(event) = serde_json::from_str::<serde_json::Value>(data.trim()) {
                each(&event, now);
            }
        }
    }
    Ok(())
}

/// CPU count and model, e.g. `2 CPUs, AMD EPYC 7B13`.
pub(crate) fn machine() -> String {
    let cpus = std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1);
    let model = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|line| line.starts_with("model name"))
                .and_then(|line| line.split_once(':'))
                .map(|(_, model)| model.trim().to_owned())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    format!(
        "{cpus} CPUs, {model}, {} {}",
        std::env::consts::OS,
        std::env::consts::ARCH
    )
}
