//! Running channels side by side: a slow or rate-limited channel does not hold up a
//! healthy one, a nudge polls at once, and shutdown stops every task promptly.

mod common;

use std::time::{Duration, Instant};

use common::{MemorySink, config};
use ordo_connect::{ChannelHandle, ChannelRunner, Platform};
use serde_json::json;
use tokio::sync::watch;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn orders() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({"orders": [{"id": 1, "updated_at": "2024-05-01T10:00:00Z"}]}))
}

/// Waits up to `limit` for `done`; returns how long it took, or `None`.
async fn within(limit: Duration, done: impl Fn() -> bool) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < limit {
        if done() {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    None
}

fn spawn(code: &str, server: &MockServer, shutdown: &watch::Receiver<bool>) -> ChannelHandle {
    let mut config = config(code, Platform::Shopify, &server.uri());
    config.poll_interval_ms = Some(3_600_000);
    config.request_timeout_ms = 20_000;
    ChannelRunner::spawn(config, MemorySink::new(), shutdown.clone()).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_or_rate_limited_channel_never_delays_a_healthy_one() {
    let slow = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(orders().set_delay(Duration::from_secs(5)))
        .mount(&slow)
        .await;
    let limited = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(429).insert_header("retry-after", "5"))
        .mount(&limited)
        .await;
    let healthy = MockServer::start().await;
    Mock::given(method("GET")).respond_with(orders()).mount(&healthy).await;
    let (stop, shutdown) = watch::channel(false);

    let slow = spawn("slow", &slow, &shutdown);
    let limited = spawn("limited", &limited, &shutdown);
    let healthy = spawn("healthy", &healthy, &shutdown);

    let took = within(Duration::from_secs(2), || healthy.status().last_success.is_some()).await;
    let took = took.expect("the healthy channel polled while the others waited");
    assert!(took < Duration::from_secs(1), "healthy poll took {took:?}");
    let status = healthy.status();
    assert_eq!((status.code.as_str(), status.platform), ("healthy", Platform::Shopify));
    assert_eq!((status.orders_ingested, status.requests), (1, 1));
    assert_eq!(
        status.cursor,
        Some(json!({"updated_after": "2024-05-01T10:00:00.000Z"}))
    );
    assert!(
        within(Duration::from_secs(1), || limited.status().rate_limited == 1)
            .await
            .is_some()
    );
    assert!(
        slow.status().last_poll_finished.is_none(),
        "still waiting on its slow platform"
    );
    assert!(
        limited.status().last_poll_finished.is_none(),
        "still waiting out Retry-After"
    );

    // Shutdown cuts the waiting polls short; their cursors stay where they were.
    stop.send(true).unwrap();
    let started = Instant::now();
    for handle in [slow, limited, healthy] {
        tokio::time::timeout(Duration::from_secs(1), handle.join())
            .await
            .expect("stopped promptly");
    }
    assert!(started.elapsed() < Duration::from_secs(1));
}

#[tokio::test]
async fn a_nudge_polls_without_waiting_for_the_interval() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(orders()).mount(&server).await;
    let (_stop, shutdown) = watch::channel(false);
    let handle = spawn("shopify", &server, &shutdown);
    within(Duration::from_secs(2), || handle.status().last_success.is_some())
        .await
        .unwrap();
    let first = handle.status().last_success;

    handle.poll_now();

    let took = within(Duration::from_secs(2), || handle.status().last_success != first).await;
    assert!(took.is_some(), "a second poll ran long before the hour-long interval");
    assert_eq!(handle.status().requests, 2);
}

#[tokio::test]
async fn a_dropped_shutdown_sender_stops_the_task() {
    let server = MockServer::start().await;
    Mock::given(method("GET")).respond_with(orders()).mount(&server).await;
    let (stop, shutdown) = watch::channel(false);
    let handle = spawn("shopify", &server, &shutdown);
    drop(shutdown);
    drop(stop);
    tokio::time::timeout(Duration::from_secs(1), handle.join())
        .await
        .expect("stopped");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_pushed_orders_fetches_a_few_and_polls_for_the_rest() {
    let server = MockServer::start().await;
    // The list answers at once; each single order takes a while, as under a busy budget.
    Mock::given(method("GET"))
        .and(wiremock::matchers::path_regex(r"/orders/\d+\.json$"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({"order": {"id": 7, "updated_at": "2024-05-01T10:00:00Z"}}))
                .set_delay(Duration::from_millis(400)),
        )
        .mount(&server)
        .await;
    Mock::given(method("GET")).respond_with(orders()).mount(&server).await;
    let (_stop, shutdown) = watch::channel(false);
    let handle = std::sync::Arc::new(spawn("shopify", &server, &shutdown));
    within(Duration::from_secs(2), || handle.status().last_success.is_some())
        .await
        .unwrap();
    let polled = handle.status().last_success;

    let fetches: Vec<_> = (0..10)
        .map(|i| {
            let handle = std::sync::Arc::clone(&handle);
            tokio::spawn(async move { handle.fetch_pushed(&format!("{}", 100 + i)).await })
        })
        .collect();
    for fetch in fetches {
        fetch.await.unwrap().unwrap();
    }

    let singles = server
        .received_requests()
        .await
        .unwrap()
        .iter()
        .filter(|r| r.url.path().ends_with(".json") && r.url.path().contains("/orders/"))
        .count();
    assert_eq!(singles, 4, "four fetches at once, no more");
    let took = within(Duration::from_secs(2), || handle.status().last_success != polled).await;
    assert!(took.is_some(), "the rest of the burst asked for a poll");
}
