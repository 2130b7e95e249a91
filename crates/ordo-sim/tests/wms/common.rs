//! What the warehouse tests share: a bounded runner, an HTTP client, a callback
//! receiver, request builders and an independent signature check.

use std::collections::BTreeSet;
use std::future::Future;
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use ordo_sim::{WmsKind, WmsSim, WmsSimConfig, WmsSimulator};
use serde_json::{Value, json};

/// Every test finishes within this, or fails.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);
pub const TOKEN: &str = "test-token";
pub const SECRET: &str = "test-secret";
/// A Standard Webhooks secret: `whsec_` and the base64 of `test-secret`.
pub const WHSEC: &str = "whsec_dGVzdC1zZWNyZXQ=";
/// Each warehouse step in the tests: short, but long enough to see the steps apart.
pub const STEP: Duration = Duration::from_millis(20);

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

/// A configuration with short steps, the test token and secret, and callbacks to `url`.
pub fn config(kind: WmsKind, callback_url: Option<&str>) -> WmsSimConfig {
    WmsSimConfig {
        token: TOKEN.into(),
        secret: SECRET.into(),
        callback_url: callback_url.map(str::to_owned),
        accept_delay: STEP,
        pick_delay: STEP,
        pack_delay: STEP,
        ship_delay: STEP,
        ..WmsSimConfig::new(kind)
    }
}

pub async fn start(config: WmsSimConfig) -> WmsSim {
    WmsSimulator::start(config).await.expect("warehouse simulator starts")
}

/// A generic submit body with two lines.
pub fn fulfilment_request(request_id: &str, callback_url: Option<&str>) -> Value {
    json!({
        "request_id": request_id,
        "order_id": format!("ORD-{request_id}"),
        "channel": "shopify",
        "external_order_id": "450789469",
        "warehouse": "WH-1",
        "ship_to": {
            "name": "Li Lei", "phone": "13800000000", "email": null, "country": "CN",
            "province": "Guangdong", "city": "Shenzhen", "district": "Nanshan",
            "line1": "1 Keyuan Road", "line2": null, "postal_code": "518057"
        },
        "carrier": "SF",
        "service": "standard",
        "lines": [
            {"line_id": "1", "sku": "SKU-RED-M", "quantity": 2},
            {"line_id": "2", "sku": "SKU-MUG-01", "quantity": 3}
        ],
        "callback_url": callback_url,
    })
}

/// `POST /fulfilments` with the test token.
pub async fn submit(http: &reqwest::Client, sim: &WmsSim, body: &Value) -> reqwest::Response {
    http.post(format!("{}/fulfilments", sim.url()))
        .bearer_auth(TOKEN)
        .json(body)
        .send()
        .await
        .expect("the simulator answers")
}

/// Checks `sha256=<hex HMAC-SHA256(secret, raw body)>`, computed apart from the simulator.
pub fn signature_verifies(body: &[u8], header: &str) -> bool {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    header == format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The keys of a JSON object, for comparing shapes with published examples.
pub fn keys(value: &Value) -> BTreeSet<String> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
        .keys()
        .cloned()
        .collect()
}

/// Checks a ShipBob-shaped callback's Standard Webhooks headers: `webhook-signature:
/// v1,<base64 HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")>`, the key being
/// what [`WHSEC`] encodes, computed apart from the simulator.
pub fn standard_webhook_verifies(callback: &Callback) -> bool {
    use base64::Engine as _;
    use hmac::{Hmac, Mac};
    let header = |name: &str| {
        callback
            .headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned()
    };
    let (id, timestamp) = (header("webhook-id"), header("webhook-timestamp"));
    if id.is_empty() || timestamp.parse::<i64>().is_err() {
        return false;
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(&callback.body);
    let expected = base64::engine::general_purpose::STANDARD.encode(mac.finalize().into_bytes());
    header("webhook-signature") == format!("v1,{expected}")
}

/// One received callback.
#[derive(Clone, Debug)]
pub struct Callback {
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Callback {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("callback body is JSON")
    }

    pub fn signature(&self) -> String {
        let header = self.headers.get("x-ordo-signature");
        header.and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned()
    }
}

#[derive(Clone, Default)]
struct Inbox {
    received: Arc<Mutex<Vec<Callback>>>,
    status: Arc<AtomicU16>,
    /// Answers `500` to this many callbacks before answering `status`.
    fail_first: Arc<AtomicUsize>,
}

/// A callback receiver on 127.0.0.1 that records what it gets and answers a chosen status.
pub struct Receiver {
    pub url: String,
    inbox: Inbox,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let inbox = Inbox {
            status: Arc::new(AtomicU16::new(200)),
            ..Inbox::default()
        };
        async fn receive(State(inbox): State<Inbox>, headers: HeaderMap, body: Bytes) -> StatusCode {
            inbox.received.lock().unwrap().push(Callback { headers, body });
            let failing = inbox
                .fail_first
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| n.checked_sub(1))
                .is_ok();
            if failing {
                return StatusCode::INTERNAL_SERVER_ERROR;
            }
            StatusCode::from_u16(inbox.status.load(Ordering::Relaxed)).unwrap()
        }
        let app = Router::new()
            .route("/callbacks", post(receive))
            .with_state(inbox.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/callbacks", listener.local_addr().unwrap());
        tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Receiver { url, inbox }
    }

    pub fn answer(&self, status: u16) {
        self.inbox.status.store(status, Ordering::Relaxed);
    }

    pub fn fail_first(&self, n: usize) {
        self.inbox.fail_first.store(n, Ordering::Relaxed);
    }

    pub fn received(&self) -> Vec<Callback> {
        self.inbox.received.lock().unwrap().clone()
    }

    /// Waits until at least `n` callbacks arrived.
    pub async fn wait_for(&self, n: usize) -> Vec<Callback> {
        for _ in 0..400 {
            let received = self.received();
            if received.len() >= n {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("only {} of {n} callbacks arrived", self.received().len());
    }
}

/// Waits until `check` holds, polling.
pub async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    for _ in 0..400 {
        if check() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("never happened: {what}");
}
