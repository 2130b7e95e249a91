//! `ordo bench console`: how fast each console page answers on a store filled by
//! `ordo seed`, signed in as a real user, one request at a time so each figure is the
//! server's own time plus a loopback hop. The API's order list is measured alongside as
//! the baseline of the same run.

use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::Utc;
use ordo_app::users::{NewUser, Users};
use ordo_core::TenantId;
use ordo_core::auth::Role;
use ordo_store::OrderQuery;

use super::percentile_ms;
use crate::config::Config;
use crate::server;

/// Options of `ordo bench console`.
#[derive(Debug, clap::Args)]
pub struct ConsoleArgs {
    /// Store URL of a seeded store (`ordo seed --orders 1000000 --db …`).
    #[arg(long)]
    db: String,
    /// Requests per page.
    #[arg(long, default_value_t = 200)]
    requests: usize,
}

/// Largest page the console may send.
const MAX_PAGE_BYTES: usize = 300 * 1024;

/// Runs the benchmark and prints a table per page.
pub async fn run(args: ConsoleArgs, mut config: Config) -> anyhow::Result<()> {
    let store = server::open_store(&args.db, config.store.max_connections).await?;
    let tenant = TenantId::default_tenant();
    let login = format!("bench-{}", Utc::now().timestamp_micros());
    let password = format!("bench-password-{}", uuid::Uuid::now_v7().simple());
    let users = Users::new(store.clone(), chrono::Duration::minutes(30));
    let new = NewUser {
        tenant: tenant.clone(),
        login: login.clone(),
        name: "Benchmark".into(),
        role: Role::Admin,
        language: "zh-CN".into(),
        password: password.clone(),
    };
    users.create(new, Utc::now()).await?;
    let token = ordo_app::TokenService::new(store.clone())
        .create(&tenant, Role::Admin, "bench", Utc::now())
        .await?;
    let sample = store
        .search_orders(
            &tenant,
            &OrderQuery {
                limit: 1,
                ..OrderQuery::default()
            },
        )
        .await?
        .items
        .into_iter()
        .next()
        .context("the store has no orders: run ordo seed first")?;
    config.store.url = args.db.clone();
    config.server.listen = "127.0.0.1:0".into();
    let node = server::start(&config, store, None).await?;
    let base = format!("http://{}", node.addr);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(30))
        .build()?;
    let signed = http
        .post(format!("{base}/login"))
        .form(&[("login", login.as_str()), ("password", password.as_str())])
        .send()
        .await?;
    let cookie = signed
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .context("signing in gave no session")?
        .to_owned();

    let order = format!("/orders/{}", sample.id);
    let pages: Vec<(&str, String, bool)> = vec![
        ("API /api/v1/orders (baseline)", "/api/v1/orders?limit=50".into(), true),
        ("orders", "/orders".into(), false),
        ("orders ?status=on_hold", "/orders?status=on_hold".into(), false),
        ("orders ?channel=taobao", "/orders?channel=taobao".into(), false),
        ("exceptions", "/exceptions".into(), false),
        ("dashboard", "/dashboard".into(), false),
        ("order", order, false),
        ("inventory", "/inventory".into(), false),
        ("channels", "/channels".into(), false),
        ("config", "/config".into(), false),
        ("inbox", "/inbox".into(), false),
        ("users", "/users".into(), false),
    ];
    println!(
        "{:<32} {:>8} {:>8} {:>8} {:>9} {:>7}",
        "page", "p50 ms", "p99 ms", "max ms", "bytes", "status"
    );
    for (name, path, api) in pages {
        let mut latencies = Vec::with_capacity(args.requests);
        let mut bytes = 0;
        let mut status = 0;
        for i in 0..args.requests + 5 {
            let request = http.get(format!("{base}{path}"));
            let request = if api {
                request.bearer_auth(&token.secret)
            } else {
                request.header(reqwest::header::COOKIE, &cookie)
            };
            let started = Instant::now();
            let response = request.send().await?;
            status = response.status().as_u16();
            let body = response.bytes().await?;
            let elapsed = started.elapsed();
            bytes = body.len();
            // The first few warm the caches, as a person's second visit would.
            if i >= 5 {
                latencies.push(u32::try_from(elapsed.as_micros()).unwrap_or(u32::MAX));
            }
        }
        latencies.sort_unstable();
        let flag = if bytes > MAX_PAGE_BYTES { "  over 300 KB" } else { "" };
        println!(
            "{name:<32} {:>8.2} {:>8.2} {:>8.2} {bytes:>9} {status:>7}{flag}",
            percentile_ms(&latencies, 50.0),
            percentile_ms(&latencies, 99.0),
            percentile_ms(&latencies, 100.0),
        );
    }
    node.stop().await
}
