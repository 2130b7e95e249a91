//! Three real `ordo serve` processes on one PostgreSQL serve three tenants, each with its
//! own Shopify shop, warehouse and subscription receiver under the same channel and
//! warehouse codes. Orders arrive steadily for 20 s, placed in the shops (polled by the
//! node holding each shop's lease) and posted to the API of every node in turn; 8 s in,
//! the node polling the most shops is killed with `kill -9`. Then:
//! - its poll leases are held by the survivors within ten seconds;
//! - every fulfilment request, tracking write-back and subscription delivery Ordo queued
//!   arrived, at its own tenant's warehouse, shop or receiver, and every order placed or
//!   acknowledged led to its fulfilment request and its `order.created` delivery;
//! - a delivery id arrives twice only if the killed node had it in flight: first before
//!   the kill, again after it, and no more often than the killed node held messages
//!   claimed; a shop is told each parcel's tracking exactly once;
//! - nothing reaches another tenant's warehouse, shop or receiver.
//!
//! A message the killed node had claimed falls due again only when its claim expires
//! (`ordo_app::DELIVERY_LEASE`, 60 s): when the kill catches messages mid-delivery, the
//! test waits that long for them.
//!
//! Warehouses call back through a load balancer in front of the nodes (their
//! `server.public_url`), so no callback is lost with the killed node: every order shipped
//! is told to its shop.

// Shared with the PostgreSQL crash test, which uses all of it.
mod balancer;
#[path = "../common/postgres.rs"]
#[allow(dead_code)]
mod postgres;
mod receiver;
#[path = "../common/server.rs"]
mod server;
mod tenant;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use ordo_sim::WriteBackKind;
use reqwest::Method;
use serde_json::Value;

use postgres::Postgres;
use server::{Server, mint_token};
use tenant::{CHANNEL, Tenant, call};

const TOKEN: &str = "fleet-load-admin-token-0123456789abcdef";
/// The same on every node: each opens the credentials another sealed.
const KEY: &str = "7a6b5c4d3e2f10011f2e3d4c5b6a79887a6b5c4d3e2f10011f2e3d4c5b6a7988";
const TENANTS: [&str; 3] = ["default", "acme", "globex"];
const NODES: usize = 3;
/// How long orders keep arriving, and when into it the node is killed.
const LOAD: Duration = Duration::from_secs(20);
const KILL_AT: Duration = Duration::from_secs(8);
/// Each tick, every tenant gets one order in its shop and one through the API: 12 orders
/// a second in all, each followed by a fulfilment request, four warehouse callbacks, two
/// subscription deliveries and (shop orders) a tracking write-back, which two cores
/// running three nodes, PostgreSQL and every simulator keep up with.
const TICK: Duration = Duration::from_millis(500);
const FAILOVER: Duration = Duration::from_secs(10);
/// Beyond the killed node's claims, time for the last messages to go out.
const SETTLE: Duration = Duration::from_secs(25);
/// The outbox topics whose deliveries are checked.
const TOPICS: [&str; 3] = ["wms.fulfil", "channel.tracking", "subscription"];

/// An order of the load: placed in a shop, or posted to the API (acknowledged when the
/// answer was 201; a post cut off by the kill may or may not have been stored).
struct Placed {
    tenant: usize,
    external_id: String,
    acknowledged: bool,
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

/// Places the load: each tick, one shop order and one API order per tenant, each
/// tenant's API orders going to the nodes still `live` in turn.
async fn run_load(http: reqwest::Client, tenants: Arc<Vec<Tenant>>, live: Arc<Mutex<Vec<String>>>) -> Vec<Placed> {
    let mut tick = tokio::time::interval(TICK);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let end = Instant::now() + LOAD;
    let mut placed = Vec::new();
    let mut posts = Vec::new();
    let mut round = 0;
    while Instant::now() < end {
        tick.tick().await;
        round += 1;
        for (index, tenant) in tenants.iter().enumerate() {
            placed.extend(tenant.shop.create_orders(1).into_iter().map(|o| Placed {
                tenant: index,
                external_id: o.external_id,
                acknowledged: true,
            }));
            let base = {
                let live = live.lock().unwrap();
                live[(round + index) % live.len()].clone()
            };
            let external_id = format!("API-{}-{round}", tenant.name);
            let order = tenant.api_order(&external_id);
            let (http, tenants) = (http.clone(), tenants.clone());
            posts.push(tokio::spawn(async move {
                let url = format!("{base}/api/v1/orders");
                let answer = call(&http, &tenants[index].token, Method::POST, &url, Some(&order)).await;
                Placed {
                    tenant: index,
                    external_id,
                    acknowledged: matches!(answer, Ok((201, _))),
                }
            }));
        }
    }
    for post in posts {
        placed.push(post.await.unwrap());
    }
    placed
}

/// Whether everything queued has gone out: no message of [`TOPICS`] pending, every
/// fulfilment shipped, every callback about it finished, and a fulfilment request for
/// every order the load acknowledged.
async fn settled(http: &reqwest::Client, base: &str, tenants: &[Tenant], placed: &[Placed]) -> Result<(), String> {
    for (index, tenant) in tenants.iter().enumerate() {
        let pending: Vec<Value> = tenant
            .outbox(http, base, None, Some("pending"))
            .await
            .into_iter()
            .filter(|m| TOPICS.contains(&m["topic"].as_str().unwrap_or_default()))
            .collect();
        if !pending.is_empty() {
            return Err(format!(
                "{}: {} messages pending: {pending:?}",
                tenant.name,
                pending.len()
            ));
        }
        let fulfilments = tenant.wms.fulfilments();
        if let Some(open) = fulfilments.iter().find(|f| !f.state.is_final()) {
            return Err(format!("{}: fulfilment {} is {:?}", tenant.name, open.id, open.state));
        }
        // Accepted, picked, packed and shipped: four callbacks each, delivered or given up.
        let callbacks = tenant.wms.callbacks().len();
        if callbacks < 4 * fulfilments.len() {
            return Err(format!(
                "{}: {callbacks} callbacks finished of {}",
                tenant.name,
                4 * fulfilments.len()
            ));
        }
        let wanted = placed.iter().filter(|p| p.tenant == index && p.acknowledged).count();
        if fulfilments.len() < wanted {
            return Err(format!(
                "{}: {} fulfilments of {wanted} orders",
                tenant.name,
                fulfilments.len()
            ));
        }
    }
    Ok(())
}

fn time_of(message: &Value, field: &str) -> DateTime<Utc> {
    message[field].as_str().unwrap().parse().unwrap()
}

/// Arrivals by id → (how many more than once, problems): an id may arrive again only if
/// its first arrival came before the kill and every other after it.
fn repeats<'a>(arrivals: impl Iterator<Item = (&'a str, Instant)>, kill: Instant) -> (usize, Vec<String>) {
    let mut by_id: BTreeMap<&str, Vec<Instant>> = BTreeMap::new();
    for (id, at) in arrivals {
        by_id.entry(id).or_default().push(at);
    }
    let (mut extra, mut problems) = (0, Vec::new());
    for (id, mut times) in by_id.into_iter().filter(|(_, t)| t.len() > 1) {
        times.sort();
        extra += times.len() - 1;
        if times[0] >= kill || times[1] < kill {
            problems.push(format!("{id} arrived {} times, not in flight at the kill", times.len()));
        }
    }
    (extra, problems)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_delivery_arrives_within_its_tenant_when_a_node_is_killed_mid_load() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let mut postgres = Postgres::init(dir.path());
    postgres.start().await;
    let db = postgres.url();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // Review is not under test: every order goes straight to its warehouse.
    let balanced = balancer::Nodes::default();
    let public_url = balancer::start(balanced.clone()).await;
    let env = [
        ("ORDO_SECRET_KEY", KEY),
        ("ORDO_REVIEW__ENABLED", "false"),
        ("ORDO_SERVER__PUBLIC_URL", public_url.as_str()),
    ];
    let mut nodes = Vec::new();
    for _ in 0..NODES {
        let mut node = Server::start(&db, dir.path(), TOKEN, &env);
        node.wait_healthy(&http, Duration::from_secs(30)).await;
        nodes.push(node);
    }
    *balanced.lock().unwrap() = nodes.iter().map(|n| n.base.clone()).collect();
    let base = nodes[0].base.clone();
    let mut tenants = Vec::new();
    for (n, name) in TENANTS.into_iter().enumerate() {
        let token = match name {
            "default" => TOKEN.to_owned(),
            _ => mint_token(&db, dir.path(), name),
        };
        tenants.push(Tenant::start(name, 11 + n as u64, token, &http, &base).await);
    }
    let tenants = Arc::new(tenants);
    let mut ids = Vec::new();
    for node in &nodes {
        let url = format!("{}/api/v1/cluster", node.base);
        let (_, cluster) = call(&http, TOKEN, Method::GET, &url, None).await.unwrap();
        ids.push(cluster["this_node"].as_str().unwrap().to_owned());
    }

    // A node that does not run a warehouse's connector yet gives up the requests it
    // claims for it: the load starts once every node runs every tenant's.
    until(
        Duration::from_secs(15),
        "every node running every warehouse connector",
        async || {
            for node in &nodes {
                for tenant in tenants.iter() {
                    if !tenant.connected(&http, &node.base).await {
                        return None;
                    }
                }
            }
            Some(())
        },
    )
    .await;
    // Every shop is polled by some node before the load starts; the one polling the most
    // is the one killed, so most of the shops change hands.
    let (pollers, _) = until(Duration::from_secs(15), "a poller for every shop", async || {
        let mut pollers = Vec::new();
        for tenant in tenants.iter() {
            pollers.push(tenant.poller(&http, &base).await?);
        }
        Some(pollers)
    })
    .await;
    let victim = (0..NODES)
        .max_by_key(|&n| pollers.iter().filter(|p| **p == ids[n]).count())
        .unwrap();
    let survivor = nodes[(victim + 1) % NODES].base.clone();
    let orphaned: Vec<usize> = (0..tenants.len()).filter(|&t| pollers[t] == ids[victim]).collect();
    eprintln!(
        "setup took {:?}; node {} polls {} shop(s) and will be killed",
        started.elapsed(),
        ids[victim],
        orphaned.len()
    );

    let live = Arc::new(Mutex::new(nodes.iter().map(|n| n.base.clone()).collect::<Vec<_>>()));
    let load_started = Instant::now();
    let load = tokio::spawn(run_load(http.clone(), tenants.clone(), live.clone()));
    tokio::time::sleep_until((load_started + KILL_AT).into()).await;
    live.lock().unwrap().retain(|b| *b != nodes[victim].base);
    nodes[victim].child.kill().unwrap();
    nodes[victim].child.wait().unwrap();
    // Taken once the process is gone, so whatever it sent or claimed came before.
    let (kill, kill_utc) = (Instant::now(), Utc::now());

    // kill -9 gives nothing up: each orphaned poll lease moves once it expires.
    let (moved, failover) = until(FAILOVER, "the killed node's poll leases on survivors", async || {
        let mut holders = Vec::new();
        for &t in &orphaned {
            holders.push(
                tenants[t]
                    .poller(&http, &survivor)
                    .await
                    .filter(|h| *h != ids[victim])?,
            );
        }
        Some(holders)
    })
    .await;
    for holder in &moved {
        assert!(ids.contains(holder), "a poll lease went to an unknown node {holder}");
    }
    eprintln!(
        "{} poll lease(s) moved to survivors {failover:?} after kill -9",
        moved.len()
    );

    let placed = load.await.unwrap();
    // What the killed node had claimed and not finished stays pending until its claim
    // expires; a survivor's claims from now on end later than that.
    let claim = ordo_app::DELIVERY_LEASE;
    let mut in_flight = 0;
    for tenant in tenants.iter() {
        in_flight += tenant
            .outbox(&http, &survivor, None, Some("pending"))
            .await
            .iter()
            .filter(|m| TOPICS.contains(&m["topic"].as_str().unwrap_or_default()))
            .filter(|m| {
                let due = time_of(m, "next_attempt_at");
                due > kill_utc + claim / 2 && due <= kill_utc + claim
            })
            .count();
    }
    eprintln!("{in_flight} message(s) claimed by the killed node were still pending after the load");

    // Everything goes out: at once, or when the killed node's claims expire.
    let deadline = kill + claim.to_std().unwrap() + SETTLE;
    let mut quiet = 0;
    while quiet < 3 {
        match settled(&http, &survivor, &tenants, &placed).await {
            Ok(()) => quiet += 1,
            Err(why) => {
                quiet = 0;
                assert!(Instant::now() < deadline, "not settled by the deadline: {why}");
            }
        }
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let settled_after = kill.elapsed();

    let mut repeated = 0;
    let mut problems = Vec::new();
    for (index, tenant) in tenants.iter().enumerate() {
        let name = tenant.name;
        let fulfil = tenant.outbox(&http, &survivor, Some("wms.fulfil"), None).await;
        let tracking = tenant.outbox(&http, &survivor, Some("channel.tracking"), None).await;
        let subscription = tenant.outbox(&http, &survivor, Some("subscription"), None).await;
        for message in fulfil.iter().chain(&subscription) {
            assert_eq!(message["status"], "delivered", "{name}: {message}");
        }
        let ids_of = |messages: &[Value]| -> BTreeSet<String> {
            messages.iter().map(|m| m["id"].as_str().unwrap().to_owned()).collect()
        };

        // Fulfilment requests: each one queued arrived at the tenant's own warehouse,
        // keyed by its id, and nothing else did.
        let arrivals = tenant.wms.arrivals();
        let arrived: BTreeSet<&str> = arrivals.iter().map(|a| a.key.as_str()).collect();
        let queued = ids_of(&fulfil);
        for id in &queued {
            assert!(
                arrived.contains(id.as_str()),
                "{name}: fulfilment request {id} never arrived"
            );
        }
        for key in &arrived {
            assert!(
                queued.contains(*key),
                "{name}: warehouse got another tenant's request {key}"
            );
        }
        for received in tenant.wms.received() {
            for line in &received.lines {
                assert!(tenant.skus.contains(&line.sku), "{name}: warehouse got {}", line.sku);
            }
        }
        let (extra, found) = repeats(arrivals.iter().map(|a| (a.key.as_str(), a.at)), kill);
        repeated += extra;
        problems.extend(found.into_iter().map(|p| format!("{name} warehouse: {p}")));

        // Subscription deliveries: likewise, at the tenant's own receiver.
        let receipts = tenant.receiver.receipts();
        let delivered: BTreeSet<&str> = receipts.iter().map(|r| r.delivery.as_str()).collect();
        let queued = ids_of(&subscription);
        for id in &queued {
            assert!(delivered.contains(id.as_str()), "{name}: delivery {id} never arrived");
        }
        for receipt in &receipts {
            assert!(
                receipt.tenant == name && queued.contains(&receipt.delivery),
                "{name}: receiver got another tenant's delivery {receipt:?}"
            );
        }
        let (extra, found) = repeats(receipts.iter().map(|r| (r.delivery.as_str(), r.at)), kill);
        repeated += extra;
        problems.extend(found.into_iter().map(|p| format!("{name} receiver: {p}")));

        // Each order placed in the shop or acknowledged by the API was sent to the
        // warehouse and announced to the receiver.
        let requested: BTreeSet<(&str, &str)> = fulfil
            .iter()
            .map(|m| {
                let p = &m["payload"];
                (p["channel"].as_str().unwrap(), p["external_order_id"].as_str().unwrap())
            })
            .collect();
        let created: BTreeSet<&str> = receipts
            .iter()
            .filter(|r| r.event == "order.created")
            .map(|r| r.external_id.as_str())
            .collect();
        for order in placed.iter().filter(|p| p.tenant == index && p.acknowledged) {
            let channel = if order.external_id.starts_with("API-") {
                "web"
            } else {
                CHANNEL
            };
            let id = order.external_id.as_str();
            assert!(
                requested.contains(&(channel, id)),
                "{name}: order {id} never went to the warehouse"
            );
            assert!(created.contains(id), "{name}: order {id} was never announced");
        }

        // Tracking: each shipment of a shop order reached the tenant's shop exactly once
        // (a repeat finds the fulfillment order closed and sends nothing), with a number
        // the tenant's own warehouse issued. API orders are on a channel with no
        // connection, so theirs are dropped.
        let mut told: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for write_back in tenant.shop.writebacks() {
            if write_back.kind == WriteBackKind::Tracking {
                let number = &write_back.body["fulfillment"]["tracking_info"]["number"];
                told.entry(write_back.external_id_or_sku.clone())
                    .or_default()
                    .push(number.as_str().unwrap_or_default().to_owned());
            }
        }
        let issued: BTreeSet<String> = tenant
            .wms
            .fulfilments()
            .into_iter()
            .flat_map(|f| f.shipments.into_iter().map(|s| s.tracking_number))
            .collect();
        let mut shipped = 0;
        for message in &tracking {
            let p = &message["payload"];
            if message["destination"] != CHANNEL {
                assert_eq!(message["status"], "dropped", "{name}: {message}");
                continue;
            }
            assert_eq!(message["status"], "delivered", "{name}: {message}");
            let external_id = p["external_order_id"].as_str().unwrap();
            assert_eq!(
                told.get(external_id).map(Vec::as_slice),
                Some([p["tracking_number"].as_str().unwrap().to_owned()].as_slice()),
                "{name}: the shop's tracking for {external_id}"
            );
            shipped += 1;
        }
        assert_eq!(
            told.len(),
            shipped,
            "{name}: the shop was told of parcels Ordo did not send"
        );
        for numbers in told.values() {
            assert!(
                issued.contains(&numbers[0]),
                "{name}: the shop got another tenant's parcel {numbers:?}"
            );
        }
        assert_eq!(
            tenant.shop.stats().writebacks_rejected,
            0,
            "{name}: the shop refused write-backs"
        );

        // Callbacks go through the balancer: none is lost with the killed node.
        let lost: Vec<_> = tenant.wms.callbacks().into_iter().filter(|c| !c.delivered).collect();
        assert!(lost.is_empty(), "{name}: callbacks lost: {lost:?}");
        let acknowledged = placed.iter().filter(|p| p.tenant == index && p.acknowledged).count();
        let unanswered = placed.iter().filter(|p| p.tenant == index && !p.acknowledged).count();
        eprintln!(
            "{name}: {acknowledged} orders acknowledged, {unanswered} API posts cut off by the kill; \
             fulfilment requests {} queued, {} arrivals; deliveries {} queued, {} receipts; \
             tracking {shipped} told",
            fulfil.len(),
            arrivals.len(),
            subscription.len(),
            receipts.len(),
        );
    }
    eprintln!(
        "failover {failover:?}; {repeated} repeated arrival(s) of {in_flight} in flight at the kill; \
         settled {settled_after:?} after the kill; {:?} in all",
        started.elapsed()
    );
    assert!(problems.is_empty(), "repeats not explained by the kill: {problems:#?}");
    assert!(
        repeated <= in_flight,
        "{repeated} repeated arrivals, but only {in_flight} messages were in flight at the kill"
    );
}
