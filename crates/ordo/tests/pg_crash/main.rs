//! Durability of the real binary on PostgreSQL: the database server itself is killed with
//! `kill -9` while clients post orders that reserve stock.
//!
//! The test runs a PostgreSQL of its own in a temporary directory (never the shared one on
//! port 5432), kills its postmaster without warning mid-load, keeps posting while it is
//! down, restarts it on the same data directory and port, and expects the `ordo serve`
//! that kept running to find it again by itself. Then, read through the API and, apart
//! from Ordo, straight from the database with `psql`:
//! - every order answered 201 is there, as it was sent;
//! - sending orders again creates none twice, and no external id is stored twice;
//! - what is reserved is exactly what the allocated orders hold, and a held order holds
//!   nothing;
//! - every stock balance equals the sum of its movements.

#[path = "../common/postgres.rs"]
mod postgres;
#[path = "../common/server.rs"]
mod server;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use ordo_core::inventory::MovementKind;
use serde_json::{Value, json};

use postgres::Postgres;
use server::Server;

/// The stock policy, named because the stock assertions depend on it: paid orders reserve,
/// and one that cannot have all its units reserves none.
const POLICY: [(&str, &str); 2] = [
    ("ORDO_INVENTORY__RESERVE_WHEN", "paid"),
    ("ORDO_INVENTORY__ON_SHORT", "hold"),
];

const TOKEN: &str = "pg-crash-test-admin-token-0123456789abcdef";
const CLIENTS: usize = 12;
/// Acknowledged orders wanted before the kill, so a loss would be noticed.
const ENOUGH: usize = 200;
/// How long the database stays down while the clients keep posting.
const OUTAGE: Duration = Duration::from_secs(1);
/// Orders acknowledged after the restart, to show the same ordo process serves again.
const AFTER_RESTART: usize = 24;
/// Every this many acknowledged orders, one is sent again after recovery.
const REDELIVER_EVERY: usize = 5;
/// The SKUs of the example order's two lines, in line order.
const SKUS: [&str; 2] = ["TEE-RED-M", "MUG-01"];
/// Stock before the load: (warehouse, sku, units). An order carries about 2 tees and 1.5
/// mugs, so this is room for roughly 120 orders, fewer than are posted: some orders are
/// allocated, the others held for stock.
const STOCK: [(&str, &str, i64); 4] = [
    ("HZ-01", "TEE-RED-M", 140),
    ("HZ-01", "MUG-01", 100),
    ("SZ-01", "TEE-RED-M", 100),
    ("SZ-01", "MUG-01", 80),
];

async fn call(http: &reqwest::Client, method: reqwest::Method, url: String, body: Option<Vec<u8>>) -> (u16, Value) {
    let mut request = http.request(method, url).bearer_auth(TOKEN);
    if let Some(body) = body {
        request = request.header("content-type", "application/json").body(body);
    }
    let response = request.send().await.expect("ordo answers");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or_default())
}

async fn get(http: &reqwest::Client, base: &str, path: &str) -> Value {
    let (status, body) = call(http, reqwest::Method::GET, format!("{base}{path}"), None).await;
    assert_eq!(status, 200, "GET {path}: {body}");
    body
}

/// GETs every path, `CLIENTS` at a time; answers in the order of `paths`.
async fn get_all(http: &reqwest::Client, base: &str, paths: Vec<String>) -> Vec<Value> {
    let paths = Arc::new(paths);
    let tasks: Vec<_> = (0..CLIENTS)
        .map(|task| {
            let (http, base, paths) = (http.clone(), base.to_owned(), paths.clone());
            tokio::spawn(async move {
                let mut answers = Vec::new();
                for (index, path) in paths.iter().enumerate().skip(task).step_by(CLIENTS) {
                    answers.push((index, get(&http, &base, path).await));
                }
                answers
            })
        })
        .collect();
    let mut answers = Vec::with_capacity(paths.len());
    for task in tasks {
        answers.extend(task.await.unwrap());
    }
    answers.sort_by_key(|(index, _)| *index);
    answers.into_iter().map(|(_, answer)| answer).collect()
}

/// Two warehouses and the two SKUs of the example order, stocked as in [`STOCK`]: one
/// warehouse by a receipt, the other by a count, so the ledger has both kinds of movement.
async fn stock_up(http: &reqwest::Client, base: &str) {
    for (code, name) in [("HZ-01", "Hangzhou"), ("SZ-01", "Shenzhen")] {
        let body = json!({"name": name, "region": "CN"}).to_string().into_bytes();
        let (status, answer) = call(
            http,
            reqwest::Method::PUT,
            format!("{base}/api/v1/warehouses/{code}"),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "warehouse {code}: {answer}");
    }
    for sku in SKUS {
        let body = json!({"name": sku}).to_string().into_bytes();
        let (status, answer) = call(
            http,
            reqwest::Method::PUT,
            format!("{base}/api/v1/skus/{sku}"),
            Some(body),
        )
        .await;
        assert_eq!(status, 200, "sku {sku}: {answer}");
    }
    let changes: Vec<Value> = STOCK
        .iter()
        .map(|(warehouse, sku, units)| {
            let op = if *warehouse == "HZ-01" { "receive" } else { "set" };
            json!({"warehouse": warehouse, "sku": sku, "op": op, "quantity": units})
        })
        .collect();
    let body = serde_json::to_vec(&changes).unwrap();
    let (status, results) = call(
        http,
        reqwest::Method::POST,
        format!("{base}/api/v1/stock/changes"),
        Some(body),
    )
    .await;
    assert_eq!(status, 200, "stock changes: {results}");
    assert!(
        results.as_array().unwrap().iter().all(|row| row["ok"] == true),
        "stock changes refused: {results}"
    );
}

/// Units of (TEE-RED-M, MUG-01) in order `n` of client `client`: 1–3 tees and 1–2 mugs,
/// so orders differ and stock runs out unevenly.
fn units(client: usize, n: usize) -> [i64; 2] {
    [1 + ((client + n) % 3) as i64, 1 + ((client * 7 + n) % 2) as i64]
}

fn external_id(client: usize, n: usize) -> String {
    format!("PGCRASH-{client}-{n}")
}

/// The example order with its own external id and quantities; the same bytes each time it
/// is sent, as a channel redelivering it would.
fn order(client: usize, n: usize) -> Vec<u8> {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    order["external_id"] = Value::from(external_id(client, n));
    let lines = order["lines"].as_array_mut().unwrap();
    assert_eq!(lines.len(), SKUS.len());
    for ((line, sku), units) in lines.iter_mut().zip(SKUS).zip(units(client, n)) {
        assert_eq!(line["sku"], sku, "the example order's lines");
        line["quantity"] = Value::from(units);
    }
    serde_json::to_vec(&order).unwrap()
}

/// Shared between the clients and the test.
#[derive(Default)]
struct Progress {
    stop: AtomicBool,
    acknowledged: AtomicUsize,
    unanswered: AtomicUsize,
}

/// An order answered 201, with the id the answer gave.
struct Acknowledged {
    client: usize,
    n: usize,
    id: String,
}

/// What one client saw: orders answered 201, and orders sent without a 201 (errors while
/// the database was down: they may or may not be stored).
#[derive(Default)]
struct Seen {
    acknowledged: Vec<Acknowledged>,
    unanswered: Vec<(usize, usize)>,
    /// How the server answered those it answered without a 201, and how long the slowest
    /// of those answers took.
    refusals: BTreeMap<u16, usize>,
    slowest_refusal: Duration,
}

/// Posts new orders until told to stop (or time is up), through the outage.
async fn client(http: reqwest::Client, base: String, index: usize, progress: Arc<Progress>) -> Seen {
    let deadline = Instant::now() + Duration::from_secs(40);
    let mut seen = Seen::default();
    for n in 0.. {
        if progress.stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            break;
        }
        let asked = Instant::now();
        let sent = http
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(order(index, n))
            .send()
            .await;
        let id = match sent {
            Ok(response) if response.status().as_u16() == 201 => response
                .json::<Value>()
                .await
                .ok()
                .and_then(|body| body["id"].as_str().map(str::to_owned)),
            Ok(response) => {
                *seen.refusals.entry(response.status().as_u16()).or_default() += 1;
                seen.slowest_refusal = seen.slowest_refusal.max(asked.elapsed());
                None
            }
            Err(_) => None,
        };
        match id {
            Some(id) => {
                seen.acknowledged.push(Acknowledged { client: index, n, id });
                progress.acknowledged.fetch_add(1, Ordering::Relaxed);
            }
            None => {
                seen.unanswered.push((index, n));
                progress.unanswered.fetch_add(1, Ordering::Relaxed);
                // Do not spin while the database is down.
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        }
    }
    seen
}

/// Every order, paging through the search: (external id, id).
async fn list_orders(http: &reqwest::Client, base: &str) -> Vec<(String, String)> {
    let mut orders = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(cursor) => format!("/api/v1/orders?limit=500&cursor={cursor}"),
            None => "/api/v1/orders?limit=500".to_owned(),
        };
        let page = get(http, base, &path).await;
        for item in page["items"].as_array().unwrap() {
            orders.push((
                item["external_id"].as_str().unwrap().to_owned(),
                item["id"].as_str().unwrap().to_owned(),
            ));
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_owned()),
            None => return orders,
        }
    }
}

/// The (on hand, reserved) that a level's movements add up to, per `MovementKind::deltas`.
async fn ledger(http: &reqwest::Client, base: &str, warehouse: &str, sku: &str) -> (i64, i64) {
    let (mut on_hand, mut reserved) = (0, 0);
    let mut cursor: Option<String> = None;
    loop {
        let mut path = format!("/api/v1/movements?sku={sku}&warehouse={warehouse}&limit=500");
        if let Some(cursor) = &cursor {
            path.push_str(&format!("&cursor={cursor}"));
        }
        let page = get(http, base, &path).await;
        let movements = page.as_array().unwrap();
        for movement in movements {
            let kind = MovementKind::parse(movement["kind"].as_str().unwrap()).expect("a known movement kind");
            let (d_on_hand, d_reserved) = kind.deltas(movement["quantity"].as_i64().unwrap());
            on_hand += d_on_hand;
            reserved += d_reserved;
        }
        if movements.len() < 500 {
            return (on_hand, reserved);
        }
        cursor = movements.last().unwrap()["id"].as_str().map(str::to_owned);
    }
}

/// What the clients saw across the crash.
struct Run {
    acknowledged: Vec<Acknowledged>,
    unanswered: Vec<(usize, usize)>,
    refusals: BTreeMap<u16, usize>,
    slowest_refusal: Duration,
    before_kill: usize,
    during_outage: usize,
    /// From the restart of PostgreSQL until it accepted connections.
    postgres_back_in: Duration,
    /// From the restart of PostgreSQL until ordo had acknowledged `AFTER_RESTART` more.
    serving_again_in: Duration,
}

/// Loads ordo with new orders, kills PostgreSQL mid-load, keeps posting through the
/// outage, restarts PostgreSQL and waits until ordo acknowledges orders again.
async fn load_through_a_crash(http: &reqwest::Client, server: &mut Server, postgres: &mut Postgres) -> Run {
    let progress = Arc::new(Progress::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(http.clone(), server.base.clone(), i, progress.clone())))
        .collect();
    // At least 1 s of load, and longer on a slow machine until enough were acknowledged.
    let load_started = Instant::now();
    tokio::time::sleep(Duration::from_secs(1)).await;
    while progress.acknowledged.load(Ordering::Relaxed) < ENOUGH && load_started.elapsed() < Duration::from_secs(10) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let before_kill = progress.acknowledged.load(Ordering::Relaxed);
    postgres.kill_dash_9();
    tokio::time::sleep(OUTAGE).await;
    let during_outage = progress.acknowledged.load(Ordering::Relaxed) - before_kill;
    let restarting = Instant::now();
    postgres.start().await;
    let postgres_back_in = restarting.elapsed();
    // ordo is not restarted: the process that lost its database must find it again.
    let at_restart = progress.acknowledged.load(Ordering::Relaxed);
    while progress.acknowledged.load(Ordering::Relaxed) < at_restart + AFTER_RESTART {
        assert!(
            server.child.try_wait().unwrap().is_none(),
            "ordo serve exited after PostgreSQL was killed"
        );
        assert!(
            restarting.elapsed() < Duration::from_secs(25),
            "ordo acknowledged fewer than {AFTER_RESTART} new orders within 25 s of PostgreSQL restarting"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let serving_again_in = restarting.elapsed();
    progress.stop.store(true, Ordering::Relaxed);
    let mut run = Run {
        acknowledged: Vec::new(),
        unanswered: Vec::new(),
        refusals: BTreeMap::new(),
        slowest_refusal: Duration::ZERO,
        before_kill,
        during_outage,
        postgres_back_in,
        serving_again_in,
    };
    for handle in clients {
        let seen = handle.await.unwrap();
        run.acknowledged.extend(seen.acknowledged);
        run.unanswered.extend(seen.unanswered);
        for (status, count) in seen.refusals {
            *run.refusals.entry(status).or_default() += count;
        }
        run.slowest_refusal = run.slowest_refusal.max(seen.slowest_refusal);
    }
    // A database that is down is said at once, as 503 the client can back off from, not
    // by requests left to time out.
    assert!(
        run.refusals.keys().all(|status| *status == 503),
        "answers while PostgreSQL was down: {:?}",
        run.refusals
    );
    assert!(
        run.slowest_refusal < Duration::from_secs(6),
        "a 503 took {:?}",
        run.slowest_refusal
    );
    assert!(
        server.child.try_wait().unwrap().is_none(),
        "ordo serve exited during the test"
    );
    assert!(
        before_kill >= ENOUGH,
        "only {before_kill} orders were acknowledged before the kill"
    );
    run
}

/// What sending orders again did.
struct Redelivery {
    /// Acknowledged orders sent again (each answered `unchanged`, with its id).
    redelivered: usize,
    /// Unanswered orders that were not stored, created when sent again.
    created_late: usize,
    /// Unanswered orders that had been stored: only the answer was lost.
    stored_unanswered: usize,
}

/// Sends a sample of the acknowledged orders again, which must change nothing, then every
/// unanswered one, as a channel would.
async fn redeliver(http: &reqwest::Client, base: &str, run: &Run) -> Redelivery {
    let url = format!("{base}/api/v1/orders");
    let count_before = list_orders(http, base).await.len();
    let mut redelivered = 0;
    for sent in run.acknowledged.iter().step_by(REDELIVER_EVERY) {
        let body = order(sent.client, sent.n);
        let (status, answer) = call(http, reqwest::Method::POST, url.clone(), Some(body)).await;
        assert_eq!(
            (status, answer["outcome"].as_str(), answer["id"].as_str()),
            (200, Some("unchanged"), Some(sent.id.as_str())),
            "redelivering {}: {answer}",
            external_id(sent.client, sent.n)
        );
        redelivered += 1;
    }
    assert_eq!(
        list_orders(http, base).await.len(),
        count_before,
        "redelivering acknowledged orders created orders"
    );
    let (mut created_late, mut stored_unanswered) = (0, 0);
    for &(client, n) in &run.unanswered {
        let (status, answer) = call(http, reqwest::Method::POST, url.clone(), Some(order(client, n))).await;
        match (status, answer["outcome"].as_str()) {
            (201, Some("created")) => created_late += 1,
            (200, Some("unchanged")) => stored_unanswered += 1,
            _ => panic!("resending {}: {status} {answer}", external_id(client, n)),
        }
    }
    Redelivery {
        redelivered,
        created_late,
        stored_unanswered,
    }
}

/// Every order sent is stored exactly once, every acknowledged one under the id its answer
/// gave and with the lines it was sent with. Returns the stored orders as (client, n, id).
async fn check_orders(http: &reqwest::Client, base: &str, run: &Run) -> Vec<(usize, usize, String)> {
    let orders = list_orders(http, base).await;
    let mut by_external_id: BTreeMap<String, String> = BTreeMap::new();
    for (external, id) in &orders {
        assert!(
            by_external_id.insert(external.clone(), id.clone()).is_none(),
            "external id {external} is stored twice"
        );
    }
    let lost: Vec<String> = run
        .acknowledged
        .iter()
        .filter(|a| by_external_id.get(&external_id(a.client, a.n)) != Some(&a.id))
        .map(|a| external_id(a.client, a.n))
        .collect();
    assert!(
        lost.is_empty(),
        "{} of {} acknowledged orders are gone or stored under another id: {lost:?}",
        lost.len(),
        run.acknowledged.len()
    );
    let sent: BTreeSet<String> = run
        .acknowledged
        .iter()
        .map(|a| external_id(a.client, a.n))
        .chain(run.unanswered.iter().map(|&(client, n)| external_id(client, n)))
        .collect();
    let missing: Vec<&String> = sent.iter().filter(|e| !by_external_id.contains_key(*e)).collect();
    let unexpected: Vec<&String> = by_external_id.keys().filter(|e| !sent.contains(*e)).collect();
    assert!(
        missing.is_empty() && unexpected.is_empty(),
        "sent but not stored: {missing:?}; stored but never sent: {unexpected:?}"
    );

    let documents = get_all(
        http,
        base,
        run.acknowledged
            .iter()
            .map(|a| format!("/api/v1/orders/{}", a.id))
            .collect(),
    )
    .await;
    for (a, document) in run.acknowledged.iter().zip(&documents) {
        let lines: Vec<(&str, i64)> = document["order"]["lines"]
            .as_array()
            .unwrap()
            .iter()
            .map(|line| (line["sku"].as_str().unwrap(), line["quantity"].as_i64().unwrap()))
            .collect();
        let expected: Vec<(&str, i64)> = SKUS.into_iter().zip(units(a.client, a.n)).collect();
        assert_eq!(lines, expected, "the lines of {}", external_id(a.client, a.n));
    }
    orders
        .into_iter()
        .map(|(external, id)| {
            let (client, n) = external.strip_prefix("PGCRASH-").unwrap().split_once('-').unwrap();
            (client.parse().unwrap(), n.parse().unwrap(), id)
        })
        .collect()
}

/// Stock as the API shows it after recovery.
struct StockSeen {
    allocated: usize,
    held_for_stock: usize,
    /// Reserved units per SKU, over all warehouses.
    reserved_units: BTreeMap<&'static str, i64>,
    /// (on hand, reserved) per (warehouse, sku).
    levels: BTreeMap<(String, String), (i64, i64)>,
}

/// Each order holds all of its units or (held for stock) none; reserved is exactly what the
/// orders hold, per warehouse and per SKU; nothing is oversold; every balance is the sum of
/// its movements; and no held order could have had its units.
async fn check_stock(http: &reqwest::Client, base: &str, orders: &[(usize, usize, String)]) -> StockSeen {
    let holdings = get_all(
        http,
        base,
        orders
            .iter()
            .map(|(_, _, id)| format!("/api/v1/orders/{id}/stock"))
            .collect(),
    )
    .await;
    let mut held_by_orders: BTreeMap<(String, String), i64> = BTreeMap::new();
    let mut allocated_units: BTreeMap<&str, i64> = BTreeMap::new();
    let mut allocated = 0;
    let mut held_for_stock: Vec<[i64; 2]> = Vec::new();
    for ((client, n, _), holding) in orders.iter().zip(&holdings) {
        let wanted: BTreeMap<&str, i64> = SKUS.into_iter().zip(units(*client, *n)).collect();
        let mut reserved: BTreeMap<&str, i64> = BTreeMap::new();
        for allocation in holding["allocations"].as_array().unwrap() {
            assert_eq!(
                (allocation["shipped"].as_i64(), allocation["returned"].as_i64()),
                (Some(0), Some(0)),
                "{holding}"
            );
            let (sku, warehouse) = (
                allocation["sku"].as_str().unwrap(),
                allocation["warehouse"].as_str().unwrap(),
            );
            let units = allocation["reserved"].as_i64().unwrap();
            *reserved.entry(sku).or_default() += units;
            *held_by_orders
                .entry((warehouse.to_owned(), sku.to_owned()))
                .or_default() += units;
        }
        let waiting: BTreeMap<&str, i64> = holding["shortages"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| (s["sku"].as_str().unwrap(), s["waiting"].as_i64().unwrap()))
            .collect();
        if waiting.is_empty() {
            assert_eq!(reserved, wanted, "{} holds {holding}", external_id(*client, *n));
            allocated += 1;
            for (sku, units) in wanted {
                *allocated_units.entry(sku).or_default() += units;
            }
        } else {
            assert!(
                reserved.is_empty() && waiting == wanted,
                "{} is short but holds {holding}",
                external_id(*client, *n)
            );
            held_for_stock.push(units(*client, *n));
        }
    }
    assert!(
        allocated > 0 && !held_for_stock.is_empty(),
        "wanted both allocated and held orders: {allocated} allocated, {} held",
        held_for_stock.len()
    );

    let mut available: BTreeMap<&str, i64> = BTreeMap::new();
    let mut reserved_units: BTreeMap<&'static str, i64> = BTreeMap::new();
    let mut levels: BTreeMap<(String, String), (i64, i64)> = BTreeMap::new();
    for sku in SKUS {
        let view = get(http, base, &format!("/api/v1/availability/{sku}")).await;
        available.insert(sku, view["available"].as_i64().unwrap());
        for (warehouse, level) in view["levels"].as_object().unwrap() {
            let (on_hand, reserved) = (level["on_hand"].as_i64().unwrap(), level["reserved"].as_i64().unwrap());
            *reserved_units.entry(sku).or_default() += reserved;
            levels.insert((warehouse.clone(), sku.to_owned()), (on_hand, reserved));
        }
    }
    let stocked: BTreeMap<(String, String), i64> = STOCK
        .iter()
        .map(|(warehouse, sku, units)| (((*warehouse).to_owned(), (*sku).to_owned()), *units))
        .collect();
    assert_eq!(
        levels.keys().collect::<Vec<_>>(),
        stocked.keys().collect::<Vec<_>>(),
        "stock levels"
    );
    for (key, &(on_hand, reserved)) in &levels {
        let (warehouse, sku) = key;
        // Nothing was shipped, received or counted after the stock was set up.
        assert_eq!(on_hand, stocked[key], "on hand of {sku} in {warehouse}");
        assert_eq!(
            reserved,
            held_by_orders.get(key).copied().unwrap_or(0),
            "reserved {sku} in {warehouse} against what the orders hold there"
        );
        assert!(reserved <= on_hand, "{sku} in {warehouse} is oversold");
        assert_eq!(
            ledger(http, base, warehouse, sku).await,
            (on_hand, reserved),
            "the movements of {sku} in {warehouse} against its balance"
        );
    }
    assert_eq!(
        reserved_units, allocated_units,
        "reserved units per SKU against the units of the allocated orders"
    );
    // Stock only went down, so an order held for stock still cannot have all its units.
    for wanted in &held_for_stock {
        assert!(
            SKUS.iter().zip(wanted).any(|(sku, units)| *units > available[sku]),
            "an order for {wanted:?} is held while {available:?} is available"
        );
    }
    let check = get(http, base, "/api/v1/inventory/check").await;
    assert_eq!(check["consistent"], true, "{check}");
    StockSeen {
        allocated,
        held_for_stock: held_for_stock.len(),
        reserved_units,
        levels,
    }
}

/// The same, straight from the recovered database rather than through Ordo: as many
/// orders as the API lists, none under the same external id twice, and per (warehouse,
/// sku) the balance the API showed, the same sums from the movements, and the same units
/// held by orders.
fn check_database(postgres: &Postgres, orders: usize, levels: &BTreeMap<(String, String), (i64, i64)>) {
    let rows = postgres.query("SELECT count(*), count(DISTINCT (channel, external_id)) FROM orders");
    assert_eq!(
        rows,
        vec![vec![orders.to_string(), orders.to_string()]],
        "orders in the database"
    );
    let mut from_db: BTreeMap<(String, String), [i64; 5]> = BTreeMap::new();
    for row in postgres.query("SELECT warehouse, sku, on_hand, reserved FROM stock_levels") {
        let entry = from_db.entry((row[0].clone(), row[1].clone())).or_default();
        (entry[0], entry[1]) = (row[2].parse().unwrap(), row[3].parse().unwrap());
    }
    for row in postgres.query("SELECT warehouse, sku, kind, sum(quantity) FROM stock_movements GROUP BY 1, 2, 3") {
        let kind = MovementKind::parse(&row[2]).expect("a known movement kind");
        let (d_on_hand, d_reserved) = kind.deltas(row[3].parse().unwrap());
        let entry = from_db.entry((row[0].clone(), row[1].clone())).or_default();
        entry[2] += d_on_hand;
        entry[3] += d_reserved;
    }
    for row in postgres.query("SELECT warehouse, sku, sum(reserved) FROM order_stock WHERE reserved > 0 GROUP BY 1, 2")
    {
        from_db.entry((row[0].clone(), row[1].clone())).or_default()[4] = row[2].parse().unwrap();
    }
    let expected: BTreeMap<(String, String), [i64; 5]> = levels
        .iter()
        .map(|(key, &(on_hand, reserved))| (key.clone(), [on_hand, reserved, on_hand, reserved, reserved]))
        .collect();
    assert_eq!(
        from_db, expected,
        "per (warehouse, sku): [on hand, reserved, on hand from movements, reserved from movements, reserved by orders]"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_and_stock_survive_postgres_kill_dash_9() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    // Declared before the server, so dropped after it.
    let mut postgres = Postgres::init(dir.path());
    postgres.start().await;
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(15))
        .build()
        .unwrap();
    let mut server = Server::start(&postgres.url(), dir.path(), TOKEN, &POLICY);
    server.wait_healthy(&http, Duration::from_secs(20)).await;
    let base = server.base.clone();
    stock_up(&http, &base).await;

    let run = load_through_a_crash(&http, &mut server, &mut postgres).await;
    let redelivery = redeliver(&http, &base, &run).await;
    let orders = check_orders(&http, &base, &run).await;
    let stock = check_stock(&http, &base, &orders).await;
    check_database(&postgres, orders.len(), &stock.levels);

    let elapsed = started.elapsed();
    eprintln!(
        "{} orders acknowledged ({} before the kill, {} while PostgreSQL was down), {} unanswered \
         (answers {:?}, the slowest in {:?}; {} stored anyway, {} created when sent again); PostgreSQL accepting again {:.1} s after \
         its restart began, ordo acknowledging again after {:.1} s; {} redelivered without a \
         duplicate; {} orders: {} allocated, {} held for stock; reserved {:?} ({:.1} s)",
        run.acknowledged.len(),
        run.before_kill,
        run.during_outage,
        run.unanswered.len(),
        run.refusals,
        run.slowest_refusal,
        redelivery.stored_unanswered,
        redelivery.created_late,
        run.postgres_back_in.as_secs_f64(),
        run.serving_again_in.as_secs_f64(),
        redelivery.redelivered,
        orders.len(),
        stock.allocated,
        stock.held_for_stock,
        stock.reserved_units,
        elapsed.as_secs_f64()
    );
    assert!(elapsed < Duration::from_secs(60), "the test took too long");
}
