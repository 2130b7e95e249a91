//! Durability of the real binary: an order acknowledged with 201 survives `kill -9`.
//!
//! The server is killed without warning while clients are posting; whatever it had
//! answered 201 must be readable after a restart on the same SQLite file.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde_json::Value;

#[path = "common/server.rs"]
mod server;

use server::Server;

const TOKEN: &str = "crash-test-admin-token-0123456789abcdef";
const CLIENTS: usize = 16;
/// Acknowledged orders wanted before the kill, so a loss would be noticed.
const ENOUGH: usize = 300;

fn order(client: usize, n: usize) -> Vec<u8> {
    let mut order: Value = serde_json::from_str(ordo_core::input::EXAMPLE_JSON).unwrap();
    order["external_id"] = Value::from(format!("CRASH-{client}-{n}"));
    serde_json::to_vec(&order).unwrap()
}

/// Shared between the clients and the test.
#[derive(Default)]
struct Progress {
    stop: AtomicBool,
    acknowledged: AtomicUsize,
}

/// Posts until the server dies or time is up; returns the ids answered with 201.
async fn client(http: reqwest::Client, base: String, index: usize, progress: Arc<Progress>) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(12);
    let mut acknowledged = Vec::new();
    for n in 0.. {
        if progress.stop.load(Ordering::Relaxed) || Instant::now() > deadline {
            break;
        }
        let sent = http
            .post(format!("{base}/api/v1/orders"))
            .bearer_auth(TOKEN)
            .header("content-type", "application/json")
            .body(order(index, n))
            .send()
            .await;
        let Ok(response) = sent else { break };
        if response.status().as_u16() != 201 {
            break;
        }
        let Ok(body) = response.json::<Value>().await else {
            break;
        };
        acknowledged.push(body["id"].as_str().expect("201 carries the id").to_owned());
        progress.acknowledged.fetch_add(1, Ordering::Relaxed);
    }
    acknowledged
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_orders_survive_kill_dash_9() {
    let started = Instant::now();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ordo.db");
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap();

    let mut server = Server::start(&format!("sqlite://{}", db.display()), dir.path(), TOKEN, &[]);
    server.wait_healthy(&http, Duration::from_secs(15)).await;
    let progress = Arc::new(Progress::default());
    let clients: Vec<_> = (0..CLIENTS)
        .map(|i| tokio::spawn(client(http.clone(), server.base.clone(), i, progress.clone())))
        .collect();
    // At least 1.5 s of load, and longer on a slow machine until enough were acknowledged.
    let load_started = Instant::now();
    tokio::time::sleep(Duration::from_millis(1500)).await;
    while progress.acknowledged.load(Ordering::Relaxed) < ENOUGH && load_started.elapsed() < Duration::from_secs(8) {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // SIGKILL on Unix: no shutdown hook runs, queued work is simply lost.
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    progress.stop.store(true, Ordering::Relaxed);
    let mut acknowledged = Vec::new();
    for handle in clients {
        acknowledged.extend(handle.await.unwrap());
    }
    drop(server);
    assert!(
        acknowledged.len() >= ENOUGH,
        "only {} orders were acknowledged before the kill",
        acknowledged.len()
    );

    let mut restarted = Server::start(&format!("sqlite://{}", db.display()), dir.path(), TOKEN, &[]);
    restarted.wait_healthy(&http, Duration::from_secs(15)).await;
    let ids = Arc::new(acknowledged);
    let readers: Vec<_> = (0..CLIENTS)
        .map(|reader| {
            let (http, base, ids) = (http.clone(), restarted.base.clone(), ids.clone());
            tokio::spawn(async move {
                let mut missing = Vec::new();
                for id in ids.iter().skip(reader).step_by(CLIENTS) {
                    let response = http
                        .get(format!("{base}/api/v1/orders/{id}"))
                        .bearer_auth(TOKEN)
                        .send()
                        .await
                        .unwrap();
                    if response.status().as_u16() != 200 {
                        missing.push(format!("{id}: {}", response.status()));
                    }
                }
                missing
            })
        })
        .collect();
    let mut missing = Vec::new();
    for reader in readers {
        missing.extend(reader.await.unwrap());
    }
    assert!(
        missing.is_empty(),
        "{} of {} acknowledged orders are gone: {missing:?}",
        missing.len(),
        ids.len()
    );
    eprintln!(
        "{} acknowledged orders all survived kill -9 ({:.1} s)",
        ids.len(),
        started.elapsed().as_secs_f64()
    );
    assert!(started.elapsed() < Duration::from_secs(30), "the test took too long");
}
