//! Helpers shared by the tests: a bounded runner, an HTTP client, a webhook receiver.

use std::future::Future;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ordo_sim::{Platform, RateLimit, RateLimits, Sim, SimConfig, Simulator, WebhookTarget};

/// Every test finishes within this, or fails.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

/// Runs a test body with a time limit.
pub async fn bounded<F: Future<Output = ()>>(body: F) {
    tokio::time::timeout(TEST_LIMIT, body)
        .await
        .expect("the test ran out of time");
}

/// An HTTP client that never goes through a proxy and never waits long.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

/// A configuration without rate limits, so tests that are not about limits are not
/// slowed by them.
pub fn unlimited(platform: Platform) -> SimConfig {
    SimConfig {
        rate_limits: RateLimits::unlimited(),
        ..SimConfig::new(platform)
    }
}

/// Sustained rate of [`small_limit`]: slow enough that back-to-back requests on a busy
/// machine still overflow the bucket, fast enough that tests wait under a second.
pub const SMALL_LIMIT_PER_SECOND: f64 = 2.0;

/// A small limit: `burst` requests, refilling at [`SMALL_LIMIT_PER_SECOND`].
pub fn small_limit(burst: u32) -> Option<RateLimit> {
    Some(RateLimit {
        burst,
        per_second: SMALL_LIMIT_PER_SECOND,
    })
}

/// How long a refused request waits before it is sure to be admitted again.
pub const SMALL_LIMIT_RECOVERY: Duration = Duration::from_millis(600);

pub async fn start(config: SimConfig) -> Sim {
    Simulator::start(config).await.expect("simulator starts")
}

/// One received webhook.
#[derive(Clone, Debug)]
pub struct Received {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Received {
    pub fn header(&self, name: &str) -> String {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body).expect("webhook body is JSON")
    }
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Received>>>,
    status: Arc<AtomicU16>,
}

/// A webhook receiver on 127.0.0.1 that records what it gets and answers a chosen status.
pub struct Receiver {
    pub url: String,
    inbox: Inbox,
}

pub const HOOK_SECRET: &str = "hook-secret";

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = Inbox {
            status: Arc::new(AtomicU16::new(200)),
            ..Inbox::default()
        };
        async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
            inbox.received.lock().unwrap().push(Received { headers, body });
            StatusCode::from_u16(inbox.status.load(Ordering::Relaxed)).unwrap()
        }
        let app = Router::new().route("/hooks", post(receive)).with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, inbox }
    }

    pub fn target(&self) -> Option<WebhookTarget> {
        Some(WebhookTarget {
            url: self.url.clone(),
            secret: HOOK_SECRET.into(),
        })
    }

    pub fn answer(&self, status: u16) {
        self.inbox.status.store(status, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Received> {
        self.inbox.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` webhooks arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Received> {
        for _ in 0..200 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("only {} of {n} webhooks arrived", self.received().len());
    }
}

/// Checks `base64(HMAC-SHA256(secret, raw body))` computed independently of the simulator.
pub fn signature_verifies(body: &[u8], signature: &str) -> bool {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(HOOK_SECRET.as_bytes()).unwrap();
    mac.update(body);
    base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes()) == signature
}

/// Asserts that `ids` holds each of `expected` exactly once.
pub fn assert_exactly_once(ids: &[String], expected: &[String]) {
    let mut sorted = ids.to_vec();
    sorted.sort();
    let mut unique = sorted.clone();
    unique.dedup();
    assert_eq!(unique.len(), sorted.len(), "duplicates in {ids:?}");
    let mut wanted = expected.to_vec();
    wanted.sort();
    assert_eq!(sorted, wanted, "listing does not match the created orders");
}
